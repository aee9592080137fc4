"""Seconds per epoch and peak memory of a fit as n grows, X in a memmap.

Synthetic tabular data (``--features`` 20 float32 features, ``--classes`` 10
Gaussian classes, 20% of the labels flipped to another class) is written
chunk by chunk into one ``.npy`` file per size with
``np.lib.format.open_memmap``, so that the data never sit whole in memory,
and opened with ``np.load(path, mmap_mode="r")``. For each size ``n`` and
each method, cross entropy (``ce``) and soft label correction from the end of
the first epoch (``correction``: ``label_correction="soft",
correction_start=1``), a fresh process fits a :class:`~sknoisy.NoisyLabelClassifier`
(its default MLP, 256 and 128 hidden units, batch ``--batch-size``) on the
memmap and the labels (``y`` loaded into memory, int64). Recorded per fit:

- the wall time and the CPU time (``time.process_time``, all threads of
  the process) of every epoch, from the start of one epoch to the start of
  the next, so every callback's work is counted; ``seconds_per_epoch`` and
  ``cpu_seconds_per_epoch`` are the medians of the epochs after the first
  (the first also pays for the first reads of the file and for setting up).
  On a shared machine the CPU time is the steadier measure (torch runs one
  thread: uncontended, wall time = CPU time);
- ``extra_rss``: the peak resident set size during the fit
  (``ru_maxrss``, after resetting the peak through ``/proc/self/clear_refs``
  so that the peak of the imports does not count) minus the resident set
  size just before the fit, in a process that has imported everything and
  opened the memmap. It counts the pages of the file that the fit reads
  (``X`` is read, not copied: at most its size on disk) and the pages of
  torch's libraries that the first fit touches;
- ``extra_anon``: the peak of the process' anonymous memory (``RssAnon``,
  sampled every 20 ms) minus the same before the fit: what the fit
  allocates (labels, shuffled indices, the label state, torch's buffers),
  without the mapped file.

Each configuration runs ``--repeats`` times (a process each); the table
keeps the fastest run (wall and CPU time separately) and the median
memory. The epochs per fit are ``max(2, min(20, ceil(300000 / n)))``.
Lines ``value = a + b n`` are fitted by least squares over all sizes:
``b`` is the cost of one sample (microseconds per sample per epoch, bytes
per sample), ``a`` the fixed cost; the log-log slope is fitted over the
sizes ``n >= --slope-from``, where the fixed costs no longer dominate.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_scale.py \\
        --out benchmarks/results/scale.json --rst docs/scale_table.rst \\
        --plot docs/_static/bench_scale.png
    OMP_NUM_THREADS=1 python benchmarks/bench_scale.py --quick   # a smoke test

``--report FILE`` prints (and, with ``--rst`` / ``--plot``, writes) the table
of a saved run without fitting. Sizes whose files would not fit on the disk
of ``--dir`` (with 20% to spare) are skipped and listed in the JSON file.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings

import numpy as np

SIZES = [10_000, 30_000, 100_000, 300_000, 1_000_000, 10_000_000]
QUICK_SIZES = [1_000, 3_000]
METHODS = {
    "ce": {},
    "correction": {"label_correction": "soft", "correction_start": 1},
}
CHUNK = 100_000
NOISE_RATE = 0.2


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------
def write_data(directory, n, n_features=20, n_classes=10, seed=0):
    """Write a noisy synthetic classification set as two ``.npy`` files.

    Parameters
    ----------
    directory : str
        Folder of the files.
    n : int
        Number of samples.
    n_features : int, default=20
        Number of float32 features.
    n_classes : int, default=10
        Number of classes.
    seed : int, default=0
        Seed of the class centres and of the samples. Chunk ``i`` of rows is
        drawn from ``(seed, i)``, so a smaller set is a prefix of a larger one.

    Returns
    -------
    x_path, y_path : str
        ``X`` (float32, shape ``(n, n_features)``) and the noisy labels (int64,
        shape ``(n,)``): Gaussian classes around random centres, each label
        flipped to another class with probability 0.2.
    """
    centres = np.random.default_rng(seed).normal(
        scale=1.5, size=(n_classes, n_features)
    )
    x_path = os.path.join(directory, f"X_{n}.npy")
    y_path = os.path.join(directory, f"y_{n}.npy")
    X = np.lib.format.open_memmap(
        x_path, mode="w+", dtype=np.float32, shape=(n, n_features)
    )
    y = np.lib.format.open_memmap(y_path, mode="w+", dtype=np.int64, shape=(n,))
    for i, start in enumerate(range(0, n, CHUNK)):
        stop = min(start + CHUNK, n)
        m = stop - start
        rng = np.random.default_rng([seed, i])  # whole chunks: prefixes agree
        true = rng.integers(0, n_classes, CHUNK)[:m]
        noise = rng.normal(size=(CHUNK, n_features))[:m]
        X[start:stop] = centres[true] + noise
        flip = rng.random(CHUNK)[:m] < NOISE_RATE
        shift = rng.integers(1, n_classes, CHUNK)[:m]
        y[start:stop] = np.where(flip, (true + shift) % n_classes, true)
    X.flush()
    y.flush()
    del X, y
    return x_path, y_path


def epochs_for(n):
    """Epochs of a fit on ``n`` samples: enough to time the small sizes."""
    return max(2, min(20, math.ceil(300_000 / n)))


# ---------------------------------------------------------------------------
# one fit (in a fresh process)
# ---------------------------------------------------------------------------
def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _rss_anon_kib():
    return _status_kib("RssAnon")


def _reset_peak_rss():
    """Set the peak RSS to the current RSS (Linux >= 4.0); False if refused."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def _epoch_clock():
    from skorch.callbacks import Callback

    class EpochClock(Callback):
        """Record wall and CPU time at every epoch's start and at the end."""

        def initialize(self):
            self.times_, self.cpu_times_ = [], []
            return self

        def on_epoch_begin(self, net, **kwargs):
            self.times_.append(time.perf_counter())
            self.cpu_times_.append(time.process_time())

        def on_train_end(self, net, **kwargs):
            self.times_.append(time.perf_counter())
            self.cpu_times_.append(time.process_time())

    return EpochClock()


def measure(x_path, y_path, method, epochs, batch_size, hidden=None):
    """Fit once on the memmap and return times and memory.

    Parameters
    ----------
    x_path, y_path : str
        Files written by :func:`write_data`.
    method : {"ce", "correction"}
        Cross entropy, or soft label correction from the end of epoch 1.
    epochs : int
        ``max_epochs``.
    batch_size : int
        Batch size.
    hidden : tuple of int, default=None
        Hidden layer sizes of the MLP; ``None`` keeps the default.

    Returns
    -------
    dict
        ``epoch_seconds`` (list), ``seconds_per_epoch``, ``fit_seconds``,
        ``baseline_rss``, ``extra_rss`` and ``extra_anon`` (bytes) and
        ``train_loss`` (last epoch).
    """
    import torch

    from sknoisy import NoisyLabelClassifier

    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    X = np.load(x_path, mmap_mode="r")
    # the peak of the imports is not the fit's: start the peak afresh
    reset = _reset_peak_rss()
    baseline_rss = (
        _status_kib("VmRSS")
        if reset
        else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    )
    baseline_anon = _rss_anon_kib()
    peak, stop = [baseline_anon], threading.Event()

    def sample():
        while not stop.wait(0.02):
            peak[0] = max(peak[0], _rss_anon_kib())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    y = np.load(y_path)
    params = dict(METHODS[method], max_epochs=epochs, batch_size=batch_size)
    if hidden is not None:
        params["module__hidden_layer_sizes"] = tuple(hidden)
    clock = _epoch_clock()
    clf = NoisyLabelClassifier(random_state=0, callbacks=[clock], **params)
    start = time.perf_counter()
    clf.fit(X, y)
    fit_seconds = time.perf_counter() - start
    stop.set()
    thread.join()
    peak[0] = max(peak[0], _rss_anon_kib())
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    epoch_seconds = np.diff(clock.times_).tolist()
    epoch_cpu = np.diff(clock.cpu_times_).tolist()
    return {
        "epoch_seconds": epoch_seconds,
        "seconds_per_epoch": statistics.median(epoch_seconds[1:]),
        "epoch_cpu_seconds": epoch_cpu,
        "cpu_seconds_per_epoch": statistics.median(epoch_cpu[1:]),
        "fit_seconds": fit_seconds,
        "baseline_rss": baseline_rss * 1024,
        "peak_reset": reset,
        "extra_rss": (maxrss - baseline_rss) * 1024,  # ru_maxrss is in KiB
        "extra_anon": (peak[0] - baseline_anon) * 1024,
        "train_loss": float(clf.history[-1, "train_loss"]),
    }


def run_fit(x_path, y_path, method, epochs, batch_size, hidden, in_process):
    """:func:`measure` in a fresh Python process (or in this one)."""
    if in_process:
        return measure(x_path, y_path, method, epochs, batch_size, hidden)
    spec = json.dumps([x_path, y_path, method, epochs, batch_size, hidden])
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", spec],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


# ---------------------------------------------------------------------------
# summary: lines and log-log slopes
# ---------------------------------------------------------------------------
def summarise(runs):
    """One row per size and method: fastest epoch, median memory.

    Parameters
    ----------
    runs : list of dict
        Results of :func:`measure`, with ``n``, ``method`` and ``x_bytes``.

    Returns
    -------
    list of dict
        Sorted by method, then ``n``.
    """
    groups = {}
    for run in runs:
        groups.setdefault((run["method"], run["n"]), []).append(run)
    rows = []
    for (method, n), group in sorted(groups.items()):
        rows.append(
            {
                "method": method,
                "n": n,
                "epochs": len(group[0]["epoch_seconds"]),
                "repeats": len(group),
                "x_bytes": group[0]["x_bytes"],
                "seconds_per_epoch": min(r["seconds_per_epoch"] for r in group),
                "cpu_seconds_per_epoch": min(r["cpu_seconds_per_epoch"] for r in group),
                "first_epoch_seconds": min(r["epoch_seconds"][0] for r in group),
                "extra_rss": statistics.median(r["extra_rss"] for r in group),
                "extra_anon": statistics.median(r["extra_anon"] for r in group),
            }
        )
    return rows


def _loglog_slope(n, v):
    ok = v > 0
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(n[ok]), np.log(v[ok]), 1)[0])


def fit_growth(rows, key, slope_from):
    """Fit ``value = a + b n`` and the log-log slope, per method.

    The line is fitted by least squares on the relative residuals
    ``(value - a - b n) / value``, so that every size counts alike however
    small its value (a plain fit would follow the largest sizes only).

    Parameters
    ----------
    rows : list of dict
        Output of :func:`summarise`.
    key : str
        The measured value.
    slope_from : int
        Smallest ``n`` of the log-log fits (the largest two sizes when fewer
        than two are that large).

    Returns
    -------
    dict
        Per method: ``per_sample`` (``b``), ``intercept`` (``a``),
        ``max_rel_residual`` (the largest ``|value - a - b n| / value``),
        ``loglog_slope`` (of the values), ``loglog_slope_net`` (of
        ``value - a``: 1 when the part that grows grows linearly) and
        ``slope_sizes`` (the sizes of the log-log fits).
    """
    out = {}
    for method in sorted({r["method"] for r in rows}):
        mine = sorted((r for r in rows if r["method"] == method), key=lambda r: r["n"])
        n = np.array([r["n"] for r in mine], dtype=float)
        v = np.array([r[key] for r in mine], dtype=float)
        if len(n) < 2:
            b, a = v[0] / n[0], 0.0
        elif (v > 0).all():
            b, a = np.polyfit(n, v, 1, w=1 / v)
        else:  # a value of 0 (in-process runs): plain least squares
            b, a = np.polyfit(n, v, 1)
        big = n >= slope_from
        if big.sum() < 2:
            big = n >= n[-2] if len(n) > 1 else np.ones_like(big)
        with np.errstate(divide="ignore", invalid="ignore"):
            residual = np.abs(v - a - b * n) / np.abs(v)
        out[method] = {
            "per_sample": float(b),
            "intercept": float(a),
            "max_rel_residual": float(np.nanmax(np.where(v != 0, residual, np.nan)))
            if (v != 0).any()
            else float("nan"),
            "loglog_slope": _loglog_slope(n[big], v[big]),
            "loglog_slope_net": _loglog_slope(n[big], v[big] - a),
            "slope_sizes": [int(x) for x in n[big]],
        }
    return out


def growth(rows, slope_from):
    """:func:`fit_growth` of time, peak RSS and anonymous memory."""
    return {
        key: fit_growth(rows, key, slope_from)
        for key in (
            "cpu_seconds_per_epoch",
            "seconds_per_epoch",
            "extra_rss",
            "extra_anon",
        )
    }


# ---------------------------------------------------------------------------
# report: text, reST table, plot
# ---------------------------------------------------------------------------
MIB = 2**20


def table(rows):
    """Header and rows: one line per size, the two methods side by side."""
    by = {(r["method"], r["n"]): r for r in rows}
    header = [
        "n",
        "X on disk (MiB)",
        "epochs",
        "CPU s/epoch CE",
        "CPU s/epoch corr.",
        "wall s/epoch CE",
        "wall s/epoch corr.",
        "RSS CE (MiB)",
        "RSS corr. (MiB)",
        "anon CE (MiB)",
        "anon corr. (MiB)",
    ]
    lines = []
    for n in sorted({r["n"] for r in rows}):
        ce, jo = by.get(("ce", n)), by.get(("correction", n))
        first = ce or jo

        def cell(r, key, scale=1.0, fmt="{:.0f}"):
            return "-" if r is None else fmt.format(r[key] / scale)

        lines.append(
            [
                f"{n:,}",
                f"{first['x_bytes'] / MIB:.1f}",
                str(first["epochs"]),
                cell(ce, "cpu_seconds_per_epoch", fmt="{:.3g}"),
                cell(jo, "cpu_seconds_per_epoch", fmt="{:.3g}"),
                cell(ce, "seconds_per_epoch", fmt="{:.3g}"),
                cell(jo, "seconds_per_epoch", fmt="{:.3g}"),
                cell(ce, "extra_rss", MIB),
                cell(jo, "extra_rss", MIB),
                cell(ce, "extra_anon", MIB),
                cell(jo, "extra_anon", MIB),
            ]
        )
    return header, lines


QUANTITIES = {
    "cpu_seconds_per_epoch": ("CPU time per epoch", 1e-6, "µs", 1.0, "s"),
    "seconds_per_epoch": ("wall time per epoch", 1e-6, "µs", 1.0, "s"),
    "extra_rss": ("extra peak RSS", 1.0, "bytes", MIB, "MiB"),
    "extra_anon": ("extra anonymous memory", 1.0, "bytes", MIB, "MiB"),
}
METHOD_NAMES = {"ce": "CE", "correction": "correction"}


def growth_table(fits):
    """Header and rows of the fitted lines ``a + b n`` and log-log slopes."""
    slope_sizes = next(iter(next(iter(fits.values())).values()))["slope_sizes"]
    header = [
        "quantity",
        "method",
        "b (per sample)",
        "a (fixed)",
        "max. deviation",
        f"log-log slope (n >= {slope_sizes[0]:,})",
        "same, of value - a",
    ]
    rows = []
    for key, (name, b_unit, b_name, a_unit, a_name) in QUANTITIES.items():
        for method, fit in fits.get(key, {}).items():
            rows.append(
                [
                    name,
                    METHOD_NAMES.get(method, method),
                    f"{fit['per_sample'] / b_unit:.3g} {b_name}",
                    f"{fit['intercept'] / a_unit:.2g} {a_name}",
                    f"{fit['max_rel_residual']:.0%}",
                    f"{fit['loglog_slope']:.2f}",
                    f"{fit['loglog_slope_net']:.2f}",
                ]
            )
    return header, rows


def print_report(result):
    """Print the table, the fitted constants and the skipped sizes."""
    from sknoisy.benchmark import text_table

    header, lines = table(result["rows"])
    print(text_table(header, lines))
    print()
    print(text_table(*growth_table(result["fits"])))
    if result.get("skipped"):
        print(f"skipped (disk): {result['skipped']}")


def _list_table(header, rows):
    out = []
    for row in [header, *rows]:
        out.append("   * - " + str(row[0]))
        out.extend(f"     - {x}" for x in row[1:])
    return out


def _load_text(runs):
    loads = [r["load_average"] for r in runs if "load_average" in r]
    if not loads:
        return ""
    return (
        f"; 1-minute load average after the fits {min(loads):.1f} to {max(loads):.1f}"
    )


def write_rst(result, path, image=None):
    """Write the docs table (and the figure directive) as a reST fragment."""
    header, lines = table(result["rows"])
    out = [
        ".. This file is generated by benchmarks/bench_scale.py; do not edit.",
        "",
        f"Command: ``{result['command']}``; {result['environment']}"
        + _load_text(result["runs"])
        + ".",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "",
    ]
    out += _list_table(header, lines)
    out += [
        "",
        "Lines ``value = a + b n`` fitted to the table (least squares on the "
        "relative deviations), the largest relative deviation of a size from "
        "its line, and the log-log slopes of the values and of ``value - a``:",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "",
    ]
    out += _list_table(*growth_table(result["fits"]))
    if image:
        out += [
            "",
            f".. image:: {image}",
            "   :width: 100%",
            "   :alt: log-log plot of seconds per epoch and extra memory against n",
        ]
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def plot(result, path):
    """Log-log plot of seconds per epoch and extra memory against ``n``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    styles = {"ce": ("C0", "cross entropy"), "correction": ("C1", "soft correction")}
    panels = [
        (
            axes[0],
            [
                ("cpu_seconds_per_epoch", "-", "CPU, "),
                ("seconds_per_epoch", ":", "wall, "),
            ],
            1.0,
            "seconds per epoch",
        ),
        (
            axes[1],
            [("extra_rss", "-", "peak RSS, "), ("extra_anon", ":", "anonymous, ")],
            MIB,
            "extra peak memory (MiB)",
        ),
    ]
    for ax, keys, scale, label in panels:
        for method, (color, name) in styles.items():
            mine = sorted(
                (r for r in rows if r["method"] == method), key=lambda r: r["n"]
            )
            if not mine:
                continue
            n = np.array([r["n"] for r in mine])
            for key, ls, prefix in keys:
                v = np.array([r[key] for r in mine]) / scale
                ok = v > 0
                ax.plot(n[ok], v[ok], ls, marker="o", color=color, label=prefix + name)
        n_all = np.array(sorted({r["n"] for r in rows}), dtype=float)
        ref = max(r[keys[0][0]] for r in rows) / scale
        ax.plot(n_all, ref * n_all / n_all[-1], "--", color="grey", label="slope 1")
        ax.set(xscale="log", yscale="log", xlabel="n (samples)", ylabel=label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    config = result["config"]
    fig.suptitle(
        "NoisyLabelClassifier on a float32 memmap, "
        f"{config['features']} features, {config['classes']} classes"
    )
    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------
def _environment():
    import torch

    import sknoisy

    return (
        f"sknoisy {sknoisy.__version__}, torch {torch.__version__}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPU cores, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}"
    )


def _command(args):
    parts = ["OMP_NUM_THREADS=1 python benchmarks/bench_scale.py"]
    if args.quick:
        parts.append("--quick")
    else:
        parts.append("--sizes " + " ".join(str(n) for n in args.sizes))
        parts.append(f"--repeats {args.repeats} --batch-size {args.batch_size}")
        if (args.features, args.classes) != (20, 10):
            parts.append(f"--features {args.features} --classes {args.classes}")
    if args.in_process:
        parts.append("--in-process")
    parts += [
        f"--{name} {getattr(args, name)}"
        for name in ("out", "rst", "plot")
        if getattr(args, name)
    ]
    return " ".join(parts)


def run(args):
    """Write the data, run every fit, and return the result dict."""
    if args.quick:
        args.sizes, args.repeats, args.batch_size = QUICK_SIZES, 1, 256
        hidden = [16]
    else:
        hidden = None
    sizes = sorted(args.sizes)
    runs, skipped = [], []
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for n in sizes:
            need = n * (args.features * 4 + 8)
            if shutil.disk_usage(tmp).free < 1.2 * need:
                print(f"n={n}: skipped, {need / MIB:.0f} MiB would not fit the disk")
                skipped.append(n)
                continue
            start = time.perf_counter()
            x_path, y_path = write_data(tmp, n, args.features, args.classes)
            x_bytes = os.path.getsize(x_path)
            print(
                f"n={n}: X {x_bytes / MIB:.1f} MiB written in "
                f"{time.perf_counter() - start:.1f} s",
                flush=True,
            )
            epochs = 2 if args.quick else epochs_for(n)
            for repeat in range(args.repeats):
                for method in METHODS:
                    out = run_fit(
                        x_path,
                        y_path,
                        method,
                        epochs,
                        args.batch_size,
                        hidden,
                        args.in_process,
                    )
                    out.update(n=n, method=method, repeat=repeat, x_bytes=x_bytes)
                    out["load_average"] = os.getloadavg()[0]  # a shared machine?
                    runs.append(out)
                    print(
                        f"  {method:10s} repeat {repeat}: "
                        f"{out['cpu_seconds_per_epoch']:.3f} s CPU, "
                        f"{out['seconds_per_epoch']:.3f} s wall per epoch, RSS "
                        f"+{out['extra_rss'] / MIB:.0f} MiB, anon "
                        f"+{out['extra_anon'] / MIB:.0f} MiB",
                        flush=True,
                    )
            os.remove(x_path)
            os.remove(y_path)
    rows = summarise(runs)
    slope_from = min(args.slope_from, sizes[-1])
    return {
        "command": _command(args),
        "environment": _environment(),
        "config": {
            "features": args.features,
            "classes": args.classes,
            "noise_rate": NOISE_RATE,
            "batch_size": args.batch_size,
            "hidden_layer_sizes": hidden or [256, 128],
            "repeats": args.repeats,
            "in_process": bool(args.in_process),
            "slope_from": slope_from,
            "methods": METHODS,
        },
        "skipped": skipped,
        "runs": runs,
        "rows": rows,
        "fits": growth(rows, slope_from),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=SIZES)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--slope-from", type=int, default=100_000)
    parser.add_argument("--dir", default=None, help="where the data files go")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 2 epochs")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="fit in this process (fast; the memory is then not per fit)",
    )
    parser.add_argument("--out", default=None, help="JSON file of the results")
    parser.add_argument("--rst", default=None, help="reST table for the docs")
    parser.add_argument("--plot", default=None, help="log-log figure (PNG)")
    parser.add_argument("--report", default=None, help="a saved JSON file to show")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(*json.loads(args.child))))
        return None
    if args.report:
        with open(args.report) as f:
            result = json.load(f)
        # the rows and the lines follow this script's summary of the runs
        result["rows"] = summarise(result["runs"])
        result["fits"] = growth(result["rows"], result["config"]["slope_from"])
    else:
        result = run(args)
        if args.out:
            os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
            with open(args.out, "w") as f:
                json.dump(result, f, indent=1)
    print_report(result)
    if args.plot:
        plot(result, args.plot)
    if args.rst:
        image = None
        if args.plot:
            rel = os.path.relpath(args.plot, os.path.dirname(os.path.abspath(args.rst)))
            image = rel.replace(os.sep, "/")
        write_rst(result, args.rst, image)
    return result


if __name__ == "__main__":
    main()
