"""
=============================================
Label recovery over epochs: hard versus soft
=============================================

With ``label_correction``, :class:`~sknoisy.NoisyLabelClassifier` treats the
training labels as variables (joint optimisation, Tanaka et al. 2018): after an
early-learning phase it replaces every label by the network's mean prediction
of the last epochs, either as a one-hot label (``"hard"``) or as the
distribution itself (``"soft"``).

Here 40% of the digits' training labels are flipped. A small skorch callback
records, after every epoch, how many of the current labels equal the clean
ones, and how accurate the network is on the clean test set. Cross entropy
without correction is shown for comparison.
"""

# %%
# Data with noisy training labels
# -------------------------------
import os

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sknoisy.noise import SymmetricNoise

FAST = os.environ.get("SKNOISY_EXAMPLE_FAST") == "1"
MAX_EPOCHS = 4 if FAST else 60

X, y = load_digits(return_X_y=True)
X = (X / 16).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
noise = SymmetricNoise(rate=0.4, random_state=0)
_, y_noisy = noise.fit_resample(X_train, y_train)
print(f"{noise.noise_rate_:.0%} of the training labels are wrong")

# %%
# A callback recording label recovery and test accuracy
# -----------------------------------------------------
# sknoisy's own :class:`~sknoisy.LabelCorrection` callback runs before the
# callbacks passed by the user, so at ``on_epoch_end`` the labels of this epoch
# are already updated. The current label distributions live in the
# estimator's (private) training state; their argmax is the current label.
from skorch.callbacks import Callback

from sknoisy import NoisyLabelClassifier


class RecoveryMonitor(Callback):
    """Record ``label_recovery`` and ``test_accuracy`` in the history."""

    def __init__(self, y_clean, X_test, y_test):
        self.y_clean = y_clean
        self.X_test = X_test
        self.y_test = y_test

    def on_epoch_end(self, net, **kwargs):
        state = getattr(net, "label_state_", None)  # the per-sample labels
        if state is not None and state.corrects:
            labels = net.classes_[state.current_labels().argmax(1).cpu().numpy()]
            net.history.record("label_recovery", float(np.mean(labels == self.y_clean)))
        net.history.record("test_accuracy", float(net.score(self.X_test, self.y_test)))


histories = {}
for correction in [None, "hard", "soft"]:
    clf = NoisyLabelClassifier(
        label_correction=correction,
        max_epochs=MAX_EPOCHS,
        callbacks=[RecoveryMonitor(y_train, X_test, y_test)],
        random_state=0,
    )
    clf.fit(X_train, y_noisy)
    histories[correction or "none (CE)"] = clf.history
    if correction:
        recovered = np.mean(clf.corrected_labels_ == y_train)
        print(f"{correction}: {recovered:.1%} of the labels recovered")

# %%
# When did correction start?
# --------------------------
# With ``correction_start="auto"`` the labels are first updated once the
# agreement between predictions and given labels stops rising fast (the end of
# early learning). The history says when, and how many labels changed per epoch.
for name in ["hard", "soft"]:
    history = histories[name]
    start = next((i + 1 for i, c in enumerate(history[:, "correcting"]) if c), None)
    changed = history[:, "n_labels_changed"]
    print(
        f"{name}: correction from epoch {start}, labels changed per epoch: "
        f"{changed[:12]}..."
    )

# %%
# Plot
# ----
# Left: the fraction of training labels equal to the clean ones. Before
# correction starts it is the fraction of labels the noise left alone. Right:
# test accuracy on clean labels. Plain cross entropy memorises the wrong labels
# and its accuracy decays as training continues; the corrected runs keep
# theirs.
import matplotlib.pyplot as plt

fig, (ax_rec, ax_acc) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for name, history in histories.items():
    epochs = history[:, "epoch"]
    if name != "none (CE)":
        ax_rec.plot(epochs, history[:, "label_recovery"], label=name)
    ax_acc.plot(epochs, history[:, "test_accuracy"], label=name)
ax_rec.axhline(1 - noise.noise_rate_, color="gray", ls="--", label="given labels")
ax_rec.set(
    xlabel="epoch",
    ylabel="training labels equal to the clean ones",
    title="Label recovery",
)
ax_acc.set(
    xlabel="epoch", ylabel="accuracy on clean test labels", title="Test accuracy"
)
for ax in (ax_rec, ax_acc):
    ax.grid(alpha=0.3)
    ax.legend()
plt.show()
