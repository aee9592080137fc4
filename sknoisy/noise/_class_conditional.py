"""Class-conditional noise: symmetric, asymmetric (pair) and transition-matrix."""

import numbers

import numpy as np

from ..utils._compat import Interval, StrOptions
from ._base import (
    BaseNoise,
    _class_groups,
    _fill_doc,
    _select,
)
from ._presets import (
    MAPPING_PRESETS,
    check_transition_matrix,
    fixed_preset_classes,
    preset_targets,
)


@_fill_doc
class SymmetricNoise(BaseNoise):
    """Symmetric (uniform) label noise.

    Each label is corrupted with probability ``rate``. Two conventions exist:

    - ``flip_to="other"`` (default): the label moves to a *different* class drawn
      uniformly, ``T = (1 - r) I + r / (c - 1) (1 - I)``; the realized noise rate
      is ``rate``. This is the "uniform noise" of Zhang & Sabuncu (GCE) and of
      most later papers.
    - ``flip_to="any"``: the label is replaced by a class drawn uniformly from all
      ``c`` classes, which may be the true one, ``T = (1 - r) I + r / c``; the
      realized noise rate is ``rate * (c - 1) / c``. This is the convention of
      Tanaka et al. (joint optimization) and Patrini et al.

    Parameters
    ----------
    rate : float, default=0.2
        Probability ``r`` that a label is corrupted, in [0, 1].

    flip_to : {"other", "any"}, default="other"
        Where a corrupted label goes: a different class (``"other"``) or any
        class including the true one (``"any"``).

    {exact}

    {classes}

    {random_state}

    {attributes_section}

    See Also
    --------
    TransitionMatrixNoise : Noise from any transition matrix.
    symmetric_transition_matrix : The expected matrix of this noise.

    References
    ----------
    Z. Zhang and M. R. Sabuncu, "Generalized Cross Entropy Loss for Training Deep
    Neural Networks with Noisy Labels", NeurIPS 2018.

    D. Tanaka et al., "Joint Optimization Framework for Learning with Noisy
    Labels", CVPR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.noise import SymmetricNoise
    >>> X, y = np.zeros((30, 2)), np.repeat([0, 1, 2], 10)
    >>> noise = SymmetricNoise(rate=0.2, exact=True, random_state=0)
    >>> X_res, y_noisy = noise.fit_resample(X, y)
    >>> X_res is X, noise.noise_rate_, int((y_noisy != y).sum())
    (True, 0.2, 6)
    """

    _parameter_constraints: dict = {
        **BaseNoise._parameter_constraints,
        "rate": [Interval(numbers.Real, 0, 1, closed="both")],
        "flip_to": [StrOptions({"other", "any"})],
        "exact": ["boolean"],
    }

    def __init__(
        self, rate=0.2, *, flip_to="other", exact=False, classes=None, random_state=None
    ):
        self.rate = rate
        self.flip_to = flip_to
        self.exact = exact
        super().__init__(classes=classes, random_state=random_state)

    def _fit_resample(self, X, y, rng):
        c = len(self.classes_)
        if self.exact:
            touched = _select(y, np.full(c, self.rate), True, rng)
        else:
            touched = rng.random(len(y), dtype=np.float32) < self.rate
        idx = np.flatnonzero(touched)  # faster than boolean-mask indexing
        dtype = np.int16 if c < 2**14 else np.int64  # narrow: less memory traffic
        draw = rng.integers(0 if self.flip_to == "any" else 1, c, idx.size, dtype)
        if self.flip_to == "other":  # a uniform offset in 1..c-1: another class
            draw += y[idx]
            draw %= c
        noisy = y.copy()
        noisy[idx] = draw
        return noisy


@_fill_doc
class AsymmetricNoise(BaseNoise):
    """Class-dependent label noise: ``true -> mapping[true]`` with probability ``rate``.

    Classes that are not keys of the mapping (or map to themselves) keep their
    labels.

    Parameters
    ----------
    rate : float, default=0.2
        Flip probability of every mapped class, in [0, 1].

    mapping : dict or str, default="pair"
        ``{true label: noisy label}`` over the labels of ``y``, or a preset:

        - ``"pair"``: pair flip of Co-teaching, ``i -> i + 1 mod c`` over the
          positions of the sorted ``classes_``.
        - ``"cifar10"``: truck -> automobile, bird -> airplane, deer -> horse,
          cat <-> dog (Zhang & Sabuncu; Tanaka et al.; Patrini et al.). Works with
          the CIFAR-10 indices 0..9 (0 airplane, 1 automobile, 2 bird, 3 cat,
          4 deer, 5 dog, 6 frog, 7 horse, 8 ship, 9 truck) or the class names.
        - ``"mnist"``: 2 -> 7, 3 -> 8, 5 <-> 6, 7 -> 1 (Patrini et al.); labels
          0..9 or the strings "0".."9".
        - ``"cifar100_blocks"``: the next class, circularly, within each block of
          5 consecutive class positions (0->1->2->3->4->0, 5->6->...). This is what
          Patrini et al.'s code does; it is *not* the super-class structure.
        - ``"cifar100_superclass"``: the next fine class (in index order),
          circularly, within each of the 20 CIFAR-100 super-classes, as the papers
          describe it; labels 0..99 or the fine class names.

        The fixed presets (cifar10, mnist, cifar100_superclass) use the whole data
        set's classes as ``classes_`` when ``classes`` is None.

    {exact}

    {classes}

    {random_state}

    Attributes
    ----------
    mapping_ : dict
        The mapping applied, ``{true label: noisy label}``, classes that flip only.

    {attributes}

    See Also
    --------
    TransitionMatrixNoise : Noise from any transition matrix.

    References
    ----------
    G. Patrini et al., "Making Deep Neural Networks Robust to Label Noise: a Loss
    Correction Approach", CVPR 2017.

    B. Han et al., "Co-teaching: Robust Training of Deep Neural Networks with
    Extremely Noisy Labels", NeurIPS 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.noise import AsymmetricNoise
    >>> y = np.array(["cat", "dog", "truck", "ship"] * 5)
    >>> noise = AsymmetricNoise(rate=0.4, mapping="cifar10", exact=True,
    ...                         random_state=0)
    >>> _, y_noisy = noise.fit_resample(np.zeros((20, 1)), y)
    >>> sorted(set(zip(y[y != y_noisy].tolist(), y_noisy[y != y_noisy].tolist())))
    [('cat', 'dog'), ('dog', 'cat'), ('truck', 'automobile')]
    >>> noise.noise_rate_
    0.3
    """

    _parameter_constraints: dict = {
        **BaseNoise._parameter_constraints,
        "rate": [Interval(numbers.Real, 0, 1, closed="both")],
        "mapping": [dict, StrOptions(set(MAPPING_PRESETS))],
        "exact": ["boolean"],
    }

    def __init__(
        self, rate=0.2, mapping="pair", *, exact=False, classes=None, random_state=None
    ):
        self.rate = rate
        self.mapping = mapping
        self.exact = exact
        super().__init__(classes=classes, random_state=random_state)

    def _default_classes(self, y):
        if isinstance(self.mapping, str):
            return fixed_preset_classes(self.mapping, y)
        return None

    def _targets(self):
        if isinstance(self.mapping, str):
            return preset_targets(self.mapping, self.classes_)
        position = {label: i for i, label in enumerate(self.classes_.tolist())}
        targets = np.arange(len(position))
        for key, value in self.mapping.items():
            for label in (key, value):
                if label not in position:
                    raise ValueError(
                        f"mapping entry {key!r}: {value!r} uses {label!r}, which is "
                        f"not among the classes {list(position)[:10]}; pass "
                        "`classes` if y lacks it"
                    )
            targets[position[key]] = position[value]
        return targets

    def _fit_resample(self, X, y, rng):
        targets = self._targets()
        moves = targets != np.arange(len(targets))
        self.mapping_ = dict(
            zip(self.classes_[moves].tolist(), self.classes_[targets[moves]].tolist())
        )
        touched = _select(y, np.where(moves, float(self.rate), 0.0), self.exact, rng)
        return np.where(touched, targets[y], y)


@_fill_doc
class TransitionMatrixNoise(BaseNoise):
    """Label noise drawn from a row-stochastic transition matrix.

    A sample of class ``i`` gets the noisy label ``j`` with probability
    ``matrix[i, j]`` (classes in the sorted order of ``classes_``).

    Note the convention: sknoisy's ``matrix[i, j] = P(noisy = j | true = i)``
    (rows sum to 1); cleanlab's ``noise_matrix`` is the transpose. Use
    :func:`from_cleanlab_noise_matrix` to convert.

    Parameters
    ----------
    matrix : array-like of shape (n_classes, n_classes) or callable, default=None
        Non-negative, rows summing to 1 (tolerance 1e-6), one row and column per
        class of ``classes_``. A callable is called with ``n_classes`` and must
        return such a matrix (e.g. ``functools.partial(symmetric_transition_matrix,
        rate=0.3)``). Required: fitting with None raises a ValueError.

    exact : bool, default=False
        If False, every sample's noisy label is drawn independently from its row.
        If True, class ``i`` sends exactly ``n_i * matrix[i, j]`` samples to each
        class ``j``, rounded by largest remainder so that every row sums to ``n_i``;
        which samples go where is random.

    {classes}

    {random_state}

    {attributes_section}

    See Also
    --------
    SymmetricNoise, AsymmetricNoise : Special cases with their own options.

    References
    ----------
    G. Patrini et al., "Making Deep Neural Networks Robust to Label Noise: a Loss
    Correction Approach", CVPR 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.noise import TransitionMatrixNoise
    >>> T = [[0.8, 0.2], [0.0, 1.0]]
    >>> noise = TransitionMatrixNoise(T, exact=True, random_state=0)
    >>> _, y_noisy = noise.fit_resample(np.zeros((20, 1)), np.repeat([0, 1], 10))
    >>> noise.transition_matrix_
    array([[0.8, 0.2],
           [0. , 1. ]])
    """

    _parameter_constraints: dict = {
        **BaseNoise._parameter_constraints,
        "matrix": ["array-like", callable, None],
        "exact": ["boolean"],
    }

    def __init__(self, matrix=None, *, exact=False, classes=None, random_state=None):
        self.matrix = matrix
        self.exact = exact
        super().__init__(classes=classes, random_state=random_state)

    def _fit_resample(self, X, y, rng):
        c = len(self.classes_)
        if self.matrix is None:
            raise ValueError("matrix must be given, got None")
        matrix = self.matrix(c) if callable(self.matrix) else self.matrix
        T = check_transition_matrix(matrix, c)
        if self.exact:
            counts = np.bincount(y, minlength=c)
            raw = counts[:, None] * T
            cells = np.floor(raw).astype(np.intp)
            missing = counts - cells.sum(axis=1)
            rank = np.empty_like(cells)
            rank[np.arange(c)[:, None], np.argsort(cells - raw, axis=1)] = np.arange(c)
            cells += rank < missing[:, None]
            noisy = np.empty_like(y)
            for k, idx in enumerate(_class_groups(y, c)):
                noisy[rng.permutation(idx)] = np.repeat(np.arange(c), cells[k])
            return noisy
        u = rng.random(len(y))
        cum = np.cumsum(T, axis=1)
        cum /= cum[:, -1:]
        noisy = np.empty_like(y)
        for k, idx in enumerate(_class_groups(y, c)):
            noisy[idx] = np.searchsorted(cum[k], u[idx], side="right")
        return noisy
