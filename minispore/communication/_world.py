"""The process group minispore trains in: MPI (mpi4py) under a launcher, else one process.

``mpiexec``/``mpirun`` (MPICH's hydra, Open MPI, Intel MPI, Slurm's PMI) put their rank
variables into each process's environment; only then is mpi4py imported (importing it
initialises MPI). A plain ``python train.py`` never loads MPI and runs as a world of one, so
the same script works with and without a launcher.
"""
import os
import sys

__all__ = ["launched_by_mpi", "SingleWorld", "MPIWorld", "create_world"]

# Variables a launcher sets in every process it starts (MPICH/hydra and Intel MPI: PMI_*,
# MPI_LOCALRANKID; Open MPI: OMPI_COMM_WORLD_*; PMIx-based launchers: PMIX_RANK).
LAUNCHER_VARIABLES = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE",
                      "OMPI_COMM_WORLD_RANK", "MPI_LOCALRANKID", "MPI_LOCALNRANKS")


def launched_by_mpi(environ=None):
    """True when this process was started by an MPI launcher with more than one process or
    with rank variables set (``mpiexec -n 1`` counts too)."""
    environ = os.environ if environ is None else environ
    return any(name in environ for name in LAUNCHER_VARIABLES)


class SingleWorld:
    """A world of one process: collectives are identities, abort exits this process."""

    backend = "single"
    rank, size, local_rank, local_size = 0, 1, 0, 1

    def allreduce(self, buffer, op="sum"):
        return buffer

    def allgather(self, array):
        return [array]

    def bcast(self, buffer, root=0):
        return buffer

    def bcast_object(self, obj, root=0):
        return obj

    def barrier(self):
        pass

    def abort(self, code=1):
        sys.stderr.flush()
        os._exit(code)

    def release(self):
        pass


class MPIWorld:
    """``MPI.COMM_WORLD`` through mpi4py; ``local_*`` come from the shared-memory split (the
    processes on this host)."""

    backend = "mpi"

    def __init__(self):
        try:
            from mpi4py import MPI  # noqa: PLC0415  (initialises MPI: only under a launcher)
        except ImportError as e:
            raise RuntimeError(
                "minispore.communication.init(): this process was started by an MPI launcher "
                "(mpiexec/mpirun) but mpi4py cannot be imported; install the 'dist' extra: "
                f"pip install 'minispore[dist]' (mpi4py, mpich). ({e})") from None
        self.MPI = MPI
        self.comm = MPI.COMM_WORLD
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.local_comm = self.comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = self.local_comm.Get_rank(), self.local_comm.Get_size()
        self._ops = {"sum": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN, "prod": MPI.PROD}

    def allreduce(self, buffer, op="sum"):
        """Reduce the contiguous numpy ``buffer`` over all ranks, in place; returns it."""
        self.comm.Allreduce(self.MPI.IN_PLACE, buffer, op=self._ops[op])
        return buffer

    def allgather(self, array):
        """Every rank's ``array`` (same shape and dtype on all ranks), in rank order."""
        out = __import__("numpy").empty((self.size,) + array.shape, array.dtype)
        self.comm.Allgather(array, out)
        return list(out)

    def bcast(self, buffer, root=0):
        self.comm.Bcast(buffer, root=root)
        return buffer

    def bcast_object(self, obj, root=0):
        return self.comm.bcast(obj, root=root)

    def barrier(self):
        self.comm.Barrier()

    def abort(self, code=1):
        sys.stderr.flush()
        sys.stdout.flush()
        self.comm.Abort(code)

    def release(self):
        if not self.MPI.Is_finalized():
            self.local_comm.Free()
            self.MPI.Finalize()


def create_world():
    """An :class:`MPIWorld` under a launcher, else a :class:`SingleWorld`."""
    return MPIWorld() if launched_by_mpi() else SingleWorld()
