"""Callbacks shared by the tests (imported as a plain module from tests/)."""

from skorch.callbacks import Callback


class Interrupt(Callback):
    """Raise KeyboardInterrupt (which skorch catches) after epoch ``at``."""

    def __init__(self, at):
        self.at = at

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.at:
            raise KeyboardInterrupt
