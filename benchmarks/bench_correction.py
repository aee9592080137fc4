"""Label correction (joint optimisation) against cross entropy and cleanlab.

Part 1, load_digits (70/30 split, training labels flipped to another class
with probability 0.4, ``--seeds`` seeds), default settings everywhere:

- ``NoisyLabelClassifier(label_correction="soft")`` (defaults),
- ``NoisyLabelClassifier()`` (plain cross entropy, same network),
- cleanlab's ``CleanLearning`` wrapping that same cross-entropy classifier
  (it finds label issues by cross-validation and refits without them).

Reported: test accuracy on clean labels, label recovery (corrected label ==
true label; cleanlab does not correct labels), F1 of the detected label issues
against the true flip mask, and fit time of correction relative to plain
training with the same epochs and learning rate. The timing runs
``--timing-pairs`` interleaved pairs of fits on one split (CPU time of each
fit, after one warm-up fit of each)
and reports the median and quartiles of the per-pair ratios.

Part 2, MNIST-1D (generated locally) with a small 1-D CNN at 20/40/60% flips:
soft correction against plain cross entropy.

Usage::

    pip install cleanlab   # benchmark-only extra: pip install -e ".[benchmark]"
    OMP_NUM_THREADS=1 python benchmarks/bench_correction.py --seeds 5 --mnist1d-seeds 2
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from sklearn.metrics import f1_score

from sknoisy import NoisyLabelClassifier
from sknoisy.benchmark import inject_noise, load_split, mean_std, text_table
from sknoisy.models import CNN1D


def run_digits(seeds, rate=0.4):
    try:
        from cleanlab.classification import CleanLearning
    except ImportError:  # pragma: no cover - optional
        CleanLearning = None
        print("cleanlab is not installed: its rows are skipped")
    res = {k: {"acc": [], "rec": [], "f1": [], "t": []} for k in ("jo", "ce", "cl")}
    for seed in range(seeds):
        X_tr, X_te, y_tr, y_te = load_split("digits-x16", seed)
        y_noisy = inject_noise(X_tr, y_tr, "symmetric", rate, seed)
        flip = y_noisy != y_tr

        jo = NoisyLabelClassifier(label_correction="soft", random_state=seed)
        jo.fit(X_tr, y_noisy)
        res["jo"]["acc"].append(jo.score(X_te, y_te))
        res["jo"]["rec"].append(np.mean(jo.corrected_labels_ == y_tr))
        res["jo"]["f1"].append(f1_score(flip, jo.label_issues_))

        ce_default = NoisyLabelClassifier(random_state=seed).fit(X_tr, y_noisy)
        res["ce"]["acc"].append(ce_default.score(X_te, y_te))

        if CleanLearning is not None:
            cl = CleanLearning(NoisyLabelClassifier(random_state=seed), seed=seed)
            start = time.perf_counter()
            cl.fit(X_tr, y_noisy)
            t = time.perf_counter() - start
            issues = cl.get_label_issues()["is_label_issue"].to_numpy()
            res["cl"]["acc"].append(np.mean(cl.predict(X_te) == y_te))
            res["cl"]["f1"].append(f1_score(flip, issues))
            res["cl"]["t"].append(t)
        print(
            f"seed {seed}: JO acc {res['jo']['acc'][-1]:.3f} "
            f"rec {res['jo']['rec'][-1]:.3f} f1 {res['jo']['f1'][-1]:.3f}",
            flush=True,
        )
    rows = [
        [
            "sknoisy soft correction",
            mean_std(res["jo"]["acc"]),
            mean_std(res["jo"]["rec"]),
            mean_std(res["jo"]["f1"]),
        ],
        ["sknoisy cross entropy", mean_std(res["ce"]["acc"]), "-", "-"],
    ]
    if res["cl"]["acc"]:
        rows.append(
            [
                "cleanlab CleanLearning",
                mean_std(res["cl"]["acc"]),
                "-",
                mean_std(res["cl"]["f1"]),
            ]
        )
    print(f"\nload_digits, {rate:.0%} flips, {seeds} seeds")
    print(text_table(["method", "test accuracy", "label recovery", "issue F1"], rows))
    return res


def time_correction(pairs, rate=0.4):
    """Fit time with soft correction / without, same data, epochs and lr."""
    X_tr, _, y_tr, _ = load_split("digits-x16", 0)
    y_noisy = inject_noise(X_tr, y_tr, "symmetric", rate, 0)
    params = {"lr": 1e-2, "random_state": 0}  # the corrected fit's lr="auto"

    def fit(**extra):
        start = time.process_time()
        NoisyLabelClassifier(**params, **extra).fit(X_tr, y_noisy)
        return time.process_time() - start

    fit(), fit(label_correction="soft")  # warm-up (caches)
    ratios, times = [], {"ce": [], "jo": []}
    for i in range(pairs):
        order = ("ce", "jo") if i % 2 else ("jo", "ce")
        for name in order:
            extra = {"label_correction": "soft"} if name == "jo" else {}
            times[name].append(fit(**extra))
        ratios.append(times["jo"][-1] / times["ce"][-1])
    q1, med, q3 = np.percentile(ratios, [25, 50, 75])
    print(
        f"\nfit time with / without correction, load_digits MLP, {pairs} pairs: "
        f"median {med:.3f} (quartiles {q1:.3f}-{q3:.3f}); "
        f"{statistics.median(times['jo']):.3f} s / "
        f"{statistics.median(times['ce']):.3f} s"
    )
    return med


def run_mnist1d(seeds, rates=(0.2, 0.4, 0.6)):
    rows, ratios = [], []
    for rate in rates:
        acc = {"ce": [], "jo": []}
        rec = []
        for seed in range(seeds):
            X_tr, X_te, y_tr, y_te = load_split("mnist1d-raw", seed)
            y_noisy = inject_noise(X_tr, y_tr, "symmetric", rate, seed)
            ce = NoisyLabelClassifier(CNN1D, random_state=seed)
            start = time.perf_counter()
            ce.fit(X_tr, y_noisy)
            t_ce = time.perf_counter() - start
            jo = NoisyLabelClassifier(CNN1D, label_correction="soft", random_state=seed)
            start = time.perf_counter()
            jo.fit(X_tr, y_noisy)
            t_jo = time.perf_counter() - start
            ratios.append(t_jo / t_ce)
            acc["ce"].append(ce.score(X_te, y_te))
            acc["jo"].append(jo.score(X_te, y_te))
            rec.append(np.mean(jo.corrected_labels_ == y_tr))
            print(
                f"rate {rate} seed {seed}: CE {acc['ce'][-1]:.3f} "
                f"JO {acc['jo'][-1]:.3f}",
                flush=True,
            )
        rows.append(
            [f"{rate:.0%}", mean_std(acc["ce"]), mean_std(acc["jo"]), mean_std(rec)]
        )
    print(f"\nMNIST-1D, CNN1D, {seeds} seeds")
    print(
        text_table(
            ["flips", "cross entropy", "soft correction", "label recovery"], rows
        )
    )
    print(
        "fit time with / without correction (same epochs), CNN1D: median "
        f"{statistics.median(ratios):.3f} over {len(ratios)} pairs"
    )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--mnist1d-seeds", type=int, default=2)
    parser.add_argument("--timing-pairs", type=int, default=15)
    args = parser.parse_args(argv)
    run_digits(args.seeds)
    if args.timing_pairs:
        time_correction(args.timing_pairs)
    if args.mnist1d_seeds:
        run_mnist1d(args.mnist1d_seeds)


if __name__ == "__main__":
    main()
