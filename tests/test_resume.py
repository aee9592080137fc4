"""One owner for the label state: resume, checkpoints, size, schedules."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from _callbacks import Interrupt
from sklearn.datasets import make_blobs
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback, Checkpoint, EarlyStopping, LoadInitState

from sknoisy import NoisyLabelClassifier
from sknoisy.correction import LabelCorrection, LabelState, run_plan, window_weight
from sknoisy.exceptions import CorrectionWarning
from sknoisy.losses._pruning import TruncationPruning


@pytest.fixture(scope="module")
def noisy():
    X, y = make_blobs(
        n_samples=240, centers=4, n_features=6, cluster_std=2.5, random_state=3
    )
    rng = np.random.default_rng(0)
    flip = rng.random(len(y)) < 0.3
    y_noisy = y.copy()
    y_noisy[flip] = (y[flip] + rng.integers(1, 4, flip.sum())) % 4
    return X.astype(np.float32), y_noisy


def _params(**kwargs):
    params = {
        "label_correction": "soft",
        "max_epochs": 12,
        "batch_size": 32,
        "random_state": 0,
        "correction_window": 4,
    }
    params.update(kwargs)
    return params


def _assert_same_run(a, b):
    assert len(a.history) == len(b.history)
    np.testing.assert_array_equal(a.corrected_labels_, b.corrected_labels_)
    np.testing.assert_allclose(a.soft_labels_, b.soft_labels_, atol=1e-6)
    assert a.correction_start_ == b.correction_start_
    assert a.history[:, "lr"] == b.history[:, "lr"]
    assert a.history[:, "correcting"] == b.history[:, "correcting"]


@pytest.mark.parametrize(
    "mode,at", [("soft", 2), ("soft", 7), ("hard", 5), ("hard", 11)]
)
def test_pickle_resume_equals_the_uninterrupted_run(noisy, mode, at):
    X, y = noisy
    params = _params(label_correction=mode)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorrectionWarning)
        full = NoisyLabelClassifier(**params).fit(X, y)
        cut = NoisyLabelClassifier(callbacks=[("cut", Interrupt(at))], **params)
        cut.fit(X, y)
    assert len(cut.history) == at
    resumed = pickle.loads(pickle.dumps(cut))
    resumed.set_params(callbacks__cut=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorrectionWarning)
        resumed.partial_fit(X, y, epochs=12 - at)
    _assert_same_run(full, resumed)
    np.testing.assert_allclose(
        full.predict_proba(X), resumed.predict_proba(X), atol=1e-5
    )
    # the interrupted run's plan was kept: one run of 12 epochs
    assert run_plan(resumed.history) == (0, 12)


def test_checkpoint_and_load_init_state_resume(noisy, tmp_path):
    X, y = noisy
    params = _params(loss="truncated_gce", prune_start=3, prune_every=3)

    def checkpoint():
        return Checkpoint(
            dirname=tmp_path, monitor=None, f_label_state="label_state.pt"
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorrectionWarning)
        full = NoisyLabelClassifier(**params).fit(X, y)
        NoisyLabelClassifier(callbacks=[checkpoint(), Interrupt(6)], **params).fit(X, y)
    # the label state is in the checkpoint, as plain tensors
    saved = torch.load(tmp_path / "label_state.pt", weights_only=True)
    assert {"average", "n_averaged", "label_argmax", "weights", "phase"} <= set(saved)
    assert saved["average"].shape == (len(X), 4)
    cp = checkpoint()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorrectionWarning)
        resumed = NoisyLabelClassifier(callbacks=[cp, LoadInitState(cp)], **params).fit(
            X, y, epochs=6
        )
    _assert_same_run(full, resumed)
    np.testing.assert_array_equal(full.pruning_weights_, resumed.pruning_weights_)
    np.testing.assert_allclose(
        full.predict_proba(X), resumed.predict_proba(X), atol=1e-5
    )


def test_save_and_load_params_carry_the_label_state(noisy, tmp_path):
    X, y = noisy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorrectionWarning)
        clf = NoisyLabelClassifier(**_params()).fit(X, y)
    clf.save_params(f_params=tmp_path / "p.pt", f_label_state=tmp_path / "s.pt")
    other = NoisyLabelClassifier(
        module__n_features=6, module__n_classes=4, **_params()
    ).initialize()
    assert other.label_state_.average.numel() == 0  # sized by the data at fit
    other.load_params(f_params=tmp_path / "p.pt", f_label_state=tmp_path / "s.pt")
    torch.testing.assert_close(other.label_state_.average, clf.label_state_.average)
    assert other.label_state_.correcting


def test_running_average_is_the_window_mean_then_an_ema():
    gen = torch.Generator().manual_seed(0)
    n, c, window = 50, 5, 4
    state = LabelState().reset(np.arange(n) % c, c, prior=np.full(c, 1 / c))
    outputs = [torch.softmax(torch.randn(n, c, generator=gen), 1) for _ in range(9)]
    for epoch, probs in enumerate(outputs, start=1):
        state.begin_recording()
        state.record(torch.arange(n), probs)
        state.fold_epoch(window)
        if epoch <= window:  # the paper's mean of the last `window` epochs
            expected = torch.stack(outputs[:epoch]).mean(0)
            torch.testing.assert_close(state.average, expected)
    # then an EMA with the window's centre of mass: weights (1 - r) r^k
    r = (window - 1) / (window + 1)
    expected = torch.stack(outputs[:window]).mean(0)
    for probs in outputs[window:]:
        expected = r * expected + (1 - r) * probs
    torch.testing.assert_close(state.average, expected)
    assert float(window_weight(torch.tensor([window + 1]), window)) == pytest.approx(
        1 - r
    )
    # rows stay on the simplex
    torch.testing.assert_close(state.average.sum(1), torch.ones(n))


def test_samples_not_recorded_keep_their_average():
    state = LabelState().reset(np.array([0, 1, 2]), 3, prior=np.full(3, 1 / 3))
    state.begin_recording()
    state.record(torch.tensor([0]), torch.tensor([[0.2, 0.8, 0.0]]))
    agree, rows = state.fold_epoch(10)
    assert agree == 0.0 and rows.tolist() == [0]
    torch.testing.assert_close(state.average[0], torch.tensor([0.2, 0.8, 0.0]))
    torch.testing.assert_close(state.average[1:], torch.eye(3)[1:])
    assert state.n_averaged.tolist() == [1, 0, 0]


def test_label_state_during_fit_is_at_most_three_n_by_c_arrays(noisy):
    X, y = noisy
    n, c = len(X), 4
    sizes = []

    class Measure(Callback):
        def on_batch_end(self, net, **kwargs):
            state = net.label_state_
            tensors = [*state.buffers(), state.epoch_probs, state.recorded]
            sizes.append(sum(t.numel() * t.element_size() for t in tensors))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorrectionWarning)
        NoisyLabelClassifier(callbacks=[Measure()], **_params(max_epochs=3)).fit(X, y)
    # three n x C float32 arrays (window average, this epoch's outputs, the
    # early-learning targets) plus a few values per sample: the bound of
    # 3 x n x C float32 for large C (see bench_memory.py)
    assert max(sizes) <= 3 * n * c * 4 + 33 * n + 64


def test_callbacks_refuse_a_net_without_label_state(noisy):
    X, y = noisy
    for callback in (LabelCorrection(), TruncationPruning()):
        net = NeuralNetClassifier(
            torch.nn.Sequential(torch.nn.Linear(6, 4)),
            criterion=torch.nn.CrossEntropyLoss,
            max_epochs=1,
            callbacks=[callback],
            train_split=None,
        )
        with pytest.raises(TypeError, match="NoisyLabelClassifier"):
            net.fit(X, y)


def test_early_stopping_before_the_start_warns(noisy):
    X, y = noisy
    stop = EarlyStopping(monitor="train_loss", patience=1, threshold=10.0)
    clf = NoisyLabelClassifier(callbacks=[stop], **_params(correction_start=8))
    with pytest.warns(CorrectionWarning, match="never started"):
        clf.fit(X, y)
    assert len(clf.history) < 8 and not clf.label_issues_.any()


def test_set_params_rebuilds_the_correction_callback(noisy):
    X, y = noisy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorrectionWarning)
        clf = NoisyLabelClassifier(**_params(max_epochs=3)).fit(X, y)
        clf.set_params(correction_window=2, label_correction="hard")
    callback = dict(clf.callbacks_)["label_correction"]
    assert (callback.window, callback.mode) == (2, "hard")


def test_each_epoch_is_seeded_from_random_state_and_its_number(noisy):
    X, y = noisy
    params = {"max_epochs": 4, "random_state": 0, "batch_size": 32}
    seen = []

    class Draw(Callback):
        def on_epoch_begin(self, net, **kwargs):
            seen.append(float(torch.rand(())))

    NoisyLabelClassifier(callbacks=[Draw()], **params).fit(X, y)
    first = list(seen)
    seen.clear()
    clf = NoisyLabelClassifier(callbacks=[Draw()], **{**params, "max_epochs": 2})
    clf.fit(X, y)
    clf.partial_fit(X, y)  # epochs 3 and 4 draw what the 4-epoch fit drew
    assert seen == first and len(set(first)) == 4


def test_load_init_state_of_other_labels_is_refused(noisy, tmp_path):
    X, y = noisy
    params = _params()

    def checkpoint():
        return Checkpoint(
            dirname=tmp_path, monitor=None, f_label_state="label_state.pt"
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorrectionWarning)
        NoisyLabelClassifier(callbacks=[checkpoint(), Interrupt(4)], **params).fit(X, y)
    other = y.copy()
    other[:5] = (other[:5] + 1) % 4
    cp = checkpoint()
    with pytest.raises(ValueError, match="5 of .* given labels differ"):
        NoisyLabelClassifier(callbacks=[cp, LoadInitState(cp)], **params).fit(
            X, other, epochs=2
        )
    with pytest.raises(ValueError, match=r"has \d+ samples, this call has 40"):
        NoisyLabelClassifier(callbacks=[cp, LoadInitState(cp)], **params).fit(
            X[:40], y[:40], epochs=2
        )
    # the same data resumes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorrectionWarning)
        NoisyLabelClassifier(callbacks=[cp, LoadInitState(cp)], **params).fit(
            X, y, epochs=2
        )


def test_rerunning_the_interrupted_script_finishes_the_planned_run(noisy, tmp_path):
    """The same script run twice (Checkpoint + LoadInitState, no epochs=)."""
    X, y = noisy
    params = _params()

    def script(*extra):
        cp = Checkpoint(dirname=tmp_path, monitor=None, f_label_state="label_state.pt")
        clf = NoisyLabelClassifier(callbacks=[cp, LoadInitState(cp), *extra], **params)
        return clf.fit(X, y)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorrectionWarning)
        full = NoisyLabelClassifier(**params).fit(X, y)
    # correction starts at epoch 6 at the latest; the cut comes before
    with pytest.warns(CorrectionWarning, match="stopped at epoch 4 of the 12") as rec:
        script(Interrupt(4))
    message = str(rec[0].message)
    assert "LoadInitState" in message and "partial_fit(X, y, epochs=8)" in message
    assert "raise max_epochs" not in message
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorrectionWarning)
        resumed = script()  # the re-run: 8 epochs, not 12 more
    assert len(resumed.history) == 12
    _assert_same_run(full, resumed)
    np.testing.assert_allclose(
        full.predict_proba(X), resumed.predict_proba(X), atol=1e-5
    )
    assert run_plan(resumed.history) == (0, 12)


def test_partial_fit_after_loading_a_checkpoint_keeps_skorchs_meaning(noisy, tmp_path):
    """skorch: load_params of a checkpoint, then partial_fit trains max_epochs."""
    X, y = noisy
    params = _params(max_epochs=5)
    cp = Checkpoint(dirname=tmp_path, monitor=None, f_label_state="label_state.pt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorrectionWarning)
        NoisyLabelClassifier(callbacks=[cp, Interrupt(3)], **params).fit(X, y)
        clf = NoisyLabelClassifier(
            module__n_features=6, module__n_classes=4, **params
        ).initialize()
        clf.load_params(checkpoint=cp)
        assert len(clf.history) == 3
        clf.partial_fit(X, y)
    assert len(clf.history) == 8


@pytest.mark.parametrize(
    "extra", [{"refit_corrected": True}, {"label_correction": None, "loss": "forward"}]
)
def test_a_run_interrupted_in_its_second_stage_finishes_once(noisy, tmp_path, extra):
    """Re-running the script resumes stage 2; it does not start stage 2 again."""
    X, y = noisy
    params = _params(max_epochs=6, correction_start=2, correction_window=2, **extra)

    def script(*more):
        cp = Checkpoint(dirname=tmp_path, monitor=None, f_label_state="label_state.pt")
        clf = NoisyLabelClassifier(callbacks=[cp, LoadInitState(cp), *more], **params)
        return clf.fit(X, y)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorrectionWarning)
        full = NoisyLabelClassifier(**params).fit(X, y)
        script(Interrupt(9))  # stage 2 runs epochs 7 to 12
        resumed = script()
    assert len(full.history) == len(resumed.history) == 12
    _assert_same_run(full, resumed)
    np.testing.assert_allclose(
        full.predict_proba(X), resumed.predict_proba(X), atol=1e-5
    )
    if "loss" in extra:
        np.testing.assert_allclose(
            full.training_noise_matrix_, resumed.training_noise_matrix_, atol=1e-6
        )
