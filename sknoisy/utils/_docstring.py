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


def _source_docstring(path, class_name):
    """The docstring of ``class_name`` read from the source file ``path``."""
    import ast

    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            return ast.get_docstring(node, clean=False)
    return None


class _SkorchDocFinder:
    """One-shot import hook: give ``skorch.net.NeuralNet`` its docstring back.

    skorch builds the docstrings of ``NeuralNetClassifier`` and its siblings
    from ``NeuralNet.__doc__`` when their modules are imported; under
    ``python -OO`` that is ``None`` and ``import skorch`` fails. The hook runs
    ``skorch.net`` as usual, then sets ``NeuralNet.__doc__`` from the source
    file, which ``-OO`` leaves alone.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "skorch.net":
            return None
        import sys
        from importlib.machinery import PathFinder

        sys.meta_path.remove(self)
        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not spec.origin:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            net = getattr(module, "NeuralNet", None)
            if net is not None and net.__doc__ is None:
                net.__doc__ = _source_docstring(spec.origin, "NeuralNet")

        spec.loader.exec_module = exec_module
        return spec


def _survive_stripped_docstrings():
    """Let ``import skorch`` work under ``python -OO`` (see _SkorchDocFinder)."""
    import sys

    if sys.flags.optimize >= 2 and "skorch" not in sys.modules:
        sys.meta_path.insert(0, _SkorchDocFinder())
