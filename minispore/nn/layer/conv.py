"""Conv2d (``mindspore.nn.Conv2d``)."""
import math

from ... import ops
from ...common import dtype as mstype
from ...common.initializer import HeUniform, Uniform, initializer
from ...common.parameter import Parameter
from ..cell import Cell
from ._validation import check_int_pair, check_pad_mode, check_positive_int

__all__ = ["Conv2d"]


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
