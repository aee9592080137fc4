"""GridSearchCV over q and LE on a dask.distributed cluster through joblib.

The recipe of docs/scaling.rst, run on a local cluster of two worker processes.
Each worker declares one abstract ``GPU`` resource (as ``dask worker
--resources GPU=1`` would on a GPU machine), so the test can check that the fits
claim it when asked to; no GPU is used.
"""

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV

from sknoisy import NoisyLabelClassifier

distributed = pytest.importorskip(
    "dask.distributed",
    reason="dask.distributed is not installed (pip install 'dask[distributed]')",
)
joblib = pytest.importorskip("joblib")

PARAM_GRID = [
    {"loss": ["gce"], "q": [0.3, 0.7]},
    {"loss": ["encouraging"], "LE": [0.5, 1.0]},
]


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        host="127.0.0.1",
        resources={"GPU": 1},
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _search(n_jobs, param_grid=PARAM_GRID, cv=3, on_dask=True):
    # On dask, a second "score" probes the worker's free GPU resources.
    scoring = {"accuracy": "accuracy"}
    if on_dask:
        scoring["gpu_free"] = _gpu_free
    return GridSearchCV(
        NoisyLabelClassifier(max_epochs=3, batch_size=32, random_state=0),
        param_grid,
        cv=cv,
        n_jobs=n_jobs,
        scoring=scoring,
        refit="accuracy",
    )


def _gpu_free(estimator, X, y):
    """A "score": how many GPU resources the worker has free during the task."""
    worker = distributed.get_worker()
    return float(worker.state.available_resources.get("GPU", -1))


def test_grid_search_over_q_and_LE_on_a_dask_cluster(client):
    X, y = make_blobs(n_samples=150, centers=3, n_features=4, random_state=0)
    assert len(client.scheduler_info()["workers"]) == 2

    with distributed.get_task_stream(client) as stream:
        with joblib.parallel_backend("dask"):
            grid = _search(n_jobs=-1).fit(X, y)

    # The fits ran as tasks on the cluster's workers.
    workers = {task["worker"] for task in stream.data}
    assert workers and workers <= set(client.scheduler_info()["workers"])
    assert len(grid.cv_results_["params"]) == 4
    assert {p.get("q") for p in grid.cv_results_["params"]} >= {0.3, 0.7}
    assert {p.get("LE") for p in grid.cv_results_["params"]} >= {0.5, 1.0}
    assert grid.best_params_["loss"] in {"gce", "encouraging"}
    assert grid.best_estimator_.predict(X).shape == (150,)

    # Same seeds, same scores as a local run: distribution changes nothing.
    local = _search(n_jobs=1, on_dask=False).fit(X, y)
    np.testing.assert_allclose(
        grid.cv_results_["mean_test_accuracy"], local.cv_results_["mean_test_accuracy"]
    )
    assert grid.best_params_ == local.best_params_
    # Without a resource request the fits leave the GPU resource free.
    np.testing.assert_array_equal(grid.cv_results_["mean_test_gpu_free"], 1.0)


@pytest.mark.parametrize("how", ["backend-kwargs", "dask-annotate"])
def test_each_fit_can_claim_one_gpu_resource(client, how):
    import dask

    X, y = make_blobs(n_samples=90, centers=3, n_features=4, random_state=0)
    search = _search(n_jobs=-1, param_grid={"loss": ["gce"], "q": [0.3, 0.7]}, cv=2)
    if how == "backend-kwargs":
        with joblib.parallel_backend("dask", resources={"GPU": 1}):
            search.fit(X, y)
    else:
        with dask.annotate(resources={"GPU": 1}), joblib.parallel_backend("dask"):
            search.fit(X, y)
    # While a fit ran it held the worker's only GPU: none was free.
    np.testing.assert_array_equal(search.cv_results_["mean_test_gpu_free"], 0.0)
