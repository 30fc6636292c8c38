"""Adagrad (``mindspore.nn.Adagrad``)."""
from ... import ops
from .optimizer import Optimizer, check_flag, check_hyper

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (MindSpore's ApplyAdagrad, CPU form).

    Per step, for parameter p with gradient g (after weight decay, centralization and loss
    scale, as :class:`Optimizer`): h += g*g (when ``update_slots``); p -= lr*g/sqrt(h + 1e-6).

    Args:
        params: parameters or groups. accum (float): >= 0, the starting h. Default: ``0.1``.
        learning_rate: Default: ``0.001``. update_slots (bool): Default: ``True``.
        loss_scale (float): Default: ``1.0``. weight_decay (Union[float, int, Cell]): Default: ``0.0``.

    State: ``global_step``, ``learning_rate``, ``accum.<name>`` (filled with ``accum``).
    """

    def __init__(self, params, accum=0.1, learning_rate=0.001, update_slots=True, loss_scale=1.0,
                 weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        accum = check_hyper("Adagrad", "accum", accum, low=0.0)
        self.update_slots = check_flag("Adagrad", "update_slots", update_slots)
        self.accum = self.parameters.clone(prefix="accum", init=accum)

    def construct(self, grads):
        """Apply one update in place; returns True."""
        grads = self.prepare_gradients(grads)
        lrs = self._next_lrs()
        ops.apply_adagrad(self.parameters, grads, self.accum, lrs, self.update_slots)
        return True
