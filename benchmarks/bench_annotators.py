"""Several annotators: consensus, annotator quality and test accuracy.

For each data set, simulated panel (:class:`sknoisy.noise.AnnotatorPanel` on
the training labels) and seed, the training samples get the panel's votes
``A`` (one column per annotator, missing where an annotator did not label a
sample). Compared:

- ``majority``: the majority vote (ties to the lowest class);
- ``dawid_skene``: :func:`sknoisy.annotators.dawid_skene` on the votes alone;
- ``crowdlab``: cleanlab's CROWDLAB,
  ``cleanlab.multiannotator.get_label_quality_multiannotator`` with 5-fold
  out-of-sample probabilities (stratified, shuffled) of
  ``NoisyLabelClassifier(label_correction="soft")`` trained on the majority
  votes;
- ``soft_mv``: ``NoisyLabelClassifier(label_correction="soft")`` trained on
  the majority votes (its ``corrected_labels_`` as its consensus);
- ``sknoisy``: ``NoisyLabelClassifier(annotators=True,
  label_correction="soft")`` trained on ``A``;
- ``sknoisy_plain``: ``NoisyLabelClassifier(annotators=True)`` (no
  correction: the Dawid–Skene soft labels are the targets).

Every network is the default MLP, 50 epochs, ``random_state=seed``. Test
accuracy of ``majority``, ``dawid_skene`` and ``crowdlab`` is that of
``NoisyLabelClassifier(label_correction="soft")`` trained on their consensus
labels. Measured per cell: consensus accuracy on the training samples
(against the true labels), Spearman correlation of the annotator quality
with the annotators' realised accuracies, test accuracy, balanced accuracy
and worst-class recall.

Usage::

    pip install cleanlab   # benchmark-only extra: pip install -e ".[benchmark]"
    OMP_NUM_THREADS=1 python benchmarks/bench_annotators.py \\
        --datasets digits-std mnist1d-std --seeds 0 1 2
    # panels, data and seeds the acceptance does not name:
    OMP_NUM_THREADS=1 python benchmarks/bench_annotators.py \\
        --datasets breast_cancer-std synthetic-std digits-std --seeds 5 6 \\
        --panels pair sparse random_confusion two_spammers \\
        --out benchmarks/results/annotators_extra.json
    # the unseen check before the one-coin shrinkage (wine):
    OMP_NUM_THREADS=1 python benchmarks/bench_annotators.py \\
        --datasets wine-std --seeds 7 8 \\
        --panels pair two_spammers random_answerer \\
        --out benchmarks/results/annotators_unseen.json \\
        --rst docs/annotators_unseen_table.rst

    # unseen after the one-coin shrinkage and hedged targets (iris; its
    # failure led to the prior shrinkage, so it is no longer unseen):
    OMP_NUM_THREADS=1 python benchmarks/bench_annotators.py \\
        --datasets iris-std --seeds 11 12 \\
        --panels pair two_spammers random_answerer \\
        --out benchmarks/results/annotators_iris.json \\
        --rst docs/annotators_iris_table.rst
    # (and --datasets classif6-std ... --out .../annotators_classif6.json
    #  --rst docs/annotators_classif6_table.rst)
    # unseen after the prior shrinkage and ConsensusWarning:
    OMP_NUM_THREADS=1 python benchmarks/bench_annotators.py \\
        --datasets breast_cancer-std synthetic-std --seeds 21 22 \\
        --panels random_answerer two_spammers partial \\
        --out benchmarks/results/annotators_final.json \\
        --rst docs/annotators_final_table.rst

    # small data over more seeds, then the last unseen check:
    OMP_NUM_THREADS=1 python benchmarks/bench_annotators.py \
        --datasets iris-std wine-std --seeds 13 14 15 16 17 18 19 20 \
        --panels random_answerer \
        --out benchmarks/results/annotators_small_seeds.json \
        --rst docs/annotators_small_seeds_table.rst
    OMP_NUM_THREADS=1 python benchmarks/bench_annotators.py \
        --datasets iris-std wine-std breast_cancer-std --seeds 41 42 43 \
        --panels random_answerer two_spammers \
        --out benchmarks/results/annotators_final2.json \
        --rst docs/annotators_final2_table.rst

After a change that only touches ``annotators=True`` with correction,
``--update sknoisy`` re-runs just that method on the cells of ``--out`` (the
same data, panels and seeds; the other methods' rows are kept) and rewrites
the json, the table and the checks::

    OMP_NUM_THREADS=1 python benchmarks/bench_annotators.py --update sknoisy \\
        --out benchmarks/results/annotators_extra.json \\
        --rst docs/annotators_extra_table.rst

(the same for ``annotators.json``, ``annotators_unseen.json``,
``annotators_classif6.json`` and ``annotators_iris.json`` with their
tables, as after the prior shrinkage).

Writes ``benchmarks/results/annotators.json`` (``--out``) and prints the
table of means over seeds with the acceptance checks; ``--rst
docs/annotators_table.rst`` also writes the docs' table (``--from-json
FILE --rst ...`` rewrites it from an earlier run without training).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from sknoisy import NoisyLabelClassifier
from sknoisy.annotators import dawid_skene, encode_votes, majority_vote
from sknoisy.benchmark import class_scores, load_split, text_table
from sknoisy.noise import AnnotatorPanel

#: The panels: AnnotatorPanel parameters. The first three are the issue's.
PANELS = {
    # every annotator labels every sample
    "all_label": {"n_annotators": 5, "accuracy": [0.85, 0.75, 0.65, 0.55, 0.45]},
    # each annotator labels 40% of the samples
    "partial": {
        "n_annotators": 5,
        "accuracy": [0.85, 0.75, 0.65, 0.55, 0.45],
        "coverage": 0.4,
    },
    # the panel: 5 annotators, each labels half, one answers at random
    "random_answerer": {
        "n_annotators": 5,
        "accuracy": [0.8, 0.7, 0.6, 0.5, 0.0],
        "coverage": 0.5,
        "spammers": 1,
    },
    # --- not named by the acceptance ---
    "pair": {
        "n_annotators": 4,
        "accuracy": [0.8, 0.7, 0.6, 0.5],
        "coverage": 0.6,
        "confusion": "pair",
    },
    "sparse": {
        "n_annotators": 12,
        "accuracy": np.linspace(0.9, 0.4, 12).round(3).tolist(),
        "coverage": 0.2,
    },
    "random_confusion": {
        "n_annotators": 6,
        "accuracy": [0.8, 0.7, 0.6, 0.55, 0.5, 0.45],
        "coverage": 0.5,
        "confusion": "random",
    },
    "two_spammers": {
        "n_annotators": 6,
        "accuracy": [0.75, 0.65, 0.55, 0.5, 0.0, 0.0],
        "coverage": 0.6,
        "spammers": 2,
    },
}
DEFAULT_PANELS = ["all_label", "partial", "random_answerer"]
METHODS = ["majority", "dawid_skene", "crowdlab", "soft_mv", "sknoisy", "sknoisy_plain"]


def _net(seed, **params):
    return NoisyLabelClassifier(random_state=seed, **params)


def _test_scores(clf, X_test, y_test):
    scores = class_scores(y_test, clf.predict(X_test))
    return {"test_accuracy": scores.pop("accuracy"), **scores}


def _spearman(estimate, truth):
    return float(spearmanr(estimate, truth).statistic)


def _crowdlab(X, codes, mv, n_classes, seed):
    from cleanlab.multiannotator import get_label_quality_multiannotator

    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    probs = cross_val_predict(
        _net(seed, label_correction="soft"), X, mv, cv=cv, method="predict_proba"
    )
    labels = np.where(codes >= 0, codes, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = get_label_quality_multiannotator(labels, probs, verbose=False)
    consensus = out["label_quality"]["consensus_label"].to_numpy()
    quality = out["annotator_stats"].sort_index()["annotator_quality"].to_numpy()
    return consensus, quality


OURS = {"sknoisy": {"label_correction": "soft"}, "sknoisy_plain": {}}


def rerun_ours(cell, methods):
    """Re-run ``methods`` (of ``OURS``) on an earlier run's cell, in place."""
    split, seed = cell["split"], cell["seed"]
    X_tr, X_te, y_tr, y_te = load_split(split, seed)
    panel = AnnotatorPanel(**PANELS[cell["panel"]], random_state=seed)
    _, A = panel.fit_resample(X_tr, y_tr)
    _, classes = encode_votes(A)
    y_codes = np.searchsorted(classes, y_tr)
    for method in methods:
        t0 = time.perf_counter()
        clf = _net(seed, annotators=True, **OURS[method]).fit(X_tr, A)
        consensus = np.searchsorted(classes, clf.consensus_labels_)
        row = {"consensus_accuracy": float(np.mean(consensus == y_codes))}
        row["spearman"] = _spearman(clf.annotator_quality_, panel.accuracy_)
        row.update(_test_scores(clf, X_te, y_te))
        row["seconds"] = time.perf_counter() - t0
        cell["methods"][method] = row
    return cell


def run_cell(split, panel_name, seed):
    X_tr, X_te, y_tr, y_te = load_split(split, seed)
    panel = AnnotatorPanel(**PANELS[panel_name], random_state=seed)
    _, A = panel.fit_resample(X_tr, y_tr)
    codes, classes = encode_votes(A)
    n_classes = len(classes)
    truth = panel.accuracy_
    y_codes = np.searchsorted(classes, y_tr)
    rows = {}

    def record(method, consensus, quality, clf, seconds):
        row = {"consensus_accuracy": float(np.mean(consensus == y_codes))}
        row["spearman"] = None if quality is None else _spearman(quality, truth)
        row.update(_test_scores(clf, X_te, y_te))
        row["seconds"] = seconds
        rows[method] = row

    t0 = time.perf_counter()
    mv_soft = majority_vote(codes, n_classes)
    mv = mv_soft.argmax(axis=1)
    seen = codes >= 0
    mv_quality = (codes == mv[:, None]).sum(0) / seen.sum(0)
    t1 = time.perf_counter()
    soft_mv = _net(seed, label_correction="soft").fit(X_tr, classes[mv])
    t_mv = time.perf_counter() - t1
    record("majority", mv, mv_quality, soft_mv, t1 - t0 + t_mv)
    soft_mv_consensus = np.searchsorted(classes, soft_mv.corrected_labels_)
    record("soft_mv", soft_mv_consensus, None, soft_mv, t_mv)

    t0 = time.perf_counter()
    ds = dawid_skene(codes, n_classes)
    ds_labels = ds.posterior.argmax(axis=1)
    clf = _net(seed, label_correction="soft").fit(X_tr, classes[ds_labels])
    record("dawid_skene", ds_labels, ds.accuracy, clf, time.perf_counter() - t0)

    t0 = time.perf_counter()
    cl_labels, cl_quality = _crowdlab(X_tr, codes, mv, n_classes, seed)
    clf = _net(seed, label_correction="soft").fit(X_tr, classes[cl_labels])
    record("crowdlab", cl_labels, cl_quality, clf, time.perf_counter() - t0)

    for method, params in (
        ("sknoisy", {"label_correction": "soft"}),
        ("sknoisy_plain", {}),
    ):
        t0 = time.perf_counter()
        clf = _net(seed, annotators=True, **params).fit(X_tr, A)
        consensus = np.searchsorted(classes, clf.consensus_labels_)
        record(method, consensus, clf.annotator_quality_, clf, time.perf_counter() - t0)
    return {
        "split": split,
        "panel": panel_name,
        "seed": seed,
        "true_accuracy": truth.tolist(),
        "coverage": panel.coverage_.tolist(),
        "vote_noise_rate": panel.noise_rate_,
        "methods": rows,
    }


def summarize(cells):
    """Means over seeds per (split, panel, method), and the acceptance checks."""
    groups = {}
    for cell in cells:
        groups.setdefault((cell["split"], cell["panel"]), []).append(cell)
    table, checks = [], []
    for (split, panel), group in groups.items():
        mean = {}
        for method in METHODS:
            rows = [c["methods"][method] for c in group]
            mean[method] = {
                key: (
                    None
                    if rows[0][key] is None
                    else float(np.mean([r[key] for r in rows]))
                )
                for key in rows[0]
            }
            m = mean[method]
            table.append(
                [
                    split,
                    panel,
                    method,
                    f"{m['consensus_accuracy']:.3f}",
                    "-" if m["spearman"] is None else f"{m['spearman']:.2f}",
                    f"{m['test_accuracy']:.3f}",
                    f"{m['balanced_accuracy']:.3f}",
                    f"{m['worst_recall']:.3f}",
                ]
            )
        ours = mean["sknoisy"]
        min_spearman = min(c["methods"]["sknoisy"]["spearman"] for c in group)
        checks.append(
            {
                "split": split,
                "panel": panel,
                "seeds": [c["seed"] for c in group],
                "consensus_vs_crowdlab": ours["consensus_accuracy"]
                - mean["crowdlab"]["consensus_accuracy"],
                "consensus_vs_majority": ours["consensus_accuracy"]
                - mean["majority"]["consensus_accuracy"],
                "spearman_mean": ours["spearman"],
                "spearman_min": min_spearman,
                "test_vs_soft_mv": ours["test_accuracy"]
                - mean["soft_mv"]["test_accuracy"],
            }
        )
    for check in checks:
        check["passed"] = bool(
            check["consensus_vs_crowdlab"] >= 0
            and check["consensus_vs_majority"] >= 0
            and check["spearman_mean"] >= 0.9
            and check["test_vs_soft_mv"] >= -0.005
        )
    return table, checks


def rst_table(payload):
    """The docs' table (means over seeds) and acceptance lines, as RST."""
    header, rows = payload["table_header"], payload["table"]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    rule = "  ".join("=" * w for w in widths)

    def line(row):
        return "  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip()

    seeds = sorted({c["seed"] for c in payload["cells"]})
    out = [
        f"Means over seeds {seeds}; produced by ``{payload['command']}``"
        + (
            f", its ``sknoisy`` rows re-run by ``{payload['update_command']}``."
            if payload.get("update_command")
            else "."
        ),
        "",
        rule,
        line(header),
        rule,
        *(line(r) for r in rows),
        rule,
        "",
        "Acceptance (``sknoisy``: ``annotators=True, label_correction='soft'``):",
        "",
    ]
    for c in payload["checks"]:
        out.append(
            f"- {c['split']}, {c['panel']}: consensus "
            f"{c['consensus_vs_crowdlab']:+.3f} against CROWDLAB, "
            f"{c['consensus_vs_majority']:+.3f} against majority vote; Spearman "
            f"{c['spearman_mean']:.2f} (lowest seed {c['spearman_min']:.2f}); test "
            f"accuracy {c['test_vs_soft_mv']:+.3f} against soft correction on "
            f"majority votes: {'met' if c['passed'] else 'NOT met'}."
        )
    return "\n".join(out) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["digits-std", "mnist1d-std"])
    parser.add_argument("--panels", nargs="+", default=DEFAULT_PANELS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--out",
        default=str(Path(__file__).parent / "results" / "annotators.json"),
    )
    parser.add_argument(
        "--rst", default=None, help="also write the docs' table (RST) here"
    )
    parser.add_argument(
        "--from-json",
        default=None,
        help="only write --rst from an earlier run's json (no training)",
    )
    parser.add_argument(
        "--update",
        nargs="+",
        default=None,
        choices=sorted(OURS),
        help="re-run only these methods on the cells of --out, keep the rest",
    )
    args = parser.parse_args(argv)
    if args.update:
        out = Path(args.out)
        payload = json.loads(out.read_text())
        for cell in payload["cells"]:
            t0 = time.perf_counter()
            rerun_ours(cell, args.update)
            print(
                f"{cell['split']} {cell['panel']} seed {cell['seed']}: "
                + ", ".join(
                    f"{m} {cell['methods'][m]['consensus_accuracy']:.3f}"
                    for m in METHODS
                )
                + f" ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
        payload["table"], payload["checks"] = summarize(payload["cells"])
        payload["update_command"] = "python benchmarks/bench_annotators.py " + " ".join(
            argv if argv is not None else __import__("sys").argv[1:]
        )
        out.write_text(json.dumps(payload, indent=1))
        print(f"wrote {out}")
        if args.rst:
            Path(args.rst).write_text(rst_table(payload))
            print(f"wrote {args.rst}")
        return
    if args.from_json:
        payload = json.loads(Path(args.from_json).read_text())
        Path(args.rst).write_text(rst_table(payload))
        return
    cells = []
    for split in args.datasets:
        for panel in args.panels:
            for seed in args.seeds:
                t0 = time.perf_counter()
                cell = run_cell(split, panel, seed)
                cells.append(cell)
                ours = cell["methods"]["sknoisy"]
                print(
                    f"{split} {panel} seed {seed}: consensus "
                    + ", ".join(
                        f"{m} {cell['methods'][m]['consensus_accuracy']:.3f}"
                        for m in METHODS
                    )
                    + f"; test ours {ours['test_accuracy']:.3f} soft_mv "
                    f"{cell['methods']['soft_mv']['test_accuracy']:.3f}"
                    f" ({time.perf_counter() - t0:.0f} s)",
                    flush=True,
                )
    table, checks = summarize(cells)
    header = [
        "data",
        "panel",
        "method",
        "consensus",
        "spearman",
        "test acc",
        "bal. acc",
        "worst rec.",
    ]
    print(text_table(header, table))
    for check in checks:
        print(
            f"{check['split']} {check['panel']}: consensus - crowdlab "
            f"{check['consensus_vs_crowdlab']:+.3f}, - majority "
            f"{check['consensus_vs_majority']:+.3f}; spearman mean "
            f"{check['spearman_mean']:.2f} (min {check['spearman_min']:.2f}); "
            f"test - soft_mv {check['test_vs_soft_mv']:+.3f}: "
            f"{'pass' if check['passed'] else 'FAIL'}"
        )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "command": "python benchmarks/bench_annotators.py "
        + " ".join(argv if argv is not None else __import__("sys").argv[1:]),
        "panels": {name: PANELS[name] for name in args.panels},
        "cells": cells,
        "table_header": header,
        "table": table,
        "checks": checks,
    }
    out.write_text(json.dumps(payload, indent=1))
    print(f"wrote {out}")
    if args.rst:
        Path(args.rst).write_text(rst_table(payload))
        print(f"wrote {args.rst}")


if __name__ == "__main__":
    main()
