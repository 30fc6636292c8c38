"""OpenCV-compatible image resizing on whole uint8 arrays (numpy, no per-image loop).

``resize_linear`` reproduces OpenCV's ``INTER_LINEAR`` for 8-bit images bit for bit: half-pixel
centres, 11-bit fixed-point coefficients and the exact integer rounding of OpenCV's vertical pass
(see mindspore_behavior.md section 10). Everything works on a stack ``(N, H, W, C)`` so one call
resizes a whole dataset column.

Where OpenCV's own code takes a different branch we take it too:
  * same size in and out: a copy;
  * exactly 2x downscale in both axes: OpenCV switches to ``INTER_AREA`` (2x2 mean, round half up);
  * the vertical pass uses OpenCV's SIMD formula ``((h0>>4)*b0>>16) + ((h1>>4)*b1>>16) + 2 >> 2``
    on every column (its scalar formula ``(h0*b0 + h1*b1 + 2^21) >> 22`` differs by 1 at times).
    The 28->32 case matches OpenCV 4.11 (spec); all sizes in tests/dataset/test_vision.py also matched
    opencv-python-headless 5.0 pixel for pixel (2x downscale, odd sizes, 3 channels, upscale).
"""
import numpy as np

from .._kernels import resize_linear_u8

COEF_BITS = 11
COEF_SCALE = 1 << COEF_BITS  # OpenCV's INTER_RESIZE_COEF_SCALE (2048)


def linear_taps(in_size, out_size, clamp_coef):
    """Source indices and 11-bit weights for one axis.

    Returns ``(i0, i1, w0, w1)``; ``i0``/``i1`` are the two source taps per output index and
    ``w0``/``w1`` their integer weights (summing to 2048). ``clamp_coef`` resets the fraction at
    the borders as OpenCV does for columns (not for rows).
    """
    scale = in_size / out_size  # float64, as OpenCV's ``1./inv_scale``
    f = ((np.arange(out_size, dtype=np.float64) + 0.5) * scale - 0.5).astype(np.float32)
    s = np.floor(f).astype(np.int64)
    f = (f - s.astype(np.float32)).astype(np.float32)
    if clamp_coef:
        low = s < 0
        f[low], s[low] = 0, 0
        high = s >= in_size - 1
        f[high], s[high] = 0, in_size - 1
    i0 = np.clip(s, 0, in_size - 1).astype(np.int32)
    i1 = np.clip(s + 1, 0, in_size - 1).astype(np.int32)
    one = np.float32(1)
    w0 = np.rint((one - f) * np.float32(COEF_SCALE)).astype(np.int32)
    w1 = np.rint(f * np.float32(COEF_SCALE)).astype(np.int32)
    return i0, i1, w0, w1


def resize_linear(images, out_h, out_w):
    """Bilinear resize of a uint8 stack ``(N, H, W, C)`` to ``(N, out_h, out_w, C)``, as cv2."""
    n, in_h, in_w, ch = images.shape
    if (in_h, in_w) == (out_h, out_w):
        return images.copy()
    if in_h == 2 * out_h and in_w == 2 * out_w:
        return _area_half(images)
    xi0, xi1, a0, a1 = linear_taps(in_w, out_w, clamp_coef=True)
    yi0, yi1, b0, b1 = linear_taps(in_h, out_h, clamp_coef=False)
    out = np.empty((n, out_h, out_w, ch), np.uint8)
    resize_linear_u8(out, np.ascontiguousarray(images), xi0, xi1, a0, a1, yi0, yi1, b0, b1)
    return out


def _area_half(images):
    """OpenCV's fast INTER_AREA for an exact 2x downscale: (a+b+c+d+2) >> 2."""
    s = images.astype(np.int32)
    total = s[:, 0::2, 0::2] + s[:, 0::2, 1::2] + s[:, 1::2, 0::2] + s[:, 1::2, 1::2]
    return ((total + 2) >> 2).astype(np.uint8)


def resize_nearest(images, out_h, out_w):
    """OpenCV ``INTER_NEAREST``: source index ``floor(dst * (1 / (out/in)))``, clamped."""
    _, in_h, in_w, _ = images.shape
    ys = np.floor(np.arange(out_h) * (1.0 / (out_h / in_h))).astype(np.int64)
    xs = np.floor(np.arange(out_w) * (1.0 / (out_w / in_w))).astype(np.int64)
    ys, xs = np.minimum(ys, in_h - 1), np.minimum(xs, in_w - 1)
    return images[:, ys][:, :, xs]
