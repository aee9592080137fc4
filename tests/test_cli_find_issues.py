"""``sknoisy find-issues``: every row of a user's data scored, traced back to it."""

import csv

import numpy as np
import pytest

from sknoisy.__main__ import main
from sknoisy.benchmark import DataFileError, load_data_file

COLOURS = np.array(["red", "green", "blue"])
ISSUE_HEADER = [
    "is_label_issue",
    "label_quality",
    "given_label",
    "predicted_label",
    "corrected_label",
]


def _blobs(n=150, n_flipped=30, seed=0):
    """Three separated blobs; ``n_flipped`` labels (20%) moved to another class."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], n // 3)
    X = rng.normal(size=(n, 4)) + 4 * np.eye(3, 4)[y]
    X[:, 3] = 1000 + 100 * X[:, 3]  # a raw, unscaled column
    flipped = rng.choice(n, n_flipped, replace=False)
    noisy = y.copy()
    noisy[flipped] = (noisy[flipped] + rng.integers(1, 3, n_flipped)) % 3
    return X, noisy, np.sort(flipped)


def _write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], [dict(zip(rows[0], row)) for row in rows[1:]]


def _fails(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    return capsys.readouterr().err


@pytest.fixture
def noisy_csv(tmp_path):
    """String IDs (not in row order), a text column, string labels, 20% flipped."""
    X, y, flipped = _blobs()
    ids = [f"s-{(37 * i) % 151:03d}" for i in range(len(y))]
    header = ["sample_id", "f1", "f2", "note", "f3", "f4", "colour"]
    rows = [
        [ids[i], f"{x[0]:.4f}", f"{x[1]:.4f}", f"seen by {'ab'[i % 2]}, ok"]
        + [f"{x[2]:.4f}", f"{x[3]:.2f}", COLOURS[y[i]]]
        for i, x in enumerate(X)
    ]
    path = _write_csv(tmp_path / "noisy.csv", header, rows)
    return path, header, rows, {ids[i] for i in flipped}


# --------------------------------------------------------------------------------------
# End to end
# --------------------------------------------------------------------------------------
def test_csv_every_row_with_its_id_and_columns(noisy_csv, tmp_path, capsys):
    path, header, file_rows, flipped = noisy_csv
    out = tmp_path / "review" / "issues.csv"
    argv = ["find-issues", str(path), "--target", "colour", "--id", "sample_id"]
    argv += ["--ignore", "note", "--max-epochs", "30", "--no-progress"]
    assert main([*argv, "--output", str(out)]) == 0
    printed = capsys.readouterr().out

    out_header, rows = _read(out)
    others = [c for c in header if c != "sample_id"]
    assert out_header == ["sample_id", "line", *ISSUE_HEADER, *others]
    # every row once, its ID kept, its cells exactly as in the file
    assert len(rows) == len(file_rows)
    by_id = {r[0]: (line, r) for line, r in enumerate(file_rows, start=2)}
    assert {r["sample_id"] for r in rows} == set(by_id)
    for row in rows:
        line, cells = by_id[row["sample_id"]]
        assert int(row["line"]) == line
        assert [row[c] for c in others] == cells[1:]
        assert row["given_label"] == row["colour"]
        assert row["predicted_label"] in COLOURS and row["corrected_label"] in COLOURS
    quality = [float(r["label_quality"]) for r in rows]
    assert quality == sorted(quality) and 0 <= quality[0] and quality[-1] <= 1
    # the flagged rows are mostly the flipped ones
    flagged = {r["sample_id"] for r in rows if r["is_label_issue"] == "True"}
    assert len(flagged & flipped) >= 0.8 * len(flipped)
    assert len(flagged & flipped) >= 0.8 * len(flagged)

    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "noisy.csv: 150 rows, 4 features, 3 classes" in printed
    assert "IDs from column 'sample_id'; ignored: 'note'" in printed
    assert f"Label issues: {len(flagged)} of 150 rows" in printed
    assert "given label  rows  flagged  share" in printed
    worst = [r["sample_id"] for r in rows[:10]]
    assert all(i in printed for i in worst) and rows[10]["sample_id"] not in printed
    assert f"Wrote {out} (every row, lowest label quality first)" in printed


def test_npz_rows_by_position_threshold_default_output(tmp_path, monkeypatch, capsys):
    X, y, _ = _blobs(n=60, n_flipped=6)
    np.savez(tmp_path / "arrays.npz", X=X, y=y)
    monkeypatch.chdir(tmp_path)
    argv = ["find-issues", "arrays.npz", "--threshold", "0.5", "--max-epochs", "5"]
    assert main(argv) == 0
    printed, err = capsys.readouterr()
    assert "5/5" in err and "epoch" in err  # the progress bar, on stderr
    # too few epochs for the correction window: said under the summary
    assert "! Label correction ran for only" in printed
    header, rows = _read(tmp_path / "arrays_label_issues.csv")
    assert header == ["row", *ISSUE_HEADER]
    assert sorted(int(r["row"]) for r in rows) == list(range(60))
    assert all(int(r["given_label"]) == y[int(r["row"])] for r in rows)
    flagged = [r["is_label_issue"] == "True" for r in rows]
    assert flagged == [float(r["label_quality"]) < 0.5 for r in rows]
    assert "where the label quality below 0.5" in printed
    assert (tmp_path / "arrays_label_issues.png").is_file()


def test_column_names_of_the_file_win(tmp_path, capsys):
    # A file column named like an added one keeps its name; ours is prefixed.
    X, y, _ = _blobs(n=30, n_flipped=0)
    rows = [
        [f"{x[0]:.3f}", f"{x[1]:.3f}", f"r{i}", "x", c]
        for i, (x, c) in enumerate(zip(X, y))
    ]
    header = ["a", "b", "line", "given_label", "label"]
    path = _write_csv(tmp_path / "clash.csv", header, rows)
    out = tmp_path / "clash_out.csv"
    argv = [
        "find-issues",
        str(path),
        "--target",
        "label",
        "--ignore",
        "line,given_label",
    ]
    assert (
        main([*argv, "--max-epochs", "2", "--no-progress", "--output", str(out)]) == 0
    )
    out_header, out_rows = _read(out)
    assert out_header[:4] == [
        "sknoisy_line",
        "is_label_issue",
        "label_quality",
        "sknoisy_given_label",
    ]
    assert out_header[-5:] == header
    assert {r["line"] for r in out_rows} == {f"r{i}" for i in range(30)}
    assert all(r["given_label"] == "x" for r in out_rows)
    capsys.readouterr()


def _image_folder(root, n=6, size=8):
    """Dark and bright PNGs in two class folders; one of each misfiled."""
    from PIL import Image

    rng = np.random.default_rng(0)
    files = []
    for name, level in (("dark", 40), ("bright", 215)):
        (root / name).mkdir(parents=True)
        for i in range(n):
            pixels = np.clip(rng.normal(level, 20, (size, size, 3)), 0, 255)
            path = root / name / f"{name}{i}.png"
            Image.fromarray(pixels.astype(np.uint8)).save(path)
            files.append(path)
    (root / "dark" / "dark0.png").rename(root / "bright" / "dark0.png")
    (root / "bright" / "bright0.png").rename(root / "dark" / "bright0.png")
    return root


def test_image_folder_paths_and_class_names(tmp_path, capsys):
    folder = _image_folder(tmp_path / "shots")
    out = tmp_path / "shots.csv"
    argv = ["find-issues", str(folder), "--image-size", "8", "--max-epochs", "12"]
    assert main([*argv, "--no-progress", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    header, rows = _read(out)
    assert header == ["path", *ISSUE_HEADER]
    expected = {p.relative_to(folder).as_posix() for p in folder.glob("*/*.png")}
    assert {r["path"] for r in rows} == expected and len(rows) == 12
    assert all(r["given_label"] == r["path"].split("/")[0] for r in rows)
    assert {r["predicted_label"] for r in rows} <= {"bright", "dark"}
    assert "shots: 12 images in 2 class folders, resized to 8x8" in printed
    # the two misfiled images come first, flagged, with the right class name
    misfiled = {"bright/dark0.png": "dark", "dark/bright0.png": "bright"}
    assert {r["path"] for r in rows[:2]} == set(misfiled)
    assert all(misfiled[r["path"]] == r["corrected_label"] for r in rows[:2])
    assert [r["is_label_issue"] for r in rows] == ["True"] * 2 + ["False"] * 10
    assert "bright/dark0.png" in printed


def test_unwritable_output_exit_2(noisy_csv, tmp_path, capsys):
    path = noisy_csv[0]
    (tmp_path / "taken").write_text("a file, not a folder")
    argv = ["find-issues", str(path), "--target", "colour", "--id", "sample_id"]
    argv += ["--ignore", "note", "--max-epochs", "1", "--no-progress"]
    err = _fails([*argv, "--output", str(tmp_path / "taken" / "out.csv")], capsys)
    assert "--output: cannot write" in err


def test_help_points_benchmark_users_to_find_issues(capsys):
    with pytest.raises(SystemExit) as info:
        main(["benchmark", "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "sknoisy find-issues FILE" in text and "find-issues --help" in text
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "find-issues" in capsys.readouterr().out


# --------------------------------------------------------------------------------------
# Errors: exit status 2, a message naming what to change
# --------------------------------------------------------------------------------------
def _bad_inputs(tmp):
    ok = [["a", "1", "0.5", "x"], ["b", "2", "0.1", "y"], ["c", "3", "0.7", "x"]]
    _write_csv(tmp / "ok.csv", ["id", "f", "g", "label"], ok)
    dup = [["a", "1", "x"], ["b", "2", "y"], ["a", "3", "x"], ["b", "4", "y"]]
    _write_csv(tmp / "dup.csv", ["id", "f", "label"], dup)
    _write_csv(
        tmp / "empty_id.csv", ["id", "f", "label"], [["a", "1", "x"], ["", "2", "y"]]
    )
    _write_csv(
        tmp / "text.csv", ["name", "f", "label"], [["a", "1", "x"], ["b", "2", "y"]]
    )
    (tmp / "data.txt").write_text("a,b\n1,2\n")
    (tmp / "empty_dir").mkdir()
    (tmp / "one_class" / "cats").mkdir(parents=True)
    from PIL import Image

    Image.new("RGB", (4, 4)).save(tmp / "one_class" / "cats" / "c.png")


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["ok.csv", "--target", "label", "--id", "ID", "--ignore", "h", "g"],
            "ok.csv has no column 'ID' (--id), 'h' (--ignore); its columns are "
            "'id', 'f', 'g', 'label'",
        ),
        (["ok.csv", "--target", "lab"], "no column 'lab' (--target); its columns"),
        (
            ["dup.csv", "--target", "label", "--id", "id"],
            "the ID column 'id' repeats 'a' (lines 2 and 4) (and 1 more repeated "
            "value); each row needs its own ID",
        ),
        (
            ["empty_id.csv", "--target", "label", "--id", "id"],
            "the ID column 'id' is empty at line 3",
        ),
        (
            ["text.csv", "--target", "label"],
            "column 'name' is not numeric (line 2: 'a'); leave text columns out "
            "of the features with --ignore name (they are kept in the output), "
            "name the rows with --id name",
        ),
        (
            ["ok.csv", "--target", "label", "--id", "label"],
            "column 'label' is given as --target and as --id; a column has one role",
        ),
        (
            ["ok.csv", "--target", "label", "--id", "id", "--ignore", "f,g"],
            "ok.csv has no feature column besides 'label', 'id', 'f', 'g'",
        ),
        (["ok.csv"], "ok.csv: name the label column with --target COLUMN"),
        (["ok.csv", "--target", "label", "--image-size", "8"], "for image folders"),
        (["ok.csv", "--target", "label", "--output", "o.txt"], "name a .csv file"),
        (["ok.csv", "--target", "label", "--output", "ok.csv"], "is the data file"),
        (["ok.csv", "--target", "label", "--threshold", "2"], "in [0, 1], got 2"),
        (["missing.csv", "--target", "label"], "data file or folder not found"),
        (["data.txt"], "unknown data file type '.txt'"),
        (["empty_dir"], "empty_dir: not an image folder"),
        (["one_class"], "in a single class folder ('cats')"),
        (["one_class", "--target", "y"], "--target is for data files"),
    ],
)
def test_bad_inputs_exit_2(args, message, tmp_path, monkeypatch, capsys):
    _bad_inputs(tmp_path)
    monkeypatch.chdir(tmp_path)
    err = _fails(["find-issues", *args, "--max-epochs", "1", "--no-progress"], capsys)
    assert message in err, err
    assert not list(tmp_path.glob("*_label_issues.csv"))  # nothing written


def test_load_data_file_id_and_ignore(tmp_path):
    rows = [["b7", "1", "note", "2.5", "x"], ["a1", "3", "n", "4", "y"]]
    path = _write_csv(tmp_path / "d.csv", ["id", "a", "txt", "b", "label"], rows)
    data = load_data_file(path, "label", id_column="id", ignore=["txt"], keep_rows=True)
    assert data.feature_names == ["a", "b"] and data.ignored == ["txt"]
    np.testing.assert_array_equal(data.X, [[1, 2.5], [3, 4]])
    assert data.ids.tolist() == ["b7", "a1"] and data.lines.tolist() == [2, 3]
    assert data.rows == rows and data.columns == ["id", "a", "txt", "b", "label"]
    # benchmark reads without them: its message offers no option it lacks
    with pytest.raises(DataFileError, match="or drop them") as info:
        load_data_file(path, "label")
    assert "--ignore" not in str(info.value)
    np.savez(tmp_path / "d.npz", X=np.eye(2), y=[0, 1])
    with pytest.raises(DataFileError, match="--id names a column of a .csv file"):
        load_data_file(tmp_path / "d.npz", id_column="id")
