"""Fused kernels for replayed plans (``ms.jit``): bias + ReLU + 2x2 max pooling in one pass.

A plan's convolutions run the same kernels as PyNative (:mod:`.conv_flat`, with the workspace
allocated once per plan), so GRAPH_MODE compiles only what it fuses.
"""
from ._jit import njit, prange
from .pool import _max4


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
