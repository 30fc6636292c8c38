"""MindSpore's gradient entry points: ``GradOperation``, ``value_and_grad`` and ``grad``.

Each call records the function on this thread's tape (only the operations that depend on the
inputs or weights asked for), runs the engine, and returns gradients aligned with what was
asked. A weight that the output does not depend on gets zeros, as in MindSpore; an output that
comes out of a non-differentiable primitive raises (see :mod:`._autograd`). The outputs handed
back are cut from the tape, so no saved activation outlives the call.
"""
import numpy as np

from ..common.tensor import Tensor
from ._autograd import backprop, detach_outputs, seed_like
from ._function import recording

__all__ = ["GradOperation", "value_and_grad", "grad"]


def _as_leaf(t, position):
    if not isinstance(t, Tensor):
        raise TypeError(f"The gradient is taken with respect to input {position}, which must be a "
                        f"Tensor, but got {type(t)}.")
    return Tensor._make(t._data, t._dtype)


def _differentiate(fn, args, positions, weights, sens=None, has_aux=False):
    """Run ``fn(*args)`` on the tape; return (output, input grads, weight grads) as Tensors."""
    args = list(args)
    for i in positions:
        args[i] = _as_leaf(args[i], i)
    leaves = [args[i] for i in positions] + list(weights)
    leaf_ids = frozenset(id(t) for t in leaves)
    with recording(leaf_ids):
        out = fn(*args)
    try:
        outs = out if isinstance(out, tuple) else (out,)
        roots = outs[:1] if has_aux else outs
        for r in roots:
            if not isinstance(r, Tensor):
                raise TypeError(f"The function being differentiated must return Tensors, but "
                                f"got {type(r)}.")
        if sens is not None and len(roots) > 1:
            sens_list = sens if isinstance(sens, (tuple, list)) else (sens,) * len(roots)
        else:
            sens_list = (sens,) * len(roots)
        leaf_grads = backprop(roots, [seed_like(r, s) for r, s in zip(roots, sens_list)],
                              leaf_ids)
    finally:
        detach_outputs(out)

    def grad_of(t):
        g = leaf_grads.get(id(t))
        if g is None:
            g = np.zeros_like(t._data)
        return Tensor._make(g, t._dtype)

    return out, tuple(grad_of(args[i]) for i in positions), tuple(grad_of(w) for w in weights)


class GradOperation:
    """A higher-order function that builds the gradient function of a network or function.

    Args:
        get_all (bool): gradients w.r.t. all inputs. Default: ``False`` (only the first input).
        get_by_list (bool): gradients w.r.t. the ``weights`` given when calling. Default: ``False``.
        sens_param (bool): the gradient function takes a last extra argument ``sens``, the
            initial gradient of the output. Default: ``False`` (ones).

    ``GradOperation(get_by_list=True)(net, weights)(*inputs)`` returns a tuple of Tensors aligned
    with ``weights``; with ``get_all=True`` as well it returns ``(input_grads, weight_grads)``.
    """

    def __init__(self, get_all=False, get_by_list=False, sens_param=False):
        for name, value in (("get_all", get_all), ("get_by_list", get_by_list),
                            ("sens_param", sens_param)):
            if not isinstance(value, bool):
                raise TypeError(f"For 'GradOperation', the '{name}' must be bool, but got "
                                f"{type(value)}.")
        self.get_all, self.get_by_list, self.sens_param = get_all, get_by_list, sens_param

    def __call__(self, fn, weights=None):
        if self.get_by_list:
            if weights is None:
                raise ValueError("For 'GradOperation', 'weights' must be given when "
                                 "'get_by_list' is True.")
            weights = tuple(weights) if isinstance(weights, (list, tuple)) else (weights,)
        else:
            weights = ()

        def grad_fn(*inputs):
            sens = None
            if self.sens_param:
                if not inputs:
                    raise ValueError("For 'GradOperation' with sens_param=True, the last input "
                                     "must be the sens.")
                inputs, sens = inputs[:-1], inputs[-1]
            positions = range(len(inputs)) if self.get_all else ([0] if inputs else [])
            positions = [i for i in positions if isinstance(inputs[i], Tensor)]
            _, in_grads, w_grads = _differentiate(fn, inputs, positions, weights, sens)
            if self.get_by_list and self.get_all:
                return in_grads, w_grads
            if self.get_by_list:
                return w_grads
            if self.get_all:
                return in_grads
            return in_grads[0] if in_grads else ()

        return grad_fn


def _positions(grad_position, n_args):
    if grad_position is None:
        return []
    single = isinstance(grad_position, int)
    positions = [grad_position] if single else list(grad_position)
    for p in positions:
        if not isinstance(p, int) or not -n_args <= p < n_args:
            raise ValueError(f"'grad_position' {grad_position!r} is out of range for "
                             f"{n_args} inputs.")
    return [p % n_args for p in positions]


def _weights_tuple(weights):
    if weights is None:
        return ()
    return tuple(weights) if isinstance(weights, (list, tuple)) else (weights,)


def _pack(grad_position, in_grads, weights, w_grads):
    ins = in_grads[0] if isinstance(grad_position, int) else in_grads
    if weights is None:
        return ins
    ws = w_grads[0] if isinstance(weights, Tensor) else w_grads
    if grad_position is None:
        return ws
    return ins, ws


def value_and_grad(fn, grad_position=0, weights=None, has_aux=False):
    """``f(*args) -> (value, grads)`` where grads are w.r.t. the inputs at ``grad_position``
    and/or ``weights``, as ``mindspore.value_and_grad``. A single Parameter as ``weights`` gives
    its gradient alone (shaped like it), a list or ParameterTuple a tuple. With ``has_aux``
    only the first output is differentiated and the value is the whole output tuple."""
    if grad_position is None and weights is None:
        raise ValueError("'grad_position' and 'weights' cannot both be None.")
    w = _weights_tuple(weights)

    def wrapper(*args):
        out, in_grads, w_grads = _differentiate(fn, args, _positions(grad_position, len(args)),
                                                w, has_aux=has_aux)
        return out, _pack(grad_position, in_grads, weights, w_grads)

    return wrapper


def grad(fn, grad_position=0, weights=None, has_aux=False):
    """``f(*args) -> grads`` (and ``(grads, aux)`` with ``has_aux``), as ``mindspore.grad``."""
    vg = value_and_grad(fn, grad_position, weights, has_aux)

    def wrapper(*args):
        out, grads = vg(*args)
        return (grads, out[1:]) if has_aux else grads

    return wrapper
