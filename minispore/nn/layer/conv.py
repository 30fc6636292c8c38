"""Convolution layers (``mindspore.nn.Conv2d``, ``Conv1d``, ``Conv2dTranspose``)."""
import math

from ... import ops
from ...ops import _array_api as _shapes
from ...common import dtype as mstype
from ...common.initializer import HeUniform, Uniform, initializer
from ...common.parameter import Parameter
from ..cell import Cell
from ._validation import check_int_pair, check_pad_mode, check_positive_int

__all__ = ["Conv2d", "Conv1d", "Conv2dTranspose"]


class Conv2d(Cell):
    """2-D convolution (a cross-correlation) over NCHW input.

    Args:
        in_channels (int), out_channels (int): channel counts.
        kernel_size (Union[int, tuple[int]]): kernel height and width.
        stride (Union[int, tuple[int]]): Default: ``1``.
        pad_mode (str): ``'same'`` (output = ceil(input / stride); the odd padding goes to the
            bottom/right), ``'valid'`` (no padding) or ``'pad'`` (``padding`` pixels).
            Default: ``'same'``.
        padding (Union[int, tuple[int]]): int or (top, bottom, left, right), for ``'pad'``.
        dilation (Union[int, tuple[int]]): Default: ``1``.
        group (int): Default: ``1``.
        has_bias (bool): Default: ``False``.
        weight_init: Default: ``None`` = HeUniform(negative_slope=sqrt(5)), i.e. U(+-1/sqrt(fan_in)).
        bias_init: Default: ``None`` = U(+-1/sqrt(fan_in)).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same",
                 padding=0, dilation=1, group=1, has_bias=False, weight_init=None,
                 bias_init=None, data_format="NCHW", dtype=mstype.float32):
        super().__init__()
        name = "Conv2d"
        self.in_channels = check_positive_int(in_channels, "in_channels", name)
        self.out_channels = check_positive_int(out_channels, "out_channels", name)
        self.kernel_size = check_int_pair(kernel_size, "kernel_size", name)
        self.stride = check_int_pair(stride, "stride", name)
        self.dilation = check_int_pair(dilation, "dilation", name)
        self.pad_mode = check_pad_mode(pad_mode, name)
        self.group = check_positive_int(group, "group", name)
        if in_channels % group or out_channels % group:
            raise ValueError(f"For 'Conv2d', 'in_channels' ({in_channels}) and 'out_channels' "
                             f"({out_channels}) must be divisible by 'group' ({group}).")
        if isinstance(padding, int):
            if padding < 0:
                raise ValueError(f"For 'Conv2d', 'padding' must be >= 0, but got {padding}.")
        elif not (isinstance(padding, (tuple, list)) and len(padding) == 4):
            raise ValueError(f"For 'Conv2d', 'padding' must be an int or a tuple of 4 ints, "
                             f"but got {padding!r}.")
        if self.pad_mode != "pad" and padding != 0:
            raise ValueError(f"For 'Conv2d', 'padding' must be 0 when 'pad_mode' is "
                             f"'{self.pad_mode}', but got {padding!r}.")
        if data_format != "NCHW":
            raise ValueError(f"For 'Conv2d', only data_format='NCHW' is supported, but got "
                             f"{data_format!r}.")
        self.padding = padding
        self.has_bias = has_bias
        self.data_format = data_format
        shape = (out_channels, in_channels // group) + self.kernel_size
        fan_in = shape[1] * shape[2] * shape[3]
        self.weight_init = weight_init
        self.bias_init = bias_init
        self.weight = Parameter(initializer(
            HeUniform(negative_slope=math.sqrt(5)) if weight_init is None else weight_init,
            shape, dtype), name="weight")
        if has_bias:
            self.bias = Parameter(initializer(
                Uniform(1 / math.sqrt(fan_in)) if bias_init is None else bias_init,
                (out_channels,), dtype), name="bias")
        else:
            self.bias = None

    def construct(self, x):
        return ops.conv2d(x, self.weight, self.bias, self.stride, self.pad_mode, self.padding,
                          self.dilation, self.group)

    def extend_repr(self):
        return (f"input_channels={self.in_channels}, output_channels={self.out_channels}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}, pad_mode={self.pad_mode}, "
                f"padding={self.padding}, dilation={self.dilation}, group={self.group}, "
                f"has_bias={self.has_bias}, weight_init={self.weight_init}, "
                f"bias_init={self.bias_init}, format={self.data_format}")


def _int(value, arg, cls_name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"For '{cls_name}', '{arg}' must be an int >= {minimum}, but got "
                         f"{value!r}.")
    return value


def _conv_params(cell, weight_shape, out_channels, weight_init, bias_init, has_bias, dtype):
    """``weight`` (HeUniform(sqrt(5)) by default) and, with ``has_bias``, ``bias`` (U(+-1/sqrt
    (fan_in)), fan_in = weight_shape[1] * kernel area, as MindSpore's _Conv)."""
    fan_in = weight_shape[1] * int(math.prod(weight_shape[2:]))
    cell.weight = Parameter(initializer(
        HeUniform(negative_slope=math.sqrt(5)) if weight_init is None else weight_init,
        weight_shape, dtype), name="weight")
    cell.bias = Parameter(initializer(
        Uniform(1 / math.sqrt(fan_in)) if bias_init is None else bias_init,
        (out_channels,), dtype), name="bias") if has_bias else None


class Conv1d(Cell):
    """1-D convolution (a cross-correlation) over (N, C, L) input.

    Args:
        in_channels (int), out_channels (int), kernel_size (int).
        stride (int): Default: ``1``.
        pad_mode (str): ``'same'``, ``'valid'`` or ``'pad'``. Default: ``'same'``.
        padding (int): zeros added at both ends, for ``'pad'``. Default: ``0``.
        dilation (int): Default: ``1``. group (int): Default: ``1``.
        has_bias (bool): Default: ``False``.
        weight_init, bias_init: Default: ``None`` (as :class:`Conv2d`).

    The weight is stored as MindSpore's nn.Conv1d stores it, (out, in/group, 1, kernel_size)
    (a height-1 Conv2d kernel), so checkpoints exchange with MindSpore's.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same",
                 padding=0, dilation=1, group=1, has_bias=False, weight_init=None,
                 bias_init=None, dtype=mstype.float32):
        super().__init__()
        name = "Conv1d"
        self.in_channels = check_positive_int(in_channels, "in_channels", name)
        self.out_channels = check_positive_int(out_channels, "out_channels", name)
        self.kernel_size = _int(kernel_size, "kernel_size", name)
        self.stride = _int(stride, "stride", name)
        self.dilation = _int(dilation, "dilation", name)
        self.padding = _int(padding, "padding", name, minimum=0)
        self.pad_mode = check_pad_mode(pad_mode, name)
        self.group = check_positive_int(group, "group", name)
        if in_channels % group or out_channels % group:
            raise ValueError(f"For 'Conv1d', 'in_channels' ({in_channels}) and 'out_channels' "
                             f"({out_channels}) must be divisible by 'group' ({group}).")
        if self.pad_mode != "pad" and padding != 0:
            raise ValueError(f"For 'Conv1d', 'padding' must be 0 when 'pad_mode' is "
                             f"'{self.pad_mode}', but got {padding!r}.")
        self.has_bias = has_bias
        _conv_params(self, (out_channels, in_channels // group, 1, kernel_size), out_channels,
                     weight_init, bias_init, has_bias, dtype)

    def construct(self, x):
        return ops.conv1d(x, self.weight, self.bias, self.stride, self.pad_mode, self.padding,
                          self.dilation, self.group)

    def extend_repr(self):
        return (f"input_channels={self.in_channels}, output_channels={self.out_channels}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"pad_mode={self.pad_mode}, padding={self.padding}, dilation={self.dilation}, "
                f"group={self.group}, has_bias={self.has_bias}")


class Conv2dTranspose(Cell):
    """2-D transposed convolution (the input-gradient of a Conv2d) over NCHW input.

    Args:
        in_channels (int), out_channels (int), kernel_size (Union[int, tuple[int]]).
        stride (Union[int, tuple[int]]): Default: ``1``.
        pad_mode (str): output size, with k' = dilation * (k - 1) + 1: ``'same'``:
            H_out = H * stride; ``'valid'``: H * stride + max(k' - stride, 0); ``'pad'``:
            (H - 1) * stride - top - bottom + k' + output_padding. Default: ``'same'``.
        padding (Union[int, tuple[int]]): int or (top, bottom, left, right), for ``'pad'``.
        output_padding (Union[int, tuple[int]]): extra bottom/right rows, for ``'pad'``.
            Default: ``0``.
        dilation, group, has_bias (Default: ``False``), weight_init, bias_init: as Conv2d.

    The weight has shape (in_channels, out_channels / group, kh, kw), as MindSpore's.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same",
                 padding=0, output_padding=0, dilation=1, group=1, has_bias=False,
                 weight_init=None, bias_init=None, dtype=mstype.float32):
        super().__init__()
        name = "Conv2dTranspose"
        self.in_channels = check_positive_int(in_channels, "in_channels", name)
        self.out_channels = check_positive_int(out_channels, "out_channels", name)
        self.kernel_size = check_int_pair(kernel_size, "kernel_size", name)
        self.stride = check_int_pair(stride, "stride", name)
        self.dilation = check_int_pair(dilation, "dilation", name)
        self.output_padding = check_int_pair(output_padding, "output_padding", name,
                                             allow_zero=True)
        self.pad_mode = check_pad_mode(pad_mode, name)
        self.group = check_positive_int(group, "group", name)
        if in_channels % group or out_channels % group:
            raise ValueError(f"For '{name}', 'in_channels' ({in_channels}) and 'out_channels' "
                             f"({out_channels}) must be divisible by 'group' ({group}).")
        if self.pad_mode != "pad" and (padding != 0 or any(self.output_padding)):
            raise ValueError(f"For '{name}', 'padding' and 'output_padding' must be 0 when "
                             f"'pad_mode' is '{self.pad_mode}', but got {padding!r} and "
                             f"{output_padding!r}.")
        self.padding, self.has_bias = padding, has_bias
        _conv_params(self, (in_channels, out_channels // group) + self.kernel_size,
                     out_channels, weight_init, bias_init, has_bias, dtype)

    def _pads(self, in_hw):
        """(top, bottom, left, right) and output_padding giving MindSpore's output size."""
        if self.pad_mode == "pad":
            return self.padding, self.output_padding
        eff = [d * (k - 1) + 1 for d, k in zip(self.dilation, self.kernel_size)]
        if self.pad_mode == "same":
            out = [size * s for size, s in zip(in_hw, self.stride)]
            pads = _shapes.conv2d_padding(out, self.kernel_size, self.stride, self.dilation,
                                          "same")
        else:
            out = [size * s + max(e - s, 0) for size, s, e in zip(in_hw, self.stride, eff)]
            pads = (0, 0, 0, 0)
        extra = tuple(o - ((size - 1) * s + e - pads[2 * a] - pads[2 * a + 1])
                      for a, (o, size, s, e) in enumerate(zip(out, in_hw, self.stride, eff)))
        return pads, extra

    def construct(self, x):
        if not hasattr(x, "ndim") or x.ndim != 4:
            got = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
            raise ValueError(f"For 'Conv2dTranspose', the input must be (N, C, H, W), but got "
                             f"{got}.")
        pads, extra = self._pads(tuple(x.shape[2:]))
        return ops.conv_transpose2d(x, self.weight, self.bias, self.stride, pads, extra,
                                    self.group, self.dilation)

    def extend_repr(self):
        return (f"input_channels={self.in_channels}, output_channels={self.out_channels}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"pad_mode={self.pad_mode}, padding={self.padding}, "
                f"output_padding={self.output_padding}, dilation={self.dilation}, "
                f"group={self.group}, has_bias={self.has_bias}")
