"""Label correction across processes: two CPU processes (gloo) against one.

The same training script runs once as a plain single process and once as two
processes started with ``torch.distributed.run`` on 127.0.0.1 (gloo back end,
``DataLoaderConfiguration(split_batches=True)`` so that both runs take the same
global batches). Each process writes what it fitted to a file; the test
checks that both processes hold the same corrected labels and label-state
history, and that they recover the clean labels as well as one process does.
"""

import json
import textwrap

import numpy as np
import pytest
import torch

pytest.importorskip("accelerate", reason="accelerate is not installed")

if not (torch.distributed.is_available() and torch.distributed.is_gloo_available()):
    pytest.skip(
        "torch.distributed with the gloo back end is unavailable",
        allow_module_level=True,
    )

# History keys computed from the label state: the same in every process.
STATE_KEYS = (
    "label_agreement",
    "heldout_score",
    "heldout_agreement",
    "train_score",
    "correcting",
    "n_labels_changed",
    "train_loss",  # averaged over the processes
)

_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import torch
    from accelerate import Accelerator, DataLoaderConfiguration
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler
    from sknoisy.accelerate import AcceleratedNoisyLabelClassifier
    from sknoisy.noise import corrupt_labels

    out, keys = sys.argv[1], json.loads(sys.argv[2])
    config = DataLoaderConfiguration(split_batches=True)
    accelerator = Accelerator(cpu=True, dataloader_config=config)
    X, y_clean = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    y = corrupt_labels(y_clean, kind="symmetric", rate=0.4, random_state=0)
    clf = AcceleratedNoisyLabelClassifier(
        accelerator=accelerator, label_correction="soft", max_epochs=20,
        batch_size=64, random_state=0,
    ).fit(X, y)
    result = {
        "rank": accelerator.process_index,
        "n_processes": accelerator.num_processes,
        "labels": clf.corrected_labels_.tolist(),
        "soft": clf.soft_labels_.tolist(),
        "start": clf.correction_start_,
        "history": [{k: row.get(k) for k in keys} for row in clf.history],
        "recovery": float(np.mean(clf.corrected_labels_ == y_clean)),
        "given": float(np.mean(y == y_clean)),
    }
    # A network that does not learn (lr=1e-30) gives the same outputs however
    # the epochs are sharded: the label state must then be the one-process
    # state. 1001 samples: the sampler pads the last batch with repeats.
    frozen = AcceleratedNoisyLabelClassifier(
        accelerator=accelerator, label_correction="soft", lr=1e-30,
        anneal_lr=False, correction_start=1, correction_window=3, max_epochs=3,
        random_state=0,
    ).fit(X[:1001], y[:1001])
    result["frozen_soft"] = frozen.soft_labels_.tolist()
    # Losses and accuracy on a validation split, and a callback that stops
    # from them: averaged over processes, so every process stops together.
    from skorch.callbacks import EarlyStopping
    from skorch.dataset import ValidSplit
    stopped = AcceleratedNoisyLabelClassifier(
        accelerator=accelerator, train_split=ValidSplit(4), max_epochs=40,
        lr=0.05, callbacks=[EarlyStopping(patience=2, threshold=0.05)],
        random_state=0,
    ).fit(X[:800], y[:800])
    result["valid"] = [
        {k: row[k] for k in ("train_loss", "valid_loss", "valid_acc",
                             "valid_loss_best")}
        for row in stopped.history
    ]
    try:  # the module was unwrapped after training
        clf.partial_fit(X, y)
        result["error"] = None
    except ValueError as exc:
        result["error"] = str(exc)
    name = f"rank{accelerator.process_index}of{accelerator.num_processes}.json"
    with open(f"{out}/{name}", "w") as f:
        json.dump(result, f)
    if accelerator.num_processes > 1:
        accelerator.wait_for_everyone()
        torch.distributed.destroy_process_group()
    """
)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, run_script):
    tmp_path = tmp_path_factory.mktemp("multiprocess")
    script = tmp_path / "train.py"
    script.write_text(_SCRIPT)
    args = [script, tmp_path, json.dumps(STATE_KEYS)]
    run_script(args)
    run_script(args, processes=2)
    names = ["rank0of1", "rank0of2", "rank1of2"]
    return {n: json.loads((tmp_path / f"{n}.json").read_text()) for n in names}


def test_every_process_holds_the_same_labels(runs):
    rank0, rank1 = runs["rank0of2"], runs["rank1of2"]
    assert (rank0["n_processes"], rank1["n_processes"]) == (2, 2)
    assert rank0["labels"] == rank1["labels"]
    np.testing.assert_array_equal(rank0["soft"], rank1["soft"])
    # Same decisions from the same numbers: held-out scores, start, changes.
    assert rank0["history"] == rank1["history"]
    assert rank0["start"] == rank1["start"] is not None
    assert any(row["heldout_score"] is not None for row in rank0["history"])


def test_every_process_records_the_same_losses_and_stops_together(runs):
    rank0, rank1 = runs["rank0of2"]["valid"], runs["rank1of2"]["valid"]
    assert rank0 == rank1
    assert len(rank0) < 40  # early stopping stopped both at the same epoch
    # the means over the processes are close to the one-process values
    one = runs["rank0of1"]["valid"]
    assert abs(rank0[0]["valid_acc"] - one[0]["valid_acc"]) < 0.1


def test_the_label_state_is_the_one_process_state(runs):
    # Same outputs in, same labels out: the exchange neither drops nor
    # double-counts a sample (nor the repeats that pad the last batch).
    np.testing.assert_allclose(
        runs["rank0of2"]["frozen_soft"], runs["rank0of1"]["frozen_soft"], atol=1e-6
    )
    assert runs["rank0of2"]["frozen_soft"] == runs["rank1of2"]["frozen_soft"]


def test_two_processes_recover_as_many_labels_as_one(runs):
    one, two = runs["rank0of1"], runs["rank0of2"]
    assert one["n_processes"] == 1
    assert two["recovery"] > two["given"] + 0.2  # correction did its work
    assert abs(two["recovery"] - one["recovery"]) <= 0.01


def test_continuing_after_unwrapping_is_refused_across_processes(runs):
    assert runs["rank0of1"]["error"] is None  # one process may continue
    for name in ("rank0of2", "rank1of2"):
        error = runs[name]["error"]
        assert error is not None
        assert "unwrap_after_train=False" in error and "2 processes" in error
