"""Benchmark of sknoisy's label-noise injectors.

Measures, on one CPU core:

1. the time of ``fit_resample`` for symmetric noise on 10 million labels of 10
   classes (the goal is <= 0.5 s);
2. the realized noise rate of every label-only injector at n = 200,000;
3. the largest absolute error between the realized and the expected transition
   matrix at n = 200,000.

Run::

    python benchmarks/bench_noise.py
    python benchmarks/bench_noise.py --n-labels 1000000 --repeats 3
"""

import argparse
import os
import platform
import time

import numpy as np
from threadpoolctl import threadpool_limits

from sknoisy.noise import make_noise, symmetric_transition_matrix


def pin_to_one_core():
    """Run on one CPU where the OS allows it; return a description."""
    threadpool_limits(1)  # BLAS and OpenMP pools: one thread
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "one BLAS/OpenMP thread (no sched_setaffinity on this OS)"


def time_symmetric(n_labels, n_classes, rate, repeats):
    """Wall and CPU seconds of ``fit_resample`` calls; the first call is apart.

    CPU time (``time.process_time``) is what the call itself costs; wall time also
    counts waiting for the core when other processes share it.
    """
    y = np.random.default_rng(0).integers(0, n_classes, n_labels)
    X = np.zeros((n_labels, 1), dtype=np.float32)
    wall, cpu = [], []
    for seed in range(repeats + 1):
        noise = make_noise("symmetric", rate=rate, random_state=seed)
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        _, y_noisy = noise.fit_resample(X, y)
        wall.append(time.perf_counter() - start_wall)
        cpu.append(time.process_time() - start_cpu)
        assert len(y_noisy) == n_labels
    return np.array(wall), np.array(cpu)


def expected_matrix(kind, n_classes, rate, params):
    eye = np.eye(n_classes)
    if kind == "symmetric":
        return symmetric_transition_matrix(n_classes, rate, params.get("flip_to"))
    if kind == "pair":
        return (1 - rate) * eye + rate * np.roll(eye, 1, axis=1)
    return params["matrix"]


def accuracy_table(n, n_classes, rate):
    """Realized rate and matrix error of the label-only injectors at size n."""
    rng = np.random.default_rng(1)
    y = rng.integers(0, n_classes, n)
    X = np.zeros((n, 1), dtype=np.float32)
    spread = rng.dirichlet(np.full(n_classes, 0.5), size=n_classes)
    spread *= 1 - np.eye(n_classes)
    matrix = (1 - rate) * np.eye(n_classes) + rate * spread / spread.sum(
        axis=1, keepdims=True
    )
    cases = [
        ("symmetric", {"flip_to": "other"}, rate),
        ("symmetric", {"flip_to": "any"}, rate * (n_classes - 1) / n_classes),
        ("pair", {}, rate),
        ("transition_matrix", {"matrix": matrix}, rate),
    ]
    rows = []
    for kind, params, target_rate in cases:
        for exact in (False, True):
            kwargs = dict(params, exact=exact, random_state=0)
            if kind != "transition_matrix":
                kwargs["rate"] = rate
            noise = make_noise(kind, **kwargs)
            noise.fit_resample(X, y)
            error = np.abs(
                noise.transition_matrix_
                - expected_matrix(kind, n_classes, rate, params)
            ).max()
            label = kind + "".join(
                f" {k}={v}" for k, v in params.items() if k != "matrix"
            )
            rows.append((label, exact, target_rate, noise.noise_rate_, error))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-labels", type=int, default=10_000_000)
    parser.add_argument("--n-classes", type=int, default=10)
    parser.add_argument("--rate", type=float, default=0.4)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-accuracy", type=int, default=200_000)
    args = parser.parse_args()

    print(
        f"sknoisy noise benchmark, Python {platform.python_version()}, "
        f"numpy {np.__version__}, {pin_to_one_core()}"
    )

    wall, cpu = time_symmetric(args.n_labels, args.n_classes, args.rate, args.repeats)
    print(
        f"\nSymmetricNoise(rate={args.rate}).fit_resample on {args.n_labels:,} labels, "
        f"{args.n_classes} classes, one core:"
    )
    for name, t in (("wall", wall), ("CPU", cpu)):
        print(
            f"  {name:>4}: first call {t[0]:.3f} s, then min {t[1:].min():.3f} s, "
            f"median {np.median(t[1:]):.3f} s over {args.repeats} calls"
        )

    print(f"\nRealized noise at n = {args.n_accuracy:,}, rate = {args.rate}:")
    print(
        f"  {'injector':<32}{'exact':>6}{'expected':>10}{'realized':>10}"
        f"{'max |T - T_expected|':>23}"
    )
    for label, exact, target, realized, error in accuracy_table(
        args.n_accuracy, args.n_classes, args.rate
    ):
        print(
            f"  {label:<32}{exact!s:>6}{target:>10.4f}{realized:>10.4f}{error:>23.4f}"
        )


if __name__ == "__main__":
    main()
