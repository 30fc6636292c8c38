"""Stride-1 direct convolution on flat planes: forward, input gradient, weight gradient.

With stride 1 an input plane is one flat row: output ``(i, j)`` lives at ``i*W + j`` and tap
``t = (c, p, q)`` of a sample is the contiguous slice starting at ``c*H*W + p*dh*W + q*dw``,
so every tap is one multiply-add over ``L = (OH-1)*W + OW`` elements (the ``W - OW`` gap
columns are computed and dropped). Index convention as in :mod:`.conv`.

Why the loops look the way they do (numba 0.68 / LLVM, AVX-512 host, measured in
``benchmarks/kernels.py`` and whole LeNet steps):

* Each vectorised loop reads through slices indexed by the loop variable only; ``x[k + off]``
  with a runtime ``off`` makes numba emit a negative-index select that stops vectorisation.
* One loop over ``L`` does several taps and two output channels at once (4 taps x 2 channels:
  8 multiply-adds per 4 input loads and 2 accumulator load/stores). One tap per pass was
  load/store bound: 1.9x slower forward, 2-3x slower weight gradient at LeNet's conv1/conv2.
* Work is split by sample (forward, input gradient) or by (output-channel pair, tap group)
  for the weight gradient, so iterations write disjoint memory and every sum runs in a fixed
  order: results do not depend on the thread count.
* ``contract`` lets LLVM fuse multiply and add (one rounding); sums keep their order.
"""
import numpy as np

from ._jit import njit, prange

TAPS = 4  # taps per pass over L


@njit
def tap_offsets(Cg, KH, KW, H, W, dh, dw):
    """Start of tap ``(c, p, q)`` (flat index ``(c*KH + p)*KW + q``) in a group's flat planes."""
    offs = np.empty(Cg * KH * KW, np.int64)
    for c in range(Cg):
        for p in range(KH):
            for q in range(KW):
                offs[(c * KH + p) * KW + q] = c * H * W + p * dh * W + q * dw
    return offs


@njit(contract=True)
def _taps_into(a, e, two, xg, wt, o, offs, L):
    """a (+ e when ``two``) += sum over taps t of wt[o (o+1), t] * xg[offs[t]:offs[t]+L]."""
    T = offs.shape[0]
    t = 0
    while t + TAPS <= T:
        b0 = xg[offs[t]:offs[t] + L]
        b1 = xg[offs[t + 1]:offs[t + 1] + L]
        b2 = xg[offs[t + 2]:offs[t + 2] + L]
        b3 = xg[offs[t + 3]:offs[t + 3] + L]
        w0, w1, w2, w3 = wt[o, t], wt[o, t + 1], wt[o, t + 2], wt[o, t + 3]
        if two:
            v0, v1, v2, v3 = wt[o + 1, t], wt[o + 1, t + 1], wt[o + 1, t + 2], wt[o + 1, t + 3]
            for k in range(L):
                x0, x1, x2, x3 = b0[k], b1[k], b2[k], b3[k]
                a[k] += w0 * x0 + w1 * x1 + w2 * x2 + w3 * x3
                e[k] += v0 * x0 + v1 * x1 + v2 * x2 + v3 * x3
        else:
            for k in range(L):
                a[k] += w0 * b0[k] + w1 * b1[k] + w2 * b2[k] + w3 * b3[k]
        t += TAPS
    while t < T:
        b0 = xg[offs[t]:offs[t] + L]
        w0 = wt[o, t]
        if two:
            v0 = wt[o + 1, t]
            for k in range(L):
                a[k] += w0 * b0[k]
                e[k] += v0 * b0[k]
        else:
            for k in range(L):
                a[k] += w0 * b0[k]
        t += 1


@njit
def _spread(dst, src, W):
    """dst (L,) with row pitch W <- src (OH, OW); the gap columns are left as they are."""
    OH, OW = src.shape
    for r in range(OH):
        d = dst[r * W:r * W + OW]
        s = src[r]
        for j in range(OW):
            d[j] = s[j]


@njit
def _gather(dst, src, W):
    """dst (OH, OW) <- src (L,) with row pitch W."""
    OH, OW = dst.shape
    for r in range(OH):
        d = dst[r]
        s = src[r * W:r * W + OW]
        for j in range(OW):
            d[j] = s[j]


@njit(parallel=True)
def conv2d_fwd_flat(out, xp, w, dh, dw, group):
    """out (N,O,OH,OW) = stride-1 conv of the padded xp (N,C,H,W) with w; overwritten."""
    N, O, OH, OW = out.shape
    C, H, W = xp.shape[1], xp.shape[2], xp.shape[3]
    Cg, KH, KW = w.shape[1], w.shape[2], w.shape[3]
    Og = O // group
    L = (OH - 1) * W + OW
    G = Cg * H * W
    offs = tap_offsets(Cg, KH, KW, H, W, dh, dw)
    wt = w.reshape(O, Cg * KH * KW)
    for n in prange(N):
        acc = np.empty((2, L), dtype=out.dtype)
        xn = xp[n].reshape(C * H * W)
        for g in range(group):
            xg = xn[g * G:(g + 1) * G]
            for o in range(g * Og, (g + 1) * Og, 2):
                two = o + 1 < (g + 1) * Og
                acc[:] = 0.0
                _taps_into(acc[0], acc[1], two, xg, wt, o, offs, L)
                _gather(out[n, o], acc[0], W)
                if two:
                    _gather(out[n, o + 1], acc[1], W)


@njit(parallel=True, contract=True)
def conv2d_bwd_input_flat(dxp, dy, w, dh, dw, group):
    """dxp (N,C,H,W) = gradient of the stride-1 conv wrt its padded input; overwritten.

    Per sample and tap, the input slice gathers 4 output channels' dy rows in one pass."""
    N, O, OH, OW = dy.shape
    C, H, W = dxp.shape[1], dxp.shape[2], dxp.shape[3]
    Cg, KH, KW = w.shape[1], w.shape[2], w.shape[3]
    Og = O // group
    L = (OH - 1) * W + OW
    G = Cg * H * W
    T = Cg * KH * KW
    offs = tap_offsets(Cg, KH, KW, H, W, dh, dw)
    wt = w.reshape(O, T)
    for n in prange(N):
        dyw = np.zeros((O, L), dtype=dy.dtype)
        for o in range(O):
            _spread(dyw[o], dy[n, o], W)
        dxn = dxp[n].reshape(C * H * W)
        dxn[:] = 0.0
        for g in range(group):
            dxg = dxn[g * G:(g + 1) * G]
            for t in range(T):
                d = dxg[offs[t]:offs[t] + L]
                o = g * Og
                while o + 4 <= (g + 1) * Og:
                    w0, w1, w2, w3 = wt[o, t], wt[o + 1, t], wt[o + 2, t], wt[o + 3, t]
                    a0, a1, a2, a3 = dyw[o], dyw[o + 1], dyw[o + 2], dyw[o + 3]
                    for k in range(L):
                        d[k] += w0 * a0[k] + w1 * a1[k] + w2 * a2[k] + w3 * a3[k]
                    o += 4
                while o < (g + 1) * Og:
                    w0 = wt[o, t]
                    a0 = dyw[o]
                    for k in range(L):
                        d[k] += w0 * a0[k]
                    o += 1


@njit(parallel=True, reduction=True)
def conv2d_bwd_weight_flat(dwt, dy, xp, dh, dw, group, splits):
    """dwt (O,C/group,KH,KW) = sum over n, i, j of dy * the stride-1 input patch; overwritten.

    Work item = (output-channel pair, one of ``splits`` runs of taps); within an item the
    samples go in order and, per sample, 4 taps x 2 channels = 8 dot products share their
    loads while that sample's planes stay in L1. Each per-sample dot product is summed in
    the kernel's dtype (vectorised) and the per-sample sums are added in float64, in sample
    order, so ``splits`` (chosen from the thread count) never changes the result."""
    N, O, OH, OW = dy.shape
    C, H, W = xp.shape[1], xp.shape[2], xp.shape[3]
    Cg, KH, KW = dwt.shape[1], dwt.shape[2], dwt.shape[3]
    Og = O // group
    L = (OH - 1) * W + OW
    G = Cg * H * W
    T = Cg * KH * KW
    offs = tap_offsets(Cg, KH, KW, H, W, dh, dw)
    pairs_per_group = (Og + 1) // 2
    tap_groups = (T + TAPS - 1) // TAPS
    splits = max(1, min(splits, tap_groups))
    dwf = dwt.reshape(O, T)
    zero = dy.dtype.type(0.0)
    for item in prange(group * pairs_per_group * splits):
        pair = item // splits
        part = item % splits
        g = pair // pairs_per_group
        o = g * Og + 2 * (pair % pairs_per_group)
        two = o + 1 < (g + 1) * Og
        t_begin = TAPS * (tap_groups * part // splits)
        t_end = min(T, TAPS * (tap_groups * (part + 1) // splits))
        acc = np.zeros((2, T), dtype=np.float64)
        d = np.zeros((2, L), dtype=dy.dtype)
        d0 = d[0]
        d1 = d[1]
        for n in range(N):
            _spread(d0, dy[n, o], W)
            if two:
                _spread(d1, dy[n, o + 1], W)
            xg = xp[n].reshape(C * H * W)[g * G:(g + 1) * G]
            t = t_begin
            while t + TAPS <= t_end:
                b0 = xg[offs[t]:offs[t] + L]
                b1 = xg[offs[t + 1]:offs[t + 1] + L]
                b2 = xg[offs[t + 2]:offs[t + 2] + L]
                b3 = xg[offs[t + 3]:offs[t + 3] + L]
                s0 = s1 = s2 = s3 = u0 = u1 = u2 = u3 = zero
                for k in range(L):
                    a, e = d0[k], d1[k]
                    x0, x1, x2, x3 = b0[k], b1[k], b2[k], b3[k]
                    s0 += a * x0
                    s1 += a * x1
                    s2 += a * x2
                    s3 += a * x3
                    u0 += e * x0
                    u1 += e * x1
                    u2 += e * x2
                    u3 += e * x3
                acc[0, t] += s0
                acc[0, t + 1] += s1
                acc[0, t + 2] += s2
                acc[0, t + 3] += s3
                acc[1, t] += u0
                acc[1, t + 1] += u1
                acc[1, t + 2] += u2
                acc[1, t + 3] += u3
                t += TAPS
            while t < t_end:
                b0 = xg[offs[t]:offs[t] + L]
                s0 = u0 = zero
                for k in range(L):
                    s0 += d0[k] * b0[k]
                    u0 += d1[k] * b0[k]
                acc[0, t] += s0
                acc[1, t] += u0
                t += 1
        for t in range(t_begin, t_end):
            dwf[o, t] = acc[0, t]
            if two:
                dwf[o + 1, t] = acc[1, t]
