"""Pooling layers (``mindspore.nn.MaxPool2d``, ``AvgPool2d``)."""
from ... import ops
from ..cell import Cell
from ._validation import check_int_pair, check_pad_mode

__all__ = ["MaxPool2d", "AvgPool2d"]


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
