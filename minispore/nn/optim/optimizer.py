"""Optimizer: the base Cell that owns the learning rate and updates parameters in place."""
import numbers

import numpy as np

from ...common import dtype as mstype
from ...common.parameter import Parameter, ParameterTuple
from ...common.tensor import Tensor
from ..cell import Cell

__all__ = ["Optimizer"]


def _decay_filter(param):
    """MindSpore's default: no weight decay for normalisation parameters (beta, gamma)."""
    return "beta" not in param.name and "gamma" not in param.name


class Optimizer(Cell):
    """Base class of optimizers.

    Args:
        learning_rate (Union[float, int, list, Tensor]): a number becomes the scalar Float32
            Parameter ``learning_rate``; a list or 1-D Tensor is a per-step schedule (indexed by
            the step count, the last value held after it ends).
        parameters (Union[list[Parameter], list[dict]]): what to update; must not be empty.
        weight_decay (float): Default: ``0.0``.
        loss_scale (float): gradients are divided by it. Default: ``1.0``.
    """

    _graph_side_effect = ("it calls an optimizer, which updates parameters in place; "
                          "minispore plans training through nn.TrainOneStepCell")

    def __init__(self, learning_rate, parameters, weight_decay=0.0, loss_scale=1.0):
        super().__init__(auto_prefix=False)
        name = type(self).__name__
        params = list(parameters) if parameters is not None else []
        if params and isinstance(params[0], dict):
            params = [p for group in params for p in group["params"]]
        if not params:
            raise ValueError(f"For '{name}', the argument 'parameters' must not be empty.")
        for i, p in enumerate(params):
            if not isinstance(p, Parameter):
                raise TypeError(f"For '{name}', every element of 'parameters' must be a "
                                f"Parameter, but got {type(p)} at index {i}.")
        if isinstance(weight_decay, bool) or not isinstance(weight_decay, numbers.Real) or \
                weight_decay < 0:
            raise ValueError(f"For '{name}', the 'weight_decay' must be a float >= 0, but got "
                             f"{weight_decay!r}.")
        if isinstance(loss_scale, bool) or not isinstance(loss_scale, numbers.Real) or \
                loss_scale <= 0:
            raise ValueError(f"For '{name}', the 'loss_scale' must be a float > 0, but got "
                             f"{loss_scale!r}.")
        # The network's parameters are held, not registered: they belong to the network.
        object.__setattr__(self, "parameters", ParameterTuple(params))
        object.__setattr__(self, "_parameters", self.parameters)
        self.weight_decay = float(weight_decay)
        self.loss_scale = float(loss_scale)
        self.decay_flags = tuple(_decay_filter(p) for p in params)
        self.step_count = 0
        self.learning_rate = Parameter(self._lr_tensor(learning_rate), name="learning_rate")

    def _lr_tensor(self, lr):
        name = type(self).__name__
        if isinstance(lr, Tensor):
            lr = lr.asnumpy()
        if isinstance(lr, (list, tuple, np.ndarray)):
            arr = np.asarray(lr, dtype=np.float32)
            if arr.ndim > 1 or arr.size == 0:
                raise ValueError(f"For '{name}', a learning-rate schedule must be a non-empty "
                                 f"1-D list, but got shape {arr.shape}.")
            if arr.ndim == 1:
                self.dynamic_lr = True
                return Tensor(arr, mstype.float32)
            lr = float(arr)
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or lr < 0:
            raise TypeError(f"For '{name}', the 'learning_rate' must be a float >= 0, a list or a "
                            f"Tensor, but got {lr!r}.")
        self.dynamic_lr = False
        return Tensor(np.float32(lr), mstype.float32)

    def get_lr(self):
        """The learning rate used by the next step, as a scalar Tensor."""
        lr = self.learning_rate.asnumpy()
        if self.dynamic_lr:
            lr = lr[min(self.step_count, lr.size - 1)]
        return Tensor(np.float32(lr), mstype.float32)

    def _current_lr(self):
        lr = self.learning_rate._data
        return float(lr[min(self.step_count, lr.size - 1)] if self.dynamic_lr else lr)

    def construct(self, gradients):
        raise NotImplementedError

    def _check_gradients(self, gradients):
        if len(gradients) != len(self.parameters):
            raise ValueError(f"For '{type(self).__name__}', got {len(gradients)} gradients for "
                             f"{len(self.parameters)} parameters.")
