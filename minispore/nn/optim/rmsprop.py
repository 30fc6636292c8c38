"""RMSProp (``mindspore.nn.RMSProp``)."""
from ... import ops
from .optimizer import Optimizer, check_flag, check_hyper

__all__ = ["RMSProp"]


class RMSProp(Optimizer):
    """Root-mean-square propagation (MindSpore's ApplyRMSProp / ApplyCenteredRMSProp).

    Per step, for parameter p with gradient g (after weight decay, centralization and loss
    scale, as :class:`Optimizer`): s = decay*s + (1-decay)*g*g;
    mom = momentum*mom + lr*g/sqrt(s + epsilon); p -= mom. Centered: mg = decay*mg +
    (1-decay)*g and the denominator is sqrt(s - mg*mg + epsilon). ``mean_square`` starts at
    ones (PyTorch's ``square_avg`` starts at zeros) and epsilon sits inside the square root.

    Args:
        params: parameters or groups. learning_rate: Default: ``0.1``.
        decay (float): >= 0. Default: ``0.9``. momentum (float): >= 0. Default: ``0.0``.
        epsilon (float): > 0. Default: ``1e-10``. use_locking (bool): Default: ``False``.
        centered (bool): Default: ``False``. loss_scale (float): Default: ``1.0``.
        weight_decay (Union[float, int, Cell]): Default: ``0.0``.

    State: ``global_step``, ``learning_rate``, ``mean_grad.<name>`` (centered only, zeros),
    ``mean_square.<name>`` (ones), ``moment.<name>`` (zeros).
    """

    def __init__(self, params, learning_rate=0.1, decay=0.9, momentum=0.0, epsilon=1e-10,
                 use_locking=False, centered=False, loss_scale=1.0, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        self.decay = check_hyper("RMSProp", "decay", decay, low=0.0)
        self.momentum = check_hyper("RMSProp", "momentum", momentum, low=0.0)
        self.epsilon = check_hyper("RMSProp", "epsilon", epsilon, low=0.0, low_open=True)
        self.use_locking = check_flag("RMSProp", "use_locking", use_locking)
        self.centered = check_flag("RMSProp", "centered", centered)
        if centered:
            self.mg = self.parameters.clone(prefix="mean_grad", init="zeros")
        self.ms = self.parameters.clone(prefix="mean_square", init="ones")
        self.moment = self.parameters.clone(prefix="moment", init="zeros")

    def construct(self, gradients):
        """Apply one update in place; returns True."""
        grads = self.prepare_gradients(gradients)
        lrs = self._next_lrs()
        if self.centered:
            ops.apply_centered_rms_prop(self.parameters, grads, self.mg, self.ms, self.moment,
                                        lrs, self.decay, self.momentum, self.epsilon)
        else:
            ops.apply_rms_prop(self.parameters, grads, self.ms, self.moment, lrs, self.decay,
                               self.momentum, self.epsilon)
        return True
