"""Check the claims of METHODS.md section 7 at small scale; write docs/claims.rst.

Every claim is tested on the digits (MLP, 50 epochs, 3 seeds; claim 7 on
calibration 5 seeds) and the main ones also on MNIST-1D (CNN1D, 30 epochs, 2
seeds). Each claim gets a table of mean ±
std over seeds and a verdict: "reproduced" or "not reproduced" *at this scale*,
by the criterion printed with it. Claim 5 under noise is only measured.

Run from the repository root (about 20 minutes on 2 CPU cores)::

    OMP_NUM_THREADS=1 python benchmarks/claims.py

``--quick`` runs a tiny version (for checking the script, numbers meaningless);
``--output`` changes where the page is written (default ``docs/claims.rst``).
``--only calibration`` runs only the calibration experiments (claim 7, about 10
to 20 minutes) and takes the other results from ``--json``; ``--from-json`` re-renders
the page without running anything.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from claims_calibration import render_calibration, run_calibration
from skorch.callbacks import Callback

import sknoisy
from sknoisy import NoisyLabelClassifier
from sknoisy.benchmark import (
    inject_noise,
    load_benchmark_data,
    rst_table,
    run_benchmark,
    summarize_results,
)

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------
# Experiments
# --------------------------------------------------------------------------------------
def bench(cfg, dataset="digits", **kwargs):
    """run_benchmark with the script's scale settings; return the summary."""
    settings = {
        "seeds": cfg["seeds"],
        "max_epochs": cfg["epochs"],
        "n_train": cfg["n_train"],
        "n_jobs": cfg["n_jobs"],
        "progress": False,
    }
    if dataset == "mnist1d":
        settings.update(seeds=cfg["m1d_seeds"], max_epochs=cfg["m1d_epochs"])
    settings.update(kwargs)
    return summarize_results(run_benchmark(dataset, **settings))


class TestAccuracyPerEpoch(Callback):
    """Record the accuracy on clean test labels after every epoch."""

    def __init__(self, X_test, y_test):
        self.X_test = X_test
        self.y_test = y_test

    def on_epoch_end(self, net, **kwargs):
        net.history.record("test_accuracy", float(net.score(self.X_test, self.y_test)))


def training_curves(cfg, rate, methods):
    """Per-epoch test accuracy of each method on digits with symmetric noise."""
    X_tr, y_tr, X_te, y_te, module, _ = load_benchmark_data(
        "digits", None, cfg["n_train"]
    )
    curves = {name: [] for name in methods}
    recovery = {name: [] for name in methods}
    for seed in cfg["seeds"]:
        y_noisy = inject_noise(X_tr, y_tr, "symmetric", rate, seed, "digits")
        flipped = y_noisy != y_tr
        for name, params in methods.items():
            clf = NoisyLabelClassifier(
                module,
                max_epochs=cfg["long_epochs"],
                callbacks=[TestAccuracyPerEpoch(X_te, y_te)],
                random_state=seed,
                **params,
            ).fit(X_tr, y_noisy)
            curves[name].append(clf.history[:, "test_accuracy"])
            if hasattr(clf, "corrected_labels_"):
                recovery[name].append(
                    float(np.mean(clf.corrected_labels_[flipped] == y_tr[flipped]))
                )
    return {name: np.asarray(c) for name, c in curves.items()}, recovery


# --------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------
def cell(summary, method, rate, metric="test_accuracy"):
    for s in summary:
        if s["method"] == method and s["rate"] == rate:
            return s[f"{metric}_mean"], s[f"{metric}_std"]
    raise KeyError((method, rate))


def fmt(mean_std):
    mean, std = mean_std
    return "n/a" if mean is None else f"{mean:.3f} ± {std:.3f}"


def grid(summary, methods, rates, metric="test_accuracy", labels=None):
    labels = labels or {}
    header = ["method", *(f"rate {r:g}" for r in rates)]
    rows = [
        [labels.get(m, m), *(fmt(cell(summary, m, r, metric)) for r in rates)]
        for m in methods
    ]
    return rst_table(header, rows)


def verdict(ok):
    return (
        "**Reproduced at this scale.**" if ok else "**Not reproduced at this scale.**"
    )


def section(title, claim, body, ok, criterion):
    head = f"{title}\n{'=' * len(title)}\n\n*Claim:* {claim}\n\n"
    tail = f"\n\n*Criterion:* {criterion}\n\n{verdict(ok) if ok is not None else ''}"
    return head + body + tail.rstrip() + "\n"


# --------------------------------------------------------------------------------------
# The claims
# --------------------------------------------------------------------------------------
QS = [0.1, 0.3, 0.5, 0.7, 0.9, 1.0]
LES = [0.0, 0.25, 0.5, 0.75, 1.0]
RATES = [0.0, 0.2, 0.4, 0.6, 0.8]
LONG_RATES = [0.4, 0.6]


def run_experiments(cfg):
    """Run every experiment; return a JSON-serialisable dict of the results."""
    start = time.perf_counter()

    def log(msg):
        print(f"[{time.perf_counter() - start:6.0f} s] {msg}", flush=True)

    # The papers' claims are about Tanaka's joint optimisation: every label
    # replaced, no early-learning term (sknoisy's default until issue 23).
    tanaka = {"loss": "ce", "correction_rule": "all", "elr_lambda": 0.0}
    many = {
        **{name: name for name in ("ce", "label_smoothing", "gce", "truncated_gce")},
        "jo_soft": {**tanaka, "label_correction": "soft"},
        "jo_hard": {**tanaka, "label_correction": "hard"},
    }
    data = {"cfg": cfg}
    log("digits, symmetric noise: CE, LS, GCE, truncated GCE, JO soft/hard")
    data["sym"] = bench(cfg, rates=RATES, methods=many)
    log("digits, class-dependent (MNIST map) noise: CE, GCE")
    data["asym"] = bench(
        cfg, noise="asymmetric", rates=[0.2, 0.4], methods=["ce", "gce"]
    )
    log("digits, GCE q sweep at symmetric 0.4")
    q_methods = {f"q={q:g}": {"loss": "gce", "q": q} for q in QS}
    data["qsweep"] = bench(cfg, rates=[0.4], methods=q_methods)
    log("digits, encouraging loss LE sweep, clean and symmetric 0.4")
    le_methods = {
        "ce": "ce",
        **{f"LE={le:g}": {"loss": "encouraging", "LE": le} for le in LES},
    }
    data["lesweep"] = bench(cfg, rates=[0.0, 0.4], methods=le_methods)
    log(f"digits, per-epoch test accuracy, CE vs JO soft, {cfg['long_epochs']} epochs")
    long_methods = {"ce": {"loss": "ce"}, "jo_soft": many["jo_soft"]}
    data["curves"], data["recovery"] = {}, {}
    for rate in LONG_RATES:
        curve, rec = training_curves(cfg, rate, long_methods)
        data["curves"][str(rate)] = {k: v.tolist() for k, v in curve.items()}
        data["recovery"][str(rate)] = rec
    log("MNIST-1D, clean and symmetric 0.4: CE, LS, GCE, truncated GCE, JO")
    data["m1d"] = bench(cfg, dataset="mnist1d", rates=[0.0, 0.4], methods=many)
    data["calibration"] = run_calibration(cfg, log)
    data["runtime"] = time.perf_counter() - start
    data["date"] = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    data["versions"] = {"sknoisy": sknoisy.__version__, "torch": torch.__version__}
    log("done")
    return data


def render(data):
    """The text of docs/claims.rst from the results of :func:`run_experiments`."""
    cfg, runtime = data["cfg"], data["runtime"]
    sym, asym, m1d = data["sym"], data["asym"], data["m1d"]
    qsweep, lesweep = data["qsweep"], data["lesweep"]
    rates, qs, les = RATES, QS, LES
    curves = {
        float(rate): (
            {k: np.asarray(v) for k, v in data["curves"][rate].items()},
            data["recovery"][rate],
        )
        for rate in data["curves"]
    }

    parts = []
    # 1. GCE beats CE; q = 0.7 a good default.
    noisy = [0.2, 0.4, 0.6, 0.8]
    wins = [cell(sym, "gce", r)[0] > cell(sym, "ce", r)[0] for r in noisy]
    wins += [cell(asym, "gce", r)[0] > cell(asym, "ce", r)[0] for r in [0.2, 0.4]]
    wins += [cell(m1d, "gce", 0.4)[0] > cell(m1d, "ce", 0.4)[0]]
    q_acc = {q: cell(qsweep, f"q={q:g}", 0.4)[0] for q in qs}
    best_q = max(q_acc, key=q_acc.get)
    q_ok = q_acc[0.7] >= q_acc[best_q] - 0.01
    body = (
        "Digits, symmetric noise (test accuracy on clean labels):\n\n"
        + grid(sym, ["ce", "gce"], noisy)
        + "\n\nDigits, class-dependent noise (MNIST map 2→7, 3→8, 5↔6, 7→1; the "
        "rate is the flip probability of the mapped classes):\n\n"
        + grid(asym, ["ce", "gce"], [0.2, 0.4])
        + "\n\nMNIST-1D (CNN1D), symmetric noise:\n\n"
        + grid(m1d, ["ce", "gce"], [0.0, 0.4])
        + "\n\nDigits, symmetric 0.4, GCE exponent ``q``:\n\n"
        + rst_table(
            ["q", "test accuracy"],
            [[f"{q:g}", fmt(cell(qsweep, f"q={q:g}", 0.4))] for q in qs],
        )
    )
    parts.append(
        section(
            "1. GCE beats cross entropy; q = 0.7 is a good default",
            "GCE beats CE under symmetric and class-dependent noise; q ≈ 0.7 is a "
            "good default.",
            body,
            all(wins) and q_ok,
            f"GCE's mean accuracy above CE's in every noisy setting above "
            f"({sum(wins)} of {len(wins)}), and q = 0.7 within 0.01 of the best q "
            f"(best: q = {best_q:g}, {q_acc[best_q]:.3f}; q = 0.7: {q_acc[0.7]:.3f}).",
        )
    )

    # 2. Truncated >= GCE at high noise.
    high = [0.6, 0.8]
    t_ok = [cell(sym, "truncated_gce", r)[0] >= cell(sym, "gce", r)[0] for r in high]
    body = (
        "Digits, symmetric noise:\n\n"
        + grid(sym, ["gce", "truncated_gce"], rates)
        + "\n\nMNIST-1D, symmetric noise:\n\n"
        + grid(m1d, ["gce", "truncated_gce"], [0.0, 0.4])
    )
    parts.append(
        section(
            "2. Truncated Lq at high noise",
            "Truncated Lq ≥ Lq at high noise rates.",
            body,
            all(t_ok),
            "truncated GCE's mean accuracy at least GCE's on digits at rates 0.6 "
            "and 0.8 (default pruning schedule scaled to 50 epochs: from epoch 17, "
            "every 4 epochs).",
        )
    )

    # 3. JO recovers flipped labels; no late collapse.
    rows, ok3 = [], []
    for rate, (curve, rec) in curves.items():
        for name in ("ce", "jo_soft"):
            c = curve[name]
            best, last = c.max(axis=1), c[:, -1]
            drop = best - last
            recovered = (
                f"{np.mean(rec[name]):.3f} ± {np.std(rec[name]):.3f}"
                if rec[name]
                else ""
            )
            rows.append(
                [
                    f"{rate:g}",
                    name,
                    f"{best.mean():.3f} ± {best.std():.3f}",
                    f"{last.mean():.3f} ± {last.std():.3f}",
                    f"{drop.mean():.3f}",
                    recovered,
                ]
            )
        ce_drop = (curve["ce"].max(1) - curve["ce"][:, -1]).mean()
        jo_drop = (curve["jo_soft"].max(1) - curve["jo_soft"][:, -1]).mean()
        ok3.append(np.mean(rec["jo_soft"]) > 0.5 and jo_drop < ce_drop)
    body = (
        f"Digits, symmetric noise, {cfg['long_epochs']} epochs, test accuracy "
        "after every epoch; *best* is the best epoch (an oracle), *last* the "
        "final one; *recovered* is the fraction of flipped training labels whose "
        "corrected label is the clean one:\n\n"
        + rst_table(
            ["rate", "method", "best epoch", "last epoch", "drop", "recovered"], rows
        )
        + "\n\nDigits, label recovery over all training labels at 50 epochs:\n\n"
        + grid(sym, ["jo_soft", "jo_hard"], rates, metric="label_recovery")
        + "\n\nand over the flipped labels only:\n\n"
        + grid(sym, ["jo_soft", "jo_hard"], noisy, metric="noisy_label_recovery")
    )
    parts.append(
        section(
            "3. Joint optimisation recovers labels and does not collapse",
            "Joint optimization recovers most flipped labels, and its last-epoch "
            "accuracy does not collapse the way CE's does as training continues.",
            body,
            all(ok3),
            "at rates 0.4 and 0.6, JO (soft) recovers more than half of the flipped "
            "labels and its best-to-last drop is smaller than CE's.",
        )
    )

    # 4. Soft beats hard.
    soft_wins = [
        cell(sym, "jo_soft", r)[0] >= cell(sym, "jo_hard", r)[0] for r in noisy
    ]
    soft_wins.append(cell(m1d, "jo_soft", 0.4)[0] >= cell(m1d, "jo_hard", 0.4)[0])
    body = (
        "Digits, symmetric noise, test accuracy:\n\n"
        + grid(sym, ["jo_soft", "jo_hard"], rates)
        + "\n\nMNIST-1D:\n\n"
        + grid(m1d, ["jo_soft", "jo_hard"], [0.0, 0.4])
        + "\n\n(label recovery: see claim 3)"
    )
    parts.append(
        section(
            "4. Soft label updates beat hard ones",
            "Soft label updates beat hard ones.",
            body,
            sum(soft_wins) > len(soft_wins) / 2,
            f"soft's mean test accuracy at least hard's in most noisy settings "
            f"({sum(soft_wins)} of {len(soft_wins)}).",
        )
    )

    # 5. Encouraging loss.
    le_names = [f"LE={le:g}" for le in les]
    clean = {le: cell(lesweep, f"LE={le:g}", 0.0)[0] for le in les}
    ok5 = max(clean[le] for le in les if le < 1) >= clean[1.0]
    noisy5 = {le: cell(lesweep, f"LE={le:g}", 0.4)[0] for le in les}
    best_noisy = max(noisy5, key=noisy5.get)
    body = (
        "Digits, test accuracy, clean labels (rate 0) and symmetric 0.4:\n\n"
        + grid(lesweep, ["ce", *le_names], [0.0, 0.4])
        + f"\n\nUnder noise (measured, no published claim): the best log end at "
        f"rate 0.4 is LE = {best_noisy:g} ({noisy5[best_noisy]:.3f}); cross entropy "
        f"reaches {cell(lesweep, 'ce', 0.4)[0]:.3f}."
    )
    spread = max(clean.values()) - min(clean.values())
    clean_std = np.mean([cell(lesweep, f"LE={le:g}", 0.0)[1] for le in les])
    if spread <= clean_std:
        body += (
            f" On clean labels all log ends lie within {spread:.3f} of each other, "
            f"less than one standard deviation ({clean_std:.3f}): LE makes no "
            "measurable difference at this scale, so the claim holds only in "
            "that weak sense."
        )
    parts.append(
        section(
            "5. Encouraging loss: LE < 1 versus LE = 1",
            "Encouraging loss with LE < 1 is at least as good as LE = 1 (clean "
            "labels); under noise: measure and report.",
            body,
            ok5,
            "on clean labels, the best LE < 1 reaches at least the accuracy of "
            "LE = 1 (the noisy column is reported only).",
        )
    )

    # 6. Label smoothing.
    gain_clean = cell(sym, "label_smoothing", 0.0)[0] - cell(sym, "ce", 0.0)[0]
    gain_high = [
        cell(sym, "label_smoothing", r)[0] - cell(sym, "ce", r)[0] for r in high
    ]
    gce_gain = [cell(sym, "gce", r)[0] - cell(sym, "ce", r)[0] for r in high]
    ok6 = gain_clean > 0 and all(
        g < max(0.05, 0.5 * h) for g, h in zip(gain_high, gce_gain)
    )
    body = (
        "Digits, symmetric noise:\n\n"
        + grid(sym, ["ce", "label_smoothing", "gce"], rates)
        + "\n\nMNIST-1D:\n\n"
        + grid(m1d, ["ce", "label_smoothing"], [0.0, 0.4])
        + f"\n\nGain of label smoothing over CE: {gain_clean:+.3f} on clean labels; "
        + ", ".join(f"{g:+.3f} at rate {r:g}" for g, r in zip(gain_high, high))
        + " (GCE: "
        + ", ".join(f"{g:+.3f}" for g in gce_gain)
        + ")."
    )
    parts.append(
        section(
            "6. Label smoothing: small gain when clean, little protection when noisy",
            "Label smoothing gives a small gain on clean data and little protection "
            "at high noise.",
            body,
            ok6,
            "a positive gain over CE on clean digits, and at rates 0.6 and 0.8 a "
            "gain below 0.05 or below half of GCE's gain.",
        )
    )

    if "calibration" in data:
        parts.append(section(**render_calibration(data["calibration"])))

    quick_note = " QUICK MODE: numbers meaningless." if cfg.get("quick") else ""
    versions = data["versions"]
    header = f""".. _claims:

==================================
Claims reproduced at small scale
==================================

The papers behind sknoisy make claims on CIFAR and Clothing1M with ResNets
trained for hundreds of epochs. This page checks them at a scale that runs on
a laptop: the digits (1,257 training and 540 test images of 8x8 pixels, an
MLP, {cfg["epochs"]} epochs, seeds {cfg["seeds"]}) and MNIST-1D (4,000 / 1,000
signals, :class:`~sknoisy.models.CNN1D`, {cfg["m1d_epochs"]} epochs, seeds
{cfg["m1d_seeds"]}). Noise is injected into the training labels only;
accuracy and calibration are measured on the clean test labels; all numbers
are mean ± std over seeds. Default hyperparameters throughout (Adam,
``lr="auto"``, batch 64), except that joint optimisation (JO) is the paper's:
``correction_rule="all", elr_lambda=0`` (sknoisy's default until issue 23).

A verdict holds *at this scale only*: small data, small networks and few
epochs; it says nothing about the published CIFAR numbers.

Generated by ``OMP_NUM_THREADS=1 python benchmarks/claims.py`` on {data["date"]}
(sknoisy {versions["sknoisy"]}, torch {versions["torch"]}; {runtime / 60:.1f}
minutes on a shared 2-core CPU).{quick_note}

"""
    return header + "\n\n".join(parts)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--output", default=str(ROOT / "docs" / "claims.rst"))
    parser.add_argument(
        "--json",
        default=str(ROOT / "benchmark_results" / "claims.json"),
        help="where the raw results are saved",
    )
    parser.add_argument(
        "--only",
        choices=["all", "calibration"],
        default="all",
        help="run only these experiments; take the others from --json",
    )
    parser.add_argument(
        "--from-json",
        action="store_true",
        help="re-render the page from --json without running anything",
    )
    args = parser.parse_args(argv)
    cfg = {
        "seeds": [0, 1, 2],
        "epochs": 50,
        "long_epochs": 100,
        "n_train": None,
        "m1d_seeds": [0, 1],
        "m1d_epochs": 30,
        "calib_seeds": [0, 1, 2, 3, 4],
        "calib_long_epochs": 150,
        "calib_small_n_train": 300,
        "calib_regime_seeds": [0, 1, 2, 3, 4],
        "n_jobs": args.n_jobs,
        "quick": args.quick,
    }
    if args.quick:
        cfg.update(seeds=[0], epochs=2, long_epochs=3, n_train=200)
        cfg.update(m1d_seeds=[0], m1d_epochs=1)
        cfg.update(calib_seeds=[0, 1], calib_long_epochs=3, calib_small_n_train=100)
        cfg.update(calib_regime_seeds=[0, 1], calib_regime_epochs=2)
    if args.from_json:
        data = json.loads(Path(args.json).read_text(encoding="utf-8"))
    elif args.only == "calibration":
        if not Path(args.json).is_file():
            parser.error(f"--only calibration needs the other results in {args.json}")
        data = json.loads(Path(args.json).read_text(encoding="utf-8"))
        data["cfg"].update({k: v for k, v in cfg.items() if k.startswith("calib")})
        start = time.perf_counter()
        data["calibration"] = run_calibration(
            cfg, lambda msg: print(f"[{time.perf_counter() - start:6.0f} s] {msg}")
        )
        Path(args.json).write_text(json.dumps(data, indent=1), encoding="utf-8")
    else:
        data = run_experiments(cfg)
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(data, indent=1), encoding="utf-8")
    Path(args.output).write_text(render(data), encoding="utf-8")
    runtime = data["runtime"]
    if args.only == "calibration" and not args.from_json:
        runtime = data["calibration"]["runtime"]
    print(f"wrote {args.output} (experiments: {runtime / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
