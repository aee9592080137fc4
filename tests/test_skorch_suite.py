"""skorch's own test suite, run against NoisyLabelClassifier.

sknoisy promises that a skorch user can swap ``NeuralNetClassifier`` for
``NoisyLabelClassifier`` and keep what skorch offers. This module runs the
tests skorch installs with itself, ``skorch/tests/test_net.py`` and
``skorch/tests/test_classifier.py``, whole: every test class of theirs that
builds a ``NeuralNetClassifier`` (found by :func:`skorch_test_classes`: a
``net_cls`` fixture returning it, or an import of it from ``skorch`` in the
class) is subclassed here with ``net_cls`` returning
:class:`SkorchDefaultsClassifier`, and with ``skorch.NeuralNetClassifier``
redirected to it during each test: ``NoisyLabelClassifier`` with skorch's
defaults (``NLLLoss`` on the softmax module of the tests, SGD, lr 0.01, 10
epochs, batch 128, ``ValidSplit(5)``, verbose). The classes and tests that
build another skorch class are listed in ``NOT_REDIRECTED``. Nothing of
skorch is copied: the test classes are imported and subclassed, and skorch's
fixtures are imported from its ``conftest``.

Every skorch test that does not pass is listed below with its reason, and
marked as a strict expected failure (or skipped when it cannot run on any
machine), so a test that starts passing, or a new failure, fails this
module. The same list is in the docs (``docs/skorch.rst``, "Differences from
skorch"). To count the failures, run this module with ``--runxfail``; with
``SKNOISY_SKORCH_BASELINE=1`` it also runs the same classes on skorch's
``NeuralNetClassifier`` and on a renamed subclass of it (the baselines of the
docs' table).
"""

import inspect
import os

import pytest
import skorch
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
    # -- 2. sknoisy wraps a Dataset's items ----------------------------------
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


# -- which of skorch's test classes run here, and how they get their net -------
#: skorch's test modules run whole, in this order.
SKORCH_MODULES = (skorch_test_net, skorch_test_classifier)

#: Name of the redirected copy of a skorch class when its own name would clash.
_RENAMES = {("test_classifier", "TestNeuralNet"): "TestClassifier"}

#: skorch test classes (and tests) that build another class than
#: NeuralNetClassifier, so cannot be redirected: such a class is not run here;
#: such a test runs in its redirected class as skorch wrote it (testing skorch).
NOT_REDIRECTED = {
    "test_classifier::TestNeuralNetBinaryClassifier": (
        "tests NeuralNetBinaryClassifier (one logit, float y, threshold), "
        "which sknoisy does not replace; not run here"
    ),
    "test_net::TestTorchCompile::test_binary_classifier_with_compile": (
        "builds NeuralNetBinaryClassifier directly"
    ),
    "test_net::TestMetadataRouting::test_pipeline_with_dict_x_and_groups_routing": (
        "builds NeuralNetRegressor directly"
    ),
    "test_net::TestNeuralNet::test_passes_y_to_train_split_when_not_none": (
        "builds skorch's NeuralNet directly"
    ),
    "test_net::TestNeuralNet::"
    "test_customize_net_with_custom_dataset_that_returns_3_values": (
        "builds skorch's NeuralNet directly"
    ),
}


def _module_name(module):
    return module.__name__.rsplit(".", 1)[-1]


def _fixture_value(cls, name):
    """What the fixture ``name`` of skorch's class returns (it takes no input)."""
    fixture = getattr(cls, name, None)
    if fixture is None:
        return None
    try:
        return getattr(fixture, "__wrapped__", fixture)(None)
    except TypeError:  # it needs other fixtures: neither redirected nor None
        return fixture


def _builds_classifier_itself(cls):
    """Whether the class' fixtures or tests import skorch's NeuralNetClassifier."""
    return "from skorch import NeuralNetClassifier" in inspect.getsource(cls)


def skorch_test_classes():
    """skorch's test classes that test NeuralNetClassifier, as (module, class).

    Every class of :data:`SKORCH_MODULES` whose name starts with ``Test`` and
    whose ``net_cls`` fixture returns ``NeuralNetClassifier``, or that has no
    ``net_cls`` and imports ``NeuralNetClassifier`` from ``skorch`` in its
    fixtures (``TestTrimForPrediction``): that import is redirected too.
    """
    found = []
    for module in SKORCH_MODULES:
        for name, cls in vars(module).items():
            if not (name.startswith("Test") and inspect.isclass(cls)):
                continue
            if cls.__module__ != module.__name__:
                continue
            net = _fixture_value(cls, "net_cls")
            if net is NeuralNetClassifier or (
                net is None and _builds_classifier_itself(cls)
            ):
                found.append((module, cls))
    return found


def _redirected(cls, net_cls, name, doc):
    """A subclass of skorch's test class whose nets are ``net_cls``.

    Its ``net_cls`` fixture returns ``net_cls``, and ``skorch.NeuralNetClassifier``
    is ``net_cls`` during each test, so the fixtures and tests that import the
    class from ``skorch`` themselves build it too.
    """

    @pytest.fixture(scope="module", name="net_cls")
    def net_cls_fixture(self):
        return net_cls

    @pytest.fixture(autouse=True)
    def _skorch_import(self, monkeypatch):
        monkeypatch.setattr(skorch, "NeuralNetClassifier", net_cls)

    attrs = {
        "net_cls": net_cls_fixture,
        "_skorch_import": _skorch_import,
        "__doc__": doc,
        "__module__": __name__,
    }
    return type(name, (cls,), attrs)


def _short(name):
    return name[len("Test") :]


#: The redirected classes, by name: skorch's tests on NoisyLabelClassifier.
SUITE = {}
for _module, _cls in skorch_test_classes():
    _name = _RENAMES.get((_module_name(_module), _cls.__name__), _cls.__name__)
    SUITE[_name] = _redirected(
        _cls,
        SkorchDefaultsClassifier,
        _name,
        f"skorch's ``{_module_name(_module)}.py::{_cls.__name__}`` on "
        "NoisyLabelClassifier.",
    )
    globals()[_name] = SUITE[_name]


# The baselines of docs/skorch.rst: plain skorch, and a renamed subclass of it.
# SKNOISY_SKORCH_BASELINE=1 python -m pytest tests/test_skorch_suite.py -n 2 \
#     --runxfail -k "Baseline"
class RenamedNeuralNetClassifier(NeuralNetClassifier):
    """skorch's class under another name (the baseline for the name tests)."""


if os.environ.get("SKNOISY_SKORCH_BASELINE"):  # collected on demand only
    for _name, _suite_cls in SUITE.items():
        _base = _suite_cls.__mro__[1]
        _plain = f"TestBaselineSkorch{_short(_name)}"
        globals()[_plain] = type(_plain, (_base,), {"__module__": __name__})
        _renamed = f"TestBaselineRenamed{_short(_name)}"
        globals()[_renamed] = _redirected(
            _base, RenamedNeuralNetClassifier, _renamed, None
        )


def _test_names(cls):
    return {attr for attr in dir(cls) if attr.startswith("test_")}


def test_differences_are_skorch_tests():
    # Every listed name is a test of the redirected classes (no stale entries).
    names = {
        f"{name}::{test}" for name, cls in SUITE.items() for test in _test_names(cls)
    }
    for key in {**DIFFERENCES, **CANNOT_RUN}:
        assert key.split("[")[0] in names, key


def test_every_skorch_test_class_is_run_or_listed():
    # A test class that skorch adds is redirected here or listed with its reason.
    run = {cls.__mro__[1] for cls in SUITE.values()}
    classes = {}
    for module in SKORCH_MODULES:
        for name, cls in vars(module).items():
            if name.startswith("Test") and inspect.isclass(cls):
                if cls.__module__ == module.__name__:
                    classes[f"{_module_name(module)}::{name}"] = cls
    for key, cls in classes.items():
        assert cls in run or key in NOT_REDIRECTED, key
    for key in NOT_REDIRECTED:
        module, name, *test = key.split("::")
        assert f"{module}::{name}" in classes, key
        assert not test or test[0] in _test_names(classes[f"{module}::{name}"]), key
    assert {"TestNeuralNet", "TestClassifier", "TestMetadataRouting"} <= set(SUITE)


def test_suite_is_found():
    # skorch's tests are installed with skorch; a missing file would make
    # this module pass vacuously.
    path = os.path.dirname(skorch_test_net.__file__)
    assert os.path.exists(os.path.join(path, "test_classifier.py"))
    n_tests = sum(
        attr.startswith("test_") for attr in dir(skorch_test_net.TestNeuralNet)
    )
    assert n_tests > 150
