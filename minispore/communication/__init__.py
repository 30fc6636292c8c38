"""``mindspore.communication``: the process group of data-parallel training, on MPI.

Launch with ``mpiexec -n 2 python train.py``; ``init()`` joins the job through mpi4py (MPICH
from PyPI: ``pip install 'minispore[dist]'``). Without a launcher, ``init()`` makes a world of
one process and nothing MPI is imported. The collectives themselves are ``ops.AllReduce``,
``ops.AllGather`` and ``ops.Broadcast``; ``nn.DistributedGradReducer`` uses them for training.
"""
from .management import (GlobalComm, HCCL_WORLD_COMM_GROUP, MCCL_WORLD_COMM_GROUP,
                         NCCL_WORLD_COMM_GROUP, get_group_size, get_local_rank,
                         get_local_rank_size, get_rank, init, release)

__all__ = ["GlobalComm", "init", "release", "get_rank", "get_group_size", "get_local_rank",
           "get_local_rank_size", "HCCL_WORLD_COMM_GROUP", "NCCL_WORLD_COMM_GROUP",
           "MCCL_WORLD_COMM_GROUP"]
