"""cleanlab's call: ``find_label_issues(labels=..., pred_probs=...)`` against cleanlab.

For each data set, noise kind, rate and seed: out-of-fold probabilities
(5-fold ``cross_val_predict``) of a ``LogisticRegression`` trained on the
noisy labels, then the label issues found on those same probabilities by

- ``sknoisy``: :func:`sknoisy.find_label_issues` with its default filter
  (``filter_by=None``) and with every ``filter_by``;
- ``cleanlab``: ``cleanlab.filter.find_label_issues(labels, pred_probs)``,
  cleanlab's default (``filter_by="prune_by_noise_rate"``).

Scored against the true noise mask (the training labels that were changed):
F1, precision and recall of the flagged samples; ``same_mask`` says whether
sknoisy's default flags exactly cleanlab's samples. Writes
``benchmarks/results/cleanlab_call.json`` (one record per run).

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_cleanlab_call.py --seeds 5
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np

from sknoisy import find_label_issues
from sknoisy.benchmark import inject_noise, load_split

FILTERS = (  # find_label_issues' filter_by options (cleanlab's)
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
)
DATASETS = ("digits-std", "mnist1d-std")
NOISES = ("symmetric", "pair")
RATES = (0.2, 0.4)
OUTPUT = Path(__file__).parent / "results" / "cleanlab_call.json"


def scores(mask, flipped):
    hits = int(np.sum(mask & flipped))
    return {
        "f1": 2 * hits / max(1, int(mask.sum()) + int(flipped.sum())),
        "precision": hits / max(1, int(mask.sum())),
        "recall": hits / max(1, int(flipped.sum())),
        "n_flagged": int(mask.sum()),
    }


def run(dataset, noise, rate, seed):
    from cleanlab.filter import find_label_issues as cleanlab_find
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    X, _, y, _ = load_split(dataset, seed)
    y_noisy = inject_noise(X, y, noise, rate, seed)
    flipped = y_noisy != y
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    pred_probs = cross_val_predict(
        LogisticRegression(max_iter=1000), X, y_noisy, cv=folds, method="predict_proba"
    )
    codes = np.searchsorted(np.unique(y_noisy), y_noisy)
    out = {"dataset": dataset, "noise": noise, "rate": rate, "seed": seed}
    out["true_noise_rate"] = float(flipped.mean())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        ours = find_label_issues(labels=y_noisy, pred_probs=pred_probs)
        out["seconds_sknoisy"] = time.perf_counter() - start
        start = time.perf_counter()
        theirs = cleanlab_find(codes, pred_probs, n_jobs=1)
        out["seconds_cleanlab"] = time.perf_counter() - start
        out["sknoisy"] = scores(ours, flipped)
        out["cleanlab"] = scores(theirs, flipped)
        out["same_mask"] = bool(np.array_equal(ours, theirs))
        for filter_by in FILTERS:
            mask = find_label_issues(
                labels=y_noisy, pred_probs=pred_probs, filter_by=filter_by
            )
            out[f"sknoisy_{filter_by}"] = scores(mask, flipped)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    cells = [(d, k, r) for d in args.datasets for k in NOISES for r in RATES]
    results = [run(*cell, seed) for cell in cells for seed in range(args.seeds)]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1))
    names = ["sknoisy", "cleanlab"] + [f"sknoisy_{f}" for f in FILTERS]
    print(f"{'cell':<28}{'method':<34}{'F1':>14}{'precision':>11}{'recall':>8}")
    for cell in cells:
        rows = [r for r in results if (r["dataset"], r["noise"], r["rate"]) == cell]
        same = sum(r["same_mask"] for r in rows)
        for name in names:
            f1 = [r[name]["f1"] for r in rows]
            print(
                f"{' '.join(map(str, cell)):<28}{name:<34}"
                f"{np.mean(f1):>8.3f}±{np.std(f1):.3f}"
                f"{np.mean([r[name]['precision'] for r in rows]):>11.3f}"
                f"{np.mean([r[name]['recall'] for r in rows]):>8.3f}"
            )
        print(f"{'':<28}sknoisy default == cleanlab default: {same}/{len(rows)} runs")


if __name__ == "__main__":
    main()
