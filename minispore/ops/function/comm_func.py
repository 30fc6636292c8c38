"""Collective communication primitives (``ops.AllReduce``, ``ops.AllGather``, ``ops.Broadcast``).

They run over the world of ``minispore.communication.init()`` (MPI under ``mpiexec``, a world
of one process otherwise) and are differentiable, as MindSpore's:

* ``AllReduce`` sum: the gradient of every rank's input is the sum over ranks of the output
  gradients (an AllReduce of ``dy``); max/min route that sum to the elements that were the
  extreme; prod multiplies it by ``out / x``.
* ``AllGather``: each rank's input gradient is its own slice of the summed output gradient.
* ``Broadcast``: the root's input gradient is the sum over ranks of ``dy``; the other ranks'
  inputs did not reach the output, so theirs is zero.

Every rank must call a collective (and its backward) in the same order, with the same shape and
dtype. The functional forms are ``ops.all_reduce``, ``ops.all_gather_into_tensor`` and
``ops.broadcast`` (MindSpore's ``communication.comm_func`` names).
"""
import numbers

import numpy as np

from ..._checkparam import Problems, as_tensor
from ...communication import _collective, management
from ...communication.management import GlobalComm
from .._function import Function, Primitive

__all__ = ["ReduceOp"]

_WORLD = GlobalComm.WORLD_COMM_GROUP


class ReduceOp:
    """The reductions of ``AllReduce`` (``mindspore.ops.ReduceOp``)."""

    SUM = "sum"
    MAX = "max"
    MIN = "min"
    PROD = "prod"


def _check_group(op, group, problems):
    try:
        management._check_group(group, op)
    except (TypeError, ValueError) as e:
        problems.add(str(e).split(", ", 1)[-1].rstrip("."), type_error=isinstance(e, TypeError))


class AllReduce(Function):
    """``tensor`` reduced element-wise over all ranks with ``op`` (sum, max, min or prod);
    every rank gets the result."""
    name = "all_reduce"
    primitives = {"AllReduce": Primitive({"op": ReduceOp.SUM, "group": _WORLD},
                                         call=lambda fn, p, x: fn(x, p.op, p.group))}

    @classmethod
    def check(cls, tensor, op=ReduceOp.SUM, group=_WORLD):
        problems = Problems("AllReduce")
        x = as_tensor("AllReduce", "tensor", tensor, problems)
        if op not in _collective.REDUCE_OPS:
            problems.add(f"'op' must be one of {list(_collective.REDUCE_OPS)}, but got {op!r}")
        _check_group("AllReduce", group, problems)
        problems.raise_if_any()
        return (x,), {"op": op}

    def forward(self, x, op):
        out = _collective.allreduce(np.array(x, order="C", copy=True), op)
        self.op = op
        if op in (ReduceOp.MAX, ReduceOp.MIN):
            self.winner = x == out
        elif op == ReduceOp.PROD:
            self.x, self.out = x, out
        return out

    def backward(self, dy):
        total = _collective.allreduce(np.array(dy, order="C", copy=True), "sum")
        if self.op in (ReduceOp.MAX, ReduceOp.MIN):
            return (total * self.winner,)
        if self.op == ReduceOp.PROD:
            return ((total * self.out / self.x).astype(dy.dtype, copy=False),)
        return (total,)


class AllGather(Function):
    """Every rank's ``tensor`` concatenated along the first axis, in rank order (all ranks
    must pass the same shape and dtype)."""
    name = "all_gather_into_tensor"
    primitives = {"AllGather": Primitive({"group": _WORLD},
                                         call=lambda fn, p, x: fn(x, p.group))}

    @classmethod
    def check(cls, tensor, group=_WORLD):
        problems = Problems("AllGather")
        x = as_tensor("AllGather", "tensor", tensor, problems)
        if x is not None and x.ndim == 0:
            problems.add("'tensor' must have at least one dimension to concatenate along, but "
                         "got a scalar")
        _check_group("AllGather", group, problems)
        problems.raise_if_any()
        return (x,), {}

    def forward(self, x):
        stacked = _collective.allgather(np.ascontiguousarray(x))
        self.rows = x.shape[0]
        return stacked.reshape((-1,) + x.shape[1:])

    def backward(self, dy):
        total = _collective.allreduce(np.array(dy, order="C", copy=True), "sum")
        start = management.get_rank() * self.rows
        return (np.ascontiguousarray(total[start:start + self.rows]),)


class Broadcast(Function):
    """Rank ``src``'s ``tensor`` on every rank (same shape and dtype on all ranks)."""
    name = "broadcast"
    primitives = {"Broadcast": Primitive(
        {"root_rank": None, "group": _WORLD},
        call=lambda fn, p, xs: tuple(fn(x, p.root_rank, p.group) for x in xs))}

    @classmethod
    def check(cls, tensor, src=0, group=_WORLD):
        problems = Problems("Broadcast")
        x = as_tensor("Broadcast", "tensor", tensor, problems)
        if isinstance(src, bool) or not isinstance(src, numbers.Integral):
            problems.add(f"'src' (root_rank) must be an int, but got {type(src).__name__}",
                         type_error=True)
        _check_group("Broadcast", group, problems)
        problems.raise_if_any()
        return (x,), {"src": int(src)}

    def forward(self, x, src):
        self.src = src
        return _collective.broadcast(np.array(x, order="C", copy=True), src)

    def backward(self, dy):
        total = _collective.allreduce(np.array(dy, order="C", copy=True), "sum")
        if management.get_rank() != self.src:
            total[...] = 0
        return (total,)
