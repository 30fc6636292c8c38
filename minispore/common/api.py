"""``mindspore.jit`` (also ``mindspore.common.api.jit``): compile a function or a Cell's
``construct`` into a static plan for each input signature.

This module holds only the public decorator and the per-function state; the planner lives
above (``minispore.ops._plan`` registers itself here as the backend when ``minispore.ops`` is
imported, so this module imports nothing above ``common``). What the planner does:

* the first call for an input signature (the shapes and dtypes of the Tensor arguments, the
  values of the others) runs the function in PyNative while recording the primitives it
  calls; from that record it builds a plan: the kernels in order, every intermediate buffer
  allocated once and reused by every later call with that signature;
* a new signature traces again;
* if the function's Python control flow depends on Tensor values (a Tensor turned into a bool,
  a number or a numpy array while tracing), or it does something the planner cannot replay,
  the function keeps running in PyNative and one warning says why (``fullgraph=True`` makes
  that an error instead, as MindSpore's).

Results equal PyNative's: the plan calls the same kernels on the same arrays.
"""
import functools
import threading
import weakref

__all__ = ["jit", "JitConfig"]

_CAPTURE_MODES = ("ast", "bytecode", "trace")
_JIT_LEVELS = ("O0", "O1", "O2")
_LEGACY_MODES = ("PSJit", "PIJit")

_backend = {"run": None}
_local = threading.local()


def _set_backend(run):
    """Install the planner: ``run(state, fn, args, kwargs)`` (called by ``minispore.ops``)."""
    _backend["run"] = run


def in_graph():
    """True while this thread traces or replays a plan (nested cells then run as they are)."""
    return getattr(_local, "depth", 0) > 0


class graph_scope:
    """Marks this thread as inside a trace or a replay while the ``with`` block runs."""

    def __enter__(self):
        _local.depth = getattr(_local, "depth", 0) + 1
        return self

    def __exit__(self, *exc):
        _local.depth -= 1


class JitConfig:
    """MindSpore's ``JitConfig(jit_level='', exc_mode='auto', jit_syntax_level='', debug_level=
    'RELEASE', infer_boost='off', **kwargs)``: accepted and stored; minispore has one plan
    level."""

    def __init__(self, jit_level="", exc_mode="auto", jit_syntax_level="", debug_level="RELEASE",
                 infer_boost="off", **kwargs):
        self.jit_config_dict = dict(jit_level=jit_level, exc_mode=exc_mode,
                                    jit_syntax_level=jit_syntax_level, debug_level=debug_level,
                                    infer_boost=infer_boost, **kwargs)


class JitState:
    """What the planner keeps per jitted function (or per Cell): plans by signature, and why
    it runs in PyNative if it does."""

    def __init__(self, name, fullgraph=False):
        self.name = name
        self.fullgraph = fullgraph
        self.plans = {}
        self.fallback = None  # the reason, once the function is known not to plan
        self.warned = False
        self.lock = threading.Lock()  # a plan's buffers serve one call at a time


def _check_options(capture_mode, jit_level, dynamic, fullgraph, backend, mode, jit_config):
    if capture_mode not in _CAPTURE_MODES:
        raise ValueError(f"For 'jit', 'capture_mode' must be one of {_CAPTURE_MODES}, but got "
                         f"{capture_mode!r}.")
    if jit_level not in _JIT_LEVELS:
        raise ValueError(f"For 'jit', 'jit_level' must be one of {_JIT_LEVELS}, but got "
                         f"{jit_level!r}.")
    if dynamic not in (0, 1) or isinstance(dynamic, bool):
        raise ValueError(f"For 'jit', 'dynamic' must be 0 or 1, but got {dynamic!r}.")
    if not isinstance(fullgraph, bool):
        raise TypeError(f"For 'jit', 'fullgraph' must be bool, but got {type(fullgraph)}.")
    if backend not in ("", "ms_backend", "GE"):
        raise ValueError(f"For 'jit', 'backend' must be '', 'ms_backend' or 'GE', but got "
                         f"{backend!r}.")
    if mode not in _LEGACY_MODES:
        raise ValueError(f"For 'jit', 'mode' must be one of {_LEGACY_MODES}, but got {mode!r}.")
    if jit_config is not None and not isinstance(jit_config, (JitConfig, dict)):
        raise TypeError(f"For 'jit', 'jit_config' must be a JitConfig, but got "
                        f"{type(jit_config)}.")


def jit(function=None, *, capture_mode="ast", jit_level="O0", dynamic=0, fullgraph=False,
        backend="", mode="PSJit", input_signature=None, hash_args=None, jit_config=None,
        compile_once=False, fn=None, **options):
    """Compile ``function`` (a Python function, a Cell's ``construct``, or a Cell) into a plan
    per input signature; usable as ``@jit`` and ``@jit(...)``.

    Args:
        function (Callable): what to compile. Default: ``None`` (returns a decorator).
        capture_mode (str): 'ast', 'bytecode' or 'trace'; minispore always traces. Default 'ast'.
        jit_level (str): 'O0', 'O1' or 'O2'; accepted. Default 'O0'.
        dynamic (int): 0 or 1; accepted (every new shape traces again). Default 0.
        fullgraph (bool): raise instead of falling back to PyNative when the function cannot
            be planned. Default ``False``.
        backend (str): '', 'ms_backend' or 'GE'; accepted. Default ''.
        mode, input_signature, hash_args, jit_config, compile_once: MindSpore 2.0-2.4's
            arguments, accepted so older scripts run (``mode`` 'PSJit' or 'PIJit').
        **options: backend options, accepted and ignored.

    Returns:
        A callable with ``function``'s signature, or a decorator when ``function`` is None.
    """
    if function is None and fn is not None:
        function = fn
    _check_options(capture_mode, jit_level, dynamic, fullgraph, backend, mode, jit_config)

    def wrap(func):
        if not callable(func):
            raise TypeError(f"For 'jit', the decorated object must be callable, but got "
                            f"{type(func)}.")
        return _JitFunction(func, fullgraph)

    return wrap if function is None else wrap(function)


def run(state, func, args, kwargs):
    """Call ``func`` through the planner (PyNative if no planner is installed)."""
    runner = _backend["run"]
    if runner is None or in_graph():
        return func(*args, **kwargs)
    return runner(state, func, args, kwargs)


class _JitFunction:
    """The callable ``jit`` returns; as a class attribute (``construct``) it binds like a
    method, with one plan cache per instance."""

    def __init__(self, func, fullgraph):
        functools.update_wrapper(self, func)
        self._func = func
        self._fullgraph = fullgraph
        self._state = JitState(getattr(func, "__qualname__", repr(func)), fullgraph)
        self._per_instance = weakref.WeakKeyDictionary()

    def __call__(self, *args, **kwargs):
        return run(self._state, self._func, args, kwargs)

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        state = self._per_instance.get(obj)
        if state is None:
            state = self._per_instance[obj] = JitState(
                f"{type(obj).__name__}.{getattr(self._func, '__name__', 'function')}",
                self._fullgraph)
        bound = self._func.__get__(obj, objtype)
        return lambda *args, **kwargs: run(state, bound, args, kwargs)

    def __repr__(self):
        return f"jit({self._func!r})"
