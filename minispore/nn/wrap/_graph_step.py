"""GRAPH_MODE for ``TrainOneStepCell``: forward, backward and optimizer update in one plan.

The first call for an input signature is an ordinary PyNative step, traced (the forward pass
of ``network`` is recorded, see :mod:`minispore.ops._plan`). From the trace a plan is built:
the forward kernels, the reverse pass in the autograd engine's order with its fusions, every
activation, saved value and gradient in a buffer allocated once. Each later call copies the
inputs in, runs the steps and updates the parameters; with ``nn.Momentum`` (no ``sens``, the
identity ``grad_reducer``) the update is the Momentum kernel on those gradient buffers,
otherwise the optimizer Cell is called with them. For that update the parameters and their
moments are moved into one flat array each (every Parameter's array becomes a view of it:
same values, shapes and names, so checkpoints are unchanged) and the gradients are computed
straight into a third, so the whole update is one kernel call. The loss (and ``return_grad``'s gradients)
come back as new Tensors; nothing else is allocated per step.
"""
import numpy as np

from ...common import api as _api
from ...common.tensor import Tensor
from ...kernels import lazy
from ...ops import _function
from ...ops._plan import NotPlannable, Plan, Tracer, _fallback, signature_of
from ..optim.momentum import Momentum

__all__ = ["run_train_step"]

_optim = lazy("optim")


def _flat_momentum_update(optimizer, flat_w, flat_v, flat_g):
    """One Momentum kernel call over every parameter at once (they live in ``flat_w``)."""
    t = flat_w.dtype.type
    weight_decay = float(optimizer._weight_decays[0])
    decay = weight_decay > 0.0 and all(optimizer.decay_flags)
    scaled = optimizer.loss_scale != 1.0
    wd_ls = weight_decay * float(optimizer.loss_scale)
    loss_scale, nesterov = optimizer.loss_scale, bool(optimizer.use_nesterov)

    def update():
        lr = optimizer._next_lrs()[0]  # one rate for all (checked by _can_flatten)
        momentum = float(optimizer.momentum._data)
        _optim.momentum_update(flat_w, flat_v, flat_g, t(lr), t(momentum), t(wd_ls),
                               t(loss_scale), decay, scaled, nesterov)
    return update


def _flatten_into(tensors, dtype):
    """Move the tensors' values into one new flat array; each tensor's array becomes a view
    of it (values, shapes and dtypes unchanged). Returns the flat array."""
    total = sum(t._data.size for t in tensors)
    flat = np.empty(total, dtype)
    offset = 0
    for t in tensors:
        n = t._data.size
        view = flat[offset:offset + n].reshape(t._data.shape)
        np.copyto(view, t._data)
        t._data = view
        offset += n
    return flat


def _can_flatten(optimizer, weights):
    if type(optimizer) is not Momentum or len({id(w) for w in weights}) != len(weights):
        return False
    dtypes = {w._data.dtype for w in weights} | {v._data.dtype for v in optimizer.moments}
    if len(dtypes) != 1:
        return False
    if optimizer.is_group_lr or len(set(optimizer._weight_decays)) != 1:
        return False
    flags = set(optimizer.decay_flags)
    return optimizer._weight_decays[0] == 0.0 or len(flags) == 1


def _momentum_update(optimizer, grads):
    """The step ``Momentum.construct`` takes (``ops.apply_momentum``), on fixed arrays."""
    items = []
    for w, v, g, flag, wd in zip(optimizer.parameters, optimizer.moments, grads,
                                 optimizer.decay_flags, optimizer._weight_decays):
        items.append((w._data.reshape(-1), v._data.reshape(-1), g.reshape(-1),
                      flag and wd > 0.0, float(wd) * float(optimizer.loss_scale),
                      w._data.dtype.type))
    scaled = optimizer.loss_scale != 1.0
    loss_scale, nesterov = optimizer.loss_scale, bool(optimizer.use_nesterov)

    def update():
        lrs = optimizer._next_lrs()
        momentum = float(optimizer.momentum._data)
        for (w, v, g, decay, wd_ls, t), lr in zip(items, lrs):
            _optim.momentum_update(w, v, g, t(lr), t(momentum), t(wd_ls), t(loss_scale),
                                   decay, scaled, nesterov)
    return update


class TrainStepPlan:
    """A traced ``TrainOneStepCell`` call, replayable for the same input signature."""

    def __init__(self, cell, tracer, loss):
        from .cell_wrapper import _identity  # noqa: PLC0415
        root = tracer.by_id.get(id(loss)) if isinstance(loss, Tensor) else None
        if root is None or root.producer is None or not root.producer.on_tape:
            raise NotPlannable("its loss is not computed by minispore primitives from the "
                               "network's parameters")
        self.cell, self.tracer, self.root = cell, tracer, root
        self.weights = list(cell.weights)
        optimizer = cell.optimizer
        fast = (type(optimizer) is Momentum and cell.sens == 1.0
                and cell.grad_reducer is _identity
                and not any(optimizer.grad_centralization_flags))
        flat = fast and _can_flatten(optimizer, self.weights)
        if flat:  # before the plan binds the parameters' arrays
            flat_w = _flatten_into(self.weights, self.weights[0]._data.dtype)
            flat_v = _flatten_into(list(optimizer.moments), flat_w.dtype)
        self.plan = Plan(tracer, keep=[root])
        leaves = []
        for w in self.weights:
            slot = tracer.by_id.get(id(w))
            leaves.append(slot if slot is not None else _Absent(w))
        if flat:
            flat_g = np.zeros(flat_w.size, flat_w.dtype)
            offset = 0
            for w, leaf in zip(self.weights, leaves):
                n = w._data.size
                self.plan.homes[leaf.index] = flat_g[offset:offset + n].reshape(w._data.shape)
                offset += n
        self.grads = self.plan.build_backward(root, leaves)
        tracer.release()
        self.extra_bound = [(t, t._data) for t in getattr(optimizer, "moments", ())]
        self.extra_bound += [(w, w._data) for w in self.weights]
        if flat:
            self.update = _flat_momentum_update(optimizer, flat_w, flat_v, flat_g)
        elif fast:
            self.update = _momentum_update(optimizer, self.grads)
        else:
            self.update = self._call_optimizer

    def _call_optimizer(self):
        cell = self.cell
        grads = tuple(Tensor._make(g, w._dtype) for g, w in zip(self.grads, self.weights))
        if cell.sens != 1.0:
            grads = tuple(g * cell.sens for g in grads)
        grads = cell.grad_reducer(grads)
        cell.optimizer(grads)

    def bound(self):
        if not self.plan.bound():
            return False
        for t, arr in self.extra_bound:
            if t._data is not arr:
                return False
        return True

    def __call__(self, arg_tensors):
        plan = self.plan
        plan.load_args(arg_tensors)
        plan.forward()
        plan.backward()
        self.update()
        root = self.root
        loss = Tensor._make(np.array(root.buf), root.mstype)
        if self.cell.return_grad:
            return loss, {w.name: Tensor._make(g.copy(), w._dtype)
                          for w, g in zip(self.weights, self.grads)}
        return loss


class _Absent:
    """A weight the loss does not depend on: its gradient is zeros."""

    def __init__(self, w):
        self.index = ("absent", id(w))
        self.shape, self.dtype = w._data.shape, w._data.dtype


def run_train_step(cell, inputs, kwargs):
    """``TrainOneStepCell.__call__`` under GRAPH_MODE."""
    state = cell.__dict__.get("_jit_state")
    if state is None:
        state = _api.JitState(type(cell).__name__)
        object.__setattr__(cell, "_jit_state", state)
    if kwargs or state.fallback is not None or _function.is_recording() or _api.in_graph():
        return cell.construct(*inputs, **kwargs)
    key = signature_of(cell.construct, inputs, {})
    entry = state.plans.get(key)
    if entry is not None and entry.bound():
        with state.lock, _api.graph_scope():
            return entry(inputs)
    from .cell_wrapper import TrainOneStepCell  # noqa: PLC0415
    if type(cell).construct is not TrainOneStepCell.construct:
        _fallback(state, "its construct is not TrainOneStepCell's, so the planned step "
                         "(forward, backward, optimizer) would not be what it does")
        return cell.construct(*inputs)
    tensors = [t for t in inputs if isinstance(t, Tensor)]
    if len(tensors) != len(inputs):
        _fallback(state, "its inputs are not all Tensors")
        return cell.construct(*inputs)
    tracer = Tracer(tensors, min_depth=1)
    with _api.graph_scope(), tracer:
        loss = cell.construct(*inputs)
    if tracer.problem is not None:
        _fallback(state, tracer.problem)
        return loss
    try:
        state.plans[key] = TrainStepPlan(cell, tracer, loss[0] if cell.return_grad else loss)
    except NotPlannable as e:
        _fallback(state, str(e))
    return loss
