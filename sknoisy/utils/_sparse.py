"""Sparse X (SciPy CSR), as skorch takes it: densified one batch at a time.

skorch trains on a SciPy sparse CSR matrix (its ``Dataset`` makes each row
dense); sknoisy does the same per batch. Other sparse formats are converted
to CSR when X is validated (``validate_data(accept_sparse="csr")``), since
batches index rows. The matrix itself is never densified as a whole.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

__all__ = ["ACCEPT_SPARSE", "dense_rows", "is_sparse"]

#: ``accept_sparse`` of X's validation: CSR, the format of row batches.
ACCEPT_SPARSE = "csr"


def is_sparse(X):
    """Whether ``X`` is a SciPy sparse matrix or array."""
    return sparse.issparse(X)


def dense_rows(X, index):
    """Rows ``index`` of ``X`` as a dense NumPy array (X sparse or not).

    Parameters
    ----------
    X : ndarray, memmap or scipy.sparse CSR matrix or array
        The samples.
    index : ndarray of int
        Positions of the rows.

    Returns
    -------
    rows : ndarray of shape (len(index), n_features)
        The rows, dense, in X's dtype.
    """
    rows = X[index]
    if sparse.issparse(rows):
        return rows.toarray()
    return np.asarray(rows)
