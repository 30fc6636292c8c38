"""Pooling layers (``mindspore.nn.MaxPool2d``, ``AvgPool2d``, the adaptive pools)."""
from ... import ops
from ..cell import Cell
from ._validation import check_int_pair, check_pad_mode

__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d",
           "AdaptiveAvgPool1d", "AdaptiveMaxPool1d", "MaxPool1d", "AvgPool1d"]


class MaxPool2d(Cell):
    """2-D max pooling over NCHW input; the gradient goes to the maximum element.

    Args:
        kernel_size (Union[int, tuple[int]]): Default: ``1``.
        stride (Union[int, tuple[int]]): Default: ``1``.
        pad_mode (str): ``'valid'`` (out = floor((in - k) / s) + 1), ``'same'`` (out =
            ceil(in / s)) or ``'pad'``. Case-insensitive. Default: ``'valid'``.
        padding (Union[int, tuple[int]]): for ``'pad'``. Default: ``0``.
    """

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, dilation=1,
                 return_indices=False, ceil_mode=False, data_format="NCHW"):
        super().__init__()
        self.kernel_size = check_int_pair(kernel_size, "kernel_size", "MaxPool2d")
        self.stride = check_int_pair(stride, "stride", "MaxPool2d")
        self.pad_mode = check_pad_mode(pad_mode, "MaxPool2d")
        self.padding = padding
        if dilation != 1 or return_indices or ceil_mode or data_format != "NCHW":
            raise NotImplementedError("MaxPool2d supports dilation=1, return_indices=False, "
                                      "ceil_mode=False and data_format='NCHW' only.")

    def construct(self, x):
        return ops.max_pool2d(x, self.kernel_size, self.stride, self.pad_mode, self.padding)

    def extend_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"pad_mode={self.pad_mode.upper()}")


class AvgPool2d(Cell):
    """2-D average pooling over NCHW input.

    Args:
        kernel_size (Union[int, tuple[int]]): Default: ``1``.
        stride (Union[int, tuple[int]]): Default: ``1``.
        pad_mode (str): ``'valid'``, ``'same'`` (padded cells left out of each mean) or
            ``'pad'`` (``padding``). Default: ``'valid'``.
        padding (Union[int, tuple[int]]): for ``'pad'``. Default: ``0``.
        count_include_pad (bool): with ``'pad'``, padded cells count as zeros. Default: ``True``.
    """

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None, data_format="NCHW"):
        super().__init__()
        if ceil_mode or divisor_override is not None or data_format != "NCHW":
            raise NotImplementedError("AvgPool2d supports ceil_mode=False, "
                                      "divisor_override=None and data_format='NCHW' only.")
        self.kernel_size, self.stride, self.pad_mode = kernel_size, stride, pad_mode
        self.padding, self.count_include_pad = padding, count_include_pad

    def construct(self, x):
        return ops.avg_pool2d(x, self.kernel_size, self.stride, self.pad_mode, self.padding,
                              self.count_include_pad)

    def extend_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"pad_mode={str(self.pad_mode).upper()}")


class AdaptiveAvgPool2d(Cell):
    """Average pooling of (N, C, H, W) or (C, H, W) input to a fixed ``output_size``.

    Output cell i along an axis of size H averages rows floor(i*H/OH) .. ceil((i+1)*H/OH) - 1.

    Args:
        output_size (Union[int, tuple]): (OH, OW), or one int for both; a None keeps that
            input size.
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def construct(self, input):  # noqa: A002
        return ops.adaptive_avg_pool2d(input, self.output_size)

    def extend_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(Cell):
    """Max pooling of (N, C, H, W) or (C, H, W) input to a fixed ``output_size`` (bins as
    :class:`AdaptiveAvgPool2d`).

    Args:
        output_size (Union[int, tuple]): (OH, OW), or one int; a None keeps that input size.
        return_indices (bool): also return the Int64 flat (H*W) index of each maximum.
            Default: ``False``.
    """

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def construct(self, input):  # noqa: A002
        return ops.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extend_repr(self):
        return f"output_size={self.output_size}, return_indices={self.return_indices}"


def _check_1d(cls_name, x, output_size):
    if not hasattr(x, "ndim") or x.ndim != 3:
        got = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
        raise ValueError(f"For '{cls_name}', the input must be (N, C, L), but got {got}.")
    if isinstance(output_size, bool) or not isinstance(output_size, int) or output_size < 1:
        raise ValueError(f"For '{cls_name}', 'output_size' must be a positive int, but got "
                         f"{output_size!r}.")


class AdaptiveAvgPool1d(Cell):
    """Average pooling of (N, C, L) input to length ``output_size`` (int), bins as
    :class:`AdaptiveAvgPool2d`."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def construct(self, input):  # noqa: A002
        _check_1d("AdaptiveAvgPool1d", input, self.output_size)
        n, c, length = input.shape
        y = ops.adaptive_avg_pool2d(ops.reshape(input, (n, c, 1, length)),
                                    (1, self.output_size))
        return ops.reshape(y, (n, c, self.output_size))


class AdaptiveMaxPool1d(Cell):
    """Max pooling of (N, C, L) input to length ``output_size`` (int), bins as
    :class:`AdaptiveAvgPool2d`; ``return_indices`` also returns each maximum's index in L."""

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def construct(self, input):  # noqa: A002
        _check_1d("AdaptiveMaxPool1d", input, self.output_size)
        n, c, length = input.shape
        out = ops.adaptive_max_pool2d(ops.reshape(input, (n, c, 1, length)),
                                      (1, self.output_size), self.return_indices)
        shape = (n, c, self.output_size)
        if self.return_indices:
            return ops.reshape(out[0], shape), ops.reshape(out[1], shape)
        return ops.reshape(out, shape)


def _pool1d(cls_name, x, kernel_size, stride, pad_mode, padding):
    """(x as (N, C, 1, L), (1, k), (1, s), padding (0, 0, p, p)) for a 1-D pool."""
    if not hasattr(x, "ndim") or x.ndim != 3:
        got = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
        raise ValueError(f"For '{cls_name}', the input must be (N, C, L), but got {got}.")
    for arg, value in (("kernel_size", kernel_size), ("stride", stride)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"For '{cls_name}', '{arg}' must be a positive int, but got "
                             f"{value!r}.")
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise ValueError(f"For '{cls_name}', 'padding' must be an int >= 0, but got "
                         f"{padding!r}.")
    n, c, length = x.shape
    return (ops.reshape(x, (n, c, 1, length)), (1, kernel_size), (1, stride),
            check_pad_mode(pad_mode, cls_name), (0, 0, padding, padding))


def _squeeze_height(y):
    return ops.reshape(y, (y.shape[0], y.shape[1], y.shape[3]))


class MaxPool1d(Cell):
    """1-D max pooling over (N, C, L) input (a height-1 :class:`MaxPool2d`).

    Args:
        kernel_size (int): Default: ``1``. stride (int): Default: ``1``.
        pad_mode (str): ``'valid'``, ``'same'`` or ``'pad'``. Default: ``'valid'``.
        padding (int): both ends, for ``'pad'``. Default: ``0``.
    """

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, dilation=1,
                 return_indices=False, ceil_mode=False):
        super().__init__()
        if dilation != 1 or return_indices or ceil_mode:
            raise ValueError("For 'MaxPool1d', dilation != 1, return_indices and ceil_mode are "
                             "not supported by minispore.")
        self.kernel_size, self.stride, self.pad_mode = kernel_size, stride, pad_mode
        self.padding = padding

    def construct(self, x):
        x4, k, s, mode, pads = _pool1d("MaxPool1d", x, self.kernel_size, self.stride,
                                       self.pad_mode, self.padding)
        return _squeeze_height(ops.max_pool2d(x4, k, s, mode, pads))


class AvgPool1d(Cell):
    """1-D average pooling over (N, C, L) input (a height-1 :class:`AvgPool2d`).

    Args: as :class:`MaxPool1d`, plus ``count_include_pad`` (``'pad'`` cells count as zeros).
    Default: ``True``.
    """

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        if ceil_mode:
            raise ValueError("For 'AvgPool1d', ceil_mode is not supported by minispore.")
        self.kernel_size, self.stride, self.pad_mode = kernel_size, stride, pad_mode
        self.padding, self.count_include_pad = padding, count_include_pad

    def construct(self, x):
        x4, k, s, mode, pads = _pool1d("AvgPool1d", x, self.kernel_size, self.stride,
                                       self.pad_mode, self.padding)
        return _squeeze_height(ops.avg_pool2d(x4, k, s, mode, pads, self.count_include_pad))
