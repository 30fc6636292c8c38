"""MaxPool2d (``mindspore.nn.MaxPool2d``)."""
from ... import ops
from ..cell import Cell
from ._validation import check_int_pair, check_pad_mode

__all__ = ["MaxPool2d"]


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
