"""Tests of sknoisy.benchmark and the ``sknoisy benchmark`` command."""

import csv
import importlib.metadata
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import sknoisy
from sknoisy.__main__ import main
from sknoisy.benchmark import (
    DEFAULT_METHODS,
    METHODS,
    NOISE_KINDS,
    format_table,
    run_benchmark,
    summarize_results,
)

TINY = {"n_train": 200, "max_epochs": 2, "progress": False}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    results = run_benchmark(
        rates=[0.0, 0.5],
        methods=["ce", "jo_soft"],
        seeds=[0, 1],
        output=out,
        **TINY,
    )
    return results, out


def test_results_one_dict_per_run(tiny_run):
    results, _ = tiny_run
    assert len(results) == 2 * 2 * 2  # rates x methods x seeds
    keys = {(r["rate"], r["method"], r["seed"]) for r in results}
    assert len(keys) == 8
    for r in results:
        assert r["dataset"] == "digits" and r["noise"] == "symmetric"
        assert r["n_train"] == 200 and r["n_test"] == 540
        assert 0.0 <= r["test_accuracy"] <= 1.0
        assert r["fit_seconds"] > 0
        if r["rate"] == 0.0:
            assert r["noise_rate"] == 0.0
        else:
            assert 0.3 < r["noise_rate"] < 0.7
    ce = [r for r in results if r["method"] == "ce"]
    jo = [r for r in results if r["method"] == "jo_soft"]
    assert all(r["label_recovery"] is None for r in ce)
    assert all(0.0 <= r["label_recovery"] <= 1.0 for r in jo)
    clean_jo = [r for r in jo if r["rate"] == 0.0]
    assert all(r["noisy_label_recovery"] is None for r in clean_jo)


def test_same_seed_same_noise_across_methods(tiny_run):
    results, _ = tiny_run
    by_key = {}
    for r in results:
        by_key.setdefault((r["rate"], r["seed"]), set()).add(r["noise_rate"])
    assert all(len(v) == 1 for v in by_key.values())
    noisy = [r["noise_rate"] for r in results if r["rate"] == 0.5]
    assert len(set(noisy)) == 2  # the two seeds draw different noise


def test_files_written(tiny_run):
    results, out = tiny_run
    with open(out / "runs.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(results)
    assert rows[0]["method"] == "ce" and float(rows[0]["rate"]) == 0.0
    assert {row["label_recovery"] for row in rows if row["method"] == "ce"} == {""}
    doc = json.loads((out / "results.json").read_text())
    assert set(doc) == {"config", "environment", "runs", "summary"}
    assert len(doc["runs"]) == 8 and len(doc["summary"]) == 4
    assert doc["config"]["rates"] == [0.0, 0.5]
    assert doc["config"]["methods"]["jo_soft"]["label_correction"] == "soft"
    png = (out / "accuracy.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
    assert (out / "table.txt").read_text() == format_table(results)


def test_summary_and_table_shape(tiny_run):
    results, _ = tiny_run
    summary = summarize_results(results)
    assert [(s["method"], s["rate"]) for s in summary] == [
        ("ce", 0.0),
        ("jo_soft", 0.0),
        ("ce", 0.5),
        ("jo_soft", 0.5),
    ]
    first = summary[0]
    accs = [
        r["test_accuracy"] for r in results if r["method"] == "ce" and not r["rate"]
    ]
    assert first["n_seeds"] == 2
    assert first["test_accuracy_mean"] == pytest.approx(np.mean(accs))
    assert first["test_accuracy_std"] == pytest.approx(np.std(accs))
    assert first["label_recovery_mean"] is None
    table = format_table(summary)
    lines = table.splitlines()
    assert sum(line.startswith("ce ") for line in lines) == 1
    # jo_soft appears in the accuracy and in the label-recovery table
    assert sum(line.startswith("jo_soft ") for line in lines) == 2
    assert "rate 0.5" in table and "±" in table and "(realized noise)" in table
    assert "label recovery" in table


def test_deterministic_and_custom_methods():
    methods = {"gce_q0.3": {"loss": "gce", "q": 0.3}, "plain": "ce"}
    first = run_benchmark(rates=[0.4], methods=methods, seeds=[3], **TINY)
    second = run_benchmark(rates=[0.4], methods=methods, seeds=[3], **TINY)
    assert [r["method"] for r in first] == ["gce_q0.3", "plain"]
    for a, b in zip(first, second):
        assert a["test_accuracy"] == b["test_accuracy"]
        assert a["noise_rate"] == b["noise_rate"]


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_every_noise_kind(kind):
    with warnings.catch_warnings():
        # pseudo-label noise warns when too few samples lie in another cluster
        warnings.simplefilter("ignore", UserWarning)
        results = run_benchmark(
            noise=kind,
            rates=[0.3],
            methods=["ce"],
            seeds=[0],
            **{**TINY, "max_epochs": 1},
        )
    (r,) = results
    assert r["noise"] == kind
    assert r["noise_rate"] > 0.05


def test_parallel_matches_serial():
    kwargs = {"rates": [0.2], "methods": ["ce", "gce"], "seeds": [0], **TINY}
    serial = run_benchmark(**kwargs)
    parallel = run_benchmark(n_jobs=2, **kwargs)
    assert [(r["method"], r["noise_rate"]) for r in serial] == [
        (r["method"], r["noise_rate"]) for r in parallel
    ]
    for a, b in zip(serial, parallel):
        assert a["test_accuracy"] == pytest.approx(b["test_accuracy"], abs=0.02)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"dataset": "imagenet"}, "unknown dataset 'imagenet'; choose one of digits"),
        ({"methods": ["ce", "nope"]}, "unknown method 'nope'; choose one of ce"),
        ({"methods": {"x": {"loss": "gce", "q": 2.0}}}, "method 'x'.*q"),
        ({"noise": "gaussian"}, "unknown noise 'gaussian'; choose one of symmetric"),
        ({"rates": [0.2, 1.5]}, r"rate must be in \[0, 1\], got 1.5"),
        ({"rates": [-0.1]}, r"rate must be in \[0, 1\]"),
        ({"rates": []}, "at least one noise rate"),
        ({"seeds": [0, -2]}, "seeds must be non-negative ints"),
        ({"max_epochs": 0}, "max_epochs must be an int >= 1"),
        ({"n_jobs": 0}, "n_jobs must be a non-zero int"),
        ({"device": "tpu"}, "unknown device 'tpu'"),
        ({"n_train": 5}, "n_train must be None or an int >= 20"),
    ],
)
def test_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        run_benchmark(**{"progress": False, **kwargs})


def test_missing_cifar10_folder(tmp_path):
    with pytest.raises(ValueError, match="needs data_dir") as info:
        run_benchmark("cifar10", progress=False)
    assert "cifar-10-batches-py/data_batch_1" in str(info.value)
    with pytest.raises(ValueError, match="CIFAR-10 not found") as info:
        run_benchmark("cifar10", data_dir=tmp_path, progress=False)
    message = str(info.value)
    assert "missing cifar-10-batches-py/" in message
    assert f"{tmp_path}/cifar-10-batches-py/test_batch" in message
    (tmp_path / "cifar-10-batches-py").mkdir()
    (tmp_path / "cifar-10-batches-py" / "data_batch_1").write_bytes(b"")
    with pytest.raises(ValueError, match="missing data_batch_2, data_batch_3"):
        run_benchmark("cifar10", data_dir=tmp_path, progress=False)


def test_cli_main_writes_files(tmp_path, capsys):
    out = tmp_path / "res"
    status = main(
        [
            "benchmark",
            "--rates",
            "0,0.4",
            "--methods",
            "ce",
            "jo_hard",
            "--seeds",
            "0",
            "--max-epochs",
            "1",
            "--n-train",
            "100",
            "--output",
            str(out),
            "--no-progress",
        ]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "digits, symmetric noise: test accuracy" in printed
    assert "jo_hard" in printed and "rate 0.4" in printed
    assert "±" not in printed and "one seed" in printed  # one seed: no spread
    assert {p.name for p in out.iterdir()} == {
        "runs.csv",
        "results.json",
        "table.txt",
        "accuracy.png",
    }
    doc = json.loads((out / "results.json").read_text())
    assert len(doc["runs"]) == 4


@pytest.mark.parametrize(
    "argv, message",
    [
        (["benchmark", "--dataset", "foo"], "unknown dataset 'foo'"),
        (["benchmark", "--methods", "ce,bogus"], "unknown method 'bogus'"),
        (["benchmark", "--noise", "x"], "unknown noise 'x'"),
        (["benchmark", "--rates", "0.5", "2"], r"rate must be in [0, 1], got 2.0"),
        (["benchmark", "--rates", "abc"], "invalid rate: 'abc'"),
        (["benchmark", "--dataset", "cifar10"], "cifar-10-batches-py/batches.meta"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "required: COMMAND"),
    ],
)
def test_cli_errors_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_defaults_and_module_entry_point():
    assert DEFAULT_METHODS == (
        "ce",
        "label_smoothing",
        "gce",
        "truncated_gce",
        "encouraging",
        "jo_soft",
    )
    assert {"jo_hard", "mae", "sce", "nce_rce", "bootstrap"} <= set(METHODS)
    with pytest.raises(TypeError):
        METHODS["new"] = {}  # read-only
    entry = [
        ep
        for ep in importlib.metadata.entry_points(group="console_scripts")
        if ep.name == "sknoisy"
    ]
    if entry:  # installed: the console script points at main
        assert entry[0].value == "sknoisy.__main__:main"


def test_python_m_sknoisy(monkeypatch, capsys):
    # What ``python -m sknoisy benchmark --help`` runs: sknoisy/__main__.py as
    # the module ``__main__`` of the package. (runpy.run_module fails when pytest's
    # doctest collection has already imported sknoisy.__main__ with its own loader.)
    path = Path(sknoisy.__file__).with_name("__main__.py")
    code = compile(path.read_text(encoding="utf-8"), str(path), "exec")
    namespace = {
        "__name__": "__main__",
        "__package__": "sknoisy",
        "__file__": str(path),
    }
    monkeypatch.setattr(sys, "argv", ["sknoisy", "benchmark", "--help"])
    with pytest.raises(SystemExit) as info:
        exec(code, namespace)
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "--max-epochs" in out and "--n-jobs" in out and "--data-dir" in out


def test_runs_whose_correction_did_not_run_are_marked(tiny_run):
    # Two epochs are fewer than correction_window: every jo_soft run warns.
    results, _ = tiny_run
    jo = [r for r in results if r["method"] == "jo_soft"]
    assert all("correction_window=10" in r["correction_warning"] for r in jo)
    assert all(r["correction_warning"] is None for r in results if r["method"] == "ce")
    summary = summarize_results(results)
    for s in summary:
        if s["method"] == "jo_soft":
            assert s["n_correction_warnings"] == 2
            # recovery of such runs is only the share the noise left alone
            assert s["label_recovery_mean"] is None
        else:
            assert s["n_correction_warnings"] == 0
    table = format_table(summary)
    assert "not corrected !" in table and "CorrectionWarning" in table


def test_recovery_mean_leaves_out_warned_runs():
    base = {
        "dataset": "digits",
        "noise": "symmetric",
        "method": "jo_soft",
        "rate": 0.4,
        "test_accuracy": 0.9,
        "noisy_label_recovery": None,
        "noise_rate": 0.4,
        "fit_seconds": 1.0,
    }
    runs = [
        {**base, "label_recovery": 0.95, "correction_warning": None},
        {**base, "label_recovery": 0.97, "correction_warning": None},
        {**base, "label_recovery": 0.60, "correction_warning": "never started"},
    ]
    (s,) = summarize_results(runs)
    assert s["label_recovery_mean"] == pytest.approx(0.96)
    assert s["test_accuracy_mean"] == pytest.approx(0.9)  # accuracy keeps all
    assert s["n_correction_warnings"] == 1
    assert "! (1/3 left out)" in format_table(s and [s])


# --------------------------------------------------------------------------------------
# The optional method cleanlab on the built-in data sets
# --------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:May not flag all label issues:UserWarning")
def test_cleanlab_on_digits(tmp_path, capsys):
    pytest.importorskip("cleanlab")
    state = np.random.get_state()
    results = run_benchmark(
        rates=[0.4], methods=["ce", "cleanlab"], seeds=[0], output=tmp_path, **TINY
    )
    after = np.random.get_state()  # CleanLearning seeds the global generator
    assert np.array_equal(state[1], after[1]) and state[2:] == after[2:]
    ce, cl = results
    assert (ce["method"], cl["method"]) == ("ce", "cleanlab")
    assert cl["noise_rate"] == ce["noise_rate"]  # the same noisy labels
    assert 0 <= cl["test_accuracy"] <= 1 and 0 <= cl["ece"] <= 1
    assert 0 <= cl["label_recovery"] <= 1 and 0 <= cl["noisy_label_recovery"] <= 1
    assert ce["label_recovery"] is None
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["config"]["methods"]["cleanlab"] == "cleanlab"
    # the command line takes it too
    status = main(
        ["benchmark", "--rates", "0.4", "--methods", "cleanlab", "--seeds", "0"]
        + ["--max-epochs", "1", "--n-train", "100", "--no-progress"]
        + ["--output", str(tmp_path / "cli")]
    )
    assert status == 0
    assert "cleanlab" in capsys.readouterr().out


def test_cleanlab_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "cleanlab", None)  # import fails
    with pytest.raises(ValueError, match="method 'cleanlab' needs the cleanlab"):
        run_benchmark(methods=["ce", "cleanlab"], **TINY)
    # the command skips it with a message and runs the others
    argv = ["benchmark", "--rates", "0", "--seeds", "0", "--max-epochs", "1"]
    argv += ["--n-train", "100", "--no-progress", "--output", str(tmp_path)]
    assert main([*argv, "--methods", "ce,cleanlab"]) == 0
    captured = capsys.readouterr()
    assert "skipping method 'cleanlab': the cleanlab package is not installed" in (
        captured.err
    )
    runs = json.loads((tmp_path / "results.json").read_text())["runs"]
    assert [r["method"] for r in runs] == ["ce"]
    # ... and stops when nothing else is left
    with pytest.raises(SystemExit) as info:
        main([*argv, "--methods", "cleanlab"])
    assert info.value.code == 2
    assert "method 'cleanlab' needs the cleanlab package" in capsys.readouterr().err
