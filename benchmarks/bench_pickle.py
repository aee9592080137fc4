"""Pickle size of a fitted correction or ELR model against plain cross entropy.

Issue 12 bounds the pickled label state: a correction model may be at most
``2 * n * C * 8`` bytes larger than the same model trained with cross entropy
(the user reads ``soft_labels_``, float64; the state keeps float32 labels to
go on with ``partial_fit``).

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_pickle.py --n 20000 --classes 100
"""

from __future__ import annotations

import argparse
import pickle
import warnings

import numpy as np

from sknoisy import NoisyLabelClassifier


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--classes", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.n, 20)).astype(np.float32)
    y = rng.integers(0, args.classes, args.n)
    params = {"max_epochs": args.epochs, "random_state": 0, "batch_size": 512}
    ce = NoisyLabelClassifier(**params).fit(X, y)
    with warnings.catch_warnings():  # few epochs: CorrectionWarning expected
        warnings.simplefilter("ignore")
        jo = NoisyLabelClassifier(
            label_correction="soft", correction_start=1, **params
        ).fit(X, y)
    elr = NoisyLabelClassifier(loss="elr", **params).fit(X, y)
    size_ce, size_jo = len(pickle.dumps(ce)), len(pickle.dumps(jo))
    size_elr = len(pickle.dumps(elr))
    bound = 2 * args.n * args.classes * 8
    print(
        f"n={args.n}, C={args.classes}: CE {size_ce / 1e6:.1f} MB, soft correction "
        f"{size_jo / 1e6:.1f} MB, extra {(size_jo - size_ce) / 1e6:.1f} MB "
        f"(bound 2nC*8 = {bound / 1e6:.1f} MB): "
        + ("within" if size_jo - size_ce <= bound else "OVER")
    )
    print(
        f"  ELR {size_elr / 1e6:.1f} MB, extra {(size_elr - size_ce) / 1e6:.1f} MB "
        f"(its targets, n*C*4 = {args.n * args.classes * 4 / 1e6:.1f} MB)"
    )


if __name__ == "__main__":
    main()
