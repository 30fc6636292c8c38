"""Direct 2-D convolution kernels (cross-correlation, NCHW) on an already padded input.

Index convention shared by all kernels:
``y[n, o, i, j] = sum_{c,p,q} w[o, c, p, q] * xp[n, g*Cg + c, i*sh + p*dh, j*sw + q*dw]``
with ``g = o // (O/group)``.

Speed notes (numba 0.68, AVX-512, measured): an index such as ``x[k + off]`` with a runtime
``off`` makes numba emit a negative-index wraparound select that stops vectorisation (10x
slower), and mixing contiguous and strided slices in one variable demotes every access to the
strided layout. So every hot loop reads through a slice indexed by the loop variable only, and
the stride-1 and strided cases are separate kernels. With stride 1 an input plane is one flat
row: output ``(i, j)`` lives at ``i*W + j`` and tap ``(p, q)`` is the slice starting at
``p*dh*W + q*dw``, so each tap is a single contiguous multiply-add over ``L = (OH-1)*W + OW``
elements (the ``W - OW`` gap columns are computed and dropped). Strided convolutions go one
output row at a time with strided slices. The public entry points pick the kernel.
"""
import numpy as np

from ._jit import njit, prange


def conv2d_fwd_direct(out, xp, w, sh, sw, dh, dw, group):
    """out (N,O,OH,OW) = conv(xp (N,C,Hp,Wp), w (O,C/group,KH,KW)); out is overwritten."""
    if sh == 1 and sw == 1:
        _fwd_flat(out, xp, w, dh, dw, group)
    else:
        _fwd_rows(out, xp, w, sh, sw, dh, dw, group)


def conv2d_bwd_input_direct(dxp, dy, w, sh, sw, dh, dw, group):
    """dxp (N,C,Hp,Wp) = d conv / d xp contracted with dy; dxp is overwritten."""
    if sh == 1 and sw == 1:
        _bwd_input_flat(dxp, dy, w, dh, dw, group)
    else:
        _bwd_input_rows(dxp, dy, w, sh, sw, dh, dw, group)


def conv2d_bwd_weight_direct(dwt, dy, xp, sh, sw, dh, dw, group):
    """dwt (O,C/group,KH,KW) = sum over n,i,j of dy * xp patch; dwt is overwritten."""
    if sh == 1 and sw == 1:
        _bwd_weight_flat(dwt, dy, xp, dh, dw, group)
    else:
        _bwd_weight_rows(dwt, dy, xp, sh, sw, dh, dw, group)


@njit
def _spread_rows(dst, src, W):
    """dst (L,) with pitch W <- src (OH, OW); the gap columns are left as they are."""
    OH, OW = src.shape
    for r in range(OH):
        d = dst[r * W:r * W + OW]
        s = src[r]
        for j in range(OW):
            d[j] = s[j]


@njit
def _gather_rows(dst, src, W):
    """dst (OH, OW) <- src (L,) with pitch W."""
    OH, OW = dst.shape
    for r in range(OH):
        d = dst[r]
        s = src[r * W:r * W + OW]
        for j in range(OW):
            d[j] = s[j]


@njit(parallel=True)
def _fwd_flat(out, xp, w, dh, dw, group):
    N, O, OH, OW = out.shape
    C, H, W = xp.shape[1], xp.shape[2], xp.shape[3]
    Cg, KH, KW = w.shape[1], w.shape[2], w.shape[3]
    Og = O // group
    L = (OH - 1) * W + OW
    for n in prange(N):
        acc = np.zeros((O, L), dtype=out.dtype)
        for g in range(group):
            for c in range(Cg):
                xc = xp[n, g * Cg + c].reshape(H * W)
                for p in range(KH):
                    for q in range(KW):
                        start = p * dh * W + q * dw
                        b = xc[start:start + L]
                        for o in range(g * Og, (g + 1) * Og):
                            wv = w[o, c, p, q]
                            a = acc[o]
                            for k in range(L):
                                a[k] += wv * b[k]
        for o in range(O):
            _gather_rows(out[n, o], acc[o], W)


@njit(parallel=True)
def _fwd_rows(out, xp, w, sh, sw, dh, dw, group):
    N, O, OH, OW = out.shape
    Cg, KH, KW = w.shape[1], w.shape[2], w.shape[3]
    Og = O // group
    span = sw * (OW - 1) + 1
    for n in prange(N):
        for o in range(O):
            out[n, o] = 0.0
        for g in range(group):
            for c in range(Cg):
                xc = xp[n, g * Cg + c]
                for i in range(OH):
                    for p in range(KH):
                        row = xc[i * sh + p * dh]
                        for q in range(KW):
                            b = row[q * dw:q * dw + span:sw]
                            for o in range(g * Og, (g + 1) * Og):
                                wv = w[o, c, p, q]
                                a = out[n, o, i]
                                for k in range(OW):
                                    a[k] += wv * b[k]


@njit(parallel=True)
def _bwd_input_flat(dxp, dy, w, dh, dw, group):
    N, O, OH, OW = dy.shape
    C, H, W = dxp.shape[1], dxp.shape[2], dxp.shape[3]
    Cg, KH, KW = w.shape[1], w.shape[2], w.shape[3]
    Og = O // group
    L = (OH - 1) * W + OW
    for n in prange(N):
        dxp[n] = 0.0
        dyw = np.zeros((O, L), dtype=dy.dtype)
        for o in range(O):
            _spread_rows(dyw[o], dy[n, o], W)
        for g in range(group):
            for c in range(Cg):
                dxc = dxp[n, g * Cg + c].reshape(H * W)
                for p in range(KH):
                    for q in range(KW):
                        start = p * dh * W + q * dw
                        d = dxc[start:start + L]
                        for o in range(g * Og, (g + 1) * Og):
                            wv = w[o, c, p, q]
                            a = dyw[o]
                            for k in range(L):
                                d[k] += wv * a[k]


@njit(parallel=True)
def _bwd_input_rows(dxp, dy, w, sh, sw, dh, dw, group):
    N, O, OH, OW = dy.shape
    Cg, KH, KW = w.shape[1], w.shape[2], w.shape[3]
    Og = O // group
    span = sw * (OW - 1) + 1
    for n in prange(N):
        dxp[n] = 0.0
        for g in range(group):
            for c in range(Cg):
                dxc = dxp[n, g * Cg + c]
                for i in range(OH):
                    for p in range(KH):
                        row = dxc[i * sh + p * dh]
                        for q in range(KW):
                            d = row[q * dw:q * dw + span:sw]
                            for o in range(g * Og, (g + 1) * Og):
                                wv = w[o, c, p, q]
                                a = dy[n, o, i]
                                for k in range(OW):
                                    d[k] += wv * a[k]


@njit(parallel=True, reduction=True)
def _bwd_weight_flat(dwt, dy, xp, dh, dw, group):
    """One output channel's dy row (``d``, pitch W) stays in L1 while every tap's dot product
    with the matching input slice is taken: memory traffic per sample is one dy plane plus one
    input plane, and each dot product vectorises (``reduction=True``)."""
    N, O, OH, OW = dy.shape
    C, H, W = xp.shape[1], xp.shape[2], xp.shape[3]
    Cg, KH, KW = dwt.shape[1], dwt.shape[2], dwt.shape[3]
    Og = O // group
    L = (OH - 1) * W + OW
    for o in prange(O):
        g = o // Og
        d = np.zeros(L, dtype=dy.dtype)
        acc = np.zeros((Cg, KH, KW), dtype=np.float64)
        for n in range(N):
            _spread_rows(d, dy[n, o], W)
            for c in range(Cg):
                xc = xp[n, g * Cg + c].reshape(H * W)
                for p in range(KH):
                    for q in range(KW):
                        start = p * dh * W + q * dw
                        b = xc[start:start + L]
                        s = d.dtype.type(0.0)
                        for k in range(L):
                            s += d[k] * b[k]
                        acc[c, p, q] += s
        for c in range(Cg):
            for p in range(KH):
                for q in range(KW):
                    dwt[o, c, p, q] = acc[c, p, q]


@njit(parallel=True)
def _bwd_weight_rows(dwt, dy, xp, sh, sw, dh, dw, group):
    N, O, OH, OW = dy.shape
    Cg, KH, KW = dwt.shape[1], dwt.shape[2], dwt.shape[3]
    Og = O // group
    span = sw * (OW - 1) + 1
    for o in prange(O):
        g = o // Og
        acc = np.empty(OW, dtype=dy.dtype)
        for c in range(Cg):
            for p in range(KH):
                for q in range(KW):
                    acc[:] = 0.0
                    for n in range(N):
                        xc = xp[n, g * Cg + c]
                        for i in range(OH):
                            b = xc[i * sh + p * dh][q * dw:q * dw + span:sw]
                            d = dy[n, o, i]
                            for k in range(OW):
                                acc[k] += d[k] * b[k]
                    dwt[o, c, p, q] = acc.sum()
