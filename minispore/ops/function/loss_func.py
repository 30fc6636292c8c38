"""Loss functions (``ops.cross_entropy``, ``ops.mse_loss``, ...): MindSpore 2.x's formulas.

Most are compositions of differentiable primitives, so autograd needs nothing more;
``binary_cross_entropy_with_logits`` is one primitive so that its gradient is exact at x = 0
(a composition of |x| and max(-x, 0) would pick one side of each kink there)."""
import numpy as np

from ...common.tensor import Tensor
from .._function import Function
from ..._checkparam import Problems, as_tensor
from .array_func import Reshape, Squeeze
from .reduction_func import ReduceMean, ReduceSum
from .selection_func import Gather, GatherD, Select
from .math_func import Abs, Exp, Log, Mul, Neg, Sub
from .nn_func import LogSoftmax

__all__ = ["cross_entropy", "nll_loss", "binary_cross_entropy_with_logits", "binary_cross_entropy",
           "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div"]


def _reduce(loss, reduction):
    if reduction == "mean":
        return ReduceMean.call(loss)
    if reduction == "sum":
        return ReduceSum.call(loss)
    return loss


def _check_reduction(op, reduction, allowed=("mean", "sum", "none")):
    if reduction not in allowed:
        raise ValueError(f"For '{op}', 'reduction' must be one of {list(allowed)}, but got "
                         f"{reduction!r}.")


def _pair(op, input, target, names=("input", "target")):  # noqa: A002
    """Two float Tensors whose shapes broadcast; the error names the op and both shapes."""
    p = Problems(op)
    x = as_tensor(op, names[0], input, p)
    y = as_tensor(op, names[1], target, p, like=x) if x is not None else None
    p.raise_if_any()
    if x._data.dtype.kind != "f":
        raise TypeError(f"For '{op}', '{names[0]}' must be a float Tensor, but got {x.dtype}.")
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise ValueError(f"For '{op}', the shapes of '{names[0]}' {tuple(x.shape)} and "
                         f"'{names[1]}' {tuple(y.shape)} cannot be broadcast together.") from None
    return x, y


def _class_targets(op, x, target, ignore_index):
    """(targets as a numpy int array with ignored entries set to 0, mask of counted entries)."""
    t = as_tensor(op, "target", target)
    arr = t._data
    class_dim = 0 if x.ndim == 1 else 1
    want = () if x.ndim == 1 else tuple(x.shape[:1]) + tuple(x.shape[2:])
    if arr.dtype.kind not in "iu":
        raise TypeError(f"For '{op}', class-index 'target' must be an integer Tensor, but got "
                        f"{t.dtype} with shape {tuple(arr.shape)}.")
    if arr.shape != want:
        raise ValueError(f"For '{op}', 'target' must have shape {want} for input "
                         f"{tuple(x.shape)} (class axis {class_dim}), but got {tuple(arr.shape)}.")
    n_classes = x.shape[class_dim]
    keep = arr != ignore_index
    bad = keep & ((arr < 0) | (arr >= n_classes))
    if bad.any():
        first = int(arr[bad].reshape(-1)[0])
        raise ValueError(f"For '{op}', target values must be in [0, {n_classes}) or equal "
                         f"ignore_index {ignore_index}, but got {first}.")
    return np.where(keep, arr, 0).astype(np.int64), keep


def _class_weight(op, weight, x, class_dim):
    if weight is None:
        return None
    w = as_tensor(op, "weight", weight)
    if tuple(w.shape) != (x.shape[class_dim],):
        raise ValueError(f"For '{op}', 'weight' must have shape ({x.shape[class_dim]},) (one per "
                         f"class), but got {tuple(w.shape)}.")
    return w


def _along_class(w, x, class_dim):
    """A (C,) tensor shaped to broadcast along ``x``'s class axis."""
    return Reshape.call(w, (-1,) + (1,) * (x.ndim - class_dim - 1))


def nll_loss(inputs, target, weight=None, ignore_index=-100, reduction="mean",
             label_smoothing=0.0):
    """Negative log-likelihood of log-probabilities ``inputs`` (N, C, ...) or (C,) at class
    indices ``target`` (N, ...): l_n = -w[t_n] * inputs[n, t_n], 0 where t_n == ignore_index.
    'mean' divides by the sum of w[t_n] over the counted entries. With ``label_smoothing`` e:
    (1 - e) * l + e / C * (-sum_c w_c * inputs[n, c]) (reduced the same way), as MindSpore."""
    return _nll_loss("nll_loss", inputs, target, weight, ignore_index, reduction,
                     label_smoothing)


def _nll_loss(op, inputs, target, weight, ignore_index, reduction, label_smoothing):
    x = as_tensor(op, "inputs", inputs)
    _check_reduction(op, reduction)
    if x.ndim < 1 or x._data.dtype.kind != "f":
        raise ValueError(f"For '{op}', 'inputs' must be a float Tensor (N, C, ...) or (C,), "
                         f"but got {x.dtype} with shape {tuple(x.shape)}.")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"For '{op}', 'label_smoothing' must be in [0, 1], but got "
                         f"{label_smoothing}.")
    class_dim = 0 if x.ndim == 1 else 1
    t, keep = _class_targets(op, x, target, ignore_index)
    w = _class_weight(op, weight, x, class_dim)
    mask = Tensor._make(keep.astype(x._data.dtype))
    index = Tensor._make(np.expand_dims(t, class_dim))
    weighted = x if w is None else Mul.call(x, _along_class(w, x, class_dim))
    loss = Neg.call(Squeeze.call(GatherD.call(weighted, class_dim, index), class_dim))
    loss = Mul.call(loss, mask)
    counted = mask if w is None else Mul.call(Gather.call(w, Tensor._make(t), 0), mask)
    smooth = None
    if label_smoothing:
        smooth = Mul.call(Neg.call(ReduceSum.call(weighted, class_dim)), mask)
    if reduction == "mean":
        total = ReduceSum.call(counted)
        loss = ReduceSum.call(loss) / total
        smooth = None if smooth is None else ReduceSum.call(smooth) / total
    elif reduction == "sum":
        loss = ReduceSum.call(loss)
        smooth = None if smooth is None else ReduceSum.call(smooth)
    if smooth is None:
        return loss
    return loss * (1.0 - label_smoothing) + smooth * (label_smoothing / x.shape[class_dim])


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",  # noqa: A002
                  label_smoothing=0.0):
    """Cross-entropy of logits ``input`` (N, C, ...) or (C,) against class indices (integer
    ``target`` of shape (N, ...)) or class probabilities (float ``target`` shaped like input).
    Class indices: ``nll_loss(log_softmax(input, 1), ...)``. Probabilities: l_n = -sum_c w_c *
    p'_nc * log_softmax(input)_nc with p' = p * (1 - e) + e / C; 'mean' divides by N (the
    elements per class). ``weight`` (C,) rescales classes; ``ignore_index`` only applies to
    indices."""
    op = "cross_entropy"
    x = as_tensor(op, "input", input)
    _check_reduction(op, reduction)
    if x.ndim < 1 or x._data.dtype.kind != "f":
        raise ValueError(f"For '{op}', 'input' must be a float Tensor (N, C, ...) or (C,), "
                         f"but got {x.dtype} with shape {tuple(x.shape)}.")
    class_dim = 0 if x.ndim == 1 else 1
    logp = LogSoftmax.call(x, class_dim)
    t = as_tensor(op, "target", target)
    if t._data.dtype.kind in "iu":
        return _nll_loss(op, logp, t, weight, ignore_index, reduction, label_smoothing)
    if tuple(t.shape) != tuple(x.shape):
        raise ValueError(f"For '{op}', a probability 'target' must have the input's shape "
                         f"{tuple(x.shape)}, but got {tuple(t.shape)} ({t.dtype}); class indices "
                         f"must be an integer Tensor.")
    n_classes = x.shape[class_dim]
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + label_smoothing / n_classes
    w = _class_weight(op, weight, x, class_dim)
    prod = Mul.call(logp, t)
    if w is not None:
        prod = Mul.call(prod, _along_class(w, x, class_dim))
    loss = Neg.call(ReduceSum.call(prod, class_dim))
    if reduction == "mean":
        return ReduceSum.call(loss) / (x.size / n_classes)
    return _reduce(loss, reduction)


class BCEWithLogits(Function):
    """Elementwise binary cross-entropy of logits ``x`` against targets ``y`` (broadcast), with
    optional ``weight`` and ``pos_weight``: w * ((1 - y) x + (1 + (pw - 1) y) softplus(-x))."""
    # No public ``name``: the functional form is ``binary_cross_entropy_with_logits`` below.

    @classmethod
    def check(cls, x, y, weight=None, pos_weight=None):
        return tuple(t for t in (x, y, weight, pos_weight) if t is not None), \
            {"has_w": weight is not None, "has_pw": pos_weight is not None}

    def forward(self, x, y, *rest, has_w, has_pw):
        it = iter(rest)
        w = next(it) if has_w else None
        pw = next(it) if has_pw else None
        s = np.logaddexp(0, -x)  # softplus(-x), stable for both signs
        lw = 1 + (pw - 1) * y if pw is not None else 1
        raw = (1 - y) * x + lw * s
        self.x, self.y, self.w, self.pw, self.s, self.lw, self.raw = x, y, w, pw, s, lw, raw
        out = raw if w is None else w * raw
        return np.ascontiguousarray(out.astype(x.dtype, copy=False))

    def backward(self, dy):
        x, y, w, pw, s, lw = self.x, self.y, self.w, self.pw, self.s, self.lw
        scale = dy if w is None else dy * w
        sig_neg = np.exp(-np.logaddexp(0, x))  # sigmoid(-x)
        grads = [scale * ((1 - y) - lw * sig_neg) if self.needs[0] else None,
                 scale * (-x + ((pw - 1) * s if pw is not None else 0)) if self.needs[1] else None]
        if w is not None:
            grads.append(dy * self.raw if self.needs[2] else None)
        if pw is not None:
            grads.append(scale * y * s if self.needs[-1] else None)
        return tuple(grads)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None,  # noqa: A002
                                     reduction="mean"):
    """Binary cross-entropy of logits: l = w * ((1 - y) x + (1 + (pos_weight - 1) y) *
    log(1 + exp(-x))), computed stably; ``weight`` and ``pos_weight`` broadcast to input."""
    op = "binary_cross_entropy_with_logits"
    x, y = _pair(op, input, target)
    _check_reduction(op, reduction)
    extra = []
    for name, t in (("weight", weight), ("pos_weight", pos_weight)):
        if t is not None:
            t = as_tensor(op, name, t, like=x)
            try:
                if np.broadcast_shapes(t.shape, x.shape) != tuple(x.shape):
                    raise ValueError
            except ValueError:
                raise ValueError(f"For '{op}', '{name}' {tuple(t.shape)} must broadcast to the "
                                 f"input's shape {tuple(x.shape)}.") from None
        extra.append(t)
    if tuple(y.shape) != tuple(x.shape):
        raise ValueError(f"For '{op}', 'target' must have the input's shape {tuple(x.shape)}, "
                         f"but got {tuple(y.shape)}.")
    return _reduce(BCEWithLogits.call(x, y, *extra), reduction)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):  # noqa: A002
    """Binary cross-entropy of probabilities ``input`` in [0, 1]: l = -w * (y log(x + 1e-12) +
    (1 - y) log(1 - x + 1e-12)) (MindSpore's epsilon); values outside [0, 1] are refused."""
    op = "binary_cross_entropy"
    x, y = _pair(op, input, target)
    _check_reduction(op, reduction)
    if tuple(y.shape) != tuple(x.shape):
        raise ValueError(f"For '{op}', 'target' must have the input's shape {tuple(x.shape)}, "
                         f"but got {tuple(y.shape)}.")
    if x.size and (np.nanmin(x._data) < 0 or np.nanmax(x._data) > 1):
        raise ValueError(f"For '{op}', the values of 'input' must be in [0, 1] "
                         f"(probabilities), but got range [{np.nanmin(x._data)}, "
                         f"{np.nanmax(x._data)}]; use binary_cross_entropy_with_logits for "
                         f"logits.")
    eps = 1e-12
    loss = Neg.call(y * Log.call(x + eps) + (1.0 - y) * Log.call((1.0 - x) + eps))
    if weight is not None:
        loss = Mul.call(loss, as_tensor(op, "weight", weight, like=x))
    return _reduce(loss, reduction)


def mse_loss(input, target, reduction="mean"):  # noqa: A002
    """(input - target) ** 2, reduced; the shapes must broadcast."""
    x, y = _pair("mse_loss", input, target)
    _check_reduction("mse_loss", reduction)
    d = Sub.call(x, y)
    return _reduce(Mul.call(d, d), reduction)


def l1_loss(input, target, reduction="mean"):  # noqa: A002
    """|input - target|, reduced; the shapes must broadcast."""
    x, y = _pair("l1_loss", input, target)
    _check_reduction("l1_loss", reduction)
    return _reduce(Abs.call(Sub.call(x, y)), reduction)


def _piecewise(op, input, target, threshold, quadratic_scale, linear_scale, reduction):
    x, y = _pair(op, input, target)
    _check_reduction(op, reduction)
    if tuple(x.shape) != tuple(y.shape):
        raise ValueError(f"For '{op}', 'input' {tuple(x.shape)} and 'target' "
                         f"{tuple(y.shape)} must have the same shape.")
    d = Sub.call(x, y)
    ad = Abs.call(d)
    quad = Mul.call(d, d) * quadratic_scale
    lin = (ad - 0.5 * threshold) * linear_scale
    return _reduce(Select.call(ad < threshold, quad, lin), reduction)


def smooth_l1_loss(input, target, beta=1.0, reduction="none"):  # noqa: A002
    """0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target)."""
    if not isinstance(beta, (int, float)) or beta <= 0:
        raise ValueError(f"For 'smooth_l1_loss', 'beta' must be a positive number, but got "
                         f"{beta!r}.")
    return _piecewise("smooth_l1_loss", input, target, float(beta), 0.5 / beta, 1.0, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):  # noqa: A002
    """0.5 d**2 where |d| < delta, else delta (|d| - 0.5 delta) (d = input - target)."""
    if not isinstance(delta, (int, float)) or delta <= 0:
        raise ValueError(f"For 'huber_loss', 'delta' must be a positive number, but got "
                         f"{delta!r}.")
    return _piecewise("huber_loss", input, target, float(delta), 0.5, float(delta), reduction)


def kl_div(logits, labels, reduction="mean", log_target=False):
    """Kullback-Leibler divergence with log-probabilities ``logits`` and probabilities
    ``labels`` (log-probabilities with ``log_target``): labels * (log(labels) - logits), 0 where
    labels == 0. 'batchmean' divides the sum by the batch size."""
    op = "kl_div"
    x, y = _pair(op, logits, labels, ("logits", "labels"))
    _check_reduction(op, reduction, ("mean", "sum", "none", "batchmean"))
    if log_target:
        out = Mul.call(Exp.call(y), Sub.call(y, x))
    else:
        positive = y > 0
        safe = Select.call(positive, y, 1.0)
        out = Select.call(positive, Mul.call(y, Sub.call(Log.call(safe), x)), 0.0)
    if reduction == "batchmean":
        return ReduceSum.call(out) / (x.shape[0] if x.ndim else 1)
    return _reduce(out, reduction)
