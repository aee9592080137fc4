"""Label correction on one process against two (accelerate, gloo, CPU).

``AcceleratedNoisyLabelClassifier(label_correction="soft")`` with default
settings on load_digits (StandardScaler, 70/30 stratified split), symmetric
and pair noise at rate 0.4, several seeds, trained

- on one process (``Accelerator(cpu=True)``),
- on two processes with ``split_batches=True`` (``Accelerator(cpu=True,
  dataloader_config=DataLoaderConfiguration(split_batches=True))``):
  ``batch_size`` is the global batch, each process takes half of it, so the
  optimisation takes the steps of the one-process run,
- on two processes with accelerate's default (``split_batches=False``): each
  process takes ``batch_size`` samples, the global batch doubles and an epoch
  has half as many steps;
- and, as the yardstick of run-to-run variation, on one process with another
  ``random_state`` (other initial weights, shuffling and dropout; same data
  and noise).

Reported per setting: label recovery (share of training samples whose
corrected label is the clean one), test accuracy on clean labels, whether
both processes hold identical corrected labels, the fit time and the time
spent exchanging the epoch's outputs between the processes. The two
processes of a run are started with ``torch.distributed.run`` on 127.0.0.1;
each launch runs every (noise, seed) cell.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_distributed.py --seeds 3

Writes ``benchmarks/results/distributed.json``. ``--dataset wine --scaling
minmax --settings "1 process" "2 processes, split_batches=True" --out FILE``
runs the same comparison on other data, another preprocessing and a subset
of the settings.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

NOISES = ("symmetric", "pair")
RATE = 0.4
SETTINGS = {
    # name: (processes, split_batches, offset of the estimator's random_state)
    "1 process": (1, False, 0),
    "1 process, other random_state": (1, False, 1000),
    "2 processes, split_batches=True": (2, True, 0),
    "2 processes, split_batches=False": (2, False, 0),
}
RESULTS = Path(__file__).parent / "results" / "distributed.json"


def _load(dataset):
    from sklearn.datasets import load_digits, load_wine

    return {"digits": load_digits, "wine": load_wine}[dataset](return_X_y=True)


def _scaler(scaling):
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    return {"standard": StandardScaler, "minmax": MinMaxScaler}[scaling]()


def worker(out, seeds, split_batches, offset, dataset="digits", scaling="standard"):
    """One process of a run: fit every (noise, seed) cell, write its results."""
    import torch
    from accelerate import Accelerator, DataLoaderConfiguration
    from sklearn.model_selection import train_test_split

    from sknoisy.accelerate import AcceleratedNoisyLabelClassifier
    from sknoisy.noise import corrupt_labels

    # The processes exchange their epoch outputs (and, once per fit, the
    # held-out mask) with torch.distributed.all_reduce: time every call.
    exchange = []
    all_reduce = torch.distributed.all_reduce

    def timed_all_reduce(*args, **kwargs):
        start = time.perf_counter()
        try:
            return all_reduce(*args, **kwargs)
        finally:
            exchange.append(time.perf_counter() - start)

    torch.distributed.all_reduce = timed_all_reduce
    accelerator = Accelerator(
        cpu=True, dataloader_config=DataLoaderConfiguration(split_batches=split_batches)
    )
    X, y = _load(dataset)
    cells = []
    for noise in NOISES:
        for seed in range(seeds):
            X_tr, X_te, y_tr, y_te = train_test_split(
                X, y, test_size=0.3, random_state=seed, stratify=y
            )
            scaler = _scaler(scaling).fit(X_tr)
            X_tr = scaler.transform(X_tr).astype(np.float32)
            X_te = scaler.transform(X_te).astype(np.float32)
            y_noisy = corrupt_labels(y_tr, kind=noise, rate=RATE, random_state=seed)
            exchange.clear()
            start = time.perf_counter()
            clf = AcceleratedNoisyLabelClassifier(
                accelerator=accelerator,
                label_correction="soft",
                random_state=seed + offset,
            ).fit(X_tr, y_noisy)
            cells.append(
                {
                    "noise": noise,
                    "seed": seed,
                    "recovery": float(np.mean(clf.corrected_labels_ == y_tr)),
                    "test_accuracy": float(clf.score(X_te, y_te)),
                    "given_correct": float(np.mean(y_noisy == y_tr)),
                    "correction_start": clf.correction_start_,
                    "fit_s": time.perf_counter() - start,
                    "exchange_s": sum(exchange),
                    "labels": clf.corrected_labels_.tolist(),
                }
            )
    rank = accelerator.process_index
    with open(Path(out) / f"rank{rank}.json", "w") as f:
        json.dump(
            {
                "n_processes": accelerator.num_processes,
                "split_batches": accelerator.split_batches,
                "cells": cells,
            },
            f,
        )
    if accelerator.num_processes > 1:
        accelerator.wait_for_everyone()
        torch.distributed.destroy_process_group()


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch(processes, split_batches, offset, seeds, dataset, scaling):
    """Run the worker on ``processes`` processes; the results of every rank."""
    with tempfile.TemporaryDirectory() as out:
        args = [__file__, "--worker", out, "--seeds", str(seeds)]
        args += ["--offset", str(offset), "--dataset", dataset, "--scaling", scaling]
        if split_batches:
            args.append("--split-batches")
        if processes == 1:
            command = [sys.executable, *args]
        else:
            command = [
                sys.executable,
                "-m",
                "torch.distributed.run",
                f"--nproc_per_node={processes}",
                "--master_addr=127.0.0.1",
                f"--master_port={_free_port()}",
                *args,
            ]
        env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
        start = time.perf_counter()
        proc = subprocess.run(command, env=env, capture_output=True, text=True)
        if proc.returncode:
            sys.exit(proc.stderr[-4000:])
        wall = time.perf_counter() - start
        ranks = [
            json.loads((Path(out) / f"rank{r}.json").read_text())
            for r in range(processes)
        ]
    return ranks, wall


def _mean_std(values):
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def main(seeds, dataset="digits", scaling="standard", settings=None, out=RESULTS):
    settings = {name: SETTINGS[name] for name in settings or SETTINGS}
    results = {
        "dataset": f"load_{dataset}, {scaling} scaling, 70/30 stratified split",
        "estimator": (
            "AcceleratedNoisyLabelClassifier(label_correction='soft', "
            "random_state=seed), other parameters default"
        ),
        "rate": RATE,
        "seeds": seeds,
        "settings": {},
    }
    per_setting = {}
    for name, (processes, split_batches, offset) in settings.items():
        ranks, wall = launch(processes, split_batches, offset, seeds, dataset, scaling)
        cells = ranks[0]["cells"]
        identical = all(
            [c["labels"] for c in r["cells"]] == [c["labels"] for c in cells]
            for r in ranks[1:]
        )
        for cell in cells:
            del cell["labels"]
        per_setting[name] = cells
        results["settings"][name] = {
            "processes": processes,
            "split_batches": ranks[0]["split_batches"],
            "random_state": f"seed + {offset}",
            "identical_labels_across_processes": identical,
            "launch_wall_s": round(wall, 1),
            "cells": cells,
        }
        print(f"{name}: {wall:.0f} s, identical labels across processes: {identical}")

    one = per_setting["1 process"]
    header = ["noise", "setting", "recovery", "test accuracy", "Δ recovery (max |Δ|)"]
    rows, summary = [], {}
    for noise in NOISES:
        base = [c["recovery"] for c in one if c["noise"] == noise]
        for name, cells in per_setting.items():
            cells = [c for c in cells if c["noise"] == noise]
            rec = [c["recovery"] for c in cells]
            acc = [c["test_accuracy"] for c in cells]
            delta = [a - b for a, b in zip(rec, base)]
            summary.setdefault(noise, {})[name] = {
                "recovery_mean": statistics.mean(rec),
                "test_accuracy_mean": statistics.mean(acc),
                "mean_recovery_diff_vs_1_process": statistics.mean(delta),
                "max_abs_recovery_diff_vs_1_process": max(map(abs, delta)),
                "fit_s_mean": statistics.mean(c["fit_s"] for c in cells),
                "exchange_s_mean": statistics.mean(c["exchange_s"] for c in cells),
            }
            rows.append(
                [
                    noise,
                    name,
                    _mean_std(rec),
                    _mean_std(acc),
                    f"{statistics.mean(delta):+.3f} ({max(map(abs, delta)):.3f})",
                ]
            )
    results["summary"] = summary
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(str(x).ljust(w) for x, w in zip(row, widths)))
    out = Path(out)
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"saved {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--dataset", choices=["digits", "wine"], default="digits")
    parser.add_argument("--scaling", choices=["standard", "minmax"], default="standard")
    parser.add_argument("--settings", nargs="+", choices=list(SETTINGS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--split-batches", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(
            args.worker,
            args.seeds,
            args.split_batches,
            args.offset,
            args.dataset,
            args.scaling,
        )
    else:
        main(args.seeds, args.dataset, args.scaling, args.settings, args.out)
