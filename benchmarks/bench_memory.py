"""Peak memory (RSS) of a fit with soft label correction or ELR against cross entropy.

Each fit runs in its own process (random features, ``n`` samples, ``C``
classes, 2 epochs, batch 1024); the peak resident set size is read from
``resource.getrusage`` of that process.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_memory.py --n 300000 --classes 100
"""

from __future__ import annotations

import argparse
import subprocess
import sys

FIT = """
import resource, sys, warnings
import numpy as np
from sknoisy import NoisyLabelClassifier
warnings.simplefilter("ignore")
n, c, method = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(0)
X = rng.normal(size=(n, 20)).astype(np.float32)
y = rng.integers(0, c, n)
extra = {
    "ce": {},
    "correction": {"label_correction": "soft"},
    "elr": {"loss": "elr"},
}[method]
NoisyLabelClassifier(max_epochs=2, batch_size=1024, random_state=0, **extra).fit(X, y)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux
"""


def peak_mib(n, classes, method):
    out = subprocess.run(
        [sys.executable, "-c", FIT, str(n), str(classes), method],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(out.split()[-1]) / 1024


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=300000)
    parser.add_argument("--classes", type=int, default=100)
    args = parser.parse_args(argv)
    ce = peak_mib(args.n, args.classes, "ce")
    state = args.n * args.classes * 4 / 2**20
    print(f"n={args.n}, C={args.classes}: peak RSS CE {ce:.0f} MiB")
    for method, name in (("correction", "soft correction"), ("elr", "ELR")):
        peak = peak_mib(args.n, args.classes, method)
        print(
            f"  {name}: {peak:.0f} MiB, extra {peak - ce:.0f} MiB = "
            f"{(peak - ce) / state:.1f} x n*C*4 bytes"
        )


if __name__ == "__main__":
    main()
