"""Named class-flip maps for :class:`~sknoisy.noise.AsymmetricNoise`.

Each preset turns into a dict ``{true label: noisy label}`` over the fitted
``classes_``. Two kinds exist:

- *fixed* presets (``"cifar10"``, ``"mnist"``, ``"cifar100_superclass"``) name
  concrete classes of a data set; they accept the integer class indices or the
  class-name strings of that data set, and their class set is the whole data set's
  (so a subset of labels, e.g. one CV fold, still gets a fixed-size matrix);
- *positional* presets (``"pair"``, ``"cifar100_blocks"``) are defined on the
  positions of the sorted ``classes_`` and work with any labels.
"""

import numbers

import numpy as np

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
CIFAR100_SUPERCLASSES = {
    "aquatic_mammals": ("beaver", "dolphin", "otter", "seal", "whale"),
    "fish": ("aquarium_fish", "flatfish", "ray", "shark", "trout"),
    "flowers": ("orchid", "poppy", "rose", "sunflower", "tulip"),
    "food_containers": ("bottle", "bowl", "can", "cup", "plate"),
    "fruit_and_vegetables": ("apple", "mushroom", "orange", "pear", "sweet_pepper"),
    "household_electrical_devices": (
        "clock",
        "keyboard",
        "lamp",
        "telephone",
        "television",
    ),
    "household_furniture": ("bed", "chair", "couch", "table", "wardrobe"),
    "insects": ("bee", "beetle", "butterfly", "caterpillar", "cockroach"),
    "large_carnivores": ("bear", "leopard", "lion", "tiger", "wolf"),
    "large_man-made_outdoor_things": (
        "bridge",
        "castle",
        "house",
        "road",
        "skyscraper",
    ),
    "large_natural_outdoor_scenes": ("cloud", "forest", "mountain", "plain", "sea"),
    "large_omnivores_and_herbivores": (
        "camel",
        "cattle",
        "chimpanzee",
        "elephant",
        "kangaroo",
    ),
    "medium_mammals": ("fox", "porcupine", "possum", "raccoon", "skunk"),
    "non-insect_invertebrates": ("crab", "lobster", "snail", "spider", "worm"),
    "people": ("baby", "boy", "girl", "man", "woman"),
    "reptiles": ("crocodile", "dinosaur", "lizard", "snake", "turtle"),
    "small_mammals": ("hamster", "mouse", "rabbit", "shrew", "squirrel"),
    "trees": ("maple_tree", "oak_tree", "palm_tree", "pine_tree", "willow_tree"),
    "vehicles_1": ("bicycle", "bus", "motorcycle", "pickup_truck", "train"),
    "vehicles_2": ("lawn_mower", "rocket", "streetcar", "tank", "tractor"),
}
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
