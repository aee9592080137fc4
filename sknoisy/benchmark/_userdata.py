"""Read a user's data file for ``sknoisy benchmark --dataset PATH``.

Three layouts are read: a ``.csv`` file with a header row (``--target COLUMN``
names the label column, every other column is a numeric feature, except an
ID column and ignored columns when :func:`load_data_file` is given them), a
``.npz``
archive holding the arrays ``X`` and ``y`` (``numpy.savez(path, X=X, y=y)``),
and a pair of ``.npy`` files, the features given as the data set and the
labels as the target (``--dataset X.npy --target y.npy``). Anything that
cannot be trained on as it is (a missing column, a non-numeric feature, a
missing value, a single class) raises :class:`DataFileError` with a message
naming the problem and where it is.
"""

from __future__ import annotations

import csv
import io
import math
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._data import DATASETS

__all__ = ["DataFileError", "UserData", "is_data_file", "load_data_file"]

#: File types read by :func:`load_data_file`.
SUFFIXES = (".csv", ".npz", ".npy")
# Cells read as a missing value (compared case-insensitively, after stripping).
_MISSING = frozenset({"", "nan", "na", "n/a", "null", "none", "?"})


class DataFileError(ValueError):
    """A data file that cannot be benchmarked as it is; the message says why."""


@dataclass
class UserData:
    """Features and labels read from a user's data file.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), dtype=float32
        The features.
    y : ndarray of shape (n_samples,)
        The labels as given: integers when every label is an integer,
        strings otherwise.
    name : str
        The file name, used as the data set's name in reports.
    target : str or None
        The label column (CSV) or labels file (``.npy`` pair).
    feature_names : list of str
        Column names (CSV) or ``x0, x1, ...``.
    labels_from : str
        Where the labels come from, for reports (``column 'label'``).
    id_column : str or None
        CSV: the ID column (``id_column`` of :func:`load_data_file`).
    ids : ndarray of shape (n_samples,) or None
        CSV with an ID column: each row's ID, a string as in the file.
    ignored : list of str
        CSV: the columns left out of the features (``ignore``).
    lines : ndarray of shape (n_samples,) or None
        CSV: each row's line number in the file, as an editor shows it (the
        header is line 1).
    columns : list of str
        CSV: the header, every column in the file's order.
    rows : list of list of str or None
        CSV read with ``keep_rows=True``: each row's cells exactly as in the
        file.
    """

    X: np.ndarray
    y: np.ndarray
    name: str
    target: str | None = None
    feature_names: list = field(default_factory=list)
    labels_from: str = ""
    id_column: str | None = None
    ids: np.ndarray | None = None
    ignored: list = field(default_factory=list)
    lines: np.ndarray | None = None
    columns: list = field(default_factory=list)
    rows: list | None = None

    @property
    def classes(self):
        """The distinct labels and how many samples carry each."""
        return np.unique(self.y, return_counts=True)


def is_data_file(dataset):
    """Whether ``dataset`` names a user's file rather than a built-in data set.

    Parameters
    ----------
    dataset : object
        The ``dataset`` setting of a benchmark.

    Returns
    -------
    is_file : bool
        True for a path-like object, a name ending in ``.csv``, ``.npz`` or
        ``.npy``, or an existing path that is not a built-in name
        (``digits``, ``mnist1d``, ``cifar10``...).
    """
    from ._data import DATASETS

    if isinstance(dataset, os.PathLike):
        return True
    if not isinstance(dataset, str) or dataset in DATASETS:
        return False
    return Path(dataset).suffix.lower() in SUFFIXES or Path(dataset).exists()


def _label(value):
    return repr(value.item() if isinstance(value, np.generic) else value)


def _as_labels(values):
    """Labels from strings: ints when every label reads as one, else str."""
    try:
        return np.array([int(v) for v in values], dtype=np.int64)
    except ValueError:
        return np.array(values, dtype=str)


def _check_labels(y, name):
    labels, counts = np.unique(y, return_counts=True)
    if len(labels) < 2:
        what = f"only one class ({_label(labels[0])})" if len(labels) else "no labels"
        raise DataFileError(
            f"{name}: the labels hold {what}; a classifier needs at least two classes."
        )
    return y


def _open_text(path):
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"{path.name} is not a UTF-8 text file ({exc.reason} at byte "
            f"{exc.start}); save the CSV as UTF-8."
        ) from None


def _dialect(text):
    try:
        return csv.Sniffer().sniff(text[:65536], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _columns_error(name, header, unknown):
    """No column of these names: list them and the file's columns."""
    what = ", ".join(f"{column!r} ({option})" for column, option in unknown)
    return DataFileError(
        f"{name} has no column {what}; its columns are {', '.join(map(repr, header))}."
    )


def _check_roles(name, header, target, id_column, ignore):
    """Indices of the label, ID and ignored columns; one error names every clash."""
    roles = [(target, "--target")]
    if id_column is not None:
        roles.append((id_column, "--id"))
    roles += [(column, "--ignore") for column in ignore or ()]
    unknown = [(column, option) for column, option in roles if column not in header]
    if unknown:
        raise _columns_error(name, header, unknown)
    for column, _ in roles:
        if header.count(column) > 1:
            raise DataFileError(
                f"{name} has {header.count(column)} columns named {column!r}."
            )
    seen = {}
    for column, option in roles:
        if column in seen and not (option == seen[column] == "--ignore"):
            raise DataFileError(
                f"{name}: column {column!r} is given as {seen[column]} and as "
                f"{option}; a column has one role."
            )
        seen.setdefault(column, option)
    i_id = None if id_column is None else header.index(id_column)
    return header.index(target), i_id, {header.index(c) for c in ignore or ()}


def _check_ids(name, id_column, ids, lines):
    """Every row has its own, non-empty ID."""
    first, repeated = {}, {}
    for value, line in zip(ids, lines):
        if not value:
            raise DataFileError(
                f"{name}: the ID column {id_column!r} is empty at line {line}; "
                "every row needs an ID (or leave out --id to use line numbers)."
            )
        if value in first:
            repeated.setdefault(value, (first[value], line))
        else:
            first[value] = line
    if repeated:
        value, (a, b) = next(iter(repeated.items()))
        more = len(repeated) - 1
        others = f" (and {more} more repeated value{'s' if more > 1 else ''})"
        raise DataFileError(
            f"{name}: the ID column {id_column!r} repeats {value!r} (lines {a} and "
            f"{b}){others if more else ''}; each row needs its own ID (or leave "
            "out --id to use line numbers)."
        )


def _read_csv(path, target, id_column=None, ignore=None, keep_rows=False):
    if target is None:
        raise DataFileError(f"{path.name}: name the label column with --target COLUMN.")
    text = _open_text(path)
    rows = csv.reader(io.StringIO(text), _dialect(text))
    header = next(rows, None)
    if not header or not any(h.strip() for h in header):
        raise DataFileError(
            f"{path.name} is empty; the first row must name the columns."
        )
    header = [h.strip() for h in header]
    t, i_id, ignored = _check_roles(path.name, header, target, id_column, ignore)
    features = [i for i in range(len(header)) if i not in {t, i_id} | ignored]
    if not features:
        besides = [target] + [header[i] for i in sorted({i_id} - {None} | ignored)]
        raise DataFileError(
            f"{path.name} has no feature column besides "
            f"{', '.join(map(repr, besides))}."
        )
    columns = [[] for _ in features]
    labels, problems, ids, lines, kept = [], {}, [], [], []
    # Line numbers as an editor shows them: the header is line 1.
    for row in rows:
        line = rows.line_num
        if not row or not any(cell.strip() for cell in row):
            continue  # blank line, as pandas.read_csv skips it
        if len(row) != len(header):
            raise DataFileError(
                f"{path.name}, line {line}: {len(row)} fields where the header "
                f"has {len(header)}."
            )
        lines.append(line)
        if keep_rows:
            kept.append(row)
        if i_id is not None:
            ids.append(row[i_id].strip())
        label = row[t].strip()
        if label.lower() in _MISSING:
            problems.setdefault(("missing", target), (line, row[t]))
        labels.append(label)
        for column, i in zip(columns, features):
            cell = row[i].strip()
            try:
                value = float(cell)
            except ValueError:
                value = math.nan
                kind = "missing" if cell.lower() in _MISSING else "text"
                problems.setdefault((kind, header[i]), (line, cell))
            else:
                if not math.isfinite(value):
                    kind = "missing" if math.isnan(value) else "infinite"
                    problems.setdefault((kind, header[i]), (line, cell))
            column.append(value)
    if not labels:
        raise DataFileError(f"{path.name} has a header but no data rows.")
    if problems:
        raise DataFileError(
            _csv_problem(path.name, problems, ignore is not None, id_column is None)
        )
    if i_id is not None:
        _check_ids(path.name, id_column, ids, lines)
    X = np.array(columns, dtype=np.float32).T
    y = _check_labels(_as_labels(labels), path.name)
    names = [header[i] for i in features]
    return UserData(
        X,
        y,
        path.name,
        target,
        names,
        f"column {target!r}",
        id_column=id_column,
        ids=None if i_id is None else np.array(ids, dtype=object),
        ignored=[header[i] for i in sorted(ignored)],
        lines=np.array(lines, dtype=np.int64),
        columns=header,
        rows=kept if keep_rows else None,
    )


def _csv_problem(name, problems, can_ignore=False, offer_id=False):
    """The message for the first kind of problem found (text, missing, infinite).

    ``can_ignore``: the caller takes ``--ignore`` and ``--id`` options
    (``sknoisy find-issues``), which the message then offers for text columns;
    ``offer_id``: no ID column is named yet, so ``--id`` is offered too.
    """
    for kind in ("text", "missing", "infinite"):
        found = [(col, where) for (k, col), where in problems.items() if k == kind]
        if not found:
            continue
        (column, (line, cell)), more = found[0], len(found) - 1
        others = f" (and {more} more column{'s' if more > 1 else ''})" if more else ""
        if kind == "text" and can_ignore:
            texts = " ".join(col for col, _ in found)
            id_hint = (
                f"name the rows with --id {column} if it holds their IDs, "
                if offer_id
                else ""
            )
            return (
                f"{name}: column {column!r} is not numeric (line {line}: "
                f"{cell!r}){others}; leave text columns out of the features "
                f"with --ignore {texts} (they are kept in the output), {id_hint}"
                "or encode such features as numbers (for example one-hot)."
            )
        if kind == "text":
            return (
                f"{name}: column {column!r} is not numeric (line {line}: "
                f"{cell!r}){others}; encode such features as numbers (for example "
                "one-hot) or drop them."
            )
        what = (
            "a missing value" if kind == "missing" else f"an infinite value ({cell!r})"
        )
        shown = "" if kind != "missing" or not cell else f" ({cell!r})"
        return (
            f"{name}: {what}{shown} in column {column!r} at line {line}{others}; "
            "fill in or drop the rows with missing values first."
        )
    raise AssertionError(problems)  # pragma: no cover


def _load_npy(path, what):
    magic = b"\x93NUMPY" if path.suffix.lower() == ".npy" else b"PK"
    with open(path, "rb") as f:
        if not f.read(len(magic)) == magic:
            raise DataFileError(
                f"{path.name} is not a NumPy {path.suffix.lower()} file (save it "
                "with numpy.save or numpy.savez)."
            )
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise DataFileError(
                f"{path.name}: {what} holds Python objects; save plain numeric "
                "(labels: numeric or string) arrays."
            ) from None
        raise DataFileError(f"cannot read {path.name}: {exc}") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataFileError(f"cannot read {path.name}: {exc}") from None


def _check_arrays(X, y, name, x_name="X", y_name="y"):
    """Validate features and labels read from .npz or .npy files."""
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2:
        raise DataFileError(
            f"{name}: {x_name} must be 2-D (n_samples, n_features), got shape "
            f"{X.shape}."
        )
    if X.dtype.kind not in "biuf":
        raise DataFileError(f"{name}: {x_name} is not numeric (dtype {X.dtype}).")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataFileError(f"{name}: {y_name} must be 1-D, got shape {y.shape}.")
    if len(y) != len(X):
        raise DataFileError(
            f"{name}: {x_name} has {len(X)} rows but {y_name} has {len(y)} labels."
        )
    if X.dtype.kind == "f":
        bad = np.argwhere(~np.isfinite(X))
        if len(bad):
            row, col = bad[0]
            kind = (
                "a missing value (NaN)"
                if np.isnan(X[row, col])
                else "an infinite value"
            )
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            raise DataFileError(
                f"{name}: {x_name} has {kind} at row {row}, column {col}{more}; "
                "fill in or drop the rows with missing values first."
            )
    if y.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(y))
        if len(bad):
            raise DataFileError(
                f"{name}: {y_name} has a missing or infinite label at row {bad[0]}."
            )
        if np.all(y == np.round(y)):
            y = y.astype(np.int64)
    elif y.dtype.kind == "S":
        y = y.astype(str)
    elif y.dtype.kind not in "biuU":
        raise DataFileError(f"{name}: {y_name} has unusable labels (dtype {y.dtype}).")
    y = _check_labels(y, name)
    names = [f"x{i}" for i in range(X.shape[1])]
    return X.astype(np.float32), y, names


def _read_npz(path, target):
    if target is not None:
        raise DataFileError(
            f"{path.name}: --target is for .csv and .npy files; a .npz file holds "
            "the arrays X and y."
        )
    with _load_npy(path, "the archive") as archive:
        missing = [key for key in ("X", "y") if key not in archive.files]
        if missing:
            raise DataFileError(
                f"{path.name} has no array {' or '.join(map(repr, missing))} (it "
                f"holds {', '.join(map(repr, archive.files)) or 'nothing'}); save "
                "it with numpy.savez(path, X=X, y=y)."
            )
        try:
            X, y = archive["X"], archive["y"]
        except ValueError:
            raise DataFileError(
                f"{path.name}: X or y holds Python objects; save plain numeric "
                "(labels: numeric or string) arrays."
            ) from None
    X, y, names = _check_arrays(X, y, path.name)
    return UserData(X, y, path.name, None, names, "array 'y'")


def _read_npy_pair(path, target):
    if target is None:
        raise DataFileError(
            f"{path.name}: give the labels file with --target, e.g. --dataset "
            "X.npy --target y.npy."
        )
    labels = Path(target).expanduser()
    if labels.suffix.lower() != ".npy":
        raise DataFileError(
            f"--target {target!r}: with a .npy features file the target is a .npy "
            "labels file."
        )
    if not labels.is_file():
        raise DataFileError(f"labels file not found: {target}")
    X = _load_npy(path, "the features array")
    y = _load_npy(labels, "the labels array")
    name = f"{path.name} + {labels.name}"
    X, y, names = _check_arrays(X, y, name, path.name, labels.name)
    return UserData(X, y, path.name, labels.name, names, f"file {labels.name!r}")


def load_data_file(path, target=None, *, id_column=None, ignore=None, keep_rows=False):
    """Read features and labels from a ``.csv``, ``.npz`` or ``.npy`` file.

    Parameters
    ----------
    path : str or path-like
        ``.csv``: a header row, then one sample per row (comma, semicolon or
        tab separated). ``.npz``: the arrays ``X`` (2-D) and ``y`` (1-D).
        ``.npy``: the 2-D features array; ``target`` is the labels file.
    target : str, default=None
        ``.csv``: the label column (required). ``.npy``: the path of the
        labels ``.npy`` file (required). ``.npz``: not used.

    Returns
    -------
    data : UserData
        ``X`` as float32 and ``y`` as given (strings allowed).

    Raises
    ------
    DataFileError
        The file is missing or has an unknown type; the label column is
        missing; a feature is not numeric; a value is missing (empty, ``NA``,
        ``NaN``) or infinite; or the labels hold a single class; a column
        named by ``id_column`` or ``ignore`` is missing; IDs repeat or are
        empty. The message names the column and line (CSV) or row and column
        (arrays).
    """
    path = Path(path).expanduser()
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataFileError(
            f"unknown data file type {suffix or '(no extension)'!r} of {str(path)!r}; "
            f"--dataset takes {', '.join(DATASETS)} or a .csv, .npz or .npy file."
        )
    if not path.is_file():
        raise DataFileError(f"data file not found: {path}")
    if suffix == ".csv":
        return _read_csv(path, target, id_column, ignore, keep_rows)
    if id_column is not None or ignore:
        option = "--id" if id_column is not None else "--ignore"
        raise DataFileError(
            f"{path.name}: {option} names a column of a .csv file; the rows of a "
            f"{suffix} file are named by their position."
        )
    reader = {".npz": _read_npz, ".npy": _read_npy_pair}[suffix]
    return reader(path, target)
