"""Validation and encoding of an annotator matrix (one column per annotator)."""

from __future__ import annotations

import numpy as np

__all__ = ["encode_votes", "majority_vote", "MISSING"]

#: The code of a missing vote in an encoded vote matrix.
MISSING = -1


def label_kind(value):
    """The kind of a label, to tell labels of mixed types apart in messages.

    ``"str"``, ``"bool"``, ``"number"`` (Python and NumPy numbers) or the
    type's name.

    Examples
    --------
    >>> from sknoisy.annotators._votes import label_kind
    >>> label_kind("cat"), label_kind(3), label_kind(True), label_kind(None)
    ('str', 'number', 'bool', 'NoneType')
    """
    if isinstance(value, str):
        return "str"
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, float, np.number)):
        return "number"
    return type(value).__name__


def _missing_mask(values):
    """True where an entry of the object or float array ``values`` is missing."""
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind != "O":
        return np.zeros(values.shape, dtype=bool)
    try:
        import pandas as pd

        return np.asarray(pd.isna(values), dtype=bool)
    except ImportError:  # pragma: no cover - pandas is optional
        return np.vectorize(
            lambda v: v is None or (isinstance(v, float) and v != v), otypes=[bool]
        )(values)


def _to_array(A):
    """A as a 2-D ndarray (object for a DataFrame), with column names if any."""
    names = None
    if hasattr(A, "columns") and hasattr(A, "to_numpy"):  # a DataFrame
        names = [str(c) for c in A.columns]
        A = A.to_numpy(dtype=object)
    elif hasattr(A, "to_numpy"):  # a Series
        A = A.to_numpy(dtype=object)
    elif hasattr(A, "detach"):  # a torch tensor
        A = A.detach().cpu().numpy()
    elif not isinstance(A, np.ndarray):
        A = np.asarray(A, dtype=object)
        if A.size and all(isinstance(v, (int, np.integer)) for v in A.flat):
            A = A.astype(np.int64)
    return A, names


def _column_name(k, names):
    return f"{names[k]!r}" if names is not None else str(k)


def _observed_labels(values):
    """The observed labels as an array of one type (numbers, str...)."""
    if values.dtype.kind == "f":
        if np.all(values == np.round(values)):
            return values.astype(np.int64)  # ints stored as float next to NaN
        return values
    if values.dtype.kind != "O":
        return values
    kinds = {}
    for value in values:
        kinds.setdefault(label_kind(value), value)
    if len(kinds) > 1:
        examples = ", ".join(f"{kind} ({value!r})" for kind, value in kinds.items())
        raise ValueError(
            f"The annotator labels mix label types: {examples}. Give every label "
            "the same type, e.g. A.astype(str) with missing votes kept as None."
        )
    if set(kinds) <= {"number", "bool"}:
        return _observed_labels(np.asarray(values.tolist()))
    return values


def encode_votes(A, classes=None):
    """Validate an annotator matrix and encode its labels as class codes.

    Parameters
    ----------
    A : array-like of shape (n_samples, n_annotators)
        One column per annotator, one row per sample: the label the annotator
        gave the sample, or a missing entry (``NaN``, ``None``, ``pd.NA``)
        where the annotator did not label it. Labels of any one type (ints,
        strings...); a DataFrame, a NumPy array (float with ``NaN``, or
        object) or a list of rows.
    classes : array-like of shape (n_classes,), default=None
        The class labels, in the order of the codes; ``None`` uses the sorted
        labels found in ``A``. Every label of ``A`` must be among them.

    Returns
    -------
    codes : ndarray of shape (n_samples, n_annotators), dtype=int64
        Position of each vote's label in ``classes``, ``-1`` where missing.
    classes : ndarray of shape (n_classes,)
        The class labels. Whole-number floats (ints stored next to ``NaN``)
        become int64.

    Raises
    ------
    ValueError
        When ``A`` is not 2-D, has one column, a column without any label, a
        row without any label, mixes label types, or holds labels that are not
        in ``classes``; the message says what to change.

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.annotators import encode_votes
    >>> codes, classes = encode_votes([["cat", None], ["dog", "dog"], [None, "cat"]])
    >>> codes
    array([[ 0, -1],
           [ 1,  1],
           [-1,  0]])
    >>> classes
    array(['cat', 'dog'], dtype=object)
    >>> encode_votes(np.array([[0, np.nan], [1, 2.0]]))[1]
    array([0, 1, 2])
    """
    A, names = _to_array(A)
    shape = A.shape
    if A.ndim == 1 or (A.ndim == 2 and shape[1] == 1):
        raise ValueError(
            f"annotators=True needs one column per annotator (at least 2), but "
            f"the labels have shape {shape}: a single label per sample. Pass "
            "annotators=False (the default) to train on one label per sample, "
            "or give the matrix of all annotators' labels."
        )
    if A.ndim != 2:
        raise ValueError(
            "The annotator labels must be a 2-D matrix (n_samples, n_annotators); "
            f"got shape {shape}."
        )
    if shape[0] == 0:
        raise ValueError("The annotator matrix is empty (0 samples).")
    missing = _missing_mask(A)
    empty_cols = np.flatnonzero(missing.all(axis=0))
    if len(empty_cols):
        cols = ", ".join(_column_name(k, names) for k in empty_cols)
        raise ValueError(
            f"Annotator column {cols} holds no label at all (every entry is "
            "missing): drop that column, e.g. A.dropna(axis=1, how='all') for a "
            "DataFrame."
        )
    empty_rows = np.flatnonzero(missing.all(axis=1))
    if len(empty_rows):
        shown = empty_rows[:10].tolist()
        more = f" (and {len(empty_rows) - 10} more)" if len(empty_rows) > 10 else ""
        raise ValueError(
            f"{len(empty_rows)} sample(s) have no label from any annotator, at "
            f"rows {shown}{more}: drop those rows from X and A (e.g. keep = "
            "A.notna().any(axis=1) for a DataFrame) or have them labelled."
        )
    observed = _observed_labels(A[~missing])
    if classes is None:
        classes = np.unique(observed)
    else:
        classes = np.asarray(classes)
        if classes.dtype.kind == "f" and np.all(classes == np.round(classes)):
            if observed.dtype.kind in "iu":
                classes = classes.astype(np.int64)
        if len(np.unique(classes)) != len(classes):
            raise ValueError(f"classes has repeated values: {classes.tolist()}.")
    order = np.argsort(classes, kind="stable")
    ordered = classes[order]
    try:
        pos = np.clip(np.searchsorted(ordered, observed), 0, len(ordered) - 1)
        unknown = ordered[pos] != observed
    except TypeError:  # labels and classes of incomparable types
        pos, unknown = None, np.ones(len(observed), dtype=bool)
    if np.any(unknown):
        bad = np.unique(np.asarray(observed)[unknown])
        raise ValueError(
            f"The annotators' labels {bad[:10].tolist()} are not in classes "
            f"{classes.tolist()}: add them to classes, or correct those votes."
        )
    codes = np.full(shape, MISSING, dtype=np.int64)
    codes[~missing] = order[pos]
    return codes, classes


def majority_vote(codes, n_classes, sample_weight=None, annotator_weight=None):
    """Soft majority vote: each sample's share of (weighted) votes per class.

    Parameters
    ----------
    codes : ndarray of shape (n_samples, n_annotators)
        Encoded votes, ``-1`` where missing (see :func:`encode_votes`).
    n_classes : int
        Number of classes.
    sample_weight : ignored
        Kept for a uniform signature with :func:`dawid_skene`.
    annotator_weight : array-like of shape (n_annotators,), default=None
        Weight of each annotator's votes (1 each by default).

    Returns
    -------
    shares : ndarray of shape (n_samples, n_classes)
        Rows sum to one; a tie splits the row equally.

    Examples
    --------
    >>> import numpy as np
    >>> from sknoisy.annotators import majority_vote
    >>> majority_vote(np.array([[0, 0, 1], [2, -1, -1]]), 3).round(2)
    array([[0.67, 0.33, 0.  ],
           [0.  , 0.  , 1.  ]])
    """
    codes = np.asarray(codes)
    n, k = codes.shape
    w = np.ones(k) if annotator_weight is None else np.asarray(annotator_weight)
    counts = np.zeros((n, n_classes))
    for j in range(k):
        seen = codes[:, j] >= 0
        counts[np.flatnonzero(seen), codes[seen, j]] += w[j]
    total = counts.sum(axis=1, keepdims=True)
    return np.divide(
        counts,
        total,
        out=np.full_like(counts, 1.0 / n_classes),
        where=total > 0,
    )
