"""Which rank speaks for a data-parallel job.

In data-parallel mode every rank holds the same parameters, so one rank is enough to print the
loss, time the epochs and write checkpoints: rank 0 does it, the others stay silent. Two
processes never write one file. In stand-alone mode (the default, also under ``mpiexec``) every
process is its own run and keeps its output.
"""
from ..._auto_parallel import ParallelMode, get_auto_parallel_context
from ...communication import management

__all__ = ["is_main_rank", "data_parallel_world_size"]


def data_parallel_world_size():
    """The number of ranks when training data-parallel after ``init()``, else 1."""
    if get_auto_parallel_context("parallel_mode") not in (ParallelMode.DATA_PARALLEL,
                                                          ParallelMode.HYBRID_PARALLEL):
        return 1
    return management.get_group_size() if management.is_initialized() else 1


def is_main_rank():
    """False only on ranks other than 0 of a data-parallel job."""
    return data_parallel_world_size() == 1 or management.get_rank() == 0
