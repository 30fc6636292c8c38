"""Collectives on numpy arrays over the initialised world, with a count of what was sent.

These are the only functions that move data between ranks; ``ops.AllReduce`` and
``nn.DistributedGradReducer`` call them. ``traffic`` counts calls and payload bytes (the bytes
each rank contributes), so a benchmark can check that one step sends exactly the gradients.
"""
import numpy as np

from . import management

__all__ = ["allreduce", "allgather", "broadcast", "traffic", "reset_traffic"]

traffic = {"allreduce_calls": 0, "allreduce_bytes": 0, "allgather_calls": 0,
           "broadcast_calls": 0}
REDUCE_OPS = ("sum", "max", "min", "prod")


def reset_traffic():
    """Zero the counters in ``traffic``."""
    for key in traffic:
        traffic[key] = 0


def _contiguous(array, name):
    if not isinstance(array, np.ndarray):
        raise TypeError(f"For '{name}', expected a numpy array, but got {type(array).__name__}.")
    return array if array.flags.c_contiguous and array.flags.writeable \
        else np.ascontiguousarray(array).copy()


def allreduce(array, op="sum"):
    """Element-wise ``op`` ('sum', 'max', 'min', 'prod') of ``array`` over all ranks; returns
    the reduced array (``array`` itself, reduced in place, when it is C-contiguous and
    writeable; else a reduced copy). Every rank must pass the same shape and dtype."""
    if op not in REDUCE_OPS:
        raise ValueError(f"For 'allreduce', 'op' must be one of {list(REDUCE_OPS)}, but got "
                         f"{op!r}.")
    buffer = _contiguous(array, "allreduce")
    traffic["allreduce_calls"] += 1
    traffic["allreduce_bytes"] += buffer.nbytes
    return management.world().allreduce(buffer, op)


def allgather(array):
    """Every rank's ``array`` stacked along a new first axis, in rank order. Shapes and dtypes
    are compared first, so a mismatch is a ValueError on every rank instead of a hang."""
    buffer = _contiguous(array, "allgather")
    world = management.world()
    if world.size > 1:
        shapes = world.comm.allgather((buffer.shape, buffer.dtype.str))
        if len(set(shapes)) > 1:
            raise ValueError(f"For 'AllGather', every rank must pass the same shape and dtype, "
                             f"but the ranks passed {shapes}.")
    traffic["allgather_calls"] += 1
    return np.stack(world.allgather(buffer))


def broadcast(array, root=0):
    """``array`` of rank ``root`` on every rank (in place when contiguous and writeable)."""
    world = management.world()
    if not 0 <= root < world.size:
        raise ValueError(f"For 'Broadcast', 'root_rank' must be in [0, {world.size - 1}], but "
                         f"got {root}.")
    buffer = _contiguous(array, "broadcast")
    traffic["broadcast_calls"] += 1
    return world.bcast(buffer, root)
