"""2-D max pooling with argmax, and average pooling (NCHW).

``argmax[n, c, i, j]`` is the flat index ``ih*W + iw`` into the unpadded (H, W) input plane of
the winning cell. Padded cells never win (they are skipped, not read as -inf), ties go to the
first cell in row-major window order, and a NaN in the window wins (it propagates, as in
PyTorch). A window made only of padding yields -inf with argmax -1 (no gradient).
"""
import numpy as np

from ._jit import njit, prange


@njit(parallel=True)
def max_pool2d_fwd(out, argmax, x, KH, KW, sh, sw, pt, pl):
    """out, argmax (N,C,OH,OW) from x (N,C,H,W); both are overwritten."""
    N, C, OH, OW = out.shape
    H, W = x.shape[2], x.shape[3]
    neg_inf = -float("inf")
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        xc = x[n, c]
        for i in range(OH):
            h0 = i * sh - pt
            for j in range(OW):
                w0 = j * sw - pl
                best = neg_inf
                arg = -1
                for p in range(KH):
                    ih = h0 + p
                    if ih < 0 or ih >= H:
                        continue
                    for q in range(KW):
                        iw = w0 + q
                        if iw < 0 or iw >= W:
                            continue
                        v = xc[ih, iw]
                        if v > best or (v != v and best == best) or arg < 0:
                            best = v
                            arg = ih * W + iw
                out[n, c, i, j] = best
                argmax[n, c, i, j] = arg


@njit
def _max4(a, b, c, d, W):
    """(max, offset) of a 2x2 window a b / c d: first maximum wins, the first NaN wins."""
    best, arg = a, 0
    if not (b <= best) and best == best:
        best, arg = b, 1
    if not (c <= best) and best == best:
        best, arg = c, W
    if not (d <= best) and best == best:
        best, arg = d, W + 1
    return best, arg


@njit(parallel=True)
def max_pool2d_fwd_2x2(out, argmax, x):
    """max_pool2d_fwd for the common 2x2, stride-2, unpadded case. Same tie and NaN rules:
    the hot loop uses plain comparisons (LLVM turns them into vector selects) and ORs a
    NaN flag over the row; a row with a NaN window is redone by ``_max4``. 8x faster than
    the general kernel, 1.5x faster than checking each window's NaN inside the loop."""
    N, C, OH, OW = out.shape
    W = x.shape[3]
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        for i in range(OH):
            r0 = x[n, c, 2 * i]
            r1 = x[n, c, 2 * i + 1]
            yrow = out[n, c, i]
            arow = argmax[n, c, i]
            top = 2 * i * W
            bad = False
            for j in range(OW):
                a = r0[2 * j]
                b = r0[2 * j + 1]
                cc = r1[2 * j]
                d = r1[2 * j + 1]
                best, arg = a, 0
                if b > best:
                    best, arg = b, 1
                if cc > best:
                    best, arg = cc, W
                if d > best:
                    best, arg = d, W + 1
                yrow[j] = best
                arow[j] = top + 2 * j + arg
                total = a + b + cc + d
                bad |= total != total
            if bad:
                for j in range(OW):
                    best, arg = _max4(r0[2 * j], r0[2 * j + 1], r1[2 * j], r1[2 * j + 1], W)
                    yrow[j] = best
                    arow[j] = top + 2 * j + arg


@njit(parallel=True)
def bias_relu_max_pool2d_fwd_2x2(out, argmax, x, b, has_bias):
    """out, argmax (N,C,OH,OW) = 2x2 stride-2 max pooling of relu(x + b[c]) (of relu(x)
    without bias), in one pass over x, for a plan's bias + ReLU + pool chain: the values
    :func:`max_pool2d_fwd_2x2` gives on the output of :func:`.activation.relu_fwd` after the
    bias add, with the same tie and NaN rules, without writing the two intermediate planes.

    A second kernel rather than switches in :func:`max_pool2d_fwd_2x2`: one kernel with a
    bias and a ReLU switch compiled 0.7 s slower (every cold PyNative start pays it), and a
    branch-free one (add -0.0, floor at -inf) ran 30 % slower. The parallel loop hands each
    plane to a serial helper: 1.3 s of compile instead of 1.46 s with the loops inside it
    (for the plain pool and its backward the same split gained nothing, so they stay whole)."""
    N, C = out.shape[0], out.shape[1]
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        _bias_relu_pool_plane(out[n, c], argmax[n, c], x[n, c], b[c], has_bias)


@njit
def _bias_relu_pool_plane(yp, ap, xp, bc, has_bias):
    """One (n, c) plane of :func:`bias_relu_max_pool2d_fwd_2x2`."""
    OH, OW = yp.shape
    W = xp.shape[1]
    zero = yp.dtype.type(0.0)
    for i in range(OH):
        r0 = xp[2 * i]
        r1 = xp[2 * i + 1]
        yrow = yp[i]
        arow = ap[i]
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


@njit(parallel=True)
def bias_relu_max_pool2d_2x2_values(out, x, b, has_bias):
    """out (N,C,OH,OW): the values of :func:`bias_relu_max_pool2d_fwd_2x2` without argmax, for
    plans that never run a backward (inference). Bit-equal to it: x -> x + b and relu are
    monotone, so the window's maximum is found first and bias and ReLU applied once (which of
    equal values wins cannot change the result: ReLU turns -0.0 into 0.0); a plane with a
    window whose sum with the bias is NaN (a NaN, inf - inf, a NaN bias) is redone by that
    kernel's own plane helper. Not writing argmax and not tracking it made LeNet's two pools
    2x faster (38.6 -> 19.8 us and 30.9 -> 14.9 us at batch 32)."""
    N, C = out.shape[0], out.shape[1]
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        _bias_relu_pool_plane_values(out[n, c], x[n, c], b[c], has_bias)


@njit
def _bias_relu_pool_plane_values(yp, xp, bc, has_bias):
    """One (n, c) plane of :func:`bias_relu_max_pool2d_2x2_values`. A plane with a NaN window
    sum is redone whole by the argmax kernel's own plane helper (same rules by construction)."""
    OH, OW = yp.shape
    zero = yp.dtype.type(0.0)
    shift = bc if has_bias else zero
    bad = False
    for i in range(OH):
        r0 = xp[2 * i]
        r1 = xp[2 * i + 1]
        yrow = yp[i]
        for j in range(OW):
            a = r0[2 * j]
            bb = r0[2 * j + 1]
            cc = r1[2 * j]
            d = r1[2 * j + 1]
            top = a if a >= bb else bb
            low = cc if cc >= d else d
            best = (top if top >= low else low) + shift
            yrow[j] = best if best > 0.0 else zero
            total = a + bb + cc + d + shift
            bad |= total != total
    if bad:
        _bias_relu_pool_plane(yp, np.empty((OH, OW), np.int32), xp, bc, has_bias)


@njit(parallel=True)
def max_pool2d_bwd(dx, dy, argmax, y, positive_only):
    """dx (N,C,H,W) = dy scattered to argmax (overlapping windows add); dx is overwritten.

    With ``positive_only`` a window routes its gradient only if its pooled value y is > 0
    (ReLU's backward fused in, for a pool that follows a ReLU); otherwise y is not read."""
    N, C, H, W = dx.shape
    OH, OW = dy.shape[2], dy.shape[3]
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        dxf = dx[n, c].reshape(H * W)
        dxf[:] = 0.0
        for i in range(OH):
            arow = argmax[n, c, i]
            drow = dy[n, c, i]
            yrow = y[n, c, i]
            for j in range(OW):
                a = arow[j]
                if a >= 0 and (not positive_only or yrow[j] > 0.0):
                    dxf[a] += drow[j]


@njit(parallel=True)
def avg_pool2d_fwd(out, x, KH, KW, sh, sw, pt, pl, count_pad):
    """out (N,C,OH,OW) = window means of x (N,C,H,W) with padding (pt, pl) on top/left.

    The divisor is KH*KW when ``count_pad`` (padded cells count as zeros), else the number of
    cells of the window inside the input. out is overwritten."""
    N, C, OH, OW = out.shape
    H, W = x.shape[2], x.shape[3]
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        xc = x[n, c]
        for i in range(OH):
            h0 = i * sh - pt
            h_lo, h_hi = max(h0, 0), min(h0 + KH, H)
            for j in range(OW):
                w0 = j * sw - pl
                w_lo, w_hi = max(w0, 0), min(w0 + KW, W)
                acc = 0.0
                for ih in range(h_lo, h_hi):
                    for iw in range(w_lo, w_hi):
                        acc += xc[ih, iw]
                count = KH * KW if count_pad else (h_hi - h_lo) * (w_hi - w_lo)
                out[n, c, i, j] = acc / count if count > 0 else 0.0


@njit(parallel=True)
def avg_pool2d_bwd(dx, dy, KH, KW, sh, sw, pt, pl, count_pad):
    """dx (N,C,H,W): each dy spread evenly over its window's cells inside the input
    (overlapping windows add), with ``avg_pool2d_fwd``'s divisor. dx is overwritten."""
    N, C, H, W = dx.shape
    OH, OW = dy.shape[2], dy.shape[3]
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        dxc = dx[n, c]
        dxc[:, :] = 0.0
        for i in range(OH):
            h0 = i * sh - pt
            h_lo, h_hi = max(h0, 0), min(h0 + KH, H)
            for j in range(OW):
                w0 = j * sw - pl
                w_lo, w_hi = max(w0, 0), min(w0 + KW, W)
                count = KH * KW if count_pad else (h_hi - h_lo) * (w_hi - w_lo)
                if count == 0:
                    continue
                g = dy[n, c, i, j] / count
                for ih in range(h_lo, h_hi):
                    for iw in range(w_lo, w_hi):
                        dxc[ih, iw] += g


@njit
def adaptive_bin(i, size, out_size):
    """[start, end) of output cell i when ``size`` cells are pooled into ``out_size``:
    start = floor(i * size / out_size), end = ceil((i + 1) * size / out_size)."""
    return (i * size) // out_size, -((-(i + 1) * size) // out_size)


@njit(parallel=True)
def adaptive_avg_pool2d_fwd(out, x):
    """out (N,C,OH,OW) = the mean of each adaptive bin of x (N,C,H,W); out is overwritten."""
    N, C, OH, OW = out.shape
    H, W = x.shape[2], x.shape[3]
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        xc = x[n, c]
        for i in range(OH):
            h0, h1 = adaptive_bin(i, H, OH)
            for j in range(OW):
                w0, w1 = adaptive_bin(j, W, OW)
                acc = 0.0
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        acc += xc[ih, iw]
                out[n, c, i, j] = acc / ((h1 - h0) * (w1 - w0))


@njit(parallel=True)
def adaptive_avg_pool2d_bwd(dx, dy):
    """dx (N,C,H,W): each dy spread evenly over its bin (overlapping bins add); overwritten."""
    N, C, H, W = dx.shape
    OH, OW = dy.shape[2], dy.shape[3]
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        dxc = dx[n, c]
        dxc[:, :] = 0.0
        for i in range(OH):
            h0, h1 = adaptive_bin(i, H, OH)
            for j in range(OW):
                w0, w1 = adaptive_bin(j, W, OW)
                g = dy[n, c, i, j] / ((h1 - h0) * (w1 - w0))
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        dxc[ih, iw] += g


@njit(parallel=True)
def adaptive_max_pool2d_fwd(out, argmax, x):
    """out, argmax (N,C,OH,OW): the maximum of each adaptive bin of x (N,C,H,W) and its flat
    index ih*W + iw; first maximum wins ties, a NaN wins (as ``max_pool2d_fwd``). The
    backward is ``max_pool2d_bwd``."""
    N, C, OH, OW = out.shape
    H, W = x.shape[2], x.shape[3]
    for nc in prange(N * C):
        n = nc // C
        c = nc % C
        xc = x[n, c]
        for i in range(OH):
            h0, h1 = adaptive_bin(i, H, OH)
            for j in range(OW):
                w0, w1 = adaptive_bin(j, W, OW)
                best = xc[h0, w0]
                arg = h0 * W + w0
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        v = xc[ih, iw]
                        if (v > best or v != v) and best == best:
                            best = v
                            arg = ih * W + iw
                out[n, c, i, j] = best
                argmax[n, c, i, j] = arg
