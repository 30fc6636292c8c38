"""im2col / col2im for convolution as one BLAS GEMM per group, in numpy (no compile).

Column layout ``cols[g, r, n, i, j]`` with ``r = (c*KH + p)*KW + q`` (c within group g), so
``cols[g].reshape(R, N*OH*OW)`` is the right operand of ``w[g].reshape(Og, R) @ ...`` and the
whole batch is one GEMM. Input pixel of column cell (i, j) for tap (p, q):
``(i*sh - pt + p*dh, j*sw - pl + q*dw)``.

Why numpy and not numba: each of these is KH*KW strided copies (or adds) of whole planes, which
numpy does at memory speed, while the four numba kernels they replace took 7.3 s to compile on
a cold start (ResNet's first step: 28 s, of which these were a quarter). The GEMM dominates the
run time either way.
"""
import numpy as np

__all__ = ["im2col", "col2im", "nchw_to_cnhw", "cnhw_to_nchw"]


def _padded(x, pt, pb, pl, pr, empty):
    if not (pt or pb or pl or pr):
        return x
    N, C, H, W = x.shape
    xp = empty((N, C, H + pt + pb, W + pl + pr), x.dtype)
    xp[:, :, :pt] = 0.0
    xp[:, :, H + pt:] = 0.0
    xp[:, :, :, :pl] = 0.0
    xp[:, :, :, W + pl:] = 0.0
    xp[:, :, pt:pt + H, pl:pl + W] = x
    return xp


def _window(p, q, OH, OW, sh, sw, dh, dw):
    """The (rows, cols) slices of the padded input that tap (p, q) reads for all outputs."""
    return (slice(p * dh, p * dh + sh * (OH - 1) + 1, sh),
            slice(q * dw, q * dw + sw * (OW - 1) + 1, sw))


def im2col(cols, x, KH, KW, sh, sw, pt, pl, dh, dw, empty=np.empty):
    """Fill cols (G,R,N,OH,OW) from x (N,C,H,W) with padding pt/pl on top/left (and whatever
    bottom/right padding the output size implies); padded cells read as 0."""
    G, R, N, OH, OW = cols.shape
    H, W = x.shape[2], x.shape[3]
    pb = max(0, (OH - 1) * sh + (KH - 1) * dh + 1 - H - pt)
    pr = max(0, (OW - 1) * sw + (KW - 1) * dw + 1 - W - pl)
    xp = _padded(x, pt, pb, pl, pr, empty)
    C = x.shape[1]
    taps = cols.reshape(C, KH, KW, N, OH, OW)  # c runs over groups, then within a group
    for p in range(KH):
        for q in range(KW):
            rows, columns = _window(p, q, OH, OW, sh, sw, dh, dw)
            np.copyto(taps[:, p, q], xp[:, :, rows, columns].transpose(1, 0, 2, 3))


def col2im(dx, cols, KH, KW, sh, sw, pt, pl, dh, dw, empty=np.empty):
    """dx (N,C,H,W) = sum of cols (G,R,N,OH,OW) back onto input pixels; dx is overwritten.
    Taps are added in a fixed order (p, then q), so the result is deterministic."""
    G, R, N, OH, OW = cols.shape
    C, H, W = dx.shape[1], dx.shape[2], dx.shape[3]
    pb = max(0, (OH - 1) * sh + (KH - 1) * dh + 1 - H - pt)
    pr = max(0, (OW - 1) * sw + (KW - 1) * dw + 1 - W - pl)
    padded = pt or pb or pl or pr
    dxp = empty((N, C, H + pt + pb, W + pl + pr), dx.dtype) if padded else dx
    dxp[...] = 0.0
    taps = cols.reshape(C, KH, KW, N, OH, OW)
    for p in range(KH):
        for q in range(KW):
            rows, columns = _window(p, q, OH, OW, sh, sw, dh, dw)
            target = dxp[:, :, rows, columns]
            np.add(target, taps[:, p, q].transpose(1, 0, 2, 3), out=target)
    if padded:
        np.copyto(dx, dxp[:, :, pt:pt + H, pl:pl + W])


def nchw_to_cnhw(out, x):
    """out (C,N,H,W) = x (N,C,H,W) transposed; used to lay dy out for the weight GEMM."""
    np.copyto(out, x.transpose(1, 0, 2, 3))


def cnhw_to_nchw(out, x):
    """out (N,C,H,W) = x (C,N,H,W) transposed; the GEMM result back to NCHW."""
    np.copyto(out, x.transpose(1, 0, 2, 3))
