"""
=====================================
Test accuracy against the noise rate
=====================================

How much does each robust loss protect a network from wrong training labels?
This example runs a small benchmark with :func:`sknoisy.benchmark.run_benchmark`:
an MLP is trained on the digits with symmetric label noise injected into the
training split at several rates, once per method, and scored on the clean test
labels. It is the Python counterpart of the ``sknoisy benchmark`` command.
"""

# %%
# Settings
# --------
# One seed keeps the example under a minute on a laptop CPU; the
# ``sknoisy benchmark`` command averages three seeds. Setting the environment
# variable ``SKNOISY_EXAMPLE_FAST=1`` shrinks the run further (used by the tests).
import os

from sknoisy.benchmark import format_table, plot_results, run_benchmark

FAST = os.environ.get("SKNOISY_EXAMPLE_FAST") == "1"

settings = {
    "rates": [0.0, 0.2, 0.4, 0.6, 0.8],
    "methods": ["ce", "label_smoothing", "gce", "truncated_gce", "jo_soft"],
    "seeds": [0],
    "max_epochs": 50,
}
if FAST:
    settings = {
        "rates": [0.0, 0.6],
        "methods": ["ce", "gce", "jo_soft"],
        "seeds": [0],
        "max_epochs": 2,
        "n_train": 200,
    }

# %%
# Run the benchmark
# -----------------
# For a given seed and rate every method trains on the same noisy labels. Each
# result is a dict: one per method, rate and seed.
results = run_benchmark("digits", noise="symmetric", progress=False, **settings)
results[0]

# %%
# The table printed by the command line: accuracy on the clean test labels and,
# for joint optimisation, the fraction of training labels it recovered.
print(format_table(results))

# %%
# Accuracy against the noise rate
# -------------------------------
# Cross entropy and label smoothing fit the wrong labels and lose accuracy
# quickly. The bounded generalized cross entropy (GCE) and its truncated
# version resist longer, and joint optimisation, which corrects the labels
# while it trains, keeps most of its accuracy up to 60% wrong labels. At 80%
# every method suffers; joint optimisation least.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
plot_results(results, ax=ax)
plt.show()
