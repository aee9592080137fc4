"""Peak memory of a fit on a memory-mapped X against the same fit on a slice.

A ``.npy`` file of about ``--mib`` MiB (random integers, ``--features``
columns, ``--dtype``) is written to a temporary directory and opened with
``np.load(path, mmap_mode="r")``. Each fit (an MLP with one hidden layer of
8 units, 2 epochs, batch 500, then ``predict_proba`` on the same X) runs in
its own process, on the whole memmap and on its first 1,000 rows, with and
without soft label correction. Reported per pair:

- ``maxrss``: the difference of the peak resident set sizes
  (``resource.getrusage``), which counts the pages of the mapping the fit
  reads: about 1 x the array when X is read and not copied, 2 x or more
  with a float32 copy;
- ``anon``: the difference of the peaks of anonymous memory (``RssAnon``
  sampled every 20 ms), where a copy of X shows and the mapped pages do not.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_memmap.py --dtype float32
    OMP_NUM_THREADS=1 python benchmarks/bench_memmap.py --dtype uint8
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

FIT = r"""
import resource, sys, threading, time, warnings
import numpy as np
from sknoisy import NoisyLabelClassifier

warnings.simplefilter("ignore")
path, n, correction = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
peak, stop = [0], threading.Event()


def anon_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], anon_kib())
        time.sleep(0.02)


X = np.load(path, mmap_mode="r")[:n]
y = np.arange(len(X)) % 3
thread = threading.Thread(target=sample, daemon=True)
thread.start()
params = dict(max_epochs=2, batch_size=500, random_state=0,
              module__hidden_layer_sizes=(8,))
if correction:
    params.update(label_correction="soft", correction_start=1)
start = time.perf_counter()
NoisyLabelClassifier(**params).fit(X, y).predict_proba(X)
seconds = time.perf_counter() - start
stop.set()
thread.join()
peak[0] = max(peak[0], anon_kib())
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, peak[0], seconds)
"""


def run(path, n, correction):
    out = subprocess.run(
        [sys.executable, "-c", FIT, path, str(n), "1" if correction else "0"],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")},
    ).stdout.split()
    maxrss, anon, seconds = int(out[-3]) / 1024, int(out[-2]) / 1024, float(out[-1])
    return maxrss, anon, seconds


def write_memmap(path, n, n_features, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(n, n_features))
    for start in range(0, n, 10000):
        stop = min(start + 10000, n)
        X[start:stop] = rng.integers(0, 100, (stop - start, n_features))
    X.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mib", type=int, default=400)
    parser.add_argument("--features", type=int, default=2000)
    parser.add_argument("--dtype", default="float32")
    args = parser.parse_args(argv)
    dtype = np.dtype(args.dtype)
    n = args.mib * 2**20 // (args.features * dtype.itemsize)
    size = n * args.features * dtype.itemsize / 2**20
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "X.npy")
        write_memmap(path, n, args.features, dtype)
        print(f"X: {n} x {args.features} {dtype} memmap, {size:.0f} MiB")
        for correction in (False, True):
            small, full = run(path, 1000, correction), run(path, n, correction)
            rss, anon = full[0] - small[0], full[1] - small[1]
            print(
                f"  label_correction={'soft' if correction else None}: "
                f"maxrss +{rss:.0f} MiB ({rss / size:.2f} x X), "
                f"anon +{anon:.0f} MiB ({anon / size:.2f} x X); "
                f"fit+predict {full[2]:.1f} s (slice {small[2]:.1f} s)"
            )


if __name__ == "__main__":
    main()
