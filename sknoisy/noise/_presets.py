"""Ready-made noise definitions: transition matrices and named class-flip maps.

Transition matrices are row-stochastic, ``T[i, j] = P(noisy = j | true = i)``;
cleanlab's ``noise_matrix`` is their transpose.

Each named map of :class:`~sknoisy.noise.AsymmetricNoise` turns into a dict
``{true label: noisy label}`` over the fitted ``classes_``. Two kinds exist:

- *fixed* presets (``"cifar10"``, ``"mnist"``, ``"cifar100_superclass"``) name
  concrete classes of a data set; they accept the integer class indices or the
  class-name strings of that data set, and their class set is the whole data set's
  (so a subset of labels, e.g. one CV fold, still gets a fixed-size matrix);
- *positional* presets (``"pair"``, ``"cifar100_blocks"``) are defined on the
  positions of the sorted ``classes_`` and work with any labels.
"""

import numbers

import numpy as np
from sklearn.utils.validation import check_array

_ROW_TOL = 1e-6

CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

# Zhang & Sabuncu (2018), Tanaka et al. (2018), Patrini et al. (2017):
# truck -> automobile, bird -> airplane, deer -> horse, cat <-> dog.
_CIFAR10_MAP = {9: 1, 2: 0, 4: 7, 3: 5, 5: 3}

# Patrini et al. (2017): 2 -> 7, 3 -> 8, 5 <-> 6, 7 -> 1.
_MNIST_MAP = {2: 7, 3: 8, 5: 6, 6: 5, 7: 1}

# The 20 CIFAR-100 super-classes (coarse labels) and their fine classes. The fine
# label indices of CIFAR-100 are the positions of the names in alphabetical order.
_SUPERCLASS_NAMES = {
    "aquatic_mammals": "beaver dolphin otter seal whale",
    "fish": "aquarium_fish flatfish ray shark trout",
    "flowers": "orchid poppy rose sunflower tulip",
    "food_containers": "bottle bowl can cup plate",
    "fruit_and_vegetables": "apple mushroom orange pear sweet_pepper",
    "household_electrical_devices": "clock keyboard lamp telephone television",
    "household_furniture": "bed chair couch table wardrobe",
    "insects": "bee beetle butterfly caterpillar cockroach",
    "large_carnivores": "bear leopard lion tiger wolf",
    "large_man-made_outdoor_things": "bridge castle house road skyscraper",
    "large_natural_outdoor_scenes": "cloud forest mountain plain sea",
    "large_omnivores_and_herbivores": "camel cattle chimpanzee elephant kangaroo",
    "medium_mammals": "fox porcupine possum raccoon skunk",
    "non-insect_invertebrates": "crab lobster snail spider worm",
    "people": "baby boy girl man woman",
    "reptiles": "crocodile dinosaur lizard snake turtle",
    "small_mammals": "hamster mouse rabbit shrew squirrel",
    "trees": "maple_tree oak_tree palm_tree pine_tree willow_tree",
    "vehicles_1": "bicycle bus motorcycle pickup_truck train",
    "vehicles_2": "lawn_mower rocket streetcar tank tractor",
}
CIFAR100_SUPERCLASSES = {k: tuple(v.split()) for k, v in _SUPERCLASS_NAMES.items()}
CIFAR100_CLASSES = tuple(sorted(n for g in CIFAR100_SUPERCLASSES.values() for n in g))


def _superclass_map():
    index = {name: i for i, name in enumerate(CIFAR100_CLASSES)}
    mapping = {}
    for names in CIFAR100_SUPERCLASSES.values():
        fine = sorted(index[name] for name in names)
        mapping.update(zip(fine, fine[1:] + fine[:1]))
    return mapping


# name -> (class names, {true index: noisy index})
_FIXED = {
    "cifar10": (CIFAR10_CLASSES, _CIFAR10_MAP),
    "mnist": (tuple(str(i) for i in range(10)), _MNIST_MAP),
    "cifar100_superclass": (CIFAR100_CLASSES, _superclass_map()),
}
MAPPING_PRESETS = ("pair", "cifar10", "mnist", "cifar100_blocks", "cifar100_superclass")


def fixed_preset_classes(preset, y):
    """Class set of a fixed preset in the label type of ``y``, or None.

    Integer (or integral float) labels give the indices ``0..n-1``; string labels
    give the data set's class names (digit strings ``"0".."9"`` for MNIST).
    """
    if preset not in _FIXED:
        return None
    names = _FIXED[preset][0]
    sample = y[:100]
    if y.dtype.kind in "US" or all(isinstance(v, str) for v in sample):
        return np.asarray(names, dtype=object if y.dtype == object else None)
    if y.dtype.kind in "iuf" or all(isinstance(v, numbers.Integral) for v in sample):
        return np.arange(len(names)).astype(y.dtype)
    return None


def preset_targets(preset, classes):
    """Target position for every position of ``classes`` (sorted) under ``preset``."""
    c = len(classes)
    positions = np.arange(c)
    if preset == "pair":
        return (positions + 1) % c
    if preset == "cifar100_blocks":
        if c % 5:
            raise ValueError(
                "mapping='cifar100_blocks' needs a number of classes divisible by 5, "
                f"got {c}"
            )
        return positions - positions % 5 + (positions % 5 + 1) % 5
    names, index_map = _FIXED[preset]
    lookup = {name: i for i, name in enumerate(names)}
    labels = [lookup.get(v, -1) if isinstance(v, str) else int(v) for v in classes]
    if min(labels) < 0 or max(labels) >= len(names):
        raise ValueError(
            f"mapping={preset!r} works on the labels 0..{len(names) - 1} or the class "
            f"names {list(names[:3])}...; got classes {list(classes)}"
        )
    position = {label: i for i, label in enumerate(labels)}
    targets = positions.copy()
    for i, label in enumerate(labels):
        target = index_map.get(label)
        if target is not None:
            if target not in position:
                raise ValueError(
                    f"mapping={preset!r} sends {classes[i]!r} to class index {target}, "
                    "which is not among the classes; pass `classes` to include it"
                )
            targets[i] = position[target]
    return targets


def check_transition_matrix(matrix, n_classes, name="matrix"):
    """Validate a row-stochastic transition matrix of size ``n_classes``."""
    T = check_array(matrix, dtype=np.float64, input_name=name)
    if T.shape[0] != T.shape[1]:
        raise ValueError(f"{name} must be square, got shape {T.shape}")
    if n_classes is not None and T.shape[0] != n_classes:
        raise ValueError(
            f"{name} has {T.shape[0]} rows but there are {n_classes} classes; "
            "pass `classes` if y lacks some of them"
        )
    if (T < 0).any():
        raise ValueError(f"{name} must be non-negative")
    if not np.allclose(T.sum(axis=1), 1.0, rtol=0, atol=_ROW_TOL):
        raise ValueError(
            f"{name} rows must sum to 1 (tolerance {_ROW_TOL}), got row sums "
            f"{np.round(T.sum(axis=1), 8).tolist()}"
        )
    return T / T.sum(axis=1, keepdims=True)


def symmetric_transition_matrix(n_classes, rate, flip_to="other"):
    """Expected transition matrix of :class:`SymmetricNoise`.

    Parameters
    ----------
    n_classes : int
        Number of classes ``c`` (at least 2).
    rate : float
        Flip probability ``r`` in [0, 1].
    flip_to : {"other", "any"}, default="other"
        ``"other"``: ``T = (1 - r) I + r / (c - 1) (1 - I)``; ``"any"``:
        ``T = (1 - r) I + r / c``.

    Returns
    -------
    matrix : ndarray of shape (n_classes, n_classes)
        Row-stochastic, ``matrix[i, j] = P(noisy = j | true = i)``.

    Examples
    --------
    >>> from sknoisy.noise import symmetric_transition_matrix
    >>> symmetric_transition_matrix(3, 0.4)
    array([[0.6, 0.2, 0.2],
           [0.2, 0.6, 0.2],
           [0.2, 0.2, 0.6]])
    """
    if not (isinstance(n_classes, numbers.Integral) and n_classes >= 2):
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    if not 0 <= rate <= 1:
        raise ValueError(f"rate must be in [0, 1], got {rate}")
    if flip_to not in ("other", "any"):
        raise ValueError(f"flip_to must be 'other' or 'any', got {flip_to!r}")
    eye = np.eye(n_classes)
    if flip_to == "other":
        return (1 - rate) * eye + rate / (n_classes - 1) * (1 - eye)
    return (1 - rate) * eye + rate / n_classes


def to_cleanlab_noise_matrix(matrix):
    """Convert a sknoisy transition matrix to cleanlab's ``noise_matrix``.

    sknoisy's ``matrix[i, j] = P(noisy = j | true = i)`` (rows sum to 1);
    cleanlab's ``noise_matrix[i, j] = P(label = i | true_label = j)`` (columns sum
    to 1) is its transpose.

    Parameters
    ----------
    matrix : array-like of shape (n_classes, n_classes)
        Row-stochastic transition matrix.

    Returns
    -------
    noise_matrix : ndarray of shape (n_classes, n_classes)
        Column-stochastic matrix for ``cleanlab.benchmarking.noise_generation``.

    Examples
    --------
    >>> from sknoisy.noise import to_cleanlab_noise_matrix
    >>> to_cleanlab_noise_matrix([[0.9, 0.1], [0.3, 0.7]])
    array([[0.9, 0.3],
           [0.1, 0.7]])
    """
    return check_transition_matrix(matrix, None).T.copy()


def from_cleanlab_noise_matrix(noise_matrix):
    """Convert cleanlab's column-stochastic ``noise_matrix`` to a sknoisy matrix.

    Parameters
    ----------
    noise_matrix : array-like of shape (n_classes, n_classes)
        ``noise_matrix[i, j] = P(label = i | true_label = j)``; columns sum to 1.

    Returns
    -------
    matrix : ndarray of shape (n_classes, n_classes)
        ``matrix[i, j] = P(noisy = j | true = i)``; rows sum to 1.

    Examples
    --------
    >>> from sknoisy.noise import from_cleanlab_noise_matrix
    >>> from_cleanlab_noise_matrix([[0.9, 0.3], [0.1, 0.7]])
    array([[0.9, 0.1],
           [0.3, 0.7]])
    """
    return check_transition_matrix(
        np.asarray(noise_matrix).T, None, "noise_matrix.T"
    ).copy()
