"""Injectors by kind name: make_noise and corrupt_labels."""

import numpy as np
from sklearn.base import clone

from ..utils._compat import num_samples
from ._base import BaseNoise
from ._class_conditional import AsymmetricNoise, SymmetricNoise, TransitionMatrixNoise
from ._feature_dependent import InstanceDependentNoise, PseudoLabelNoise


def _kinds():
    """Injector classes by kind name."""
    return {
        "symmetric": SymmetricNoise,
        "asymmetric": AsymmetricNoise,
        "pair": AsymmetricNoise,
        "transition_matrix": TransitionMatrixNoise,
        "pseudo_label": PseudoLabelNoise,
        "instance_dependent": InstanceDependentNoise,
    }


def make_noise(kind, **params):
    """Build a noise injector from its kind name.

    Parameters
    ----------
    kind : {"symmetric", "asymmetric", "pair", "transition_matrix", \
"pseudo_label", "instance_dependent"}
        Injector class; ``"pair"`` is :class:`AsymmetricNoise` with
        ``mapping="pair"`` (i -> i + 1 mod c).
    **params : dict
        Parameters of the injector, e.g. ``rate=0.4, random_state=0``.

    Returns
    -------
    noise : BaseNoise
        Unfitted injector.

    Examples
    --------
    >>> from sknoisy.noise import make_noise
    >>> make_noise("pair", rate=0.45)
    AsymmetricNoise(rate=0.45)
    """
    if kind not in _kinds():
        raise ValueError(f"kind must be one of {sorted(_kinds())}, got {kind!r}")
    if kind == "pair":
        if params.setdefault("mapping", "pair") != "pair":
            raise ValueError("kind='pair' fixes mapping='pair'; use kind='asymmetric'")
    return _kinds()[kind](**params)


def corrupt_labels(y, kind="symmetric", rate=None, random_state=None, X=None, **params):
    """Return a noisy copy of ``y``; the functional form of the injectors.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Given labels; not modified.
    kind : str or BaseNoise, default="symmetric"
        A kind accepted by :func:`make_noise`, or an injector (cloned first).
    rate : float, default=None
        Noise rate; None keeps the injector's default (or the instance's value).
    random_state : int, RandomState instance, Generator or None, default=None
        Seed; None keeps an instance's own ``random_state``.
    X : array-like, default=None
        Samples; required by "pseudo_label" and "instance_dependent".
    **params : dict
        Other parameters of the injector (``flip_to``, ``mapping``, ``matrix``,
        ``exact``, ...).

    Returns
    -------
    y_noisy : array-like of shape (n_samples,)
        Noisy labels, of the same kind as ``y``.

    Examples
    --------
    >>> from sknoisy.noise import corrupt_labels
    >>> y = [0, 1, 2, 3] * 5
    >>> y_noisy = corrupt_labels(y, "symmetric", rate=0.4, exact=True,
    ...                          random_state=0)
    >>> sum(a != b for a, b in zip(y, y_noisy))
    8
    """
    if rate is not None:
        params["rate"] = rate
    if random_state is not None or not isinstance(kind, BaseNoise):
        params["random_state"] = random_state
    if isinstance(kind, BaseNoise):
        noise = clone(kind).set_params(**params)
    else:
        noise = make_noise(kind, **params)
    if X is None:
        if noise._uses_features:
            raise ValueError(f"X is required for {type(noise).__name__}")
        X = np.broadcast_to(np.int8(0), (num_samples(y), 1))  # no memory
    return noise.fit_resample(X, y)[1]
