"""skorch internals made scikit-learn conform and cheaper per batch."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.exceptions import NotInitializedError as SkorchNotInitializedError

from ..exceptions import DivergenceWarning, NotInitializedError, _warn
from ._data import X_KEY, is_indexed
from ._torch import torch_seed

# Top-level estimator parameter -> loss-constructor argument, per loss name.


class _SkorchMixin:
    """skorch's hooks, called only where they act; the run plan per epoch."""

    def __getstate__(self):
        state = super().__getstate__()
        # The hook cache holds the callback list it was built from (possibly
        # replaced since, with callbacks that cannot be pickled); it is
        # rebuilt on the next notify.
        state.pop("_hook_cache", None)
        return state

    def _get_param_names(self):
        return [
            key
            for key in self.__dict__
            if not key.endswith("_") and not key.startswith("_")
        ]

    def __repr__(self):
        # scikit-learn's repr (the parameters that differ from their
        # defaults) instead of skorch's "[uninitialized](module=None,)";
        # an initialised net adds skorch's view of its modules.
        text = BaseEstimator.__repr__(self)
        if self.initialized_:
            text += (
                "[initialized]" + NeuralNet.__repr__(self).split("[initialized]")[-1]
            )
        return text

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True  # CSR, densified per batch
        tags.non_deterministic = False
        return tags

    def infer(self, x, **fit_params):
        # The sample indices stay out of the module; bfloat16 under autocast.
        if is_indexed(x):
            x = x[X_KEY]
        if self.precision == "float32":
            return super().infer(x, **fit_params)
        device_type = torch.device(self.device or "cpu").type
        with torch.autocast(device_type, dtype=torch.bfloat16):
            y_pred = super().infer(x, **fit_params)
        # Losses, label correction and probabilities work in float32.
        return y_pred.float()

    def _fit_seed(self):
        seed = torch_seed(self.random_state)
        if seed is None:
            return None
        # partial_fit continues with a fresh but reproducible stream.
        return (seed + len(self.history_ or [])) % (2**31 - 1)

    def check_is_fitted(self, attributes=None, *args, **kwargs):
        """Raise :class:`~sknoisy.exceptions.NotInitializedError` if needed.

        As skorch's ``check_is_fitted`` (an initialised net counts as
        fitted), with an error that is also scikit-learn's
        :class:`~sklearn.exceptions.NotFittedError`.
        """
        try:
            super().check_is_fitted(attributes, *args, **kwargs)
        except SkorchNotInitializedError as exc:
            raise NotInitializedError(*exc.args) from None

    def notify(self, method_name, **cb_kwargs):
        # Correctness: skorch's notify calls hooks on every entry of
        # callbacks_, which breaks once set_params(callbacks__name=None) has
        # replaced a callback by None on an initialised net (resuming without
        # a callback, tests/test_resume.py); those are skipped here. Calling
        # only hooks that are not Callback's no-ops is a side effect: its
        # speed gain is within noise (fit time with skorch's notify 0.996 and
        # 1.06 of this one, digits MLP 10 epochs, CE and soft correction).
        getattr(self, method_name)(self, **cb_kwargs)
        for cb in self._hooked_callbacks(method_name):
            getattr(cb, method_name)(self, **cb_kwargs)

    def _hooked_callbacks(self, method_name):
        """Callbacks whose ``method_name`` is not ``Callback``'s no-op."""
        callbacks = self.callbacks_
        cache = getattr(self, "_hook_cache", None)
        if cache is None:
            self._hook_cache = cache = {}
        cached = cache.get(method_name)
        # Holding the list keeps its identity valid (also across pickling);
        # the length catches callbacks appended in place.
        if cached is not None and cached[0] is callbacks:
            if cached[1] == len(callbacks):
                return cached[2]
        noop = getattr(Callback, method_name, None)
        hooked = [
            cb
            for _, cb in callbacks
            if cb is not None
            and (
                noop is None
                or method_name in vars(cb)
                or getattr(type(cb), method_name, None) is not noop
            )
        ]
        cache[method_name] = (callbacks, len(callbacks), hooked)
        return hooked

    def on_epoch_begin(self, net, **kwargs):
        """Open the epoch's history row, record the run plan, seed the epoch.

        The row gets ``plan_begin`` and ``plan_end`` (see
        :func:`~sknoisy.correction.run_plan`); with a ``random_state`` the
        epoch's random streams (shuffling, dropout, augmentation) are seeded
        from it and the epoch number, so a run resumed after an interruption
        draws what the uninterrupted run would have drawn.
        """
        super().on_epoch_begin(net, **kwargs)
        history = self.history
        done = len(history) - 1
        previous = history[-2] if done else {}
        begin, end = previous.get("plan_begin"), previous.get("plan_end")
        if end is None or done >= end:  # a new run: this call's epochs
            begin, end = done, done + max(1, self.epochs_left_)
        history.record("plan_begin", begin)
        history.record("plan_end", end)
        self.epochs_left_ -= 1
        seed = torch_seed(self.random_state)
        if seed is not None:
            seed = (seed + 7919 * (done + 1)) % (2**31 - 1)
            torch.random.default_generator.manual_seed(seed)
            device = torch.device(self.device or "cpu")
            if device.type == "cuda" and torch.cuda.is_available():
                torch.cuda.manual_seed(seed)

    def _start_call(self, epochs):
        """Epochs this training call will run (for the run plan)."""
        self.epochs_left_ = int(epochs)
        self._divergence_warned = False

    def on_epoch_end(self, net, **kwargs):
        super().on_epoch_end(net, **kwargs)
        batches = self.history[-1].get("batches", [])
        for batch in batches:
            value = batch.get("train_loss")
            if value is not None and not np.isfinite(value):
                message = (
                    f"Training diverged: the train_loss is {value} in epoch "
                    f"{len(self.history)}. Lower lr, or check X for extreme values."
                )
                if getattr(self, "criterion", None) is None:
                    raise FloatingPointError(message)
                # A plain skorch criterion trains on, as in skorch: say it once.
                if not getattr(self, "_divergence_warned", False):
                    self._divergence_warned = True
                    _warn(
                        message + " (With a plain criterion, training goes on "
                        "as in skorch; a module whose output does not suit the "
                        "criterion also causes this.)",
                        DivergenceWarning,
                    )
                return
