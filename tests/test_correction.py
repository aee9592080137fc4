"""Mechanics of the label-correcting fit loop (joint optimisation)."""

import math
import warnings

import numpy as np
import pytest
import torch
from _callbacks import Interrupt
from sklearn.datasets import make_blobs

from sknoisy import NoisyLabelClassifier
from sknoisy.correction._objective import jo_regularizers
from sknoisy.correction._schedule import early_learning_end, holdout_mask
from sknoisy.exceptions import CorrectionWarning


@pytest.fixture(scope="module")
def flipped_blobs():
    """Three far-apart blobs with 20% of the labels moved to another blob."""
    X, y = make_blobs(
        n_samples=300, centers=3, n_features=5, cluster_std=0.6, random_state=1
    )
    rng = np.random.default_rng(0)
    flip = rng.random(len(y)) < 0.2
    y_noisy = y.copy()
    y_noisy[flip] = (y[flip] + rng.integers(1, 3, flip.sum())) % 3
    return X, y, y_noisy, flip


def jo(**kwargs):
    params = {
        "label_correction": "soft",
        "max_epochs": 15,
        "correction_start": 3,
        "random_state": 0,
    }
    params.update(kwargs)
    return NoisyLabelClassifier(**params)


def test_jo_regularizers_hand_computed():
    # Uniform predictions: KL(prior || uniform) = 0 for a uniform prior and the
    # entropy is log(c).
    logits = torch.zeros(5, 4)
    uniform = torch.full((4,), 0.25)
    assert float(jo_regularizers(logits, uniform, 1.0, 0.0)) == pytest.approx(0.0)
    reg = jo_regularizers(logits, uniform, 0.0, 2.0)
    assert float(reg) == pytest.approx(2 * math.log(4))
    # Confident predictions, all on class 0, against a uniform prior of 2
    # classes: s_bar = (1, 0) -> KL = 0.5 log(0.5/1) + 0.5 log(0.5/tiny), large.
    logits = torch.tensor([[50.0, -50.0], [50.0, -50.0]])
    prior = torch.tensor([0.5, 0.5])
    assert float(jo_regularizers(logits, prior, 1.0, 0.0)) > 10
    # The mean over the batch, not per sample: predictions on opposite classes
    # average to the uniform prior.
    logits = torch.tensor([[50.0, -50.0], [-50.0, 50.0]])
    assert float(jo_regularizers(logits, prior, 1.0, 0.0)) == pytest.approx(
        0.0, abs=1e-6
    )
    # Against METHODS.md's formula with numbers.
    logits = torch.tensor([[1.0, 0.0], [0.0, 0.5]])
    s = torch.softmax(logits, 1)
    s_bar = s.mean(0)
    prior = torch.tensor([0.3, 0.7])
    expected = float(
        1.2 * (prior * torch.log(prior / s_bar)).sum()
        - 0.8 * (s * torch.log(s)).sum(1).mean()
    )
    assert float(jo_regularizers(logits, prior, 1.2, 0.8)) == pytest.approx(expected)


def test_jo_regularizers_gradients_finite_for_extreme_logits():
    logits = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]], requires_grad=True)
    prior = torch.tensor([0.2, 0.3, 0.5])
    jo_regularizers(logits, prior, 1.0, 1.0).backward()
    assert torch.isfinite(logits.grad).all()


def test_early_learning_end_plateau():
    # Rises, then sets no new best: ends `patience` epochs after the peak.
    rise_then_flat = [0.2, 0.35, 0.45, 0.5, 0.49, 0.5, 0.48, 0.47]
    assert early_learning_end(rise_then_flat) == 7
    assert early_learning_end(rise_then_flat, patience=2) == 6
    # Still rising: not ended.
    assert early_learning_end([0.1 + 0.04 * t for t in range(12)]) is None
    assert early_learning_end([]) is None
    # A slower learner ends later than a faster one.
    slower = [0.1, 0.15, 0.2, 0.3, 0.4, 0.48, 0.53, 0.56, 0.57, 0.572, 0.573]
    end = early_learning_end(slower)
    assert end is not None and end > 7
    # Never before min_epochs, even when the first epoch is the best.
    assert early_learning_end([0.5, 0.4, 0.3, 0.2], patience=1, min_epochs=3) == 3
    # A creep smaller than rel_tol of the rise does not postpone the end.
    creep = [0.2, 0.4, 0.5] + [0.5 + 0.002 * t for t in range(1, 10)]
    assert early_learning_end(creep) == 6
    assert early_learning_end(creep, rel_tol=0.0) is None


def test_early_learning_end_memorisation():
    heldout = [0.2, 0.35, 0.45, 0.5, 0.52, 0.54, 0.56, 0.58]  # still rising
    together = [h + 0.01 for h in heldout]
    assert early_learning_end(heldout, together) is None
    # The trained score pulls away: 0.62 - 0.5 >= 0.1 * (1 - 0.5) at epoch 4.
    apart = [0.2, 0.36, 0.48, 0.62, 0.7, 0.75, 0.8, 0.85]
    assert early_learning_end(heldout, apart) == 4
    assert early_learning_end(heldout, apart, memorized=0.5) == 7
    # ...but never before min_epochs.
    assert early_learning_end(heldout, [0.9] * 8, min_epochs=3) == 3
    with pytest.raises(ValueError, match="same length"):
        early_learning_end(heldout, apart[:3])


def test_holdout_mask_is_stratified_and_seeded():
    y = np.repeat([0, 1, 2], [100, 30, 1])
    mask = holdout_mask(y, 0.1, random_state=0)
    assert mask.dtype == bool and mask.shape == y.shape
    assert [int(mask[y == k].sum()) for k in range(3)] == [10, 3, 0]
    np.testing.assert_array_equal(mask, holdout_mask(y, 0.1, random_state=0))
    assert not np.array_equal(mask, holdout_mask(y, 0.1, random_state=1))
    # Every class with two samples gives one, and keeps one.
    assert holdout_mask(np.array([0, 0, 1, 1]), 0.01, random_state=0).sum() == 2
    assert holdout_mask(np.array([0, 0, 1, 1]), 0.5, random_state=0).sum() == 2


def test_labels_move_towards_truth(flipped_blobs):
    X, y, y_noisy, flip = flipped_blobs
    clf = jo().fit(X, y_noisy)
    # Most flipped labels are corrected, most clean labels stay.
    assert np.mean(clf.corrected_labels_[flip] == y[flip]) > 0.9
    assert np.mean(clf.corrected_labels_[~flip] == y[~flip]) > 0.95
    assert clf.label_issues_.dtype == bool
    np.testing.assert_array_equal(clf.label_issues_, clf.corrected_labels_ != y_noisy)
    assert clf.label_issues_[flip].mean() > 0.9
    # history records the work
    changed = clf.history[:, "n_labels_changed"]
    correcting = clf.history[:, "correcting"]
    assert len(changed) == 15
    assert not any(correcting[:2]) and all(correcting[2:])
    assert sum(changed) > 0 and all(c == 0 for c in changed[:2])


def test_soft_and_hard_labels(flipped_blobs):
    X, _, y_noisy, _ = flipped_blobs
    soft = jo(label_correction="soft").fit(X, y_noisy).soft_labels_
    hard = jo(label_correction="hard").fit(X, y_noisy).soft_labels_
    for labels in (soft, hard):
        assert labels.shape == (len(X), 3)
        np.testing.assert_allclose(labels.sum(1), 1.0, rtol=1e-5)
    assert set(np.unique(hard)) <= {0.0, 1.0}
    assert len(np.unique(soft)) > 3  # genuinely soft


def test_string_labels_and_y_untouched(flipped_blobs):
    X, y, y_noisy, flip = flipped_blobs
    names = np.array(["ant", "bee", "cow"])
    y_str = names[y_noisy]
    y_copy = y_str.copy()
    clf = jo().fit(X, y_str)
    np.testing.assert_array_equal(y_str, y_copy)
    assert clf.corrected_labels_.dtype == y_str.dtype
    assert np.mean(clf.corrected_labels_ == names[y]) > 0.9


def test_reproducible(flipped_blobs):
    X, _, y_noisy, _ = flipped_blobs
    a = jo(random_state=3).fit(X, y_noisy)
    b = jo(random_state=3).fit(X, y_noisy)
    np.testing.assert_array_equal(a.soft_labels_, b.soft_labels_)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_prior_term_prevents_collapse():
    # Features carry no information: without the prior term, hard updates let
    # the labels drift into a few classes; the prior keeps all classes alive.
    # (Tanaka's rule, which replaces every label.)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = np.arange(300) % 4
    kwargs = {
        "label_correction": "hard",
        "correction_start": 1,
        "max_epochs": 30,
        "correction_rule": "all",
        "elr_lambda": 0.0,
    }
    free = jo(alpha=0.0, beta=2.0, prior="uniform", **kwargs).fit(X, y)
    held = jo(alpha=2.0, beta=2.0, prior="uniform", **kwargs).fit(X, y)
    counts_free = np.bincount(free.soft_labels_.argmax(1), minlength=4)
    counts_held = np.bincount(held.soft_labels_.argmax(1), minlength=4)
    assert counts_free.min() == 0  # at least one class died out
    assert counts_held.min() > 0.1 * 300  # every class keeps its share


def test_confident_rule_flags_what_confident_learning_would():
    # Per-class thresholds are the mean probability that a class's given
    # samples get; a label is replaced only when it is below its own class's
    # threshold and another class clears its threshold. A rare class with
    # low confidence (class 2) keeps its samples.
    from sknoisy.correction import LabelState

    y = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2])
    average = torch.tensor(
        [
            [0.9, 0.1, 0.0],
            [0.9, 0.1, 0.0],
            [0.1, 0.9, 0.0],  # labelled 0, confidently 1: replaced
            [0.0, 1.0, 0.0],
            [0.1, 0.9, 0.0],
            [0.3, 0.7, 0.0],  # below class 1's bar (0.867), 0 is not >= 0.633
            [0.6, 0.0, 0.4],  # rare class, low confidence: its own bar is 0.35
            [0.3, 0.4, 0.3],
        ]
    )
    state = LabelState().reset(y, 3, prior=[1 / 3] * 3, confident=True)
    state.average.copy_(average)
    state.n_averaged.fill_(1)
    assert state.class_thresholds().tolist() == pytest.approx(
        [0.633, 0.867, 0.35], abs=1e-3
    )
    state.set_phase(1)
    assert state.update_labels() == 1
    assert state.flagged.tolist() == [
        False,
        False,
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    assert state.label_argmax.tolist() == [0, 0, 1, 1, 1, 1, 2, 2]
    labels = state.current_labels()
    assert torch.equal(labels[2], average[2])  # the replaced label: the average
    assert labels[6].tolist() == [0.0, 0.0, 1.0]  # the others: given, one-hot
    assert state.flagged_share == pytest.approx(1 / 8)
    # training targets: a flagged label moves toward the average by
    # w = min(1, flagged share / 0.2) = 0.625; the others stay one-hot
    targets = state.targets(torch.tensor([2, 6]), y[[2, 6]])
    w = 0.125 / 0.2
    expected = (1 - w) * torch.tensor([1.0, 0.0, 0.0]) + w * average[2]
    assert torch.allclose(targets[0], expected)
    assert targets[1].tolist() == [0.0, 0.0, 1.0]
    # Tanaka's rule replaces every label by the average
    tanaka_state = LabelState().reset(y, 3, prior=[1 / 3] * 3)
    tanaka_state.average.copy_(average)
    tanaka_state.n_averaged.fill_(1)
    tanaka_state.set_phase(1)
    assert tanaka_state.update_labels() == 3
    assert torch.equal(tanaka_state.current_labels(), average)


def test_auto_start_detects_early_learning(flipped_blobs):
    X, _, y_noisy, _ = flipped_blobs
    clf = jo(correction_start="auto", max_epochs=25, correction_window=5)
    clf.fit(X, y_noisy)
    correcting = clf.history[:, "correcting"]
    start = clf.correction_start_
    assert start is not None and 3 <= start <= 12  # at the latest half-way
    assert correcting.index(True) + 1 == start and all(correcting[start - 1 :])
    # The start follows the held-out score, recorded until correction starts.
    scores = [row["heldout_score"] for row in clf.history[:start]]
    agreement = [row["heldout_agreement"] for row in clf.history[:start]]
    assert all(0.0 <= a <= 1.0 for a in scores + agreement)
    trained = [row["train_score"] for row in clf.history[:start]]
    # the rule fired at the start, or the start is the latest allowed (half-way)
    assert early_learning_end(scores, trained) == start or start == 12
    assert early_learning_end(scores[:-1], trained[:-1]) is None
    assert "heldout_score" not in clf.history[-1]


def test_heldout_labels_are_not_trained_on_before_the_start(flipped_blobs, monkeypatch):
    X, _, y_noisy, _ = flipped_blobs
    params = {"correction_start": "auto", "max_epochs": 12, "correction_window": 3}
    reference = jo(**params).fit(X, y_noisy)
    start = reference.correction_start_
    assert start is not None and start > 2
    held = np.flatnonzero(reference.label_state_.heldout.numpy())
    assert held.size == round(0.1 * len(X)) or abs(held.size - 0.1 * len(X)) <= 3
    # Same draw, other labels on the held-out samples.
    mask = np.zeros(len(X), dtype=bool)
    mask[held] = True
    monkeypatch.setattr(
        "sknoisy.correction._callbacks.holdout_mask", lambda y, fraction, seed: mask
    )
    y_other = y_noisy.copy()
    y_other[mask] = (y_noisy[mask] + 1) % 3
    other = jo(**params, prior="uniform").fit(X, y_other)
    same = jo(**params, prior="uniform").fit(X, y_noisy)
    first = min(other.correction_start_, same.correction_start_) - 1
    assert first >= 2
    # Before correction starts the training is blind to the held-out labels...
    np.testing.assert_allclose(
        other.history[:first, "train_loss"],
        same.history[:first, "train_loss"],
        rtol=1e-6,
    )
    # ...but the held-out score is measured against them.
    assert other.history[1]["heldout_score"] != same.history[1]["heldout_score"]


def test_holdout_zero_watches_training_agreement(flipped_blobs):
    X, _, y_noisy, _ = flipped_blobs
    clf = jo(correction_start="auto", correction_holdout=0.0, max_epochs=20)
    clf.fit(X, y_noisy)
    assert "heldout_score" not in clf.history[0]
    start = clf.correction_start_
    agreement = clf.history[:, "label_agreement"]
    assert start == (early_learning_end(agreement[:start]) or start)


def test_integer_start_holds_nothing_out(flipped_blobs):
    X, _, y_noisy, _ = flipped_blobs
    clf = jo(correction_start=4).fit(X, y_noisy)
    assert clf.correction_start_ == 4
    assert "heldout_score" not in clf.history[0]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"correction_start": 30, "max_epochs": 5}, "correction_start=30"),
        ({"correction_start": 4, "max_epochs": 6}, "only 3 of 6 epochs"),
        ({"correction_start": "auto", "max_epochs": 4}, "correction_window=10"),
    ],
)
def test_correction_warning_names_the_parameter(flipped_blobs, params, message):
    X, _, y_noisy, _ = flipped_blobs
    with pytest.warns(CorrectionWarning, match=message) as record:
        clf = jo(**params).fit(X, y_noisy)
    assert issubclass(CorrectionWarning, UserWarning)
    text = str(record[0].message)
    assert "max_epochs" in text
    if params["correction_start"] == 30:
        assert clf.correction_start_ is None
        assert not clf.label_issues_.any()
        assert "never started" in text


def test_correction_warning_when_training_stops_early(flipped_blobs):
    # Early stopping (or a Ctrl-C) before correction started.
    X, _, y_noisy, _ = flipped_blobs
    clf = jo(correction_start="auto", max_epochs=40, callbacks=[Interrupt(2)])
    stopped = "never started: the run stopped at epoch 2 of the 40 planned"
    with pytest.warns(CorrectionWarning, match=stopped):
        clf.fit(X, y_noisy)
    assert clf.correction_start_ is None
    assert not clf.label_issues_.any()


def test_no_correction_warning_when_correction_runs_its_window(flipped_blobs):
    X, _, y_noisy, _ = flipped_blobs
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorrectionWarning)
        jo(max_epochs=15, correction_start=3, correction_window=10).fit(X, y_noisy)
        jo(correction_start="auto", max_epochs=12, correction_window=3).fit(X, y_noisy)


def test_refit_corrected_stage(flipped_blobs):
    X, y, y_noisy, _ = flipped_blobs
    clf = jo(refit_corrected=True, refit_epochs=5).fit(X, y_noisy)
    assert len(clf.history) == 15 + 5
    assert clf.score(X, y) > 0.9


@pytest.mark.parametrize("loss", ["gce", "label_smoothing", "truncated_gce"])
def test_composes_with_robust_losses(flipped_blobs, loss):
    X, y, y_noisy, flip = flipped_blobs
    clf = jo(loss=loss).fit(X, y_noisy)
    assert np.mean(clf.corrected_labels_ == y) > 0.85


@pytest.mark.parametrize("prior", ["uniform", "empirical", [0.2, 0.3, 0.5]])
def test_prior_options(flipped_blobs, prior):
    X, _, y_noisy, _ = flipped_blobs
    clf = jo(prior=prior, max_epochs=4).fit(X, y_noisy)
    state_prior = clf.label_state_.prior.cpu().numpy()
    assert state_prior.shape == (3,)
    assert state_prior.sum() == pytest.approx(1.0, rel=1e-5)
    if not isinstance(prior, str):
        np.testing.assert_allclose(state_prior, prior, rtol=1e-5)


def test_partial_fit_continues_correction(flipped_blobs):
    X, _, y_noisy, _ = flipped_blobs
    clf = jo(max_epochs=4)
    clf.partial_fit(X, y_noisy)
    state = clf.label_state_
    clf.partial_fit(X, y_noisy)
    assert clf.label_state_ is state
    assert len(clf.history) == 8
    # the running average went on through both calls
    assert (state.n_averaged.numpy() == 8).all()


@pytest.mark.parametrize("soft", [False, True])
def test_fused_objective_equals_loss_plus_regularizers(soft):
    from sknoisy.correction._objective import jo_objective
    from sknoisy.losses import CrossEntropyLoss

    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(16, 5, generator=gen, dtype=torch.float64) * 4
    if soft:
        target = torch.softmax(
            torch.randn(16, 5, generator=gen, dtype=torch.float64), 1
        )
    else:
        target = torch.randint(0, 5, (16,), generator=gen)
    prior = torch.tensor([0.1, 0.2, 0.3, 0.2, 0.2], dtype=torch.float64)
    a = logits.clone().requires_grad_()
    b = logits.clone().requires_grad_()
    fused = jo_objective(a, target, prior, 1.2, 0.8)
    generic = CrossEntropyLoss()(b, target) + jo_regularizers(b, prior, 1.2, 0.8)
    fused.backward()
    generic.backward()
    assert float(fused) == pytest.approx(float(generic), rel=1e-10)
    torch.testing.assert_close(a.grad, b.grad)


def test_prior_term_finite_when_a_class_underflows():
    # All samples give class 2 a probability that underflows to exactly 0 in
    # float32; log of the batch mean must stay finite.
    logits = torch.tensor([[60.0, 0.0, -60.0], [0.0, 60.0, -60.0]], requires_grad=True)
    prior = torch.full((3,), 1 / 3)
    loss = jo_regularizers(logits, prior, 1.0, 0.0)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()


def tanaka(**kwargs):
    """A correcting estimator with Tanaka's rule (every label replaced)."""
    return jo(correction_rule="all", elr_lambda=0.0, **kwargs)


def test_learning_rate_annealed_with_correction_only(flipped_blobs):
    X, _, y_noisy, _ = flipped_blobs
    default = jo(max_epochs=10).fit(X, y_noisy)  # lr="auto" -> 1e-3
    assert default.history[:, "lr"] == pytest.approx([1e-3] * 8 + [1e-4] * 2)
    corrected = tanaka(max_epochs=10).fit(X, y_noisy)  # lr="auto" -> 1e-2
    lrs = corrected.history[:, "lr"]
    assert lrs[:8] == pytest.approx([1e-2] * 8)
    assert lrs[8:] == pytest.approx([1e-3] * 2)  # last 20% at 0.1x
    assert corrected.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-2)
    plain = NoisyLabelClassifier(max_epochs=10, random_state=0).fit(X, y_noisy)
    assert "lr" not in plain.history[-1]  # no annealing without correction
    forced = NoisyLabelClassifier(max_epochs=10, anneal_lr=True, random_state=0)
    assert forced.fit(X, y_noisy).history[-1, "lr"] == pytest.approx(1e-4)
    off = tanaka(max_epochs=10, anneal_lr=False).fit(X, y_noisy)
    assert "lr" not in off.history[-1]
    # the refit stage and partial_fit anneal their own epochs
    refit = tanaka(max_epochs=10, refit_corrected=True, refit_epochs=5).fit(X, y_noisy)
    assert refit.history[:, "lr"][10:] == pytest.approx([1e-2] * 4 + [1e-3])
    refit.partial_fit(X, y_noisy)  # 10 correcting epochs, then the 5 refit ones
    expected = [1e-2] * 8 + [1e-3] * 2 + [1e-2] * 4 + [1e-3]
    assert refit.history[:, "lr"][-15:] == pytest.approx(expected)


def test_partial_fit_goes_on_correcting_once_started(flipped_blobs):
    X, _, y_noisy, _ = flipped_blobs
    clf = jo(correction_start="auto", max_epochs=10, correction_window=3)
    clf.partial_fit(X, y_noisy)
    started = clf.correction_start_
    assert started is not None
    clf.partial_fit(X, y_noisy)
    # No new warm-up (and no held-out labels) in the second call.
    assert all(clf.history[10:, "correcting"])
    assert "heldout_score" not in clf.history[10]
    assert clf.correction_start_ == started


def test_validation_split_samples_are_corrected_too(flipped_blobs):
    from skorch.dataset import ValidSplit

    X, y, y_noisy, flip = flipped_blobs
    params = {"correction_start": "auto", "max_epochs": 20, "correction_window": 5}
    whole = jo(**params).fit(X, y_noisy)
    splitter = ValidSplit(0.25, random_state=0)
    split = jo(**params, train_split=splitter).fit(X, y_noisy)
    assert "valid_loss" in split.history[-1]
    recovery = np.mean(split.corrected_labels_ == y)
    assert recovery >= np.mean(whole.corrected_labels_ == y) - 0.02
    # The validation quarter (never trained on) has its flipped labels fixed.
    _, valid = next(splitter.check_cv(y_noisy).split(X, y_noisy))
    valid_flips = valid[flip[valid]]
    assert valid_flips.size > 0
    assert np.mean(split.corrected_labels_[valid_flips] == y[valid_flips]) > 0.9


def test_correction_warning_when_best_weights_are_restored(flipped_blobs):
    from skorch.callbacks import Checkpoint, EarlyStopping

    X, _, y_noisy, _ = flipped_blobs

    class SavesOnce(Checkpoint):  # saves in epoch 2 only
        def on_epoch_end(self, net, **kwargs):
            net.history.record("event_cp", len(net.history) == 2)

        def on_train_end(self, net, **kwargs):
            pass

    params = {"correction_start": 1, "correction_window": 3, "max_epochs": 6}
    with pytest.warns(CorrectionWarning, match="restores the weights of epoch 2"):
        jo(**params, callbacks=[("cp", SavesOnce(load_best=True))]).fit(X, y_noisy)
    stop = EarlyStopping(monitor="train_loss", patience=100, load_best=True)
    with warnings.catch_warnings():  # the best epoch is the last: no warning
        warnings.simplefilter("error", CorrectionWarning)
        clf = jo(**params, callbacks=[("es", stop)]).fit(X, y_noisy)
    es = dict(clf.callbacks_)["es"]
    assert es.best_epoch_ == len(clf.history)


def test_correction_warning_when_nothing_can_be_held_out():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 3)).astype(np.float32)
    y = np.arange(6)  # one sample per class
    with pytest.warns(CorrectionWarning, match="could hold out no label"):
        jo(correction_start="auto", max_epochs=4, correction_window=2).fit(X, y)


def test_a_class_that_correction_relabels_entirely_is_warned_about():
    # One sample labelled "rare" inside class "a". Tanaka's rule relabels it,
    # so the class vanishes from the corrected labels; the default rule
    # cannot judge a class of one sample and keeps it. Both are said.
    from sknoisy.exceptions import CorrectionWarning

    X, y_clean = make_blobs(300, centers=3, random_state=0, cluster_std=1.0)
    X = X.astype(np.float32)
    y_clean = np.array(["a", "b", "c"], dtype=object)[y_clean]
    y = y_clean.copy()
    y[np.flatnonzero(y == "a")[0]] = "rare"
    kwargs = {"label_correction": "soft", "max_epochs": 30, "random_state": 0}
    clf = NoisyLabelClassifier(correction_rule="all", **kwargs)
    with pytest.warns(CorrectionWarning, match=r"class 'rare' \(1 sample\)") as rec:
        clf.fit(X, y)
    assert any("label_correction=None" in str(w.message) for w in rec)
    assert "rare" not in set(clf.corrected_labels_)
    default = NoisyLabelClassifier(**kwargs)
    with pytest.warns(
        CorrectionWarning, match=r"cannot judge.*'rare' \(1 sample\)"
    ) as rec:
        default.fit(X, y)
    assert any("correction_rule='all'" in str(w.message) for w in rec)
    assert "rare" in set(default.corrected_labels_)
    # every class keeps samples: nothing of the kind is said
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y_clean)
        default.fit(X, y_clean)
    said = [str(w.message) for w in caught]
    assert not [m for m in said if "relabelled every sample" in m or "judge" in m]


def test_class_names_in_warnings_are_the_labels_themselves():
    # numpy integer labels are named as 2, not np.int64(2)
    from sknoisy.correction._issues import _class_names

    decode = np.array([10, 20, 30]).__getitem__
    assert _class_names(np.array([2]), np.array([5, 5, 1]), decode) == "30 (1 sample)"


def test_tanaka_rule_is_the_papers_objective(flipped_blobs):
    # correction_rule="all", elr_lambda=0: every label replaced, prior and
    # entropy terms at full weight, no early-learning targets, lr 1e-2; the
    # loss of a batch is exactly jo_objective's.
    from sknoisy.correction._objective import jo_objective
    from sknoisy.methods import get_method
    from sknoisy.methods._joint import regularizer_weight

    X, _, y_noisy, _ = flipped_blobs
    clf = tanaka(max_epochs=4).fit(X, y_noisy)
    state = clf.label_state_
    assert not state.has_targets and state.flagged.numel() == 0
    assert regularizer_weight(state) == 1.0
    assert clf.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-2)
    logits = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
    target = state.current_labels()[:6]
    state.set_phase(1)
    method = get_method(clf)
    loss = method.training_loss(
        clf.criterion_, state, logits, target, None, torch.arange(6)
    )
    expected = jo_objective(logits, target, state.prior, clf.alpha, clf.beta)
    assert float(loss) == pytest.approx(float(expected), rel=1e-6)


def test_confident_rule_adds_the_early_learning_term(flipped_blobs):
    from sknoisy.correction._objective import jo_objective
    from sknoisy.losses._elr import elr_probabilities
    from sknoisy.methods import get_method
    from sknoisy.methods._joint import regularizer_weight

    X, _, y_noisy, _ = flipped_blobs
    clf = jo(max_epochs=6, elr_lambda=2.0).fit(X, y_noisy)
    state = clf.label_state_
    assert state.has_targets and state.target.shape == state.average.shape
    # the targets start at zero (as ELR's) and fold each epoch's softmax
    # rows with momentum elr_beta: after 6 epochs each row sums to 1 - 0.7**6
    expected_sum = torch.full((len(X),), 1 - 0.7**6)
    assert torch.allclose(state.target.sum(1), expected_sum, atol=1e-4)
    assert regularizer_weight(state) == pytest.approx(
        min(1.0, float(state.flagged.float().mean()) / 0.2)
    )
    index = torch.arange(5)
    logits = torch.randn(5, 3, generator=torch.Generator().manual_seed(1))
    target = state.current_labels()[index]
    w = regularizer_weight(state)
    loss = get_method(clf).training_loss(
        clf.criterion_, state, logits, target, None, index
    )
    agreement = (state.target[index] * elr_probabilities(logits)).sum(1)
    expected = (
        jo_objective(logits, target, state.prior, clf.alpha * w, clf.beta * w)
        + 2.0 * torch.log1p(-agreement).mean()
    )
    assert float(loss) == pytest.approx(float(expected), rel=1e-5)
    # before correction starts the prior and entropy terms are off
    state.set_phase(0)
    assert regularizer_weight(state) == 0.0


def test_merged_classes_warn_with_the_counts_and_what_to_change():
    from sknoisy.correction._issues import warn_absorbed_classes

    decode = lambda codes: np.array(["a", "b", "c"])[codes]  # noqa: E731
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 100)
    # pair noise at 40% corrected well: each class keeps more than it gives
    corrected = y.copy()
    flip = rng.random(300) < 0.4
    given = np.where(flip, (y + 1) % 3, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not warn_absorbed_classes(given, corrected, decode)
    # a rare class under symmetric noise: its given label mostly comes from
    # the others, spread over them, so no single class takes it
    given_rare = np.concatenate(
        [np.zeros(5, int), np.ones(100, int), 2 * np.ones(100, int)]
    )
    true_rare = given_rare.copy()
    true_rare[:5] = [0, 0, 0, 1, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not warn_absorbed_classes(given_rare, true_rare, decode)
    # a large class rightly taking back its flips from a small one: 'a'
    # (200) sends 40% to 'b' (40), which keeps 24 of 104 given; 'a' ends
    # with 200 corrected labels for 200 given (its own 40% from 'c' back)
    true_big = np.repeat([0, 1, 2], [200, 40, 200])
    big_given = true_big.copy()
    big_given[:80] = 1  # 40% of 'a' flipped to 'b'
    big_given[240:320] = 0  # 40% of 'c' flipped to 'a'
    big_given[200:216] = 2  # 40% of 'b' flipped to 'c'
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not warn_absorbed_classes(big_given, true_big, decode)
    # class 'b' merged into 'c': 70 of its 100 samples corrected to 'c'
    merged = y.copy()
    merged[100:170] = 2
    with pytest.warns(
        CorrectionWarning,
        match=r"70 of the 100 samples given class 'b' are corrected to 'c' \(30 kept",
    ) as rec:
        assert warn_absorbed_classes(y, merged, decode)
    message = str(rec[0].message)
    assert "label_correction=None" in message and "noise_matrix" in message
    # below the ratio (55 taken, 45 kept) nothing is said
    close = y.copy()
    close[100:155] = 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not warn_absorbed_classes(y, close, decode)
