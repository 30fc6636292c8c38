"""Stride-1 direct convolution on flat planes: forward, input gradient, weight gradient.

With stride 1 an input plane is one flat row: output ``(i, j)`` lives at ``i*W + j`` and tap
``t = (c, p, q)`` of a sample is the contiguous slice starting at ``c*H*W + p*dh*W + q*dw``,
so every tap is one multiply-add over ``L = (OH-1)*W + OW`` elements (the ``W - OW`` gap
columns are computed and dropped). Index convention as in :mod:`.conv`.

Why the loops look the way they do (numba 0.68 / LLVM, AVX-512 host, measured in
``benchmarks/kernels.py`` and whole LeNet steps):

* Each vectorised loop reads through slices indexed by the loop variable only; ``x[k + off]``
  with a runtime ``off`` makes numba emit a negative-index select that stops vectorisation.
* One loop over ``L`` does several taps and channels at once (forward: 4 taps x 4 output
  channels, 16 multiply-adds per 4 input loads and 4 accumulator load/stores; input gradient:
  4 output channels x 2 input channels; weight gradient: 4 taps x 4 channels of dot products).
  One tap per pass was load/store bound: 3x slower forward, 2-3x slower weight gradient.
* Work is split by sample (forward, input gradient) or by (block of 4 output channels, run of taps)
  for the weight gradient, so iterations write disjoint memory and every sum runs in a fixed
  order: results do not depend on the thread count.
* Output channels are padded to blocks of 4 with zero weight rows (:func:`weights_by_4`), so
  each kernel has one loop shape: fewer loop variants cut the cold compile (the first LeNet
  step compiles every kernel) and padded rows are never stored.
* Helpers are called once per sample or channel block, never per tap: a helper called per tap
  (building slices for it each time) made the input gradient 2x slower.
* ``contract`` lets LLVM fuse multiply and add (one rounding); sums keep their order. A helper
  inlined at numba's level (``inline="always"``) is compiled with its caller's flags, so the
  caller must carry ``contract`` too (without it the forward rounded differently).
* Compile time is part of the design (a cold first step compiles every kernel it meets): each
  parallel loop hands a work item to one serial helper, with the small helpers inlined into it
  (measured: inlining the per-sample helper into the parallel loop, or adding a helper layer,
  compiled slower). Scratch arrays come from the caller (:class:`Geometry`: a buffer pool in
  PyNative, allocated once in a plan), and the same three kernels serve both.
"""
import numpy as np

from ._jit import njit, prange

TAPS = 4  # taps per pass over L


def tap_offsets(Cg, KH, KW, H, W, dh, dw):
    """Start of tap ``(c, p, q)`` (flat index ``(c*KH + p)*KW + q``) in a group's flat planes.
    (numpy, not numba: a few microseconds per call, against 0.1 s of compile on a cold start.)"""
    c = np.arange(Cg, dtype=np.int64).reshape(-1, 1, 1) * (H * W)
    p = np.arange(KH, dtype=np.int64).reshape(1, -1, 1) * (dh * W)
    q = np.arange(KW, dtype=np.int64).reshape(1, 1, -1) * dw
    return (c + p + q).reshape(-1)


def weights_by_4(out, w, group):
    """out (group * Og4, Cg*KH*KW) <- w (O, Cg, KH, KW) as rows, each group's output channels
    padded with zero rows to Og4, a multiple of 4, so every kernel pass handles 4 channels.
    The padded rows' results are never stored (and zero dy rows make them add nothing), so
    an inf in the input cannot turn 0 * inf into a NaN anywhere visible. (numpy, not numba:
    one copy per group, against 0.3 s of compile on a cold start.)"""
    O = w.shape[0]
    Og = O // group
    Og4 = out.shape[0] // group
    rows = out.reshape(group, Og4, -1)
    rows[:, :Og] = w.reshape(group, Og, -1)
    rows[:, Og:] = 0.0


@njit(contract=True, inline="always")
def _taps_into4(acc, xg, wt, o, offs, L):
    """acc[i] += sum over taps t of wt[o + i, t] * xg[offs[t]:offs[t]+L] for i < 4: each input
    load feeds 4 channels (1.7x faster than 2 at LeNet's conv2, same sums in the same order)."""
    T = offs.shape[0]
    a, e, f, h = acc[0], acc[1], acc[2], acc[3]
    t = 0
    while t + TAPS <= T:
        b0 = xg[offs[t]:offs[t] + L]
        b1 = xg[offs[t + 1]:offs[t + 1] + L]
        b2 = xg[offs[t + 2]:offs[t + 2] + L]
        b3 = xg[offs[t + 3]:offs[t + 3] + L]
        w0, w1, w2, w3 = wt[o, t], wt[o, t + 1], wt[o, t + 2], wt[o, t + 3]
        v0, v1, v2, v3 = wt[o + 1, t], wt[o + 1, t + 1], wt[o + 1, t + 2], wt[o + 1, t + 3]
        y0, y1, y2, y3 = wt[o + 2, t], wt[o + 2, t + 1], wt[o + 2, t + 2], wt[o + 2, t + 3]
        z0, z1, z2, z3 = wt[o + 3, t], wt[o + 3, t + 1], wt[o + 3, t + 2], wt[o + 3, t + 3]
        for k in range(L):
            x0, x1, x2, x3 = b0[k], b1[k], b2[k], b3[k]
            a[k] += w0 * x0 + w1 * x1 + w2 * x2 + w3 * x3
            e[k] += v0 * x0 + v1 * x1 + v2 * x2 + v3 * x3
            f[k] += y0 * x0 + y1 * x1 + y2 * x2 + y3 * x3
            h[k] += z0 * x0 + z1 * x1 + z2 * x2 + z3 * x3
        t += TAPS
    while t < T:
        b0 = xg[offs[t]:offs[t] + L]
        w0, v0, y0, z0 = wt[o, t], wt[o + 1, t], wt[o + 2, t], wt[o + 3, t]
        for k in range(L):
            x0 = b0[k]
            a[k] += w0 * x0
            e[k] += v0 * x0
            f[k] += y0 * x0
            h[k] += z0 * x0
        t += 1


@njit
def _spread(dst, src, W):
    """dst (L,) with row pitch W <- src (OH, OW); the gap columns are left as they are."""
    OH, OW = src.shape
    for r in range(OH):
        d = dst[r * W:r * W + OW]
        s = src[r]
        for j in range(OW):
            d[j] = s[j]


@njit(inline="always")
def _gather(dst, src, W):
    """dst (OH, OW) <- src (L,) with row pitch W."""
    OH, OW = dst.shape
    for r in range(OH):
        d = dst[r]
        s = src[r * W:r * W + OW]
        for j in range(OW):
            d[j] = s[j]


@njit(contract=True)  # as _taps_into4, inlined here: the flags are the caller's
def _fwd_sample(outn, xn, w4, offs, group, W, acc):
    """One sample: outn (O,OH,OW) from its flat padded planes xn (row pitch W); w4 from
    :func:`weights_by_4`; acc is (4, L) scratch."""
    Og = outn.shape[0] // group
    Og4 = w4.shape[0] // group
    L = acc.shape[1]
    G = xn.shape[0] // group
    for g in range(group):
        xg = xn[g * G:(g + 1) * G]
        for o4 in range(0, Og4, 4):
            acc[:] = 0.0
            _taps_into4(acc, xg, w4, g * Og4 + o4, offs, L)
            for i in range(min(4, Og - o4)):
                _gather(outn[g * Og + o4 + i], acc[i], W)


@njit(parallel=True)
def conv2d_fwd_flat(out, xp, w4, offs, group, acc):
    """out (N,O,OH,OW) = stride-1 conv of the padded xp (N,C,H,W); overwritten. ``w4`` from
    :func:`weights_by_4`, ``offs`` from :func:`tap_offsets`, ``acc`` (N, 4, L) scratch.

    The parallel loop only hands samples to :func:`_fwd_sample` (numba compiles a parallel
    loop's body much more slowly than a plain function: keeps the cold first step short)."""
    N = out.shape[0]
    C, H, W = xp.shape[1], xp.shape[2], xp.shape[3]
    for n in prange(N):
        _fwd_sample(out[n], xp[n].reshape(C * H * W), w4, offs, group, W, acc[n])


@njit(contract=True)
def _bwd_input_sample(dxn, dyn, W, dyw, w4, offs, group, KK, L):
    """One sample: dxn (flat padded input planes of row pitch W) from dyn (O, OH, OW), which is
    first spread into the scratch dyw (group*Og4, L) at the input's row pitch, with zero rows
    for the padding channels of ``w4`` and zero gap columns.

    Per kernel tap, two input channels are updated in one pass (their slices never overlap),
    each from 4 output channels' dy rows: 4 dy loads feed 8 multiply-adds (1.35x faster than
    one input channel per pass at LeNet's conv2)."""
    Og4 = w4.shape[0] // group
    Og = dyn.shape[0] // group
    Cg = offs.shape[0] // KK
    G = dxn.shape[0] // group
    dyw[:, :] = 0.0
    for g in range(group):
        for i in range(Og):
            _spread(dyw[g * Og4 + i], dyn[g * Og + i], W)
    dxn[:] = 0.0
    for g in range(group):
        dxg = dxn[g * G:(g + 1) * G]
        for c in range(0, Cg, 2):
            two = c + 1 < Cg
            for pq in range(KK):
                t = c * KK + pq
                u = t + KK if two else t
                d = dxg[offs[t]:offs[t] + L]
                f = dxg[offs[u]:offs[u] + L]
                for o in range(g * Og4, (g + 1) * Og4, 4):
                    a0, a1, a2, a3 = dyw[o], dyw[o + 1], dyw[o + 2], dyw[o + 3]
                    w0, w1, w2, w3 = w4[o, t], w4[o + 1, t], w4[o + 2, t], w4[o + 3, t]
                    if two:
                        v0, v1, v2, v3 = w4[o, u], w4[o + 1, u], w4[o + 2, u], w4[o + 3, u]
                        for k in range(L):
                            y0, y1, y2, y3 = a0[k], a1[k], a2[k], a3[k]
                            d[k] += w0 * y0 + w1 * y1 + w2 * y2 + w3 * y3
                            f[k] += v0 * y0 + v1 * y1 + v2 * y2 + v3 * y3
                    else:
                        for k in range(L):
                            d[k] += w0 * a0[k] + w1 * a1[k] + w2 * a2[k] + w3 * a3[k]


@njit(parallel=True)
def conv2d_bwd_input_flat(dxp, dy, w4, offs, group, KK, dyw):
    """dxp (N,C,H,W) = gradient of the stride-1 conv wrt its padded input; overwritten.
    ``dyw`` (N, group*Og4, L) is scratch (zeroed here: the padding channels' rows and the
    gap columns between output rows must add nothing)."""
    N = dy.shape[0]
    C, H, W = dxp.shape[1], dxp.shape[2], dxp.shape[3]
    L = dyw.shape[2]
    for n in prange(N):
        _bwd_input_sample(dxp[n].reshape(C * H * W), dy[n], W, dyw[n], w4, offs, group, KK, L)


@njit(parallel=True, reduction=True)
def conv2d_bwd_weight_flat(dwt, dy, xp, offs, group, splits, acc, dd):
    """dwt (O,C/group,KH,KW) = sum over n, i, j of dy * the stride-1 input patch; overwritten.
    ``acc`` (items, 4, T) float64 and ``dd`` (items, 4, L) are scratch, items =
    group * ceil(Og/4) * splits (:func:`workspace`).

    Work item = (block of 4 output channels, one of ``splits`` runs of taps); within an item
    the samples go in order and, per sample, 4 taps x 4 channels = 16 dot products share their
    loads while that sample's planes stay in L1 (a block short of 4 channels runs with zero dy
    rows). Each per-sample dot product is summed in the kernel's dtype (vectorised) and the
    per-sample sums are added in float64, in sample order, so ``splits`` never changes the
    result."""
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


class Geometry:
    """What the three stride-1 kernels need to know of one convolution besides its arrays:
    tap offsets, the padded channel count Og4, patch length T, flat length L, and the
    weight gradient's runs of taps (``splits``: >= 2 work items per thread) and work items.
    Built once per shape (:func:`geometry`); ``offs`` is shared, never written."""

    __slots__ = ("offs", "Og", "Og4", "T", "L", "KK", "splits", "items", "group")

    def __init__(self, x_shape, w_shape, out_shape, dilation, group, threads):
        _, O, OH, OW = out_shape
        _, Cg, KH, KW = w_shape
        H, W = x_shape[2], x_shape[3]
        self.group, self.KK = group, KH * KW
        self.L = (OH - 1) * W + OW
        self.Og = O // group
        self.Og4 = (self.Og + 3) // 4 * 4
        self.T = Cg * KH * KW
        blocks = group * (self.Og4 // 4)
        self.splits = max(1, min(-(-2 * threads // blocks), (self.T + TAPS - 1) // TAPS))
        self.items = blocks * self.splits
        self.offs = tap_offsets(Cg, KH, KW, H, W, dilation[0], dilation[1])

    def weights(self, w, empty):
        """w as the kernels' (group * Og4, T) rows: a view when no padding rows are needed,
        else a copy into ``empty``'s array (:func:`weights_by_4`)."""
        if self.Og4 == self.Og and w.flags.c_contiguous:
            return w.reshape(self.group * self.Og4, self.T)
        w4 = empty((self.group * self.Og4, self.T), w.dtype)
        weights_by_4(w4, w, self.group)
        return w4

    def fwd_scratch(self, N, dtype, empty):
        return empty((N, 4, self.L), dtype)

    def bwd_input_scratch(self, N, dtype, empty):
        return empty((N, self.group * self.Og4, self.L), dtype)

    def bwd_weight_scratch(self, dtype, empty):
        return empty((self.items, 4, self.T), np.float64), empty((self.items, 4, self.L), dtype)


_geometries = {}


def geometry(x_shape, w_shape, out_shape, dilation, group, threads):
    """The :class:`Geometry` of a convolution, cached by shape (a few shapes per model)."""
    key = (x_shape[1:], w_shape, out_shape[1:], dilation, group, threads)
    found = _geometries.get(key)
    if found is None:
        if len(_geometries) > 1024:
            _geometries.clear()
        found = _geometries[key] = Geometry(x_shape, w_shape, out_shape, dilation, group,
                                            threads)
    return found


@njit(reduction=True)
def _dots4(acc, d, xg, offs, t_begin, t_end, L):
    """acc[i, t] += dot(d[i], xg[offs[t]:offs[t]+L]) for the 4 rows of d and t in the run."""
    d0, d1, d2, d3 = d[0], d[1], d[2], d[3]
    zero = d.dtype.type(0.0)
    t = t_begin
    while t + TAPS <= t_end:
        b0 = xg[offs[t]:offs[t] + L]
        b1 = xg[offs[t + 1]:offs[t + 1] + L]
        b2 = xg[offs[t + 2]:offs[t + 2] + L]
        b3 = xg[offs[t + 3]:offs[t + 3] + L]
        s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = zero
        s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = zero
        for k in range(L):
            x0, x1, x2, x3 = b0[k], b1[k], b2[k], b3[k]
            a = d0[k]
            s00 += a * x0
            s01 += a * x1
            s02 += a * x2
            s03 += a * x3
            a = d1[k]
            s10 += a * x0
            s11 += a * x1
            s12 += a * x2
            s13 += a * x3
            a = d2[k]
            s20 += a * x0
            s21 += a * x1
            s22 += a * x2
            s23 += a * x3
            a = d3[k]
            s30 += a * x0
            s31 += a * x1
            s32 += a * x2
            s33 += a * x3
        acc[0, t] += s00
        acc[0, t + 1] += s01
        acc[0, t + 2] += s02
        acc[0, t + 3] += s03
        acc[1, t] += s10
        acc[1, t + 1] += s11
        acc[1, t + 2] += s12
        acc[1, t + 3] += s13
        acc[2, t] += s20
        acc[2, t + 1] += s21
        acc[2, t + 2] += s22
        acc[2, t + 3] += s23
        acc[3, t] += s30
        acc[3, t + 1] += s31
        acc[3, t + 2] += s32
        acc[3, t + 3] += s33
        t += TAPS
    while t < t_end:
        b0 = xg[offs[t]:offs[t] + L]
        s00 = s10 = s20 = s30 = zero
        for k in range(L):
            x0 = b0[k]
            s00 += d0[k] * x0
            s10 += d1[k] * x0
            s20 += d2[k] * x0
            s30 += d3[k] * x0
        acc[0, t] += s00
        acc[1, t] += s10
        acc[2, t] += s20
        acc[3, t] += s30
        t += 1
