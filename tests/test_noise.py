"""Tests of the label-noise injectors (sknoisy.noise)."""

import re
from functools import partial

import numpy as np
import pandas as pd
import pytest
from imblearn.pipeline import make_pipeline
from imblearn.utils.estimator_checks import estimator_checks_generator
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_digits, make_classification
from sklearn.decomposition import PCA
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import check_param_validation
from sklearn.utils.estimator_checks import (
    parametrize_with_checks as parametrize_with_sklearn_checks,
)

from sknoisy.noise import (
    AsymmetricNoise,
    BaseNoise,
    InstanceDependentNoise,
    PseudoLabelNoise,
    SymmetricNoise,
    TransitionMatrixNoise,
    corrupt_labels,
    from_cleanlab_noise_matrix,
    make_noise,
    symmetric_transition_matrix,
    to_cleanlab_noise_matrix,
)

N_LARGE = 200_000
KINDS = [
    "symmetric",
    "asymmetric",
    "pair",
    "transition_matrix",
    "pseudo_label",
    "instance_dependent",
]


class SymmetricMatrix:
    """Picklable matrix factory with a stable repr (stable test ids under xdist)."""

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, n_classes):
        return symmetric_transition_matrix(n_classes, self.rate)

    def __repr__(self):
        return f"SymmetricMatrix({self.rate})"


SYM_03 = SymmetricMatrix(0.3)


def _injectors(random_state=0):
    """One instance of every injector (and option) that works on any labels."""
    return [
        SymmetricNoise(random_state=random_state),
        SymmetricNoise(flip_to="any", exact=True, random_state=random_state),
        AsymmetricNoise(random_state=random_state),
        AsymmetricNoise(exact=True, random_state=random_state),
        TransitionMatrixNoise(SYM_03, random_state=random_state),
        TransitionMatrixNoise(SYM_03, exact=True, random_state=random_state),
        PseudoLabelNoise(0.1, random_state=random_state),
        PseudoLabelNoise(0.1, exact=True, random_state=random_state),
        InstanceDependentNoise(random_state=random_state),
    ]


def _ids(obj):
    if isinstance(obj, BaseEstimator):
        return re.sub(r"\s+", "", repr(obj))
    if isinstance(obj, partial):  # an estimator check
        kwargs = ",".join(f"{k}={v}" for k, v in obj.keywords.items())
        return f"{obj.func.__name__}({kwargs})"
    return getattr(obj, "__name__", None)


@pytest.fixture(scope="module")
def digits():
    return load_digits(return_X_y=True)


# --- estimator checks -----------------------------------------------------------

# No check is expected to fail; add "check name -> reason" only with a reason.
EXPECTED_FAILED_CHECKS: dict[str, str] = {}
# the checks' tiny data sets leave few samples in clusters of other classes
quiet_pseudo_label = pytest.mark.filterwarnings("ignore:PseudoLabelNoise:UserWarning")


@quiet_pseudo_label
@parametrize_with_sklearn_checks(
    _injectors(), expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


IMBLEARN_CHECKS = [
    item
    for estimator in _injectors()
    for item in estimator_checks_generator(
        estimator, mark="xfail", expected_failed_checks=EXPECTED_FAILED_CHECKS
    )
]


@quiet_pseudo_label
@pytest.mark.parametrize("estimator, check", IMBLEARN_CHECKS, ids=_ids)
def test_imblearn_sampler_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", _injectors(), ids=_ids)
def test_param_validation_check(estimator):
    check_param_validation(type(estimator).__name__, estimator)


# --- statistics at n = 200,000 --------------------------------------------------


@pytest.mark.parametrize("rate", [0.2, 0.45, 0.8])
@pytest.mark.parametrize("exact", [False, True])
def test_symmetric_rate_and_uniform_off_diagonal(rate, exact):
    c = 10
    y = np.random.default_rng(1).integers(0, c, N_LARGE)
    noise = SymmetricNoise(rate, exact=exact, random_state=0)
    _, y_noisy = noise.fit_resample(np.zeros((N_LARGE, 1)), y)
    assert abs(noise.noise_rate_ - rate) <= 0.01
    assert abs(np.mean(y_noisy != y) - rate) <= 0.01
    T = noise.transition_matrix_
    off = T[~np.eye(c, dtype=bool)]
    np.testing.assert_allclose(off, rate / (c - 1), atol=0.01)
    np.testing.assert_allclose(np.diag(T), 1 - rate, atol=0.01)
    np.testing.assert_allclose(T, symmetric_transition_matrix(c, rate), atol=0.01)


def test_symmetric_flip_to_any_convention():
    c, rate = 5, 0.6
    y = np.random.default_rng(2).integers(0, c, N_LARGE)
    noise = SymmetricNoise(rate, flip_to="any", random_state=0)
    noise.fit_resample(np.zeros((N_LARGE, 1)), y)
    assert abs(noise.noise_rate_ - rate * (c - 1) / c) <= 0.01
    expected = symmetric_transition_matrix(c, rate, flip_to="any")
    np.testing.assert_allclose(expected, (1 - rate) * np.eye(c) + rate / c)
    np.testing.assert_allclose(noise.transition_matrix_, expected, atol=0.01)


def _random_matrix(c, seed):
    rng = np.random.default_rng(seed)
    T = rng.dirichlet(np.full(c, 0.5), size=c) * 0.5 + 0.5 * np.eye(c)
    T[0] = np.eye(c)[2]  # a deterministic row
    T[1, 3] = 0.0  # a zero entry
    return T / T.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("exact", [False, True])
def test_transition_matrix_realized_within_001(exact):
    c = 6
    T = _random_matrix(c, 0)
    y = np.random.default_rng(3).integers(0, c, N_LARGE)
    noise = TransitionMatrixNoise(T, exact=exact, random_state=0)
    _, y_noisy = noise.fit_resample(np.zeros((N_LARGE, 1)), y)
    np.testing.assert_allclose(noise.transition_matrix_, T, atol=0.01)
    assert np.all(y_noisy[y == 0] == 2)
    assert not np.any(y_noisy[y == 1] == 3)
    assert noise.noise_rate_ == pytest.approx(np.mean(y_noisy != y))
    if exact:
        counts = np.bincount(y, minlength=c)
        cells = noise.transition_matrix_ * counts[:, None]
        np.testing.assert_allclose(cells, np.round(cells), atol=1e-9)
        assert np.all(np.abs(cells - counts[:, None] * T) < 1)


def test_exact_flips_round_rate_times_class_count():
    y = np.repeat(np.arange(4), [7, 33, 50, 10])
    for rate in [0.1, 0.25, 0.5, 1.0]:
        for noise in [
            SymmetricNoise(rate, exact=True, random_state=1),
            AsymmetricNoise(rate, "pair", exact=True, random_state=1),
        ]:
            noise.fit(np.zeros((len(y), 3)), y)
            for k, n_k in enumerate([7, 33, 50, 10]):
                assert noise.noise_mask_[y == k].sum() == round(rate * n_k)
            assert noise.sampling_strategy_ == {
                k: round(rate * n_k) for k, n_k in enumerate([7, 33, 50, 10])
            }


# --- asymmetric maps --------------------------------------------------------------

CIFAR10 = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]


def test_cifar10_preset_ints_and_names():
    y = np.repeat(np.arange(10), 100)
    noise = AsymmetricNoise(1.0, "cifar10", random_state=0)
    _, y_noisy = noise.fit_resample(np.zeros((len(y), 1)), y)
    expected = {9: 1, 2: 0, 4: 7, 3: 5, 5: 3}
    assert noise.mapping_ == expected
    for k in range(10):
        assert np.all(y_noisy[y == k] == expected.get(k, k))

    names = np.array(CIFAR10)[y]
    noise_names = AsymmetricNoise(1.0, "cifar10", random_state=0)
    _, names_noisy = noise_names.fit_resample(np.zeros((len(y), 1)), names)
    assert noise_names.mapping_ == {
        "truck": "automobile",
        "bird": "airplane",
        "deer": "horse",
        "cat": "dog",
        "dog": "cat",
    }
    np.testing.assert_array_equal(names_noisy, np.array(CIFAR10)[y_noisy])


def test_fixed_preset_keeps_all_classes_on_a_subset():
    # a fold that has only cats, dogs and birds still maps bird -> airplane and
    # keeps a 10 x 10 matrix
    y = np.array(["cat", "dog", "bird"] * 40)
    noise = AsymmetricNoise(0.5, "cifar10", exact=True, random_state=0)
    _, y_noisy = noise.fit_resample(np.zeros((len(y), 1)), y)
    assert list(noise.classes_) == CIFAR10
    assert noise.transition_matrix_.shape == (10, 10)
    assert set(y_noisy[y == "bird"]) == {"bird", "airplane"}
    assert noise.noise_rate_ == pytest.approx(0.5)


def test_mnist_preset_ints_and_digit_strings():
    y = np.repeat(np.arange(10), 50)
    expected = {2: 7, 3: 8, 5: 6, 6: 5, 7: 1}
    noise = AsymmetricNoise(1.0, "mnist").fit(np.zeros((500, 1)), y)
    assert noise.mapping_ == expected
    noise = AsymmetricNoise(1.0, "mnist").fit(np.zeros((500, 1)), y.astype(str))
    assert noise.mapping_ == {str(k): str(v) for k, v in expected.items()}


def test_pair_and_cifar100_presets():
    y = np.arange(100).repeat(3)
    X = np.zeros((len(y), 1))
    pair = AsymmetricNoise(1.0, "pair").fit(X, y)
    assert pair.mapping_ == {i: (i + 1) % 100 for i in range(100)}
    blocks = AsymmetricNoise(1.0, "cifar100_blocks").fit(X, y)
    assert blocks.mapping_[0] == 1 and blocks.mapping_[4] == 0
    assert blocks.mapping_[97] == 98 and blocks.mapping_[99] == 95
    superclass = AsymmetricNoise(1.0, "cifar100_superclass").fit(X, y)
    # fish: aquarium_fish 1, flatfish 32, ray 67, shark 73, trout 91
    assert [superclass.mapping_[k] for k in (1, 32, 67, 73, 91)] == [32, 67, 73, 91, 1]
    # the super-class map is a permutation without fixed points
    assert sorted(superclass.mapping_.values()) == list(range(100))
    with pytest.raises(ValueError, match="divisible by 5"):
        AsymmetricNoise(0.3, "cifar100_blocks").fit(np.zeros((7, 1)), np.arange(7))


def test_pair_works_on_any_labels():
    y = np.array(["b", "a", "c", "a"] * 10)
    noise = AsymmetricNoise(1.0, "pair").fit(np.zeros((40, 1)), y)
    assert noise.mapping_ == {"a": "b", "b": "c", "c": "a"}


def test_dict_mapping_and_its_validation():
    y = np.array(["cat", "dog", "fox"] * 20)
    X = np.zeros((60, 2))
    noise = AsymmetricNoise(1.0, {"cat": "dog"}, random_state=0)
    _, y_noisy = noise.fit_resample(X, y)
    np.testing.assert_array_equal(y_noisy, np.where(y == "cat", "dog", y))
    with pytest.raises(ValueError, match="mapping entry 'cat': 'cow'.*classes"):
        AsymmetricNoise(0.5, {"cat": "cow"}).fit(X, y)
    with pytest.raises(ValueError, match="mapping entry 'cow'"):
        AsymmetricNoise(0.5, {"cow": "cat"}).fit(X, y)
    # with `classes`, a label absent from y may be a target
    noise = AsymmetricNoise(1.0, {"cat": "cow"}, classes=["cat", "cow", "dog", "fox"])
    _, y_noisy = noise.fit_resample(X, y)
    assert set(y_noisy) == {"cow", "dog", "fox"}
    assert np.all(noise.transition_matrix_[1] == 0)  # absent class: zero row


# --- feature-dependent noise on load_digits ----------------------------------------


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_pseudo_label_reaches_rate_on_digits(digits, exact, seed):
    X, y = digits
    rate = 0.1
    noise = PseudoLabelNoise(rate, exact=exact, random_state=seed)
    _, y_noisy = noise.fit_resample(X, y)
    assert abs(noise.noise_rate_ - rate) <= 0.05
    if exact:
        assert noise.noise_mask_.sum() == round(rate * len(y))
    # every changed label is the class of the sample's cluster
    flipped = noise.noise_mask_
    np.testing.assert_array_equal(y_noisy[flipped], noise.pseudo_labels_[flipped])
    # clusters are matched to classes: the pseudo labels beat chance by far
    assert np.mean(noise.pseudo_labels_ == y) > 0.5


def test_pseudo_label_with_feature_extractor_and_clusterer(digits):
    from sklearn.cluster import KMeans

    X, y = digits
    rate = 0.35
    noise = PseudoLabelNoise(
        rate,
        feature_extractor=PCA(n_components=2),
        clusterer=KMeans(10, n_init=2),
        random_state=0,
    )
    noise.fit(X, y)
    assert abs(noise.noise_rate_ - rate) <= 0.05
    # a callable extractor works on images of any shape
    images = X.reshape(-1, 1, 8, 8)
    via_callable = PseudoLabelNoise(
        rate, feature_extractor=lambda Z: Z.reshape(len(Z), -1)[:, :32], random_state=0
    ).fit(images, y)
    assert abs(via_callable.noise_rate_ - rate) <= 0.05


def test_pseudo_label_warns_when_rate_is_out_of_reach():
    X, y = make_classification(
        300, n_features=4, n_informative=4, n_redundant=0, class_sep=5, random_state=0
    )
    with pytest.warns(UserWarning, match="noise rate stays below rate=0.9"):
        noise = PseudoLabelNoise(0.9, random_state=0).fit(X, y)
    assert noise.noise_rate_ == pytest.approx(np.mean(noise.pseudo_labels_ != y))


@pytest.mark.parametrize("rate", [0.2, 0.4, 0.6])
def test_instance_dependent_reaches_rate_on_digits(digits, rate):
    X, y = digits
    noise = InstanceDependentNoise(rate, random_state=0)
    _, y_noisy = noise.fit_resample(X, y)
    assert abs(noise.noise_rate_ - rate) <= 0.05
    assert abs(noise.flip_rates_.mean() - rate) <= 0.02
    assert noise.flip_rates_.min() >= 0 and noise.flip_rates_.max() <= 1
    # the noise depends on the instance: the wrong classes are far from uniform
    off = noise.transition_matrix_[~np.eye(10, dtype=bool)].reshape(10, 9)
    assert np.mean(off.max(axis=1) / off.mean(axis=1)) > 2


def test_instance_dependent_std_zero_and_images(digits):
    X, y = digits
    noise = InstanceDependentNoise(0.3, std=0.0, random_state=0)
    noise.fit(X.reshape(-1, 1, 8, 8), y)
    np.testing.assert_array_equal(noise.flip_rates_, 0.3)
    same = InstanceDependentNoise(0.3, std=0.0, random_state=0).fit(X, y)
    np.testing.assert_array_equal(noise.noise_mask_, same.noise_mask_)


# --- input and output kinds -------------------------------------------------------


@pytest.mark.parametrize("noise", _injectors(), ids=_ids)
def test_y_untouched_x_passed_through_and_seeded(noise, digits):
    X, y = digits
    y_orig = y.copy()
    X_out, y1 = clone(noise).fit_resample(X, y)
    _, y2 = clone(noise).fit_resample(X, y)
    assert X_out is X
    np.testing.assert_array_equal(y, y_orig)
    np.testing.assert_array_equal(y1, y2)
    assert y1.dtype == y.dtype and y1.shape == y.shape
    _, y3 = clone(noise).set_params(random_state=1).fit_resample(X, y)
    assert np.any(y3 != y1)


@pytest.mark.parametrize("noise", _injectors(), ids=_ids)
def test_random_state_kinds(noise, digits):
    X, y = digits
    gen = np.random.default_rng(5)
    _, a = clone(noise).set_params(random_state=gen).fit_resample(X, y)
    _, b = clone(noise).set_params(random_state=gen).fit_resample(X, y)
    assert np.any(a != b)  # a Generator is advanced
    _, c = (
        clone(noise)
        .set_params(random_state=np.random.default_rng(5))
        .fit_resample(X, y)
    )
    np.testing.assert_array_equal(a, c)
    rs = [np.random.RandomState(3), np.random.RandomState(3)]
    _, d = clone(noise).set_params(random_state=rs[0]).fit_resample(X, y)
    _, e = clone(noise).set_params(random_state=rs[1]).fit_resample(X, y)
    np.testing.assert_array_equal(d, e)


def test_output_kind_follows_y():
    n = 60
    X = np.zeros((n, 2))
    base = np.arange(n) % 3
    noise = SymmetricNoise(0.5, exact=True, random_state=0)

    _, out = noise.fit_resample(X, base.tolist())
    assert isinstance(out, list) and len(out) == n
    _, out = noise.fit_resample(X, base.astype(np.int16))
    assert out.dtype == np.int16
    _, out = noise.fit_resample(X, np.array(["x", "yy", "zzz"])[base])
    assert out.dtype == np.dtype("<U3") and set(out) <= {"x", "yy", "zzz"}
    _, out = noise.fit_resample(X, base.reshape(-1, 1))
    assert out.shape == (n, 1)

    s = pd.Series(np.array(["a", "b", "c"])[base], index=np.arange(n) * 10, name="t")
    _, out = noise.fit_resample(X, s)
    assert isinstance(out, pd.Series)
    assert out.name == "t" and out.index.equals(s.index) and out.dtype == s.dtype
    assert (out != s).sum() == 30

    cat = s.astype("category")
    _, out = noise.fit_resample(X, cat)
    assert out.dtype == cat.dtype

    df = s.to_frame()
    _, out = noise.fit_resample(pd.DataFrame(X), df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["t"] and out.index.equals(df.index)

    one_hot = np.eye(3, dtype=np.float32)[base]
    _, out = noise.fit_resample(X, one_hot)
    assert out.dtype == np.float32 and out.shape == one_hot.shape
    assert np.all(out.sum(axis=1) == 1)
    assert (out.argmax(axis=1) != base).sum() == 30


def test_categorical_series_gains_new_classes():
    y = pd.Series(["cat", "dog"] * 10, dtype="category")
    noise = AsymmetricNoise(1.0, {"cat": "bird"}, classes=["bird", "cat", "dog"])
    _, out = noise.fit_resample(np.zeros((20, 1)), y)
    assert set(out) == {"bird", "dog"}
    assert set(out.cat.categories) == {"bird", "cat", "dog"}


def test_label_only_injectors_accept_any_x():
    y = np.arange(40) % 4
    images = np.zeros((40, 3, 8, 8), dtype=np.uint8)
    paths = np.array([f"img_{i}.png" for i in range(40)])
    for X in (images, paths, [None] * 40):
        for noise in (
            SymmetricNoise(0.5, random_state=0),
            AsymmetricNoise(0.5, random_state=0),
            TransitionMatrixNoise(SYM_03, random_state=0),
        ):
            X_out, y_noisy = noise.fit_resample(X, y)
            assert X_out is X and len(y_noisy) == 40


def test_classes_parameter_lets_noise_reach_absent_classes():
    y = np.repeat([0, 1], 5000)
    noise = SymmetricNoise(0.6, classes=[0, 1, 2], random_state=0)
    _, y_noisy = noise.fit_resample(np.zeros((len(y), 1)), y)
    assert set(y_noisy) == {0, 1, 2}
    np.testing.assert_array_equal(noise.classes_, [0, 1, 2])
    np.testing.assert_array_equal(noise.transition_matrix_[2], 0)
    T = TransitionMatrixNoise(np.eye(3)[[1, 2, 0]], classes=[0, 1, 2])
    _, y_noisy = T.fit_resample(np.zeros((len(y), 1)), y)
    np.testing.assert_array_equal(y_noisy, y + 1)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int64, np.uint64])
def test_integer_label_dtypes(dtype):
    labels = np.array([0, 100, 127] if dtype != np.int8 else [-100, 0, 127])
    y = np.repeat(labels, 50).astype(dtype)
    _, y_noisy = SymmetricNoise(1.0, random_state=0).fit_resample(np.zeros(150), y)
    assert y_noisy.dtype == dtype
    assert set(y_noisy.tolist()) == set(labels.tolist())
    assert not np.any(y_noisy == y)


def test_large_integer_labels_and_negative_labels():
    y = np.array([-5, 10**12, 7] * 30)
    noise = SymmetricNoise(0.5, random_state=0)
    _, y_noisy = noise.fit_resample(np.zeros((90, 1)), y)
    np.testing.assert_array_equal(noise.classes_, [-5, 7, 10**12])
    assert set(y_noisy) <= {-5, 7, 10**12}


# --- validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "noise, match",
    [
        (SymmetricNoise(rate=1.5), "'rate' parameter"),
        (SymmetricNoise(rate=-0.1), "'rate' parameter"),
        (SymmetricNoise(flip_to="same"), "'flip_to' parameter"),
        (AsymmetricNoise(mapping="cifar11"), "'mapping' parameter"),
        (InstanceDependentNoise(std=-1), "'std' parameter"),
        (TransitionMatrixNoise(), "matrix must be given"),
        (TransitionMatrixNoise([[1.0, 0.0, 0.0], [0, 1, 0]]), "matrix must be square"),
        (TransitionMatrixNoise([[1.5, -0.5], [0, 1]]), "matrix must be non-negative"),
        (TransitionMatrixNoise([[0.5, 0.4], [0, 1]]), "matrix rows must sum to 1"),
        (TransitionMatrixNoise(np.eye(3)), "matrix has 3 rows but there are 2"),
        (SymmetricNoise(classes=[0, 2]), "not in classes"),
    ],
)
def test_invalid_parameters_name_the_parameter(noise, match):
    with pytest.raises(ValueError, match=match):
        noise.fit_resample(np.zeros((10, 1)), np.arange(10) % 2)


def test_row_sum_tolerance():
    eps = 5e-7
    T = [[1 - eps, 0.0], [0.0, 1.0]]
    TransitionMatrixNoise(T).fit(np.zeros((4, 1)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="rows must sum to 1"):
        TransitionMatrixNoise([[1 - 5e-6, 0.0], [0.0, 1.0]]).fit(
            np.zeros((4, 1)), [0, 1, 0, 1]
        )


@pytest.mark.parametrize("kind", KINDS)
def test_invalid_targets_and_lengths(kind):
    noise = make_noise(kind, matrix=SYM_03) if kind == "transition_matrix" else None
    noise = noise or make_noise(kind)
    X = np.random.default_rng(0).normal(size=(30, 3))
    with pytest.raises(ValueError, match="Unknown label type"):
        noise.fit_resample(X, np.linspace(0, 1, 30))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        noise.fit_resample(X, np.arange(29) % 3)
    with pytest.raises(ValueError, match="1 class"):
        noise.fit_resample(X, np.zeros(30, dtype=int))
    with pytest.raises(ValueError, match="Multilabel"):
        noise.fit_resample(X, np.ones((30, 3), dtype=int))


# --- functions ------------------------------------------------------------------------


def test_make_noise_kinds():
    assert isinstance(make_noise("symmetric", rate=0.3), SymmetricNoise)
    pair = make_noise("pair", rate=0.45)
    assert isinstance(pair, AsymmetricNoise) and pair.mapping == "pair"
    for kind in KINDS:
        assert isinstance(make_noise(kind), BaseNoise)
    with pytest.raises(ValueError, match="kind must be one of"):
        make_noise("gaussian")
    with pytest.raises(ValueError, match="kind='pair' fixes mapping"):
        make_noise("pair", mapping="cifar10")


def test_corrupt_labels_shares_the_injector_code_path(digits):
    X, y = digits
    for kind, params in [
        ("symmetric", {"rate": 0.3}),
        ("pair", {"rate": 0.3}),
        ("transition_matrix", {"matrix": SYM_03}),
        ("instance_dependent", {"rate": 0.3}),
    ]:
        via_function = corrupt_labels(y, kind, X=X, random_state=3, **params)
        _, via_class = make_noise(kind, random_state=3, **params).fit_resample(X, y)
        np.testing.assert_array_equal(via_function, via_class)
    # an instance is cloned, its own random_state kept unless one is given
    noise = SymmetricNoise(0.2, random_state=7)
    a = corrupt_labels(y, noise)
    b = corrupt_labels(y, noise, rate=0.2)
    np.testing.assert_array_equal(a, b)
    assert not hasattr(noise, "noise_mask_")
    c = corrupt_labels(y, noise, rate=0.5, random_state=7)
    assert np.mean(c != y) > 0.4
    with pytest.raises(ValueError, match="X is required"):
        corrupt_labels(y, "pseudo_label", rate=0.2)
    assert isinstance(corrupt_labels(list(y[:20]), rate=0.5, random_state=0), list)


def test_cleanlab_conversion_is_a_transpose():
    T = _random_matrix(4, 1)
    noise_matrix = to_cleanlab_noise_matrix(T)
    np.testing.assert_allclose(noise_matrix, T.T)
    np.testing.assert_allclose(noise_matrix.sum(axis=0), 1)
    np.testing.assert_allclose(from_cleanlab_noise_matrix(noise_matrix), T)
    with pytest.raises(ValueError, match="noise_matrix.T rows must sum to 1"):
        from_cleanlab_noise_matrix(T)  # rows, not columns, sum to 1


# --- pipelines and model selection ----------------------------------------------------


class SpyClassifier(ClassifierMixin, BaseEstimator):
    """Majority classifier recording the labels it is fitted and scored on.

    Column 0 of X holds the sample index, so the records can be compared with the
    given labels.
    """

    log = []

    def __init__(self, q=0.5):
        self.q = q

    def fit(self, X, y):
        SpyClassifier.log.append(("fit", X[:, 0].astype(int), np.asarray(y).copy()))
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[counts.argmax()]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)

    def score(self, X, y, sample_weight=None):
        SpyClassifier.log.append(("score", X[:, 0].astype(int), np.asarray(y).copy()))
        return super().score(X, y, sample_weight)


def test_grid_search_applies_noise_in_fit_only_spy():
    rng = np.random.default_rng(0)
    n = 900
    y = rng.integers(0, 3, n)
    X = np.column_stack([np.arange(n), rng.normal(size=(n, 3))])
    SpyClassifier.log.clear()
    search = GridSearchCV(
        make_pipeline(SymmetricNoise(rate=0.4), SpyClassifier()),
        {"spyclassifier__q": [0.5, 0.7]},
        cv=3,
    )
    search.fit(X, y)
    fits = [(idx, seen) for kind, idx, seen in SpyClassifier.log if kind == "fit"]
    scores = [(idx, seen) for kind, idx, seen in SpyClassifier.log if kind == "score"]
    assert len(fits) == 2 * 3 + 1 and len(scores) == 2 * 3
    for idx, seen in fits:  # trained on noisy labels
        assert 0.3 < np.mean(seen != y[idx]) < 0.5
    for idx, seen in scores:  # scored on the given labels
        np.testing.assert_array_equal(seen, y[idx])
    assert search.best_estimator_[0].noise_rate_ > 0.3
    # predict and score bypass the injector
    SpyClassifier.log.clear()
    search.score(X, y)
    np.testing.assert_array_equal(SpyClassifier.log[0][2], y)


def test_grid_search_with_noisy_label_classifier(digits):
    from sknoisy import NoisyLabelClassifier

    X, y = digits
    X, y = X[:300].astype(np.float32) / 16, y[:300]
    search = GridSearchCV(
        make_pipeline(
            SymmetricNoise(rate=0.4),
            NoisyLabelClassifier(loss="gce", max_epochs=3, random_state=0),
        ),
        {"noisylabelclassifier__q": [0.5, 0.7]},
        cv=3,
    )
    search.fit(X, y)
    assert search.cv_results_["mean_test_score"].shape == (2,)
    assert search.best_params_["noisylabelclassifier__q"] in (0.5, 0.7)
    noise = search.best_estimator_[0]
    assert 0.3 < noise.noise_rate_ < 0.5  # the refit trained on noisy labels
    # scoring uses the given labels: score == accuracy of predict against y
    assert search.score(X, y) == pytest.approx(accuracy_score(y, search.predict(X)))
