"""Plan steps for the primitives: preallocated forms of the hot ones, a generic form for all.

Each ``FORWARD[cls](rec, plan)`` / ``BACKWARD[cls](rec, plan)`` returns a list of zero-argument
callables (the steps) after allocating the buffers they write, once. A step calls the same
kernel with the same arguments as the primitive's ``forward``/``backward`` in
:mod:`.function.nn_func`, so values are identical to PyNative's; the difference is that
outputs, saved values and gradients live in buffers owned by the plan. Gradients are written
through :meth:`Plan.grad_target`, which says whether to write or to add.

Primitives without an entry run through :func:`generic_forward` / :func:`generic_backward`:
the primitive's own ``forward``/``backward`` on the slot buffers, results copied into them
(correct for any primitive; allocates what that primitive allocates).
"""
import numpy as np

from ..kernels import lazy
from . import _conv_ops as C
from ._autograd import _unbroadcast
from ._blas import matmul as _matmul
from ._dense import DensePlan
from .function import array_func as A
from .function import nn_func as F
from .function import pooling_func as P

__all__ = ["FORWARD", "BACKWARD", "generic_forward", "generic_backward", "fused_backward"]

_act, _pool, _loss, _conv = lazy("activation"), lazy("pool"), lazy("loss"), lazy("conv")
_flat = lazy("conv_flat")
_CAST_BUFFER = 8192  # numpy casts a reduction's input in chunks of this many elements


def _write(target, add_into):
    """A step tail: add the scratch ``target`` into the gradient buffer when accumulating."""
    if add_into is None:
        return None
    return lambda: np.add(add_into, target, out=add_into)


def fused_forward(records, i, plan):
    """(steps, records used) for a chain starting at ``records[i]`` that one kernel computes,
    or None. The chain: [BiasAdd ->] ReLU -> MaxPool2D 2x2 stride 2 unpadded, whose
    intermediate outputs nothing else reads (so they are never written): one pass over the
    convolution's output instead of three (:func:`minispore.kernels.pool.
    bias_relu_max_pool2d_fwd_2x2`, same values). The backward needs none of them: the engine's
    ReLU -> MaxPool fusion routes through the pool's output and argmax."""
    bias = records[i] if records[i].cls is F.BiasAdd else None
    j = i + (bias is not None)
    if j + 1 >= len(records):
        return None
    relu, pool = records[j], records[j + 1]
    if relu.cls is not F.ReLU or pool.cls is not P.MaxPool2D or pool.ins[0] is not relu.outs[0]:
        return None
    if (pool.attrs["kernel"], pool.attrs["stride"]) != ((2, 2), (2, 2)) or \
            any(pool.attrs["padding"]):
        return None
    middle = [relu.outs[0]]
    if bias is not None:
        if relu.ins[0] is not bias.outs[0] or len(bias.ins[0].shape) != 4:
            return None
        middle.append(bias.outs[0])
    if any(plan.uses.get(s.index, 0) != 1 or s.index in plan.keep for s in middle):
        return None
    x = (bias or relu).ins[0].buf
    if x.ndim != 4 or not x.flags.c_contiguous:
        return None
    b = bias.ins[1].buf if bias is not None else np.zeros(x.shape[1], x.dtype)
    y = plan.buffer(pool.outs[0])
    has_bias = bias is not None
    for rec in (bias, relu):
        if rec is not None:
            rec.extra["fused_into"] = pool
    if not plan.differentiable:  # no backward will route through argmax: values only
        return [lambda: _pool.bias_relu_max_pool2d_2x2_values(y, x, b, has_bias)], j + 2 - i
    argmax = pool.extra["argmax"] = np.empty(y.shape, np.int32)
    return [lambda: _pool.bias_relu_max_pool2d_fwd_2x2(y, argmax, x, b, has_bias)], j + 2 - i


def _steps(*steps):
    return [s for s in steps if s is not None]


# ---- generic -------------------------------------------------------------------------------

def generic_forward(rec, plan):
    """The primitive's own forward on the slot buffers; outputs copied into the plan's."""
    cls, attrs, needs = rec.cls, rec.attrs, rec.needs
    rec.extra["generic"] = True
    ins = [s.buf for s in rec.ins]
    outs = [plan.buffer(s) for s in rec.outs]
    single = len(outs) == 1

    def step():
        node = cls()
        node.needs = needs
        out = node.forward(*ins, **attrs)
        if single:
            np.copyto(outs[0], out)
        else:
            for buf, o in zip(outs, out):
                np.copyto(buf, o)
        rec.rt_node = node
    return [step]


def generic_backward(rec, plan):
    """The primitive's own backward on the plan's gradient buffers."""
    dys = plan.dy(rec)
    targets = [(i, s) + plan.grad_target(s) for i, s in enumerate(rec.ins) if rec.needs[i]]

    def step():
        node = rec.rt_node
        grads = node.backward(*dys)
        if not isinstance(grads, tuple):
            grads = (grads,)
        for i, slot, target, add_into in targets:
            g = grads[i]
            if g is None:  # the engine adds nothing; zeros keep the planned sum unchanged
                g = np.zeros(slot.shape, slot.dtype)
            elif g.shape != slot.shape:
                g = _unbroadcast(g, slot.shape, node)
            if add_into is None:
                np.copyto(target, g)
            else:
                np.add(add_into, g, out=add_into)
        node.release()
        rec.rt_node = None
    return [step]


def _generic_if_marked(emit):
    def backward(rec, plan):
        if rec.extra.get("generic"):
            return generic_backward(rec, plan)
        return emit(rec, plan)
    return backward


# ---- ReLU, pooling ---------------------------------------------------------------------------
# Each ``<op>_forward`` / ``<op>_backward`` below is the planned form of that primitive's
# ``forward`` / ``backward`` in ``function/nn_func.py`` or ``function/pooling_func.py`` (same
# kernel, same arguments).

def relu_forward(rec, plan):
    x, y = rec.ins[0].buf, plan.buffer(rec.outs[0])
    xf, yf = x.reshape(-1), y.reshape(-1)
    return [lambda: _act.relu_fwd(yf, xf)]


def relu_backward(rec, plan):
    dyf = plan.dy(rec)[0].reshape(-1)
    yf = rec.outs[0].buf.reshape(-1)
    target, add_into = plan.grad_target(rec.ins[0])
    tf = target.reshape(-1)
    return _steps(lambda: _act.relu_bwd(tf, dyf, yf), _write(target, add_into))


def max_pool_forward(rec, plan):
    x, y = rec.ins[0].buf, plan.buffer(rec.outs[0])
    kernel, stride, padding = rec.attrs["kernel"], rec.attrs["stride"], rec.attrs["padding"]
    argmax = rec.extra["argmax"] = np.empty(y.shape, np.int32)
    if kernel == (2, 2) and stride == (2, 2) and not any(padding):
        return [lambda: _pool.max_pool2d_fwd_2x2(y, argmax, x)]
    args = (kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[2])
    return [lambda: _pool.max_pool2d_fwd(y, argmax, x, *args)]


def _pool_route(rec, plan, target_slot, positive_only):
    dy = plan.dy(rec)[0]
    y, argmax = rec.outs[0].buf, rec.extra["argmax"]
    target, add_into = plan.grad_target(target_slot)
    return _steps(lambda: _pool.max_pool2d_bwd(target, dy, argmax, y, positive_only),
                  _write(target, add_into))


def max_pool_backward(rec, plan):
    return _pool_route(rec, plan, rec.ins[0], False)


def fused_backward(rec, producer, fn, plan):
    """The engine's backward fusions: MaxPool after ReLU routes only positive windows
    straight to the ReLU's input; other registered pairs run their function on the nodes."""
    if rec.cls is P.MaxPool2D and producer.cls is F.ReLU:
        return _pool_route(rec, plan, producer.ins[0], True)
    if not (rec.extra.get("generic") and producer.extra.get("generic")):
        raise NotImplementedError(f"no planned form of the fusion {producer.cls.__name__} -> "
                                  f"{rec.cls.__name__}")
    dy = plan.dy(rec)[0]
    slot = producer.ins[0]
    target, add_into = plan.grad_target(slot)

    def step():
        g = fn(rec.rt_node, producer.rt_node, dy)
        if g.shape != slot.shape:
            g = _unbroadcast(g, slot.shape, producer.rt_node)
        if add_into is None:
            np.copyto(target, g)
        else:
            np.add(add_into, g, out=add_into)
        for r in (rec, producer):
            r.rt_node.release()
            r.rt_node = None
    return [step]


# ---- convolution, bias, dense ---------------------------------------------------------------

def _conv_is_direct(rec):
    return C.is_direct(rec.ins[1].shape, rec.attrs["stride"])


def _conv_geometry(rec, xp):
    """The :class:`minispore.kernels.conv_flat.Geometry` of a direct (stride-1) convolution;
    its scratch is allocated once for the plan."""
    return _conv.flat_geometry(xp.shape, rec.ins[1].shape, rec.outs[0].shape,
                               rec.attrs["dilation"], rec.attrs["group"])


def conv_forward(rec, plan):
    if not _conv_is_direct(rec):  # the im2col + GEMM path keeps its own buffers
        return generic_forward(rec, plan)
    x, w, y = rec.ins[0].buf, rec.ins[1].buf, plan.buffer(rec.outs[0])
    padding, group = rec.attrs["padding"], rec.attrs["group"]
    top, bottom, left, right = padding
    steps = []
    if any(padding):
        N, Cn, H, W = x.shape
        xp = np.zeros((N, Cn, H + top + bottom, W + left + right), x.dtype)
        inner = xp[:, :, top:top + H, left:left + W]
        steps.append(lambda: np.copyto(inner, x))
    else:
        xp = x
    rec.extra["xp"] = xp
    g = rec.extra["geometry"] = _conv_geometry(rec, xp)
    w4 = rec.extra["w4"] = g.weights(w, np.empty)  # a view of w, or a copy refreshed per step
    offs, acc = g.offs, g.fwd_scratch(y.shape[0], y.dtype, np.empty)
    if not np.shares_memory(w4, w):
        steps.append(lambda: _flat.weights_by_4(w4, w, group))
    steps.append(lambda: _flat.conv2d_fwd_flat(y, xp, w4, offs, group, acc))
    return steps


def conv_backward(rec, plan):
    dy = plan.dy(rec)[0]
    xp, g = rec.extra["xp"], rec.extra["geometry"]
    padding, group = rec.attrs["padding"], rec.attrs["group"]
    steps = []
    if rec.needs[0]:
        target, add_into = plan.grad_target(rec.ins[0])
        dxp = np.empty(xp.shape, xp.dtype) if any(padding) else target
        w4, offs, KK = rec.extra["w4"], g.offs, g.KK
        dyw = g.bwd_input_scratch(dy.shape[0], dy.dtype, np.empty)
        steps.append(lambda: _flat.conv2d_bwd_input_flat(dxp, dy, w4, offs, group, KK, dyw))
        if any(padding):
            top, _, left, _ = padding
            N, Cn, H, W = rec.ins[0].shape
            inner = dxp[:, :, top:top + H, left:left + W]
            steps.append(lambda: np.copyto(target, inner))
        steps += _steps(_write(target, add_into))
    if rec.needs[1]:
        dw, add_dw = plan.grad_target(rec.ins[1])
        offs, splits = g.offs, g.splits
        wacc, wd = g.bwd_weight_scratch(dy.dtype, np.empty)
        steps.append(lambda: _flat.conv2d_bwd_weight_flat(dw, dy, xp, offs, group, splits,
                                                          wacc, wd))
        steps += _steps(_write(dw, add_dw))
    return steps


def bias_add_forward(rec, plan):
    x, b, y = rec.ins[0].buf, rec.ins[1].buf, plan.buffer(rec.outs[0])
    bb = b.reshape((1, -1) + (1,) * (x.ndim - 2))
    full = np.empty_like(y)  # b broadcast once per step: a broadcast add allocates

    def step():
        np.copyto(full, bb)
        np.add(x, full, out=y)
    return [step]


def bias_add_backward(rec, plan):
    dy = plan.dy(rec)[0]
    axes = (0,) + tuple(range(2, dy.ndim))
    steps = []
    target, add_into = plan.grad_target(rec.ins[0], alias=dy)  # the engine passes dy itself
    if target is not dy:
        steps.append(lambda: np.copyto(target, dy))
    steps += _steps(_write(target, add_into))
    if rec.needs[1]:
        target_b, add_b = plan.grad_target(rec.ins[1])
        steps += _steps(lambda: np.sum(dy, axis=axes, out=target_b), _write(target_b, add_b))
    return steps


def dense_forward(rec, plan):
    x, w = rec.ins[0].buf, rec.ins[1].buf
    b = rec.ins[2].buf if len(rec.ins) == 3 else None
    y = plan.buffer(rec.outs[0])
    return [DensePlan(x, w, b, y)]


def dense_backward(rec, plan):
    dy = plan.dy(rec)[0]
    x, w = rec.ins[0].buf, rec.ins[1].buf
    dyt = dy.T
    steps = []
    if rec.needs[0]:
        t, a = plan.grad_target(rec.ins[0])
        steps += _steps(lambda: _matmul(dy, w, out=t), _write(t, a))
    if rec.needs[1]:
        t1, a1 = plan.grad_target(rec.ins[1])
        steps += _steps(lambda: _matmul(dyt, x, out=t1), _write(t1, a1))
    if len(rec.ins) == 3 and rec.needs[2]:
        t2, a2 = plan.grad_target(rec.ins[2])
        steps += _steps(lambda: np.sum(dy, axis=0, out=t2), _write(t2, a2))
    return steps


# ---- reshape, loss ---------------------------------------------------------------------------

def reshape_forward(rec, plan):
    rec.outs[0].buf = rec.ins[0].buf.reshape(rec.outs[0].shape)  # a view: no step
    return []


def reshape_backward(rec, plan):
    view = plan.dy(rec)[0].reshape(rec.ins[0].shape)
    target, add_into = plan.grad_target(rec.ins[0], alias=view)
    if add_into is not None:
        return [lambda: np.add(add_into, view, out=add_into)]
    return [] if target is view else [lambda: np.copyto(target, view)]


def xent_forward(rec, plan):
    z, labels = rec.ins[0].buf, rec.ins[1].buf
    sparse, reduction = rec.attrs["sparse"], rec.attrs["reduction"]
    n, classes = z.shape
    scale = 1.0 / n if (reduction == "mean" and n) else 1.0
    loss = np.empty(n, z.dtype)
    dlogits = rec.extra["dlogits"] = np.empty_like(z)
    out = rec.outs[0]
    if reduction == "none":
        out.buf = loss
    y = plan.buffer(out)
    if sparse:
        def kernel():
            if n and (labels.min() < 0 or labels.max() >= classes):
                raise ValueError(f"For 'SoftmaxCrossEntropyWithLogits', every label must be in "
                                 f"[0, {classes}), but got values from {labels.min()} to "
                                 f"{labels.max()}.")
            _loss.softmax_xent_sparse(loss, dlogits, z, labels, scale)
    else:
        t = labels if labels.dtype == z.dtype else np.empty(labels.shape, z.dtype)

        def kernel():
            if t is not labels:
                np.copyto(t, labels, casting="unsafe")
            _loss.softmax_xent_dense(loss, dlogits, z, t, scale)
    if reduction == "none":
        return [kernel]

    wide = np.empty(n, np.float64) if n <= _CAST_BUFFER else None

    def reduce():
        if wide is None:
            total = loss.sum(dtype=np.float64)
        else:  # the same pairwise sum, without the cast buffer numpy allocates per call
            np.copyto(wide, loss)
            total = wide.sum()
        if reduction == "mean":
            total = total / n if n else np.nan
        y[()] = total
    return [kernel, reduce]


def xent_backward(rec, plan):
    dy = plan.dy(rec)[0]
    dlogits = rec.extra["dlogits"]
    factor = dy[:, None] if rec.attrs["reduction"] == "none" else dy
    target, add_into = plan.grad_target(rec.ins[0])
    return _steps(lambda: np.multiply(dlogits, factor, out=target), _write(target, add_into))


FORWARD = {F.ReLU: relu_forward, P.MaxPool2D: max_pool_forward, F.Conv2D: conv_forward,
           F.BiasAdd: bias_add_forward, F.Dense: dense_forward, A.Reshape: reshape_forward,
           F.SoftmaxCrossEntropy: xent_forward}
BACKWARD = {F.ReLU: relu_backward, P.MaxPool2D: max_pool_backward,
            F.Conv2D: _generic_if_marked(conv_backward), F.BiasAdd: bias_add_backward,
            F.Dense: dense_backward, A.Reshape: reshape_backward,
            F.SoftmaxCrossEntropy: xent_backward}
# Inputs a backward never returns a gradient for, even when asked (the labels).
NO_GRAD = {F.SoftmaxCrossEntropy: {1}}
