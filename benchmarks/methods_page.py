"""Write the tables and plot of docs/which_method.rst from bench_methods' results.

Usage::

    python benchmarks/methods_page.py benchmarks/results/methods.json \\
        benchmarks/results/methods_mnist1d.json

writes ``docs/which_method_table.rst`` (included by ``docs/which_method.rst``)
and ``docs/_static/which_method.png``; ``--rst`` and ``--png`` choose other
paths. Every number on the page comes from the json files: the mean over the
seeds of each cell, and, per method, the mean fit time and peak memory.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict

import numpy as np

LABELS = {
    "ce": "CE",
    "gce": "GCE",
    "truncated_gce": "trunc. GCE",
    "correction": "soft correction (default)",
    "elr": "ELR",
    "coteaching": "co-teaching",
    "coteaching_true": "co-teaching, true rate",
    "forward": "forward",
    "forward_true": "forward, true matrix",
    "backward": "backward",
    "backward_true": "backward, true matrix",
    "cleanlab": "cleanlab CleanLearning",
}
ORDER = list(LABELS)


def load(paths):
    runs = []
    for path in paths:
        with open(path) as f:
            runs.extend(json.load(f)["runs"])
    return runs


def cell_key(run):
    return (run["dataset"], run["imbalance"], run["noise"], run["rate"])


def summarise(runs, metric="accuracy"):
    """``{cell: {method: (mean, n)}}`` of ``metric`` over the seeds."""
    groups = defaultdict(lambda: defaultdict(list))
    for run in runs:
        for method in ORDER:
            if method in run:
                groups[cell_key(run)][method].append(run[method][metric])
    return {
        cell: {m: (float(np.mean(v)), len(v)) for m, v in methods.items()}
        for cell, methods in groups.items()
    }


def _cell_name(cell):
    dataset, imbalance, noise, rate = cell
    extra = "" if imbalance == "none" else f" ({imbalance})"
    return f"{dataset}{extra}, {noise} {rate:g}"


def _table(header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = "  ".join("=" * w for w in widths)
    out = [line, "  ".join(str(h).ljust(w) for h, w in zip(header, widths)), line]
    out += [
        "  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip() for row in rows
    ]
    return "\n".join([*out, line])


def _fmt(value, best):
    text = f"{value:.3f}"
    return f"**{text}**" if value >= best - 1e-9 else text


def accuracy_table(summary, metric_name):
    cells = sorted(summary)
    methods = [m for m in ORDER if any(m in summary[c] for c in cells)]
    header = ["method", *[_cell_name(c) for c in cells]]
    rows = []
    best = {c: max(v[0] for v in summary[c].values()) for c in cells}
    for m in methods:
        row = [LABELS[m]]
        for c in cells:
            row.append(_fmt(summary[c][m][0], best[c]) if m in summary[c] else "-")
        rows.append(row)
    seeds = sorted({n for c in cells for _, n in summary[c].values()})
    title = f"Mean {metric_name} on clean test labels over {'/'.join(map(str, seeds))}"
    return f"{title} seeds (bold: the best of the column).\n\n" + _table(header, rows)


def cost_table(runs):
    by_data = defaultdict(lambda: defaultdict(lambda: ([], [])))
    for run in runs:
        for m in ORDER:
            if m in run:
                by_data[run["dataset"]][m][0].append(run[m]["seconds"])
                by_data[run["dataset"]][m][1].append(run[m]["peak_mib"])
    header = ["method"]
    datasets = sorted(by_data)
    for d in datasets:
        header += [f"{d} fit s", f"{d} peak MiB"]
    rows = []
    for m in ORDER:
        if not any(m in by_data[d] for d in datasets):
            continue
        row = [LABELS[m]]
        for d in datasets:
            if m in by_data[d]:
                sec, mib = by_data[d][m]
                row += [f"{np.mean(sec):.1f}", f"{np.mean(mib):.1f}"]
            else:
                row += ["-", "-"]
        rows.append(row)
    return (
        "Mean fit time (seconds, one CPU thread) and peak memory of the fit "
        "(resident set size above the start, MiB) over every run.\n\n"
        + _table(header, rows)
    )


def where_correction_loses(summary, margin=0.005):
    lines = []
    for cell in sorted(summary):
        methods = summary[cell]
        if "correction" not in methods:
            continue
        own = methods["correction"][0]
        better = sorted(
            (
                (v[0], m)
                for m, v in methods.items()
                if m != "correction" and not m.endswith("_true") and v[0] > own + margin
            ),
            reverse=True,
        )
        if better:
            names = ", ".join(f"{LABELS[m]} {v:.3f}" for v, m in better)
            lines.append(
                f"- {_cell_name(cell)}: soft correction {own:.3f}; better: {names}."
            )
    if not lines:
        return "The default soft correction is within 0.005 of the best method "
    return (
        "Cells where a method that needs no oracle beats the default soft "
        f"correction by more than {margin}:\n\n" + "\n".join(lines)
    )


def acceptance(summary):
    lines = []
    for cell in sorted(summary):
        m = summary[cell]
        if cell[1] != "none" or cell[3] != 0.4:
            continue
        if "coteaching" in m and "coteaching_true" in m:
            d = m["coteaching"][0] - m["coteaching_true"][0]
            lines.append(
                f"- {_cell_name(cell)}: co-teaching (estimated rate) minus "
                f"co-teaching (true rate): {d:+.3f}"
            )
        if cell[2] == "pair" and {"forward", "forward_true", "ce"} <= set(m):
            lines.append(
                f"- {_cell_name(cell)}: forward (estimated) minus CE: "
                f"{m['forward'][0] - m['ce'][0]:+.3f}; forward (estimated) minus "
                f"forward (true matrix): "
                f"{m['forward'][0] - m['forward_true'][0]:+.3f}"
            )
    return "\n".join(lines)


def plot(summary, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = sorted(summary)
    methods = [m for m in ORDER if any(m in summary[c] for c in cells)]
    fig, ax = plt.subplots(figsize=(max(9, 1.3 * len(cells) + 2.5), 4.5))
    width = 0.8 / len(methods)
    cmap = plt.get_cmap("tab20")
    for i, m in enumerate(methods):
        xs = [j + i * width for j, c in enumerate(cells) if m in summary[c]]
        ys = [summary[c][m][0] for c in cells if m in summary[c]]
        ax.bar(xs, ys, width, label=LABELS[m], color=cmap(i))
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(cells))])
    ax.set_xticklabels([_cell_name(c) for c in cells], rotation=30, ha="right")
    ax.set_ylabel("test accuracy (clean labels)")
    low = min(v[0] for c in cells for v in summary[c].values())
    ax.set_ylim(max(0.0, low - 0.05), 1.0)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", nargs="+")
    parser.add_argument("--rst", default="docs/which_method_table.rst")
    parser.add_argument("--png", default="docs/_static/which_method.png")
    args = parser.parse_args(argv)
    runs = load(args.results)
    summary = summarise(runs)
    parts = [
        ".. Generated by benchmarks/methods_page.py from "
        + ", ".join(args.results)
        + "; do not edit.",
        accuracy_table(summary, "accuracy"),
        accuracy_table(summarise(runs, "balanced_accuracy"), "balanced accuracy"),
        accuracy_table(summarise(runs, "worst_recall"), "worst-class recall"),
        cost_table(runs),
        where_correction_loses(summary),
        "The issue's acceptance cells:\n\n" + acceptance(summary),
    ]
    with open(args.rst, "w") as f:
        f.write("\n\n".join(parts) + "\n")
    plot(summary, args.png)
    print(f"wrote {args.rst} and {args.png}")


if __name__ == "__main__":
    main()
