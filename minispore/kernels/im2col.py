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
        for n in range(N):
            for i in range(OH):
                ih = i * sh - pt + p * dh
                row = cols[g, r, n, i]
                if ih < 0 or ih >= H:
                    row[:] = 0.0
                    continue
                xrow = x[n, c, ih]
                j0 = q * dw - pl
                if sw == 1 and j0 >= 0 and j0 + OW <= W:
                    for j in range(OW):
                        row[j] = xrow[j0 + j]
                else:
                    for j in range(OW):
                        iw = j * sw + j0
                        row[j] = xrow[iw] if 0 <= iw < W else 0.0


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
            for n in range(N):
                for i in range(OH):
                    ih = i * sh - pt + p * dh
                    if ih < 0 or ih >= H:
                        continue
                    row = cols[g, r, n, i]
                    dxrow = dx[n, c, ih]
                    j0 = q * dw - pl
                    if sw == 1 and j0 >= 0 and j0 + OW <= W:
                        for j in range(OW):
                            dxrow[j0 + j] += row[j]
                    else:
                        for j in range(OW):
                            iw = j * sw + j0
                            if 0 <= iw < W:
                                dxrow[iw] += row[j]


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
