"""Recurrent layers (``mindspore.nn.RNN``, ``GRU``, ``LSTM``) and their one-step cells
(``RNNCell``, ``GRUCell``, ``LSTMCell``).

Gate layout and formulas are MindSpore's (the same as PyTorch's): LSTM gates i, f, g, o; GRU
gates r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)). Parameters, as MindSpore
names them: ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` (with a
``_reverse`` suffix for the backward direction), ordered all ``weight_ih`` first, then all
``weight_hh``, ``bias_ih``, ``bias_hh``; every one drawn from U(-1/sqrt(hidden_size),
1/sqrt(hidden_size)).
"""
import math

import numpy as np

from ... import ops
from ...common import dtype as mstype
from ...common.parameter import Parameter, ParameterTuple
from ...common.seed import get_rng
from ...common.tensor import Tensor
from ...ops.function.rnn_func import RNNLayer
from ..cell import Cell
from ._validation import check_positive_int

__all__ = ["RNN", "GRU", "LSTM", "RNNCell", "GRUCell", "LSTMCell"]


def _uniform(shape, bound, dtype, name):
    values = get_rng().uniform(-bound, bound, shape)
    return Parameter(Tensor(values, dtype), name=name)


def _shape_error(cls_name, what, expected, got):
    return ValueError(f"For '{cls_name}', {what} must have shape {expected}, but got {got}.")


class _RNNBase(Cell):
    """Shared body of RNN, GRU and LSTM; see the module docstring."""

    mode = None

    def __init__(self, input_size, hidden_size, num_layers=1, has_bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=mstype.float32):
        super().__init__()
        name = type(self).__name__
        self.input_size = check_positive_int(input_size, "input_size", name)
        self.hidden_size = check_positive_int(hidden_size, "hidden_size", name)
        self.num_layers = check_positive_int(num_layers, "num_layers", name)
        for arg, value in (("has_bias", has_bias), ("batch_first", batch_first),
                           ("bidirectional", bidirectional)):
            if not isinstance(value, bool):
                raise TypeError(f"For '{name}', '{arg}' must be a bool, but got "
                                f"{type(value).__name__}.")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or \
                not 0 <= dropout < 1:
            raise ValueError(f"For '{name}', 'dropout' must be a float in [0, 1), but got "
                             f"{dropout!r}.")
        self.has_bias, self.batch_first, self.bidirectional = has_bias, batch_first, bidirectional
        self.dropout = float(dropout)
        self.num_directions = 2 if bidirectional else 1
        gate_size = RNNLayer.GATES[self.mode] * hidden_size
        bound = 1 / math.sqrt(hidden_size)
        lists = {"w_ih": [], "w_hh": [], "b_ih": [], "b_hh": []}
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * self.num_directions
            for direction in range(self.num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                lists["w_ih"].append(_uniform((gate_size, layer_input), bound, dtype,
                                              "weight_ih" + suffix))
                lists["w_hh"].append(_uniform((gate_size, hidden_size), bound, dtype,
                                              "weight_hh" + suffix))
                if has_bias:
                    lists["b_ih"].append(_uniform((gate_size,), bound, dtype, "bias_ih" + suffix))
                    lists["b_hh"].append(_uniform((gate_size,), bound, dtype, "bias_hh" + suffix))
        self.w_ih_list = ParameterTuple(lists["w_ih"])
        self.w_hh_list = ParameterTuple(lists["w_hh"])
        self.b_ih_list = ParameterTuple(lists["b_ih"])
        self.b_hh_list = ParameterTuple(lists["b_hh"])

    def _check(self, x, hx, seq_length):
        name = type(self).__name__
        if seq_length is not None:
            raise ValueError(f"For '{name}', 'seq_length' (padded variable-length batches) is "
                             f"not supported by minispore; pass equal-length sequences.")
        if not hasattr(x, "ndim") or x.ndim != 3 or x.shape[2] != self.input_size:
            got = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
            layout = "(batch, seq_len, input_size)" if self.batch_first else \
                "(seq_len, batch, input_size)"
            raise _shape_error(name, "the input", f"{layout} with input_size={self.input_size}",
                               got)
        batch = x.shape[0] if self.batch_first else x.shape[1]
        state = (self.num_layers * self.num_directions, batch, self.hidden_size)
        states = () if hx is None else ((hx,) if self.mode != "LSTM" else tuple(hx))
        for t in states:
            if tuple(t.shape) != state:
                raise _shape_error(name, "each initial state", state, tuple(t.shape))
        return batch, state

    def construct(self, x, hx=None, seq_length=None):
        batch, state = self._check(x, hx, seq_length)
        lstm = self.mode == "LSTM"
        if hx is None:
            zeros = Tensor(np.zeros(state, x.asnumpy().dtype))
            h0, c0 = zeros, (zeros if lstm else None)
        else:
            h0, c0 = (hx[0], hx[1]) if lstm else (hx, None)
        if self.batch_first:
            x = ops.transpose(x, (1, 0, 2))
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(self.num_directions):
                k = layer * self.num_directions + direction
                inputs, attrs = RNNLayer.check(
                    x, h0[k], c0[k] if lstm else None, self.w_ih_list[k], self.w_hh_list[k],
                    self.b_ih_list[k] if self.has_bias else None,
                    self.b_hh_list[k] if self.has_bias else None, self.mode, direction == 1)
                out = RNNLayer.apply(*inputs, **attrs)
                outs.append(out[0])
                h_n.append(ops.reshape(out[1], (1, batch, self.hidden_size)))
                if lstm:
                    c_n.append(ops.reshape(out[2], (1, batch, self.hidden_size)))
            x = outs[0] if len(outs) == 1 else ops.concat(outs, axis=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = ops.dropout(x, self.dropout, True)
        if self.batch_first:
            x = ops.transpose(x, (1, 0, 2))
        h_n = ops.concat(h_n, axis=0)
        if lstm:
            return x, (h_n, ops.concat(c_n, axis=0))
        return x, h_n

    def extend_repr(self):
        return (f"input_size={self.input_size}, hidden_size={self.hidden_size}, "
                f"num_layers={self.num_layers}, has_bias={self.has_bias}, "
                f"batch_first={self.batch_first}, dropout={self.dropout}, "
                f"bidirectional={self.bidirectional}")


class RNN(_RNNBase):
    """Elman RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu).

    Args:
        input_size, hidden_size (int); num_layers (int, default 1); nonlinearity ('tanh' or
        'relu', default 'tanh'); has_bias (default True); batch_first (default False: input
        (seq_len, batch, input_size)); dropout between layers in training (default 0.0);
        bidirectional (default False).

    Call: ``(x, hx=None)`` -> ``(output, h_n)``; output (seq_len, batch, num_directions *
    hidden_size) (batch first with ``batch_first``), h_n (num_layers * num_directions, batch,
    hidden_size).
    """

    def __init__(self, *args, nonlinearity="tanh", **kwargs):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"For 'RNN', 'nonlinearity' must be 'tanh' or 'relu', but got "
                             f"{nonlinearity!r}.")
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(*args, **kwargs)
        self.nonlinearity = nonlinearity


class GRU(_RNNBase):
    """Gated recurrent unit layers; arguments and call as :class:`RNN` (no nonlinearity)."""
    mode = "GRU"


class LSTM(_RNNBase):
    """Long short-term memory layers; arguments as :class:`RNN` (no nonlinearity).

    Call: ``(x, hx=None)`` with hx = (h0, c0) -> ``(output, (h_n, c_n))``.
    """
    mode = "LSTM"


class _CellBase(Cell):
    """One time step: parameters ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``."""

    mode = None

    def __init__(self, input_size, hidden_size, has_bias=True, dtype=mstype.float32):
        super().__init__()
        name = type(self).__name__
        self.input_size = check_positive_int(input_size, "input_size", name)
        self.hidden_size = check_positive_int(hidden_size, "hidden_size", name)
        self.has_bias = has_bias
        gate_size = RNNLayer.GATES[self.mode] * hidden_size
        bound = 1 / math.sqrt(hidden_size)
        self.weight_ih = _uniform((gate_size, input_size), bound, dtype, "weight_ih")
        self.weight_hh = _uniform((gate_size, hidden_size), bound, dtype, "weight_hh")
        if has_bias:
            self.bias_ih = _uniform((gate_size,), bound, dtype, "bias_ih")
            self.bias_hh = _uniform((gate_size,), bound, dtype, "bias_hh")
        else:
            self.bias_ih = self.bias_hh = None

    def construct(self, x, hx=None):
        name = type(self).__name__
        if not hasattr(x, "ndim") or x.ndim != 2 or x.shape[1] != self.input_size:
            got = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
            raise _shape_error(name, "the input", f"(batch, {self.input_size})", got)
        batch = x.shape[0]
        lstm = self.mode == "LSTM"
        if hx is None:
            zeros = Tensor(np.zeros((batch, self.hidden_size), x.asnumpy().dtype))
            hx = (zeros, zeros) if lstm else zeros
        h0, c0 = (hx[0], hx[1]) if lstm else (hx, None)
        for t in (h0, c0) if lstm else (h0,):
            if tuple(t.shape) != (batch, self.hidden_size):
                raise _shape_error(name, "the state", (batch, self.hidden_size), tuple(t.shape))
        inputs, attrs = RNNLayer.check(ops.reshape(x, (1, batch, self.input_size)), h0, c0,
                                       self.weight_ih, self.weight_hh, self.bias_ih,
                                       self.bias_hh, self.mode, False)
        out = RNNLayer.apply(*inputs, **attrs)
        return (out[1], out[2]) if lstm else out[1]


class RNNCell(_CellBase):
    """One Elman RNN step: ``(x (batch, input_size), hx=None) -> h'``; nonlinearity 'tanh'
    (default) or 'relu'."""

    def __init__(self, input_size, hidden_size, has_bias=True, nonlinearity="tanh",
                 dtype=mstype.float32):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"For 'RNNCell', 'nonlinearity' must be 'tanh' or 'relu', but got "
                             f"{nonlinearity!r}.")
        self.mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(input_size, hidden_size, has_bias, dtype)
        self.nonlinearity = nonlinearity


class GRUCell(_CellBase):
    """One GRU step: ``(x (batch, input_size), hx=None) -> h'``."""
    mode = "GRU"


class LSTMCell(_CellBase):
    """One LSTM step: ``(x (batch, input_size), (h, c)=None) -> (h', c')``."""
    mode = "LSTM"
