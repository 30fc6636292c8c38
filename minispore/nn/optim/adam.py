"""Adam and AdamWeightDecay (``mindspore.nn.Adam``, ``mindspore.nn.AdamWeightDecay``)."""
import numpy as np

from ...common import dtype as mstype
from ...common.parameter import Parameter
from ...common.tensor import Tensor
from ... import ops
from .optimizer import Optimizer, check_flag, check_hyper

__all__ = ["Adam", "AdamWeightDecay"]


def _betas_eps(opt, beta1, beta2, eps):
    check_hyper(opt, "beta1", beta1, low=0.0, high=1.0, low_open=True)
    check_hyper(opt, "beta2", beta2, low=0.0, high=1.0, low_open=True)
    check_hyper(opt, "eps", eps, low=0.0, low_open=True)


class Adam(Optimizer):
    """Adam (MindSpore's Adam kernel; ApplyAdamWithAmsgrad with ``use_amsgrad``).

    Per step t, for parameter p with gradient g (after weight decay ``g + wd*p``, gradient
    centralization and loss scale, as :class:`Optimizer`): beta1_power = beta1**t,
    beta2_power = beta2**t (kept as Parameters); m = beta1*m + (1-beta1)*g;
    v = beta2*v + (1-beta2)*g*g; p -= lr*sqrt(1-beta2_power)/(1-beta1_power) * m/(sqrt(v)+eps).
    Nesterov uses beta1*m + (1-beta1)*g in the numerator; amsgrad uses vhat = max(vhat, v) in
    the denominator. ``eps`` is added to sqrt(v) before the bias correction, so it equals
    PyTorch's Adam with eps*sqrt(1-beta2**t) (identical for eps -> 0).

    Args:
        params: parameters or groups. learning_rate: Default: ``1e-3``.
        beta1 (float): in (0, 1). Default: ``0.9``. beta2 (float): in (0, 1). Default: ``0.999``.
        eps (float): > 0. Default: ``1e-8``. use_locking (bool): accepted. Default: ``False``.
        use_nesterov (bool): Default: ``False``. weight_decay (Union[float, int, Cell]): Default: ``0.0``.
        loss_scale (float): Default: ``1.0``. use_amsgrad (bool): Default: ``False``.
        kwargs: ``use_lazy`` / ``use_offload`` (bools; dense CPU updates either way).

    State: ``global_step``, ``learning_rate``, ``beta1_power``, ``beta2_power`` (Float32 scalars,
    start 1), ``moment1.<name>``, ``moment2.<name>`` and with amsgrad ``vhat.<name>``.
    """

    def __init__(self, params, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                 use_locking=False, use_nesterov=False, weight_decay=0.0, loss_scale=1.0,
                 use_amsgrad=False, **kwargs):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        _betas_eps("Adam", beta1, beta2, eps)
        for name, value in (("use_locking", use_locking), ("use_nesterov", use_nesterov),
                            ("use_amsgrad", use_amsgrad)):
            check_flag("Adam", name, value)
        unknown = sorted(set(kwargs) - {"use_lazy", "use_offload"})
        if unknown:
            raise TypeError(f"For 'Adam', unexpected keyword arguments {unknown}.")
        use_lazy = check_flag("Adam", "use_lazy", kwargs.get("use_lazy", False))
        use_offload = check_flag("Adam", "use_offload", kwargs.get("use_offload", False))
        if use_lazy and use_offload:
            raise ValueError("For 'Adam', 'use_lazy' and 'use_offload' can not both be True.")
        if use_amsgrad and (use_lazy or use_offload):
            raise ValueError("For 'Adam', 'use_amsgrad' can not be combined with 'use_lazy' or "
                             "'use_offload'.")
        if use_amsgrad and use_nesterov:
            raise ValueError("For 'Adam', 'use_amsgrad' and 'use_nesterov' can not both be True "
                             "(MindSpore's amsgrad kernel has no Nesterov form).")
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.use_locking, self.use_nesterov, self.use_amsgrad = use_locking, use_nesterov, use_amsgrad
        self.use_lazy, self.use_offload = use_lazy, use_offload
        self.beta1_power = Parameter(Tensor(np.float32(1.0), mstype.float32), name="beta1_power")
        self.beta2_power = Parameter(Tensor(np.float32(1.0), mstype.float32), name="beta2_power")
        self.moment1 = self.parameters.clone(prefix="moment1", init="zeros")
        self.moment2 = self.parameters.clone(prefix="moment2", init="zeros")
        if use_amsgrad:
            self.vhat = self.parameters.clone(prefix="vhat", init="zeros")

    def construct(self, gradients):
        """Apply one update in place; returns True."""
        grads = self.prepare_gradients(gradients)
        lrs = self._next_lrs()
        self.beta1_power._data[...] = self.beta1_power._data * np.float32(self.beta1)
        self.beta2_power._data[...] = self.beta2_power._data * np.float32(self.beta2)
        b1p, b2p = float(self.beta1_power._data), float(self.beta2_power._data)
        if self.use_amsgrad:
            ops.apply_adam_with_amsgrad(self.parameters, grads, self.moment1, self.moment2,
                                        self.vhat, lrs, b1p, b2p, self.beta1, self.beta2, self.eps)
        else:
            ops.apply_adam(self.parameters, grads, self.moment1, self.moment2, lrs, b1p, b2p,
                           self.beta1, self.beta2, self.eps, self.use_nesterov)
        return True


class AdamWeightDecay(Optimizer):
    """Adam with decoupled weight decay, MindSpore's form (no bias correction).

    Per step, for parameter p with gradient g: m = beta1*m + (1-beta1)*g;
    v = beta2*v + (1-beta2)*g*g; p -= lr*(m/(sqrt(v)+eps) + weight_decay*p), the decay term
    only where the parameter's decay flag is set (without groups: names without ``beta`` or
    ``gamma``). No loss scale argument (as in MindSpore).

    Args:
        params: parameters or groups. learning_rate: Default: ``1e-3``.
        beta1 (float): Default: ``0.9``. beta2 (float): Default: ``0.999``.
        eps (float): Default: ``1e-6``. weight_decay (Union[float, int, Cell]): Default: ``0.0``.

    State: ``global_step``, ``learning_rate``, ``adam_m.<name>``, ``adam_v.<name>``.
    """

    def __init__(self, params, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-6,
                 weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay)
        _betas_eps("AdamWeightDecay", beta1, beta2, eps)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.moments1 = self.parameters.clone(prefix="adam_m", init="zeros")
        self.moments2 = self.parameters.clone(prefix="adam_v", init="zeros")

    def construct(self, gradients):
        """Apply one update in place; returns True."""
        grads = self.prepare_gradients(gradients, decay=False)
        wds = [wd if flag else 0.0 for wd, flag in zip(self._weight_decays_at(self.step_count),
                                                        self.decay_flags)]
        lrs = self._next_lrs()
        ops.apply_adam_weight_decay(self.parameters, grads, self.moments1, self.moments2, lrs,
                                    self.beta1, self.beta2, self.eps, wds)
        return True
