"""Define-by-run reverse-mode autograd: a tape of Function nodes, walked with an explicit stack.

Recording happens only inside a gradient computation (``GradOperation`` or ``value_and_grad``)
and only for operations with at least one input that requires grad (a Parameter with
``requires_grad=True``, an input the caller asked the gradient of, or a tensor already on the
tape). Outside, operations build no graph, so inference costs nothing extra.

MindSpore exposes gradients functionally: ``GradOperation(get_by_list=True)(net, weights)(*inputs)``
returns a tuple of arrays aligned with ``weights``; Parameters carry no ``.grad``, so there is no
``zero_grad`` to forget.
"""
import numpy as np

from ..common.tensor import Tensor

__all__ = ["Function", "backprop", "is_recording", "recording"]

_depth = [0]  # nesting depth of gradient computations; > 0 means record


def is_recording():
    return _depth[0] > 0


class recording:
    """Context manager that turns tape recording on (used by the gradient entry points)."""

    def __enter__(self):
        _depth[0] += 1

    def __exit__(self, *exc):
        _depth[0] -= 1


class Function:
    """One differentiable primitive: ``forward(*arrays, **attrs) -> array`` and
    ``backward(dy) -> tuple`` of input gradients (``None`` where there is none).

    Each call creates a node; forward keeps on ``self`` what backward needs.
    """

    inputs = ()

    @classmethod
    def apply(cls, *inputs, **attrs):
        node = cls()
        out = node.forward(*[t._data for t in inputs], **attrs)
        if _depth[0]:
            for t in inputs:
                if t._requires_grad or t._node is not None:
                    node.inputs = inputs
                    return Tensor._make(out, node=node)
        return Tensor._make(out)

    def forward(self, *arrays, **attrs):
        raise NotImplementedError

    def backward(self, dy):
        raise NotImplementedError


def _unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched to reach ``g.shape``."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _topological_order(roots):
    """Every node reachable from ``roots``, each listed before the nodes of its inputs."""
    order, visited = [], set()
    stack = [(r._node, False) for r in roots if r._node is not None]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for t in node.inputs:
            if t._node is not None and id(t._node) not in visited:
                stack.append((t._node, False))
    order.reverse()
    return order


def backprop(roots, seeds):
    """Reverse pass from ``roots`` (tensors) seeded with ``seeds`` (arrays of the same shapes).

    Returns ``{id(leaf tensor): gradient}`` for every leaf on the tape that requires grad; a root
    that is itself such a leaf gets its seed.
    """
    node_grads, leaf_grads = {}, {}

    def accumulate(t, g):
        if t._node is not None:
            key, store = id(t._node), node_grads
        elif t._requires_grad:
            key, store = id(t), leaf_grads
        else:
            return
        prev = store.get(key)
        store[key] = g if prev is None else prev + g

    for r, s in zip(roots, seeds):
        accumulate(r, s)
    for node in _topological_order(roots):
        dy = node_grads.pop(id(node), None)
        if dy is None:
            continue
        input_grads = node.backward(dy)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        for t, g in zip(node.inputs, input_grads):
            if g is None:
                continue
            shape = t._data.shape
            if g.shape != shape:
                g = _unbroadcast(g, shape)
                if g.shape != shape:
                    raise RuntimeError(f"{type(node).__name__}.backward returned a gradient of "
                                       f"shape {g.shape} for an input of shape {shape}.")
            accumulate(t, g)
    return leaf_grads


def seed_like(out, sens=None):
    """The initial gradient for output ``out``: ones, or ``sens`` broadcast to its shape."""
    if sens is None:
        return np.ones_like(out._data)
    arr = np.asarray(sens._data if isinstance(sens, Tensor) else sens, dtype=out._data.dtype)
    if arr.shape != out._data.shape:
        try:
            arr = np.broadcast_to(arr, out._data.shape).copy()
        except ValueError:
            raise ValueError(f"The sens has shape {arr.shape} but the output has shape "
                             f"{out._data.shape}.") from None
    return arr
