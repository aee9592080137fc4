"""Test-session settings."""

import os

import matplotlib
import torch

# Tests run in parallel (pytest -n 2): one torch thread per worker avoids
# oversubscribing the cores, which slows tiny fits down many times over.
torch.set_num_threads(1)
os.environ.setdefault("OMP_NUM_THREADS", "1")
matplotlib.use("Agg")
