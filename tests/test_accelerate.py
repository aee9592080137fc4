"""AcceleratedNoisyLabelClassifier: skorch's AccelerateMixin with sknoisy, on CPU.

Single-process tests run in this process; one test starts two CPU processes
with ``torch.distributed.run`` (gloo backend on 127.0.0.1) to check what
happens across processes: sharded batches keep their sample indices, pruning
weights agree, and label correction trains (tests/test_multiprocess.py checks
its labels).
"""

import json
import pickle
import subprocess
import sys
import textwrap
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_blobs

from sknoisy import NoisyLabelClassifier
from sknoisy.accelerate import AcceleratedNoisyLabelClassifier
from sknoisy.utils._data import INDEX_KEY, X_KEY

try:
    import accelerate  # noqa: F401

    HAS_ACCELERATE = True
except ImportError:  # pragma: no cover - depends on the environment
    HAS_ACCELERATE = False

needs_accelerate = pytest.mark.skipif(
    not HAS_ACCELERATE,
    reason="accelerate is not installed (pip install 'sknoisy[accelerate]')",
)

CONFIGS = {
    "gce": {"loss": "gce"},
    "truncated_gce": {"loss": "truncated_gce", "prune_start": 2, "prune_every": 1},
    "soft-correction": {"label_correction": "soft", "correction_start": 1},
    "soft-correction-refit": {
        "label_correction": "soft",
        "correction_start": 1,
        "refit_corrected": True,
        "refit_epochs": 2,
    },
}


@pytest.fixture(scope="module")
def data():
    X, y = make_blobs(n_samples=120, centers=3, n_features=4, random_state=0)
    return X, np.array(["a", "b", "c"])[y]


@pytest.fixture
def accelerator():
    from accelerate import Accelerator

    return Accelerator(cpu=True)


def _params(**params):
    return {"max_epochs": 3, "batch_size": 32, "random_state": 0, **params}


def test_import_does_not_need_accelerate():
    # In a fresh interpreter where importing accelerate fails, as if it were
    # not installed, sknoisy and sknoisy.accelerate still import.
    code = textwrap.dedent(
        """
        import sys

        class NoAccelerate:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "accelerate":
                    raise ImportError("accelerate is blocked")

        sys.meta_path.insert(0, NoAccelerate())
        import sknoisy
        from sknoisy.accelerate import AcceleratedNoisyLabelClassifier

        clf = AcceleratedNoisyLabelClassifier(accelerator=None, loss="gce")
        assert clf.get_params()["loss"] == "gce"
        assert "accelerate" not in sys.modules
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


@needs_accelerate
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_same_result_as_the_plain_estimator(data, accelerator, config):
    X, y = data
    clf = AcceleratedNoisyLabelClassifier(
        accelerator=accelerator, **_params(**CONFIGS[config])
    ).fit(X, y)
    plain = NoisyLabelClassifier(**_params(**CONFIGS[config])).fit(X, y)
    assert clf.device is None
    np.testing.assert_allclose(
        clf.predict_proba(X), plain.predict_proba(X), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_array_equal(clf.predict(X), plain.predict(X))
    for name in ("pruning_weights_", "corrected_labels_"):
        if hasattr(plain, name):
            np.testing.assert_array_equal(getattr(clf, name), getattr(plain, name))


class _Recording(AcceleratedNoisyLabelClassifier):
    def get_loss(self, y_pred, y_true, X=None, training=False):
        if training:
            vars(self).setdefault("batches_seen", []).append(X)
        return super().get_loss(y_pred, y_true, X=X, training=training)


@needs_accelerate
def test_sample_index_dict_survives_the_prepared_data_loader(data, accelerator):
    X, y = data
    clf = _Recording(
        accelerator=accelerator,
        **_params(max_epochs=1, loss="truncated_gce", prune_start=1),
    ).fit(X, y)
    batches = clf.batches_seen
    assert len(batches) == 4
    for batch in batches:
        assert set(batch) == {X_KEY, INDEX_KEY}
        assert isinstance(batch[INDEX_KEY], torch.Tensor)
        assert batch[INDEX_KEY].device == accelerator.device
        # each index still points at its own row of X
        np.testing.assert_allclose(
            batch[X_KEY].cpu().numpy(), X[batch[INDEX_KEY].cpu().numpy()], rtol=1e-6
        )
    seen = torch.cat([batch[INDEX_KEY] for batch in batches]).cpu().numpy()
    np.testing.assert_array_equal(np.sort(seen), np.arange(len(X)))


@needs_accelerate
def test_label_correction_is_accepted_across_processes(data):
    # A stand-in with the attributes the checks read: nothing is refused
    # before training (the stand-in fails later, preparing the module).
    two_processes = SimpleNamespace(num_processes=2, device_placement=True)
    clf = AcceleratedNoisyLabelClassifier(
        accelerator=two_processes, label_correction="soft"
    )
    clf._check_params()
    names = [name for name, _ in clf.get_default_callbacks()]
    assert "label_correction" in names


@needs_accelerate
def test_continuing_unwrapped_across_processes_is_refused(data, accelerator):
    X, y = data
    clf = AcceleratedNoisyLabelClassifier(
        accelerator=accelerator,
        **_params(label_correction="soft", correction_start=1, correction_window=2),
    ).fit(X, y)
    # The same net as seen by one of two processes after fit unwrapped it.
    clf.accelerator = SimpleNamespace(
        num_processes=2, process_index=0, device=accelerator.device
    )
    with pytest.raises(
        ValueError, match=r"across 2 processes.*unwrap_after_train=False"
    ):
        clf.partial_fit(X, y)


@needs_accelerate
def test_verbose_is_honoured(data, accelerator, capsys):
    X, y = data
    AcceleratedNoisyLabelClassifier(accelerator=accelerator, **_params()).fit(X, y)
    assert "train_loss" not in capsys.readouterr().out
    clf = AcceleratedNoisyLabelClassifier(
        accelerator=accelerator, verbose=1, **_params()
    ).fit(X, y)
    assert "train_loss" in capsys.readouterr().out
    assert clf.get_params(deep=False)["callbacks__print_log__sink"] == "auto"


@needs_accelerate
def test_device_with_device_placement_is_refused(data, accelerator):
    X, y = data
    clf = AcceleratedNoisyLabelClassifier(
        accelerator=accelerator, device="cpu", **_params()
    )
    with pytest.raises(ValueError, match="device=None"):
        clf.fit(X, y)


@needs_accelerate
def test_save_params_and_load_params(data, accelerator, tmp_path):
    X, y = data
    clf = AcceleratedNoisyLabelClassifier(accelerator=accelerator, **_params()).fit(
        X, y
    )
    clf.save_params(f_params=tmp_path / "params.pt")
    new = AcceleratedNoisyLabelClassifier(
        accelerator=accelerator,
        module__n_features=4,
        module__n_classes=3,
        classes=clf.classes_,
    ).initialize()
    new.load_params(f_params=tmp_path / "params.pt")
    np.testing.assert_allclose(new.predict_proba(X), clf.predict_proba(X), rtol=1e-6)


@needs_accelerate
def test_pickle_and_clone(data, accelerator):
    X, y = data
    clf = AcceleratedNoisyLabelClassifier(accelerator=accelerator, **_params()).fit(
        X, y
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DeviceWarning
        restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert restored.device is None
    restored.partial_fit(X, y)  # the accelerator accepts it again
    assert len(restored.history) == 2 * clf.max_epochs
    fresh = clone(clf)
    assert fresh.accelerator is accelerator
    np.testing.assert_array_equal(
        fresh.fit(X, y).predict_proba(X), clf.predict_proba(X)
    )


_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import torch
    from accelerate import Accelerator
    from sklearn.datasets import make_blobs
    from sknoisy.utils._data import INDEX_KEY
    from sknoisy.accelerate import AcceleratedNoisyLabelClassifier

    class Recording(AcceleratedNoisyLabelClassifier):
        def get_loss(self, y_pred, y_true, X=None, training=False):
            if training and len(self.history) == 1:
                vars(self).setdefault("seen", []).extend(X[INDEX_KEY].tolist())
            return super().get_loss(y_pred, y_true, X=X, training=training)

    out = sys.argv[1]
    accelerator = Accelerator(cpu=True)
    X, y_clean = make_blobs(n_samples=120, centers=3, n_features=4, random_state=0)
    y = y_clean.copy()
    y[:20] = (y[:20] + 1) % 3  # wrong labels, for the pruning to find
    clf = Recording(
        accelerator=accelerator, loss="truncated_gce", prune_start=2,
        prune_every=1, max_epochs=3, batch_size=16, random_state=0,
    ).fit(X, y)
    result = {
        "rank": accelerator.process_index,
        "n_processes": accelerator.num_processes,
        "seen": clf.seen,
        "weights": clf.pruning_weights_.tolist(),
        "proba_shape": list(clf.predict_proba(X).shape),
        "score": clf.score(X, y_clean),
    }
    corrected = Recording(
        accelerator=accelerator, label_correction="soft", correction_start=2,
        correction_window=2, max_epochs=4, batch_size=16, random_state=0,
        refit_corrected=True, refit_epochs=2,
    ).fit(X, y)
    result["corrected"] = corrected.corrected_labels_.tolist()
    result["refit_proba"] = corrected.predict_proba(X).tolist()
    with open(f"{out}/rank{accelerator.process_index}.json", "w") as f:
        json.dump(result, f)
    accelerator.wait_for_everyone()
    torch.distributed.destroy_process_group()
    """
)


@needs_accelerate
@pytest.mark.skipif(
    not torch.distributed.is_available(), reason="torch.distributed is unavailable"
)
def test_two_cpu_processes(tmp_path, run_script):
    script = tmp_path / "train.py"
    script.write_text(_SCRIPT)
    run_script([script, tmp_path], processes=2, timeout=240)
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["n_processes"] for r in ranks] == [2, 2]
    seen = [set(r["seen"]) for r in ranks]
    # Each process trained on its own shard (indices kept through accelerate's
    # data loader); together they cover the data set.
    assert seen[0] | seen[1] == set(range(120))
    assert len(seen[0] & seen[1]) < 20  # only the padding of the last batch
    # Pruning weights were gathered: all processes hold the same ones.
    weights = ranks[0]["weights"]
    assert ranks[1]["weights"] == weights
    assert len(weights) == 120
    assert sum(weights[:20]) < 10  # most wrong labels pruned
    assert all(r["proba_shape"] == [120, 3] for r in ranks)
    assert all(r["score"] > 0.8 for r in ranks)
    # Label correction trains; both processes hold the same labels.
    assert ranks[0]["corrected"] == ranks[1]["corrected"]
    assert len(ranks[0]["corrected"]) == 120
    # The refit on the corrected labels trained one synchronised model.
    np.testing.assert_allclose(
        ranks[0]["refit_proba"], ranks[1]["refit_proba"], rtol=1e-5, atol=1e-6
    )
