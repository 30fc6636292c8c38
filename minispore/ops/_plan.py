"""The planner behind ``ms.jit`` and GRAPH_MODE: trace a call once, replay it as a static plan.

Tracing: the first call for an input signature runs in PyNative with a :class:`Tracer` on
this thread; every primitive applied (``Function.apply``) is recorded with its input and
output Tensors, and every Tensor value read into Python (``bool(t)``, ``float(t)``,
``t.asnumpy()``) of a traced Tensor is noted, since control flow that depends on data cannot
be replayed. The call's result is the PyNative result.

Planning (:class:`Plan`): each traced Tensor becomes a slot with one buffer, allocated once:
the arguments' buffers are filled by copying the caller's arrays in; the Parameters and other
outside Tensors are used in place (their arrays are checked to be the same objects on each
call, else the plan is rebuilt); every primitive output gets its own buffer. Each primitive
becomes a step: a kernel call on those buffers (:mod:`._plan_ops` for the primitives with a
preallocated form), or for any other primitive its ``forward`` with the result copied into the
slot's buffer. A training plan adds the reverse pass over the same slots, in the order and
with the fusions the autograd engine uses (:mod:`._autograd`), writing each gradient into a
buffer of its own, so a replayed step allocates no large array. Results are those of
PyNative: the same kernels run on the same values in the same order.
"""
import warnings

import numpy as np

from ..common import api as _api
from ..common import tensor as _tensor_mod
from ..common.tensor import Tensor
from . import _function
from ._autograd import _FUSIONS

__all__ = ["Tracer", "Plan", "run_traced", "signature_of"]


class NotPlannable(Exception):
    """Raised while building a plan: the call can only run in PyNative (message says why)."""


class Slot:
    """One value of the plan: an argument, an outside Tensor, or a primitive's output."""

    __slots__ = ("index", "shape", "dtype", "mstype", "kind", "source", "buf", "producer",
                 "on_tape")

    def __init__(self, index, tensor, kind, source=None, producer=None):
        self.index = index
        self.shape, self.dtype, self.mstype = tensor._data.shape, tensor._data.dtype, tensor._dtype
        self.kind, self.source, self.producer = kind, source, producer
        self.buf = None
        self.on_tape = False


class OpRecord:
    """One traced primitive: class, attributes, slots in and out, and what autograd recorded."""

    __slots__ = ("cls", "attrs", "ins", "outs", "needs", "on_tape", "rt_node", "extra")

    def __init__(self, cls, attrs, ins, outs, needs, on_tape):
        self.cls, self.attrs, self.ins, self.outs = cls, attrs, ins, outs
        self.needs, self.on_tape = needs, on_tape
        self.rt_node = None
        self.extra = {}


class Tracer:
    """Records the primitives applied on this thread while active (``with Tracer(...)``).

    ``arg_tensors``: the call's Tensor arguments, in order. ``min_depth``: record only
    primitives applied at this tape-recording depth or deeper (1 keeps a training step's
    forward pass and leaves out the optimizer's arithmetic)."""

    def __init__(self, arg_tensors, min_depth=0):
        self.slots, self.records = [], []
        self.by_id = {}       # id(Tensor) -> Slot
        self.by_array = {}    # id(ndarray) -> Slot, for Tensors re-wrapping a traced array
        self.keep = []        # the traced Tensors, alive so their ids stay unique
        self.problem = None
        self.min_depth = min_depth
        self.args = [self._new_slot(t, "arg", i) for i, t in enumerate(arg_tensors)]

    def _new_slot(self, t, kind, source=None, producer=None):
        slot = Slot(len(self.slots), t, kind, source, producer)
        self.slots.append(slot)
        self.by_id[id(t)] = slot
        self.by_array.setdefault(id(t._data), slot)
        self.keep.append(t)
        return slot

    def slot_of(self, t):
        """The slot of Tensor ``t``; an unseen Tensor is an outside one (a Parameter, a
        constant) unless it wraps a traced array (then it is that slot)."""
        slot = self.by_id.get(id(t))
        if slot is None:
            slot = self.by_array.get(id(t._data))
            if slot is not None and slot.shape == t._data.shape and slot.dtype == t._data.dtype:
                self.by_id[id(t)] = slot
                self.keep.append(t)
            else:
                slot = self._new_slot(t, "outside", t)
        return slot

    def record(self, cls, node, inputs, attrs, out, depth):
        if depth < self.min_depth:
            return
        if self.min_depth == 0 and depth > 0:
            self.fail("it computes gradients inside (value_and_grad / GradOperation); "
                      "minispore plans training through nn.TrainOneStepCell under GRAPH_MODE")
        ins = [self.slot_of(t) for t in inputs]
        outs_t = out if isinstance(out, tuple) else (out,)
        needs = tuple(node.__dict__.get("needs", ()))
        rec = OpRecord(cls, dict(attrs), ins, [], needs, bool(needs))
        rec.outs = [self._new_slot(t, "op", None, rec) for t in outs_t]
        self.records.append(rec)

    def side_effect(self, what):
        """Something the plan would not replay happened (an optimizer step, an in-place
        assignment); only the recorded part of the call matters (``min_depth``)."""
        if _function._state.depth >= self.min_depth:
            self.fail(what)

    def value_read(self, t, how):
        if how == "in-place assignment":
            self.side_effect("it assigns into a Tensor in place, which a plan does not replay")
            return
        slot = self.by_id.get(id(t))
        if slot is not None and slot.kind != "outside":
            self.fail(f"a Tensor computed from the inputs was read as a Python value ({how}) "
                      f"while tracing, so its Python control flow depends on the data")

    def release(self):
        """Drop the traced call's own Tensors (its first-step activations) once planned."""
        self.keep, self.by_id, self.by_array = [], {}, {}

    def fail(self, reason):
        if self.problem is None:
            self.problem = reason

    def __enter__(self):
        state = _function._state
        if state.tracer is not None or _tensor_mod._value_reads.hook is not None:
            raise NotPlannable("a trace is already running on this thread")
        state.tracer = self
        _tensor_mod._value_reads.hook = self.value_read
        return self

    def __exit__(self, *exc):
        _function._state.tracer = None
        _tensor_mod._value_reads.hook = None


def flatten(value, out):
    """Append the leaves of nested tuples/lists/dicts in ``value`` to ``out``; returns the
    structure with each Tensor replaced by its position in ``out``."""
    if isinstance(value, Tensor):
        out.append(value)
        return _Leaf(len(out) - 1)
    if isinstance(value, (tuple, list)):
        return type(value)(flatten(v, out) for v in value)
    if isinstance(value, dict):
        return {k: flatten(v, out) for k, v in value.items()}
    return value


class _Leaf:
    __slots__ = ("i",)

    def __init__(self, i):
        self.i = i


def unflatten(structure, leaves):
    """The inverse of :func:`flatten`: ``structure`` with each leaf position replaced."""
    if isinstance(structure, _Leaf):
        return leaves[structure.i]
    if isinstance(structure, (tuple, list)):
        return type(structure)(unflatten(v, leaves) for v in structure)
    if isinstance(structure, dict):
        return {k: unflatten(v, leaves) for k, v in structure.items()}
    return structure


def _key_part(value):
    if isinstance(value, Tensor):
        return ("T", value._data.shape, value._data.dtype.str, value._dtype)
    if isinstance(value, (tuple, list)):
        return (type(value).__name__,) + tuple(_key_part(v) for v in value)
    if isinstance(value, dict):
        return ("dict",) + tuple((k, _key_part(v)) for k, v in sorted(value.items()))
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return ("V", type(value).__name__, value)


def signature_of(func, args, kwargs):
    """The plan cache key: Tensor shapes and dtypes, other arguments' values, and the
    training flag of the Cell whose method this is."""
    owner = getattr(func, "__self__", None)
    return (_key_part(tuple(args)), _key_part(kwargs), getattr(owner, "training", None))


# ---- the plan ------------------------------------------------------------------------------

class Plan:
    """Buffers and steps built from a trace; ``forward()`` replays the traced primitives,
    ``backward()`` (training plans) their reverse pass."""

    def __init__(self, tracer, keep=(), differentiable=True):
        from . import _plan_ops  # noqa: PLC0415  (the preallocated forms of the primitives)
        self.ops = _plan_ops
        self.tracer = tracer
        self.slots, self.records = tracer.slots, tracer.records
        self.keep = {s.index for s in keep}  # slots read after the steps (the outputs)
        # False: no reverse pass will be built, so the forward keeps nothing for one
        self.differentiable = differentiable
        self.uses = {}
        for rec in self.records:
            for s in rec.ins:
                self.uses[s.index] = self.uses.get(s.index, 0) + 1
        self.outside = [(s.source, s) for s in self.slots if s.kind == "outside"]
        for s in self.slots:
            if s.kind == "arg":
                s.buf = np.empty(s.shape, s.dtype)
            elif s.kind == "outside":
                s.buf = s.source._data
        self.forward_steps = []
        i, records = 0, self.records
        while i < len(records):
            fused = _plan_ops.fused_forward(records, i, self)
            if fused is not None:
                steps, used = fused
                self.forward_steps.extend(steps)
                i += used
                continue
            rec = records[i]
            emit = _plan_ops.FORWARD.get(rec.cls, _plan_ops.generic_forward)
            self.forward_steps.extend(emit(rec, self))
            i += 1
        self.backward_steps = []
        self.grad = {}
        self.homes = {}  # slot index -> the array its gradient must live in (flat buffers)

    def buffer(self, slot):
        """The slot's buffer, allocated on first use."""
        if slot.buf is None:
            slot.buf = np.empty(slot.shape, slot.dtype)
        return slot.buf

    def bound(self):
        """True while every outside Tensor still holds the array the plan was built on."""
        for t, s in self.outside:
            if t._data is not s.buf:
                return False
        return True

    def load_args(self, arg_tensors):
        """Copy the call's Tensor arguments into the argument buffers."""
        for slot, t in zip(self.tracer.args, arg_tensors):
            np.copyto(slot.buf, t._data)

    def forward(self):
        """Run the forward steps (the traced primitives, fused where planned)."""
        for step in self.forward_steps:
            step()

    def backward(self):
        """Run the reverse-pass steps built by :meth:`build_backward`."""
        for step in self.backward_steps:
            step()

    # ---- the reverse pass ------------------------------------------------------------------
    def build_backward(self, root, leaves):
        """Steps computing d(root)/d(slot) for the ``leaves`` (outside slots), in the
        engine's order (:func:`._autograd._graph`) with its fusions; returns the leaves'
        gradient buffers (zeros for a leaf the root does not depend on)."""
        order, consumers = _reverse_order(root)
        contributions = {}  # slot index -> number of gradients that will add into it
        plan_items = []
        has_grad = {root.index}
        skipped = set()
        for rec in order:
            if id(rec) in skipped or not any(o.index in has_grad for o in rec.outs):
                continue
            fusion = _fusion_for(rec, consumers)
            if fusion is not None:
                producer, fn = fusion
                skipped.add(id(producer))
                targets = [(producer.ins[0], 0)]
                plan_items.append(("fused", rec, producer, fn))
            else:
                no_grad = self.ops.NO_GRAD.get(rec.cls, ())
                targets = [(s, i) for i, s in enumerate(rec.ins)
                           if rec.needs[i] and i not in no_grad]
                plan_items.append(("plain", rec, None, None))
            for slot, _ in targets:
                contributions[slot.index] = contributions.get(slot.index, 0) + 1
                if slot.producer is not None and slot.producer.on_tape:
                    has_grad.add(slot.index)
        seed = np.ones(root.shape, root.dtype)
        self.grad = {root.index: seed}
        self._pending = dict(contributions)
        for kind, rec, producer, fn in plan_items:
            if kind == "fused":
                self.backward_steps.extend(self.ops.fused_backward(rec, producer, fn, self))
            else:
                emit = self.ops.BACKWARD.get(rec.cls, self.ops.generic_backward)
                self.backward_steps.extend(emit(rec, self))
        out = []
        for leaf in leaves:
            g = self.grad.get(leaf.index, self.homes.get(leaf.index))
            out.append(g if g is not None else np.zeros(leaf.shape, leaf.dtype))
        return out

    def dy(self, rec):
        """The output gradients of ``rec`` (zeros for outputs without one), as buffers."""
        dys = []
        for s in rec.outs:
            g = self.grad.get(s.index)
            if g is None:
                g = self.grad[s.index] = np.zeros(s.shape, s.dtype)
            dys.append(g)
        return dys

    def grad_target(self, slot, alias=None):
        """Where a gradient for ``slot`` is written: ``(target, add_into)``. The first of
        several gradients is written into the slot's gradient buffer (``add_into`` None);
        each later one into a scratch ``target`` that the step then adds into ``add_into``,
        the gradient buffer, as the engine sums them. ``alias``: an array that the slot's
        only gradient may simply be (the dy a bias or a reshape passes on), or None."""
        remaining = self._pending[slot.index]
        self._pending[slot.index] = remaining - 1
        have = self.grad.get(slot.index)
        if have is None and slot.index in self.homes:
            have = self.grad[slot.index] = self.homes[slot.index]
            return have, None
        if have is None:
            if alias is not None and remaining == 1:
                self.grad[slot.index] = alias
                return alias, None
            have = self.grad[slot.index] = np.empty(slot.shape, slot.dtype)
            return have, None
        return np.empty(slot.shape, slot.dtype), have


def _reverse_order(root):
    """The traced primitives on the tape in reverse topological order, as the engine walks
    them (:func:`._autograd._graph`, same traversal), and each one's consumer count."""
    order, visited, consumers = [], set(), {}
    stack = []
    if root.producer is not None and root.producer.on_tape:
        consumers[id(root.producer)] = 1
        stack.append((root.producer, False))
    while stack:
        rec, expanded = stack.pop()
        if expanded:
            order.append(rec)
            continue
        if id(rec) in visited:
            continue
        visited.add(id(rec))
        stack.append((rec, True))
        for s in rec.ins:
            child = s.producer
            if child is not None and child.on_tape:
                consumers[id(child)] = consumers.get(id(child), 0) + 1
                if id(child) not in visited:
                    stack.append((child, False))
    order.reverse()
    return order, consumers


def _fusion_for(rec, consumers):
    table = _FUSIONS.get(rec.cls)
    if table is None or not rec.ins:
        return None
    producer = rec.ins[0].producer
    if producer is None or not producer.on_tape or producer.cls not in table:
        return None
    if consumers.get(id(producer)) != 1 or not producer.needs or not producer.needs[0]:
        return None
    return producer, table[producer.cls]


# ---- ms.jit / GRAPH_MODE for forward functions ---------------------------------------------

def _fallback(state, reason):
    state.fallback = reason
    if state.fullgraph:
        raise RuntimeError(f"ms.jit could not compile '{state.name}' (fullgraph=True): {reason}.")
    if not state.warned:
        state.warned = True
        warnings.warn(f"ms.jit: '{state.name}' runs in PyNative mode: {reason}.", RuntimeWarning,
                      stacklevel=4)


class ForwardPlan:
    """A traced forward call: buffers, steps, and how to hand back its outputs."""

    def __init__(self, tracer, structure, leaves):
        self.structure = structure
        self.outputs = [tracer.slot_of(t) for t in leaves]  # new ones: constants, used as is
        self.plan = Plan(tracer, keep=self.outputs, differentiable=False)
        tracer.release()

    def __call__(self, arg_tensors):
        plan = self.plan
        plan.load_args(arg_tensors)
        plan.forward()
        leaves = [Tensor._make(np.array(s.buf), s.mstype) for s in self.outputs]
        return unflatten(self.structure, leaves)


def run_traced(state, func, args, kwargs):
    """The ``ms.jit`` backend: replay the plan for this signature, or trace and plan it."""
    if state.fallback is not None or _function.is_recording():
        # Called inside a gradient computation: the caller needs the tape, so run eagerly.
        return func(*args, **kwargs)
    arg_tensors = []
    flatten((args, dict(sorted(kwargs.items()))), arg_tensors)  # the key sorts them too
    key = signature_of(func, args, kwargs)
    entry = state.plans.get(key)
    if entry is not None and entry.plan.bound():
        with state.lock, _api.graph_scope():
            return entry(arg_tensors)
    tracer = Tracer(arg_tensors)
    with _api.graph_scope(), tracer:
        result = func(*args, **kwargs)
    if tracer.problem is not None:
        _fallback(state, tracer.problem)
        return result
    leaves = []
    structure = flatten(result, leaves)
    try:
        state.plans[key] = ForwardPlan(tracer, structure, leaves)
    except NotPlannable as e:
        _fallback(state, str(e))
    return result


_api._set_backend(run_traced)
