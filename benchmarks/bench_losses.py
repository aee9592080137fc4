"""Robust losses under 40% label flips on load_digits, and their cost.

For every loss: test accuracy on the clean test labels (mean ± std over seeds)
after training on labels flipped to another class with probability ``--rate``,
and fit time relative to plain skorch (``NeuralNetClassifier`` with
``torch.nn.CrossEntropyLoss``) on the same module, data, optimizer and epochs.
Timings are interleaved (plain, sknoisy, plain, ...) in one process and the
ratio of medians is reported.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_losses.py --seeds 5
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from skorch import NeuralNetClassifier

from sknoisy import NoisyLabelClassifier
from sknoisy.benchmark import inject_noise, load_split, mean_std, text_table
from sknoisy.models import MLP

LOSSES = [
    "ce",
    "mae",
    "gce",
    "truncated_gce",
    "encouraging",
    "label_smoothing",
    "sce",
    "nce_rce",
    "bootstrap",
]


def plain_skorch(epochs, seed):
    return NeuralNetClassifier(
        MLP,
        module__n_features=64,
        module__n_classes=10,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=epochs,
        batch_size=64,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--rate", type=float, default=0.4)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--losses", nargs="+", default=LOSSES)
    args = parser.parse_args(argv)

    acc = {loss: [] for loss in args.losses}
    times = {loss: [] for loss in args.losses}
    base_times = []
    for seed in range(args.seeds):
        X_tr, X_te, y_tr, y_te = load_split("digits-x16", seed)
        y_noisy = inject_noise(X_tr, y_tr, "symmetric", args.rate, seed)
        for loss in args.losses:
            torch.manual_seed(seed)
            base = plain_skorch(args.epochs, seed)
            start = time.perf_counter()
            base.fit(X_tr, y_noisy)
            t_base = time.perf_counter() - start
            base_times.append(t_base)
            clf = NoisyLabelClassifier(
                loss=loss, max_epochs=args.epochs, random_state=seed
            )
            start = time.perf_counter()
            clf.fit(X_tr, y_noisy)
            t = time.perf_counter() - start
            times[loss].append(t)
            acc[loss].append(clf.score(X_te, y_te))
        if "ce" in acc:
            base_acc = np.mean(base.predict(X_te) == y_te)
            print(f"seed {seed}: plain skorch CE acc {base_acc:.3f}", flush=True)

    t_base = statistics.median(base_times)
    rows = [
        [loss, mean_std(acc[loss]), f"{statistics.median(times[loss]) / t_base:.3f}"]
        for loss in args.losses
    ]
    print(
        f"\nload_digits, {args.rate:.0%} flips, {args.seeds} seeds, "
        f"{args.epochs} epochs; plain skorch fit median {t_base:.2f} s"
    )
    print(text_table(["loss", "test accuracy", "fit time / plain skorch"], rows))
    return acc, times


if __name__ == "__main__":
    main()
