"""Reliability diagram of predicted probabilities."""

from __future__ import annotations

import numpy as np

from ..utils._docstring import Substitution
from ._calibration import (
    _PARAMS,
    _check_n_bins,
    expected_calibration_error,
    reliability_curve,
)

__all__ = ["plot_reliability_diagram"]


@Substitution(**_PARAMS)
def plot_reliability_diagram(
    y_true, y_proba, *, n_bins=15, labels=None, ax=None, label=None
):
    """Plot a reliability diagram: accuracy against confidence, per bin.

    One bar per non-empty confidence bin (:func:`reliability_curve`), as high
    as the bin's accuracy and as wide as the bin; a line with markers joins the
    points ``(mean confidence, accuracy)`` of the bins; the dashed diagonal is
    perfect calibration. Bars below the diagonal mean overconfidence, above it
    underconfidence. The legend gives the expected calibration error.

    Parameters
    ----------
    {binned_params}
    ax : matplotlib.axes.Axes, default=None
        Where to draw; ``None`` makes a new figure (without pyplot, so no
        backend is selected or changed).
    label : str, default=None
        Name of the model in the legend, followed by its ECE.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes drawn on.

    See Also
    --------
    reliability_curve : The values drawn.
    expected_calibration_error : The count-weighted gap to the diagonal.

    {ref_guo}

    Examples
    --------
    >>> from sknoisy.metrics import plot_reliability_diagram
    >>> y_true = [0, 1, 1, 0]
    >>> y_proba = [[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7]]
    >>> ax = plot_reliability_diagram(y_true, y_proba, n_bins=5, label="model")
    >>> len(ax.patches)  # one bar per non-empty bin
    3
    >>> ax.get_legend_handles_labels()[1]
    ['perfect calibration', 'model (ECE 0.250)']
    """
    n_bins = _check_n_bins(n_bins)
    confidence, accuracy, counts = reliability_curve(
        y_true, y_proba, n_bins=n_bins, labels=labels
    )
    ece = expected_calibration_error(y_true, y_proba, n_bins=n_bins, labels=labels)
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(4.8, 4.8), layout="constrained").add_subplot()
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    full = counts > 0
    name = f"ECE {ece:.3f}" if label is None else f"{label} (ECE {ece:.3f})"
    ax.plot([0, 1], [0, 1], ls="--", color="0.5", lw=1, label="perfect calibration")
    line = ax.plot(confidence[full], accuracy[full], marker="o", ms=4, label=name)[0]
    ax.bar(
        edges[:-1][full],
        accuracy[full],
        width=1.0 / n_bins,
        align="edge",
        color=line.get_color(),
        alpha=0.3,
        edgecolor=line.get_color(),
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("confidence (top-label probability)")
    ax.set_ylabel("accuracy")
    ax.legend(loc="upper left", fontsize="small")
    return ax
