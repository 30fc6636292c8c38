"""Running tests/_dp_worker.py under ``mpiexec -n 2`` (skipped when MPI is not installed)."""
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKER = os.path.join(ROOT, "tests", "_dp_worker.py")
LAUNCHER_VARIABLES = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE",
                      "OMPI_COMM_WORLD_RANK", "MPI_LOCALRANKID", "MPI_LOCALNRANKS")


def _mpiexec():
    try:
        import mpi4py  # noqa: F401, PLC0415
    except ImportError:
        return None
    return shutil.which("mpiexec")


needs_mpi = pytest.mark.skipif(_mpiexec() is None,
                               reason="needs mpi4py and mpiexec (pip install 'minispore[dist]')")


def clean_env():
    """This environment without launcher variables, with this checkout on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in LAUNCHER_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    return env


def run_worker(mode, out_dir, ranks=2, timeout=120):
    """``mpiexec -n ranks python _dp_worker.py mode out_dir``; the CompletedProcess (a hang
    fails the test through the timeout instead of blocking the suite)."""
    cmd = [_mpiexec(), "-n", str(ranks), sys.executable, WORKER, mode, str(out_dir)]
    return subprocess.run(cmd, env=clean_env(), capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT)
