"""Elementwise activations beyond ReLU (GELU, LeakyReLU, ReLU6, ELU, SiLU, PReLU, HSwish,
HSigmoid, Softplus, Mish): one small Function each on the ``activation`` kernels."""
import numpy as np

from ...kernels import lazy
from .._function import Function, Primitive
from ..._checkparam import Problems, as_tensor, floats

__all__ = []

_act, _gelu = lazy("activation"), lazy("gelu")


def _sigmoid(a):
    return (1.0 / (1.0 + np.exp(-a))).astype(a.dtype, copy=False)


# ---- activations ---------------------------------------------------------------------------------
class _Activation(Function):
    """An elementwise activation of one float ``input``; subclasses add scalar attributes."""

    @classmethod
    def _input(cls, input):  # noqa: A002
        p = Problems(cls.name)
        x = as_tensor(cls.name, "input", input, p)
        p.raise_if_any()
        floats(p, input=x)
        p.raise_if_any()
        return x

    @classmethod
    def check(cls, input):  # noqa: A002
        return (cls._input(input),), {}


def _real(op, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"For '{op}', '{name}' must be a float, but got "
                        f"{type(value).__name__}.")
    return float(value)


class GeLU(_Activation):
    """Gaussian error linear unit, x * Phi(x): ``approximate='none'`` uses the exact normal
    CDF (erf), ``'tanh'`` the approximation 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
    (what the 1.x primitive ``GeLU`` and ``nn.GELU()``'s default compute)."""
    name = "gelu"
    primitives = {"GeLU": Primitive(call=lambda fn, p, x: fn(x, "tanh"))}

    @classmethod
    def check(cls, input, approximate="none"):  # noqa: A002
        x = cls._input(input)
        if approximate not in ("none", "tanh"):
            raise ValueError(f"For 'gelu', 'approximate' must be 'none' or 'tanh', but got "
                             f"{approximate!r}.")
        return (x,), {"tanh_approx": approximate == "tanh"}

    def forward(self, x, tanh_approx):
        self.x, self.tanh_approx = np.ascontiguousarray(x), tanh_approx
        # float32: the vectorised kernels, float32 precision; float64: libm, float64 precision
        self.vectorised = x.dtype == np.float32
        y = np.empty_like(self.x)
        fwd = _gelu.gelu_fwd if self.vectorised else _gelu.gelu_fwd_exact
        fwd(y.reshape(-1), self.x.reshape(-1), tanh_approx)
        return y

    def backward(self, dy):
        dx = np.empty_like(self.x)
        bwd = _gelu.gelu_bwd if self.vectorised else _gelu.gelu_bwd_exact
        bwd(dx.reshape(-1), np.ascontiguousarray(dy, self.x.dtype).reshape(-1),
            self.x.reshape(-1), self.tanh_approx)
        return (dx,)


class LeakyReLU(_Activation):
    """x where x > 0, else alpha * x."""
    name = "leaky_relu"

    @classmethod
    def check(cls, input, alpha=0.2):  # noqa: A002
        return (cls._input(input),), {"alpha": _real("leaky_relu", "alpha", alpha)}

    def forward(self, x, alpha):
        self.positive, self.alpha = x > 0, alpha
        return np.where(self.positive, x, x * x.dtype.type(alpha))

    def backward(self, dy):
        return (np.where(self.positive, dy, dy * dy.dtype.type(self.alpha)),)


class ReLU6(_Activation):
    """min(max(x, 0), 6); the gradient is 1 on 0 < x < 6."""
    name, primitives = "relu6", {"ReLU6": Primitive()}

    def forward(self, x):
        self.inside = (x > 0) & (x < 6)
        return np.clip(x, 0, 6)

    def backward(self, dy):
        return (np.where(self.inside, dy, 0).astype(dy.dtype, copy=False),)


class ELU(_Activation):
    """x where x > 0, else alpha * (exp(x) - 1)."""
    name = "elu"
    primitives = {"Elu": Primitive({"alpha": 1.0}, call=lambda fn, p, x: fn(x, p.alpha))}

    @classmethod
    def check(cls, input_x, alpha=1.0):
        return (cls._input(input_x),), {"alpha": _real("elu", "alpha", alpha)}

    def forward(self, x, alpha):
        self.positive, self.alpha = x > 0, x.dtype.type(alpha)
        self.expm = np.exp(np.minimum(x, 0))
        return np.where(self.positive, x, self.alpha * (self.expm - 1))

    def backward(self, dy):
        return (np.where(self.positive, dy, dy * self.alpha * self.expm),)


class SiLU(_Activation):
    """x * sigmoid(x) (swish)."""
    name = "silu"

    def forward(self, x):
        self.x = x
        self.s = (1.0 / (1.0 + np.exp(-x))).astype(x.dtype, copy=False)
        return x * self.s

    def backward(self, dy):
        s = self.s
        return (dy * s * (1 + self.x * (1 - s)),)


class PReLU(Function):
    """x where x > 0, else weight * x, with ``weight`` (C,) per channel of axis 1 of ``x``
    (N, C, ...) or (1,) shared."""
    name, primitives = "prelu", {"PReLU": Primitive()}

    @classmethod
    def check(cls, x, weight):
        p = Problems("prelu")
        x = as_tensor("prelu", "x", x, p)
        w = as_tensor("prelu", "weight", weight, p)
        p.raise_if_any()
        floats(p, x=x, weight=w)
        channels = x.shape[1] if x.ndim >= 2 else 1
        if w.ndim != 1 or w.shape[0] not in (1, channels):
            p.add(f"'weight' must have shape (1,) or ({channels},) (the channels of x "
                  f"{tuple(x.shape)}), but got {tuple(w.shape)}")
        p.raise_if_any()
        return (x, w), {}

    def forward(self, x, w):
        shape = (1, -1) + (1,) * (x.ndim - 2) if x.ndim >= 2 and w.shape[0] > 1 else (-1,)
        self.x, self.wb, self.w_size = x, w.reshape(shape), w.shape[0]
        self.positive = x > 0
        return np.where(self.positive, x, x * self.wb)

    def backward(self, dy):
        dx = np.where(self.positive, dy, dy * self.wb) if self.needs[0] else None
        dw = None
        if self.needs[1]:
            contrib = np.where(self.positive, 0, dy * self.x)
            if self.w_size == 1:
                dw = np.asarray(contrib.sum(), dy.dtype).reshape(1)
            else:
                dw = contrib.sum(axis=(0,) + tuple(range(2, contrib.ndim))).astype(dy.dtype)
        return dx, dw


class HSwish(_Activation):
    """Hard swish, x * relu6(x + 3) / 6."""
    name, primitives = "hardswish", {"HSwish": Primitive()}

    def forward(self, x):
        self.x = x
        return x * np.clip(x + 3, 0, 6) / 6

    def backward(self, dy):
        x = self.x
        return (dy * np.where(x < -3, 0, np.where(x > 3, 1, (2 * x + 3) / 6)).astype(dy.dtype),)


class HSigmoid(_Activation):
    """Hard sigmoid, relu6(x + 3) / 6."""
    name, primitives = "hardsigmoid", {"HSigmoid": Primitive()}

    def forward(self, x):
        self.inside = (x > -3) & (x < 3)
        return np.clip(x + 3, 0, 6) / 6

    def backward(self, dy):
        return (np.where(self.inside, dy / 6, 0).astype(dy.dtype),)


class Softplus(_Activation):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    name = "softplus"

    @classmethod
    def check(cls, input, beta=1, threshold=20):  # noqa: A002
        return (cls._input(input),), {"beta": _real("softplus", "beta", beta),
                                      "threshold": _real("softplus", "threshold", threshold)}

    def forward(self, x, beta, threshold):
        bx = x * x.dtype.type(beta)
        self.linear, self.s = bx > threshold, _sigmoid(bx)
        return np.where(self.linear, x, np.logaddexp(0, bx) / x.dtype.type(beta)).astype(x.dtype)

    def backward(self, dy):
        return (np.where(self.linear, dy, dy * self.s),)


class Mish(_Activation):
    """x * tanh(softplus(x))."""
    name, primitives = "mish", {"Mish": Primitive()}

    def forward(self, x):
        self.x = x
        self.t = np.tanh(np.logaddexp(0, x)).astype(x.dtype)
        return x * self.t

    def backward(self, dy):
        x, t = self.x, self.t
        return (dy * (t + x * (1 - t * t) * _sigmoid(x)),)
