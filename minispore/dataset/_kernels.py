"""numba kernels of the data pipeline (compiled lazily on first call, cached on disk).

Both loops are plain per-element arithmetic for which numpy would need several full-size
temporaries; here one pass over a 60,000-image column takes a few tens of milliseconds.
They use ``kernels.exact_njit`` (fastmath forced off) rather than the kernels' ``njit``: the
results must be bit-exact, and TwoSum in ``fma_f32`` is wrong under reassociation, so
``MINISPORE_FASTMATH`` must not reach them. The disk cache follows ``MINISPORE_NUMBA_CACHE``.
"""
import numpy as np

from ..kernels import exact_njit as _exact


@_exact
def resize_linear_u8(out, src, xi0, xi1, a0, a1, yi0, yi1, b0, b1):
    """OpenCV's fixed-point bilinear resize of ``src`` (N, H, W, C) uint8 into ``out``.

    Horizontal pass per source row: ``h = P[sx]*a0 + P[sx1]*a1`` (exact int32); vertical pass
    (OpenCV's SIMD formula): ``(((h0 >> 4)*b0 >> 16) + ((h1 >> 4)*b1 >> 16) + 2) >> 2``,
    clipped to [0, 255]. Tap arrays are int32; ``*0`` index, ``a*``/``b*`` weigh.
    """
    n, in_h = src.shape[0], src.shape[1]
    out_h, out_w, ch = out.shape[1], out.shape[2], out.shape[3]
    horiz = np.empty((in_h, out_w, ch), np.int32)
    for i in range(n):
        for r in range(in_h):
            for x in range(out_w):
                p0, p1, w0, w1 = xi0[x], xi1[x], a0[x], a1[x]
                for c in range(ch):
                    horiz[r, x, c] = np.int32(src[i, r, p0, c]) * w0 + np.int32(src[i, r, p1, c]) * w1
        for y in range(out_h):
            r0, r1, c0, c1 = yi0[y], yi1[y], b0[y], b1[y]
            for x in range(out_w):
                for c in range(ch):
                    v = (((horiz[r0, x, c] >> 4) * c0 >> 16)
                         + ((horiz[r1, x, c] >> 4) * c1 >> 16) + 2) >> 2
                    out[i, y, x, c] = min(max(v, 0), 255)


@_exact
def fma_f32(out, x, scale, shift):
    """``out = float32(x * scale + shift)`` with one rounding (``scale``/``shift`` float64
    holding float32 values, so ``x * scale`` is exact in float64).

    The float64 sum is rounded once; casting it to float32 would round again, which is wrong
    only when the float64 sum sits exactly halfway between two float32 values (low 29 bits of
    the significand = 0x10000000) or is tiny. Those get the exact error from TwoSum and are
    rounded to odd first, after which the float32 cast is the correctly rounded result.
    """
    xf = x.ravel()
    of = out.ravel()
    for k in range(xf.size):
        p = np.float64(xf[k]) * scale
        s = p + shift
        bits = np.float64(s).view(np.int64)
        if (bits & 0x1FFFFFFF) == 0x10000000 or (s != 0.0 and abs(s) < 2.0 ** -125):
            back = s - p
            err = (p - (s - back)) + (shift - back)
            if err != 0.0 and (bits & 1) == 0:
                s = np.nextafter(s, np.inf if err > 0 else -np.inf)
        of[k] = np.float32(s)
