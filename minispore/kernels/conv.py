"""Direct 2-D convolution kernels (cross-correlation, NCHW) on an already padded input.

Index convention shared by all kernels:
``y[n, o, i, j] = sum_{c,p,q} w[o, c, p, q] * xp[n, g*Cg + c, i*sh + p*dh, j*sw + q*dw]``
with ``g = o // (O/group)``.

Stride-1 convolutions run the flat kernels of :mod:`.conv_flat` (see there for the speed
notes). Strided convolutions go one output row at a time with strided slices; as there, hot
loops index slices by the loop variable only (a runtime offset inside the index stops
vectorisation) and strided and contiguous slices never share a variable (that demotes every
access to the strided layout). The public entry points pick the kernel.
"""
import numpy as np

from ._jit import PARALLEL, njit, prange
from ._threads import get_num_threads
from .conv_flat import conv2d_bwd_input_flat, conv2d_bwd_weight_flat, conv2d_fwd_flat, geometry


def conv2d_fwd_direct(out, xp, w, sh, sw, dh, dw, group, empty=np.empty):
    """out (N,O,OH,OW) = conv(xp (N,C,Hp,Wp), w (O,C/group,KH,KW)); out is overwritten.
    ``empty(shape, dtype)`` allocates the stride-1 kernels' scratch (a buffer pool, say)."""
    if sh == 1 and sw == 1:
        g = _geometry(xp, w, out.shape, dh, dw, group)
        conv2d_fwd_flat(out, xp, g.weights(w, empty), g.offs, group,
                        g.fwd_scratch(out.shape[0], out.dtype, empty))
    else:
        _fwd_rows(out, xp, w, sh, sw, dh, dw, group)


def conv2d_bwd_input_direct(dxp, dy, w, sh, sw, dh, dw, group, empty=np.empty):
    """dxp (N,C,Hp,Wp) = d conv / d xp contracted with dy; dxp is overwritten."""
    if sh == 1 and sw == 1:
        g = _geometry(dxp, w, dy.shape, dh, dw, group)
        conv2d_bwd_input_flat(dxp, dy, g.weights(w, empty), g.offs, group, g.KK,
                              g.bwd_input_scratch(dy.shape[0], dy.dtype, empty))
    else:
        _bwd_input_rows(dxp, dy, w, sh, sw, dh, dw, group)


def conv2d_bwd_weight_direct(dwt, dy, xp, sh, sw, dh, dw, group, empty=np.empty):
    """dwt (O,C/group,KH,KW) = sum over n,i,j of dy * xp patch; dwt is overwritten."""
    if sh == 1 and sw == 1:
        g = _geometry(xp, dwt, dy.shape, dh, dw, group)
        conv2d_bwd_weight_flat(dwt, dy, xp, g.offs, group, g.splits,
                               *g.bwd_weight_scratch(dy.dtype, empty))
    else:
        _bwd_weight_rows(dwt, dy, xp, sh, sw, dh, dw, group)


def _geometry(x, w, out_shape, dh, dw, group):
    return geometry(x.shape, w.shape, out_shape, (dh, dw), group,
                    get_num_threads() if PARALLEL else 1)


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
