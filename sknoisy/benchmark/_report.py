"""Reports of :func:`sknoisy.benchmark.run_benchmark`: summary, tables, plot, files."""

from __future__ import annotations

import csv
import json
import platform
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "RESULT_FIELDS",
    "format_table",
    "plot_results",
    "rst_table",
    "save_results",
    "summarize_results",
]

# Calibration metrics of the runs: key, name in the tables.
CALIBRATION_METRICS = (
    ("ece", "ECE"),
    ("nll", "NLL"),
    ("brier", "Brier"),
    ("confidence", "confidence"),
)
_CALIBRATION_KEYS = tuple(key for key, _ in CALIBRATION_METRICS)
_RECOVERY_KEYS = ("label_recovery", "noisy_label_recovery")
#: Columns of runs.csv, in order: the keys of a run's result.
RESULT_FIELDS = (
    *("dataset", "noise", "rate", "method", "seed", "max_epochs"),
    *("n_train", "n_test", "noise_rate", "test_accuracy"),
    *_CALIBRATION_KEYS,
    *_RECOVERY_KEYS,
    *("fit_seconds", "correction_warning"),
)
# Metrics averaged over seeds by summarize_results, in order.
_SUMMARY_METRICS = (
    "test_accuracy",
    *_CALIBRATION_KEYS,
    *_RECOVERY_KEYS,
    *("noise_rate", "fit_seconds"),
)


def _mean_std(values):
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return float(np.mean(values)), float(np.std(values))


def summarize_results(results):
    """Mean and standard deviation over seeds, per data set, noise, method, rate.

    Parameters
    ----------
    results : list of dict
        Output of :func:`run_benchmark`.

    Returns
    -------
    summary : list of dict
        One dict per ``(dataset, noise, method, rate)`` in first-seen order,
        with ``n_seeds`` and ``<metric>_mean`` / ``<metric>_std`` for
        ``test_accuracy``, ``ece``, ``nll``, ``brier``, ``confidence``,
        ``label_recovery``, ``noisy_label_recovery``, ``noise_rate`` and
        ``fit_seconds`` (population std, ``numpy.std``; ``None`` where the
        metric does not apply), and
        ``n_correction_warnings``: runs that raised a
        :class:`~sknoisy.exceptions.CorrectionWarning`. Their label recovery
        is left out of the recovery means (it would only count the labels the
        noise left alone).
    """
    groups = {}
    for r in results:
        key = (r["dataset"], r["noise"], r["method"], r["rate"])
        groups.setdefault(key, []).append(r)
    summary = []
    for (dataset, noise, method, rate), runs in groups.items():
        row = {
            "dataset": dataset,
            "noise": noise,
            "method": method,
            "rate": rate,
            "n_seeds": len(runs),
        }
        for metric in _SUMMARY_METRICS:
            # Recovery of a run whose correction never started (or was cut
            # short) is the share of labels the noise left alone: left out.
            kept = runs
            if metric in _RECOVERY_KEYS:
                kept = [r for r in runs if not r.get("correction_warning")]
            mean, std = _mean_std([r.get(metric) for r in kept])
            row[f"{metric}_mean"], row[f"{metric}_std"] = mean, std
        row["n_correction_warnings"] = sum(
            bool(r.get("correction_warning")) for r in runs
        )
        summary.append(row)
    return summary


def rst_table(header, rows):
    """A reStructuredText "simple table", readable on a terminal.

    Parameters
    ----------
    header : sequence
        The column names.
    rows : sequence of sequence
        The rows, one cell per column (any value; ``str`` is applied).

    Returns
    -------
    table : str
        Columns left-aligned and separated by two spaces, between rules of
        ``=``; no trailing newline.

    Examples
    --------
    >>> from sknoisy.benchmark import rst_table
    >>> print(rst_table(["method", "accuracy"], [["ce", 0.9]]))
    ======  ========
    method  accuracy
    ======  ========
    ce      0.9
    ======  ========
    """
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    rule = "  ".join("=" * w for w in widths)

    def line(cells):
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()

    return "\n".join([rule, line(header), rule, *map(line, rows), rule])


def _recovery_cell(s):
    """Label recovery, marked when some runs' correction did not run fully."""
    warned = s.get("n_correction_warnings", 0)
    n = s["n_seeds"] - warned
    if not warned:
        return _cell(s["label_recovery_mean"], s["label_recovery_std"], n)
    if warned == s["n_seeds"]:
        return "not corrected !"
    cell = _cell(s["label_recovery_mean"], s["label_recovery_std"], n)
    return f"{cell} ! ({warned}/{s['n_seeds']} left out)"


def _cell(mean, std, n=2):
    """``mean ± std`` over ``n`` runs; the mean alone for one run."""
    if mean is None:
        return "n/a"
    return f"{mean:.3f}" if n < 2 else f"{mean:.3f} ± {std:.3f}"


def _calibration_table(cells, methods, rates):
    """Rows ``metric, method, cells per rate``; "" when no run has the metrics."""
    rows = []
    for key, name in CALIBRATION_METRICS:
        for m in methods:
            row = [name, m]
            for r in rates:
                s = cells.get((m, r))
                row.append(
                    ""
                    if s is None
                    else _cell(s.get(f"{key}_mean"), s.get(f"{key}_std"), s["n_seeds"])
                )
            if any(cell not in ("", "n/a") for cell in row[2:]):
                rows.append(row)
    if not rows:
        return ""
    header = ["metric", "method", *(f"rate {r:g}" for r in rates)]
    return rst_table(header, rows)


def format_table(summary_or_results):
    """Text tables of a benchmark: accuracy, calibration, label recovery.

    The tables are reStructuredText "simple tables", readable on a terminal.

    Parameters
    ----------
    summary_or_results : list of dict
        Output of :func:`summarize_results` or :func:`run_benchmark`.

    Returns
    -------
    table : str
        For each data set and noise kind: test accuracy on the clean test
        labels (mean ± std over seeds; rows are methods, columns noise rates,
        the last column the mean fit time in seconds), the realized noise
        rate, the calibration of the predicted probabilities on the clean
        test labels (expected calibration error with 15 bins, negative
        log-likelihood, Brier score and mean confidence; one row per metric
        and method) and, for methods that correct labels, the label recovery.
    """
    summary = summary_or_results
    if summary and "n_seeds" not in summary[0]:
        summary = summarize_results(summary)
    blocks = []
    for dataset, noise in dict.fromkeys((s["dataset"], s["noise"]) for s in summary):
        part = [s for s in summary if (s["dataset"], s["noise"]) == (dataset, noise)]
        rates = sorted({s["rate"] for s in part})
        methods = list(dict.fromkeys(s["method"] for s in part))
        cells = {(s["method"], s["rate"]): s for s in part}
        n_seeds = max(s["n_seeds"] for s in part)
        header = ["method", *(f"rate {r:g}" for r in rates), "fit s"]
        rows = []
        for m in methods:
            fits = [cells[m, r]["fit_seconds_mean"] for r in rates if (m, r) in cells]
            row = [m]
            for r in rates:
                s = cells.get((m, r))
                row.append(
                    ""
                    if s is None
                    else _cell(
                        s["test_accuracy_mean"], s["test_accuracy_std"], s["n_seeds"]
                    )
                )
            rows.append([*row, f"{np.mean(fits):.2f}"])
        realized = []
        for r in rates:
            values = [
                cells[m, r]["noise_rate_mean"] for m in methods if (m, r) in cells
            ]
            realized.append(f"{np.mean(values):.3f}")
        rows.append(["(realized noise)", *realized, ""])
        title = f"{dataset}, {noise} noise: test accuracy on clean test labels, " + (
            f"mean ± std over {n_seeds} seeds" if n_seeds > 1 else "one seed"
        )
        blocks.append(title + "\n\n" + rst_table(header, rows))
        calibration = _calibration_table(cells, methods, rates)
        if calibration:
            title = (
                f"{dataset}, {noise} noise: calibration on clean test labels "
                "(ECE: expected calibration error, 15 bins; NLL: negative "
                "log-likelihood; Brier score; lower is better; confidence: "
                "mean top-label probability, above the accuracy = "
                "overconfident), "
                + (f"mean ± std over {n_seeds} seeds" if n_seeds > 1 else "one seed")
            )
            blocks.append(title + "\n\n" + calibration)
        correcting = [
            m
            for m in methods
            if any(
                cells[m, r]["label_recovery_mean"] is not None
                or cells[m, r].get("n_correction_warnings")
                for r in rates
                if (m, r) in cells
            )
        ]
        if correcting:
            rec_rows = []
            for m in correcting:
                row = [m]
                for r in rates:
                    s = cells.get((m, r))
                    row.append("" if s is None else _recovery_cell(s))
                rec_rows.append(row)
            title = (
                f"{dataset}, {noise} noise: label recovery "
                "(fraction of corrected labels equal to the clean training labels)"
            )
            if any(cells[k].get("n_correction_warnings") for k in cells):
                title += (
                    "; ! marks runs whose correction never started or ran for "
                    "fewer than correction_window epochs (CorrectionWarning), "
                    "left out of the mean"
                )
            header = ["method", *(f"rate {r:g}" for r in rates)]
            blocks.append(title + "\n\n" + rst_table(header, rec_rows))
    return "\n\n".join(blocks) + "\n"


def plot_results(summary_or_results, ax=None):
    """Plot test accuracy against noise rate, one line per method.

    Parameters
    ----------
    summary_or_results : list of dict
        Output of :func:`summarize_results` or :func:`run_benchmark` (one data
        set and noise kind).
    ax : matplotlib.axes.Axes, default=None
        Where to draw; ``None`` makes a new figure (without pyplot, so no
        backend is selected or changed).

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes, with error bars of one standard deviation over seeds.
    """
    summary = summary_or_results
    if summary and "n_seeds" not in summary[0]:
        summary = summarize_results(summary)
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(6.4, 4.4), layout="constrained").add_subplot()
    for method in dict.fromkeys(s["method"] for s in summary):
        part = sorted(
            (s for s in summary if s["method"] == method), key=lambda s: s["rate"]
        )
        ax.errorbar(
            [s["rate"] for s in part],
            [s["test_accuracy_mean"] for s in part],
            yerr=[s["test_accuracy_std"] for s in part],
            marker="o",
            capsize=3,
            label=method,
        )
    names = dict.fromkeys(f"{s['dataset']}, {s['noise']} noise" for s in summary)
    ax.set_title("; ".join(names))
    ax.set_xlabel("noise rate")
    ax.set_ylabel("test accuracy (clean labels)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return ax


def save_results(results, output, config=None):
    """Write a benchmark's runs, summary, table and plot to a folder.

    Parameters
    ----------
    results : list of dict
        Output of :func:`run_benchmark`.
    output : str or path-like
        Folder, created if needed. Files: ``runs.csv`` (one row per run),
        ``results.json`` (``config``, ``runs``, ``summary``, ``environment``),
        ``table.txt`` (:func:`format_table`) and ``accuracy.png``
        (:func:`plot_results`).
    config : dict, default=None
        Settings stored in ``results.json``.

    Returns
    -------
    paths : dict
        ``{"csv", "json", "table", "png"}`` to the written paths.
    """
    paths = output_paths(output, table="table.txt", png="accuracy.png")
    write_csv(paths["csv"], RESULT_FIELDS, results)
    summary = summarize_results(results)
    environment = {
        **environment_versions(),
        "machine": platform.machine(),
        "torch_threads": torch.get_num_threads(),
    }
    document = {
        "config": config or {},
        "environment": environment,
        "runs": results,
        "summary": summary,
    }
    paths["json"].write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    paths["table"].write_text(format_table(summary), encoding="utf-8")
    ax = plot_results(summary)
    ax.figure.savefig(paths["png"], dpi=120)
    return paths


def output_paths(output, **files):
    """Paths of the result files in the folder ``output``, which is created.

    ``{"csv": runs.csv, "json": results.json}`` and ``files`` (key -> name).
    """
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    files = {"csv": "runs.csv", "json": "results.json", **files}
    return {key: out / name for key, name in files.items()}


def write_csv(path, fields, rows):
    """Write ``rows`` (dicts) to a CSV file: the columns ``fields``, None as "".

    Keys of a row that are not in ``fields`` are left out.
    """
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: "" if r.get(k) is None else r[k] for k in fields})


def environment_versions():
    """Versions of sknoisy, torch, scikit-learn and Python, for result files."""
    import sklearn

    from .. import __version__

    return {
        "sknoisy": __version__,
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "python": platform.python_version(),
    }
