"""Image operations of ``mindspore.dataset.vision`` on HWC numpy arrays.

Each works on one image (``op(img)``) and, vectorised, on a stack of images with a leading row
axis (``op._batched(stack)``), which is what ``Dataset.map`` uses on the fast path.
"""
import numbers

import numpy as np

from ..transforms.transforms import TensorOperation
from .._kernels import fma_f32
from . import _resize
from .utils import Inter

__all__ = ["Resize", "Rescale", "HWC2CHW", "Normalize"]


def _check_image(stack, op, batched):
    """Return ``stack`` as (N, H, W, C); say which shape was expected otherwise."""
    extra = 1 if batched else 0
    if stack.ndim == 2 + extra:
        return stack[..., None], True
    if stack.ndim == 3 + extra:
        return stack, False
    want = "<N, H, W> or <N, H, W, C>" if batched else "<H, W> or <H, W, C>"
    raise RuntimeError(f"{op}: the input image should be {want}, but got shape {stack.shape}.")


class Resize(TensorOperation):
    """Resize to ``size`` with OpenCV's arithmetic (bit-exact ``INTER_LINEAR`` on uint8).

    Args:
        size (int or tuple[int, int]): ``(height, width)``; an int resizes the shorter side to it
            and keeps the aspect ratio.
        interpolation (Inter): ``Inter.LINEAR`` (default) or ``Inter.NEAREST``.
    """

    batchable = True

    def __init__(self, size, interpolation=Inter.LINEAR):
        if isinstance(size, numbers.Integral) and not isinstance(size, bool):
            sizes = (int(size),)
        elif (isinstance(size, (tuple, list)) and len(size) == 2
              and all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in size)):
            sizes = tuple(int(s) for s in size)
        else:
            raise TypeError(f"Argument size with value {size!r} is not of type int or "
                            f"tuple[int, int].")
        if any(s <= 0 for s in sizes):
            raise ValueError(f"Input size is not within the required interval of [1, 16777216], "
                             f"got {size!r}.")
        if not isinstance(interpolation, Inter):
            raise TypeError(f"Argument interpolation with value {interpolation!r} is not of "
                            f"type Inter.")
        if interpolation not in (Inter.LINEAR, Inter.NEAREST):
            raise ValueError(f"Resize: interpolation {interpolation} is not implemented in "
                             f"minispore; use Inter.LINEAR or Inter.NEAREST.")
        self.size = size
        self.interpolation = interpolation

    def _out_hw(self, in_h, in_w):
        if isinstance(self.size, (tuple, list)):
            return tuple(self.size)
        s = int(self.size)
        if in_h <= in_w:
            return s, int(in_w * s / in_h)
        return int(in_h * s / in_w), s

    def _row(self, array):
        return self._batched(array[None])[0]

    def _batched(self, stack):
        stack = np.asarray(stack)
        images, squeezed = _check_image(stack, "Resize", batched=True)
        if images.dtype != np.uint8:
            raise TypeError(f"Resize: minispore resizes uint8 images only, got {images.dtype}.")
        out_h, out_w = self._out_hw(images.shape[1], images.shape[2])
        if self.interpolation is Inter.NEAREST:
            out = _resize.resize_nearest(images, out_h, out_w)
        else:
            out = _resize.resize_linear(images, out_h, out_w)
        return out[..., 0] if squeezed else out


def fma_float32(x, scale, shift):
    """``float32(x * scale + shift)`` rounded once, as a fused multiply-add gives (see
    ``_kernels.fma_f32``); ``scale`` and ``shift`` are taken as float32 first."""
    x = np.asarray(x)
    out = np.empty(x.shape, np.float32)
    fma_f32(out, np.ascontiguousarray(x), float(np.float32(scale)), float(np.float32(shift)))
    return out


class Rescale(TensorOperation):
    """``output = image * rescale + shift`` as float32 with one rounding (MindSpore's fma).

    The constants are taken as float32 first, as MindSpore stores them. A plain float32
    ``x * s + t`` rounds twice and is 1 ulp off in ~17% of MNIST pixels.
    """

    batchable = True

    def __init__(self, rescale, shift):
        for name, v in (("rescale", rescale), ("shift", shift)):
            if not isinstance(v, numbers.Real) or isinstance(v, bool):
                raise TypeError(f"Argument {name} with value {v!r} is not of type float or int.")
        self.rescale = rescale
        self.shift = shift
        self._scale32 = np.float32(rescale)
        self._shift32 = np.float32(shift)

    def _row(self, array):
        return self._batched(array)

    def _batched(self, stack):
        stack = np.asarray(stack)
        if stack.dtype.kind not in "uifb":
            raise TypeError(f"Rescale: the input should be numeric, got {stack.dtype}.")
        return fma_float32(stack, self._scale32, self._shift32)


class HWC2CHW(TensorOperation):
    """Transpose an image from <H, W, C> to <C, H, W> (a 2-D image becomes <1, H, W>)."""

    batchable = True

    def _row(self, array):
        images, _ = _check_image(np.asarray(array), "HWC2CHW", batched=False)
        return np.ascontiguousarray(images.transpose(2, 0, 1))

    def _batched(self, stack):
        images, _ = _check_image(np.asarray(stack), "HWC2CHW", batched=True)
        if images.shape[3] == 1:  # one channel: the same bytes, no copy
            return np.ascontiguousarray(images).reshape(images.shape[0], 1, *images.shape[1:3])
        return np.ascontiguousarray(images.transpose(0, 3, 1, 2))


class Normalize(TensorOperation):
    """``(image - mean) / std`` per channel, float32 (HWC by default; ``is_hwc=False`` for CHW)."""

    batchable = True

    def __init__(self, mean, std, is_hwc=True):
        mean32 = np.asarray(mean, dtype=np.float32).reshape(-1)
        std32 = np.asarray(std, dtype=np.float32).reshape(-1)
        if mean32.shape != std32.shape or mean32.size == 0:
            raise ValueError(f"Normalize: mean and std should have the same non-zero length, "
                             f"got {len(mean32)} and {len(std32)}.")
        if (std32 <= 0).any():
            raise ValueError(f"Normalize: std should be positive, got {list(std)}.")
        self.mean, self.std, self.is_hwc = mean, std, is_hwc
        self._mean, self._std = mean32, std32

    def _row(self, array):
        return self._batched(np.asarray(array)[None])[0]

    def _batched(self, stack):
        stack = np.asarray(stack, dtype=np.float32)
        if self.is_hwc:
            shape = (1,) * (stack.ndim - 1) + (-1,)
        else:
            shape = (1, -1) + (1,) * (stack.ndim - 2)
        channels = stack.shape[-1] if self.is_hwc else stack.shape[1]
        if self._mean.size not in (1, channels):
            raise ValueError(f"Normalize: {self._mean.size} mean values for an image with "
                             f"{channels} channels (shape {stack.shape[1:]}).")
        return (stack - self._mean.reshape(shape)) / self._std.reshape(shape)
