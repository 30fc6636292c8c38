"""im2col / col2im for convolution as one BLAS GEMM per group.

Column layout ``cols[g, r, n, i, j]`` with ``r = (c*KH + p)*KW + q`` (c within group g), so
``cols[g].reshape(R, N*OH*OW)`` is the right operand of ``w[g].reshape(Og, R) @ ...`` and the
whole batch is one GEMM. Padding is handled by bounds checks (zeros), never by a padded copy.
Input pixel of column cell (i, j) for tap (p, q): ``(i*sh - pt + p*dh, j*sw - pl + q*dw)``.
"""
from ._jit import njit, prange


@njit(parallel=True)
def im2col(cols, x, KH, KW, sh, sw, pt, pl, dh, dw):
    """Fill cols (G,R,N,OH,OW) from x (N,C,H,W); padded cells read as 0."""
    G, R, N, OH, OW = cols.shape
    H, W = x.shape[2], x.shape[3]
    Cg = x.shape[1] // G
    for gr in prange(G * R):
        g = gr // R
        r = gr % R
        c = g * Cg + r // (KH * KW)
        p = (r // KW) % KH
        q = r % KW
        j0 = q * dw - pl
        inside = j0 >= 0 and j0 + sw * (OW - 1) < W
        for n in range(N):
            for i in range(OH):
                ih = i * sh - pt + p * dh
                row = cols[g, r, n, i]
                if ih < 0 or ih >= H:
                    row[:] = 0.0
                elif inside and sw == 1:
                    src = x[n, c, ih, j0:j0 + OW]
                    for j in range(OW):
                        row[j] = src[j]
                else:
                    _copy_clipped(row, x[n, c, ih], j0, sw)


@njit
def _copy_clipped(row, xrow, j0, sw):
    """row[j] = xrow[j0 + j*sw], zero where that falls outside the row (padding)."""
    W = xrow.shape[0]
    for j in range(row.shape[0]):
        iw = j0 + j * sw
        row[j] = xrow[iw] if 0 <= iw < W else 0.0


@njit
def _add_clipped(xrow, row, j0, sw):
    W = xrow.shape[0]
    for j in range(row.shape[0]):
        iw = j0 + j * sw
        if 0 <= iw < W:
            xrow[iw] += row[j]


@njit(parallel=True)
def col2im(dx, cols, KH, KW, sh, sw, pt, pl, dh, dw):
    """dx (N,C,H,W) = sum of cols (G,R,N,OH,OW) back onto input pixels; dx is overwritten.

    Parallel over channels: every r of one channel writes only that channel's plane.
    """
    G, R, N, OH, OW = cols.shape
    C, H, W = dx.shape[1], dx.shape[2], dx.shape[3]
    Cg = C // G
    KK = KH * KW
    for c in prange(C):
        g = c // Cg
        for n in range(N):
            dx[n, c] = 0.0
        for k in range(KK):
            r = (c - g * Cg) * KK + k
            p = k // KW
            q = k % KW
            j0 = q * dw - pl
            inside = j0 >= 0 and j0 + sw * (OW - 1) < W
            for n in range(N):
                for i in range(OH):
                    ih = i * sh - pt + p * dh
                    if ih < 0 or ih >= H:
                        continue
                    row = cols[g, r, n, i]
                    if inside and sw == 1:
                        dst = dx[n, c, ih, j0:j0 + OW]
                        for j in range(OW):
                            dst[j] += row[j]
                    else:
                        _add_clipped(dx[n, c, ih], row, j0, sw)


@njit(parallel=True)
def nchw_to_cnhw(out, x):
    """out (C,N,H,W) = x (N,C,H,W) transposed; used to lay dy out for the weight GEMM."""
    N, C = x.shape[0], x.shape[1]
    for c in prange(C):
        for n in range(N):
            out[c, n] = x[n, c]


@njit(parallel=True)
def cnhw_to_nchw(out, x):
    """out (N,C,H,W) = x (C,N,H,W) transposed; the GEMM result back to NCHW."""
    C, N = x.shape[0], x.shape[1]
    for n in prange(N):
        for c in range(C):
            out[n, c] = x[c, n]
