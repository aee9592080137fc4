"""CIFAR-10N and CIFAR-100N: CIFAR training sets with human-annotated noisy labels.

The CIFAR-N release (Wei et al., 2022) is one ``.pt`` label file per data set,
a dict of label arrays in the order of the CIFAR training set; the images are
torchvision's CIFAR folder. Nothing is downloaded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..utils._docstring import Substitution
from ._datasets import (
    _DOC_PARTS,
    _check_normalize,
    _check_root,
    load_cifar10,
    load_cifar100,
)

__all__ = ["load_cifar10n", "load_cifar100n"]

_fill_doc = Substitution(
    **_DOC_PARTS,
    ref_cifar_n="References\n    ----------\n    .. [1] J. Wei, Z. Zhu, H. Cheng, "
    'T. Liu, G. Niu and Y. Liu, "Learning with\n       Noisy Labels Revisited: A '
    'Study Using Real-World Human Annotations",\n       ICLR 2022.',
)

CIFAR10N_FILE = "CIFAR-10_human.pt"
CIFAR100N_FILE = "CIFAR-100_human.pt"
#: Noise names of :func:`load_cifar10n` -> keys of ``CIFAR-10_human.pt``.
CIFAR10N_NOISE = {
    "aggre": "aggre_label",
    "worse": "worse_label",
    "random1": "random_label1",
    "random2": "random_label2",
    "random3": "random_label3",
}
#: The keys of the three annotators' labels (``noise="annotators"``).
CIFAR10N_ANNOTATORS = ("random_label1", "random_label2", "random_label3")
#: Noise names of :func:`load_cifar100n` -> keys of ``CIFAR-100_human.pt``.
CIFAR100N_NOISE = {"noisy": "noisy_label"}
_RELEASE = "the CIFAR-N release, github.com/UCSC-REAL/cifar-10-100n"
_CIFAR_FILES = {
    "CIFAR-10": (
        "cifar-10-batches-py",
        [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"],
    ),
    "CIFAR-100": ("cifar-100-python", ["train", "test", "meta"]),
}


class DataLayoutError(ValueError):
    """A data set file that exists but is not in its published layout.

    The message names the file and the expected layout. A ``ValueError``.
    """


def _layout(name, root, label_file, keys):
    folder, files = _CIFAR_FILES[name]
    lines = [f"    {root}/{folder}/{f}" for f in files]
    lines.append(
        f"    {label_file}   ({_RELEASE}): a dict saved with torch.save, keys "
        f"{', '.join(keys)}, each one int label per {name} training image, in "
        "the order of the training set"
    )
    return f"Expected layout ({name} in torchvision's layout, and {_RELEASE}):\n" + (
        "\n".join(lines)
    )


def _numpy_safe_globals():
    """numpy names needed to unpickle plain numeric arrays, for ``safe_globals``.

    ``_reconstruct`` is registered under both of its module names: pickles
    written under numpy 1.x name ``numpy.core.multiarray``, numpy 2.x
    ``numpy._core.multiarray`` (torch >= 2.6 takes ``(object, name)`` pairs).
    """
    import torch

    reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]
    codes = np.typecodes["AllInteger"] + np.typecodes["Float"] + "?"
    items = [reconstruct, np.ndarray, np.dtype]
    items += list(dict.fromkeys(type(np.dtype(c)) for c in codes))
    if torch.__version__ >= "2.6":
        items += [
            (reconstruct, f"numpy.{core}.multiarray._reconstruct")
            for core in ("core", "_core")
        ]
    return items


def _read_label_file(path, allow_pickle, layout):
    import torch

    if not allow_pickle and not hasattr(torch.serialization, "safe_globals"):
        raise DataLayoutError(
            f"cannot read {path} safely: torch {torch.__version__} has no "
            "torch.serialization.safe_globals (torch >= 2.5) to allow numpy "
            "arrays in torch.load(weights_only=True). Use a newer torch, or "
            "allow_pickle=True if you trust the file."
        )
    try:
        if allow_pickle:  # the caller's explicit choice for a trusted file
            return torch.load(path, map_location="cpu", weights_only=False)
        with torch.serialization.safe_globals(_numpy_safe_globals()):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for a bad file
        raise DataLayoutError(
            f"cannot read {path} as a torch.save file of label arrays: "
            f"{_load_error_detail(exc)}\n{layout}"
        ) from exc


def _load_error_detail(exc):
    """The gist of torch.load's error (its weights-only messages are long)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    marker = "WeightsUnpickler error:"
    if marker not in text:
        return f"{type(exc).__name__}: {' '.join(text.split())[:300]}."
    reason = " ".join(text.split(marker, 1)[1].strip().split("\n\n")[0].split())
    reason = reason.split(" Please use ")[0].rstrip(".")
    return (
        f"the safe reader refused it ({reason[:300]}). It reads with "
        "torch.load(weights_only=True) and allows only tensors and numpy "
        "arrays; allow_pickle=True reads any pickle, which can run arbitrary "
        "code: only for a file from a trusted source."
    )


def _label_array(value, key, path, n_train, n_classes, layout):
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    where = f"{path}: {key!r}"
    if array.dtype.kind == "f" and np.all(np.isfinite(array)):
        if np.all(array == np.round(array)):
            array = array.astype(np.int64)
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise DataLayoutError(
            f"{where} must be a 1-D array of int labels, got shape "
            f"{array.shape} and dtype {array.dtype}.\n{layout}"
        )
    if len(array) != n_train:
        raise DataLayoutError(
            f"{where} has {len(array)} labels, but the training set has "
            f"{n_train} images: the label file and the CIFAR folder do not "
            f"belong together.\n{layout}"
        )
    bad = np.flatnonzero((array < 0) | (array >= n_classes))
    if len(bad):
        raise DataLayoutError(
            f"{where} has {len(bad)} labels outside [0, {n_classes - 1}], e.g. "
            f"{array[bad[0]]} at index {bad[0]}.\n{layout}"
        )
    return array.astype(np.int64)


def _load_cifar_n(
    name,
    root,
    label_file,
    default_file,
    noise_key,
    clean_key,
    keys,
    load_images,
    n_classes,
    allow_pickle,
):
    root = _check_root(root)
    if label_file is None:
        label_file = root / default_file
    elif not isinstance(label_file, (str, os.PathLike)):
        raise TypeError(f"label_file must be None or a path, got {label_file!r}")
    label_file = Path(label_file).expanduser()
    layout = _layout(name, root, label_file, keys)
    folder, files = _CIFAR_FILES[name]
    missing = [f"{folder}/{f}" for f in files if not (root / folder / f).is_file()]
    if not (root / folder).is_dir():
        missing = [f"{folder}/"]
    if not label_file.is_file():
        missing.append(str(label_file))
    if missing:
        raise FileNotFoundError(
            f"{name}N not found under root={str(root)!r}: missing "
            f"{', '.join(missing)}.\n{layout}\nsknoisy never downloads data: "
            f"the images come with torchvision.datasets.{name.replace('-', '')}"
            f"(root, download=True), the label file from {_RELEASE}."
        )
    labels = _read_label_file(label_file, allow_pickle, layout)
    if not isinstance(labels, Mapping):
        raise DataLayoutError(
            f"{label_file} holds a {type(labels).__name__}, not a dict of label "
            f"arrays.\n{layout}"
        )
    noise_keys = noise_key if isinstance(noise_key, tuple) else (noise_key,)
    absent = [k for k in (clean_key, *noise_keys) if k not in labels]
    if absent:
        needed = " and ".join(repr(k) for k in (clean_key, *noise_keys))
        raise DataLayoutError(
            f"{label_file} has no key {', '.join(map(repr, absent))}; its keys "
            f"are {', '.join(repr(k) for k in labels) or 'none'}; reading "
            f"{noise_key!r} needs {needed}.\n{layout}"
        )
    data = load_images(root)
    n_train = len(data.y_train)
    clean = _label_array(
        labels[clean_key], clean_key, label_file, n_train, n_classes, layout
    )
    noisy = [
        _label_array(labels[key], key, label_file, n_train, n_classes, layout)
        for key in noise_keys
    ]
    # one column per annotator when several label sets are read
    noisy = noisy[0] if len(noisy) == 1 else np.stack(noisy, axis=1)
    differ = np.flatnonzero(clean != data.y_train)
    if len(differ):
        i = differ[0]
        raise DataLayoutError(
            f"{label_file} and {root / folder} do not belong together: "
            f"{clean_key!r} differs from the folder's training labels at "
            f"{len(differ)} of {n_train} images (first at index {i}: {clean[i]} "
            f"in the label file, {data.y_train[i]} in the folder).\n{layout}"
        )
    data.y_train_clean = data.y_train
    data.y_train = noisy
    data.noise_key = noise_key
    data.noise_rate = float(
        np.mean(noisy != (clean if noisy.ndim == 1 else clean[:, None]))
    )
    data.label_file = str(label_file)
    return data


def _check_noise(noise, names, loader):
    by_key = {key: name for name, key in names.items()}
    if isinstance(noise, str) and noise in by_key:
        noise = by_key[noise]
    if not isinstance(noise, str) or noise not in names:
        choices = ", ".join(f"{n!r} ({k})" for n, k in names.items())
        raise ValueError(f"{loader}: unknown noise {noise!r}; choose one of {choices}")
    return noise


def _check_allow_pickle(allow_pickle):
    if not isinstance(allow_pickle, (bool, np.bool_)):
        raise TypeError(f"allow_pickle must be a bool, got {allow_pickle!r}")
    return bool(allow_pickle)


@_fill_doc
def load_cifar10n(
    root, *, noise="worse", label_file=None, normalize=False, allow_pickle=False
):
    """Load CIFAR-10N: CIFAR-10 with human-annotated noisy training labels.

    The CIFAR-N release (Wei et al., 2022) gives every CIFAR-10 training image
    three labels from Amazon Mechanical Turk workers. ``noise`` picks one label
    set; the test labels are CIFAR-10's own (clean). The images are read by
    :func:`load_cifar10`.

    Parameters
    ----------
    root : str or path-like
        Folder holding torchvision's CIFAR-10 folder and, by default, the
        label file::

            <root>/cifar-10-batches-py/data_batch_1 ... data_batch_5
            <root>/cifar-10-batches-py/test_batch
            <root>/cifar-10-batches-py/batches.meta
            <root>/CIFAR-10_human.pt

        ``CIFAR-10_human.pt`` is the release's file: a dict saved with
        ``torch.save`` whose values are int arrays of 50,000 labels in the
        order of the training set (``data_batch_1`` to ``data_batch_5``), with
        keys ``clean_label`` (CIFAR-10's labels), ``aggre_label``,
        ``worse_label``, ``random_label1``, ``random_label2`` and
        ``random_label3``.
    noise : {"worse", "aggre", "random1", "random2", "random3", "annotators"}, \
default="worse"
        The noisy label set: ``"aggre"`` (majority vote of the three
        annotators, about 9% wrong), ``"random1"`` to ``"random3"`` (one
        annotator each, about 17%), ``"worse"`` (a wrong label whenever one
        annotator gave one, about 40%). The key names (``"worse_label"``...)
        are accepted too. ``"annotators"``: all three annotators' labels,
        ``y_train`` of shape (50000, 3) (``random_label1`` to
        ``random_label3``), for ``NoisyLabelClassifier(annotators=True)``
        (see :ref:`annotators`).
    label_file : str or path-like, default=None
        The label file, if not ``<root>/CIFAR-10_human.pt``.
    {normalize}.
    allow_pickle : bool, default=False
        The label file is read with ``torch.load(weights_only=True)``, with
        numpy's array, dtype and array-rebuilding names allowed
        (``torch.serialization.safe_globals``, torch >= 2.5): tensors and
        plain numpy arrays load, anything else is refused, so the file cannot
        run code. ``True`` uses ``weights_only=False``, which unpickles any
        object and can run arbitrary code: only for a file from a trusted
        source that the safe reader refuses.

    {returns} (50000, 3, 32, 32), ``y_train`` int64 (the
        chosen noisy labels; of shape (50000, 3) for ``noise="annotators"``),
        ``y_train_clean`` (``clean_label``), ``X_test``,
        ``y_test`` (clean), ``classes``, ``mean``, ``std``, ``noise`` (the
        noise name), ``noise_key`` (the key read), ``noise_rate`` (realized
        fraction of ``y_train != y_train_clean``), ``label_file`` and ``DESCR``.

    Raises
    ------
    FileNotFoundError
        When a CIFAR-10 file or the label file is missing; the message shows
        the expected layout.
    ValueError
        When the label file is not in the release's layout: unreadable, not a
        dict, a key missing, an array of the wrong length or with labels
        outside 0-9, or ``clean_label`` different from the CIFAR-10 folder's
        training labels (the files do not belong together). The message
        names the file and the expected layout.

    See Also
    --------
    load_cifar100n, load_cifar10

    {ref_cifar_n}
    """
    names = {**CIFAR10N_NOISE, "annotators": CIFAR10N_ANNOTATORS}
    noise = _check_noise(noise, names, "load_cifar10n")
    normalize = _check_normalize(normalize)
    allow_pickle = _check_allow_pickle(allow_pickle)
    data = _load_cifar_n(
        "CIFAR-10",
        root,
        label_file,
        CIFAR10N_FILE,
        names[noise],
        "clean_label",
        ["clean_label", *CIFAR10N_NOISE.values()],
        lambda r: load_cifar10(r, normalize=normalize),
        10,
        allow_pickle,
    )
    data.noise = noise
    data.DESCR = f"CIFAR-10N ({noise} human labels; local copy)."
    return data


@_fill_doc
def load_cifar100n(
    root,
    *,
    noise="noisy",
    label_type="fine",
    label_file=None,
    normalize=False,
    allow_pickle=False,
):
    """Load CIFAR-100N: CIFAR-100 with human-annotated noisy training labels.

    The CIFAR-N release (Wei et al., 2022) gives every CIFAR-100 training image
    one label from an Amazon Mechanical Turk worker (about 40% wrong for the
    fine classes). The test labels are CIFAR-100's own (clean). The images are
    read by :func:`load_cifar100`.

    Parameters
    ----------
    root : str or path-like
        Folder holding torchvision's CIFAR-100 folder and, by default, the
        label file::

            <root>/cifar-100-python/train
            <root>/cifar-100-python/test
            <root>/cifar-100-python/meta
            <root>/CIFAR-100_human.pt

        ``CIFAR-100_human.pt`` is the release's file: a dict saved with
        ``torch.save`` whose values are int arrays of 50,000 labels in the
        order of the training set, with keys ``clean_label`` and
        ``noisy_label`` (fine classes, 0-99) and ``clean_coarse_label`` and
        ``noisy_coarse_label`` (super-classes, 0-19).
    noise : {"noisy"}, default="noisy"
        The noisy label set (``"noisy_label"`` is accepted too).
    label_type : {"fine", "coarse"}, default="fine"
        The 100 fine classes (keys ``clean_label``, ``noisy_label``) or the 20
        super-classes (``clean_coarse_label``, ``noisy_coarse_label``).
    label_file : str or path-like, default=None
        The label file, if not ``<root>/CIFAR-100_human.pt``.
    {normalize}.
    allow_pickle : bool, default=False
        As in :func:`load_cifar10n`: ``False`` reads only tensors and plain
        numpy arrays (``torch.load(weights_only=True)``); ``True`` unpickles
        anything and can run arbitrary code.

    {returns} (50000, 3, 32, 32), ``y_train`` int64 (the
        noisy labels), ``y_train_clean``, ``X_test``, ``y_test`` (clean),
        ``classes`` (100 or 20 names), ``mean``, ``std``, ``noise``,
        ``noise_key``, ``noise_rate`` (realized fraction of
        ``y_train != y_train_clean``), ``label_file`` and ``DESCR``.

    Raises
    ------
    FileNotFoundError
        When a CIFAR-100 file or the label file is missing; the message shows
        the expected layout.
    ValueError
        When the label file is not in the release's layout, or its clean labels
        differ from the CIFAR-100 folder's (the files do not belong together).
        The message names the file and the expected layout.

    See Also
    --------
    load_cifar10n, load_cifar100

    {ref_cifar_n}
    """
    noise = _check_noise(noise, CIFAR100N_NOISE, "load_cifar100n")
    if label_type not in ("fine", "coarse"):
        raise ValueError(f"label_type must be 'fine' or 'coarse', got {label_type!r}")
    normalize = _check_normalize(normalize)
    allow_pickle = _check_allow_pickle(allow_pickle)
    coarse = label_type == "coarse"
    data = _load_cifar_n(
        "CIFAR-100",
        root,
        label_file,
        CIFAR100N_FILE,
        "noisy_coarse_label" if coarse else CIFAR100N_NOISE[noise],
        "clean_coarse_label" if coarse else "clean_label",
        ["clean_label", "noisy_label", "clean_coarse_label", "noisy_coarse_label"],
        lambda r: load_cifar100(r, label_type=label_type, normalize=normalize),
        20 if coarse else 100,
        allow_pickle,
    )
    data.noise = noise
    data.DESCR = f"CIFAR-100N ({label_type} human labels; local copy)."
    return data
