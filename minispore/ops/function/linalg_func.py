"""Matrix products: ``matmul`` (numpy's broadcasting rules), ``bmm``, ``mm`` and the 1.x
``MatMul`` / ``BatchMatMul`` classes. Products run through :mod:`minispore.ops._blas` (BLAS on
one thread)."""
import numpy as np

from .._blas import matmul as _matmul
from .._function import Primitive
from ..._checkparam import Problems, as_tensor
from .math_func import _Binary, _binary_inputs

__all__ = ["bmm", "mm", "TENSOR_METHODS"]


class MatMul(_Binary):
    """Matrix product with numpy's broadcasting rules (1-D operands as vectors)."""
    name = "matmul"
    primitives = {"MatMul": Primitive(
        {"transpose_a": False, "transpose_b": False},
        call=lambda fn, p, a, b: fn(a.T if p.transpose_a else a, b.T if p.transpose_b else b))}

    @classmethod
    def check(cls, input, other):  # noqa: A002
        return _binary_inputs("matmul", input, other, broadcast=False), {}

    def forward(self, a, b):
        self.a, self.b = a, b
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"For 'matmul', the operands must be at least 1-D, but got shapes "
                             f"{a.shape} and {b.shape}.")
        try:
            return _matmul(a, b)
        except ValueError:
            raise ValueError(f"For 'matmul', the shapes {a.shape} and {b.shape} do not match "
                             f"(the last axis of the first must equal the second-to-last of the "
                             f"second).") from None

    def backward(self, dy):
        a, b = self.a, self.b
        da = db = None
        if self.needs[0]:
            if a.ndim == 1 and b.ndim == 1:
                da = dy * b
            elif b.ndim == 1:
                da = np.multiply.outer(dy, b)
            elif a.ndim == 1:
                da = _matmul(b, dy[..., None])[..., 0] if dy.ndim else b @ dy
            else:
                da = _matmul(dy, np.swapaxes(b, -1, -2))
        if self.needs[1]:
            if a.ndim == 1 and b.ndim == 1:
                db = dy * a
            elif a.ndim == 1:
                db = np.multiply.outer(a, dy)
            elif b.ndim == 1:
                db = np.einsum("...i,...->i", a, dy)
            else:
                db = _matmul(np.swapaxes(a, -1, -2), dy)
        return da, db


def bmm(input_x, mat2):
    """Batched matrix product of (..., n, m) and (..., m, p) Tensors of at least 3 dimensions."""
    problems = Problems("bmm")
    x = as_tensor("bmm", "input_x", input_x, problems)
    y = as_tensor("bmm", "mat2", mat2, problems)
    problems.raise_if_any()
    if x.ndim < 3 or y.ndim < 3 or x.shape[-1] != y.shape[-2]:
        raise ValueError(f"For 'bmm', 'input_x' and 'mat2' must be at least 3-D with "
                         f"input_x.shape[-1] == mat2.shape[-2], but got shapes "
                         f"{tuple(x.shape)} and {tuple(y.shape)}.")
    return MatMul.call(x, y)


def _last_two_swapped(x):
    from .array_func import Swapaxes  # noqa: PLC0415
    return Swapaxes.call(x, -1, -2)


class BatchMatMul(_Binary):
    """Batched matrix product (..., n, m) @ (..., m, p) with broadcast batch axes; 1.x class
    ``BatchMatMul(transpose_a=False, transpose_b=False)``."""
    name = "batch_matmul"
    primitives = {"BatchMatMul": Primitive(
        {"transpose_a": False, "transpose_b": False},
        call=lambda fn, p, a, b: fn(_last_two_swapped(a) if p.transpose_a else a,
                                    _last_two_swapped(b) if p.transpose_b else b))}

    @classmethod
    def check(cls, input, other):  # noqa: A002
        return (input, other), {}

    @classmethod
    def call(cls, input, other):  # noqa: A002
        return MatMul.call(input, other)


def mm(input, mat2):  # noqa: A002
    """2-D matrix product (n, m) @ (m, p)."""
    x, y = as_tensor("mm", "input", input), as_tensor("mm", "mat2", mat2)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[0]:
        raise ValueError(f"For 'mm', 'input' (n, m) and 'mat2' (m, p) must be 2-D and match, "
                         f"but got shapes {tuple(x.shape)} and {tuple(y.shape)}.")
    return MatMul.call(x, y)


# Tensor methods that are compositions (installed by ``minispore.ops``).
TENSOR_METHODS = {
    "matmul": lambda self, other: MatMul.call(self, other),
}
