"""Cold start: compile the backward-pass kernels in a helper process while this one compiles
the forward pass.

With an empty numba cache the first LeNet training step compiles every kernel, one after the
other, under numba's global compiler lock: about 9.5 s from ``import minispore`` on the 2-core
target (11-12 s before the kernels were restructured for compile time). The first convolution of a process whose cache lacks the
backward kernels therefore starts ``python -m minispore.ops._warmup``, which compiles them
(for float32, in the reverse of the order a training step needs them) into the same on-disk
cache; when this process reaches its backward pass it loads what the helper has finished and
compiles the rest itself (a race costs only duplicate work, never a wrong kernel: numba
replaces cache files atomically and checks their source stamp).

A helper process is a change to the host process the user must ask for:
``minispore.runtime.start_compile_helper()`` or ``MINISPORE_WARMUP=1`` (default off). One helper
per cold cache directory (a claim file there, taken over after 5 minutes); only with caching and
parallel kernels on (the defaults), never from a frozen application and never under an MPI
launcher (the ranks already occupy the cores). A cold cache is told by minispore's own done
file, which the helper writes when it finishes (keyed by numba's and Python's versions and the
kernels' sources), never by reading numba's private cache files.
"""
import os
import subprocess
import sys
import time

import numpy as np

__all__ = ["start_if_cold", "start_if_requested", "requested", "started"]

_state = {"started": False}
_CLAIM_SECONDS = 300  # a claim older than this is taken over (its helper must have died)


def _marker_dir():
    """Where the helper's claim and done files go: numba's cache directory when
    ``NUMBA_CACHE_DIR`` names one, else the kernels' ``__pycache__`` (numba's documented
    default place for the cache of a source file)."""
    import numba  # noqa: PLC0415
    from .. import kernels  # noqa: PLC0415
    return numba.config.CACHE_DIR or os.path.join(os.path.dirname(kernels.__file__),
                                                  "__pycache__")


def _done_name():
    """The done file's name: it changes with numba's and Python's versions and the kernels'
    sources, the things that make numba's cache miss."""
    import hashlib  # noqa: PLC0415
    import numba  # noqa: PLC0415
    from .. import kernels  # noqa: PLC0415
    digest = hashlib.sha256(f"{numba.__version__} {sys.version}".encode())
    folder = os.path.dirname(kernels.__file__)
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            with open(os.path.join(folder, name), "rb") as f:
                digest.update(f.read())
    return f"minispore-warmup-{digest.hexdigest()[:16]}.done"


def _cold():
    """The directory of the claim and done files when the helper has not yet run to the end
    for this numba, Python and kernel source, else None. minispore's own files, not numba's:
    numba's cache layout is private and changes between versions."""
    from ..kernels import _jit
    if not (_jit.CACHE and _jit.PARALLEL):
        return None
    folder = _marker_dir()
    return None if os.path.exists(os.path.join(folder, _done_name())) else folder


def _mark_done():
    """Record that the helper compiled everything (called by the helper at its end)."""
    folder = _marker_dir()
    try:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, _done_name()), "w", encoding="utf-8") as f:
            f.write("compiled by python -m minispore.ops._warmup\n")
    except OSError:
        pass  # a read-only cache: the next cold process simply starts another helper


def _claim(cache_dir):
    """One helper per cold cache: True if this process created the claim file (or it is stale).

    Several processes starting together on a cold cache (data-loader workers, a test run)
    would otherwise each start a helper and compile the same kernels side by side."""
    path = os.path.join(cache_dir, "minispore-warmup.claim")
    try:
        os.makedirs(cache_dir, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        try:
            if time.time() - os.path.getmtime(path) < _CLAIM_SECONDS:
                return False
            os.utime(path)  # a helper that died long ago: take over
            return True
        except OSError:
            return False
    except OSError:
        return False
    os.close(fd)
    return True


def requested():
    """Whether ``MINISPORE_WARMUP`` asks for the helper (default: no)."""
    return os.environ.get("MINISPORE_WARMUP", "0").strip().lower() not in (
        "", "0", "false", "no", "off")


def start_if_requested():
    """``start_if_cold()`` if the environment asks for it (called at the first convolution)."""
    return start_if_cold() if requested() else None


def started():
    """Whether this process has started (or tried to start) the helper."""
    return _state["started"]


def start_if_cold():
    """Start the helper once per process when the cache is cold; returns the Popen or None."""
    if _state["started"]:
        return None
    _state["started"] = True
    if getattr(sys, "frozen", False):  # sys.executable is the application, not Python
        return None
    from ..communication._world import launched_by_mpi  # noqa: PLC0415
    if launched_by_mpi():
        return None
    cache_dir = _cold()
    if not cache_dir or not _claim(cache_dir):
        return None
    # The helper must import this very minispore even when it is not installed (a script that
    # put a source checkout on sys.path itself).
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    try:
        return subprocess.Popen([sys.executable, "-m", "minispore.ops._warmup"], env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    except OSError:
        return None


def compile_backward_kernels():
    """Call each backward kernel once on tiny float32 inputs shaped like a LeNet step's, last
    needed first, so their float32 signatures land in the cache."""
    from .function import nn_func as F
    from .function import pooling_func as P
    from .function.optim_func import apply_momentum
    from ..common.parameter import Parameter
    f32 = np.float32
    rng = np.random.default_rng(0)
    p, m = Parameter(np.zeros(4, f32), name="p"), Parameter(np.zeros(4, f32), name="m")
    apply_momentum([p], [np.ones(4, f32)], [m], 0.1, 0.9)
    x = rng.standard_normal((2, 6, 14, 14)).astype(f32)
    w = rng.standard_normal((16, 6, 5, 5)).astype(f32)
    dy = rng.standard_normal((2, 16, 10, 10)).astype(f32)
    conv = F.Conv2D()
    conv.forward(x, w, (1, 1), (0, 0, 0, 0), (1, 1), 1)
    conv.needs = (True, True)
    conv.backward(dy)
    pool = P.MaxPool2D()
    y = pool.forward(dy, (2, 2), (2, 2), (0, 0, 0, 0))
    pool.route(y, True)

if __name__ == "__main__":
    os.environ["MINISPORE_WARMUP"] = "0"
    compile_backward_kernels()
    _mark_done()
