"""How much the columns of a numeric array differ in scale."""

from __future__ import annotations

import warnings

import numpy as np

from ..exceptions import UnscaledInputWarning, _warn

__all__ = ["SPREAD_LIMIT", "column_scale_spread", "warn_unscaled"]

#: Ratio of the largest to the median column standard deviation above which
#: the columns count as unscaled. Raw ``load_wine`` is at about 440 and raw
#: ``load_breast_cancer`` far higher; standardized, min-max scaled and raw
#: ``load_digits`` (pixel counts 0-16) and MNIST-1D stay below 10.
SPREAD_LIMIT = 100.0

#: Rows read to measure the spread (evenly spaced; a memmap is not read whole).
_ROWS = 10000


def column_scale_spread(X):
    """Largest column standard deviation over the median one.

    Parameters
    ----------
    X : array-like
        The training inputs. Anything but a dense, 2-D, real-valued array
        (a Dataset, a dict, a sparse matrix, images) has no columns to
        compare.

    Returns
    -------
    spread : tuple of (float, int, float, float) or None
        ``(ratio, column, its std, median std)``, or None when X has no
        columns to compare (fewer than 2 with a non-zero spread).

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.utils._scale import column_scale_spread
    >>> X = np.c_[np.arange(10.0), 1000 * np.arange(10.0), np.arange(10.0)]
    >>> ratio, column, std, median = column_scale_spread(X)
    >>> round(ratio), column
    (1000, 1)
    >>> column_scale_spread(np.ones((3, 2, 2))) is None
    True
    """
    if not isinstance(X, np.ndarray) or X.ndim != 2 or X.dtype.kind not in "fiu":
        return None
    rows = X if len(X) <= _ROWS else X[np.linspace(0, len(X) - 1, _ROWS).astype(int)]
    with np.errstate(invalid="ignore", over="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column
        std = np.nanstd(np.asarray(rows, dtype=np.float64), axis=0)
    std = np.where(np.isfinite(std), std, 0.0)
    positive = std[std > 0]
    if len(positive) < 2:
        return None
    median = float(np.median(positive))
    column = int(np.argmax(std))
    top = float(std[column])
    return top / median, column, top, median


def warn_unscaled(X, what):
    """Warn (:class:`~sknoisy.exceptions.UnscaledInputWarning`) on unscaled X.

    ``what`` names the method whose results are at stake.
    """
    spread = column_scale_spread(X)
    if spread is None or spread[0] <= SPREAD_LIMIT:
        return
    ratio, column, top, median = spread
    _warn(
        f"The columns of X differ in scale by a factor of {ratio:.0f} (column "
        f"{column} has standard deviation {top:.3g}, the median column "
        f"{median:.3g}). A network trained on raw, unscaled columns learns "
        f"mostly from the largest ones, and {what} can then be worse than "
        "the given labels: scale X first, e.g. make_pipeline(StandardScaler(), "
        "NoisyLabelClassifier(...)).",
        UnscaledInputWarning,
    )
