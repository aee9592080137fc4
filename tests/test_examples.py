"""Run every gallery example (``examples/plot_*.py``) in its fast mode."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("plot_*.py"))


def test_examples_found():
    names = {path.name for path in EXAMPLES}
    assert {
        "plot_accuracy_vs_noise.py",
        "plot_label_correction.py",
        "plot_grid_search.py",
    } <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_example_runs(path, monkeypatch, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setenv("SKNOISY_EXAMPLE_FAST", "1")
    monkeypatch.chdir(tmp_path)  # anything an example writes lands here
    plt.close("all")
    try:
        namespace = runpy.run_path(str(path), run_name="__main__")
        assert plt.get_fignums(), f"{path.name} drew no figure"
    finally:
        plt.close("all")
    assert namespace  # the script ran to the end and defined names
