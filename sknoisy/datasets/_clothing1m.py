"""Clothing1M (Xiao et al., 2015): a million web images of clothes, noisy labels.

The images are far too many to decode into memory: the loader returns a
map-style :class:`torch.utils.data.Dataset` that reads each image when it is
asked for, and the label arrays.
"""

from __future__ import annotations

import os
from collections import defaultdict

import numpy as np
import torch
from sklearn.utils import Bunch

from ._datasets import _check_root
from ._real_noise import DataLayoutError

__all__ = ["ImageListDataset", "load_clothing1m"]

CLOTHING1M_SPLITS = {
    "noisy_train": ("noisy_train_key_list.txt", "noisy"),
    "clean_train": ("clean_train_key_list.txt", "clean"),
    "clean_val": ("clean_val_key_list.txt", "clean"),
    "clean_test": ("clean_test_key_list.txt", "clean"),
}
_KV_FILES = {"noisy": "noisy_label_kv.txt", "clean": "clean_label_kv.txt"}
_CLASSES_FILE = "category_names_eng.txt"
_N_CLASSES = 14
_DEFAULT_SIZE = 224


def _layout(root):
    lines = [
        f"    {root}/images/0/00/*.jpg ... (the folders of images/*.tar, extracted)",
        f"    {root}/{_CLASSES_FILE}   14 class names, one a line",
        f"    {root}/noisy_label_kv.txt   lines 'images/0/00/<name>.jpg <label>'",
        f"    {root}/clean_label_kv.txt   the same, clean labels",
    ]
    lines += [
        f"    {root}/{name}   one image path (as in the kv files) a line"
        for name, _ in CLOTHING1M_SPLITS.values()
    ]
    return "Expected Clothing1M layout (labels 0-13):\n" + "\n".join(lines)


def _read_lines(path):
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                yield number, line


def _read_kv(path, layout):
    """``{relative image path: label}`` from an annotation list."""
    labels = {}
    for number, line in _read_lines(path):
        parts = line.split()
        label = None
        if len(parts) == 2:
            try:
                label = int(parts[1])
            except ValueError:
                pass
        if label is None or not 0 <= label < _N_CLASSES:
            raise DataLayoutError(
                f"{path}, line {number}: {line.strip()!r} is not "
                f"'<image path> <label in 0-{_N_CLASSES - 1}>'.\n{layout}"
            )
        if labels.setdefault(parts[0], label) != label:
            raise DataLayoutError(
                f"{path}, line {number}: {parts[0]} has two labels, "
                f"{labels[parts[0]]} and {label}.\n{layout}"
            )
    return labels


def _read_keys(path, layout):
    keys = []
    for number, line in _read_lines(path):
        parts = line.split()
        if len(parts) != 1:
            raise DataLayoutError(
                f"{path}, line {number}: {line.strip()!r} is not one image "
                f"path.\n{layout}"
            )
        keys.append(parts[0])
    return keys


def _missing_images(root, keys):
    """Listed images that are not files: one directory listing per folder."""
    by_folder = defaultdict(list)
    for key in keys:
        folder, _, name = key.rpartition("/")
        by_folder[folder].append((key, name))
    missing = []
    for folder, items in by_folder.items():
        try:
            present = set(os.listdir(root / folder))
        except (FileNotFoundError, NotADirectoryError):
            present = set()
        missing += [key for key, name in items if name not in present]
    return missing


def _check_transform(image_size, transform):
    if transform is not None:
        if not callable(transform):
            raise TypeError(f"transform must be callable or None, got {transform!r}")
        if image_size is not None:
            raise ValueError(
                "image_size is for the default transform; give the resizing in "
                "your transform instead"
            )
        return None
    if image_size is None:
        return (_DEFAULT_SIZE, _DEFAULT_SIZE)
    size = (image_size, image_size) if np.ndim(image_size) == 0 else image_size
    size = tuple(size)
    if len(size) != 2 or not all(
        isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0
        for s in size
    ):
        raise ValueError(
            f"image_size must be a positive int or (height, width), got {image_size!r}"
        )
    return tuple(int(s) for s in size)


class ImageListDataset(torch.utils.data.Dataset):
    """Images read from files when asked for, with their labels.

    A map-style :class:`torch.utils.data.Dataset`: ``dataset[i]`` opens the
    i-th image with PIL, converts it to RGB and applies the transform; it
    returns ``(image, label)``. Nothing is decoded before that, so a million
    images cost only their paths in memory. Use it with a
    :class:`torch.utils.data.DataLoader` (``num_workers`` decode in parallel).

    Parameters
    ----------
    paths : sequence of str
        Image paths, relative to ``root`` (or absolute when ``root`` is
        ``None``).
    labels : array-like of int of shape (n_samples,)
        The label returned with each image.
    root : str or path-like, default=None
        The folder the paths are relative to.
    image_size : int or (int, int), default=None
        Size (height, width) the default transform resizes to (bilinear);
        ``None`` means 224. Only with ``transform=None``.
    transform : callable, default=None
        Applied to the PIL RGB image; returns the sample (e.g. a torchvision
        transform ending in ``ToTensor``). ``None``: resize to
        ``image_size`` and return a float32 tensor of shape (3, height, width)
        with values in ``[0, 1]``.

    Attributes
    ----------
    paths : ndarray of bytes
        The paths, UTF-8 encoded in one compact array (a list of a million
        ``str`` would be copied into every DataLoader worker as it is read).
    labels : ndarray of shape (n_samples,), dtype=int64
        The labels.
    root : pathlib.Path or None
        The folder the paths are relative to.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> from PIL import Image
    >>> from sknoisy.datasets import ImageListDataset
    >>> folder = tempfile.mkdtemp()
    >>> Image.new("RGB", (40, 30), "red").save(f"{folder}/a.png")
    >>> dataset = ImageListDataset(["a.png"], [3], root=folder, image_size=8)
    >>> image, label = dataset[0]
    >>> tuple(image.shape), label, float(image[0].max())
    ((3, 8, 8), 3, 1.0)
    """

    def __init__(self, paths, labels, *, root=None, image_size=None, transform=None):
        self.image_size = _check_transform(image_size, transform)
        self.transform = transform
        self.root = None if root is None else _check_root(root)
        self.paths = np.array([os.fsencode(p) for p in paths], dtype=np.bytes_)
        self.labels = np.asarray(labels, dtype=np.int64)
        if self.labels.shape != (len(self.paths),):
            raise ValueError(
                f"labels must have shape ({len(self.paths)},), one per path, got "
                f"{self.labels.shape}"
            )
        self._missing_hint = ""

    def __len__(self):
        return len(self.paths)

    def path(self, index):
        """The full path of image ``index`` (a str)."""
        path = os.fsdecode(self.paths[index])
        return path if self.root is None else str(self.root / path)

    def __getitem__(self, index):
        from PIL import Image, UnidentifiedImageError

        path = self.path(index)
        try:
            with Image.open(path) as image:
                image = image.convert("RGB")
        except FileNotFoundError:
            raise FileNotFoundError(
                f"image {index} not found: {path}{self._missing_hint}"
            ) from None
        except UnidentifiedImageError as exc:
            raise OSError(f"image {index} cannot be decoded: {path}") from exc
        if self.transform is not None:
            return self.transform(image), int(self.labels[index])
        height, width = self.image_size
        image = image.resize((width, height), Image.BILINEAR)
        array = torch.from_numpy(np.asarray(image, dtype=np.uint8).copy())
        return array.permute(2, 0, 1).float().div_(255.0), int(self.labels[index])


def load_clothing1m(
    root, *, split="noisy_train", image_size=None, transform=None, check_images=True
):
    """Load one split of Clothing1M from a local copy, images read lazily.

    Clothing1M (Xiao et al., 2015) has about a million clothing images from
    shopping sites, labelled into 14 classes from the text around them (noisy
    labels, roughly 38% wrong), and about 72,000 images labelled by people
    (clean labels), split into clean train, validation and test sets. Both
    label arrays are returned, ``-1`` where an image has no such label.

    Parameters
    ----------
    root : str or path-like
        The folder of the release, as distributed (with ``images/*.tar``
        extracted)::

            <root>/images/0/00/<name>.jpg ...
            <root>/category_names_eng.txt     14 class names, one a line
            <root>/noisy_label_kv.txt         lines "images/0/00/<name>.jpg 3"
            <root>/clean_label_kv.txt         the same, clean labels
            <root>/noisy_train_key_list.txt   one image path a line
            <root>/clean_train_key_list.txt
            <root>/clean_val_key_list.txt
            <root>/clean_test_key_list.txt

        Paths in the lists are relative to ``root``; labels are 0-13, in the
        order of ``category_names_eng.txt``.
    split : {"noisy_train", "clean_train", "clean_val", "clean_test"}, \
default="noisy_train"
        The image list read. ``"noisy_train"`` yields the noisy labels
        (``noisy_label_kv.txt``), the others the clean labels.
    image_size : int or (int, int), default=None
        Size the default transform resizes every image to; ``None`` means
        224 (as the usual ResNet-50 setting, which resizes to 256 and crops
        224: give such a ``transform`` instead). Only with ``transform=None``.
    transform : callable, default=None
        Applied to each PIL RGB image; see :class:`ImageListDataset`.
    check_images : bool, default=True
        Check that every listed image exists before returning (one directory
        listing per image folder, not one call per image); ``False`` leaves
        the check to the first read of a missing image.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``dataset`` (an :class:`ImageListDataset` of ``(image, label)``),
        ``y`` int64 (the labels it yields), ``y_noisy`` and ``y_clean`` (the
        image's label in ``noisy_label_kv.txt`` and ``clean_label_kv.txt``,
        ``-1`` where it has none), ``noise_rate`` (fraction of
        ``y_noisy != y_clean`` among the images with both labels; ``None``
        when none has both), ``classes`` (the 14 names), ``split`` and
        ``DESCR``.

    Raises
    ------
    FileNotFoundError
        When a list, the class names or (``check_images``) a listed image is
        missing; the message names it and shows the expected layout.
    ValueError
        When a file is not in the published layout: a malformed line (the
        message gives the file, line number and line), a label outside 0-13,
        a listed image without a label in the annotation list, or a class
        names file without 14 names.

    See Also
    --------
    ImageListDataset, load_cifar10n

    References
    ----------
    .. [1] T. Xiao, T. Xia, Y. Yang, C. Huang and X. Wang, "Learning from
       Massive Noisy Labeled Data for Image Classification", CVPR 2015.
    """
    if split not in CLOTHING1M_SPLITS:
        raise ValueError(
            f"split must be one of {', '.join(CLOTHING1M_SPLITS)}, got {split!r}"
        )
    if not isinstance(check_images, (bool, np.bool_)):
        raise TypeError(f"check_images must be a bool, got {check_images!r}")
    _check_transform(image_size, transform)
    root = _check_root(root)
    layout = _layout(root)
    list_name, kind = CLOTHING1M_SPLITS[split]
    needed = [_CLASSES_FILE, *_KV_FILES.values(), list_name]
    missing = [name for name in needed if not (root / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"Clothing1M not found under root={str(root)!r}: missing "
            f"{', '.join(missing)}.\n{layout}\nsknoisy never downloads data; the "
            "data set is distributed by its authors on request."
        )
    classes = [line.strip() for _, line in _read_lines(root / _CLASSES_FILE)]
    if len(classes) != _N_CLASSES:
        raise DataLayoutError(
            f"{root / _CLASSES_FILE} lists {len(classes)} class names, expected "
            f"{_N_CLASSES}.\n{layout}"
        )
    keys = _read_keys(root / list_name, layout)
    both = {}
    for name, file in _KV_FILES.items():
        kv = _read_kv(root / file, layout)
        both[name] = np.fromiter((kv.get(k, -1) for k in keys), np.int64, len(keys))
        del kv
    y = both[kind]
    if (y < 0).any():
        key = keys[int(np.flatnonzero(y < 0)[0])]
        raise DataLayoutError(
            f"{root / list_name} lists {int((y < 0).sum())} images without a "
            f"label in {_KV_FILES[kind]}, e.g. {key}.\n{layout}"
        )
    hint = f" (listed in {root / list_name}).\n{layout}"
    if check_images:
        absent = _missing_images(root, keys)
        if absent:
            raise FileNotFoundError(
                f"{len(absent)} of the {len(keys)} images listed in "
                f"{root / list_name} are missing, e.g. {root / absent[0]}.\n{layout}"
            )
    dataset = ImageListDataset(
        keys, y, root=root, image_size=image_size, transform=transform
    )
    dataset._missing_hint = hint
    labelled = (both["noisy"] >= 0) & (both["clean"] >= 0)
    noise_rate = None
    if labelled.any():
        differ = both["noisy"][labelled] != both["clean"][labelled]
        noise_rate = float(differ.mean())
    return Bunch(
        dataset=dataset,
        y=y,
        y_noisy=both["noisy"],
        y_clean=both["clean"],
        noise_rate=noise_rate,
        classes=classes,
        split=split,
        DESCR=f"Clothing1M, {split} ({len(keys)} images; local copy).",
    )
