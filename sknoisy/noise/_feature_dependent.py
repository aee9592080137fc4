"""Label noise that depends on the features: pseudo-label and instance-dependent.

The base class lives in ``sknoisy.noise._base`` and the class-conditional
injectors in ``sknoisy.noise._class_conditional``; all are re-exported by
:mod:`sknoisy.noise`.
"""

import numbers
import warnings

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.special import softmax
from scipy.stats import truncnorm
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_array, validate_data

from ..utils._compat import HasMethods, Interval
from ._base import BaseNoise, _class_groups, _fill_doc

__all__ = ["PseudoLabelNoise", "InstanceDependentNoise"]


@_fill_doc
class PseudoLabelNoise(BaseNoise):
    """Pseudo-label noise: labels replaced by the class of the sample's cluster.

    The noise of Tanaka et al.'s PL-CIFAR, made for any data:

    1. features: ``X`` flattened to 2-D, or ``feature_extractor(X)``;
    2. clustering: ``KMeans(n_clusters=n_classes, init="k-means++", n_init=1)``
       seeded from ``random_state``, or a clone of ``clusterer``;
    3. matching: clusters are matched one-to-one to classes by the Hungarian
       algorithm (:func:`scipy.optimize.linear_sum_assignment`) on the
       cluster x class contingency table, maximising agreement; with more clusters
       than classes, unmatched clusters take their majority label;
    4. corruption: only *candidates*, samples whose cluster class differs from
       their label, are changed (any other pick would be a no-op). With
       ``exact=False`` each candidate is replaced independently with probability
       ``min(1, rate * n / n_candidates)``, so the expected noise rate is
       ``min(rate, n_candidates / n)``; with ``exact=True`` exactly
       ``min(round(rate * n), n_candidates)`` candidates, drawn uniformly without
       replacement, are replaced (a total count, not per class: per-class counts
       would undo the structure). When there are fewer candidates than
       ``rate * n`` all of them are replaced and a UserWarning says the realized
       rate falls short.

    The noise is structured: it hits samples that lie in another class's cluster,
    the confusable ones, which makes it harder than symmetric noise.

    Parameters
    ----------
    rate : float, default=0.2
        Wanted fraction of changed labels, in [0, 1].

    feature_extractor : callable or transformer, default=None
        A callable is called as ``feature_extractor(X)``; an object with
        ``fit_transform`` is cloned and ``fit_transform(X)`` is used (to use an
        already fitted transformer, pass its ``transform`` method). The result is
        flattened to 2-D. None clusters ``X`` itself.

    clusterer : estimator, default=None
        Clustering estimator with ``fit_predict`` or ``fit`` and ``labels_``; cloned
        and, if its ``random_state`` is None, seeded from ``random_state``. None
        means k-means++ with ``n_classes`` clusters.

    exact : bool, default=False
        Replace an exact total count instead of independent coin flips (see above).

    {classes}

    {random_state}

    Attributes
    ----------
    pseudo_labels_ : ndarray of shape (n_samples,)
        Class of every sample's cluster, in the labels of ``classes_``.

    {attributes}

    See Also
    --------
    InstanceDependentNoise : Another feature-dependent noise.

    References
    ----------
    D. Tanaka et al., "Joint Optimization Framework for Learning with Noisy
    Labels", CVPR 2018.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sknoisy.noise import PseudoLabelNoise
    >>> X, y = make_blobs(300, centers=3, cluster_std=4.0, random_state=0)
    >>> noise = PseudoLabelNoise(rate=0.1, exact=True, random_state=0)
    >>> _, y_noisy = noise.fit_resample(X, y)
    >>> noise.noise_rate_
    0.1
    >>> flipped = noise.noise_mask_
    >>> bool((y_noisy[flipped] == noise.pseudo_labels_[flipped]).all())
    True
    """

    _uses_features = True
    _parameter_constraints: dict = {
        **BaseNoise._parameter_constraints,
        "rate": [Interval(numbers.Real, 0, 1, closed="both")],
        "feature_extractor": [callable, HasMethods(["fit_transform"]), None],
        "clusterer": [HasMethods(["fit"]), None],
        "exact": ["boolean"],
    }

    def __init__(
        self,
        rate=0.2,
        *,
        feature_extractor=None,
        clusterer=None,
        exact=False,
        classes=None,
        random_state=None,
    ):
        self.rate = rate
        self.feature_extractor = feature_extractor
        self.clusterer = clusterer
        self.exact = exact
        super().__init__(classes=classes, random_state=random_state)

    def _check_X(self, X):
        if self.feature_extractor is None:
            return super()._check_X(X)
        X = validate_data(
            self, X, accept_sparse=True, dtype=None, ensure_2d=False, allow_nd=True
        )
        extractor = self.feature_extractor
        if hasattr(extractor, "fit_transform"):
            features = clone(extractor).fit_transform(X)
        else:
            features = extractor(X)
        features = check_array(features, accept_sparse=True, allow_nd=True)
        if features.ndim > 2:
            features = features.reshape(features.shape[0], -1)
        return features

    def _cluster(self, X, rng):
        seed = int(rng.integers(np.iinfo(np.int32).max))
        if self.clusterer is None:
            clusterer = KMeans(len(self.classes_), n_init=1, random_state=seed)
        else:
            clusterer = clone(self.clusterer)
            if clusterer.get_params().get("random_state", 0) is None:
                clusterer.set_params(random_state=seed)
        if hasattr(clusterer, "fit_predict"):
            return np.asarray(clusterer.fit_predict(X))
        return np.asarray(clusterer.fit(X).labels_)

    def _fit_resample(self, X, y, rng):
        c, n = len(self.classes_), len(y)
        _, clusters = np.unique(self._cluster(X, rng), return_inverse=True)
        k = clusters.max() + 1
        table = np.bincount(clusters * c + y, minlength=k * c).reshape(k, c)
        cluster_class = table.argmax(axis=1)
        rows, cols = linear_sum_assignment(table, maximize=True)
        cluster_class[rows] = cols
        pseudo = cluster_class[clusters]
        self.pseudo_labels_ = self.classes_[pseudo]

        candidates = np.flatnonzero(pseudo != y)
        wanted = int(round(self.rate * n))
        if candidates.size < wanted:
            warnings.warn(
                f"PseudoLabelNoise: only {candidates.size} of {n} samples "
                f"({candidates.size / n:.3f}) lie in a cluster of another class, so "
                f"the noise rate stays below rate={self.rate}",
                UserWarning,
            )
        if self.exact:
            chosen = rng.choice(candidates, min(wanted, candidates.size), replace=False)
        else:
            p = min(1.0, self.rate * n / candidates.size) if candidates.size else 0.0
            chosen = candidates[rng.random(candidates.size) < p]
        noisy = y.copy()
        noisy[chosen] = pseudo[chosen]
        return noisy


@_fill_doc
class InstanceDependentNoise(BaseNoise):
    """Instance-dependent label noise (Xia et al., 2020; the common IDN generator).

    Algorithm, for ``n`` samples, ``d`` features and ``c`` classes:

    1. per-sample flip rates ``q_i`` are drawn from a normal with mean ``rate`` and
       standard deviation ``std`` truncated to [0, 1]
       (:func:`scipy.stats.truncnorm`; ``std=0`` gives ``q_i = rate``);
    2. for every class ``k`` a matrix ``W_k`` of shape ``(d, c)`` with standard
       normal entries is drawn;
    3. a sample ``x_i`` of given class ``y_i`` is normalised, ``x_i / ||x_i||``
       (``X`` flattened to 2-D), and scored, ``s_i = x_i W_{y_i} / ||x_i||``;
    4. ``s_i[y_i] = -inf``; the row ``p_i = q_i softmax(s_i)`` gets
       ``p_i[y_i] = 1 - q_i``;
    5. the noisy label is drawn from ``p_i``.

    The flip rate varies per sample and the wrong class depends on the sample.
    The expected noise rate is the mean of the truncated normal: ``rate`` unless
    ``rate`` is within about ``2 * std`` of 0 or 1 (e.g. ``rate=0`` with
    ``std=0.1`` still flips about 8% of the labels; use ``std=0`` there).

    Parameters
    ----------
    rate : float, default=0.2
        Mean flip rate, in [0, 1].

    std : float, default=0.1
        Standard deviation of the per-sample flip rate before truncation, >= 0.

    {classes}

    {random_state}

    Attributes
    ----------
    flip_rates_ : ndarray of shape (n_samples,)
        The per-sample flip probabilities ``q_i``.

    {attributes}

    See Also
    --------
    PseudoLabelNoise : Feature-dependent noise from clusters.

    References
    ----------
    X. Xia et al., "Part-dependent Label Noise: Towards Instance-dependent Label
    Noise", NeurIPS 2020.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknoisy.noise import InstanceDependentNoise
    >>> X, y = load_digits(return_X_y=True)
    >>> noise = InstanceDependentNoise(rate=0.3, random_state=0)
    >>> _, y_noisy = noise.fit_resample(X, y)
    >>> abs(noise.noise_rate_ - 0.3) < 0.05
    True
    """

    _uses_features = True
    _parameter_constraints: dict = {
        **BaseNoise._parameter_constraints,
        "rate": [Interval(numbers.Real, 0, 1, closed="both")],
        "std": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def __init__(self, rate=0.2, *, std=0.1, classes=None, random_state=None):
        self.rate = rate
        self.std = std
        super().__init__(classes=classes, random_state=random_state)

    def _fit_resample(self, X, y, rng):
        c, (n, d) = len(self.classes_), X.shape
        if self.std == 0:
            q = np.full(n, float(self.rate))
        else:
            a, b = (0 - self.rate) / self.std, (1 - self.rate) / self.std
            q = truncnorm.rvs(
                a, b, loc=self.rate, scale=self.std, size=n, random_state=rng
            )
        self.flip_rates_ = q
        u = rng.random(n)
        noisy = y.copy()
        for k, idx in enumerate(_class_groups(y, c)):
            W = rng.standard_normal((d, c))  # drawn for every class: same seed, same W
            if not idx.size:
                continue
            scores = np.asarray(normalize(X[idx].astype(np.float64)) @ W)
            scores[:, k] = -np.inf
            P = softmax(scores, axis=1) * q[idx, None]
            P[:, k] = 1 - q[idx]
            cum = np.cumsum(P, axis=1)
            cum /= cum[:, -1:]
            noisy[idx] = (cum <= u[idx, None]).sum(axis=1)
        return noisy
