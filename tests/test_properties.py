"""Property-based tests (hypothesis) of the noise injectors and the losses."""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sknoisy.losses import LOSSES
from sknoisy.noise import (
    AsymmetricNoise,
    InstanceDependentNoise,
    SymmetricNoise,
    TransitionMatrixNoise,
)

pd = pytest.importorskip("pandas")

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run: no flaky CI
)

# ------------------------------------------------------------ noise injectors
LABEL_KINDS = ["int64", "int8", "uint16", "str", "object", "series", "list"]
NAMES = np.array(["ant", "bee", "cat", "dog", "eel", "fox"])


@st.composite
def labelled(draw):
    """Given labels of some kind (codes are positions in the sorted classes)."""
    n_classes = draw(st.integers(2, 6))
    n = draw(st.integers(n_classes, 120))
    codes = draw(hnp.arrays(np.int64, n, elements=st.integers(0, n_classes - 1)))
    codes[:n_classes] = np.arange(n_classes)  # every class present
    kind = draw(st.sampled_from(LABEL_KINDS))
    offset = 3  # labels that are not 0..c-1
    if kind in ("int64", "int8", "uint16"):
        y = (codes + offset).astype(kind)
    elif kind == "str":
        y = NAMES[codes]
    elif kind == "object":
        y = NAMES[codes].astype(object)
    elif kind == "series":
        y = pd.Series(NAMES[codes], index=np.arange(n) * 3 + 1, name="label")
    else:
        y = (codes + offset).tolist()
    return y, codes, n_classes


def _as_array(y):
    return np.asarray(y.to_numpy() if isinstance(y, pd.Series) else y)


def _check_kind_kept(y, y_noisy):
    assert type(y_noisy) is type(y)
    if isinstance(y, pd.Series):
        assert y_noisy.index.equals(y.index) and y_noisy.name == y.name
        assert y_noisy.dtype == y.dtype
    elif isinstance(y, np.ndarray):
        assert y_noisy.dtype == y.dtype and y_noisy.shape == y.shape
    else:
        assert len(y_noisy) == len(y)


def _check_fitted(noise, y, y_noisy):
    given_, noisy = _as_array(y), _as_array(y_noisy)
    assert set(noisy.tolist()) <= set(given_.tolist())
    np.testing.assert_array_equal(noise.noise_mask_, noisy != given_)
    assert noise.noise_rate_ == pytest.approx(noise.noise_mask_.mean())
    T = noise.transition_matrix_
    c = len(noise.classes_)
    assert T.shape == (c, c)
    assert np.all(T >= 0)
    np.testing.assert_allclose(T.sum(axis=1), 1.0)  # every class is present
    assert sum(noise.sampling_strategy_.values()) == noise.noise_mask_.sum()


@SETTINGS
@given(data=labelled(), rate=st.floats(0, 1), n_features=st.integers(1, 3))
def test_symmetric_exact_flips_the_exact_count_to_other_classes(data, rate, n_features):
    y, codes, c = data
    X = np.zeros((len(codes), n_features))
    y_copy = _as_array(y).copy()
    noise = SymmetricNoise(rate=rate, exact=True, random_state=0)
    X_res, y_noisy = noise.fit_resample(X, y)
    assert X_res is X
    np.testing.assert_array_equal(_as_array(y), y_copy)
    _check_kind_kept(y, y_noisy)
    _check_fitted(noise, y, y_noisy)
    counts = np.bincount(codes, minlength=c)
    expected = np.rint(rate * counts).astype(int)
    flipped = np.bincount(codes[noise.noise_mask_], minlength=c)
    np.testing.assert_array_equal(flipped, expected)


@SETTINGS
@given(data=labelled(), rate=st.floats(0, 1), flip_to=st.sampled_from(["other", "any"]))
def test_symmetric_independent_rate_is_plausible(data, rate, flip_to):
    y, codes, c = data
    noise = SymmetricNoise(rate=rate, flip_to=flip_to, random_state=1)
    _, y_noisy = noise.fit_resample(np.zeros((len(codes), 1)), y)
    _check_kind_kept(y, y_noisy)
    _check_fitted(noise, y, y_noisy)
    p = rate if flip_to == "other" else rate * (c - 1) / c
    n = len(codes)
    # 6 standard deviations of a binomial, plus one label of slack
    bound = 6 * np.sqrt(p * (1 - p) / n) + 1 / n
    assert abs(noise.noise_rate_ - p) <= bound
    if rate == 0:
        assert noise.noise_rate_ == 0


@SETTINGS
@given(data=labelled(), rate=st.floats(0, 1))
def test_pair_noise_sends_flips_to_the_next_class(data, rate):
    y, codes, c = data
    noise = AsymmetricNoise(rate=rate, mapping="pair", exact=True, random_state=2)
    _, y_noisy = noise.fit_resample(np.zeros((len(codes), 1)), y)
    _check_kind_kept(y, y_noisy)
    _check_fitted(noise, y, y_noisy)
    classes = list(noise.classes_)
    noisy_codes = np.array([classes.index(v) for v in _as_array(y_noisy).tolist()])
    mask = noise.noise_mask_
    np.testing.assert_array_equal(noisy_codes[mask], (codes[mask] + 1) % c)
    counts = np.bincount(codes, minlength=c)
    np.testing.assert_array_equal(
        np.bincount(codes[mask], minlength=c), np.rint(rate * counts).astype(int)
    )


@st.composite
def stochastic_matrix(draw, c):
    rows = draw(hnp.arrays(np.float64, (c, c), elements=st.floats(0, 1, width=32)))
    rows[np.arange(c), np.arange(c)] += 1e-3  # no all-zero row
    return rows / rows.sum(axis=1, keepdims=True)


@SETTINGS
@given(data=labelled(), seed=st.integers(0, 2**16), exact=st.booleans(), d=st.data())
def test_transition_matrix_noise_follows_the_matrix(data, seed, exact, d):
    y, codes, c = data
    T = d.draw(stochastic_matrix(c))
    noise = TransitionMatrixNoise(T, exact=exact, random_state=seed)
    _, y_noisy = noise.fit_resample(np.zeros((len(codes), 1)), y)
    _check_kind_kept(y, y_noisy)
    _check_fitted(noise, y, y_noisy)
    counts = np.bincount(codes, minlength=c)
    realized = noise.transition_matrix_ * counts[:, None]
    if exact:  # largest remainder: each cell within one sample of n_i * T_ij
        assert np.all(np.abs(realized - counts[:, None] * T) < 1 + 1e-9)
    # no sample goes where the matrix gives probability zero
    assert np.all(realized[T == 0] == 0)


@SETTINGS
@given(
    data=labelled(),
    rate=st.floats(0, 1),
    shape=st.sampled_from([(2,), (3,), (1, 2, 2)]),
    dtype=st.sampled_from([np.float32, np.float64, np.int32]),
)
def test_instance_dependent_noise_accepts_shapes_and_dtypes(data, rate, shape, dtype):
    y, codes, c = data
    rng = np.random.default_rng(0)
    X = rng.normal(size=(len(codes), *shape)) * 5
    X = X.astype(dtype)
    X_copy = X.copy()
    noise = InstanceDependentNoise(rate=rate, std=0.0, random_state=3)
    X_res, y_noisy = noise.fit_resample(X, y)
    assert X_res is X
    np.testing.assert_array_equal(X, X_copy)
    _check_kind_kept(y, y_noisy)
    _check_fitted(noise, y, y_noisy)
    np.testing.assert_allclose(noise.flip_rates_, rate)
    if rate == 0:
        assert noise.noise_rate_ == 0
    if rate == 1:
        assert noise.noise_rate_ == 1


# -------------------------------------------------------------------- losses
def _make_loss(name, draw, reduction="none"):
    """The loss ``name`` with hyperparameters drawn from their valid ranges."""
    unit = st.floats(0, 1)
    params = {
        "gce": {"q": st.floats(1e-3, 1)},
        "truncated_gce": {"q": st.floats(1e-3, 1), "k": st.floats(1e-3, 0.999)},
        "encouraging": {"LE": unit},
        "label_smoothing": {"smoothing": unit},
        "sce": {"alpha": st.floats(0.01, 10), "beta": st.floats(0.01, 10)},
        "nce_rce": {"alpha": st.floats(0.01, 10), "beta": st.floats(0.01, 10)},
        "bootstrap": {"beta": unit, "mode": st.sampled_from(["soft", "hard"])},
    }.get(name, {})
    kwargs = {key: draw(strategy) for key, strategy in params.items()}
    return LOSSES[name](reduction=reduction, **kwargs)


@st.composite
def logits_and_targets(draw, magnitude):
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    b, c = draw(st.integers(1, 6)), draw(st.integers(2, 6))
    values = draw(
        hnp.arrays(
            np.float64,
            (b, c),
            elements=st.floats(-magnitude, magnitude, allow_nan=False),
        )
    )
    logits = torch.tensor(values, dtype=dtype, requires_grad=True)
    hard = torch.tensor(
        draw(hnp.arrays(np.int64, b, elements=st.integers(0, c - 1))), dtype=torch.long
    )
    raw = draw(hnp.arrays(np.float64, (b, c), elements=st.floats(0, 1)))
    raw[:, 0] += 1e-6  # no all-zero row
    soft = torch.tensor(raw / raw.sum(axis=1, keepdims=True), dtype=dtype)
    weight = torch.tensor(
        draw(hnp.arrays(np.float64, b, elements=st.floats(0, 2))), dtype=dtype
    )
    return logits, hard, soft, weight


def _value_and_grad(loss, logits, target, weight=None):
    logits = logits.detach().clone().requires_grad_(True)
    value = loss(logits, target, weight=weight)
    value.sum().backward()
    return value.detach(), logits.grad


@pytest.mark.parametrize("name", sorted(LOSSES))
@SETTINGS
@given(d=st.data(), magnitude=st.sampled_from([10.0, 1e4, 1e30]))
def test_loss_values_and_gradients_are_finite(name, d, magnitude):
    logits, hard, soft, weight = d.draw(logits_and_targets(magnitude))
    loss = _make_loss(name, d.draw)
    for target in (hard, soft):
        for w in (None, weight):
            value, grad = _value_and_grad(loss, logits, target, w)
            assert value.shape == (logits.shape[0],)
            assert value.dtype == logits.dtype
            assert torch.isfinite(value).all(), (target, value)
            assert torch.isfinite(grad).all(), (target, grad)


@pytest.mark.parametrize("name", sorted(LOSSES))
@SETTINGS
@given(d=st.data())
def test_soft_targets_are_the_expectation_of_hard_targets(name, d):
    logits, hard, soft, _ = d.draw(logits_and_targets(20.0))
    logits = logits.detach().double()
    soft = soft.double()
    loss = _make_loss(name, d.draw)
    b, c = logits.shape
    # one-hot soft targets give the hard-label loss
    onehot = torch.nn.functional.one_hot(hard, c).double()
    torch.testing.assert_close(loss(logits, onehot), loss(logits, hard))
    # soft target: sum_j y_j * loss(z, j)
    per_class = torch.stack(
        [loss(logits, torch.full((b,), j, dtype=torch.long)) for j in range(c)], dim=1
    )
    torch.testing.assert_close(loss(logits, soft), (soft * per_class).sum(dim=1))


@pytest.mark.parametrize("name", sorted(LOSSES))
@SETTINGS
@given(d=st.data())
def test_reductions_and_weights_agree(name, d):
    logits, hard, soft, weight = d.draw(logits_and_targets(50.0))
    logits = logits.detach()
    target = d.draw(st.sampled_from([hard, soft]))
    none = _make_loss(name, d.draw, reduction="none")
    params = {k: getattr(none, k) for k in getattr(none, "hyperparameters", ())}
    mean = LOSSES[name](reduction="mean", **params)
    total = LOSSES[name](reduction="sum", **params)
    per_sample = none(logits, target)
    torch.testing.assert_close(mean(logits, target), per_sample.mean())
    torch.testing.assert_close(total(logits, target), per_sample.sum())
    torch.testing.assert_close(none(logits, target, weight=weight), per_sample * weight)
    # weight 0 everywhere: zero loss and zero gradient
    _, grad = _value_and_grad(mean, logits, target, torch.zeros_like(weight))
    assert torch.count_nonzero(grad) == 0
