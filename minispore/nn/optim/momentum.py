"""Momentum (``mindspore.nn.Momentum``)."""
from ...common import dtype as mstype
from ...common.parameter import Parameter
from ...common.tensor import Tensor
from ... import ops
from .optimizer import Optimizer, check_flag

__all__ = ["Momentum"]


class Momentum(Optimizer):
    """Stochastic gradient descent with momentum.

    Per step, for each parameter p with gradient g: (weight decay) g += weight_decay*p; (loss
    scale) g /= loss_scale; v = momentum*v + g; p -= lr*v. With ``use_nesterov``,
    p -= lr*g + lr*momentum*v (as documented; MindSpore 2.10's CPU kernel ignores the flag).
    Parameter groups (per-group ``lr``, ``weight_decay``, ``grad_centralization``) and
    ``order_params`` work as described in :class:`Optimizer`.

    Args:
        params (Union[list[Parameter], list[dict]]): e.g. ``net.trainable_params()``.
        learning_rate (Union[float, int, list, Tensor, LearningRateSchedule]): see
            :class:`Optimizer`.
        momentum (float): >= 0, stored as the Float32 Parameter ``momentum``.
        weight_decay (Union[float, int]): Default: ``0.0``.
        loss_scale (float): Default: ``1.0``.
        use_nesterov (bool): Default: ``False``.

    Its own parameters are, in order, ``global_step``, ``learning_rate``, ``momentum`` and
    ``moments.<name>`` for each parameter (zeros): MindSpore 2.x's 19 entries for LeNet.
    """

    def __init__(self, params, learning_rate, momentum, weight_decay=0.0, loss_scale=1.0,
                 use_nesterov=False):
        if isinstance(momentum, bool) or not isinstance(momentum, float):
            raise TypeError(f"For 'Momentum', the type of 'momentum' should be 'float', but got "
                            f"type '{type(momentum).__name__}'.")
        if momentum < 0.0:
            raise ValueError(f"For 'Momentum', the 'momentum' must be >= 0, but got {momentum}.")
        check_flag("Momentum", "use_nesterov", use_nesterov)
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        self.momentum = Parameter(Tensor(momentum, mstype.float32), name="momentum")
        self.moments = self.parameters.clone(prefix="moments", init="zeros")
        self.use_nesterov = use_nesterov

    def construct(self, gradients):
        """Apply one update in place; returns True."""
        lrs = None
        if any(self.grad_centralization_flags):
            grads = self.prepare_gradients(gradients)
            lrs = self._next_lrs()
            ops.apply_momentum(self.parameters, grads, self.moments, lrs,
                               float(self.momentum._data), 0.0, 1.0, self.use_nesterov)
            return True
        grads = self._check_gradients(gradients)
        wds = self._weight_decays_at(self.step_count)
        lrs = self._next_lrs()
        ops.apply_momentum(self.parameters, grads, self.moments, lrs, float(self.momentum._data),
                           wds, self.loss_scale, self.use_nesterov,
                           self.decay_flags)
        return True
