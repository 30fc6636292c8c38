"""Statistics over axes built on the array family's reductions: norms, log-sum-exp, product,
extremes, variance and standard deviation."""
import numpy as np

from .._function import Function, Primitive
from ..._checkparam import as_tensor
from .comparison_func import NotEqual
from .math_func import Abs, Cast, Exp, Log, Mul, Pow, Sqrt, Sub

__all__ = ["norm", "logsumexp", "amax", "amin", "std", "var", "TENSOR_METHODS"]


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002,N803
    """Vector norm of ``A`` over ``dim`` (all elements when None): ord None/'fro'/2 is the
    Euclidean norm, inf/-inf the max/min of |A|, 0 the count of non-zeros, p the p-norm.
    Matrix norms (a 2-tuple ``dim`` with ord 'nuc', +-1, +-2, +-inf) are not supported."""
    from .array_func import ReduceMax, ReduceMin, ReduceSum  # noqa: PLC0415
    x = as_tensor("norm", "A", A)
    if dtype is not None:
        x = Cast.call(x, dtype)
    if x._data.dtype.kind != "f":
        raise TypeError(f"For 'norm', 'A' must be a float Tensor, but got {x.dtype}.")
    matrix = isinstance(dim, (tuple, list)) and len(dim) == 2
    if ord == "nuc" or (matrix and ord not in (None, "fro")):
        raise ValueError(f"For 'norm', the matrix norm ord={ord!r} is not supported by "
                         f"minispore (only 'fro' and vector norms).")
    if ord == "fro" and not (matrix or dim is None):
        raise ValueError("For 'norm', ord='fro' needs dim=None or a 2-tuple of dims.")
    axis = None if dim is None else dim
    if ord in (None, "fro", 2):
        return Sqrt.call(ReduceSum.call(Mul.call(x, x), axis, keepdim))
    if ord == float("inf"):
        return ReduceMax.call(Abs.call(x), axis, keepdim)
    if ord == float("-inf"):
        return ReduceMin.call(Abs.call(x), axis, keepdim)
    if ord == 0:
        return ReduceSum.call(Cast.call(NotEqual.call(x, 0), x.dtype), axis, keepdim)
    if isinstance(ord, (int, float)) and not isinstance(ord, bool):
        s = ReduceSum.call(Pow.call(Abs.call(x), float(ord)), axis, keepdim)
        return Pow.call(s, 1.0 / ord)
    raise ValueError(f"For 'norm', 'ord' must be None, 'fro', a number or +-inf, but got "
                     f"{ord!r}.")


def _reductions():
    from . import array_func as A  # noqa: PLC0415
    return A


def logsumexp(input, axis, keep_dims=False):  # noqa: A002
    """log(sum(exp(input))) over ``axis``, computed stably."""
    A = _reductions()
    x = as_tensor("logsumexp", "input", input)
    m = stop = A.stop_gradient(A.ReduceMax.call(x, axis, True))
    out = Log.call(A.ReduceSum.call(Exp.call(Sub.call(x, stop)), axis, True)) + m
    return out if keep_dims else A.Squeeze.call(out, axis)


class Prod(Function):
    """Product over ``axis`` (all axes when None or ()); the gradient is the product of the
    other elements (exact with zeros too)."""
    name, primitives = "prod", {"ReduceProd": Primitive(
        {"keep_dims": False}, call=lambda fn, p, x, axis=(): fn(x, axis, p.keep_dims))}
    tensor_methods = ("prod",)

    @classmethod
    def check(cls, input, axis=None, keep_dims=False):  # noqa: A002
        from .array_func import _axis  # noqa: PLC0415
        x = as_tensor("prod", "input", input)
        return (x,), {"axis": _axis("prod", axis, x.ndim), "keepdims": bool(keep_dims)}

    def forward(self, a, axis, keepdims):
        self.a, self.axis, self.keepdims = a, axis, keepdims
        return np.ascontiguousarray(np.prod(a, axis=axis, keepdims=keepdims))

    def backward(self, dy):
        a, axis = self.a, self.axis
        zero = a == 0
        others = np.prod(np.where(zero, 1, a), axis=axis, keepdims=True)
        zeros = zero.sum(axis=axis, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(zeros == 0, others / np.where(zero, 1, a),
                         np.where((zeros == 1) & zero, others, 0))
        if not self.keepdims and axis is not None:
            dy = np.expand_dims(dy, axis)
        return ((g * dy).astype(a.dtype, copy=False),)


def amax(input, axis=None, keepdims=False):  # noqa: A002
    """Maximum over ``axis`` (all axes when None); the gradient is shared among ties."""
    return _reductions().ReduceMax.call(input, axis, keepdims)


def amin(input, axis=None, keepdims=False):  # noqa: A002
    """Minimum over ``axis`` (all axes when None); the gradient is shared among ties."""
    return _reductions().ReduceMin.call(input, axis, keepdims)


def var(input, axis=None, ddof=0, keepdims=False):  # noqa: A002
    """Variance over ``axis`` with ``ddof`` delta degrees of freedom (0: population)."""
    A = _reductions()
    x = as_tensor("var", "input", input)
    axes = A._axis("var", axis, x.ndim)
    n = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
    if n - ddof <= 0:
        raise ValueError(f"For 'var', ddof {ddof} leaves no degrees of freedom for {n} "
                         f"elements.")
    d = Sub.call(x, A.ReduceMean.call(x, axis, True))
    return A.ReduceSum.call(Mul.call(d, d), axis, keepdims) / float(n - ddof)


def std(input, axis=None, ddof=0, keepdims=False):  # noqa: A002
    """Standard deviation over ``axis`` with ``ddof`` delta degrees of freedom."""
    return Sqrt.call(var(input, axis, ddof, keepdims))


# Tensor methods that are compositions (installed by ``minispore.ops``).
TENSOR_METHODS = {
    "norm": lambda self, ord=None, dim=None, keepdim=False: norm(self, ord, dim, keepdim),
    "std": lambda self, axis=None, ddof=0, keepdims=False: std(self, axis, ddof, keepdims),
    "var": lambda self, axis=None, ddof=0, keepdims=False: var(self, axis, ddof, keepdims),
    "logsumexp": lambda self, axis, keepdims=False: logsumexp(self, axis, keepdims),
}
