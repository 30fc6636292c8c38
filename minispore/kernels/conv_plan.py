"""Kernels for replayed plans (``ms.jit``): stride-1 direct convolution with caller-owned
scratch, and bias + ReLU + 2x2 max pooling fused into one pass.

Same loops and the same sums in the same order as :mod:`.conv_flat` (so the same results,
bit for bit); the difference is that the padded weight rows, tap offsets and per-sample
accumulators are arrays the caller allocated once, so a replayed training step allocates
nothing here.
"""
from ._jit import njit, prange
from .conv_flat import TAPS, _bwd_input_sample, _dots4, _fwd_sample, _spread
from .pool import _max4


@njit
def weights_by_4_into(out, w, group):
    """:func:`.conv_flat.weights_by_4` into ``out`` (its padding rows must already be 0)."""
    O = w.shape[0]
    T = w.shape[1] * w.shape[2] * w.shape[3]
    Og = O // group
    Og4 = out.shape[0] // group
    wt = w.reshape(O, T)
    for g in range(group):
        for i in range(Og):
            dst = out[g * Og4 + i]
            src = wt[g * Og + i]
            for t in range(T):
                dst[t] = src[t]


@njit(parallel=True)
def conv2d_fwd_scratch(out, xp, w4, offs, group, acc):
    """out (N,O,OH,OW) = stride-1 conv of xp (N,C,H,W); ``acc`` is (N, 4, L) scratch."""
    N = out.shape[0]
    C, H, W = xp.shape[1], xp.shape[2], xp.shape[3]
    for n in prange(N):
        _fwd_sample(out[n], xp[n].reshape(C * H * W), w4, offs, group, W, acc[n])


@njit(parallel=True)
def conv2d_bwd_input_scratch(dxp, dy, w4, offs, group, KK, dyw):
    """dxp (N,C,H,W) = input gradient of the stride-1 conv; ``dyw`` is (N, group*Og4, L)
    scratch whose padding-channel rows are zero (they are never written)."""
    N, O, OH, OW = dy.shape
    C, H, W = dxp.shape[1], dxp.shape[2], dxp.shape[3]
    Og = O // group
    Og4 = w4.shape[0] // group
    L = dyw.shape[2]
    for n in prange(N):
        d = dyw[n]
        for g in range(group):
            for i in range(Og):
                _spread(d[g * Og4 + i], dy[n, g * Og + i], W)
        _bwd_input_sample(dxp[n].reshape(C * H * W), d, w4, offs, group, KK, L)


@njit(parallel=True, reduction=True)
def conv2d_bwd_weight_scratch(dwt, dy, xp, offs, group, splits, acc, dd):
    """dwt = weight gradient of the stride-1 conv, as :func:`.conv_flat.conv2d_bwd_weight_flat`
    with ``splits`` runs of taps; ``acc`` (items, 4, T) float64 and ``dd`` (items, 4, L) are
    scratch, items = group * ceil(Og/4) * splits."""
    N, O, OH, OW = dy.shape
    C, H, W = xp.shape[1], xp.shape[2], xp.shape[3]
    Cg, KH, KW = dwt.shape[1], dwt.shape[2], dwt.shape[3]
    Og = O // group
    L = dd.shape[2]
    G = Cg * H * W
    T = Cg * KH * KW
    blocks_per_group = (Og + 3) // 4
    tap_groups = (T + TAPS - 1) // TAPS
    dwf = dwt.reshape(O, T)
    for item in prange(group * blocks_per_group * splits):
        block = item // splits
        part = item % splits
        g = block // blocks_per_group
        o = g * Og + 4 * (block % blocks_per_group)
        nb = min(4, (g + 1) * Og - o)
        t_begin = TAPS * (tap_groups * part // splits)
        t_end = min(T, TAPS * (tap_groups * (part + 1) // splits))
        a = acc[item]
        d = dd[item]
        a[:, :] = 0.0
        d[:, :] = 0.0
        for n in range(N):
            for i in range(nb):
                _spread(d[i], dy[n, o + i], W)
            xg = xp[n].reshape(C * H * W)[g * G:(g + 1) * G]
            _dots4(a, d, xg, offs, t_begin, t_end, L)
        for i in range(nb):
            for t in range(t_begin, t_end):
                dwf[o + i, t] = a[i, t]


@njit(parallel=True)
def bias_relu_maxpool2x2(out, argmax, x, b, has_bias):
    """out, argmax (N,C,OH,OW) = 2x2 stride-2 max pooling of relu(x + b[c]) (of relu(x)
    without bias), in one pass over x: the values :func:`.pool.max_pool2d_fwd_2x2` gives on
    the output of :func:`.activation.relu_fwd` after the bias add, with the same tie and NaN
    rules, without writing the two intermediate planes."""
    N, C, OH, OW = out.shape
    W = x.shape[3]
    zero = out.dtype.type(0.0)
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        bc = b[c]
        for i in range(OH):
            r0 = x[n, c, 2 * i]
            r1 = x[n, c, 2 * i + 1]
            yrow = out[n, c, i]
            arow = argmax[n, c, i]
            top = 2 * i * W
            bad = False
            for j in range(OW):
                a = r0[2 * j]
                bb = r0[2 * j + 1]
                cc = r1[2 * j]
                d = r1[2 * j + 1]
                if has_bias:
                    a, bb, cc, d = a + bc, bb + bc, cc + bc, d + bc
                a = a if (a > 0.0 or a != a) else zero
                bb = bb if (bb > 0.0 or bb != bb) else zero
                cc = cc if (cc > 0.0 or cc != cc) else zero
                d = d if (d > 0.0 or d != d) else zero
                best, arg = a, 0
                if bb > best:
                    best, arg = bb, 1
                if cc > best:
                    best, arg = cc, W
                if d > best:
                    best, arg = d, W + 1
                yrow[j] = best
                arow[j] = top + 2 * j + arg
                total = a + bb + cc + d
                bad |= total != total
            if bad:
                for j in range(OW):
                    a = r0[2 * j]
                    bb = r0[2 * j + 1]
                    cc = r1[2 * j]
                    d = r1[2 * j + 1]
                    if has_bias:
                        a, bb, cc, d = a + bc, bb + bc, cc + bc, d + bc
                    a = a if (a > 0.0 or a != a) else zero
                    bb = bb if (bb > 0.0 or bb != bb) else zero
                    cc = cc if (cc > 0.0 or cc != cc) else zero
                    d = d if (d > 0.0 or d != d) else zero
                    best, arg = _max4(a, bb, cc, d, W)
                    yrow[j] = best
                    arow[j] = top + 2 * j + arg
