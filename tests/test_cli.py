"""``sknoisy benchmark --dataset FILE``: a user's data file with noisy labels."""

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from sknoisy.__main__ import build_parser, main
from sknoisy.benchmark import (
    DataFileError,
    cleanlab_available,
    format_table,
    is_data_file,
    load_data_file,
    run_data_file,
)

COLOURS = np.array(["red", "green", "blue"])
QUICK = ["--no-progress", "--seeds", "0", "--max-epochs", "2"]


def _blobs(n=120, n_flipped=12, seed=0):
    """Three well separated blobs; ``n_flipped`` labels moved to the next class."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], n // 3)
    X = rng.normal(size=(n, 4)) + 4 * np.eye(3, 4)[y]
    flipped = rng.choice(n, n_flipped, replace=False)
    noisy = y.copy()
    noisy[flipped] = (noisy[flipped] + 1) % 3
    return X, noisy, np.sort(flipped)


def _write_csv(path, header, rows, delimiter=","):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def blobs_csv(tmp_path):
    X, y, flipped = _blobs()
    rows = [[f"{v:.4f}" for v in x] + [label] for x, label in zip(X, COLOURS[y])]
    path = _write_csv(tmp_path / "blobs.csv", ["f1", "f2", "f3", "f4", "colour"], rows)
    return path, flipped


def _read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _fails(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    return capsys.readouterr().err


# --------------------------------------------------------------------------------------
# End to end
# --------------------------------------------------------------------------------------
def test_csv_with_string_labels(blobs_csv, tmp_path, capsys):
    path, flipped = blobs_csv
    out = tmp_path / "res"
    argv = ["benchmark", "--dataset", str(path), "--target", "colour"]
    argv += ["--methods", "ce,jo_soft", "--max-epochs", "20", "--seeds", "0"]
    status = main([*argv, "--output", str(out), "--no-progress"])
    assert status == 0
    printed = capsys.readouterr().out
    assert "blobs.csv: 120 samples, 4 features, 3 classes" in printed
    assert "labels from column 'colour': blue (41), green (35), red (44)" in printed
    assert "No noise injected" in printed
    assert "accuracy on the held-out given labels, one seed" in printed
    assert "Accuracy on clean labels: not measured. It needs clean labels" in printed
    assert "Label issues among the 96 training samples" in printed
    assert "label quality  samples" in printed and "0.9 - 1.0" in printed
    assert "±" not in printed  # one seed
    assert {p.name for p in out.iterdir()} == {
        "runs.csv",
        "results.json",
        "report.txt",
        "label_issues.csv",
    }
    runs = _read(out / "runs.csv")
    assert [r["method"] for r in runs] == ["ce", "jo_soft"]
    assert all(r["n_train"] == "96" and r["n_test"] == "24" for r in runs)
    assert 0.7 <= float(runs[0]["heldout_accuracy"]) <= 1.0
    assert runs[0]["n_label_issues"] == ""  # ce corrects nothing
    issues = _read(out / "label_issues.csv")
    assert len(issues) == 96
    assert {r["given_label"] for r in issues} == set(COLOURS)
    quality = [float(r["jo_soft_label_quality"]) for r in issues]
    assert quality == sorted(quality)  # lowest quality first
    flagged = {int(r["index"]) for r in issues if r["jo_soft_is_label_issue"] == "True"}
    assert int(runs[1]["n_label_issues"]) == len(flagged)
    in_train = set(flipped) & {int(r["index"]) for r in issues}
    assert len(flagged & in_train) >= len(in_train) - 2  # finds the flipped ones
    assert len(flagged - in_train) <= 2
    # The rows are those of the file: the given label is the file's label.
    with open(path, newline="") as f:
        file_labels = [row["colour"] for row in csv.DictReader(f)]
    assert all(file_labels[int(r["index"])] == r["given_label"] for r in issues)
    doc = json.loads((out / "results.json").read_text())
    assert doc["data"]["classes"] == {"blue": 41, "green": 35, "red": 44}
    assert doc["config"]["test_size"] == 0.2 and len(doc["runs"]) == 2
    assert (out / "report.txt").read_text() in printed


def test_npz_two_seeds(tmp_path, capsys):
    X, y, _ = _blobs(n=60, n_flipped=0)
    np.savez(tmp_path / "data.npz", X=X, y=y.astype(float))  # integral floats
    status = main(
        ["benchmark", "--dataset", str(tmp_path / "data.npz"), "--methods", "ce"]
        + ["--seeds", "0", "1", "--max-epochs", "2", "--no-progress"]
        + ["--output", str(tmp_path / "out")]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "labels from array 'y': 0 (20), 1 (20), 2 (20)" in printed
    assert "mean ± std over 2 seeds" in printed
    assert "none of these methods corrects labels" in printed
    assert not (tmp_path / "out" / "label_issues.csv").exists()
    assert len(_read(tmp_path / "out" / "runs.csv")) == 2


def test_npy_pair_without_holdout(tmp_path, capsys):
    X, y, _ = _blobs(n=60, n_flipped=3)
    np.save(tmp_path / "X.npy", X.astype(np.float32))
    np.save(tmp_path / "y.npy", COLOURS[y])
    status = main(
        ["benchmark", "--dataset", str(tmp_path / "X.npy")]
        + ["--target", str(tmp_path / "y.npy"), "--test-size", "0"]
        + ["--methods", "jo_hard", *QUICK, "--output", str(tmp_path / "out")]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "labels from file 'y.npy'" in printed
    assert "Nothing held out" in printed and "held-out accuracy" not in printed
    assert "Accuracy on clean labels: not measured" in printed
    issues = _read(tmp_path / "out" / "label_issues.csv")
    assert sorted(int(r["index"]) for r in issues) == list(range(60))


@pytest.mark.skipif(not cleanlab_available(), reason="cleanlab is not installed")
def test_cleanlab_method(blobs_csv, tmp_path, capsys):
    path, _ = blobs_csv
    state = np.random.get_state()
    report = run_data_file(
        path, "colour", methods=["cleanlab"], seeds=[0], max_epochs=3, progress=False
    )
    after = np.random.get_state()  # CleanLearning seeds the global generator
    assert np.array_equal(state[1], after[1]) and state[2:] == after[2:]
    (run,) = report["runs"]
    assert run["method"] == "cleanlab" and 0 <= run["heldout_accuracy"] <= 1
    assert run["label_quality"].shape == (96,)
    assert set(run["corrected_labels"]) <= set(COLOURS)
    assert run["n_label_issues"] == run["label_issues"].sum()


def test_cleanlab_missing_is_skipped(blobs_csv, tmp_path, monkeypatch, capsys):
    path, _ = blobs_csv
    monkeypatch.setitem(sys.modules, "cleanlab", None)  # import fails
    argv = ["benchmark", "--dataset", str(path), "--target", "colour", *QUICK]
    argv += ["--output", str(tmp_path / "out")]
    assert main([*argv, "--methods", "ce,cleanlab"]) == 0
    captured = capsys.readouterr()
    assert "skipping method 'cleanlab': the cleanlab package is not" in captured.err
    assert [r["method"] for r in _read(tmp_path / "out" / "runs.csv")] == ["ce"]
    err = _fails([*argv, "--methods", "cleanlab"], capsys)
    assert "method 'cleanlab' needs the cleanlab package" in err
    with pytest.raises(ValueError, match="needs the cleanlab package"):
        run_data_file(path, "colour", methods=["cleanlab"], progress=False)


# --------------------------------------------------------------------------------------
# Clean labels in a file: --noise or --rates injects noise
# --------------------------------------------------------------------------------------
@pytest.fixture
def clean_csv(tmp_path):
    X, y, _ = _blobs(n_flipped=0)
    rows = [[f"{v:.4f}" for v in x] + [label] for x, label in zip(X, COLOURS[y])]
    return _write_csv(tmp_path / "clean.csv", ["f1", "f2", "f3", "f4", "colour"], rows)


def test_noise_injected_into_a_clean_file(clean_csv, tmp_path, capsys):
    out = tmp_path / "res"
    argv = ["benchmark", "--dataset", str(clean_csv), "--target", "colour"]
    argv += ["--noise", "pair", "--rates", "0,0.4", "--methods", "ce,jo_soft"]
    status = main(
        [*argv, "--seeds", "0", "1", "--max-epochs", "10"]
        + ["--output", str(out), "--no-progress"]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "clean.csv: 120 samples, 4 features, 3 classes" in printed
    assert "The file's labels are taken as clean: pair noise is injected" in printed
    assert "clean labels of the 24 held-out samples" in printed
    assert "clean.csv, pair noise: test accuracy on clean test labels" in printed
    assert "label recovery" in printed and "No noise injected" not in printed
    assert {p.name for p in out.iterdir()} == {
        "runs.csv",
        "results.json",
        "table.txt",
        "accuracy.png",
    }
    runs = _read(out / "runs.csv")
    assert len(runs) == 2 * 2 * 2  # rates x methods x seeds
    assert all(r["n_train"] == "96" and r["n_test"] == "24" for r in runs)
    for r in runs:
        flipped = float(r["noise_rate"])
        assert flipped == 0 if r["rate"] == "0.0" else 0.3 < flipped < 0.5
        assert 0.5 <= float(r["test_accuracy"]) <= 1.0  # clean held-out labels
        assert r["ece"] != "" and r["brier"] != ""
    # the same noisy labels for every method of a seed, other ones across seeds
    noisy = {
        (r["method"], r["seed"]): r["noise_rate"] for r in runs if r["rate"] != "0.0"
    }
    assert noisy["ce", "0"] == noisy["jo_soft", "0"]
    doc = json.loads((out / "results.json").read_text())
    assert doc["config"]["noise"] == "pair" and doc["config"]["rates"] == [0.0, 0.4]
    assert doc["config"]["data"]["classes"] == {"blue": 40, "green": 40, "red": 40}


def test_rates_alone_inject_symmetric_noise(clean_csv):
    from sknoisy.benchmark import run_data_file_injected

    report = run_data_file_injected(
        clean_csv,
        "colour",
        rates=[0.3],
        methods=["ce"],
        seeds=[0],
        max_epochs=5,
        progress=False,
    )
    (run,) = report["runs"]
    assert run["noise"] == "symmetric" and run["dataset"] == "clean.csv"
    assert 0.2 < run["noise_rate"] < 0.4 and run["test_accuracy"] > 0.5
    assert report["data"]["n_test"] == 24


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--noise", "asymmetric"], "noise 'asymmetric' uses the MNIST map"),
        (["--noise", "worse"], "unknown noise 'worse'; choose one of symmetric"),
        (["--rates", "1.5"], "rate must be in [0, 1], got 1.5"),
        (["--rates", "0.4", "--test-size", "0"], "test_size 0 holds none out"),
    ],
)
def test_injected_noise_errors_exit_2(clean_csv, extra, message, capsys):
    argv = ["benchmark", "--dataset", str(clean_csv), "--target", "colour", *QUICK]
    assert message in _fails([*argv, *extra], capsys)


# --------------------------------------------------------------------------------------
# Bad files and options: exit status 2 and a message naming the problem
# --------------------------------------------------------------------------------------
def _bad_files(tmp):
    ok = [["1", "2", "x"], ["3", "4", "y"], ["5", "6", "x"], ["7", "8", "y"]]
    files = {
        "ok.csv": ["a", "b", "label"],
        "text.csv": (["a", "b", "label"], [["1", "red", "x"], *ok[1:]]),
        "empty_cell.csv": (["a", "b", "label"], [*ok[:2], ["5", "", "x"]]),
        "nan.csv": (["a", "b", "label"], [*ok[:3], ["NaN", "8", "y"]]),
        "inf.csv": (["a", "b", "label"], [*ok[:3], ["inf", "8", "y"]]),
        "one_class.csv": (["a", "b", "label"], [["1", "2", "x"], ["3", "4", "x"]]),
        "ragged.csv": (["a", "b", "label"], [*ok[:2], ["5", "x"]]),
        "no_label.csv": (["a", "b", "label"], [*ok[:2], ["5", "6", ""]]),
    }
    for name, spec in files.items():
        header, rows = spec if isinstance(spec, tuple) else (spec, ok)
        _write_csv(tmp / name, header, rows)
    (tmp / "header_only.csv").write_text("a,b,label\n")
    (tmp / "data.txt").write_text("a,b\n1,2\n")
    X = np.arange(12.0).reshape(6, 2)
    np.savez(tmp / "no_y.npz", X=X, labels=np.arange(6) % 2)
    X_nan = X.copy()
    X_nan[4, 1] = np.nan
    np.savez(tmp / "nan.npz", X=X_nan, y=np.arange(6) % 2)
    np.savez(tmp / "one_class.npz", X=X, y=np.zeros(6))
    np.savez(tmp / "flat.npz", X=np.arange(6.0), y=np.arange(6) % 2)
    np.savez(tmp / "short_y.npz", X=X, y=np.arange(5) % 2)
    np.savez(tmp / "text_X.npz", X=np.array([["a", "b"]] * 6), y=np.arange(6) % 2)
    (tmp / "garbage.npz").write_bytes(b"not a zip file")
    np.save(tmp / "X.npy", X)
    np.save(tmp / "y_nan.npy", np.array([0, 1, np.nan, 0, 1, 0]))


@pytest.mark.parametrize(
    "args, message",
    [
        (["ok.csv"], "ok.csv: name the label column with --target COLUMN"),
        (
            ["ok.csv", "--target", "lab"],
            "ok.csv has no column 'lab' (--target); its columns are 'a', 'b', 'label'",
        ),
        (
            ["text.csv", "--target", "label"],
            "text.csv: column 'b' is not numeric (line 2: 'red')",
        ),
        (
            ["empty_cell.csv", "--target", "label"],
            "empty_cell.csv: a missing value in column 'b' at line 4",
        ),
        (
            ["nan.csv", "--target", "label"],
            "nan.csv: a missing value ('NaN') in column 'a' at line 5",
        ),
        (
            ["inf.csv", "--target", "label"],
            "inf.csv: an infinite value ('inf') in column 'a' at line 5",
        ),
        (
            ["one_class.csv", "--target", "label"],
            "one_class.csv: the labels hold only one class ('x'); a classifier "
            "needs at least two classes",
        ),
        (
            ["ragged.csv", "--target", "label"],
            "ragged.csv, line 4: 2 fields where the header has 3",
        ),
        (
            ["no_label.csv", "--target", "label"],
            "no_label.csv: a missing value in column 'label' at line 4",
        ),
        (["header_only.csv", "--target", "label"], "has a header but no data rows"),
        (["missing.csv", "--target", "label"], "data file not found: "),
        (["data.txt"], "unknown data file type '.txt'"),
        # every built-in data set is offered, the real-noise ones included
        (["data.txt"], "takes digits, mnist1d, cifar10, cifar10n, cifar100n or a"),
        (["no_y.npz"], "no_y.npz has no array 'y' (it holds 'X', 'labels')"),
        (
            ["nan.npz"],
            "nan.npz: X has a missing value (NaN) at row 4, column 1",
        ),
        (["one_class.npz"], "the labels hold only one class (0)"),
        (["flat.npz"], "X must be 2-D (n_samples, n_features), got shape (6,)"),
        (["short_y.npz"], "X has 6 rows but y has 5 labels"),
        (["text_X.npz"], "X is not numeric (dtype <U1)"),
        (["garbage.npz"], "garbage.npz is not a NumPy .npz file"),
        (["ok.csv", "--target", "label", "--data-dir", "d"], "--data-dir: a data file"),
        (["X.npy"], "give the labels file with --target"),
        (["X.npy", "--target", "nope.npy"], "labels file not found: "),
        (["X.npy", "--target", "y_nan.npy"], "y_nan.npy has a missing or infinite"),
        (
            ["ok.csv", "--target", "label", "--methods", "ce,bogus"],
            "unknown method 'bogus'; choose one of ce,",
        ),
        (
            ["ok.csv", "--target", "label", "--test-size", "0.7"],
            "test_size must be a number in [0, 0.5], got 0.7",
        ),
    ],
)
def test_bad_files_exit_2(args, message, tmp_path, monkeypatch, capsys):
    _bad_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    err = _fails(["benchmark", "--dataset", *args, *QUICK], capsys)
    assert message in err, err


def test_too_small_for_a_stratified_split(tmp_path, capsys):
    rows = [["1", "x"], ["2", "x"], ["3", "y"]]
    path = _write_csv(tmp_path / "tiny.csv", ["a", "label"], rows)
    err = _fails(["benchmark", "--dataset", str(path), "--target", "label"], capsys)
    assert "class 'y' has a single sample" in err and "--test-size 0" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--target", "x"], "--target is for data files; 'digits' is a built-in"),
        (["--test-size", "0.1"], "--test-size is for data files"),
        (["--dataset", "imagenet"], "or a .csv, .npz or .npy data file"),
    ],
)
def test_builtin_options_exit_2(argv, message, capsys):
    assert message in _fails(["benchmark", *argv], capsys)


# --------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------
def test_load_csv_conventions(tmp_path):
    # semicolons, blank lines, a byte-order mark, integer labels, spaces
    text = "\ufeffa;b;label\n1;2.5;3\n\n 3 ;4e1; 7\n5;6;3\n"
    (tmp_path / "semi.csv").write_text(text, encoding="utf-8")
    data = load_data_file(tmp_path / "semi.csv", "label")
    assert data.X.dtype == np.float32
    np.testing.assert_array_equal(data.X, [[1, 2.5], [3, 40], [5, 6]])
    assert data.y.tolist() == [3, 7, 3] and data.y.dtype.kind == "i"
    assert data.feature_names == ["a", "b"] and data.labels_from == "column 'label'"


def test_load_npz_string_labels(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.eye(4, dtype=int), y=np.array(["a", "b"] * 2))
    data = load_data_file(tmp_path / "d.npz")
    assert data.X.dtype == np.float32 and data.y.tolist() == ["a", "b", "a", "b"]
    with pytest.raises(DataFileError, match="--target is for .csv and .npy"):
        load_data_file(tmp_path / "d.npz", "y")


def test_is_data_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert not is_data_file("digits") and not is_data_file("imagenet")
    assert is_data_file("missing.csv") and is_data_file("X.NPY")
    assert is_data_file(Path("anything"))
    (tmp_path / "table").write_text("a\n")
    assert is_data_file("table")  # an existing path
    (tmp_path / "digits").write_text("a\n")
    assert not is_data_file("digits")  # built-in names win; use ./digits


# --------------------------------------------------------------------------------------
# Help and tables
# --------------------------------------------------------------------------------------
def test_help_shows_defaults_plainly(capsys):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["benchmark", "--help"])
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # undo the line wrapping
    for default in (
        "(default: digits)",
        "(default: 0.2)",
        "(default: symmetric)",
        "(default: 0 0.2 0.4 0.6 0.8)",
        "(default: ce label_smoothing gce truncated_gce encouraging jo_soft)",
        "(default: 0 1 2)",
        "(default: 50)",
        "(default: cpu)",
        "(default: 1)",
        "(default: benchmark_results)",
        "--dataset X.npy --target y.npy",
        "FILE.npz (arrays X and y)",
        "cleanlab",
    ):
        assert default in text, default
    assert "[[" not in text and "None" not in text


def _run(seed, acc, recovery=None, warning=None):
    return {
        "dataset": "digits",
        "noise": "symmetric",
        "rate": 0.4,
        "method": "jo_soft",
        "seed": seed,
        "test_accuracy": acc,
        "label_recovery": recovery,
        "noisy_label_recovery": None,
        "noise_rate": 0.4,
        "fit_seconds": 1.0,
        "correction_warning": warning,
    }


def test_one_seed_prints_no_plus_minus():
    table = format_table([_run(0, 0.9, 0.95)])
    assert "±" not in table
    assert "one seed" in table and "0.900" in table and "0.950" in table
    # two seeds that agree exactly still show their (zero) spread
    assert "0.900 ± 0.000" in format_table([_run(0, 0.9, 0.95), _run(1, 0.9, 0.95)])
    # one run left after the warned one is left out of the recovery mean
    table = format_table([_run(0, 0.8, 0.9), _run(1, 0.9, 0.5, "never started")])
    assert "0.900 ! (1/2 left out)" in table and "0.850 ± 0.050" in table
