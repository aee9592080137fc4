"""Reports of a benchmark on a user's data file: tables, histogram, files."""

from __future__ import annotations

import json

import numpy as np

from ._report import environment_versions, output_paths, rst_table, write_csv

__all__ = ["format_report", "save_data_file_results", "summarize_runs"]

# Columns of runs.csv, in order.
RUN_FIELDS = (
    "dataset",
    "method",
    "seed",
    "max_epochs",
    "n_train",
    "n_test",
    "heldout_accuracy",
    "n_label_issues",
    "label_issue_share",
    "fit_seconds",
    "correction_warning",
)
NO_CLEAN_LABELS = (
    "Accuracy on clean labels: not measured. It needs clean labels, and this "
    "file's labels are noisy."
)
_BAR = 40


def _cell(mean, std, n, fmt="{:.3f}"):
    """``mean ± std``, or the mean alone for a single run."""
    if mean is None:
        return "n/a"
    if n < 2:
        return fmt.format(mean)
    return f"{fmt.format(mean)} ± {fmt.format(std)}"


def _stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None, None, 0
    return float(np.mean(values)), float(np.std(values)), len(values)


def summarize_runs(runs):
    """One dict per method: means and stds over its seeds.

    Keys: ``method``, ``n_seeds``, ``corrects_labels``, ``heldout_accuracy``,
    ``n_label_issues`` and ``label_issue_share`` (each a ``(mean, std, n)``
    triple over the runs where it applies), ``fit_seconds`` (mean),
    ``n_not_started`` (correcting runs whose correction never started) and
    ``n_warnings`` (runs with a CorrectionWarning).
    """
    summary = []
    for method in dict.fromkeys(r["method"] for r in runs):
        part = [r for r in runs if r["method"] == method]
        corrects = any(r["corrects_labels"] for r in part)
        summary.append(
            {
                "method": method,
                "n_seeds": len(part),
                "corrects_labels": corrects,
                "heldout_accuracy": _stats(r["heldout_accuracy"] for r in part),
                "n_label_issues": _stats(r["n_label_issues"] for r in part),
                "label_issue_share": _stats(r["label_issue_share"] for r in part),
                "fit_seconds": float(np.mean([r["fit_seconds"] for r in part])),
                "n_not_started": sum(
                    corrects and r["label_quality"] is None for r in part
                ),
                "n_warnings": sum(bool(r["correction_warning"]) for r in part),
            }
        )
    return summary


def _per_sample(runs, method, classes):
    """Seed-averaged label quality, majority issue flag and most-voted label."""
    kept = [r for r in runs if r["method"] == method and r["label_quality"] is not None]
    if not kept:
        return None
    quality = np.mean([r["label_quality"] for r in kept], axis=0)
    votes = np.zeros((len(quality), len(classes)))
    for r in kept:
        votes[
            np.arange(len(quality)), np.searchsorted(classes, r["corrected_labels"])
        ] += 1
    issues = np.mean([r["label_issues"] for r in kept], axis=0) > 0.5
    return {
        "n_runs": len(kept),
        "label_quality": quality,
        "corrected_label": classes[votes.argmax(axis=1)],
        "is_label_issue": issues,
    }


def _histogram(quality):
    counts, edges = np.histogram(quality, bins=np.linspace(0.0, 1.0, 11))
    top = max(int(counts.max()), 1)
    rows = ["label quality  samples"]
    for lo, hi, n in zip(edges[:-1], edges[1:], counts):
        bar = "#" * round(_BAR * n / top) or ("." if n else "")
        rows.append(f"{lo:.1f} - {hi:.1f}      {n:>7}  {bar}".rstrip())
    return "\n".join(rows)


def _data_line(data):
    classes = ", ".join(f"{c} ({n})" for c, n in data["classes"].items())
    if len(classes) > 200:
        classes = classes[:197] + "..."
    return (
        f"{data['name']}: {data['n_samples']} samples, {data['n_features']} "
        f"features, {len(data['classes'])} classes; labels from "
        f"{data['labels_from']}: {classes}.\n"
        "No noise injected: the labels are used as given. "
        + (
            f"Held out: {data['n_test']} samples ({data['test_size']:.0%}, "
            "stratified, random_state=0); "
            if data["n_test"]
            else "Nothing held out (test_size=0); "
        )
        + f"trained on {data['n_train']}, features standardised on them."
    )


def format_report(report):
    """The text printed by ``sknoisy benchmark --dataset FILE``.

    Parameters
    ----------
    report : dict
        Output of :func:`~sknoisy.benchmark.run_data_file`.

    Returns
    -------
    text : str
        What the data are; held-out accuracy on the given labels per method;
        the plain statement that clean-label accuracy needs clean labels; the
        label issues found by the label-correcting methods; and a histogram of
        the label quality of the training samples for each.
    """
    data, runs = report["data"], report["runs"]
    summary = summarize_runs(runs)
    n_seeds = max(s["n_seeds"] for s in summary)
    over = f"mean ± std over {n_seeds} seeds" if n_seeds > 1 else "one seed"
    blocks = [_data_line(data)]
    if data["n_test"]:
        rows = [
            [s["method"], _cell(*s["heldout_accuracy"]), f"{s['fit_seconds']:.2f}"]
            for s in summary
        ]
        blocks.append(
            f"{data['name']}: accuracy on the held-out given labels, {over}\n\n"
            + rst_table(["method", "held-out accuracy", "fit s"], rows)
            + "\n\nThe held-out labels are as noisy as the rest: a method that "
            "predicts the true class where the label is wrong is counted wrong."
        )
    blocks.append(NO_CLEAN_LABELS)
    correcting = [s for s in summary if s["corrects_labels"]]
    if not correcting:
        blocks.append(
            "Label issues: none of these methods corrects labels; add jo_soft, "
            "jo_hard or cleanlab to --methods to find them."
        )
        return "\n\n".join(blocks) + "\n"
    rows = []
    for s in correcting:
        count = _cell(*s["n_label_issues"], fmt="{:.1f}" if n_seeds > 1 else "{:.0f}")
        share = _cell(*s["label_issue_share"], fmt="{:.1%}")
        mark, of = "", f"of {s['n_seeds']} runs"
        if s["n_not_started"]:
            mark = f"! correction never started in {s['n_not_started']} {of}"
        elif s["n_warnings"]:
            mark = f"! correction ran short in {s['n_warnings']} {of}"
        rows.append([s["method"], count, share, mark])
    header = ["method", "issues", "share", "note"]
    if not any(row[-1] for row in rows):
        header, rows = header[:-1], [row[:-1] for row in rows]
    table = rst_table(header, rows)
    text = (
        f"Label issues among the {data['n_train']} training samples (the method's "
        f"corrected label differs from the given one), {over}\n\n{table}"
    )
    if any(s["n_warnings"] for s in correcting):
        text += (
            "\n\n! CorrectionWarning: raise --max-epochs (correction needs about "
            "correction_window=10 epochs after it starts); runs whose correction "
            "never started are left out."
        )
    blocks.append(text)
    classes = np.unique(data["train_labels"])
    for s in correcting:
        samples = _per_sample(runs, s["method"], classes)
        if samples is None:
            continue
        seeds = (
            f", mean over {samples['n_runs']} seeds" if samples["n_runs"] > 1 else ""
        )
        blocks.append(
            f"Label quality of the training samples, {s['method']} (probability "
            f"of the given label{seeds}; low: the given label is likely wrong)\n\n"
            + _histogram(samples["label_quality"])
        )
    return "\n\n".join(blocks) + "\n"


def _issues_rows(report):
    """Rows of label_issues.csv: one per training sample, lowest quality first."""
    data, runs = report["data"], report["runs"]
    classes = np.unique(data["train_labels"])
    columns = {"index": data["train_index"], "given_label": data["train_labels"]}
    first = None
    for method in dict.fromkeys(r["method"] for r in runs):
        samples = _per_sample(runs, method, classes)
        if samples is None:
            continue
        columns[f"{method}_label_quality"] = np.round(samples["label_quality"], 6)
        columns[f"{method}_corrected_label"] = samples["corrected_label"]
        columns[f"{method}_is_label_issue"] = samples["is_label_issue"]
        if first is None:
            first = samples["label_quality"]
    if first is None:
        return None, None
    order = np.argsort(first, kind="stable")
    rows = [{k: v[i].item() for k, v in columns.items()} for i in order]
    return list(columns), rows


def data_summary(info):
    """What a data file is, without its per-sample arrays (for results.json)."""
    return {k: v for k, v in info.items() if k not in ("train_index", "train_labels")}


def save_data_file_results(report, output):
    """Write ``runs.csv``, ``results.json``, ``report.txt`` and ``label_issues.csv``.

    ``label_issues.csv`` (when a label-correcting method found issues) has one
    row per training sample, lowest label quality first: ``index`` (the
    sample's 0-based position in the file, as :func:`pandas.read_csv` numbers
    the rows), ``given_label`` and, per correcting method, the seed-averaged
    ``<method>_label_quality``, the most-voted ``<method>_corrected_label`` and
    ``<method>_is_label_issue`` (flagged by more than half of the seeds).

    Parameters
    ----------
    report : dict
        Output of :func:`~sknoisy.benchmark.run_data_file`.
    output : str or path-like
        Folder, created if needed.

    Returns
    -------
    paths : dict
        ``{"csv", "json", "report"[, "issues"]}`` to the written paths.
    """
    paths = output_paths(output, report="report.txt")
    out = paths["json"].parent
    runs = report["runs"]
    write_csv(paths["csv"], RUN_FIELDS, runs)
    document = {
        "data": data_summary(report["data"]),
        "config": report["config"],
        "environment": environment_versions(),
        "runs": [{k: r.get(k) for k in RUN_FIELDS} for r in runs],
    }
    paths["json"].write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    paths["report"].write_text(format_report(report), encoding="utf-8")
    header, rows = _issues_rows(report)
    (out / "label_issues.csv").unlink(missing_ok=True)  # of an earlier run
    if rows is not None:
        paths["issues"] = out / "label_issues.csv"
        write_csv(paths["issues"], header, rows)
    return paths
