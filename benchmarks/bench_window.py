"""Running average of the outputs against the paper's exact window mean.

sknoisy folds each epoch's softmax outputs into one ``n x C`` running average
(:func:`sknoisy.correction.window_weight`: the exact mean of the last
``window`` epochs while a sample has at most ``window`` outputs, then an
exponential moving average with the window's centre of mass). The paper
(Tanaka et al. 2018) averages a ring of the last ``window`` epochs, which
costs ``window x n x C``. This benchmark trains both on identical data,
noise, seeds and random streams (the ring is a subclass of the label state
used only here) and reports label recovery, issue F1 and test accuracy per
cell, and the mean difference.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_window.py --seeds 3 --n-jobs 2
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
    ("digits-std", "random_matrix", 0.4),
    ("digits-x16", "symmetric", 0.4),
    ("digits-x16", "pair", 0.4),
    ("breast_cancer-std", "symmetric", 0.3),
    ("mnist1d-raw", "symmetric", 0.4),
    ("mnist1d-std", "pair", 0.4),
]


def _ring_classifier():
    import torch

    from sknoisy import NoisyLabelClassifier
    from sknoisy.correction import LabelState

    class RingLabelState(LabelState):
        """The paper's window: a ring of the last ``window`` epochs."""

        def fold_epoch(self, window):
            probs, n = self.epoch_probs, len(self.y)
            if getattr(self, "ring", None) is None:
                self.ring = torch.zeros(window, n, probs.shape[1])
                self.filled = 0
            agree = float((probs.argmax(1) == self.y).float().mean())
            self.ring[self.filled % window] = probs
            self.filled += 1
            self.average.copy_(self.ring[: min(self.filled, window)].mean(0))
            self.n_averaged += 1
            self.recorded.zero_()
            return agree, slice(None)

    class RingClassifier(NoisyLabelClassifier):
        def initialize_criterion(self):
            super().initialize_criterion()
            self.label_state_ = RingLabelState()
            return self

    return RingClassifier


def run(dataset, noise, rate, seed):
    import torch
    from sklearn.metrics import f1_score

    torch.set_num_threads(1)
    from sknoisy import NoisyLabelClassifier

    X_tr, X_te, y_tr, y_te = load_split(dataset, seed)
    y_noisy = inject_noise(X_tr, y_tr, noise, rate, seed)
    kwargs = {"label_correction": "soft", "random_state": seed}
    if dataset.startswith("mnist1d"):
        from sknoisy.models import CNN1D

        kwargs["module"] = CNN1D
    out = {"dataset": dataset, "noise": noise, "rate": rate, "seed": seed}
    for name, cls in (("running", NoisyLabelClassifier), ("ring", _ring_classifier())):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf = cls(**kwargs).fit(X_tr, y_noisy)
        out[name] = {
            "recovery": float(np.mean(clf.corrected_labels_ == y_tr)),
            "f1": float(f1_score(y_noisy != y_tr, clf.label_issues_)),
            "accuracy": float(np.mean(clf.predict(X_te) == y_te)),
            "start": clf.correction_start_,
        }
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    results = Parallel(n_jobs=args.n_jobs, verbose=0)(
        delayed(run)(*cell, seed) for cell in CELLS for seed in range(args.seeds)
    )
    if args.output:
        args.output.write_text(json.dumps(results, indent=1))
    keys = ("recovery", "f1", "accuracy")
    print(
        f"{'cell':<34}"
        + "".join(f"{k + ' run/ring':>22}" for k in keys)
        + f"{'starts':>12}"
    )
    diffs = {k: [] for k in keys}
    for cell in CELLS:
        rows = [r for r in results if (r["dataset"], r["noise"], r["rate"]) == cell]
        line = f"{' '.join(map(str, cell)):<34}"
        for k in keys:
            a = np.mean([r["running"][k] for r in rows])
            b = np.mean([r["ring"][k] for r in rows])
            diffs[k].extend(r["running"][k] - r["ring"][k] for r in rows)
            line += f"{a:>13.3f} / {b:.3f}"
        same = sum(r["running"]["start"] == r["ring"]["start"] for r in rows)
        line += f"{same:>8}/{len(rows)}"
        print(line)
    for k in keys:
        d = np.asarray(diffs[k])
        print(
            f"{k}: mean running - ring {d.mean():+.4f} (sd {d.std(ddof=1):.4f}, "
            f"min {d.min():+.4f}, max {d.max():+.4f}, {len(d)} runs)"
        )


if __name__ == "__main__":
    main()
