"""The reverse-mode engine: walk the tape of Function nodes from the outputs back to the leaves.

Recording (see :mod:`._function`) happens only inside a gradient computation, on the calling
thread, for primitives with an input on the tape. The engine here is strict:

* each input gradient must have the input's shape, or one that broadcasting explains (summed
  back over the broadcast axes); anything else (a transposed gradient of the right size, say)
  raises, naming the primitive;
* a gradient asked through a non-differentiable primitive (argmax, a comparison) raises;
* once a node's backward has run, what its forward saved is released, and the outputs handed
  back to the caller are cut from the tape, so no activation outlives the gradient call;
* backward fusions are an explicit step: ``register_backward_fusion(Consumer, Producer, fn)``
  lets the engine call ``fn(consumer, producer, dy)`` for the gradient of the producer's *input*
  when the producer's output has that consumer and no other (counted over the whole graph), and
  then skips the producer. MaxPool after ReLU uses it (the pool routes only positive windows).
"""
import numpy as np

from ..common.tensor import Tensor

__all__ = ["backprop", "seed_like", "register_backward_fusion", "detach_outputs"]

_FUSIONS = {}  # consumer class -> {producer class: fn(consumer, producer, dy) -> input grad}


def register_backward_fusion(consumer, producer, fn):
    """Declare that ``fn`` computes producer-input gradients through ``consumer`` directly."""
    _FUSIONS.setdefault(consumer, {})[producer] = fn


def _unbroadcast(g, shape, node):
    """``g`` summed back over the axes broadcasting added or stretched; raises if that cannot
    give ``shape`` (a backward that returned the wrong gradient)."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    if g.ndim == len(shape):
        axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
        if axes:
            g = g.sum(axis=axes, keepdims=True)
    if g.shape != shape:
        raise RuntimeError(f"{type(node).__name__}.backward returned a gradient of shape "
                           f"{g.shape} for an input of shape {shape}; broadcasting cannot "
                           f"explain it.")
    return g


def _graph(roots):
    """(nodes in reverse topological order, consumer count per node id)."""
    order, visited, consumers = [], set(), {}
    stack = []
    for r in roots:
        if r._node is not None:
            consumers[id(r._node)] = consumers.get(id(r._node), 0) + 1
            stack.append((r._node, False))
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
            child = t._node
            if child is not None:
                consumers[id(child)] = consumers.get(id(child), 0) + 1
                if id(child) not in visited:
                    stack.append((child, False))
    order.reverse()
    return order, consumers


def _check_root(r):
    cut = getattr(r, "_cut_by", None)
    if cut is not None:
        raise RuntimeError(f"The output was computed by '{cut}', which is not differentiable, "
                           f"from inputs that require grad; its gradient is not defined. Use "
                           f"ops.stop_gradient on purpose, or a differentiable op.")


def backprop(roots, seeds, leaf_ids):
    """Reverse pass from ``roots`` seeded with ``seeds`` (arrays shaped like the roots).

    Returns ``{id(leaf): gradient}`` for the leaves in ``leaf_ids`` reached by the pass. Every
    node walked is released afterwards.
    """
    node_grads, leaf_grads = {}, {}

    def accumulate(t, g):
        node = t._node
        if node is not None:
            slots = node_grads.get(id(node))
            if slots is None:
                slots = node_grads[id(node)] = [None] * node.n_out
            i = t._index
            slots[i] = g if slots[i] is None else slots[i] + g
        elif id(t) in leaf_ids:
            prev = leaf_grads.get(id(t))
            leaf_grads[id(t)] = g if prev is None else prev + g

    for r, s in zip(roots, seeds):
        _check_root(r)
        accumulate(r, s)
    order, consumers = _graph(roots)
    skipped = set()
    try:
        for node in order:
            slots = node_grads.pop(id(node), None)
            if slots is None or id(node) in skipped:
                continue
            if node.n_out == 1:
                dys = slots
            else:
                dys = [np.zeros(t_shape, dtype) if g is None else g
                       for g, (t_shape, dtype) in zip(slots, node.out_meta)]
            inputs, needs = node.inputs, node.needs
            fused = _try_fusion(node, inputs, dys, consumers)
            if fused is not None:
                producer, g = fused
                skipped.add(id(producer))
                _route(producer, producer.inputs[0], g, accumulate)
                producer.release()
                node.release()
                continue
            grads = node.backward(*dys)
            if not isinstance(grads, tuple):
                grads = (grads,)
            node.release()
            for t, need, g in zip(inputs, needs, grads):
                if need and g is not None:
                    _route(node, t, g, accumulate)
    finally:
        for node in order:
            if node.__dict__:
                node.release()
    return leaf_grads


def _route(node, t, g, accumulate):
    shape = t._data.shape
    if g.shape != shape:
        g = _unbroadcast(g, shape, node)
    accumulate(t, g)


def _try_fusion(node, inputs, dys, consumers):
    table = _FUSIONS.get(type(node))
    if table is None or not inputs:
        return None
    producer = inputs[0]._node
    if producer is None or type(producer) not in table or consumers.get(id(producer)) != 1:
        return None
    if not producer.needs or not producer.needs[0]:
        return None
    return producer, table[type(producer)](node, producer, dys[0])


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


def detach_outputs(out):
    """Cut every Tensor in ``out`` (nested tuples/lists/dicts) from the tape, in place."""
    stack = [out]
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            x._node = None
        elif isinstance(x, (tuple, list)):
            stack.extend(x)
        elif isinstance(x, dict):
            stack.extend(x.values())
    return out
