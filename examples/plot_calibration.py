"""
===================================================
Calibration and the penultimate layer of smoothing
===================================================

Müller, Kornblith and Hinton (2019), "When does label smoothing help?", make
two observations about networks trained with label smoothing: their
probabilities are better calibrated than those of cross entropy, and their
penultimate-layer activations form tight, equally spaced clusters, one per
class. This example looks at both on the digits with
:mod:`sknoisy.metrics`: reliability diagrams and expected calibration error
(ECE) of cross entropy and label smoothing, then the paper's projection of the
penultimate layer onto the plane through three class templates.
"""

# %%
# Two networks: cross entropy and label smoothing
# -----------------------------------------------
# The same MLP, initialisation and batch order (``random_state``) for both;
# only the loss differs: label smoothing trains against the targets
# ``(1 - a) * onehot + a / 10`` with ``a = 0.1``.
import os

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sknoisy import NoisyLabelClassifier

FAST = os.environ.get("SKNOISY_EXAMPLE_FAST") == "1"
MAX_EPOCHS = 5 if FAST else 50

X, y = load_digits(return_X_y=True)
X = (X / 16).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
models = {
    "cross entropy": NoisyLabelClassifier(
        loss="ce", max_epochs=MAX_EPOCHS, random_state=0
    ),
    "label smoothing (0.1)": NoisyLabelClassifier(
        loss="label_smoothing", smoothing=0.1, max_epochs=MAX_EPOCHS, random_state=0
    ),
}
for model in models.values():
    model.fit(X_train, y_train)

# %%
# Calibration on the test set
# ---------------------------
# Expected calibration error (15 equal-width confidence bins), negative
# log-likelihood and Brier score of ``predict_proba``; ``labels=classes_``
# names the class of each column.
from sknoisy.metrics import (
    brier_score,
    expected_calibration_error,
    negative_log_likelihood,
)

for name, model in models.items():
    proba = model.predict_proba(X_test)
    scores = {
        "accuracy": model.score(X_test, y_test),
        "confidence": proba.max(axis=1).mean(),
        "ECE": expected_calibration_error(y_test, proba, labels=model.classes_),
        "NLL": negative_log_likelihood(y_test, proba, labels=model.classes_),
        "Brier": brier_score(y_test, proba, labels=model.classes_),
    }
    print(f"{name:>22}: " + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()))

# %%
# Reliability diagrams
# --------------------
# Each bar is a confidence bin, as high as the accuracy of its predictions; a
# calibrated model follows the diagonal. Here cross entropy is nearly
# calibrated (the digits are easy and the MLP small) while label smoothing
# sits *above* the diagonal: it is underconfident. Its targets put at most
# ``1 - a + a / 10 = 0.91`` on a class, so its confidence stays near 0.9 even
# where it is almost always right. Müller et al.'s networks are overconfident
# under cross entropy, and there smoothing moves them towards the diagonal;
# the claims page (:ref:`claims`, claim 7) measures this over seeds and
# smoothing values.
import matplotlib.pyplot as plt

from sknoisy.metrics import plot_reliability_diagram

fig, axes = plt.subplots(1, 2, figsize=(9, 4.6), layout="constrained")
for ax, (name, model) in zip(axes, models.items()):
    proba = model.predict_proba(X_test)
    plot_reliability_diagram(y_test, proba, labels=model.classes_, ax=ax, label=name)
    ax.set_title(name)
plt.show()

# %%
# The penultimate layer, projected
# --------------------------------
# The logit of class ``k`` is ``w_k . h + b_k``, with ``h`` the penultimate
# activations and ``w_k`` the row of the final layer, the class *template*.
# Müller et al. pick three classes, take an orthonormal basis of the plane
# through their three templates and project the activations of those classes'
# training examples onto it. A ratio summarises each picture: the mean distance
# of a point to its cluster's centre over the mean distance between the
# centres (smaller: tighter clusters). The default :class:`~sknoisy.models.MLP` exposes
# its penultimate layer as ``module_.features`` and its final layer as
# ``module_.classifier``.
import torch
from scipy.spatial.distance import pdist

CLASSES = [3, 5, 8]  # three digits that look alike


def project_penultimate(model, X, classes):
    """Activations of X projected onto the plane through the class templates."""
    module = model.module_
    module.eval()
    with torch.no_grad():
        h = module.features(torch.as_tensor(X)).numpy()
    columns = np.searchsorted(model.classes_, classes)
    templates = module.classifier.weight.detach().numpy()[columns]  # 3 x width
    # Orthonormal basis of the plane through the three templates.
    basis, _ = np.linalg.qr((templates[1:] - templates[0]).T)  # width x 2
    return (h - templates[0]) @ basis


def spread(points, labels):
    """Mean distance to the class centre over mean distance between centres."""
    centres = np.array([points[labels == c].mean(axis=0) for c in CLASSES])
    own = centres[np.searchsorted(CLASSES, labels)]
    return np.linalg.norm(points - own, axis=1).mean() / pdist(centres).mean()


mask = np.isin(y_train, CLASSES)
fig, axes = plt.subplots(1, 2, figsize=(9, 4.4), layout="constrained")
for ax, (name, model) in zip(axes, models.items()):
    points = project_penultimate(model, X_train[mask], CLASSES)
    for digit in CLASSES:
        members = y_train[mask] == digit
        ax.scatter(*points[members].T, s=8, alpha=0.6, label=f"digit {digit}")
    ratio = spread(points, y_train[mask])
    print(f"{name:>22}: cluster spread / distance between clusters {ratio:.3f}")
    ax.set_title(f"{name}\nspread / distance {ratio:.2f}")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(fontsize="small")
fig.suptitle("Penultimate layer on the plane of three class templates")
plt.show()

# %%
# Both networks separate the three digits. Relative to the distances between
# the clusters, the clusters of label smoothing are tighter: smoothing asks
# for the same logit gap between the right class and every wrong one, so each
# training example is pulled towards its own template and kept equally far
# from all others. Müller et al. relate this to the information smoothing
# erases about how alike two classes are, and hence to why smoothed teachers
# distil worse.
