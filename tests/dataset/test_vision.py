"""Image transforms against independent, per-pixel, obviously-correct references."""
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

from minispore.common import dtype as mstype
from minispore.dataset import transforms, vision


# ---------------------------------------------------------------------------- references
def f32(v):
    return float(np.float32(v))


def taps(dst, in_size, out_size, reset_border):
    """OpenCV's source index and fraction for one output coordinate (float32 arithmetic)."""
    f = f32((dst + 0.5) * (in_size / out_size) - 0.5)
    s = math.floor(f)
    f = f32(f - s)
    if reset_border and s < 0:
        s, f = 0, 0.0
    if reset_border and s >= in_size - 1:
        s, f = in_size - 1, 0.0
    lo, hi = min(max(s, 0), in_size - 1), min(max(s + 1, 0), in_size - 1)
    w0 = int(np.rint(np.float32(f32(1.0 - f)) * np.float32(2048)))
    w1 = int(np.rint(np.float32(f) * np.float32(2048)))
    return lo, hi, w0, w1


def resize_reference(img, out_h, out_w):
    """The spec's recipe, one output pixel at a time, plain Python ints."""
    in_h, in_w, ch = img.shape
    out = np.zeros((out_h, out_w, ch), np.uint8)
    for y in range(out_h):
        r0, r1, b0, b1 = taps(y, in_h, out_h, reset_border=False)
        for x in range(out_w):
            c0, c1, a0, a1 = taps(x, in_w, out_w, reset_border=True)
            for c in range(ch):
                h0 = int(img[r0, c0, c]) * a0 + int(img[r0, c1, c]) * a1
                h1 = int(img[r1, c0, c]) * a0 + int(img[r1, c1, c]) * a1
                v = (((h0 >> 4) * b0 >> 16) + ((h1 >> 4) * b1 >> 16) + 2) >> 2
                out[y, x, c] = min(max(v, 0), 255)
    return out


def round_to_float32(value):
    """Correctly rounded float32 of an exact Fraction (nearest, ties to even)."""
    guess = np.float32(float(value))
    cands = [np.nextafter(guess, np.float32(-np.inf)), guess,
             np.nextafter(guess, np.float32(np.inf))]
    best = min(cands, key=lambda c: (abs(Fraction(float(c)) - value),
                                     int(np.array(c).view(np.uint32)) & 1))
    return np.float32(best)


def images(rng, n, h, w, c=1):
    noise = rng.integers(0, 256, (n // 2, h, w, c), np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    smooth = [np.clip(127 + 120 * np.sin(xx / rng.uniform(2, 9) + yy / rng.uniform(2, 9)
                                         + rng.uniform(0, 6)), 0, 255) for _ in range(n - n // 2)]
    smooth = np.repeat(np.stack(smooth).astype(np.uint8)[..., None], c, axis=3)
    return np.concatenate([noise, smooth])


# ---------------------------------------------------------------------------- Resize
def test_resize_28_to_32_bit_exact_every_pixel():
    rng = np.random.default_rng(0)
    batch = images(rng, 24, 28, 28)
    ours = vision.Resize((32, 32), vision.Inter.LINEAR)._batched(batch)
    assert ours.dtype == np.uint8 and ours.shape == (24, 32, 32, 1)
    for img, got in zip(batch, ours):
        np.testing.assert_array_equal(got, resize_reference(img, 32, 32))
    # the row form gives the same pixels
    np.testing.assert_array_equal(vision.Resize((32, 32))(batch[0]), ours[0])


@pytest.mark.parametrize("shape", [(28, 28, 20, 20, 1), (17, 23, 32, 30, 3), (28, 28, 45, 37, 1),
                                   (40, 30, 13, 7, 3), (5, 9, 11, 3, 1)])
def test_resize_other_sizes_match_reference(shape):
    in_h, in_w, out_h, out_w, c = shape
    batch = images(np.random.default_rng(1), 6, in_h, in_w, c)
    ours = vision.Resize((out_h, out_w))._batched(batch)
    for img, got in zip(batch, ours):
        np.testing.assert_array_equal(got, resize_reference(img, out_h, out_w))


def test_resize_special_cases():
    rng = np.random.default_rng(2)
    img = rng.integers(0, 256, (28, 28, 1), np.uint8)
    np.testing.assert_array_equal(vision.Resize((28, 28))(img), img)
    half = vision.Resize((14, 14))(img).astype(int)  # OpenCV takes INTER_AREA for exact 2x
    s = img[..., 0].astype(int)
    area = (s[0::2, 0::2] + s[0::2, 1::2] + s[1::2, 0::2] + s[1::2, 1::2] + 2) >> 2
    np.testing.assert_array_equal(half[..., 0], area)
    assert vision.Resize(14)(np.zeros((28, 56, 1), np.uint8)).shape == (14, 28, 1)
    assert vision.Resize((32, 32))(np.zeros((28, 28), np.uint8)).shape == (32, 32)
    near = vision.Resize((4, 4), vision.Inter.NEAREST)(img)
    np.testing.assert_array_equal(near[..., 0], img[0::7, 0::7, 0])
    with pytest.raises(TypeError, match="uint8"):
        vision.Resize((32, 32))(np.zeros((28, 28, 1), np.float32))
    with pytest.raises(ValueError):
        vision.Resize((0, 3))
    with pytest.raises(ValueError, match="not implemented"):
        vision.Resize(3, vision.Inter.BICUBIC)


def test_resize_matches_opencv_when_installed():
    cv2 = pytest.importorskip("cv2", reason="opencv not installed (optional cross-check)")
    rng = np.random.default_rng(3)
    for in_h, in_w, out_h, out_w in [(28, 28, 32, 32), (28, 28, 20, 20), (64, 64, 32, 31)]:
        batch = images(rng, 8, in_h, in_w)
        ours = vision.Resize((out_h, out_w))._batched(batch)
        ref = np.stack([cv2.resize(im, (out_w, out_h), interpolation=cv2.INTER_LINEAR)
                        for im in batch])
        np.testing.assert_array_equal(ours[..., 0], ref)


@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 40), st.integers(1, 40),
       st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_resize_any_shape_matches_reference(in_h, in_w, out_h, out_w, c, seed):
    img = np.random.default_rng(seed).integers(0, 256, (in_h, in_w, c), np.uint8)
    got = vision.Resize((out_h, out_w))(img)
    if (in_h, in_w) == (2 * out_h, 2 * out_w) or (in_h, in_w) == (out_h, out_w):
        assert got.shape == (out_h, out_w, c)  # copy / INTER_AREA branches, tested above
    else:
        np.testing.assert_array_equal(got, resize_reference(img, out_h, out_w))


# ---------------------------------------------------------------------------- Rescale
def test_rescale_one_rounding_against_exact_reference():
    rng = np.random.default_rng(4)
    pixels = rng.integers(0, 256, 300).astype(np.uint8)
    first = vision.Rescale(1 / 255, 0)(pixels)
    second_op = vision.Rescale(1 / 0.3081, -0.1307 / 0.3081)
    second = second_op(first)
    s1, t1 = Fraction(f32(1 / 255)), Fraction(0)
    s2, t2 = Fraction(f32(1 / 0.3081)), Fraction(f32(-0.1307 / 0.3081))
    for p, a, b in zip(pixels, first, second):
        assert a == round_to_float32(Fraction(int(p)) * s1 + t1)
        assert b == round_to_float32(Fraction(float(a)) * s2 + t2)
    naive = first * np.float32(1 / 0.3081) + np.float32(-0.1307 / 0.3081)
    assert (naive != second).any()  # two roundings really differ somewhere
    assert second.dtype == np.float32 and first.dtype == np.float32


def test_rescale_halfway_case_needs_exact_sum():
    """float64 then float32 rounds twice; this input is the classic double-rounding trap."""
    x = np.array([np.float32(2.0**-24 * (1 + 2.0**-23))], np.float32)
    op = vision.Rescale(1 - 2.0**-23, 1 + 2.0**-23)
    exact = round_to_float32(Fraction(float(x[0])) * Fraction(1 - 2.0**-23)
                             + Fraction(1 + 2.0**-23))
    twice = np.float32(np.float64(x[0]) * (1 - 2.0**-23) + (1 + 2.0**-23))
    assert op(x)[0] == exact and twice != exact


@given(st.lists(st.floats(-1e6, 1e6, width=32), min_size=1, max_size=20),
       st.floats(-100, 100, width=32), st.floats(-100, 100, width=32))
def test_rescale_property(values, scale, shift):
    x = np.array(values, np.float32)
    got = vision.Rescale(scale, shift)(x)
    for v, g in zip(x, got):
        assert g == round_to_float32(Fraction(float(v)) * Fraction(scale) + Fraction(shift))


# ---------------------------------------------------------------------------- the rest
def test_hwc2chw_typecast_normalize():
    img = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    np.testing.assert_array_equal(vision.HWC2CHW()(img), img.transpose(2, 0, 1))
    assert vision.HWC2CHW()(img[..., 0]).shape == (1, 2, 4)
    stack = np.stack([img, img + 1])
    np.testing.assert_array_equal(vision.HWC2CHW()._batched(stack), stack.transpose(0, 3, 1, 2))
    label = np.array(7, np.uint32)
    assert transforms.TypeCast(mstype.int32)(label).dtype == np.int32
    assert transforms.TypeCast(np.float16)(label).dtype == np.float16
    with pytest.raises(TypeError, match="dtype"):
        transforms.TypeCast("no-such-type")
    norm = vision.Normalize([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])(img)
    np.testing.assert_allclose(norm, (img - np.array([1, 2, 3])) / 2.0)
    with pytest.raises(ValueError, match="channels"):
        vision.Normalize([1.0, 2.0], [1.0, 1.0])(img)


def test_1x_import_paths():
    import minispore.dataset.transforms.c_transforms as C
    import minispore.dataset.vision.c_transforms as CV
    assert CV.Resize is vision.Resize and CV.Rescale is vision.Rescale
    assert CV.HWC2CHW is vision.HWC2CHW and C.TypeCast is transforms.TypeCast
    assert CV.Inter.LINEAR is vision.Inter.BILINEAR
