"""Bad inputs are refused with a clear error; inputs are never modified.

``BAD_INPUTS`` lists every bad input tested here, across the estimator, the
losses and the noise injectors: each case names the exception type and a
pattern that the message must match, which names the offending parameter or
input. tests/test_classifier.py covers a few more (``test_bad_parameters_*``,
``test_bad_data_is_rejected``); the values there are not repeated here.
"""

import warnings
from functools import cache
from typing import NamedTuple

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.datasets import make_blobs

from sknoisy import NoisyLabelClassifier
from sknoisy.losses import (
    LOSSES,
    BootstrapLoss,
    CrossEntropyLoss,
    EncouragingLoss,
    GCELoss,
    LabelSmoothingLoss,
    NCERCELoss,
    SCELoss,
    TruncatedGCELoss,
    get_loss_class,
)
from sknoisy.noise import (
    AsymmetricNoise,
    InstanceDependentNoise,
    PseudoLabelNoise,
    SymmetricNoise,
    TransitionMatrixNoise,
    corrupt_labels,
    from_cleanlab_noise_matrix,
    make_noise,
    symmetric_transition_matrix,
)

X, Y = make_blobs(n_samples=60, centers=3, n_features=4, random_state=0)
X_NOISY, _ = make_blobs(n_samples=60, centers=3, cluster_std=5.0, random_state=0)
Z = np.zeros((60, 2))  # features for injectors that only use len(X)
LOGITS = torch.zeros(4, 3)
TARGET = torch.tensor([0, 1, 2, 0])
MAE = LOSSES["mae"]()


class Case(NamedTuple):
    id: str
    call: object  # () -> None, expected to raise
    exc: type
    match: str  # regex the message must match; names the parameter/input


def fit(X_=X, y_=Y, **params):
    params = {"max_epochs": 1, "batch_size": 32, "random_state": 0, **params}
    NoisyLabelClassifier(**params).fit(X_, y_)


@cache
def fitted():
    return NoisyLabelClassifier(max_epochs=1, random_state=0).fit(X, Y)


def with_nan(A):
    A = A.copy()
    A[3, 1] = np.nan
    return A


def quiet(call):
    """Run ``call`` with numpy's overflow RuntimeWarnings silenced."""

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            call()

    return run


def forward(loss, logits=LOGITS, target=TARGET, **kwargs):
    return lambda: loss(logits, target, **kwargs)


BAD_INPUTS = [
    # ---------------------------------------------------------- estimator
    Case("clf-q-negative", lambda: fit(loss="gce", q=-0.5), ValueError, "'q'"),
    Case("clf-q-nan", lambda: fit(loss="gce", q=float("nan")), ValueError, "'q'"),
    Case("clf-k-zero", lambda: fit(loss="truncated_gce", k=0.0), ValueError, "'k'"),
    Case("clf-LE-above-1", lambda: fit(loss="encouraging", LE=1.5), ValueError, "'LE'"),
    Case(
        "clf-smoothing-negative", lambda: fit(smoothing=-0.1), ValueError, "smoothing"
    ),
    Case(
        "clf-loss-alpha-negative", lambda: fit(loss_alpha=-1), ValueError, "loss_alpha"
    ),
    Case(
        "clf-bootstrap-beta",
        lambda: fit(bootstrap_beta=1.5),
        ValueError,
        "bootstrap_beta",
    ),
    Case(
        "clf-bootstrap-mode",
        lambda: fit(bootstrap_mode="x"),
        ValueError,
        "bootstrap_mode",
    ),
    Case("clf-loss-wrong-case", lambda: fit(loss="GCE"), ValueError, "'loss'"),
    Case("clf-loss-not-a-name", lambda: fit(loss=42), ValueError, "'loss'"),
    Case("clf-loss-class-not-module", lambda: fit(loss=dict), TypeError, "loss"),
    Case(
        "clf-label-correction-bool",
        lambda: fit(label_correction=True),
        ValueError,
        "'label_correction'",
    ),
    Case(
        "clf-correction-start-name",
        lambda: fit(correction_start="early"),
        ValueError,
        "'correction_start'",
    ),
    Case(
        "clf-correction-holdout-too-large",
        lambda: fit(label_correction="soft", correction_holdout=0.7),
        ValueError,
        "'correction_holdout'",
    ),
    Case(
        "clf-correction-holdout-negative",
        lambda: fit(label_correction="soft", correction_holdout=-0.1),
        ValueError,
        "'correction_holdout'",
    ),
    Case(
        "clf-label-correction-with-criterion",
        lambda: fit(label_correction="soft", criterion=torch.nn.CrossEntropyLoss),
        ValueError,
        "label_correction",
    ),
    Case(
        "clf-prior-negative",
        lambda: fit(label_correction="soft", prior=[0.5, -0.5, 1.0]),
        ValueError,
        "prior",
    ),
    Case(
        "clf-prior-nan",
        lambda: fit(label_correction="soft", prior=[0.3, np.nan, 0.3]),
        ValueError,
        "prior",
    ),
    Case(
        "clf-max-epochs-negative",
        lambda: fit(max_epochs=-3),
        ValueError,
        "'max_epochs'",
    ),
    Case(
        "clf-max-epochs-float", lambda: fit(max_epochs=2.5), ValueError, "'max_epochs'"
    ),
    Case(
        "clf-prune-every-zero",
        lambda: fit(loss="truncated_gce", prune_every=0),
        ValueError,
        "'prune_every'",
    ),
    Case(
        "clf-refit-epochs-zero",
        lambda: fit(refit_epochs=0),
        ValueError,
        "'refit_epochs'",
    ),
    Case("clf-lr-name", lambda: fit(lr="fast"), ValueError, "'lr'"),
    Case(
        "clf-batch-size-minus-2", lambda: fit(batch_size=-2), ValueError, "'batch_size'"
    ),
    Case("clf-optimizer-str", lambda: fit(optimizer="adam"), ValueError, "'optimizer'"),
    Case("clf-module-not-callable", lambda: fit(module=3), ValueError, "'module'"),
    Case("clf-device-int", lambda: fit(device=3), ValueError, "'device'"),
    Case(
        "clf-random-state-str",
        lambda: fit(random_state="seed"),
        ValueError,
        "'random_state'",
    ),
    Case(
        "clf-misspelt-prefixed-param",
        lambda: fit(modul__hidden_layer_sizes=(3,)),
        ValueError,
        "modul__hidden_layer_sizes",
    ),
    Case("clf-y-none", lambda: fit(y_=None), ValueError, r"\by\b"),
    Case("clf-y-2d", lambda: fit(y_=np.c_[Y, Y]), ValueError, r"\by\b"),
    Case(
        "clf-y-continuous",
        lambda: fit(y_=np.linspace(0, 1, 60)),
        ValueError,
        "label type",
    ),
    Case(
        "clf-y-single-string-class",
        lambda: fit(y_=np.array(["a"] * 60)),
        ValueError,
        r"2 classes in y",
    ),
    Case(
        "clf-y-label-not-in-classes",
        lambda: fit(classes=[0, 1]),
        ValueError,
        r"y contains labels \[2\].*classes",
    ),
    Case(
        "clf-X-too-large-for-float32",
        quiet(lambda: fit(X_=X * 1e40)),
        ValueError,
        r"X contains infinity",
    ),
    Case(
        "clf-X-sparse-nan",
        lambda: fit(X_=sp.csr_matrix(with_nan(X))),
        ValueError,
        r"X contains NaN",
    ),
    Case(
        "clf-predict-X-sparse-more-features",
        lambda: fitted().predict(sp.csr_matrix(np.c_[X, X[:, 0]])),
        ValueError,
        r"X has 5 features.*expecting 4",
    ),
    Case(
        "clf-predict-X-nan",
        lambda: fitted().predict_proba(with_nan(X)),
        ValueError,
        r"X contains NaN",
    ),
    Case(
        "clf-predict-more-features",
        lambda: fitted().predict(np.c_[X, X[:, 0]]),
        ValueError,
        r"X has 5 features.*expecting 4",
    ),
    Case(
        "clf-partial-fit-classes-missing-label",
        lambda: NoisyLabelClassifier(max_epochs=1).partial_fit(X, Y, classes=[0, 1]),
        ValueError,
        r"y contains labels \[2\]",
    ),
    # ------------------------------------------------------------- losses
    Case("loss-gce-q-zero", lambda: GCELoss(q=0), ValueError, r"q must be in \(0, 1\]"),
    Case("loss-gce-q-str", lambda: GCELoss(q="0.5"), TypeError, r"q must be a real"),
    Case("loss-gce-q-bool", lambda: GCELoss(q=True), TypeError, r"q must be a real"),
    Case(
        "loss-truncated-k-one",
        lambda: TruncatedGCELoss(k=1.0),
        ValueError,
        r"k must be in \(0, 1\)",
    ),
    Case(
        "loss-encouraging-LE-negative",
        lambda: EncouragingLoss(LE=-0.01),
        ValueError,
        r"LE must be in \[0, 1\]",
    ),
    Case(
        "loss-smoothing-above-1",
        lambda: LabelSmoothingLoss(smoothing=1.5),
        ValueError,
        "smoothing must be",
    ),
    Case(
        "loss-sce-both-weights-zero",
        lambda: SCELoss(alpha=0, beta=0),
        ValueError,
        "alpha and beta",
    ),
    Case(
        "loss-nce-rce-beta-negative",
        lambda: NCERCELoss(beta=-1),
        ValueError,
        "beta must be",
    ),
    Case(
        "loss-bootstrap-mode",
        lambda: BootstrapLoss(mode="medium"),
        ValueError,
        "mode must be",
    ),
    Case(
        "loss-bootstrap-beta", lambda: BootstrapLoss(beta=2), ValueError, "beta must be"
    ),
    Case(
        "loss-reduction",
        lambda: CrossEntropyLoss(reduction="avg"),
        ValueError,
        "reduction must be",
    ),
    Case(
        "loss-unknown-name",
        lambda: get_loss_class("focal"),
        ValueError,
        "loss must be one of",
    ),
    Case(
        "loss-name-not-str-or-class",
        lambda: get_loss_class(3),
        TypeError,
        "loss must be",
    ),
    Case(
        "loss-logits-int",
        forward(GCELoss(), logits=torch.zeros(4, 3).long()),
        TypeError,
        "logits must be a floating",
    ),
    Case(
        "loss-logits-1d",
        forward(GCELoss(), logits=torch.zeros(4)),
        ValueError,
        r"logits must have shape \(B, C\)",
    ),
    Case(
        "loss-logits-numpy",
        forward(GCELoss(), logits=np.zeros((4, 3))),
        TypeError,
        "logits must be a torch.Tensor",
    ),
    Case(
        "loss-soft-target-shape",
        forward(SCELoss(), target=torch.zeros(4, 2)),
        ValueError,
        "target must be",
    ),
    Case(
        "loss-target-bool",
        forward(MAE, target=TARGET > 0),
        TypeError,
        "target must be integer or floating",
    ),
    Case(
        "loss-hard-target-length",
        forward(MAE, target=torch.tensor([0, 1])),
        ValueError,
        "target of integer dtype",
    ),
    Case(
        "loss-weight-shape",
        forward(EncouragingLoss(), weight=torch.ones(3)),
        ValueError,
        "weight must have shape",
    ),
    Case(
        "loss-prune-weights-target-shape",
        lambda: TruncatedGCELoss().prune_weights(LOGITS, torch.zeros(4, 2)),
        ValueError,
        "target must be",
    ),
    # -------------------------------------------------------------- noise
    Case(
        "noise-rate-above-1",
        lambda: SymmetricNoise(rate=1.5).fit_resample(Z, Y),
        ValueError,
        "'rate'",
    ),
    Case(
        "noise-flip-to",
        lambda: SymmetricNoise(flip_to="same").fit_resample(Z, Y),
        ValueError,
        "'flip_to'",
    ),
    Case(
        "noise-exact-str",
        lambda: SymmetricNoise(exact="yes").fit_resample(Z, Y),
        ValueError,
        "'exact'",
    ),
    Case(
        "noise-random-state-str",
        lambda: SymmetricNoise(random_state="x").fit_resample(Z, Y),
        ValueError,
        "'random_state'",
    ),
    Case(
        "noise-std-negative",
        lambda: InstanceDependentNoise(std=-1).fit_resample(X, Y),
        ValueError,
        "'std'",
    ),
    Case(
        "noise-feature-extractor",
        lambda: PseudoLabelNoise(feature_extractor=3).fit_resample(X, Y),
        ValueError,
        "'feature_extractor'",
    ),
    Case(
        "noise-mapping-absent-class",
        lambda: AsymmetricNoise(mapping={0: 5}).fit_resample(Z, Y),
        ValueError,
        r"mapping entry 0: 5.*not among the classes",
    ),
    Case(
        "noise-mapping-unknown-preset",
        lambda: AsymmetricNoise(mapping="cifar11").fit_resample(Z, Y),
        ValueError,
        "'mapping'",
    ),
    Case(
        "noise-matrix-not-stochastic",
        lambda: TransitionMatrixNoise(np.full((3, 3), 0.5)).fit_resample(Z, Y),
        ValueError,
        r"matrix rows must sum to 1",
    ),
    Case(
        "noise-matrix-negative",
        lambda: TransitionMatrixNoise(
            [[1.5, -0.5, 0], [0, 1, 0], [0, 0, 1]]
        ).fit_resample(Z, Y),
        ValueError,
        r"matrix must be non-negative",
    ),
    Case(
        "noise-matrix-wrong-size",
        lambda: TransitionMatrixNoise(np.eye(2)).fit_resample(Z, Y),
        ValueError,
        r"matrix has 2 rows.*3 classes",
    ),
    Case(
        "noise-matrix-nan",
        lambda: TransitionMatrixNoise(np.full((3, 3), np.nan)).fit_resample(Z, Y),
        ValueError,
        r"matrix contains NaN",
    ),
    Case(
        "noise-matrix-none",
        lambda: TransitionMatrixNoise().fit_resample(Z, Y),
        ValueError,
        "matrix must be given",
    ),
    Case(
        "noise-cleanlab-matrix-not-stochastic",
        lambda: from_cleanlab_noise_matrix(np.full((3, 3), 0.5)),
        ValueError,
        "noise_matrix",
    ),
    Case(
        "noise-length-mismatch",
        lambda: SymmetricNoise().fit_resample(Z[:-1], Y),
        ValueError,
        r"X and y have inconsistent numbers of samples",
    ),
    Case(
        "noise-single-class",
        lambda: SymmetricNoise().fit_resample(Z, np.zeros(60, int)),
        ValueError,
        r"at least 2 classes",
    ),
    Case(
        "noise-y-none",
        lambda: SymmetricNoise().fit_resample(Z, None),
        ValueError,
        r"\by\b",
    ),
    Case(
        "noise-y-continuous",
        lambda: SymmetricNoise().fit_resample(Z, np.linspace(0, 1, 60)),
        ValueError,
        "label type",
    ),
    Case(
        "noise-y-multilabel",
        lambda: SymmetricNoise().fit_resample(Z, np.c_[Y == 0, Y == 1].astype(int)),
        ValueError,
        "Multilabel",
    ),
    Case(
        "noise-y-label-not-in-classes",
        lambda: SymmetricNoise(classes=[0, 1]).fit_resample(Z, Y),
        ValueError,
        r"y contains labels.*not in classes",
    ),
    Case(
        "noise-classes-duplicates",
        lambda: SymmetricNoise(classes=[0, 1, 1, 2]).fit_resample(Z, Y),
        ValueError,
        "classes must not contain duplicates",
    ),
    Case(
        "noise-X-nan-instance-dependent",
        lambda: InstanceDependentNoise().fit_resample(with_nan(X), Y),
        ValueError,
        r"X contains NaN",
    ),
    Case(
        "noise-X-nan-pseudo-label",
        lambda: PseudoLabelNoise().fit_resample(with_nan(X), Y),
        ValueError,
        r"X contains NaN",
    ),
    Case(
        "noise-unknown-kind",
        lambda: corrupt_labels(Y, "gaussian"),
        ValueError,
        "kind must be one of",
    ),
    Case(
        "noise-pseudo-label-without-X",
        lambda: corrupt_labels(Y, "pseudo_label"),
        ValueError,
        "X is required",
    ),
    Case(
        "noise-pair-with-other-mapping",
        lambda: make_noise("pair", mapping="mnist"),
        ValueError,
        "mapping",
    ),
    Case(
        "noise-symmetric-matrix-one-class",
        lambda: symmetric_transition_matrix(1, 0.2),
        ValueError,
        "n_classes",
    ),
    Case(
        "noise-symmetric-matrix-rate",
        lambda: symmetric_transition_matrix(3, 2.0),
        ValueError,
        "rate",
    ),
    # Cases enabled by the fixes applied after review.
    Case("clf-length-mismatch", lambda: fit(X, Y[:-1]), ValueError, "X and y"),
    Case("clf-empty", lambda: fit(X[:0], Y[:0]), ValueError, "X and y are empty"),
    Case(
        "loss-target-out-of-range",
        lambda: CrossEntropyLoss()(LOGITS, torch.tensor([0, 1, 3, 0])),
        ValueError,
        "target class indices",
    ),
    Case(
        "loss-target-negative",
        lambda: GCELoss()(LOGITS, torch.tensor([0, -1, 2, 0])),
        ValueError,
        "target class indices",
    ),
    Case(
        "noise-empty-y",
        lambda: SymmetricNoise(rate=0.2).fit_resample(Z[:0], Y[:0]),
        ValueError,
        "y is empty",
    ),
]


def test_the_case_list_is_long_and_ids_are_unique():
    ids = [case.id for case in BAD_INPUTS]
    assert len(ids) == len(set(ids))
    assert len(BAD_INPUTS) >= 25


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[case.id for case in BAD_INPUTS])
def test_bad_input_is_refused_with_a_message_naming_it(case):
    with pytest.raises(case.exc, match=case.match):
        case.call()


# ---------------------------------------------------------------- divergence
class _DivergesFromEpoch2(torch.nn.Module):
    """Finite logits in epoch 1, then ``value`` (inf or NaN) in the loss.

    Trained with ``batch_size=-1``: one training forward pass per epoch.
    """

    def __init__(self, n_features=4, n_classes=3, value="nan"):
        super().__init__()
        self.lin = torch.nn.Linear(n_features, n_classes)
        self.value = value
        self.n_train_calls = 0

    def forward(self, x):
        out = self.lin(x)
        if not self.training:
            return out
        self.n_train_calls += 1
        if self.n_train_calls < 2:
            return out
        if self.value == "nan":
            return out * float("nan")
        # -inf logit of class 0: log p = -inf for samples of class 0, so the
        # cross entropy is +inf (and finite for the others).
        mask = torch.zeros_like(out, dtype=torch.bool)
        mask[:, 0] = True
        return out.masked_fill(mask, float("-inf"))


@pytest.mark.parametrize("value, shown", [("nan", "nan"), ("inf", "inf")])
def test_divergence_stops_with_the_epoch_and_the_loss(value, shown):
    clf = NoisyLabelClassifier(
        module=_DivergesFromEpoch2,
        module__value=value,
        max_epochs=5,
        batch_size=-1,
        random_state=0,
    )
    with pytest.raises(FloatingPointError, match=rf"{shown} in epoch 2\b") as info:
        clf.fit(X, Y)
    assert "train_loss" in str(info.value)
    # It stopped at the end of epoch 2: epoch 1 recorded a finite loss.
    assert len(clf.history) == 2
    assert np.isfinite(clf.history[0, "train_loss"])
    assert clf.module_.n_train_calls == 2


# ------------------------------------------------------ inputs not modified
def _read_only(*arrays):
    out = []
    for a in arrays:
        a = np.array(a)
        a.setflags(write=False)
        out.append(a)
    return out


# torch wraps the read-only array without copying and warns that writing to
# the tensor would be undefined; the test checks that nothing writes to it.
@pytest.mark.filterwarnings("ignore:The given NumPy array is not writable")
@pytest.mark.parametrize("label_correction", [None, "hard", "soft"])
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_estimator_leaves_read_only_X_and_y_alone(loss, label_correction):
    if loss in ("elr", "forward", "backward") and label_correction is not None:
        pytest.skip(f"loss={loss!r} is a method of its own, refused with correction")
    Xr, yr = _read_only(X, np.array(["a", "b", "c"])[Y])
    X_copy, y_copy = Xr.copy(), yr.copy()
    clf = NoisyLabelClassifier(
        loss=loss,
        label_correction=label_correction,
        correction_start=1,
        prune_start=1,
        prune_every=1,
        max_epochs=2,
        batch_size=32,
        random_state=0,
    )
    clf.fit(Xr, yr)
    clf.partial_fit(Xr, yr)
    clf.predict_proba(Xr)
    assert set(clf.predict(Xr)) <= {"a", "b", "c"}
    np.testing.assert_array_equal(Xr, X_copy)
    np.testing.assert_array_equal(yr, y_copy)
    assert not Xr.flags.writeable and not yr.flags.writeable


@pytest.mark.filterwarnings("ignore:The given NumPy array is not writable")
def test_estimator_leaves_float32_X_alone_when_no_copy_is_needed():
    # float32 C-contiguous X is used without conversion: the estimator must
    # still not write to it (e.g. while refitting on corrected labels).
    (Xr,) = _read_only(X.astype(np.float32))
    X_copy = Xr.copy()
    (yr,) = _read_only(Y)
    NoisyLabelClassifier(
        label_correction="soft",
        correction_start=1,
        refit_corrected=True,
        refit_epochs=1,
        max_epochs=2,
        random_state=0,
    ).fit(Xr, yr)
    np.testing.assert_array_equal(Xr, X_copy)


def _injectors():
    return [
        SymmetricNoise(rate=0.3, random_state=0),
        SymmetricNoise(rate=0.3, flip_to="any", exact=True, random_state=0),
        AsymmetricNoise(rate=0.3, random_state=0),
        AsymmetricNoise(rate=0.3, mapping={0: 1, 1: 0}, exact=True, random_state=0),
        TransitionMatrixNoise(symmetric_transition_matrix(3, 0.3), random_state=0),
        TransitionMatrixNoise(
            symmetric_transition_matrix(3, 0.3), exact=True, random_state=0
        ),
        PseudoLabelNoise(rate=0.2, random_state=0),
        InstanceDependentNoise(rate=0.3, random_state=0),
    ]


@pytest.mark.parametrize(
    "noise",
    _injectors(),
    ids=[f"{type(n).__name__}-{i}" for i, n in enumerate(_injectors())],
)
@pytest.mark.parametrize("labels", ["int", "str"])
def test_noise_injector_leaves_read_only_X_and_y_alone(noise, labels):
    y = Y if labels == "int" else np.array(["a", "b", "c"])[Y]
    if isinstance(noise.get_params().get("mapping"), dict) and labels == "str":
        noise = noise.set_params(mapping={"a": "b", "b": "a"})
    Xr, yr = _read_only(X_NOISY, y)
    X_copy, y_copy = Xr.copy(), yr.copy()
    X_res, y_noisy = noise.fit_resample(Xr, yr)
    assert X_res is Xr
    np.testing.assert_array_equal(Xr, X_copy)
    np.testing.assert_array_equal(yr, y_copy)
    assert y_noisy is not yr
    # a caller may change the noisy labels without touching the given ones
    y_noisy = np.asarray(y_noisy)
    if y_noisy.flags.writeable:
        y_noisy[:] = y_noisy[0]
    np.testing.assert_array_equal(yr, y_copy)
    assert noise.noise_rate_ > 0


def test_corrupt_labels_leaves_list_and_series_alone():
    pd = pytest.importorskip("pandas")
    y_list = Y.tolist()
    y_series = pd.Series(np.array(["a", "b", "c"])[Y], index=np.arange(60) * 2)
    list_copy, series_copy = list(y_list), y_series.copy()
    noisy_list = corrupt_labels(y_list, "symmetric", rate=0.5, random_state=0)
    noisy_series = corrupt_labels(y_series, "symmetric", rate=0.5, random_state=0)
    assert y_list == list_copy
    pd.testing.assert_series_equal(y_series, series_copy)
    assert noisy_list != y_list
    assert not noisy_series.equals(y_series)
    assert noisy_series.index.equals(y_series.index)
