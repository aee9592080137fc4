"""Every training method of sknoisy, and cleanlab's, on the same cells.

Methods (``--methods`` runs a subset), each with sknoisy's defaults and the
same network (an MLP on digits, sknoisy's 1-D CNN on MNIST-1D):

- ``ce``: cross entropy; ``gce``, ``truncated_gce``: the robust losses;
- ``correction``: the default soft label correction
  (``label_correction="soft"``); ``elr``: early-learning regularization;
- ``coteaching``: ``sample_selection="coteaching"``, forget rate estimated;
  ``coteaching_true``: told the realised noise rate of the cell;
- ``forward``, ``backward``: loss correction with the noise matrix estimated
  (``noise_matrix=None``); ``forward_true``, ``backward_true``: with the
  realised matrix of the cell (counts of given against true labels, in
  cleanlab's convention);
- ``cleanlab``: cleanlab's ``CleanLearning`` around the cross-entropy network
  (5-fold out-of-sample probabilities, issues removed, refit).

Cells: data sets (``--datasets``, names of ``sknoisy.benchmark.SPLITS``) x
noise (``--noise``: symmetric, pair) x rates (``--rates``), plus
``--imbalanced`` cells (``"profile:noise:rate"``, classes subsampled by
:func:`sknoisy.benchmark.make_imbalanced`), each for seeds ``0 .. --seeds -
1`` (split, noise and networks follow the seed). Per run: test accuracy on
clean labels, balanced accuracy, the worst class' recall, fit time (seconds)
and peak memory of the fit (the largest resident-set size of the process
during the fit minus the size before it, sampled every 5 ms, after a first
small fit has loaded every library; one torch thread).

Usage (the run behind docs/which_method.rst, single process)::

    OMP_NUM_THREADS=1 python benchmarks/bench_methods.py \\
        --datasets digits-std --noise symmetric pair --rates 0.1 0.4 \\
        --imbalanced longtail:symmetric:0.2 none:symmetric:0.05 --seeds 3 \\
        --max-epochs 50 --n-jobs 1 --out benchmarks/results/methods.json
    OMP_NUM_THREADS=1 python benchmarks/bench_methods.py \\
        --datasets mnist1d-std --noise symmetric pair --rates 0.4 --seeds 3 \\
        --methods ce correction elr coteaching coteaching_true forward \\
        forward_true backward backward_true gce \\
        --max-epochs 50 --n-jobs 1 --out benchmarks/results/methods_mnist1d.json
    python benchmarks/methods_page.py benchmarks/results/methods.json \\
        benchmarks/results/methods_mnist1d.json

``--update`` reruns only ``--methods`` and writes their rows into the runs
of the same cells already in ``--out`` (other methods kept), e.g. after a
change to one method::

    OMP_NUM_THREADS=1 python benchmarks/bench_methods.py \\
        --datasets digits-std --noise symmetric pair --rates 0.1 0.4 \\
        --imbalanced longtail:symmetric:0.2 none:symmetric:0.05 --seeds 3 \\
        --methods coteaching --update --out benchmarks/results/methods.json

``methods_page.py`` writes ``docs/which_method_table.rst`` and the plot
``docs/_static/which_method.png`` from the json files.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
import warnings

import numpy as np

METHODS = (
    "ce",
    "gce",
    "truncated_gce",
    "correction",
    "elr",
    "coteaching",
    "coteaching_true",
    "forward",
    "forward_true",
    "backward",
    "backward_true",
    "cleanlab",
)
PARAMS = {
    "ce": {},
    "gce": {"loss": "gce"},
    "truncated_gce": {"loss": "truncated_gce"},
    "correction": {"label_correction": "soft"},
    "elr": {"loss": "elr"},
    "coteaching": {"sample_selection": "coteaching"},
    "forward": {"loss": "forward"},
    "backward": {"loss": "backward"},
}


def _rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakMemory:
    """Largest resident set size above the start, sampled in a thread (bytes)."""

    def __enter__(self):
        self.start = self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())
        self.bytes = self.peak - self.start


def true_noise_matrix(y_noisy, y_true, n_classes):
    """The realised noise matrix, ``P(given = i | true = j)`` (columns sum to 1)."""
    counts = np.zeros((n_classes, n_classes))
    np.add.at(counts, (y_noisy, y_true), 1.0)
    sums = counts.sum(axis=0, keepdims=True)
    return np.where(sums > 0, counts / np.maximum(sums, 1), np.eye(n_classes))


_WARM = []


def _warm_up(classifier):
    """One tiny fit per process, so that imports do not count as a fit's memory."""
    if not _WARM:
        X = np.random.default_rng(0).normal(size=(40, 4)).astype(np.float32)
        classifier(max_epochs=1, random_state=0).fit(X, np.arange(40) % 2)
        _WARM.append(True)


def run_cell(dataset, imbalance, noise, rate, seed, methods, max_epochs):
    """Fit every method on one cell; return their scores."""
    import torch

    torch.set_num_threads(1)
    from sknoisy import NoisyLabelClassifier

    _warm_up(NoisyLabelClassifier)
    from sknoisy.benchmark import (
        class_scores,
        inject_noise,
        load_split,
        make_imbalanced,
    )

    X_tr, X_te, y_tr, y_te = load_split(dataset, seed)
    X_tr, y_tr = make_imbalanced(X_tr, y_tr, imbalance, seed)
    X_te, y_te = make_imbalanced(X_te, y_te, imbalance, seed)
    classes = np.unique(y_tr)
    y_tr = np.searchsorted(classes, y_tr)
    y_te = np.searchsorted(classes, y_te)
    y_noisy = inject_noise(X_tr, y_tr, noise, rate, seed)
    kwargs = {"random_state": seed, "max_epochs": max_epochs}
    if dataset.startswith("mnist1d"):
        from sknoisy.models import CNN1D

        kwargs["module"] = CNN1D
    realised = float(np.mean(y_noisy != y_tr))
    matrix = true_noise_matrix(y_noisy, y_tr, len(classes))
    out = {
        "dataset": dataset,
        "imbalance": imbalance,
        "noise": noise,
        "rate": rate,
        "seed": seed,
        "realized_rate": realised,
        "max_epochs": max_epochs,
    }
    for method in methods:
        row = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            with PeakMemory() as memory:
                if method == "cleanlab":
                    from cleanlab.classification import CleanLearning

                    clf = CleanLearning(
                        NoisyLabelClassifier(**kwargs),
                        seed=seed,
                        cv_n_folds=5,
                        # cleanlab's own process pool fails in joblib workers
                        find_label_issues_kwargs={"n_jobs": 1},
                        verbose=False,
                    ).fit(X_tr, y_noisy)
                else:
                    params = dict(PARAMS.get(method, {}))
                    if method == "coteaching_true":
                        params = {"sample_selection": "coteaching"}
                        params["forget_rate"] = realised
                    elif method in ("forward_true", "backward_true"):
                        params = {"loss": method.split("_")[0], "noise_matrix": matrix}
                    clf = NoisyLabelClassifier(**kwargs, **params).fit(X_tr, y_noisy)
            row["seconds"] = time.perf_counter() - start
        row["peak_mib"] = memory.bytes / 2**20
        row.update(class_scores(y_te, clf.predict(X_te)))
        for name in ("noise_rate_", "forget_rate_"):
            if hasattr(clf, name):
                row[name.rstrip("_")] = float(getattr(clf, name))
        out[method] = row
    return out


def cells(args):
    for dataset in args.datasets:
        for noise in args.noise:
            for rate in args.rates:
                for seed in range(args.seeds):
                    yield dataset, "none", noise, rate, seed
        for spec in args.imbalanced:
            profile, noise, rate = spec.split(":")
            for seed in range(args.seeds):
                yield dataset, profile, noise, float(rate), seed


def _key(run):
    return tuple(run[k] for k in ("dataset", "imbalance", "noise", "rate", "seed"))


def merge(path, results, methods, meta):
    """The runs of ``path`` with the rows of ``methods`` taken from ``results``.

    Every cell of ``results`` must be in ``path`` (same data set, imbalance,
    noise, rate and seed); the command is appended to the file's ``updates``.
    """
    with open(path) as f:
        old = json.load(f)
    runs = {_key(run): run for run in old["runs"]}
    for run in results:
        if _key(run) not in runs:
            raise SystemExit(f"--update: cell {_key(run)} is not in {path}")
        target = runs[_key(run)]
        if target["max_epochs"] != run["max_epochs"]:
            raise SystemExit(f"--update: {path} was run with other --max-epochs")
        for method in methods:
            target[method] = run[method]
    old["meta"].setdefault("updates", []).append(meta)
    return old["runs"], old["meta"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["digits-std"])
    parser.add_argument("--noise", nargs="+", default=["symmetric", "pair"])
    parser.add_argument("--rates", nargs="+", type=float, default=[0.1, 0.4])
    parser.add_argument(
        "--imbalanced",
        nargs="*",
        default=[],
        help='extra cells "profile:noise:rate" (profile none, longtail or step)',
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--max-epochs", type=int, default=50)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", default="benchmarks/results/methods.json")
    parser.add_argument(
        "--update",
        action="store_true",
        help="write the rows of --methods into the matching runs of --out",
    )
    args = parser.parse_args(argv)
    unknown = set(args.methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods {sorted(unknown)}; known: {METHODS}")
    from joblib import Parallel, delayed

    todo = list(cells(args))
    start = time.perf_counter()
    results = Parallel(n_jobs=args.n_jobs, verbose=10)(
        delayed(run_cell)(*cell, args.methods, args.max_epochs) for cell in todo
    )
    meta = {
        "command": "python benchmarks/bench_methods.py " + " ".join(argv or []),
        "seconds": time.perf_counter() - start,
        "torch_threads": 1,
    }
    if args.update:
        results, meta = merge(args.out, results, args.methods, meta)
    with open(args.out, "w") as f:
        json.dump({"meta": meta, "runs": results}, f, indent=1)
    print(f"wrote {args.out} ({len(results)} runs)")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
