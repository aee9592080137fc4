"""Sparse X: SciPy CSR (other formats converted), densified batch by batch.

skorch trains on a sparse CSR X; so does NoisyLabelClassifier, with the same
result as on the dense X (the batches are the same float32 rows).
"""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.datasets import make_classification
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.utils import get_tags
from skorch.dataset import ValidSplit

# Two fits of the same data in two forms, as for memmaps and Datasets; _quiet
# (autouse) silences CorrectionWarning in this module too.
from test_inputs import _quiet, assert_same_fit, fast  # noqa: F401

from sknoisy import NoisyLabelClassifier
from sknoisy.fastpath import TensorLoader
from sknoisy.utils._data import BatchedDataset

X, Y = make_classification(
    n_samples=120, n_features=12, n_informative=6, n_classes=3, random_state=0
)
X[np.abs(X) < 0.8] = 0.0  # about half the entries are zero
LABELS = np.array(["ant", "bee", "cat"])[Y]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"label_correction": "soft", "correction_start": 1},
        {"loss": "truncated_gce", "prune_start": 2, "prune_every": 1},
        {"class_weight": "balanced", "train_split": ValidSplit(4)},
        {"iterator_train": TensorLoader, "iterator_valid": TensorLoader},
    ],
    ids=["ce", "soft", "truncated_gce", "weights-split", "tensorloader"],
)
def test_sparse_csr_fits_as_dense(params):
    Xs = sp.csr_matrix(X)
    # Integer labels with a train_split: its valid_acc scoring compares the
    # encoded labels with decoded predictions (a separate, older issue).
    y = Y if "train_split" in params else LABELS
    dense = fast(**params).fit(X, y)
    sparse = fast(**params).fit(Xs, y)
    assert_same_fit(dense, sparse, X, Xs)
    assert sparse.n_features_in_ == X.shape[1]
    assert len(sparse.history) == len(dense.history)


def test_sample_weight_and_partial_fit_on_sparse():
    weight = np.linspace(0.5, 1.5, len(Y))
    Xs = sp.csr_matrix(X)
    dense = fast().fit(X, Y, sample_weight=weight).partial_fit(X, Y)
    sparse = fast().fit(Xs, Y, sample_weight=weight).partial_fit(Xs, Y)
    assert_same_fit(dense, sparse, X, Xs)
    # Dense and sparse inputs are interchangeable once fitted.
    np.testing.assert_allclose(sparse.predict_proba(X), dense.predict_proba(Xs))


@pytest.mark.parametrize(
    "to_sparse", [sp.csr_array, sp.csc_matrix, sp.coo_matrix, sp.lil_matrix]
)
def test_other_sparse_formats_are_converted_to_csr(to_sparse):
    dense = fast(max_epochs=2).fit(X, Y)
    sparse = fast(max_epochs=2).fit(to_sparse(X), Y)
    assert_same_fit(dense, sparse, X, to_sparse(X))


def test_sparse_rows_are_densified_per_batch_only():
    # The training dataset keeps the caller's CSR matrix; batches are dense.
    Xs = sp.csr_matrix(X.astype(np.float32))
    clf = fast(max_epochs=1).fit(Xs, Y)
    dataset = clf.get_dataset(Xs)
    assert isinstance(dataset, BatchedDataset)
    assert dataset._columns.array is Xs
    batch, _ = next(iter(clf.get_iterator(dataset)))
    assert isinstance(batch, torch.Tensor) and not batch.is_sparse
    assert batch.dtype == torch.float32 and batch.shape == (16, X.shape[1])


def test_sparse_input_is_validated():
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        fast().fit(sp.csr_matrix(bad), Y)
    clf = fast(max_epochs=1).fit(sp.csr_matrix(X), Y)
    with pytest.raises(ValueError, match="X has 11 features"):
        clf.predict(sp.csr_matrix(X[:, :-1]))


def test_text_pipeline_and_sparse_tag():
    # skorch's own example: TfidfVectorizer's CSR output into the net.
    words = np.array(["noisy", "label", "net", "torch", "sparse", "batch"])
    rng = np.random.default_rng(0)
    docs = [" ".join(rng.choice(words, size=5)) for _ in range(60)]
    y = np.array(["net" in doc for doc in docs])
    pipe = make_pipeline(
        TfidfVectorizer(dtype=np.float32), fast(max_epochs=20, lr=0.02)
    ).fit(docs, y)
    net = pipe[-1]
    assert net.history[-1, "train_loss"] < net.history[0, "train_loss"]
    assert pipe.predict(docs).dtype == bool
    assert get_tags(NoisyLabelClassifier()).input_tags.sparse
