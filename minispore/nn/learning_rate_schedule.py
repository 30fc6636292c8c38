"""Learning-rate schedules as Cells (``mindspore.nn.learning_rate_schedule``).

Each is called with the optimizer's ``global_step`` (an int Tensor of shape () or (1,), or a
Python int) and returns the learning rate of that step as a Float32 scalar Tensor, following
MindSpore's documented formulas. Pass one as an optimizer's ``learning_rate``: the optimizer
calls it every step with its step count.
"""
import math
import numbers

import numpy as np

from ..common import dtype as mstype
from ..common.tensor import Tensor
from .cell import Cell

__all__ = ["LearningRateSchedule", "ExponentialDecayLR", "NaturalExpDecayLR", "InverseDecayLR",
           "CosineDecayLR", "PolynomialDecayLR", "WarmUpLR"]


def _step_value(cls_name, global_step):
    if isinstance(global_step, Tensor):
        arr = global_step.asnumpy()
        if arr.size != 1:
            raise ValueError(f"For '{cls_name}', 'global_step' must hold one value, but got shape "
                             f"{arr.shape}.")
        return float(arr.reshape(-1)[0])
    if isinstance(global_step, numbers.Real) and not isinstance(global_step, bool):
        return float(global_step)
    raise TypeError(f"For '{cls_name}', 'global_step' must be a Tensor or a number, but got "
                    f"{type(global_step).__name__}.")


def _check_float(cls_name, name, value, positive=True):
    if isinstance(value, bool) or not isinstance(value, float):
        raise TypeError(f"For '{cls_name}', the '{name}' must be float, but got "
                        f"{type(value).__name__}.")
    if (value <= 0) if positive else (value < 0):
        raise ValueError(f"For '{cls_name}', the '{name}' must be {'>' if positive else '>='} 0, "
                         f"but got {value}.")
    return value


def _check_positive_int(cls_name, name, value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"For '{cls_name}', the '{name}' must be int, but got "
                        f"{type(value).__name__}.")
    if value < 1:
        raise ValueError(f"For '{cls_name}', the '{name}' must be >= 1, but got {value}.")
    return value


def _check_bool(cls_name, name, value):
    if not isinstance(value, bool):
        raise TypeError(f"For '{cls_name}', the '{name}' must be bool, but got "
                        f"{type(value).__name__}.")
    return value


def _scalar(value):
    return Tensor(np.float32(value), mstype.float32)


class LearningRateSchedule(Cell):
    """Base class of learning-rate schedules: ``construct(global_step)`` returns the learning
    rate of that step as a scalar Tensor."""

    def construct(self, global_step):
        raise NotImplementedError


class _DecayLR(LearningRateSchedule):
    """Shared arguments of the exponential, natural-exponential and inverse-time decays."""

    def __init__(self, learning_rate, decay_rate, decay_steps, is_stair=False):
        super().__init__()
        name = type(self).__name__
        self.learning_rate = _check_float(name, "learning_rate", learning_rate)
        self.decay_rate = _check_float(name, "decay_rate", decay_rate)
        self.decay_steps = _check_positive_int(name, "decay_steps", decay_steps)
        self.is_stair = _check_bool(name, "is_stair", is_stair)

    def _p(self, global_step):
        p = _step_value(type(self).__name__, global_step) / self.decay_steps
        return math.floor(p) if self.is_stair else p


class ExponentialDecayLR(_DecayLR):
    """``learning_rate * decay_rate ** p`` with ``p = step / decay_steps`` (floored if
    ``is_stair``)."""

    def construct(self, global_step):
        return _scalar(self.learning_rate * self.decay_rate ** self._p(global_step))


class NaturalExpDecayLR(_DecayLR):
    """``learning_rate * e ** (-decay_rate * p)`` with ``p = step / decay_steps`` (floored if
    ``is_stair``), MindSpore's documented formula."""

    def construct(self, global_step):
        return _scalar(self.learning_rate * math.exp(-self.decay_rate * self._p(global_step)))


class InverseDecayLR(_DecayLR):
    """``learning_rate / (1 + decay_rate * p)`` with ``p = step / decay_steps`` (floored if
    ``is_stair``)."""

    def construct(self, global_step):
        return _scalar(self.learning_rate / (1.0 + self.decay_rate * self._p(global_step)))


class CosineDecayLR(LearningRateSchedule):
    """``min_lr + 0.5*(max_lr - min_lr)*(1 + cos(pi * min(step, decay_steps) / decay_steps))``.

    Args:
        min_lr (float): >= 0. max_lr (float): > min_lr. decay_steps (int): >= 1.
    """

    def __init__(self, min_lr, max_lr, decay_steps):
        super().__init__()
        name = type(self).__name__
        self.min_lr = _check_float(name, "min_lr", min_lr, positive=False)
        self.max_lr = _check_float(name, "max_lr", max_lr)
        self.decay_steps = _check_positive_int(name, "decay_steps", decay_steps)
        if min_lr >= max_lr:
            raise ValueError(f"For '{name}', the 'max_lr' must be greater than the 'min_lr', but "
                             f"got 'max_lr' {max_lr}, 'min_lr' {min_lr}.")

    def construct(self, global_step):
        p = min(_step_value(type(self).__name__, global_step), self.decay_steps) / self.decay_steps
        return _scalar(self.min_lr + 0.5 * (self.max_lr - self.min_lr) *
                       (1.0 + math.cos(math.pi * p)))


class PolynomialDecayLR(LearningRateSchedule):
    """``(learning_rate - end_learning_rate) * (1 - s/d) ** power + end_learning_rate`` with
    ``s = min(step, decay_steps)``, ``d = decay_steps``; with ``update_decay_steps``,
    ``s = step`` and ``d = decay_steps * max(ceil(step / decay_steps), 1)``.
    """

    def __init__(self, learning_rate, end_learning_rate, decay_steps, power,
                 update_decay_steps=False):
        super().__init__()
        name = type(self).__name__
        self.learning_rate = _check_float(name, "learning_rate", learning_rate)
        self.end_learning_rate = _check_float(name, "end_learning_rate", end_learning_rate,
                                              positive=False)
        self.decay_steps = _check_positive_int(name, "decay_steps", decay_steps)
        self.power = _check_float(name, "power", power)
        self.update_decay_steps = _check_bool(name, "update_decay_steps", update_decay_steps)

    def construct(self, global_step):
        step = _step_value(type(self).__name__, global_step)
        decay = self.decay_steps
        if self.update_decay_steps:
            decay = decay * max(math.ceil(step / decay), 1)
        else:
            step = min(step, decay)
        return _scalar((self.learning_rate - self.end_learning_rate) *
                       (1.0 - step / decay) ** self.power + self.end_learning_rate)


class WarmUpLR(LearningRateSchedule):
    """``learning_rate * min(step, warmup_steps) / warmup_steps``."""

    def __init__(self, learning_rate, warmup_steps):
        super().__init__()
        name = type(self).__name__
        self.learning_rate = _check_float(name, "learning_rate", learning_rate, positive=False)
        self.warmup_steps = _check_positive_int(name, "warmup_steps", warmup_steps)

    def construct(self, global_step):
        step = min(_step_value(type(self).__name__, global_step), self.warmup_steps)
        return _scalar(self.learning_rate * step / self.warmup_steps)
