"""Direct stride-1 2-D convolution kernels (cross-correlation, NCHW) on an already padded input.

Index convention shared by all kernels:
``y[n, o, i, j] = sum_{c,p,q} w[o, c, p, q] * xp[n, g*Cg + c, i + p*dh, j + q*dw]``
with ``g = o // (O/group)``.

The loops are the flat kernels of :mod:`.conv_flat` (see there for the speed notes); these entry
points build their :class:`.conv_flat.Geometry` and scratch. Strided convolutions take the
im2col + GEMM path in :mod:`minispore.ops._conv_ops` (row kernels of their own cost 6.6 s of
compile on a cold start for a few layers per model). :func:`dense_fwd` is a dense layer's
product through the weight-gradient kernel.
"""
import numpy as np

from ._jit import PARALLEL
from ._threads import get_num_threads
from .conv_flat import conv2d_bwd_input_flat, conv2d_bwd_weight_flat, conv2d_fwd_flat, geometry


def conv2d_fwd_direct(out, xp, w, dh, dw, group, empty=np.empty):
    """out (N,O,OH,OW) = stride-1 conv(xp (N,C,Hp,Wp), w (O,C/group,KH,KW)); out is
    overwritten. ``empty(shape, dtype)`` allocates the kernels' scratch (a buffer pool, say)."""
    g = _geometry(xp, w, out.shape, dh, dw, group)
    conv2d_fwd_flat(out, xp, g.weights(w, empty), g.offs, group,
                    g.fwd_scratch(out.shape[0], out.dtype, empty))


def conv2d_bwd_input_direct(dxp, dy, w, dh, dw, group, empty=np.empty):
    """dxp (N,C,Hp,Wp) = d conv / d xp contracted with dy; dxp is overwritten."""
    g = _geometry(dxp, w, dy.shape, dh, dw, group)
    conv2d_bwd_input_flat(dxp, dy, g.weights(w, empty), g.offs, group, g.KK,
                          g.bwd_input_scratch(dy.shape[0], dy.dtype, empty))


def conv2d_bwd_weight_direct(dwt, dy, xp, dh, dw, group, empty=np.empty):
    """dwt (O,C/group,KH,KW) = sum over n,i,j of dy * xp patch; dwt is overwritten."""
    g = _geometry(xp, dwt, dy.shape, dh, dw, group)
    conv2d_bwd_weight_flat(dwt, dy, xp, g.offs, group, g.splits,
                           *g.bwd_weight_scratch(dy.dtype, empty))


def dense_fwd(out, x, w, empty=np.empty):
    """out (M, N) = x (M, K) @ w (N, K).T with C-contiguous x and w; out is overwritten.

    A dense layer is the weight gradient of a 1x1 convolution over one sample: K positions in
    a row, x's M rows as its output gradient, w's N rows as its input planes. So the weight
    gradient's kernel (4 rows of x against 4 rows of w, 16 dot products sharing their loads,
    on numba's threads) computes the product, with no kernel of its own to compile on a
    cold start. Each dot product is summed in x's dtype in a fixed order, whatever the thread
    count (its float64 total of one sample's sum is exact)."""
    conv2d_bwd_weight_flat(*dense_operands(out, x, w, empty))


def dense_operands(out, x, w, empty=np.empty):
    """The arguments of :func:`.conv_flat.conv2d_bwd_weight_flat` that compute
    :func:`dense_fwd` (views of out, x and w, scratch from ``empty``): a plan builds them once."""
    M, K = x.shape
    N = w.shape[0]
    dwt, dy, xp = out.reshape(M, N, 1, 1), x.reshape(1, M, 1, K), w.reshape(1, N, 1, K)
    g = _geometry(xp, dwt, dy.shape, 1, 1, 1)
    return (dwt, dy, xp, g.offs, 1, g.splits) + g.bwd_weight_scratch(x.dtype, empty)


def _geometry(x, w, out_shape, dh, dw, group):
    return flat_geometry(x.shape, w.shape, out_shape, (dh, dw), group)


def flat_geometry(x_shape, w_shape, out_shape, dilation, group):
    """The cached :class:`.conv_flat.Geometry` for this convolution at minispore's thread cap
    (its weight-gradient work split depends on the cap, never on the thread count of a call)."""
    return geometry(x_shape, w_shape, out_shape, dilation, group,
                    get_num_threads() if PARALLEL else 1)
