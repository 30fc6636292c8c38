"""Weight initializers with MindSpore's names and formulas (``mindspore.common.initializer``)."""
import math
import numbers

import numpy as np

from . import dtype as mstype
from .seed import get_rng
from .tensor import Tensor

__all__ = ["Initializer", "Normal", "Uniform", "HeUniform", "HeNormal", "XavierUniform",
           "XavierNormal", "TruncatedNormal", "Zero", "One", "Constant", "initializer"]


def _fans(shape):
    if len(shape) < 2:
        raise ValueError(f"For the fan-based initializers, the shape must have at least 2 "
                         f"dimensions, but got {tuple(shape)}.")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}.")


class Initializer:
    """Base class: subclasses fill ``_sample(shape) -> float64 ndarray``."""

    def __call__(self, arr):
        arr[...] = self._sample(arr.shape)

    def _sample(self, shape):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class Normal(Initializer):
    """N(mean, sigma**2) i.i.d."""

    def __init__(self, sigma=0.01, mean=0.0):
        self.sigma, self.mean = sigma, mean

    def _sample(self, shape):
        return get_rng().normal(self.mean, self.sigma, size=shape)


class Uniform(Initializer):
    """U(-scale, scale)."""

    def __init__(self, scale=0.07):
        self.scale = scale

    def _sample(self, shape):
        return get_rng().uniform(-self.scale, self.scale, size=shape)


class HeUniform(Initializer):
    """U(-b, b), b = gain * sqrt(3 / fan); with negative_slope=sqrt(5) this is 1/sqrt(fan_in)."""

    def __init__(self, negative_slope=0, mode="fan_in", nonlinearity="leaky_relu"):
        self.negative_slope, self.mode, self.nonlinearity = negative_slope, mode, nonlinearity

    def _sample(self, shape):
        fan_in, fan_out = _fans(shape)
        fan = fan_in if self.mode == "fan_in" else fan_out
        bound = _gain(self.nonlinearity, self.negative_slope) * math.sqrt(3.0 / fan)
        return get_rng().uniform(-bound, bound, size=shape)


class HeNormal(Initializer):
    def __init__(self, negative_slope=0, mode="fan_in", nonlinearity="leaky_relu"):
        self.negative_slope, self.mode, self.nonlinearity = negative_slope, mode, nonlinearity

    def _sample(self, shape):
        fan_in, fan_out = _fans(shape)
        fan = fan_in if self.mode == "fan_in" else fan_out
        std = _gain(self.nonlinearity, self.negative_slope) / math.sqrt(fan)
        return get_rng().normal(0.0, std, size=shape)


class XavierUniform(Initializer):
    def __init__(self, gain=1):
        self.gain = gain

    def _sample(self, shape):
        fan_in, fan_out = _fans(shape)
        bound = self.gain * math.sqrt(6.0 / (fan_in + fan_out))
        return get_rng().uniform(-bound, bound, size=shape)


class XavierNormal(Initializer):
    def __init__(self, gain=1):
        self.gain = gain

    def _sample(self, shape):
        fan_in, fan_out = _fans(shape)
        return get_rng().normal(0.0, self.gain * math.sqrt(2.0 / (fan_in + fan_out)), size=shape)


class TruncatedNormal(Initializer):
    """N(mean, sigma**2) redrawn outside [a, b]."""

    def __init__(self, sigma=0.01, mean=0.0, a=-2.0, b=2.0):
        self.sigma, self.mean, self.a, self.b = sigma, mean, a, b

    def _sample(self, shape):
        rng = get_rng()
        out = rng.normal(self.mean, self.sigma, size=shape)
        bad = (out < self.a) | (out > self.b)
        while bad.any():
            out[bad] = rng.normal(self.mean, self.sigma, size=int(bad.sum()))
            bad = (out < self.a) | (out > self.b)
        return out


class Constant(Initializer):
    def __init__(self, value):
        self.value = value

    def _sample(self, shape):
        return np.full(shape, self.value, dtype=np.float64)


class Zero(Constant):
    def __init__(self):
        super().__init__(0)


class One(Constant):
    def __init__(self):
        super().__init__(1)


_BY_NAME = {
    "normal": Normal, "uniform": Uniform, "heuniform": HeUniform, "he_uniform": HeUniform,
    "henormal": HeNormal, "he_normal": HeNormal, "xavier_uniform": XavierUniform,
    "xavieruniform": XavierUniform, "xavier_normal": XavierNormal,
    "truncatednormal": TruncatedNormal, "zeros": Zero, "zero": Zero, "ones": One, "one": One,
}


def initializer(init, shape=None, dtype=mstype.float32):
    """A Tensor of ``shape`` and ``dtype`` filled by ``init``.

    Args:
        init (Union[Tensor, str, Initializer, numbers.Number, numpy.ndarray]): how to fill it; a
            str names an initializer ('normal', 'zeros', 'ones', 'he_uniform', ...).
        shape (Union[tuple, list, int]): the shape. Default: ``None`` (taken from a Tensor init).
        dtype (mstype.Type): the dtype. Default: ``mstype.float32``.
    """
    if isinstance(shape, int):
        shape = (shape,)
    if isinstance(init, (Tensor, np.ndarray)):
        arr = init._data if isinstance(init, Tensor) else init
        if shape is not None and tuple(shape) != arr.shape:
            raise ValueError(f"For 'initializer', the shape of the init tensor {arr.shape} does "
                             f"not match 'shape' {tuple(shape)}.")
        return Tensor(arr.copy(), dtype)
    if shape is None:
        raise ValueError("For 'initializer', 'shape' is required when 'init' is not a Tensor.")
    shape = tuple(int(s) for s in shape)
    if isinstance(init, str):
        try:
            init = _BY_NAME[init.lower()]()
        except KeyError:
            raise ValueError(f"For 'initializer', unknown initializer name {init!r}; known: "
                             f"{sorted(_BY_NAME)}.") from None
    elif isinstance(init, bool) or not isinstance(init, (Initializer, numbers.Number)):
        raise TypeError(f"For 'initializer', 'init' must be a Tensor, str, Initializer or "
                        f"number, but got {type(init)}.")
    elif isinstance(init, numbers.Number):
        init = Constant(init)
    values = np.asarray(init._sample(shape), dtype=np.float64).reshape(shape)
    return Tensor(values, dtype)
