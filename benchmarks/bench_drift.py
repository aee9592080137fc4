"""Drift check: every loss's accuracy on fixed cells against committed numbers.

For every loss in ``sknoisy.losses.LOSSES`` (each with its defaults) and for
the default soft label correction (``label_correction="soft"``) and
Tanaka's rule (``correction_rule="all", elr_lambda=0``, the default until
issue 23, whose reference numbers are those of that default), fit
``NoisyLabelClassifier`` on a few fixed cells and compare the mean test
accuracy over the seeds with ``benchmarks/results/drift_reference.json``.

Cells (the setting of ``bench_robustness.py``): ``load_digits`` standardized
(``StandardScaler`` fit on the training part), a 70/30 stratified split with
``random_state=seed``, noise on the training labels only from
``sknoisy.noise.corrupt_labels`` (``symmetric``: flip to a different class;
``pair``: i -> i + 1) at rate 0.4 with ``random_state=seed``, the network
seeded with ``random_state=seed``, the estimator's defaults otherwise
(``max_epochs=50``, as the README and robustness tables); seeds 0, 1, 2.
Accuracy is on the clean test labels.

Drift rule, per (cell, method): with ``a_i`` the reference accuracies of the
``n`` seeds, ``s`` their standard deviation (ddof 1) and ``d`` the mean over
seeds of (new - reference) accuracy, the method has DRIFTED when

    |d| > tol = max(0.005, 2 * s / sqrt(n))

i.e. when the mean moves by more than two standard errors of the reference
mean (at least half a point). On the CPU a run with the same code, seeds and
library versions is bitwise reproducible, so the report also says whether
every seed is ``identical``; ``changed`` (within the tolerance) is what a new
random stream of the same method looks like (a different shuffling order or
seed derivation), a drift beyond it points at a changed loss, weighting, rate,
schedule or default. The script exits with status 1 when any method drifted
(2 when the reference was made with other cells, seeds or epochs).
With ``--strict`` any seed that is not identical fails too (exit status 3):
for a change that claims the same results for the same ``random_state``.

With three seeds the tolerance is a few points for the losses whose accuracy
varies most between seeds (GCE on symmetric noise: 0.034); a smaller drift
shows as ``changed``. A changed formula, reduction, weighting or default of a
loss is caught exactly, at once, by ``tests/test_loss_values.py``.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_drift.py           # check
    OMP_NUM_THREADS=1 python benchmarks/bench_drift.py --update  # rewrite

``--only gce ce`` runs part of the methods (``correction`` is the label
correction); ``--out FILE`` also saves the new runs. Run it against another
checkout by putting that checkout first on ``PYTHONPATH``. About 3 minutes on
one CPU core of an idle machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
import warnings

import numpy as np
import sklearn
import skorch
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import sknoisy
from sknoisy import NoisyLabelClassifier
from sknoisy.losses import LOSSES
from sknoisy.noise import corrupt_labels

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "results", "drift_reference.json")
CELLS = (("digits-std", "symmetric", 0.4), ("digits-std", "pair", 0.4))
SEEDS = (0, 1, 2)
MAX_EPOCHS = 50
TOL_FLOOR = 0.005
TOL_SE = 2.0


def methods():
    """Method name -> estimator parameters: every loss, then label correction."""
    out = {name: {"loss": name} for name in LOSSES}
    out["correction"] = {"label_correction": "soft"}
    # Tanaka's rule without the early-learning regularizer: the default of
    # label correction until issue 23, whose numbers it must keep.
    out["correction_all"] = {
        "label_correction": "soft",
        "correction_rule": "all",
        "elr_lambda": 0.0,
    }
    return out


def load(dataset, seed):
    if dataset != "digits-std":
        raise ValueError(f"unknown data set {dataset!r}")
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.3, random_state=seed, stratify=y
    )
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    return X_tr.astype(np.float32), X_te.astype(np.float32), y_tr, y_te


def fit_one(cell, method, params, seed, max_epochs):
    dataset, noise, rate = cell
    X_tr, X_te, y_tr, y_te = load(dataset, seed)
    y_noisy = corrupt_labels(y_tr, kind=noise, rate=rate, random_state=seed)
    clf = NoisyLabelClassifier(random_state=seed, max_epochs=max_epochs, **params)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. CorrectionWarning: not a drift
        clf.fit(X_tr, y_noisy)
    return float(np.mean(clf.predict(X_te) == y_te)), time.perf_counter() - start


def cell_key(cell):
    return "{} {} {:g}".format(*cell)


def source_commit():
    """Commit of the sknoisy checkout in use (None outside a git checkout)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(sknoisy.__file__)))
    try:
        out = subprocess.run(
            ["git", "-C", root, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", root, "status", "--porcelain", "--", "sknoisy"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return out + ("-dirty" if dirty else "")


def run_all(names, seeds, max_epochs):
    torch.set_num_threads(1)
    table = methods()
    results = {}
    total = 0.0
    for cell in CELLS:
        results[cell_key(cell)] = {}
        for name in names:
            accs, secs = [], 0.0
            for seed in seeds:
                acc, sec = fit_one(cell, name, table[name], seed, max_epochs)
                accs.append(acc)
                secs += sec
            total += secs
            results[cell_key(cell)][name] = accs
            print(
                f"  {cell_key(cell):<22} {name:<16} "
                + " ".join(f"{a:.4f}" for a in accs)
                + f"  mean {np.mean(accs):.4f}  ({secs:.1f} s)",
                flush=True,
            )
    return results, total


def tolerance(reference_accs):
    n = len(reference_accs)
    s = float(np.std(reference_accs, ddof=1)) if n > 1 else 0.0
    return max(TOL_FLOOR, TOL_SE * s / math.sqrt(n))


def compare(reference, results):
    """Rows of the comparison and the list of drifted (cell, method)."""
    rows, drifted = [], []
    for cell, by_method in results.items():
        for name, accs in by_method.items():
            ref = reference["results"].get(cell, {}).get(name)
            if ref is None:
                rows.append((cell, name, "-", f"{np.mean(accs):.4f}", "-", "-", "new"))
                continue
            d = float(np.mean(np.subtract(accs, ref)))
            tol = tolerance(ref)
            if np.array_equal(accs, ref):
                verdict = "identical"
            elif abs(d) <= tol:
                verdict = "changed"
            else:
                verdict = "DRIFT"
                drifted.append((cell, name, d, tol))
            rows.append(
                (
                    cell,
                    name,
                    f"{np.mean(ref):.4f}",
                    f"{np.mean(accs):.4f}",
                    f"{d:+.4f}",
                    f"{tol:.4f}",
                    verdict,
                )
            )
    return rows, drifted


def print_rows(rows):
    header = ("cell", "method", "reference", "now", "diff", "tol", "verdict")
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(str(x).ljust(w) for x, w in zip(row, widths)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--update", action="store_true", help="rewrite the reference with this run"
    )
    parser.add_argument("--reference", default=REFERENCE)
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(methods()),
        default=None,
        help="methods to run (default: all)",
    )
    parser.add_argument("--out", default=None, help="also save this run (JSON)")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail unless every seed is identical to the reference",
    )
    args = parser.parse_args(argv)
    if args.update and args.only:
        parser.error("--update rewrites the whole reference: run every method")
    names = args.only or list(methods())
    commit = source_commit()
    print(f"sknoisy {sknoisy.__file__} (commit {commit}); torch {torch.__version__}")
    start = time.perf_counter()
    results, fit_seconds = run_all(names, SEEDS, MAX_EPOCHS)
    wall = time.perf_counter() - start
    print(
        f"{len(names) * len(CELLS) * len(SEEDS)} fits: {wall:.0f} s wall, "
        f"{fit_seconds:.0f} s fitting"
    )
    record = {
        "commit": commit,
        "cells": [list(c) for c in CELLS],
        "seeds": list(SEEDS),
        "max_epochs": MAX_EPOCHS,
        "rule": f"DRIFT when |mean(new - ref)| > max({TOL_FLOOR}, "
        f"{TOL_SE:g} * std(ref, ddof=1) / sqrt(n_seeds))",
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "skorch": skorch.__version__,
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
        },
        "wall_seconds": round(wall, 1),
        "results": results,
    }
    if args.out:
        with open(args.out, "w") as f:
            json.dump(record, f, indent=1)
    if args.update:
        with open(args.reference, "w") as f:
            json.dump(record, f, indent=1)
            f.write("\n")
        print(f"reference written: {args.reference}")
        return 0
    with open(args.reference) as f:
        reference = json.load(f)
    same = (
        reference["cells"] == record["cells"]
        and reference["seeds"] == record["seeds"]
        and reference["max_epochs"] == record["max_epochs"]
    )
    if not same:
        print("the reference was made with other cells, seeds or epochs: --update")
        return 2
    print(
        f"\nreference: commit {reference['commit']}, torch "
        f"{reference['versions']['torch']}; rule: {reference['rule']}"
    )
    rows, drifted = compare(reference, results)
    print_rows(rows)
    if drifted:
        print("\nDRIFTED:")
        for cell, name, d, tol in drifted:
            print(f"  {name} on {cell}: mean moved {d:+.4f} (tolerance {tol:.4f})")
        return 1
    changed = [row for row in rows if row[-1] != "identical"]
    if args.strict and changed:
        print(f"\n--strict: {len(changed)} results not identical to the reference")
        return 3
    print("\nno drift" + ("" if changed else " (every seed identical)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
