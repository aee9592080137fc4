"""Claim 7 of the claims page: label smoothing and calibration (Müller et al.).

Used by ``benchmarks/claims.py`` (``--only calibration`` runs this part alone):
:func:`run_calibration` runs the experiments, :func:`render_calibration` turns
their results into the arguments of the page's ``section``.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import numpy as np
import torch
from joblib import Parallel, delayed
from skorch.callbacks import Callback

import sknoisy
from sknoisy import NoisyLabelClassifier
from sknoisy.benchmark import (
    DEFAULT_METHODS,
    load_benchmark_data,
    rst_table,
    run_benchmark,
)
from sknoisy.metrics import (
    brier_score,
    expected_calibration_error,
    negative_log_likelihood,
)
from sknoisy.models import MLP

SMOOTHINGS = [0.01, 0.02, 0.05, 0.1, 0.2]
#: Settings of the regime check: data set, network and epochs. ``hidden`` None
#: is the data set's own network (MLP 256-128 / CNN1D); ``scaling`` "standard"
#: standardises the digits' pixels on the training split instead of X / 16.
REGIMES = {
    "digits, MLP 512-512, 100 epochs, X / 16": {
        "dataset": "digits",
        "hidden": (512, 512),
        "epochs": 100,
        "scaling": None,
    },
    "digits, MLP 512-512, 100 epochs, standardised": {
        "dataset": "digits",
        "hidden": (512, 512),
        "epochs": 100,
        "scaling": "standard",
    },
    "MNIST-1D, CNN1D, 30 epochs": {
        "dataset": "mnist1d",
        "hidden": None,
        "epochs": 30,
        "scaling": None,
    },
    "MNIST-1D, MLP 512-512, 100 epochs": {
        "dataset": "mnist1d",
        "hidden": (512, 512),
        "epochs": 100,
        "scaling": None,
    },
}
REGIME_METHODS = {
    "CE": {"loss": "ce"},
    "LS α=0.05": {"loss": "label_smoothing", "smoothing": 0.05},
    "LS α=0.1": {"loss": "label_smoothing", "smoothing": 0.1},
}
#: CE counts as overconfident (the paper's regime) when its mean confidence on
#: the test set exceeds its test accuracy by more than this.
OVERCONFIDENT = 0.05
COLUMNS = [
    ("test_accuracy", "accuracy"),
    ("confidence", "confidence"),
    ("ece", "ECE"),
    ("nll", "NLL"),
    ("brier", "Brier"),
]


# --------------------------------------------------------------------------------------
# Experiments
# --------------------------------------------------------------------------------------
class CalibrationPerEpoch(Callback):
    """Record ECE, mean confidence and accuracy on clean test labels per epoch."""

    def __init__(self, X_test, y_test):
        self.X_test = X_test
        self.y_test = y_test

    def on_epoch_end(self, net, **kwargs):
        proba = net.predict_proba(self.X_test)
        ece = expected_calibration_error(self.y_test, proba, labels=net.classes_)
        accuracy = np.mean(net.classes_[proba.argmax(axis=1)] == self.y_test)
        net.history.record("test_ece", ece)
        net.history.record("test_confidence", float(proba.max(axis=1).mean()))
        net.history.record("test_accuracy", float(accuracy))


def calibration_curves(cfg, methods):
    """Per-epoch ECE, confidence and accuracy of each method on clean digits.

    Returns ``{name: list of shape (n_seeds, 3, epochs)}``.
    """
    X_tr, y_tr, X_te, y_te, module, _ = load_benchmark_data(
        "digits", None, cfg["n_train"]
    )
    keys = ("test_ece", "test_confidence", "test_accuracy")
    curves = {name: [] for name in methods}
    for seed in cfg["calib_seeds"]:
        for name, params in methods.items():
            clf = NoisyLabelClassifier(
                module,
                max_epochs=cfg["calib_long_epochs"],
                callbacks=[CalibrationPerEpoch(X_te, y_te)],
                random_state=seed,
                **params,
            ).fit(X_tr, y_tr)
            curves[name].append([clf.history[:, key] for key in keys])
    return curves


def _regime_data(regime, n_train):
    from sklearn.preprocessing import StandardScaler

    X_tr, y_tr, X_te, y_te, module, _ = load_benchmark_data(
        regime["dataset"], None, n_train
    )
    if regime["scaling"] == "standard":
        scaler = StandardScaler().fit(X_tr)
        X_tr = scaler.transform(X_tr).astype(np.float32)
        X_te = scaler.transform(X_te).astype(np.float32)
    params = {"max_epochs": regime["epochs"]}
    if regime["hidden"] is not None:
        module = MLP
        params["module__hidden_layer_sizes"] = regime["hidden"]
    return X_tr, y_tr, X_te, y_te, module, params


def _regime_run(regime_name, regime, method, seed, n_train, epochs):
    """One fit of the regime check: training fit and test calibration."""
    torch.set_num_threads(1)
    X_tr, y_tr, X_te, y_te, module, params = _regime_data(regime, n_train)
    if epochs is not None:  # --quick
        params["max_epochs"] = epochs
    clf = NoisyLabelClassifier(
        module, random_state=seed, **params, **REGIME_METHODS[method]
    ).fit(X_tr, y_tr)
    labels = clf.classes_
    p_tr, p_te = clf.predict_proba(X_tr), clf.predict_proba(X_te)
    return {
        "regime": regime_name,
        "method": method,
        "seed": seed,
        "epochs": params["max_epochs"],
        # cross entropy against the hard training labels, whatever the loss
        "train_nll": negative_log_likelihood(y_tr, p_tr, labels=labels),
        "train_accuracy": float(np.mean(labels[p_tr.argmax(axis=1)] == y_tr)),
        "test_accuracy": float(np.mean(labels[p_te.argmax(axis=1)] == y_te)),
        "confidence": float(p_te.max(axis=1).mean()),
        "ece": expected_calibration_error(y_te, p_te, labels=labels),
        "nll": negative_log_likelihood(y_te, p_te, labels=labels),
        "brier": brier_score(y_te, p_te, labels=labels),
    }


def run_regimes(cfg):
    """CE and label smoothing in the settings of :data:`REGIMES`, clean labels."""
    epochs = cfg.get("calib_regime_epochs")
    jobs = [
        (name, regime, method, seed, cfg["n_train"], epochs)
        for name, regime in REGIMES.items()
        for seed in cfg["calib_regime_seeds"]
        for method in REGIME_METHODS
    ]
    runs = Parallel(n_jobs=cfg["n_jobs"])(delayed(_regime_run)(*job) for job in jobs)
    return list(runs)


def run_calibration(cfg, log):
    """Run the experiments of claim 7; return a JSON-serialisable dict."""
    start = time.perf_counter()
    out = {
        "seeds": cfg["calib_seeds"],
        "epochs": cfg["epochs"],
        "long_epochs": cfg["calib_long_epochs"],
    }
    settings = {
        "seeds": cfg["calib_seeds"],
        "max_epochs": cfg["epochs"],
        "n_jobs": cfg["n_jobs"],
        "progress": False,
    }
    log("calibration: default methods, clean and symmetric 0.4")
    out["main"] = run_benchmark(
        rates=[0.0, 0.4], methods=DEFAULT_METHODS, n_train=cfg["n_train"], **settings
    )
    log("calibration: label smoothing values, clean and symmetric 0.4")
    sweep = {
        f"a={a:g}": {"loss": "label_smoothing", "smoothing": a} for a in SMOOTHINGS
    }
    out["sweep"] = run_benchmark(
        rates=[0.0, 0.4], methods=sweep, n_train=cfg["n_train"], **settings
    )
    log(f"calibration: {cfg['calib_small_n_train']} training samples, clean")
    out["small"] = run_benchmark(
        rates=[0.0],
        methods=["ce", "label_smoothing"],
        n_train=cfg["calib_small_n_train"],
        **settings,
    )
    log(f"calibration: ECE after every epoch, {cfg['calib_long_epochs']} epochs")
    out["curves"] = calibration_curves(
        cfg, {"ce": {"loss": "ce"}, "label_smoothing": {"loss": "label_smoothing"}}
    )
    log(
        "calibration: regimes (wide MLPs trained to zero loss, MNIST-1D), "
        f"seeds {cfg['calib_regime_seeds']}"
    )
    out["regime_seeds"] = cfg["calib_regime_seeds"]
    out["regimes"] = run_regimes(cfg)
    out["runtime"] = time.perf_counter() - start
    out["date"] = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    out["versions"] = {"sknoisy": sknoisy.__version__, "torch": torch.__version__}
    return out


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------
def per_seed(runs, method, rate, metric):
    """The metric of every run of ``method`` at ``rate``, in seed order."""
    chosen = [r for r in runs if r["method"] == method and r["rate"] == rate]
    return np.array([r[metric] for r in sorted(chosen, key=lambda r: r["seed"])])


def mean_std(values):
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


def metric_table(runs, methods, rate):
    rows = [
        [m, *(mean_std(per_seed(runs, m, rate, key)) for key, _ in COLUMNS)]
        for m in methods
    ]
    return rst_table(["method", *(name for _, name in COLUMNS)], rows)


def confidence_gap(runs, method, rate):
    """Mean confidence minus accuracy: > 0 overconfident, < 0 underconfident."""
    confidence = per_seed(runs, method, rate, "confidence").mean()
    return confidence - per_seed(runs, method, rate, "test_accuracy").mean()


def describe(gap):
    return f"{'over' if gap > 0 else 'under'}confident by {abs(gap):.3f}"


def sweep_table(main, sweep):
    """Rows per rate and smoothing value; the lowest mean ECE per rate."""
    rows, best = [], {}
    for rate in (0.0, 0.4):
        ce = per_seed(main, "ce", rate, "ece")
        best[rate] = ("0 (CE)", ce.mean())
        for a in [0.0, *SMOOTHINGS]:
            runs, name, label = (
                (main, "ce", "0 (CE)") if a == 0 else (sweep, f"a={a:g}", f"{a:g}")
            )
            ece = per_seed(runs, name, rate, "ece")
            if ece.mean() < best[rate][1]:
                best[rate] = (label, ece.mean())
            rows.append(
                [
                    f"{rate:g}",
                    label,
                    mean_std(per_seed(runs, name, rate, "test_accuracy")),
                    mean_std(per_seed(runs, name, rate, "confidence")),
                    mean_std(ece),
                    "" if a == 0 else f"{int(np.sum(ece < ce))} of {len(ece)}",
                ]
            )
    header = ["rate", "α", "accuracy", "confidence", "ECE", "ECE < CE"]
    return rst_table(header, rows), best


def curve_table(curves):
    """ECE and confidence gap at some epochs; CE's (best epoch, ECE) and last."""
    curves = {k: np.asarray(v) for k, v in curves.items()}
    n_epochs = curves["ce"].shape[-1]
    rows = []
    for epoch in (e for e in (1, 5, 10, 20, 50, 100, 150, 200) if e <= n_epochs):
        row = [str(epoch)]
        for method in ("ce", "label_smoothing"):
            ece, confidence, accuracy = curves[method][:, :, epoch - 1].mean(axis=0)
            row += [f"{ece:.3f}", f"{confidence - accuracy:+.3f}"]
        rows.append(row)
    header = ["epoch", "CE ECE", "CE gap", "LS ECE", "LS gap"]
    ce = curves["ce"][:, 0].mean(axis=0)
    return rst_table(header, rows), n_epochs, (int(ce.argmin()) + 1, ce.min()), ce[-1]


def regime_values(runs, regime, method, key):
    """``key`` of every run of ``method`` in ``regime``, in seed order."""
    chosen = [r for r in runs if r["regime"] == regime and r["method"] == method]
    return np.array([r[key] for r in sorted(chosen, key=lambda r: r["seed"])])


def regime_table(runs):
    """Rows per setting and method; CE's confidence gap and LS's ECE wins."""
    rows, gaps, wins = [], {}, {}
    for name in dict.fromkeys(r["regime"] for r in runs):
        ce_ece = regime_values(runs, name, "CE", "ece")
        gaps[name] = np.mean(
            regime_values(runs, name, "CE", "confidence")
            - regime_values(runs, name, "CE", "test_accuracy")
        )
        for method in REGIME_METHODS:
            ece = regime_values(runs, name, method, "ece")
            won = "" if method == "CE" else f"{int(np.sum(ece < ce_ece))} of {len(ece)}"
            if method != "CE":
                wins[name, method] = (int(np.sum(ece < ce_ece)), len(ece))
            value = lambda key: mean_std(regime_values(runs, name, method, key))  # noqa: E731
            rows.append(
                [
                    name if method == "CE" else "",
                    method,
                    value("train_nll"),
                    value("test_accuracy"),
                    value("confidence"),
                    value("ece"),
                    value("nll"),
                    won,
                ]
            )
    header = [
        "setting",
        "method",
        "train CE",
        "accuracy",
        "confidence",
        "ECE",
        "NLL",
        "ECE < CE",
    ]
    return rst_table(header, rows), gaps, wins


def regime_summary(runs):
    """Which settings are the paper's regime, and whether smoothing helps there."""
    table, gaps, wins = regime_table(runs)
    over = [name for name, gap in gaps.items() if gap > OVERCONFIDENT]
    lines = []
    for name in gaps:
        ce = regime_values(runs, name, "CE", "ece").mean()
        parts = []
        for method in REGIME_METHODS:
            if method == "CE":
                continue
            ls = regime_values(runs, name, method, "ece").mean()
            won, n = wins[name, method]
            parts.append(f"{method} {ls:.3f} (lower for {won} of {n} seeds)")
        regime = "" if name in over else " (not the paper's regime)"
        lines.append(
            f"- {name}: CE {describe(gaps[name])}{regime}; mean ECE: CE "
            f"{ce:.3f}, " + ", ".join(parts) + "."
        )
    ok = bool(over) and all(
        regime_values(runs, name, method, "ece").mean()
        < regime_values(runs, name, "CE", "ece").mean()
        and wins[name, method][0] > wins[name, method][1] / 2
        for name in over
        for method in REGIME_METHODS
        if method != "CE"
    )
    return table, over, "\n".join(lines), ok


def render_calibration(cal):
    """Claim 7 as the keyword arguments of ``section`` in ``claims.py``."""
    main, seeds = cal["main"], cal["seeds"]
    ce, ls = (per_seed(main, m, 0.0, "ece") for m in ("ce", "label_smoothing"))
    wins = int(np.sum(ls < ce))
    sweep, best = sweep_table(main, cal["sweep"])
    curves, n_epochs, (ce_best_epoch, ce_best), ce_last = curve_table(cal["curves"])
    noisy_ece = {m: per_seed(main, m, 0.4, "ece").mean() for m in DEFAULT_METHODS}
    noisy_gaps = {m: confidence_gap(main, m, 0.4) for m in DEFAULT_METHODS}
    under = [m for m, g in noisy_gaps.items() if g < 0]
    over = [m for m, g in noisy_gaps.items() if g >= 0]
    noisy_text = ""
    if under:
        noisy_text += (
            f"Underconfident on the clean test labels: {', '.join(under)} "
            f"(confidence {min(noisy_gaps[m] for m in under):+.3f} to "
            f"{max(noisy_gaps[m] for m in under):+.3f} from the accuracy). A "
            "network that fits the distribution of the noisy labels puts about "
            "0.6 on the true class at this rate (the share of labels the "
            "noise leaves alone), while its top class is right far more often."
        )
    if over:
        noisy_text += (
            f" Overconfident: {', '.join(over)} (by at most "
            f"{max(noisy_gaps[m] for m in over):.3f})."
        )
    best_noisy = min(noisy_ece, key=noisy_ece.get)
    regimes, over, regime_lines, ok = regime_summary(cal["regimes"])
    default_ok = bool(ls.mean() < ce.mean() and wins > len(ce) / 2)
    m1d_fit, m1d = "", "MNIST-1D, MLP 512-512, 100 epochs"
    if any(r["regime"] == m1d for r in cal["regimes"]):
        train = regime_values(cal["regimes"], m1d, "CE", "train_accuracy").mean()
        test = regime_values(cal["regimes"], m1d, "CE", "test_accuracy").mean()
        m1d_fit = (
            f", on which cross entropy fits {train:.1%} of the training signals "
            f"and classifies {test:.1%} of the test signals"
        )
    small_n = cal["small"][0]["n_train"]
    ce_gap, ls_gap = (confidence_gap(main, m, 0.0) for m in ("ce", "label_smoothing"))
    why = ""
    if ls_gap < 0 and abs(ce_gap) < abs(ls_gap):
        why = """\
*Why.* Müller et al. measure networks that cross entropy makes overconfident
(CIFAR, ImageNet); smoothing lowers their confidence towards their accuracy.
On the digits the MLP trained with cross entropy is close to calibrated
already, so there is little overconfidence to remove, and smoothing, whose
targets put 1 − α + α/10 on the labelled class (0.91 for α = 0.1), makes the
network underconfident instead: its ECE measures that gap. Four checks of
this explanation follow: the smoothing value, longer training, a smaller
training set, and networks in the paper's regime.

"""
    body = f"""\
Digits, MLP, {cal["epochs"]} epochs, seeds {seeds}: more seeds than the other
claims, and the comparison is paired (a seed gives both methods the same
initialisation and batch order). Calibration of ``predict_proba`` on the clean
test labels: ECE with 15 equal-width bins
(:func:`~sknoisy.metrics.expected_calibration_error`), NLL, Brier score and
*confidence*, the mean largest predicted probability (above the accuracy:
overconfident). ``sknoisy benchmark --rates 0 0.4 --seeds {" ".join(map(str, seeds))}``
gives the same numbers.

Clean labels (rate 0):

{metric_table(main, DEFAULT_METHODS, 0.0)}

Label smoothing's ECE is below CE's for {wins} of {len(ce)} seeds (mean
difference {np.mean(ls - ce):+.3f}). CE is {describe(ce_gap)}; label
smoothing (α = 0.1) is {describe(ls_gap)}.

{why}Smoothing value α, clean and at symmetric noise 0.4; *ECE < CE* counts the
seeds whose ECE is below CE's:

{sweep}

Lowest mean ECE on clean labels: α = {best[0.0][0]} ({best[0.0][1]:.3f}); at
rate 0.4: α = {best[0.4][0]} ({best[0.4][1]:.3f}).

ECE and confidence gap (confidence − accuracy) after each epoch, clean labels,
mean over the seeds (longer training is what makes networks overconfident in
Guo et al., 2017):

{curves}

CE's lowest ECE is {ce_best:.3f} (epoch {ce_best_epoch}); after {n_epochs}
epochs it is {ce_last:.3f}.

{small_n} training samples (stratified subset), clean labels:

{metric_table(cal["small"], ["ce", "label_smoothing"], 0.0)}

*The paper's regime.* Müller et al.'s networks fit their training sets
(training loss near zero) and are overconfident when trained with cross
entropy; in the default digits setting above, CE is {describe(ce_gap)}. The
settings below were fixed before measuring and not tuned on these numbers: a
wider MLP (512-512) trained for 100 epochs on the digits, with the pixels as
X / 16 and standardised on the training split; the CNN1D of the MNIST-1D
claims (30 epochs); and the 512-512 MLP on MNIST-1D for 100 epochs, a harder
task for an MLP{m1d_fit}: an overparameterised network of the kind Guo et al.
(2017) found overconfident. Clean labels, seeds {cal["regime_seeds"]}, α =
0.05 and 0.1 (the values of the paper), the classifier's defaults otherwise
(Adam, ``lr="auto"``, batch 64, no early stopping). *train CE* is the cross
entropy of the predictions on the training labels (not the smoothed loss);
*ECE < CE* counts the seeds whose ECE is below CE's.

{regimes}

CE is overconfident by more than {OVERCONFIDENT} (confidence − accuracy, the
paper's regime) in: {", ".join(over) if over else "none of them"}.

{regime_lines}

Fitting the training set is not enough to make a network overconfident: a
network whose test accuracy is *a* can be overconfident by 1 − *a* at most,
so on the digits, where every network classifies about 97% or more of the
test images, even a wide MLP at zero training loss has little overconfidence
to remove, while label smoothing keeps its confidence at or below the
1 − α + α/10 of its targets (0.955 for α = 0.05, 0.91 for α = 0.1) and
becomes underconfident. Smoothing lowers the ECE where CE's overconfidence is
larger than that: on MNIST-1D the MLP fits its training signals but
generalises poorly, so CE's confidence far exceeds its accuracy.

Under 40% symmetric noise (measured; no published claim), every default
method:

{metric_table(main, DEFAULT_METHODS, 0.4)}

{noisy_text} Lowest mean ECE: {best_noisy} ({noisy_ece[best_noisy]:.3f}).

(These experiments ran on {cal["date"]}, sknoisy {cal["versions"]["sknoisy"]},
in {cal["runtime"] / 60:.1f} minutes; ``OMP_NUM_THREADS=1 python
benchmarks/claims.py --only calibration`` reruns them alone.)"""
    return {
        "title": "7. Label smoothing improves calibration",
        "claim": "Label smoothing lowers the expected calibration error (ECE) of "
        "networks that cross entropy makes overconfident, on clean labels "
        "(Müller et al., 2019). Under noise: measure and report every method's "
        "ECE.",
        "body": body,
        "ok": ok,
        "criterion": "in every setting of the regime check where CE is "
        f"overconfident by more than {OVERCONFIDENT} (the paper's regime; here "
        f"{len(over)} of {len(REGIMES)}), label smoothing's mean ECE below CE's "
        "and lower for most seeds, for α = 0.05 and α = 0.1. Not part of the "
        "verdict: in the default digits setting, where CE is "
        f"{describe(ce_gap)}, label smoothing's ECE is "
        f"{'below' if default_ok else 'above'} CE's (lower for {wins} of "
        f"{len(ce)} seeds).",
    }
