"""Padding, cropping, flipping and ``ToTensor`` of ``mindspore.dataset.vision`` on HWC images.

Random operations (``random = True``) draw from the generator the pipeline hands them per row
(``_random_row(image, rng)``), so a seeded pipeline gives the same crops and flips however many
workers run it.
"""
import numbers

import numpy as np

from ..transforms.transforms import TensorOperation, to_numpy_dtype
from .utils import Border

__all__ = ["Pad", "RandomCrop", "RandomHorizontalFlip", "ToTensor"]


def _hwc(image, op):
    """(H, W) or (H, W, C) -> (H, W, C) and whether it was 2-D."""
    image = np.asarray(image)
    if image.ndim == 2:
        return image[..., None], True
    if image.ndim == 3:
        return image, False
    raise RuntimeError(f"{op}: the input image should be <H, W> or <H, W, C>, but got shape "
                       f"{image.shape}.")


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def parse_padding(padding, op):
    """MindSpore's padding forms -> (left, top, right, bottom): an int pads all sides, a pair
    (left/right, top/bottom), a 4-tuple (left, top, right, bottom)."""
    if _is_int(padding):
        sides = (padding,) * 4
    elif isinstance(padding, (tuple, list)) and len(padding) in (2, 4) and \
            all(_is_int(p) for p in padding):
        sides = tuple(padding) * 2 if len(padding) == 2 else tuple(padding)
    else:
        raise TypeError(f"{op}: padding should be an int or a sequence of 2 or 4 ints, got "
                        f"{padding!r}.")
    if any(p < 0 for p in sides):
        raise ValueError(f"{op}: padding should be >= 0, got {padding!r}.")
    return tuple(int(p) for p in sides)


def parse_fill(fill_value, op):
    """An int in [0, 255] or a 3-tuple of them."""
    values = fill_value if isinstance(fill_value, (tuple, list)) else (fill_value,)
    if len(values) not in (1, 3) or not all(_is_int(v) and 0 <= v <= 255 for v in values):
        raise TypeError(f"{op}: fill_value should be an int in [0, 255] or a tuple of three, got "
                        f"{fill_value!r}.")
    return tuple(int(v) for v in values)


def _check_border(padding_mode, op):
    if not isinstance(padding_mode, Border):
        raise TypeError(f"{op}: padding_mode should be a Border, got {padding_mode!r}.")
    return padding_mode


def pad_image(image, sides, fill, mode, op):
    """Pad an HWC image by (left, top, right, bottom)."""
    img, squeezed = _hwc(image, op)
    left, top, right, bottom = sides
    width = ((top, bottom), (left, right), (0, 0))
    if mode is Border.CONSTANT:
        if len(fill) == 3 and img.shape[2] != 3:
            raise RuntimeError(f"{op}: a 3-value fill_value needs a 3-channel image, got shape "
                               f"{img.shape}.")
        out = np.empty((img.shape[0] + top + bottom, img.shape[1] + left + right, img.shape[2]),
                       img.dtype)
        out[...] = np.asarray(fill, dtype=img.dtype)
        out[top:top + img.shape[0], left:left + img.shape[1]] = img
    else:
        if mode is Border.REFLECT and (max(top, bottom) >= img.shape[0] or
                                       max(left, right) >= img.shape[1]):
            raise RuntimeError(f"{op}: REFLECT padding {sides} must be smaller than the image "
                               f"size {img.shape[:2]}.")
        out = np.pad(img, width, mode=mode.value)
    return out[..., 0] if squeezed else out


def _pad_stack_constant(stack, sides, fill):
    left, top, right, bottom = sides
    out = np.full((stack.shape[0], stack.shape[1] + top + bottom, stack.shape[2] + left + right)
                  + stack.shape[3:], fill, stack.dtype)
    out[:, top:top + stack.shape[1], left:left + stack.shape[2]] = stack
    return out


class Pad(TensorOperation):
    """Pad the image's borders (``mindspore.dataset.vision.Pad``).

    Args:
        padding (Union[int, tuple]): int (all sides), (left/right, top/bottom) or
            (left, top, right, bottom).
        fill_value (Union[int, tuple[int, int, int]]): the value for ``Border.CONSTANT``.
            Default: ``0``.
        padding_mode (Border): Default: ``Border.CONSTANT``.
    """

    def __init__(self, padding, fill_value=0, padding_mode=Border.CONSTANT):
        self.padding, self.fill_value, self.padding_mode = padding, fill_value, padding_mode
        self._sides = parse_padding(padding, "Pad")
        self._fill = parse_fill(fill_value, "Pad")
        _check_border(padding_mode, "Pad")

    def _row(self, array):
        return pad_image(array, self._sides, self._fill, self.padding_mode, "Pad")


class RandomCrop(TensorOperation):
    """Crop a ``size`` window at a uniformly random position (``mindspore.dataset.vision
    .RandomCrop``), after optional padding.

    Args:
        size (Union[int, tuple[int, int]]): (height, width) of the crop; an int for a square.
        padding (Union[int, tuple]): padded first, as ``Pad``. Default: ``None``.
        pad_if_needed (bool): pad an image smaller than ``size`` up to it (on both sides).
            Default: ``False``.
        fill_value, padding_mode: as ``Pad``.

    The window's top-left corner is drawn uniformly from every position that fits
    (``0 .. H - h`` and ``0 .. W - w`` inclusive).
    """

    random = True
    deterministic = False

    def __init__(self, size, padding=None, pad_if_needed=False, fill_value=0,
                 padding_mode=Border.CONSTANT):
        if _is_int(size):
            hw = (int(size), int(size))
        elif isinstance(size, (tuple, list)) and len(size) == 2 and all(_is_int(s) for s in size):
            hw = tuple(int(s) for s in size)
        else:
            raise TypeError(f"RandomCrop: size should be an int or a pair of ints, got {size!r}.")
        if min(hw) < 1:
            raise ValueError(f"RandomCrop: size should be positive, got {size!r}.")
        if not isinstance(pad_if_needed, bool):
            raise TypeError(f"RandomCrop: pad_if_needed should be bool, got {pad_if_needed!r}.")
        self.size, self.padding, self.pad_if_needed = size, padding, pad_if_needed
        self.fill_value, self.padding_mode = fill_value, padding_mode
        self._hw = hw
        self._sides = parse_padding(padding, "RandomCrop") if padding is not None else None
        self._fill = parse_fill(fill_value, "RandomCrop")
        _check_border(padding_mode, "RandomCrop")

    def _random_row(self, image, rng):
        img = image
        if self._sides is not None:
            img = pad_image(img, self._sides, self._fill, self.padding_mode, "RandomCrop")
        h, w = self._hw
        ih, iw = img.shape[:2]
        if self.pad_if_needed and (ih < h or iw < w):
            dh, dw = max(h - ih, 0), max(w - iw, 0)
            img = pad_image(img, (dw, dh, dw, dh), self._fill, self.padding_mode, "RandomCrop")
            ih, iw = img.shape[:2]
        if ih < h or iw < w:
            raise RuntimeError(f"RandomCrop: the crop size {self._hw} is larger than the (padded) "
                               f"image {(ih, iw)}; use padding or pad_if_needed=True.")
        top = int(rng.integers(0, ih - h + 1))
        left = int(rng.integers(0, iw - w + 1))
        return np.ascontiguousarray(img[top:top + h, left:left + w])

    def _random_batched(self, stack, rng):
        """The same crop rule on a stack of equal-shape images, one draw pair per image."""
        stack = np.asarray(stack)
        if stack.ndim not in (3, 4):
            raise RuntimeError(f"RandomCrop: the input image should be <H, W> or <H, W, C>, but "
                               f"got shape {stack.shape[1:]}.")
        sides = self._sides or (0, 0, 0, 0)
        h, w = self._hw
        ih, iw = stack.shape[1] + sides[1] + sides[3], stack.shape[2] + sides[0] + sides[2]
        if self.pad_if_needed and (ih < h or iw < w):
            dh, dw = max(h - ih, 0), max(w - iw, 0)
            sides = (sides[0] + dw, sides[1] + dh, sides[2] + dw, sides[3] + dh)
        if any(sides):
            stack = np.stack([pad_image(img, sides, self._fill, self.padding_mode, "RandomCrop")
                              for img in stack]) if self.padding_mode is not Border.CONSTANT \
                or len(self._fill) != 1 else _pad_stack_constant(stack, sides, self._fill[0])
        ih, iw = stack.shape[1:3]
        if ih < h or iw < w:
            raise RuntimeError(f"RandomCrop: the crop size {self._hw} is larger than the (padded) "
                               f"image {(ih, iw)}; use padding or pad_if_needed=True.")
        n = stack.shape[0]
        tops = rng.integers(0, ih - h + 1, n)
        lefts = rng.integers(0, iw - w + 1, n)
        rows = (tops[:, None] + np.arange(h))[:, :, None]
        cols = (lefts[:, None] + np.arange(w))[:, None, :]
        return np.ascontiguousarray(stack[np.arange(n)[:, None, None], rows, cols])


class RandomHorizontalFlip(TensorOperation):
    """Mirror the image left-right with probability ``prob`` (``mindspore.dataset.vision
    .RandomHorizontalFlip``).

    Args:
        prob (float): in [0, 1]. Default: ``0.5``.
    """

    random = True
    deterministic = False

    def __init__(self, prob=0.5):
        if isinstance(prob, bool) or not isinstance(prob, numbers.Real) or not 0 <= prob <= 1:
            raise ValueError(f"Input prob is not within the required interval of [0.0, 1.0], got "
                             f"{prob!r}.")
        self.prob = prob

    def _random_row(self, image, rng):
        _hwc(image, "RandomHorizontalFlip")
        if rng.random() < self.prob:
            return np.ascontiguousarray(image[:, ::-1])
        return image

    def _random_batched(self, stack, rng):
        """Flip each image of a stack independently with probability ``prob``."""
        stack = np.asarray(stack)
        if stack.ndim not in (3, 4):
            raise RuntimeError(f"RandomHorizontalFlip: the input image should be <H, W> or "
                               f"<H, W, C>, but got shape {stack.shape[1:]}.")
        flip = rng.random(stack.shape[0]) < self.prob
        out = stack.copy()
        out[flip] = stack[flip][:, :, ::-1]
        return out


class ToTensor(TensorOperation):
    """HWC image with values in [0, 255] -> CHW ``output_type`` array divided by 255
    (``mindspore.dataset.vision.ToTensor``); a 2-D image becomes (1, H, W).

    Args:
        output_type (Union[numpy.dtype, mindspore dtype]): Default: ``np.float32``.
    """

    batchable = True

    def __init__(self, output_type=np.float32):
        self.output_type = output_type
        self._dtype = to_numpy_dtype(output_type, "output_type")
        if self._dtype.kind != "f":
            raise TypeError(f"ToTensor: output_type should be a float type, got {output_type!r}.")

    def _row(self, array):
        return self._batched(np.asarray(array)[None])[0]

    def _batched(self, stack):
        stack = np.asarray(stack)
        if stack.ndim == 3:
            stack = stack[..., None]
        if stack.ndim != 4:
            raise RuntimeError(f"ToTensor: the input image should be <H, W> or <H, W, C>, but "
                               f"got shape {stack.shape[1:]}.")
        out = stack.astype(self._dtype) / self._dtype.type(255)
        return np.ascontiguousarray(out.transpose(0, 3, 1, 2))
