"""The dense layer's forward product, one rule for PyNative and plans (same values in both).

``x @ w.T`` runs on numba's threads (:func:`minispore.kernels.conv.dense_fwd`, the convolution
weight gradient's kernel) when the product is large enough for that to pay, and through numpy's
BLAS on one thread (:mod:`._blas`) otherwise. The choice depends on shapes and dtype only, never
on memory layout or history, so PyNative and GRAPH_MODE give the same bits.

Measured at batch 32 on the 2-core host (us, numba kernel on two threads / BLAS on one):
LeNet's fc1 (32, 400) x (400, 120): 27 / 58; fc2 (120 -> 84): 24 / 15; fc3 (84 -> 10):
8.5 / 3.8; (32, 2048) x (2048, 1000): 1566 / 2491. Below ~1M multiply-adds BLAS wins, and a
weight beyond 4 MB (float32) would be streamed once per 4 rows of x, where BLAS blocks for
the cache, so those stay with BLAS.
"""
import numpy as np

from ..kernels import lazy
from . import _buffers
from ._blas import matmul

__all__ = ["dense", "DensePlan", "uses_kernel"]

_conv, _flat = lazy("conv"), lazy("conv_flat")
_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
MIN_WORK = 1 << 20  # multiply-adds
MAX_WEIGHT = 1 << 20  # elements of w


def uses_kernel(x_shape, w_shape, dtype, w_dtype):
    """True when ``x @ w.T`` runs on the numba kernel (a function of shapes and dtypes only)."""
    if len(x_shape) != 2 or len(w_shape) != 2 or dtype != w_dtype or dtype not in _KERNEL_DTYPES:
        return False
    (M, K), N = x_shape, w_shape[0]
    return M * N * K >= MIN_WORK and N * K <= MAX_WEIGHT


def _product(x, w, out, empty):
    if uses_kernel(x.shape, w.shape, x.dtype, w.dtype):
        _conv.dense_fwd(out, np.ascontiguousarray(x), np.ascontiguousarray(w), empty)
    else:
        matmul(x, w.T, out=out)


def dense(x, w, b=None):
    """``x @ w.T (+ b)`` as a new array; x (M, K), w (N, K), b (N,) or None."""
    y = np.empty((x.shape[0], w.shape[0]), np.result_type(x, w))
    _product(x, w, y, _buffers.empty)
    if b is not None:
        y += b
    return y


class DensePlan:
    """A plan step: :func:`dense` into the plan's buffer ``y``. The kernel's arguments (views of
    the plan's buffers and the weight, scratch) are built once, so a step allocates nothing;
    the bias is added without a temporary."""

    def __init__(self, x, w, b, y):
        self.x, self.w, self.b, self.y = x, w, b, y
        self.rows = None if b is None else np.empty_like(y)  # b on every row
        self.args = None
        if uses_kernel(x.shape, w.shape, x.dtype, w.dtype) and x.flags.c_contiguous and \
                w.flags.c_contiguous:
            self.args = _conv.dense_operands(y, x, w, np.empty)

    def __call__(self):
        if self.args is not None:
            _flat.conv2d_bwd_weight_flat(*self.args)
        else:
            _product(self.x, self.w, self.y, _buffers.empty)
        if self.rows is not None:
            np.copyto(self.rows, self.b)
            np.add(self.y, self.rows, out=self.y)
