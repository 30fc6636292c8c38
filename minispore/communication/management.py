"""``mindspore.communication.management``: start the process group and ask who is who.

``init()`` under ``mpiexec`` joins the MPI job (mpi4py); without a launcher it sets up a world
of one process, so ``init(); get_rank()`` works in a plain ``python`` run too. Only the world
group exists: ``group`` arguments accept its names (``GlobalComm.WORLD_COMM_GROUP``,
``"hccl_world_group"``, ``"nccl_world_group"``, ``"mccl_world_group"``).
"""
from . import _failure, _threads, _world

__all__ = ["GlobalComm", "init", "release", "get_rank", "get_local_rank", "get_group_size",
           "get_local_rank_size", "HCCL_WORLD_COMM_GROUP", "NCCL_WORLD_COMM_GROUP",
           "MCCL_WORLD_COMM_GROUP"]

HCCL_WORLD_COMM_GROUP = "hccl_world_group"
NCCL_WORLD_COMM_GROUP = "nccl_world_group"
MCCL_WORLD_COMM_GROUP = "mccl_world_group"
_WORLD_GROUPS = (HCCL_WORLD_COMM_GROUP, NCCL_WORLD_COMM_GROUP, MCCL_WORLD_COMM_GROUP)
_BACKENDS = (None, "hccl", "nccl", "mccl", "mpi")


class GlobalComm:
    """MindSpore's record of the communication state: backend, world group name, inited."""

    BACKEND = "mpi"
    WORLD_COMM_GROUP = HCCL_WORLD_COMM_GROUP
    INITED = False
    CHECK_ENVS = True


_state = {"world": None, "threads": None}


def init(backend_name=None):
    """Initialise communication: join the MPI job when started by ``mpiexec``/``mpirun``, else
    run as a world of one process.

    Args:
        backend_name (str): accepted for MindSpore scripts: None, 'hccl', 'nccl', 'mccl' or
            'mpi'; minispore always communicates through MPI. Default: None.

    Process-wide changes ``init()`` makes under MPI (and only then):

    * when several ranks share this host, numba's and BLAS's thread counts become
      ``cores // ranks_on_host`` (see ``minispore.communication._threads``;
      ``MINISPORE_THREADS_PER_RANK`` overrides);
    * ``sys.excepthook`` aborts the whole job when this rank raises, printing
      ``rank N failed: ...``, so the other ranks never hang in a collective.

    Calling it again is a no-op.
    """
    if backend_name not in _BACKENDS:
        raise ValueError(f"For 'init', 'backend_name' must be one of {list(_BACKENDS)}, but got "
                         f"{backend_name!r}.")
    if _state["world"] is not None:
        return
    world = _world.create_world()
    _state["world"] = world
    GlobalComm.INITED = True
    if world.backend == "mpi":
        _failure.install_abort_on_exception(world)
        _state["threads"] = _threads.apply(world.local_size)


def release():
    """Leave the process group (``MPI_Finalize`` under MPI); ``init()`` cannot be called
    again afterwards under MPI."""
    world = _state["world"]
    if world is None:
        raise RuntimeError("For 'release', distributed communication has not been initialized: "
                           "call minispore.communication.init() first.")
    world.release()
    _state["world"] = None
    GlobalComm.INITED = False


def world():
    """The initialised world (private: for the collectives)."""
    if _state["world"] is None:
        raise RuntimeError("Distributed communication has not been initialized: call "
                           "minispore.communication.init() first.")
    return _state["world"]


def is_initialized():
    """True after ``init()`` (and before ``release()``)."""
    return _state["world"] is not None


def _check_group(group, func):
    if not isinstance(group, str):
        raise TypeError(f"For '{func}', 'group' must be a str, but got {type(group).__name__}.")
    if group not in _WORLD_GROUPS:
        raise ValueError(f"For '{func}', minispore has only the world group "
                         f"{list(_WORLD_GROUPS)}, but got group {group!r}.")
    return world()


def get_rank(group=GlobalComm.WORLD_COMM_GROUP):
    """This process's rank in ``group`` (0 .. size - 1)."""
    return _check_group(group, "get_rank").rank


def get_group_size(group=GlobalComm.WORLD_COMM_GROUP):
    """Number of processes in ``group``."""
    return _check_group(group, "get_group_size").size


def get_local_rank(group=GlobalComm.WORLD_COMM_GROUP):
    """This process's rank among the processes of ``group`` on this host."""
    return _check_group(group, "get_local_rank").local_rank


def get_local_rank_size(group=GlobalComm.WORLD_COMM_GROUP):
    """Number of processes of ``group`` on this host."""
    return _check_group(group, "get_local_rank_size").local_size


def threads_per_rank():
    """The numba/BLAS thread count ``init()`` set, or None when it changed nothing."""
    return _state["threads"]
