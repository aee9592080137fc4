"""DivideMix against GCE and cross entropy on small image and signal data.

Cells: scikit-learn's digits as 8x8 images (``X.reshape(n, 1, 8, 8) / 16``,
70/30 stratified split) with :class:`~sknoisy.models.CNN2D`, and MNIST-1D
(4000/1000, signals ``(n, 1, 40)``) with :class:`~sknoisy.models.CNN1D`;
training labels with 40% symmetric or pair noise
(:func:`sknoisy.benchmark.inject_noise`); ``--seeds`` seeds (split, noise,
network). Three fits per cell and seed, same module, epochs and batch size,
each method's defaults otherwise:

- ``sample_selection="dividemix"`` (defaults: warm-up ``"auto"``,
  ``lambda_u="auto"``, augmentation ``"auto"``, warm-up confidence penalty
  1, losses averaged over 5 epochs, a mixture per class, learning-rate
  anneal),
- ``loss="gce"``,
- ``loss="ce"``.

Reported per cell: test accuracy on clean labels, balanced accuracy,
worst-class recall and fit time (wall clock, one thread), mean and standard
deviation over seeds; DivideMix's estimated noise rate. Writes
``benchmarks/results/dividemix.json`` (entries of other runs of this script
are kept, so the data sets can run in separate processes); ``--table`` writes
the table of the docs (``docs/dividemix_table.rst``) from that file.

Usage (the two data sets in two processes, then the table)::

    export OMP_NUM_THREADS=1
    python benchmarks/bench_dividemix.py --seeds 3 --epochs 30 --datasets digits
    python benchmarks/bench_dividemix.py --seeds 3 --epochs 30 --datasets mnist1d \\
        --n-train 2000
    python benchmarks/bench_dividemix.py --table
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import time

import numpy as np
import torch

from sknoisy import NoisyLabelClassifier
from sknoisy.benchmark import class_scores, inject_noise, load_split
from sknoisy.models import CNN1D, CNN2D

HERE = os.path.dirname(os.path.abspath(__file__))
METHODS = {
    "dividemix": {"sample_selection": "dividemix"},
    "gce": {"loss": "gce"},
    "ce": {"loss": "ce"},
}


def data(name, seed):
    if name == "digits":
        X_tr, X_te, y_tr, y_te = load_split("digits-x16", seed)
        return X_tr.reshape(-1, 1, 8, 8), X_te.reshape(-1, 1, 8, 8), y_tr, y_te, CNN2D
    X_tr, X_te, y_tr, y_te = load_split("mnist1d-raw", seed)
    return X_tr.reshape(-1, 1, 40), X_te.reshape(-1, 1, 40), y_tr, y_te, CNN1D


def run_one(name, kind, method, seed, epochs, n_train=None):
    X_tr, X_te, y_tr, y_te, module = data(name, seed)
    if n_train is not None and n_train < len(y_tr):  # the first n_train samples
        X_tr, y_tr = X_tr[:n_train], y_tr[:n_train]
    y_noisy = inject_noise(X_tr, y_tr, kind, 0.4, seed, dataset=name)
    torch.set_num_threads(1)
    clf = NoisyLabelClassifier(
        module, max_epochs=epochs, random_state=seed, **METHODS[method]
    )
    start = time.perf_counter()
    clf.fit(X_tr, y_noisy)
    fit_time = time.perf_counter() - start
    scores = class_scores(y_te, clf.predict(X_te))
    out = {
        "accuracy": scores["accuracy"],
        "balanced_accuracy": scores["balanced_accuracy"],
        "worst_class_recall": scores["worst_recall"],
        "fit_time_s": fit_time,
        "actual_noise": float(np.mean(y_noisy != y_tr)),
        "n_train": len(y_tr),
    }
    if method == "dividemix":
        out["noise_rate_estimate"] = float(clf.noise_rate_)
        truly = y_noisy != y_tr
        out["issue_f1"] = float(
            2
            * np.sum(clf.label_issues_ & truly)
            / max(1, np.sum(clf.label_issues_) + np.sum(truly))
        )
    return out


def summary(rows):
    keys = [k for k in rows[0] if isinstance(rows[0][k], float)]
    return {
        k: [float(np.mean([r[k] for r in rows])), float(np.std([r[k] for r in rows]))]
        for k in keys
    }


def save(path, key, entry):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        results = {}
        if os.path.exists(path):
            with open(path) as f:
                results = json.load(f)
        results[key] = entry
        with open(path, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)


def write_table(results, path):
    """The docs' table of ``results`` (the JSON of this script)."""
    lines = [
        "=========================  =========  ==============  ==============  "
        "==============  =========",
        "cell (40% noise)           method     accuracy        balanced acc.   "
        "worst class     fit (s)",
        "=========================  =========  ==============  ==============  "
        "==============  =========",
    ]
    for key in sorted(results):
        name, cell, method = key.split("/")
        s = results[key]["summary"]
        acc, bal, worst = (
            s[k] for k in ("accuracy", "balanced_accuracy", "worst_class_recall")
        )
        lines.append(
            f"{name + ' ' + cell.split('-')[0]:25s}  {method:9s}  "
            f"{acc[0]:.3f} ± {acc[1]:.3f}   {bal[0]:.3f} ± {bal[1]:.3f}   "
            f"{worst[0]:.3f} ± {worst[1]:.3f}   {s['fit_time_s'][0]:9.1f}"
        )
    lines.append(lines[0])
    first = next(iter(results.values()))
    note = (
        f"Means ± standard deviations over {first['seeds']} seeds, "
        f"{first['epochs']} epochs, one CPU thread, shared machine "
        "(``benchmarks/bench_dividemix.py``; times are wall clock, under "
        "load from other processes, so only roughly comparable). Training "
        "samples: "
        + ", ".join(
            sorted({f"{k.split('/')[0]} {v['n_train']}" for k, v in results.items()})
        )
        + "."
    )
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n\n" + note + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--datasets", nargs="+", default=["digits", "mnist1d"])
    parser.add_argument("--kinds", nargs="+", default=["symmetric", "pair"])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument(
        "--out", default=os.path.join(HERE, "results", "dividemix.json")
    )
    parser.add_argument(
        "--n-train", type=int, default=None, help="train on the first N samples"
    )
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args(argv)
    if args.table:
        with open(args.out) as f:
            results = json.load(f)
        write_table(results, os.path.join(HERE, "..", "docs", "dividemix_table.rst"))
        return
    for name in args.datasets:
        for kind in args.kinds:
            for method in args.methods:
                rows = [
                    run_one(name, kind, method, seed, args.epochs, args.n_train)
                    for seed in range(args.seeds)
                ]
                entry = {
                    "epochs": args.epochs,
                    "seeds": args.seeds,
                    "n_train": len(rows) and rows[0]["n_train"],
                    "summary": summary(rows),
                    "runs": rows,
                    "torch_threads": 1,
                }
                key = f"{name}/{kind}-0.4/{method}"
                save(args.out, key, entry)
                s = entry["summary"]
                print(
                    f"{key:32s} acc {s['accuracy'][0]:.3f}±{s['accuracy'][1]:.3f} "
                    f"bal {s['balanced_accuracy'][0]:.3f} "
                    f"worst {s['worst_class_recall'][0]:.3f} "
                    f"time {s['fit_time_s'][0]:.1f}s",
                    flush=True,
                )


if __name__ == "__main__":
    main()
