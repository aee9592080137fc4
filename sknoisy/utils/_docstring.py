"""The one docstring-template helper of sknoisy."""

__all__ = ["Substitution"]


class Substitution:
    """Decorator that fills ``{name}`` placeholders of a docstring.

    Only the given names are replaced, so other braces in the text (sets such
    as ``{"mean", "sum"}``) are left alone. Under ``python -OO`` docstrings are
    ``None`` and the decorator does nothing.

    Parameters
    ----------
    **parts : str
        Text for each placeholder name.

    Examples
    --------
    >>> from sknoisy.utils._docstring import Substitution
    >>> @Substitution(seed="random_state : int, default=None")
    ... def f():
    ...     '''Parameters
    ...     ----------
    ...     {seed}
    ...     '''
    >>> "random_state : int" in f.__doc__
    True
    """

    def __init__(self, **parts):
        self.parts = parts

    def __call__(self, obj):
        doc = obj.__doc__
        if doc:
            for name, text in self.parts.items():
                doc = doc.replace("{" + name + "}", text)
            obj.__doc__ = doc
        return obj
