"""Tests of the benchmark pipeline's objects: BenchmarkConfig, sources, run."""

import dataclasses
import pickle

import numpy as np
import pytest

from sknoisy.benchmark import (
    DEFAULT_METHODS,
    DEFAULT_RATES,
    DEFAULT_SEEDS,
    DEFAULT_TEST_SIZE,
    METHODS,
    BenchmarkConfig,
    BenchmarkData,
    inject_noise,
    load_source,
    run,
    run_benchmark,
    run_data_file,
)


@pytest.fixture
def blobs_npz(tmp_path):
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 40)
    X = rng.normal(size=(120, 4)) + 4 * np.eye(3, 4)[y]
    path = tmp_path / "blobs.npz"
    np.savez(path, X=X, y=y)
    return path


def test_defaults_are_normalised():
    config = BenchmarkConfig()
    assert config.dataset == "digits" and config.noise == "symmetric"
    assert config.rates == DEFAULT_RATES and config.seeds == DEFAULT_SEEDS
    assert list(config.methods) == list(DEFAULT_METHODS)
    assert config.methods["jo_soft"] == dict(METHODS["jo_soft"])
    assert config.test_size is None and config.target is None
    assert not config.is_file and config.injects_noise


def test_values_are_normalised():
    config = BenchmarkConfig(rates=0.4, seeds=3, methods="gce", n_train=300)
    assert config.rates == (0.4,) and config.seeds == (3,)
    assert config.methods == {"gce": {"loss": "gce"}}
    config = BenchmarkConfig(rates=[0.4, 0.2, 0.4], seeds=[2, 0, 2])
    assert config.rates == (0.2, 0.4) and config.seeds == (2, 0)
    custom = BenchmarkConfig(methods={"q3": {"loss": "gce", "q": 0.3}, "b": "ce"})
    assert custom.methods == {"q3": {"loss": "gce", "q": 0.3}, "b": {"loss": "ce"}}


def test_frozen_replace_and_pickle():
    config = BenchmarkConfig(rates=[0.2], methods=["ce"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.max_epochs = 3
    again = dataclasses.replace(config, max_epochs=3)  # checked again
    assert again.max_epochs == 3 and again.rates == config.rates
    assert dataclasses.replace(config) == config
    assert pickle.loads(pickle.dumps(config)) == config
    hash(config)
    with pytest.raises(ValueError, match="max_epochs must be an int >= 1"):
        dataclasses.replace(config, max_epochs=-1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"dataset": "imagenet"}, "unknown dataset 'imagenet'; choose one of digits"),
        ({"dataset": 3}, "unknown dataset 3"),
        ({"methods": ["ce", "nope"]}, "unknown method 'nope'; choose one of ce"),
        ({"methods": []}, "methods must name at least one method"),
        ({"methods": {"x": "nope"}}, "unknown method 'nope' for 'x'"),
        ({"methods": {"x": 3}}, "method 'x' must map to a dict"),
        ({"methods": {"x": {1: 2}}}, "method 'x' must map to a dict"),
        ({"methods": {3: {"loss": "ce"}}}, "method names must be strings"),
        ({"noise": "gaussian"}, "unknown noise 'gaussian'; choose one of symmetric"),
        ({"rates": [0.2, 1.5]}, r"rate must be in \[0, 1\], got 1.5"),
        ({"rates": [float("nan")]}, r"rate must be in \[0, 1\]"),
        ({"rates": ["0.2"]}, r"rates must be numbers in \[0, 1\], got '0.2'"),
        ({"rates": []}, "at least one noise rate"),
        ({"seeds": [0, -2]}, "seeds must be non-negative ints"),
        ({"seeds": [True]}, "seeds must be non-negative ints"),
        ({"seeds": []}, "at least one non-negative int"),
        ({"max_epochs": 0}, "max_epochs must be an int >= 1, got 0"),
        ({"max_epochs": 2.5}, "max_epochs must be an int >= 1"),
        ({"n_jobs": 0}, "n_jobs must be a non-zero int"),
        ({"device": "tpu"}, "unknown device 'tpu'"),
        ({"n_train": 5}, "n_train must be None or an int >= 20"),
        ({"data_dir": 3}, "data_dir must be a path"),
        ({"target": "label"}, "target is for data files; 'digits' is a built-in"),
        ({"test_size": 0.3}, "test_size is for data files"),
        ({"dataset": "cifar10"}, "dataset='cifar10' needs data_dir"),
        ({"dataset": "cifar10n", "rates": [0.2]}, "rates are for injected noise"),
    ],
)
def test_bad_values_give_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BenchmarkConfig(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"test_size": 0.7}, r"test_size must be a number in \[0, 0.5\], got 0.7"),
        ({"test_size": True}, "test_size must be a number"),
        ({"n_train": 1}, "n_train must be None or an int >= 2"),
        ({"data_dir": "x"}, "data_dir is for the built-in data sets"),
        ({"noise": "pair", "test_size": 0}, "test_size 0 holds none out"),
        ({"rates": [2.0]}, r"rate must be in \[0, 1\]"),
        ({"noise": "gaussian"}, "unknown noise 'gaussian'"),
    ],
)
def test_bad_values_for_a_data_file(kwargs, match, blobs_npz):
    with pytest.raises(ValueError, match=match):
        BenchmarkConfig(blobs_npz, **kwargs)


def test_data_file_settings(blobs_npz):
    given = BenchmarkConfig(str(blobs_npz))
    assert given.is_file and not given.injects_noise
    assert given.noise is None and given.rates is None
    assert given.test_size == DEFAULT_TEST_SIZE
    injected = BenchmarkConfig(blobs_npz, rates=[0.3])
    assert injected.injects_noise and injected.noise == "symmetric"
    assert injected.rates == (0.3,)
    assert BenchmarkConfig(blobs_npz, noise="pair").rates == DEFAULT_RATES


def test_sources_share_one_interface(blobs_npz):
    builtin = load_source(BenchmarkConfig(n_train=100))
    given = load_source(BenchmarkConfig(blobs_npz, test_size=0.25))
    injected = load_source(BenchmarkConfig(blobs_npz, rates=[0.3], test_size=0.25))
    for data in (builtin, given, injected):
        assert isinstance(data, BenchmarkData)
    assert builtin.name == "digits" and builtin.module.__name__ == "MLP"
    assert builtin.rates([0.2, 0.4]) == [0.2, 0.4]
    y = builtin.training_labels("symmetric", 0.4, 0)
    expected = inject_noise(builtin.X_train, builtin.y_clean, "symmetric", 0.4, 0)
    np.testing.assert_array_equal(y, expected)
    assert given.y_clean is None and given.rates(None) == [None]
    assert given.training_labels("symmetric", None, 0) is given.y_given
    assert len(given.y_given) == 90 and len(given.y_test) == 30
    np.testing.assert_array_equal(injected.y_clean, given.y_given)
    assert injected.y_given is None


def test_run_from_config_matches_run_benchmark():
    settings = {"rates": [0.4], "methods": ["ce"], "seeds": [0], "max_epochs": 2}
    report = run(BenchmarkConfig(n_train=100, **settings), progress=False)
    runs = run_benchmark(n_train=100, progress=False, **settings)
    strip = [{k: v for k, v in r.items() if k != "fit_seconds"} for r in runs]
    assert [
        {k: v for k, v in r.items() if k != "fit_seconds"} for r in report["runs"]
    ] == strip
    assert report["config"]["rates"] == [0.4] and report["data"]["n_train"] == 100


def test_run_takes_own_data():
    source = load_source(BenchmarkConfig(n_train=100))
    data = dataclasses.replace(source, name="mine")
    config = BenchmarkConfig(rates=[0.0], methods=["ce"], seeds=[0], max_epochs=1)
    (result,) = run(config, data, progress=False)["runs"]
    assert result["dataset"] == "mine" and result["n_train"] == 100


def test_bad_custom_method_params_name_the_method():
    config = BenchmarkConfig(
        rates=[0.2], methods={"x": {"loss": "gce", "q": 2.0}}, n_train=100
    )
    with pytest.raises(ValueError, match="method 'x'.*q"):
        run(config, progress=False)


def test_run_data_file_keeps_its_labels(blobs_npz):
    with pytest.raises(TypeError, match="run_data_file_injected"):
        run_data_file(blobs_npz, rates=[0.2], progress=False)
