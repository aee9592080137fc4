"""
=======================================
When label correction starts, and why
=======================================

Joint optimisation replaces the training labels by the network's own
predictions, so it must start after the network has learned what the clean
majority of the labels share and before it memorises the wrong ones. How many
epochs that takes depends on the data, on the network and on something as
mundane as the scale of the inputs: the same digits standardised
(``StandardScaler``, features with unit variance, some of them huge after
scaling near-constant pixels) are memorised within a few epochs, while scaled to
[0, 1] the network needs several times longer to learn at all.

The agreement between the network's predictions and the given labels of the
*training* samples cannot tell the two phases apart: memorisation keeps raising
it. ``correction_start="auto"`` therefore holds out the given labels of 10% of
the training samples (``correction_holdout``) until correction starts. Those
samples still pass through the network, but nothing is learned from their
labels, so how well the network predicts them (the mean probability it gives
to their label, ``heldout_score`` in the history) rises only while it learns
something that generalises. Correction starts once that score has set no new
best for two epochs.
"""

# %%
# Two preprocessings of the same noisy digits
# -------------------------------------------
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknoisy import NoisyLabelClassifier
from sknoisy.noise import corrupt_labels

FAST = os.environ.get("SKNOISY_EXAMPLE_FAST") == "1"
MAX_EPOCHS = 6 if FAST else 40

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=1
)
y_noisy = corrupt_labels(y_train, "symmetric", rate=0.4, random_state=1)
scaler = StandardScaler().fit(X_train)
inputs = {
    "StandardScaler": (scaler.transform(X_train), scaler.transform(X_test)),
    "X / 16": (X_train / 16, X_test / 16),
}

# %%
# Fit with the automatic start and read the curves from the history
# ------------------------------------------------------------------
fits = {}
for name, (X_tr, X_te) in inputs.items():
    clf = NoisyLabelClassifier(
        label_correction="soft", max_epochs=MAX_EPOCHS, random_state=1
    )
    clf.fit(X_tr.astype(np.float32), y_noisy)
    fits[name] = clf
    print(
        f"{name:>14}: correction started at epoch {clf.correction_start_}, "
        f"test accuracy {clf.score(X_te.astype(np.float32), y_test):.3f}, "
        f"label recovery {np.mean(clf.corrected_labels_ == y_train):.3f}"
    )

# %%
# The held-out score stops rising where memorisation begins; the training
# agreement does not. The dotted line marks the chosen start.
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, (name, clf) in zip(axes, fits.items()):
    history = clf.history
    start = clf.correction_start_ or len(history)
    epochs = np.arange(1, start + 1)
    train_agreement = [row["label_agreement"] for row in history[:start]]
    heldout_score = [row["heldout_score"] for row in history[:start]]
    heldout_agreement = [row["heldout_agreement"] for row in history[:start]]
    ax.plot(epochs, train_agreement, "o-", label="agreement, training labels")
    ax.plot(epochs, heldout_agreement, "s-", label="agreement, held-out labels")
    ax.plot(epochs, heldout_score, "^-", label="held-out score (mean p of label)")
    ax.axvline(start, color="k", linestyle=":", label=f"start (epoch {start})")
    ax.set_title(f"digits, {name}, 40% flips")
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)
axes[0].set_ylabel("fraction / probability")
axes[0].legend(loc="lower right", fontsize=8)
fig.tight_layout()
plt.show()

# %%
# Afterwards every sample, held out or not, is trained on its corrected label.
# When correction never starts, or runs for fewer than ``correction_window``
# epochs, :class:`~sknoisy.exceptions.CorrectionWarning` says which parameter
# to change.
