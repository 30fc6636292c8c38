"""Dense, Flatten and the activations ReLU, Sigmoid, Tanh, Softmax."""
import math

from ... import ops
from ...common import dtype as mstype
from ...common.initializer import HeUniform, Uniform, initializer
from ...common.parameter import Parameter
from ..cell import Cell
from ._validation import check_positive_int

__all__ = ["Dense", "Flatten", "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax"]


class Dense(Cell):
    """Fully connected layer: y = activation(x @ weight.T + bias), weight of shape [out, in].

    Args:
        in_channels (int), out_channels (int): feature counts.
        weight_init: Default: ``None`` = HeUniform(negative_slope=sqrt(5)), U(+-1/sqrt(in)).
        bias_init: Default: ``None`` = U(+-1/sqrt(in)) (also when ``weight_init`` is given, as in
            MindSpore 2.x).
        has_bias (bool): Default: ``True``.
        activation (Union[str, Cell, None]): e.g. ``'relu'``. Default: ``None``.
    """

    def __init__(self, in_channels, out_channels, weight_init=None, bias_init=None,
                 has_bias=True, activation=None, dtype=mstype.float32):
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "in_channels", "Dense")
        self.out_channels = check_positive_int(out_channels, "out_channels", "Dense")
        self.has_bias = has_bias
        self.weight = Parameter(initializer(
            HeUniform(negative_slope=math.sqrt(5)) if weight_init is None else weight_init,
            (out_channels, in_channels), dtype), name="weight")
        if has_bias:
            self.bias = Parameter(initializer(
                Uniform(1 / math.sqrt(in_channels)) if bias_init is None else bias_init,
                (out_channels,), dtype), name="bias")
        else:
            self.bias = None
        if isinstance(activation, str):
            activation = _ACTIVATIONS[activation.lower()]()
        self.activation = activation

    def construct(self, x):
        lead = x.shape[:-1]
        if x.ndim != 2:
            x = ops.reshape(x, (-1, self.in_channels))
        y = ops.dense(x, self.weight, self.bias)
        if self.activation is not None:
            y = self.activation(y)
        if len(lead) != 1:
            y = ops.reshape(y, lead + (self.out_channels,))
        return y

    def extend_repr(self):
        s = (f"input_channels={self.in_channels}, output_channels={self.out_channels}, "
             f"has_bias={self.has_bias}")
        if self.activation is not None:
            s += f", activation={self.activation}"
        return s


class Flatten(Cell):
    """Flatten dims ``start_dim..end_dim`` (default: all but the batch dim), C order."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def construct(self, x):
        if self.start_dim == 1 and self.end_dim == -1:
            return ops.flatten(x)
        shape = x.shape
        start = self.start_dim % len(shape)
        end = self.end_dim % len(shape)
        return ops.reshape(x, shape[:start] + (-1,) + shape[end + 1:])


class ReLU(Cell):
    """max(x, 0); the gradient is 0 where x <= 0."""

    def construct(self, x):
        return ops.relu(x)


class Sigmoid(Cell):
    """1 / (1 + exp(-x))."""

    def construct(self, x):
        return ops.sigmoid(x)


class Tanh(Cell):
    """Hyperbolic tangent."""

    def construct(self, x):
        return ops.tanh(x)


class Softmax(Cell):
    """exp(x) / sum(exp(x)) along ``axis`` (default ``-1``)."""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = axis

    def construct(self, x):
        return ops.softmax(x, self.axis)


class LogSoftmax(Cell):
    """log(softmax(x)) along ``axis`` (default ``-1``), computed stably."""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = axis

    def construct(self, x):
        return ops.log_softmax(x, self.axis)


_ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "softmax": Softmax}
