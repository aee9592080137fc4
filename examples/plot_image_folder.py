"""
============================================
Finding mislabelled images in an ImageFolder
============================================

:class:`~sknoisy.NoisyLabelClassifier` trains on any map-style
:class:`torch.utils.data.Dataset`, among them torchvision's
:class:`~torchvision.datasets.ImageFolder`: one folder per class, images
decoded batch by batch, never all in memory. The labels are read once from
the dataset (``ImageFolder.targets``, without opening an image), and each
sample's index travels with its batch, so label correction and the
label-issue table work exactly as on arrays.

Here a small image folder of three shapes is written to a temporary
directory, and some images are put in the wrong folder: the kind of label
noise a hand-sorted folder has. A network with label correction then points
at them.
"""

# %%
# An image folder with misfiled images
# ------------------------------------
# Each image is a filled circle, square or triangle of random size, place and
# colour on a noisy background. The file name keeps the true shape; 15% of
# the files are moved to another shape's folder.
import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

FAST = os.environ.get("SKNOISY_EXAMPLE_FAST") == "1"
N_PER_CLASS = 16 if FAST else 60
SHAPES = ["circle", "square", "triangle"]
SIZE = 16
rng = np.random.default_rng(0)


def draw(shape):
    background = rng.integers(0, 70, (SIZE, SIZE, 3), dtype=np.uint8)
    image = Image.fromarray(background)
    r = rng.uniform(4, 7)
    cx, cy = rng.uniform(r, SIZE - r, size=2)
    colour = tuple(int(c) for c in rng.integers(120, 256, size=3))
    box = [cx - r, cy - r, cx + r, cy + r]
    pen = ImageDraw.Draw(image)
    if shape == "circle":
        pen.ellipse(box, fill=colour)
    elif shape == "square":
        pen.rectangle(box, fill=colour)
    else:
        pen.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=colour)
    return image


tmp = tempfile.TemporaryDirectory()
root = Path(tmp.name)
for shape in SHAPES:
    (root / shape).mkdir()
    for i in range(N_PER_CLASS):
        draw(shape).save(root / shape / f"{shape}_{i:03d}.png")

files = sorted(root.glob("*/*.png"))
misfiled = rng.choice(len(files), size=int(0.15 * len(files)), replace=False)
for k in misfiled:
    path = files[k]
    others = [s for s in SHAPES if s != path.parent.name]
    path.rename(root / rng.choice(others) / path.name)
print(f"{len(files)} images, {len(misfiled)} in the wrong folder")

# %%
# Training on the ImageFolder with label correction
# -------------------------------------------------
# The dataset's items are ``(image tensor, class index)``; ``fit(dataset)``
# takes the labels from them, so ``classes_`` are the indices into
# ``dataset.classes`` (pass ``y`` to use other labels). The image size and
# channels size the network (:class:`~sknoisy.models.CNN2D`).
from torchvision.datasets import ImageFolder
from torchvision.transforms import ToTensor

from sknoisy import NoisyLabelClassifier
from sknoisy.models import CNN2D

dataset = ImageFolder(root, transform=ToTensor())
clf = NoisyLabelClassifier(
    module=CNN2D,
    module__channels=(8, 16),
    label_correction="soft",
    max_epochs=8 if FAST else 40,
    batch_size=16,
    random_state=0,
)
clf.fit(dataset)

# %%
# The label issues
# ----------------
# One row per image, most suspicious labels first. The table is indexed by
# the image's path in the folder, and its labels are the folder names
# (``dataset.classes``); the estimator itself predicts class indices, as the
# dataset's items carry them.
issues = clf.get_label_issues(sort=True)
print(issues.attrs["index_source"])
print(issues.head(8).to_string())
paths = [Path(path) for path, _ in dataset.samples]

truly_misfiled = np.array([p.name.split("_")[0] != p.parent.name for p in paths])
flagged = clf.label_issues_
print(
    f"flagged {flagged.sum()} images: {np.sum(flagged & truly_misfiled)} of the "
    f"{truly_misfiled.sum()} misfiled ones and {np.sum(flagged & ~truly_misfiled)} "
    "correctly filed"
)

# %%
# The flagged images
# ------------------
# Each is shown with the folder it was in and the label the model gives it.
import matplotlib.pyplot as plt

shown = issues[issues["is_label_issue"]].head(12)
n_cols = 6
n_rows = max(1, -(-len(shown) // n_cols))
fig, axes = plt.subplots(
    n_rows, n_cols, figsize=(1.6 * n_cols, 2.2 * n_rows), squeeze=False
)
for ax in axes.ravel():
    ax.axis("off")
position = {str(p.relative_to(root)): i for i, p in enumerate(paths)}
for ax, (path, row) in zip(axes.ravel(), shown.iterrows()):
    i = position[path]
    ax.imshow(dataset[i][0].permute(1, 2, 0).numpy())
    ax.set_title(
        f"{row['given_label']}\n-> {row['corrected_label']}",
        fontsize=8,
        color="tab:red" if truly_misfiled[i] else "black",
    )
fig.suptitle("Flagged images: folder -> corrected label (red: truly misfiled)")
fig.tight_layout()
plt.show()

tmp.cleanup()
