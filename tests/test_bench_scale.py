"""Smoke test of benchmarks/bench_scale.py (its ``--quick`` mode)."""

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    spec = importlib.util.spec_from_file_location(
        "bench_scale", BENCH / "bench_scale.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick(bench, tmp_path_factory):
    out = tmp_path_factory.mktemp("scale")
    paths = {"out": out / "scale.json", "rst": out / "t.rst", "plot": out / "s.png"}
    argv = ["--quick", "--in-process", "--dir", str(out)]
    for name, path in paths.items():
        argv += [f"--{name}", str(path)]
    return bench.main(argv), paths


def test_write_data_is_a_noisy_prefix_stable_memmap(bench, tmp_path):
    x_small, y_small = bench.write_data(str(tmp_path), 1500, 4, 3)
    x_big, y_big = bench.write_data(str(tmp_path), 250_000, 4, 3)
    X, y = np.load(x_big, mmap_mode="r"), np.load(y_big, mmap_mode="r")
    assert X.dtype == np.float32 and X.shape == (250_000, 4)
    assert y.dtype == np.int64 and set(np.unique(y)) == {0, 1, 2}
    np.testing.assert_array_equal(np.load(x_small), X[:1500])
    np.testing.assert_array_equal(np.load(y_small), y[:1500])


def test_quick_run_structure(bench, quick):
    result, paths = quick
    assert set(result) >= {"command", "environment", "config", "runs", "rows", "fits"}
    assert result["skipped"] == []
    assert json.loads(paths["out"].read_text())["rows"] == result["rows"]
    rows = result["rows"]
    assert {(r["method"], r["n"]) for r in rows} == {
        (m, n) for m in bench.METHODS for n in bench.QUICK_SIZES
    }
    for method in bench.METHODS:
        mine = [r for r in rows if r["method"] == method]
        sizes = [r["n"] for r in mine]
        assert sizes == sorted(sizes)
        x_bytes = [r["x_bytes"] for r in mine]
        assert x_bytes == [n * 20 * 4 + 128 for n in sizes]  # .npy header: 128
    for run in result["runs"]:
        assert len(run["epoch_seconds"]) == 2
        assert all(t > 0 for t in run["epoch_seconds"])
        assert run["seconds_per_epoch"] == run["epoch_seconds"][1]
        assert len(run["epoch_cpu_seconds"]) == 2
        assert all(t > 0 for t in run["epoch_cpu_seconds"])
        assert run["fit_seconds"] >= sum(run["epoch_seconds"]) * 0.99
        # a tiny in-process fit can free a few pages below the start: noise
        assert run["extra_rss"] > -(1 << 20) and math.isfinite(run["train_loss"])
    for key in ("cpu_seconds_per_epoch", "seconds_per_epoch", "extra_rss"):
        assert set(result["fits"][key]) == set(bench.METHODS)
        for fit in result["fits"][key].values():
            assert math.isfinite(fit["per_sample"]) and math.isfinite(fit["intercept"])
            assert fit["slope_sizes"] == bench.QUICK_SIZES


def test_quick_run_files(bench, quick, capsys):
    result, paths = quick
    rst = paths["rst"].read_text()
    assert ".. list-table::" in rst and "1,000" in rst and "3,000" in rst
    assert "CPU time per epoch" in rst and "load average" in rst
    assert ".. image:: s.png" in rst
    assert paths["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # --report re-renders a saved run without fitting
    again = bench.main(["--report", str(paths["out"]), "--rst", str(paths["rst"])])
    assert again["rows"] == result["rows"]
    assert "CPU s/epoch CE" in capsys.readouterr().out
