"""skorch's own test suite, run against NoisyLabelClassifier.

sknoisy promises that a skorch user can swap ``NeuralNetClassifier`` for
``NoisyLabelClassifier`` and keep what skorch offers. This module runs the
tests skorch installs with itself (``skorch/tests/test_net.py``, class
``TestNeuralNet``, and ``skorch/tests/test_classifier.py``, class
``TestNeuralNet``) with their ``net_cls`` fixture returning
:class:`SkorchDefaultsClassifier`: ``NoisyLabelClassifier`` with skorch's
defaults (``NLLLoss`` on the softmax module of the tests, SGD, lr 0.01, 10
epochs, batch 128, ``ValidSplit(5)``, verbose). Nothing of skorch is copied:
the test classes are imported and subclassed, and skorch's fixtures are
imported from its ``conftest``.

Every skorch test that does not pass is listed below with its reason, in one
of three groups, and marked as a strict expected failure (or skipped when it
cannot run on any machine), so a test that starts passing, or a new failure,
fails this module. The same list is in the docs (``docs/skorch.rst``,
"Differences from skorch"). To count the failures, run this module with
``--runxfail``; the closing note of issue 15 has the numbers.
"""

import os

import pytest
import torch
from skorch import NeuralNetClassifier
from skorch.dataset import ValidSplit

skorch_test_net = pytest.importorskip(
    "skorch.tests.test_net", reason="skorch's tests need flaky (pip install flaky)"
)
from skorch.tests import test_classifier as skorch_test_classifier  # noqa: E402
from skorch.tests.conftest import (  # noqa: E402, F401  (skorch's fixtures)
    classifier_data,
    classifier_module,
    multiouput_module,
    score55,
    seeds_fixed,
    train_split,
)

from sknoisy import NoisyLabelClassifier  # noqa: E402


class SkorchDefaultsClassifier(NoisyLabelClassifier):
    """NoisyLabelClassifier with skorch's defaults, for skorch's tests."""

    def __init__(
        self,
        module=None,
        *,
        criterion=torch.nn.NLLLoss,
        optimizer=torch.optim.SGD,
        lr=0.01,
        max_epochs=10,
        batch_size=128,
        train_split=ValidSplit(5),  # noqa: F811  (not the fixture)
        verbose=1,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            verbose=verbose,
            **kwargs,
        )


_NAME = (
    "expects the literal class name 'NeuralNetClassifier' in the message or "
    "repr; fails for any subclass of skorch's NeuralNetClassifier with "
    "another name (checked: `class Renamed(NeuralNetClassifier): pass` fails "
    "it too)"
)

#: skorch tests that fail by design, with the reason (see docs/skorch.rst).
DIFFERENCES = {
    # -- 1. the class is named NoisyLabelClassifier -------------------------
    "TestNeuralNet::test_not_init_raises[predict]": _NAME,
    "TestNeuralNet::test_not_init_raises[predict_proba]": _NAME,
    "TestNeuralNet::test_not_init_raises[forward]": _NAME,
    "TestNeuralNet::test_not_init_raises[forward_iter]": _NAME,
    "TestNeuralNet::test_not_fitted_raises": _NAME,
    "TestNeuralNet::test_repr_uninitialized_works": _NAME
    + "; sknoisy's repr is scikit-learn's (parameters that differ from "
    "their defaults), with skorch's module listing once initialised",
    "TestNeuralNet::test_repr_initialized_works": _NAME,
    "TestNeuralNet::test_repr_fitted_works": _NAME,
    "TestClassifier::test_pass_empty_classes_raises[classes0]": _NAME
    + "; sknoisy also refuses classes=[] at fit with a ValueError instead "
    "of fitting a net without classes_",
    "TestClassifier::test_pass_empty_classes_raises[classes1]": _NAME
    + "; sknoisy also refuses classes=[] at fit (see above)",
    "TestClassifier::test_error_when_classes_could_not_be_inferred": _NAME
    + "; sknoisy reads the labels from the Dataset's items, so classes_ "
    "exists and nothing is raised",
    # -- 2. sknoisy reads a Dataset's labels and wraps its items -------------
    "TestNeuralNet::test_fit_with_dataset_stratified_without_explicit_y_raises": (
        "sknoisy reads the labels of a Dataset's (x, y) items, so a "
        "stratified ValidSplit works without y instead of raising"
    ),
    "TestNeuralNet::test_predefined_split": (
        "the training iterator gets sknoisy's view of the training Dataset "
        "(labels encoded, float32 batches, sample indices for label "
        "correction), not the Dataset object itself; the validation Dataset "
        "is passed as is"
    ),
}

#: skorch tests that cannot run here (they fail for plain skorch too).
CANNOT_RUN = {
    "TestNeuralNet::test_pickle_load[False]": (
        "needs skorch/tests/net_cuda.pkl, made on a CUDA machine and not "
        "shipped in skorch's wheel"
    ),
    "TestNeuralNet::test_load_cuda_params_to_cpu[f_params-net_cuda.pt]": (
        "needs skorch/tests/net_cuda.pt, not shipped in skorch's wheel"
    ),
    "TestNeuralNet::test_load_cuda_params_to_cpu[f_optimizer-optimizer_cuda.pt]": (
        "needs skorch/tests/optimizer_cuda.pt, not shipped in skorch's wheel"
    ),
}


def _key(request):
    owner = request.cls.__name__ if request.cls is not None else ""
    return f"{owner}::{request.node.name}"


@pytest.fixture(autouse=True)
def _known_differences(request):
    key = _key(request)
    if key.split("::")[0].startswith("TestBaseline"):
        return
    if key in CANNOT_RUN:
        pytest.skip(CANNOT_RUN[key])
    if key in DIFFERENCES:
        request.applymarker(pytest.mark.xfail(reason=DIFFERENCES[key], strict=True))


class TestNeuralNet(skorch_test_net.TestNeuralNet):
    """skorch's ``test_net.py::TestNeuralNet`` on NoisyLabelClassifier."""

    @pytest.fixture(scope="module")
    def net_cls(self):
        return SkorchDefaultsClassifier


class TestClassifier(skorch_test_classifier.TestNeuralNet):
    """skorch's ``test_classifier.py::TestNeuralNet`` on NoisyLabelClassifier."""

    @pytest.fixture(scope="module")
    def net_cls(self):
        return SkorchDefaultsClassifier


# The baselines of docs/skorch.rst: plain skorch, and a renamed subclass of it.
# SKNOISY_SKORCH_BASELINE=1 python -m pytest tests/test_skorch_suite.py -n 2 \
#     --runxfail -k "Baseline"
class RenamedNeuralNetClassifier(NeuralNetClassifier):
    """skorch's class under another name (the baseline for the name tests)."""


if os.environ.get("SKNOISY_SKORCH_BASELINE"):  # collected on demand only

    class TestBaselineSkorchNet(skorch_test_net.TestNeuralNet):
        pass

    class TestBaselineSkorchClassifier(skorch_test_classifier.TestNeuralNet):
        pass

    class TestBaselineRenamedNet(skorch_test_net.TestNeuralNet):
        @pytest.fixture(scope="module")
        def net_cls(self):
            return RenamedNeuralNetClassifier

    class TestBaselineRenamedClassifier(skorch_test_classifier.TestNeuralNet):
        @pytest.fixture(scope="module")
        def net_cls(self):
            return RenamedNeuralNetClassifier


def test_differences_are_skorch_tests():
    # Every listed name is a test of the two classes (no stale entries).
    names = set()
    for cls in (TestNeuralNet, TestClassifier):
        for attr in dir(cls):
            if attr.startswith("test_"):
                names.add(f"{cls.__name__}::{attr}")
    for key in {**DIFFERENCES, **CANNOT_RUN}:
        assert key.split("[")[0] in names, key


def test_suite_is_found():
    # skorch's tests are installed with skorch; a missing file would make
    # this module pass vacuously.
    path = os.path.dirname(skorch_test_net.__file__)
    assert os.path.exists(os.path.join(path, "test_classifier.py"))
    n_tests = sum(
        attr.startswith("test_") for attr in dir(skorch_test_net.TestNeuralNet)
    )
    assert n_tests > 150
