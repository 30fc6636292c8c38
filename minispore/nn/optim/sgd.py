"""SGD (``mindspore.nn.SGD``)."""
from ...common import dtype as mstype
from ...common.parameter import Parameter
from ...common.tensor import Tensor
from ... import ops
from .optimizer import Optimizer, check_flag, check_hyper

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, momentum optional (MindSpore's SGD kernel).

    Per step, for parameter p with gradient g (after gradient centralization and loss scale):
    g += weight_decay*p (every parameter: MindSpore's SGD kernel takes the decay itself and has
    no ``beta``/``gamma`` exclusion); with momentum > 0, v = g on the first step and
    v = momentum*v + (1-dampening)*g after; g = v (Nesterov: g + momentum*v); p -= lr*g.
    This is PyTorch's ``torch.optim.SGD`` with the same arguments.

    Args:
        params (Union[list[Parameter], list[dict]]): parameters or groups (see
            :class:`Optimizer`).
        learning_rate: Default: ``0.1``. momentum (float): >= 0. Default: ``0.0``.
        dampening (float): >= 0. Default: ``0.0``. weight_decay (float): Default: ``0.0``.
        nesterov (bool): needs momentum > 0 and dampening 0. Default: ``False``.
        loss_scale (float): Default: ``1.0``.

    State: ``global_step``, ``learning_rate``, ``momentum``, ``accum.<name>`` (zeros) and
    ``stat.<name>`` (ones until a parameter's first step).
    """

    def __init__(self, params, learning_rate=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, loss_scale=1.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        if self.dynamic_weight_decay:
            raise TypeError("For 'SGD', dynamic weight decay is not supported: 'weight_decay' "
                            "(also in groups) must be float or int.")
        momentum = check_hyper("SGD", "momentum", momentum, low=0.0, allow_int=True)
        self.dampening = check_hyper("SGD", "dampening", dampening, low=0.0, allow_int=True)
        self.nesterov = check_flag("SGD", "nesterov", nesterov)
        if nesterov and (momentum <= 0.0 or self.dampening != 0.0):
            raise ValueError(f"For 'SGD', if 'nesterov' is true, 'momentum' must be > 0.0 and "
                             f"'dampening' must equal 0.0, but got 'momentum' {momentum}, "
                             f"'dampening' {self.dampening}.")
        self.momentum = Parameter(Tensor(momentum, mstype.float32), name="momentum")
        self.accum = self.parameters.clone(prefix="accum", init="zeros")
        self.stat = self.parameters.clone(prefix="stat", init="ones")

    def construct(self, gradients):
        """Apply one update in place; returns True."""
        grads = self.prepare_gradients(gradients, decay=False)
        lrs = self._next_lrs()
        ops.apply_sgd(self.parameters, grads, self.accum, self.stat, lrs,
                      float(self.momentum._data), self.dampening, list(self._weight_decays),
                      self.nesterov)
        return True
