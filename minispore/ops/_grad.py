"""MindSpore's gradient entry points: ``GradOperation``, ``value_and_grad`` and ``grad``.

Each call records the function on this thread's tape (only the operations that depend on the
inputs or weights asked for), runs the engine, and returns gradients aligned with what was
asked. A weight that the output does not depend on gets zeros, as in MindSpore; an output that
comes out of a non-differentiable primitive raises (see :mod:`._autograd`). The outputs handed
back are cut from the tape, so no saved activation outlives the call.
"""
import numpy as np

from ..common.parameter import Parameter
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
    single = isinstance(grad_position, int) and not isinstance(grad_position, bool)
    positions = [grad_position] if single else list(grad_position)
    for p in positions:
        if isinstance(p, bool) or not isinstance(p, int):
            raise TypeError(f"'grad_position' must be an int, a tuple of ints or None, but got "
                            f"{grad_position!r}.")
        if not -n_args <= p < n_args:
            raise ValueError(f"'grad_position' {grad_position!r} is out of range for "
                             f"{n_args} inputs.")
    return [p % n_args for p in positions]


def _check_arguments(func, grad_position, weights, has_aux, return_ids):
    """The argument checks shared by ``grad`` and ``value_and_grad``; returns the weights."""
    if grad_position is None and weights is None:
        raise ValueError(f"For '{func}', 'grad_position' and 'weights' cannot both be None.")
    if grad_position is not None and not isinstance(grad_position, (int, tuple)) or \
            isinstance(grad_position, bool):
        raise TypeError(f"For '{func}', 'grad_position' must be an int, a tuple of ints or "
                        f"None, but got {type(grad_position).__name__}.")
    if isinstance(grad_position, tuple) and not grad_position:
        raise ValueError(f"For '{func}', 'grad_position' must not be an empty tuple.")
    for name, flag in (("has_aux", has_aux), ("return_ids", return_ids)):
        if not isinstance(flag, bool):
            raise TypeError(f"For '{func}', '{name}' must be bool, but got "
                            f"{type(flag).__name__}.")
    w = _weights_tuple(weights)
    for i, p in enumerate(w):
        if not isinstance(p, Parameter):
            raise TypeError(f"For '{func}', 'weights' must be a Parameter, a list of Parameters "
                            f"or a ParameterTuple, but element {i} is {type(p).__name__}.")
    return w


def _weights_tuple(weights):
    if weights is None:
        return ()
    return tuple(weights) if isinstance(weights, (list, tuple)) else (weights,)


def _pack(grad_position, positions, in_grads, weights, w_grads, return_ids):
    if return_ids:
        in_grads = tuple((i, g) for i, g in zip(positions, in_grads))
        w_grads = tuple((p.name, g) for p, g in zip(_weights_tuple(weights), w_grads))
    ins = in_grads[0] if isinstance(grad_position, int) else in_grads
    if weights is None:
        return ins
    ws = w_grads[0] if isinstance(weights, Parameter) else w_grads
    if grad_position is None:
        return ws
    return ins, ws


def _aux_checked(out):
    if not isinstance(out, tuple) or len(out) < 2:
        raise ValueError("When has_aux is True, the function being differentiated must return "
                         f"a tuple of more than one output, but it returned {type(out).__name__}"
                         + (f" of {len(out)}" if isinstance(out, tuple) else "") + ".")
    return out


def value_and_grad(fn, grad_position=0, weights=None, has_aux=False, return_ids=False):
    """``f(*args) -> (value, grads)`` where grads are w.r.t. the inputs at ``grad_position``
    (an int gives one gradient, a tuple a tuple, None none) and/or ``weights``, as
    ``mindspore.value_and_grad``. A single Parameter as ``weights`` gives its gradient alone
    (shaped like it), a list or ParameterTuple a tuple; with both, ``(input_grads,
    weight_grads)``. With ``has_aux`` (``fn`` must return 2+ outputs) only the first output is
    differentiated and the value is the whole output tuple. With ``return_ids`` every gradient
    becomes ``(input index or parameter name, gradient)``."""
    w = _check_arguments("value_and_grad", grad_position, weights, has_aux, return_ids)

    def wrapper(*args):
        positions = _positions(grad_position, len(args))
        out, in_grads, w_grads = _differentiate(fn, args, positions, w, has_aux=has_aux)
        if has_aux:
            _aux_checked(out)
        return out, _pack(grad_position, positions, in_grads, weights, w_grads, return_ids)

    return wrapper


def grad(fn, grad_position=0, weights=None, has_aux=False, return_ids=False):
    """``f(*args) -> grads``, as ``mindspore.grad`` (same arguments as :func:`value_and_grad`);
    with ``has_aux``, ``(grads, aux)`` where ``aux`` is the tuple of outputs after the first,
    not differentiated."""
    _check_arguments("grad", grad_position, weights, has_aux, return_ids)
    vg = value_and_grad(fn, grad_position, weights, has_aux, return_ids)

    def wrapper(*args):
        out, grads = vg(*args)
        return (grads, out[1:]) if has_aux else grads

    return wrapper
