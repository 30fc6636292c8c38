"""One failing rank ends the whole job: no rank waits forever in a collective.

If rank 1 raises while rank 0 waits in an Allreduce, rank 0 would wait forever. After
``init()`` under MPI, an uncaught exception (``sys.excepthook``) prints
``minispore: rank 1 failed: ValueError: ...`` with its traceback to stderr and calls
``MPI_Abort``: the launcher then stops every rank within seconds and exits non-zero. A rank
killed by a signal is handled by the launcher itself (hydra prints ``BAD TERMINATION``).

A rank leaving through ``sys.exit(code)`` with a non-zero code (argparse's ``parser.error``
does) would otherwise sit in ``MPI_Finalize`` while the others wait: ``init()`` wraps
``sys.exit`` to note the code, and an exit handler (run before mpi4py's ``MPI_Finalize``)
aborts the job with that code.
"""
import atexit
import sys
import time
import traceback

__all__ = ["install_abort_on_exception"]

# MPI_Abort makes the launcher kill every rank at once, and output still in the pipe to the
# launcher can be lost with them: the message is flushed, then the rank waits this long.
_FLUSH_SECONDS = 1.0

_state = {"installed": False}


def install_abort_on_exception(world):
    """Make an uncaught exception in the main thread abort the MPI job (idempotent)."""
    if _state["installed"]:
        return
    _state["installed"] = True
    previous = sys.excepthook

    def abort_job(exc_type, exc, tb):
        if world.size <= 1:
            previous(exc_type, exc, tb)
            return
        try:
            message = "".join(traceback.format_exception(exc_type, exc, tb))
            sys.stderr.write(message)
            sys.stderr.write(f"minispore: rank {world.rank} failed: {exc_type.__name__}: {exc}; "
                             f"aborting all {world.size} ranks\n")
            sys.stderr.flush()
            time.sleep(_FLUSH_SECONDS)
        finally:
            world.abort(1)

    sys.excepthook = abort_job

    exit_code = {"code": 0}
    original_exit = sys.exit

    def exit_noting_code(code=None):
        exit_code["code"] = code
        original_exit(code)

    def abort_on_failed_exit():
        code = exit_code["code"]
        if world.size > 1 and code not in (None, 0):
            sys.stderr.write(f"minispore: rank {world.rank} exited with status {code}; aborting "
                             f"all {world.size} ranks\n")
            sys.stderr.flush()
            time.sleep(_FLUSH_SECONDS)
            world.abort(code if isinstance(code, int) else 1)

    sys.exit = exit_noting_code
    atexit.register(abort_on_failed_exit)
