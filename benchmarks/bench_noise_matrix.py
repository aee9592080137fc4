"""Noise matrix from one correcting fit against cleanlab's 5-fold estimate.

For each data set, noise kind (symmetric, pair), rate and seed, the training
labels get injected noise (:func:`sknoisy.benchmark.inject_noise`) and the
true noise matrix is the realised one, ``P(given = i | true = j)`` counted from
the clean and given training labels (cleanlab's convention, columns sum to 1).
Compared, by mean absolute error over the matrix's cells:

- ``sknoisy``: ``noise_matrix_`` of one
  ``NoisyLabelClassifier(label_correction="soft", random_state=seed)`` fit;
- ``cleanlab``: ``cleanlab.count.estimate_latent(compute_confident_joint(...))``
  on 5-fold out-of-sample probabilities (``cross_val_predict`` with a
  stratified, shuffled 5-fold split) of ``NoisyLabelClassifier(random_state=
  seed)``: the same network and epochs, plain cross entropy (6 fits with the
  one cleanlab's ``CleanLearning`` would refit);
- ``ours-on-cv``: :func:`sknoisy.noise.estimate_noise_matrix` on those same
  out-of-sample probabilities (separates the estimator from the evidence).

The estimated noise rates (``noise_rate_``; cleanlab: ``1 - trace`` of its
joint) are printed beside the realised rate.

Usage::

    pip install cleanlab   # benchmark-only extra: pip install -e ".[benchmark]"
    OMP_NUM_THREADS=1 python benchmarks/bench_noise_matrix.py \\
        --splits digits-std mnist1d-std --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from sknoisy import NoisyLabelClassifier
from sknoisy.benchmark import inject_noise, load_split, text_table
from sknoisy.noise import estimate_noise_matrix

ESTIMATES = ("sknoisy", "cleanlab", "ours-on-cv")


def mean_std4(values):
    """``"mean ± std"`` with 4 decimals (MAEs are small)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 1:
        return f"{values[0]:.4f}"
    return f"{values.mean():.4f} ± {values.std(ddof=1):.4f}"


def true_noise_matrix(y_clean, y_given, n_classes):
    """The realised ``P(given = i | true = j)`` (columns sum to 1)."""
    counts = np.zeros((n_classes, n_classes))
    np.add.at(counts, (y_given, y_clean), 1.0)
    return counts / np.maximum(counts.sum(axis=0), 1.0)


def cleanlab_estimate(y_given, probs):
    """cleanlab's noise matrix and noise rate from out-of-sample probabilities."""
    from cleanlab.count import compute_confident_joint, estimate_latent

    joint = compute_confident_joint(y_given, probs)
    py, noise_matrix, _ = estimate_latent(joint, y_given)
    return noise_matrix, float(np.sum(py * (1.0 - np.diag(noise_matrix))))


def run_cell(split, kind, rate, seed, folds):
    X, _, y_clean, _ = load_split(split, seed)
    classes, y_clean = np.unique(y_clean, return_inverse=True)
    y_given = inject_noise(X, y_clean, kind, rate, seed)
    c = len(classes)
    truth = true_noise_matrix(y_clean, y_given, c)
    row = {
        "split": split,
        "noise": kind,
        "rate": rate,
        "seed": seed,
        "realised_rate": float(np.mean(y_given != y_clean)),
    }
    start = time.perf_counter()
    clf = NoisyLabelClassifier(label_correction="soft", random_state=seed)
    clf.fit(X, y_given)
    row["sknoisy_time_s"] = time.perf_counter() - start
    estimates = {"sknoisy": (clf.noise_matrix_, clf.noise_rate_)}
    start = time.perf_counter()
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    probs = cross_val_predict(
        NoisyLabelClassifier(random_state=seed),
        X,
        y_given,
        cv=cv,
        method="predict_proba",
    ).astype(np.float64)
    row["cleanlab_time_s"] = time.perf_counter() - start  # the folds' fits only
    probs /= probs.sum(axis=1, keepdims=True)
    estimates["cleanlab"] = cleanlab_estimate(y_given, probs)
    estimates["ours-on-cv"] = estimate_noise_matrix(y_given, probs)
    for name, (matrix, noise_rate) in estimates.items():
        row[f"{name}_mae"] = float(np.abs(matrix - truth).mean())
        row[f"{name}_rate"] = float(noise_rate)
    row["true_matrix"] = truth.round(4).tolist()
    row["sknoisy_matrix"] = np.asarray(clf.noise_matrix_).round(4).tolist()
    row["cleanlab_matrix"] = np.asarray(estimates["cleanlab"][0]).round(4).tolist()
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", nargs="+", default=["digits-std", "mnist1d-std"])
    parser.add_argument("--kinds", nargs="+", default=["symmetric", "pair"])
    parser.add_argument("--rates", nargs="+", type=float, default=[0.2, 0.4])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", default="benchmarks/results/noise_matrix.json")
    args = parser.parse_args(argv)

    begin = time.perf_counter()
    rows = []
    for split in args.splits:
        for kind in args.kinds:
            for rate in args.rates:
                for seed in args.seeds:
                    row = run_cell(split, kind, rate, seed, args.folds)
                    rows.append(row)
                    print(
                        f"{split} {kind} {rate} seed {seed}: MAE "
                        + ", ".join(f"{e} {row[e + '_mae']:.4f}" for e in ESTIMATES)
                        + f"; rate realised {row['realised_rate']:.3f}, "
                        + ", ".join(f"{e} {row[e + '_rate']:.3f}" for e in ESTIMATES),
                        flush=True,
                    )
    table = []
    for split in args.splits:
        for kind in args.kinds:
            for rate in args.rates:
                cell = [
                    r
                    for r in rows
                    if (r["split"], r["noise"], r["rate"]) == (split, kind, rate)
                ]
                wins = sum(r["sknoisy_mae"] < r["cleanlab_mae"] for r in cell)
                table.append(
                    [split, kind, f"{rate:g}"]
                    + [mean_std4([r[e + "_mae"] for r in cell]) for e in ESTIMATES]
                    + [f"{wins}/{len(cell)}"]
                )
    print()
    print(
        text_table(
            ["split", "noise", "rate"]
            + [f"MAE {e}" for e in ESTIMATES]
            + ["sknoisy < cleanlab"],
            table,
        )
    )
    elapsed = time.perf_counter() - begin
    print(f"\n{len(rows)} runs in {elapsed:.0f} s")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"settings": vars(args), "elapsed_s": elapsed, "runs": rows}, indent=1
        )
    )
    print(f"saved {out}")


if __name__ == "__main__":
    main()
