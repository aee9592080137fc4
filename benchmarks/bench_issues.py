"""Ranking label issues: sknoisy's ``label_quality_`` against cleanlab.

For each data set, noise and seed: the AUROC of a score against the true
noise mask (which training labels were changed), for

- ``sknoisy``: ``label_quality_`` of ``NoisyLabelClassifier(label_correction=
  "soft")`` fitted once on the noisy labels (in-sample, no cross-validation);
- ``cleanlab``: ``cleanlab.rank.get_label_quality_scores`` on out-of-fold
  probabilities (5-fold ``cross_val_predict``) of ``NoisyLabelClassifier(
  loss="gce")``, cleanlab's recommended workflow;

and, for ``sample_weight``, the clean test accuracy of cross entropy trained
on the noisy labels, with the oracle weights (zero on the changed labels),
on the unchanged samples only (what the oracle weights should equal: the
same samples, without the zero-weight ones), and on all clean labels.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_issues.py --seeds 3 --n-jobs 2
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed

from sknoisy.benchmark import inject_noise, load_split

CELLS = [
    ("digits-std", "symmetric", 0.4),
    ("digits-std", "pair", 0.4),
    ("digits-x16", "symmetric", 0.4),
    ("digits-x16", "pair", 0.4),
    ("breast_cancer-std", "symmetric", 0.3),
    ("synthetic-std", "symmetric", 0.4),
]


def run(dataset, noise, rate, seed):
    import torch
    from cleanlab.rank import get_label_quality_scores
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    torch.set_num_threads(1)
    from sknoisy import NoisyLabelClassifier

    X_tr, X_te, y_tr, y_te = load_split(dataset, seed)
    y_noisy = inject_noise(X_tr, y_tr, noise, rate, seed)
    flipped = y_noisy != y_tr
    out = {"dataset": dataset, "noise": noise, "rate": rate, "seed": seed}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        jo = NoisyLabelClassifier(label_correction="soft", random_state=seed)
        jo.fit(X_tr, y_noisy)
        out["auroc_sknoisy"] = float(roc_auc_score(flipped, -jo.label_quality_))
        out["f1_issues_sknoisy"] = float(
            2
            * np.sum(jo.label_issues_ & flipped)
            / max(1, jo.label_issues_.sum() + flipped.sum())
        )
        folds = StratifiedKFold(5, shuffle=True, random_state=seed)
        proba = cross_val_predict(
            NoisyLabelClassifier(loss="gce", random_state=seed),
            X_tr,
            y_noisy,
            cv=folds,
            method="predict_proba",
        )
        classes = np.unique(y_noisy)
        codes = np.searchsorted(classes, y_noisy)
        scores = get_label_quality_scores(codes, proba)
        out["auroc_cleanlab"] = float(roc_auc_score(flipped, -scores))
        accuracy = {}
        kept = ~flipped
        for name, (X_fit, y_fit, weight) in {
            "noisy": (X_tr, y_noisy, None),
            "oracle_weight": (X_tr, y_noisy, kept.astype(float)),
            "unchanged_only": (X_tr[kept], y_tr[kept], None),
            "clean": (X_tr, y_tr, None),
        }.items():
            clf = NoisyLabelClassifier(random_state=seed)
            clf.fit(X_fit, y_fit, sample_weight=weight)
            accuracy[name] = float(np.mean(clf.predict(X_te) == y_te))
        out["accuracy"] = accuracy
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument(
        "--datasets", nargs="+", default=None, help="only the cells of these datasets"
    )
    args = parser.parse_args(argv)
    cells = [c for c in CELLS if args.datasets is None or c[0] in args.datasets]
    results = Parallel(n_jobs=args.n_jobs)(
        delayed(run)(*cell, seed) for cell in cells for seed in range(args.seeds)
    )
    if args.output:
        args.output.write_text(json.dumps(results, indent=1))
    print(
        f"{'cell':<30}{'AUROC sknoisy':>15}{'AUROC cleanlab':>16}"
        f"{'CE noisy':>10}{'oracle w':>10}{'kept only':>10}{'CE clean':>10}"
    )
    for cell in cells:
        rows = [r for r in results if (r["dataset"], r["noise"], r["rate"]) == cell]

        def mean(get, rows=rows):
            return np.mean([get(r) for r in rows])

        print(
            f"{' '.join(map(str, cell)):<30}"
            f"{mean(lambda r: r['auroc_sknoisy']):>15.4f}"
            f"{mean(lambda r: r['auroc_cleanlab']):>16.4f}"
            f"{mean(lambda r: r['accuracy']['noisy']):>10.3f}"
            f"{mean(lambda r: r['accuracy']['oracle_weight']):>10.3f}"
            f"{mean(lambda r: r['accuracy']['unchanged_only']):>10.3f}"
            f"{mean(lambda r: r['accuracy']['clean']):>10.3f}"
        )
    print(f"({args.seeds} seeds; AUROC of each score against the changed labels)")


if __name__ == "__main__":
    main()
