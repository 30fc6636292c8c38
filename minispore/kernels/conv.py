"""Direct 2-D convolution kernels (cross-correlation, NCHW) on an already padded input.

Used when the patch length ``C/group*kh*kw`` is small (LeNet's conv1), where im2col would
write a large, skinny matrix that BLAS handles poorly. Index convention shared by all three:
``y[n, o, i, j] = sum_{c,p,q} w[o, c, p, q] * xp[n, g*Cg + c, i*sh + p*dh, j*sw + q*dw]``
with ``g = o // (O/group)``. Innermost loops run along output columns so they vectorise
without reassociation; the ``sw == 1`` branch keeps that loop contiguous.
"""
import numpy as np

from ._jit import njit, prange


@njit(parallel=True)
def conv2d_fwd_direct(out, xp, w, sh, sw, dh, dw, group):
    """out (N,O,OH,OW) = conv(xp (N,C,Hp,Wp), w (O,C/group,KH,KW)); out is overwritten."""
    N, O, OH, OW = out.shape
    Cg, KH, KW = w.shape[1], w.shape[2], w.shape[3]
    Og = O // group
    for n in prange(N):
        for o in range(O):
            ci0 = (o // Og) * Cg
            yo = out[n, o]
            yo[:, :] = 0.0
            for c in range(Cg):
                xc = xp[n, ci0 + c]
                for p in range(KH):
                    for q in range(KW):
                        wv = w[o, c, p, q]
                        for i in range(OH):
                            xrow = xc[i * sh + p * dh]
                            yrow = yo[i]
                            if sw == 1:
                                for j in range(OW):
                                    yrow[j] += wv * xrow[q * dw + j]
                            else:
                                for j in range(OW):
                                    yrow[j] += wv * xrow[q * dw + j * sw]


@njit(parallel=True)
def conv2d_bwd_input_direct(dxp, dy, w, sh, sw, dh, dw, group):
    """dxp (N,C,Hp,Wp) = d conv / d xp contracted with dy; dxp is overwritten."""
    N, O, OH, OW = dy.shape
    Cg, KH, KW = w.shape[1], w.shape[2], w.shape[3]
    Og = O // group
    for n in prange(N):
        dxp[n] = 0.0
        for o in range(O):
            ci0 = (o // Og) * Cg
            dyo = dy[n, o]
            for c in range(Cg):
                dxc = dxp[n, ci0 + c]
                for p in range(KH):
                    for q in range(KW):
                        wv = w[o, c, p, q]
                        for i in range(OH):
                            dxrow = dxc[i * sh + p * dh]
                            dyrow = dyo[i]
                            if sw == 1:
                                for j in range(OW):
                                    dxrow[q * dw + j] += wv * dyrow[j]
                            else:
                                for j in range(OW):
                                    dxrow[q * dw + j * sw] += wv * dyrow[j]


@njit(parallel=True)
def conv2d_bwd_weight_direct(dwt, dy, xp, sh, sw, dh, dw, group):
    """dwt (O,C/group,KH,KW) = sum over n,i,j of dy * xp patch; dwt is overwritten.

    Each weight's sum is kept as a row of partial sums over output columns (``acc``) so the
    inner loop is elementwise and vectorises without fastmath; the row is summed at the end.
    """
    N, O, OH, OW = dy.shape
    Cg, KH, KW = dwt.shape[1], dwt.shape[2], dwt.shape[3]
    Og = O // group
    for o in prange(O):
        ci0 = (o // Og) * Cg
        acc = np.empty(OW, dtype=dwt.dtype)
        for c in range(Cg):
            for p in range(KH):
                for q in range(KW):
                    acc[:] = 0.0
                    for n in range(N):
                        xc = xp[n, ci0 + c]
                        dyo = dy[n, o]
                        for i in range(OH):
                            xrow = xc[i * sh + p * dh]
                            dyrow = dyo[i]
                            if sw == 1:
                                for j in range(OW):
                                    acc[j] += dyrow[j] * xrow[q * dw + j]
                            else:
                                for j in range(OW):
                                    acc[j] += dyrow[j] * xrow[q * dw + j * sw]
                    total = 0.0
                    for j in range(OW):
                        total += acc[j]
                    dwt[o, c, p, q] = total
