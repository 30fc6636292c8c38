"""Stride-1 direct convolution with caller-owned scratch, for replayed plans (``ms.jit``).

Same loops and the same sums in the same order as :mod:`.conv_flat` (so the same results,
bit for bit); the difference is that the padded weight rows, tap offsets and per-sample
accumulators are arrays the caller allocated once, so a replayed training step allocates
nothing here.
"""
from ._jit import njit, prange
from .conv_flat import TAPS, _bwd_input_sample, _dots4, _fwd_sample, _spread


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
