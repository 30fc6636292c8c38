"""Momentum (``mindspore.nn.Momentum``)."""
from ...common import dtype as mstype
from ...common.parameter import Parameter
from ...common.tensor import Tensor
from ... import ops
from .optimizer import Optimizer

__all__ = ["Momentum"]


class Momentum(Optimizer):
    """Stochastic gradient descent with momentum.

    Per step, for each parameter p with gradient g: (weight decay) g += weight_decay*p;
    (loss scale) g /= loss_scale; v = momentum*v + g; p -= lr*v. With ``use_nesterov``,
    p -= lr*g + lr*momentum*v (as documented; MindSpore 2.10's CPU kernel ignores the flag).

    Args:
        params (list[Parameter]): e.g. ``net.trainable_params()``.
        learning_rate (Union[float, list, Tensor]): stored as the Parameter ``learning_rate``.
        momentum (float): >= 0, stored as the Parameter ``momentum``.
        weight_decay (float): Default: ``0.0``.
        loss_scale (float): Default: ``1.0``.
        use_nesterov (bool): Default: ``False``.

    Its own parameters are, in order, ``learning_rate``, ``momentum`` and ``moments.<name>`` for
    each parameter (zeros), which is what a train-network checkpoint holds. This is the guide's
    list of 18 for LeNet; MindSpore 2.x also keeps an Int32 ``global_step`` (19 entries, same
    482 kB), which minispore does not: loading such a file reports ``global_step`` in
    ``ckpt_not_load`` and loses nothing else.
    """

    def __init__(self, params, learning_rate, momentum, weight_decay=0.0, loss_scale=1.0,
                 use_nesterov=False):
        if isinstance(momentum, bool) or not isinstance(momentum, float):
            raise TypeError(f"For 'Momentum', the type of 'momentum' should be 'float', but got "
                            f"type '{type(momentum).__name__}'.")
        if momentum < 0.0:
            raise ValueError(f"For 'Momentum', the 'momentum' must be >= 0, but got {momentum}.")
        if not isinstance(use_nesterov, bool):
            raise TypeError(f"For 'Momentum', 'use_nesterov' must be bool, but got "
                            f"{type(use_nesterov)}.")
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        self.momentum = Parameter(Tensor(momentum, mstype.float32), name="momentum")
        self.moments = self.parameters.clone(prefix="moments", init="zeros")
        self.use_nesterov = use_nesterov

    def construct(self, gradients):
        """Apply one update in place; returns True."""
        self._check_gradients(gradients)
        ops.apply_momentum(self.parameters, gradients, self.moments, self._current_lr(),
                           float(self.momentum._data), self.weight_decay, self.loss_scale,
                           self.use_nesterov, self.decay_flags)
        self.step_count += 1
        return True
