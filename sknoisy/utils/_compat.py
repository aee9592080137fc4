"""The one place that touches private names of skorch, torch and scikit-learn.

sknoisy builds on three libraries whose public APIs do not cover everything an
estimator of their kind needs: scikit-learn's parameter validation and sample
checks, skorch's re-initialisation steps, criteria list and training switch,
torch's state-dict loading hook. Every use of such a private name lives here,
behind a public name, so that a change in one of these libraries is fixed in
one file (as imbalanced-learn does with ``sklearn_compat``). The layout test
(``tests/test_layout.py``) refuses private names of these libraries anywhere
else in ``sknoisy``.

CI tests it with skorch 1.4, torch 2.14 and scikit-learn 1.9; ``pyproject.toml``
allows skorch 1.4.x only, the library whose private names are used most here
(its test suite's list of differences is measured on 1.4 too).
"""

from __future__ import annotations

import inspect
from contextlib import contextmanager

from sklearn.base import _fit_context as fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    Options,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)
from sklearn.utils.validation import _check_sample_weight as check_sample_weight
from sklearn.utils.validation import _num_samples as num_samples
from skorch import NeuralNet

__all__ = [
    "SKORCH_ROUTES",
    "AccelerateCompat",
    "HasMethods",
    "Interval",
    "Options",
    "StrOptions",
    "check_sample_weight",
    "criterion_names",
    "fit_context",
    "num_samples",
    "only_criteria",
    "own_buffers",
    "prepare_accelerator",
    "reinitialize",
    "routing_method",
    "set_training",
    "skorch_hooks",
    "skorch_predict_nonlinearity",
    "state_dict_hooks",
    "unwrap_accelerator",
    "validate_parameter_constraints",
    "validate_params",
    "wrapped_with_accelerator",
]


# ----------------------------------------------------------------------------
# skorch
# ----------------------------------------------------------------------------
def set_training(net, training):
    """Put every module and criterion of ``net`` in train or eval mode."""
    net._set_training(training)


def criterion_names(net):
    """Names of the criteria registered on ``net`` (``"criterion"``, ...)."""
    return list(net._criteria)


@contextmanager
def only_criteria(net, names):
    """Let skorch see only the criteria ``names`` while the block runs."""
    saved = net._criteria
    net._criteria = list(names)
    try:
        yield
    finally:
        net._criteria = saved


def reinitialize(net, what, reason):
    """Re-initialise ``net``'s ``"module"``, ``"criterion"`` or ``"optimizer"``.

    skorch's own step, which prints why when ``verbose`` (as
    ``set_params(module__...)`` does); the optimizer takes no reason.
    """
    if what == "optimizer":
        return net._initialize_optimizer()
    return getattr(net, f"_initialize_{what}")(reason=reason)


#: Whether the installed skorch routes fit parameters (skorch >= 1.4): its
#: ``fit_loop`` takes the private keyword ``_routing_method``.
SKORCH_ROUTES = "_routing_method" in inspect.signature(NeuralNet.fit_loop).parameters


def routing_method(method):
    """Fit parameters telling skorch's ``partial_fit`` which method was called.

    skorch resolves metadata-routing requests of that public method (``fit``
    or ``partial_fit``); empty for a skorch that does not route.
    """
    return {"_routing_method": method} if SKORCH_ROUTES else {}


def skorch_predict_nonlinearity(net):
    """The nonlinearity skorch applies in ``predict_proba`` for ``net``."""
    return net._get_predict_nonlinearity()


def _public_param_names(self):
    # skorch lists every attribute not ending in "_"; sknoisy's private
    # slots (collaborators of a fit) are not parameters either.
    names = self.__dict__
    return [key for key in names if not key.endswith("_") and key[:1] != "_"]


def skorch_hooks(cls):
    """Class decorator: the private skorch hooks of a sknoisy estimator.

    ``get_params`` (through skorch's ``_get_param_names``) leaves out the
    estimator's private attributes, so ``clone`` never passes them to the
    constructor.
    """
    cls._get_param_names = _public_param_names
    return cls


class AccelerateCompat:
    """skorch ``AccelerateMixin``'s private hooks, routed to public ones.

    Placed before ``AccelerateMixin`` in a subclass' bases: its
    ``_initialize_callbacks`` runs inside ``self.print_sink()`` (a context
    manager) and its ``_initialize_accelerator`` prepares only the criteria
    named by ``self.criteria_to_prepare()``.
    """

    def _initialize_callbacks(self):
        with self.print_sink():
            return super()._initialize_callbacks()

    def _initialize_accelerator(self):
        if self._wrapped_with_accelerator:
            return self
        with only_criteria(self, self.criteria_to_prepare()):
            return super()._initialize_accelerator()


def unwrap_accelerator(net):
    """skorch's ``AccelerateMixin``: undo the accelerator's wrapping."""
    net._unwrap_accelerator()


def prepare_accelerator(net):
    """skorch's ``AccelerateMixin``: wrap module and optimizer again."""
    net._initialize_accelerator()


def wrapped_with_accelerator(net):
    """Whether ``net``'s modules are currently wrapped by the accelerator."""
    return bool(net._wrapped_with_accelerator)


# ----------------------------------------------------------------------------
# torch
# ----------------------------------------------------------------------------
def _before_load(module, state_dict, prefix, *args, **kwargs):
    module.before_state_load(state_dict, prefix)


def _after_load(module, incompatible_keys):
    module.after_state_load()


def state_dict_hooks(module):
    """Call ``module.before_state_load(state_dict, prefix)`` and
    ``module.after_state_load()`` around every ``load_state_dict``.

    The hooks are module-level functions, so the module still pickles.
    """
    register = getattr(module, "register_load_state_dict_pre_hook", None)
    if register is not None:  # public since torch 2.5
        register(_before_load)
    else:
        module._register_load_state_dict_pre_hook(_before_load, with_module=True)
    module.register_load_state_dict_post_hook(_after_load)


def own_buffers(module):
    """``module``'s own buffers, ``{name: tensor}`` (not its children's)."""
    return dict(module.named_buffers(recurse=False))
