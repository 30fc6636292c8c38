"""Activation layers beyond basic.py's ReLU/Sigmoid/Tanh/Softmax/LogSoftmax (``mindspore.nn.GELU``,
``LeakyReLU``, ``ReLU6``, ``ELU``, ``SiLU``, ``PReLU``), and ``get_activation``.

Each is usable by name in ``Dense(activation='gelu')``.
"""
import numbers

import numpy as np

from ... import ops
from ...common import dtype as mstype
from ...common.parameter import Parameter
from ...common.tensor import Tensor
from ..cell import Cell
from . import basic
from ._validation import check_positive_int

__all__ = ["GELU", "LeakyReLU", "ReLU6", "ELU", "SiLU", "PReLU", "HSwish", "HSigmoid", "Softplus",
           "Mish", "get_activation"]


def _check_float(cls_name, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"For '{cls_name}', '{name}' must be a float, but got "
                        f"{type(value).__name__}.")
    return float(value)


class GELU(Cell):
    """Gaussian error linear unit, x * Phi(x).

    Args:
        approximate (bool): ``True``: the tanh approximation
            0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))); ``False``: the exact erf
            form. Default: ``True`` (MindSpore's default; PyTorch's is the exact form).
    """

    def __init__(self, approximate=True):
        super().__init__()
        if not isinstance(approximate, bool):
            raise TypeError(f"For 'GELU', 'approximate' must be a bool, but got "
                            f"{type(approximate).__name__}.")
        self.approximate = approximate

    def construct(self, x):
        return ops.gelu(x, "tanh" if self.approximate else "none")


class LeakyReLU(Cell):
    """x where x > 0, else alpha * x.

    Args:
        alpha (float): the slope for x <= 0. Default: ``0.2``.
    """

    def __init__(self, alpha=0.2):
        super().__init__()
        self.alpha = _check_float("LeakyReLU", "alpha", alpha)

    def construct(self, x):
        return ops.leaky_relu(x, self.alpha)

    def extend_repr(self):
        return f"alpha={self.alpha}"


class ReLU6(Cell):
    """min(max(x, 0), 6)."""

    def construct(self, x):
        return ops.relu6(x)


class ELU(Cell):
    """x where x > 0, else alpha * (exp(x) - 1).

    Args:
        alpha (float): Default: ``1.0``.
    """

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = _check_float("ELU", "alpha", alpha)

    def construct(self, x):
        return ops.elu(x, self.alpha)


class SiLU(Cell):
    """x * sigmoid(x)."""

    def construct(self, x):
        return ops.silu(x)


class PReLU(Cell):
    """x where x > 0, else w * x, with a learnt slope ``w`` per channel (axis 1) or shared.

    Args:
        channel (int): the number of slopes: 1 (shared) or the input's C. Default: ``1``.
        w (Union[float, list, Tensor]): the initial slope(s). Default: ``0.25``.

    The parameter is the attribute ``w`` (checkpoint key ``<cell>.w`` inside a network; a
    standalone layer names it ``a``, as MindSpore's).
    """

    def __init__(self, channel=1, w=0.25):
        super().__init__()
        check_positive_int(channel, "channel", "PReLU")
        if isinstance(w, (numbers.Real, np.floating)) and not isinstance(w, bool):
            values = np.full((channel,), w, np.float32)
        elif isinstance(w, (list, tuple, np.ndarray, Tensor)):
            values = np.asarray(w.asnumpy() if isinstance(w, Tensor) else w, np.float32)
            if values.shape != (channel,):
                raise ValueError(f"For 'PReLU', 'w' must have shape ({channel},) for channel="
                                 f"{channel}, but got {values.shape}.")
        else:
            raise TypeError(f"For 'PReLU', 'w' must be a float, list or Tensor, but got "
                            f"{type(w).__name__}.")
        self.channel = channel
        self.w = Parameter(Tensor(values, mstype.float32), name="a")

    def construct(self, x):
        return ops.prelu(x, self.w)


class HSwish(Cell):
    """Hard swish, x * relu6(x + 3) / 6."""

    def construct(self, x):
        return ops.hardswish(x)


class HSigmoid(Cell):
    """Hard sigmoid, relu6(x + 3) / 6."""

    def construct(self, x):
        return ops.hardsigmoid(x)


class Softplus(Cell):
    """log(1 + exp(beta * x)) / beta; x itself where beta * x > threshold.

    Args:
        beta (float): Default: ``1``. threshold (float): Default: ``20``.
    """

    def __init__(self, beta=1, threshold=20):
        super().__init__()
        self.beta = _check_float("Softplus", "beta", beta)
        self.threshold = _check_float("Softplus", "threshold", threshold)

    def construct(self, x):
        return ops.softplus(x, self.beta, self.threshold)


class Mish(Cell):
    """x * tanh(softplus(x))."""

    def construct(self, x):
        return ops.mish(x)


_BY_NAME = {"gelu": GELU, "leakyrelu": LeakyReLU, "relu6": ReLU6, "elu": ELU, "silu": SiLU,
            "prelu": PReLU, "logsoftmax": basic.LogSoftmax, "hswish": HSwish,
            "hsigmoid": HSigmoid, "softplus": Softplus, "mish": Mish}
basic._ACTIVATIONS.update(_BY_NAME)  # Dense(activation='gelu') etc.


def get_activation(name, prim_name=None):
    """A new activation Cell by MindSpore's name ('relu', 'gelu', 'leakyrelu', ...); None for
    None; ValueError for an unknown name."""
    if name is None:
        return None
    key = str(name).lower()
    if key not in basic._ACTIVATIONS:
        raise ValueError(f"For '{prim_name or 'get_activation'}', the activation {name!r} is not "
                         f"supported by minispore; known: {sorted(basic._ACTIVATIONS)}.")
    return basic._ACTIVATIONS[key]()
