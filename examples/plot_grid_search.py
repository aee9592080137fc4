"""
==========================================================
Tuning robust losses with GridSearchCV on clean CV labels
==========================================================

The robust losses have hyperparameters: the exponent ``q`` of the generalized
cross entropy (GCE; ``q -> 0`` is cross entropy, ``q = 1`` is MAE) and the log
end ``LE`` of the encouraging loss' conservative bonus. Since
:class:`~sknoisy.NoisyLabelClassifier` is a scikit-learn estimator, a plain
:class:`~sklearn.model_selection.GridSearchCV` searches them.

To score the search on **clean** labels, the noise is injected inside an
:mod:`imblearn` pipeline: :class:`~sknoisy.noise.SymmetricNoise` is a sampler,
so it corrupts the training folds during ``fit`` only, while every validation
fold keeps its given (here clean) labels.
"""

# %%
# Pipeline and search space
# -------------------------
import os

import numpy as np
from imblearn.pipeline import make_pipeline
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV

from sknoisy import NoisyLabelClassifier
from sknoisy.noise import SymmetricNoise

FAST = os.environ.get("SKNOISY_EXAMPLE_FAST") == "1"

X, y = load_digits(return_X_y=True)
X = (X / 16).astype(np.float32)
if FAST:
    X, y = X[::4], y[::4]

pipe = make_pipeline(
    SymmetricNoise(rate=0.4, random_state=0),
    NoisyLabelClassifier(max_epochs=2 if FAST else 50, random_state=0),
)
q_values = [0.3, 0.7] if FAST else [0.1, 0.3, 0.5, 0.7, 0.9, 1.0]
le_values = [0.5, 1.0] if FAST else [0.0, 0.25, 0.5, 0.75, 1.0]
param_grid = [
    {"noisylabelclassifier__loss": ["gce"], "noisylabelclassifier__q": q_values},
    {
        "noisylabelclassifier__loss": ["encouraging"],
        "noisylabelclassifier__LE": le_values,
    },
    {"noisylabelclassifier__loss": ["ce"]},
]
search = GridSearchCV(pipe, param_grid, cv=2 if FAST else 3)
search.fit(X, y)
print("best:", search.best_params_, f"CV accuracy {search.best_score_:.3f}")

# %%
# CV score against each hyperparameter
# ------------------------------------
# ``cv_results_`` holds one entry per candidate. The validation folds carry
# clean labels, so the scores measure what matters: accuracy on the truth. The
# dashed line is plain cross entropy on the same noisy folds.
import matplotlib.pyplot as plt

res = search.cv_results_
loss = np.asarray(res["param_noisylabelclassifier__loss"])
mean, std = res["mean_test_score"], res["std_test_score"]
ce_score = mean[loss == "ce"][0]

fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True, layout="constrained")
for ax, name, param, label in [
    (axes[0], "gce", "noisylabelclassifier__q", "q (GCE)"),
    (axes[1], "encouraging", "noisylabelclassifier__LE", "LE (encouraging loss)"),
]:
    mask = loss == name
    values = np.asarray(res[f"param_{param}"][mask], dtype=float)
    order = np.argsort(values)
    values, m, s = values[order], mean[mask][order], std[mask][order]
    ax.plot(values, m, marker="o", label=name)
    ax.fill_between(values, m - s, m + s, alpha=0.2)
    ax.axhline(ce_score, color="gray", ls="--", label="ce")
    ax.set(xlabel=label, title=f"{name}, 40% symmetric noise")
    ax.grid(alpha=0.3)
    ax.legend()
axes[0].set_ylabel("CV accuracy on clean labels")
plt.show()
