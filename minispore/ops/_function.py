"""``Function``: the one declaration of a primitive, and everything derived from it.

A primitive is one ``Function`` subclass that owns all there is to say about it:

* ``check(cls, *args, **kwargs) -> (inputs, attrs)``: the public signature. It validates the
  user's arguments once, collecting every problem into one error (see :class:`Problems`), and
  returns the input Tensors and the normalised attributes;
* ``forward(self, *arrays, **attrs)``: allocation and kernel choice, on numpy arrays; returns an
  array, or a tuple of arrays for a multi-output primitive;
* ``backward(self, *dys)``: one gradient per input (``None`` where there is none), computing
  only those in ``self.needs``. What forward keeps on ``self`` is released by the engine once
  backward has run.

From the class attributes the op layer derives, without writing them again:

* ``name = "avg_pool2d"``: the functional form ``ops.avg_pool2d`` (signature and docstring of
  ``check``);
* ``tensor_methods = ("reshape",)``: Tensor methods calling the functional form with the tensor
  first (or a ``{name: adapter}`` dict for a method whose signature differs);
* ``primitives = {"AvgPool": Primitive(...)}``: MindSpore's 1.x primitive classes.

``differentiable = False`` marks a primitive without a gradient (comparisons, argmax): its
outputs never join the tape, and the engine refuses to differentiate through them.
"""
import inspect
import threading

from ..common.tensor import Tensor

__all__ = ["Function", "Primitive", "REGISTRY", "recording", "is_recording", "wanted"]

REGISTRY = []  # every Function subclass with a public ``name``, in declaration order


class _RecordingState(threading.local):
    """Per-thread tape state: nesting depth and the ids of leaves a gradient was asked for."""

    def __init__(self):
        self.depth = 0
        self.wanted = frozenset()
        self.tracer = None  # ms.jit's tracer (minispore.ops._plan) while it records a call


_state = _RecordingState()


def is_recording():
    """True inside a gradient computation on this thread."""
    return _state.depth > 0


def wanted():
    return _state.wanted


class recording:
    """Turn tape recording on for this thread, recording the leaves whose ids are in ``leaf_ids``
    (the caller's inputs and weights; no flag on the user's Parameters is touched)."""

    def __init__(self, leaf_ids=()):
        self.leaf_ids = frozenset(leaf_ids)

    def __enter__(self):
        self.saved = _state.wanted
        _state.depth += 1
        _state.wanted = self.saved | self.leaf_ids
        return self

    def __exit__(self, *exc):
        _state.depth -= 1
        _state.wanted = self.saved


def _on_tape(t, leaf_ids):
    return t._node is not None or id(t) in leaf_ids


class Function:
    """Base class of every primitive; see the module docstring."""

    name = None
    tensor_methods = ()
    primitives = {}
    differentiable = True
    inputs = ()
    needs = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name"):
            REGISTRY.append(cls)

    @classmethod
    def check(cls, *inputs):
        """Default signature: every argument is an input Tensor, no attributes."""
        return inputs, {}

    @classmethod
    def call(cls, *args, **kwargs):
        """The functional form: check the arguments, then apply."""
        inputs, attrs = cls.check(*args, **kwargs)
        return cls.apply(*inputs, **attrs)

    @classmethod
    def apply(cls, *inputs, **attrs):
        """Run forward on the inputs' arrays; record a node when some input is on the tape
        (and tell ``ms.jit``'s tracer, when one is recording on this thread)."""
        tracer = _state.tracer
        if tracer is None:
            return cls._apply(inputs, attrs)[0]
        out, node = cls._apply(inputs, attrs)
        tracer.record(cls, node, inputs, attrs, out, _state.depth)
        return out

    @classmethod
    def _apply(cls, inputs, attrs):
        node = cls()
        out = node.forward(*[t._data for t in inputs], **attrs)
        record = False
        if _state.depth:
            leaf_ids = _state.wanted
            needs = tuple(_on_tape(t, leaf_ids) for t in inputs)
            record = any(needs)
            if not record:
                cut = next((t._cut_by for t in inputs if t._cut_by is not None), None)
                if cut is not None:
                    return _cut(out, cut), node
        if not record:
            return (tuple(Tensor._make(o) for o in out) if isinstance(out, tuple)
                    else Tensor._make(out)), node
        if not cls.differentiable:
            return _cut(out, cls.__name__), node
        node.inputs, node.needs = inputs, needs
        if isinstance(out, tuple):
            node.n_out = len(out)
            node.out_meta = [(o.shape, o.dtype) for o in out]
            return tuple(Tensor._make(o, node=node, index=i) for i, o in enumerate(out)), node
        node.n_out = 1
        return Tensor._make(out, node=node), node

    def forward(self, *arrays, **attrs):
        raise NotImplementedError

    def backward(self, *dys):
        raise NotImplementedError(f"{type(self).__name__} has no backward.")

    def release(self):
        """Drop what forward saved (called by the engine once backward has used it)."""
        self.__dict__.clear()


def _cut(out, op):
    """Outputs of a non-differentiable primitive applied to tape inputs: marked, so that asking
    for a gradient through them raises instead of returning zeros."""
    outs = out if isinstance(out, tuple) else (out,)
    tensors = []
    for o in outs:
        t = Tensor._make(o)
        t._cut_by = op
        tensors.append(t)
    return tuple(tensors) if isinstance(out, tuple) else tensors[0]


class Primitive:
    """How MindSpore's 1.x primitive class maps onto a functional form.

    ``init``: the constructor's arguments and defaults, in order, e.g.
    ``{"kernel_size": 1, "strides": 1, "pad_mode": "valid"}``; ``call(fn, attrs, *inputs)``
    calls the functional form ``fn`` with the constructor's values (``attrs``, a namespace) and
    the call's inputs. Without ``call``, ``fn(*inputs, **attrs)``.
    """

    def __init__(self, init=None, call=None):
        self.init = dict(init or {})
        self.call = call


def derive_primitive(class_name, spec, fn):
    """A class ``class_name`` with MindSpore's 1.x constructor that calls ``fn`` (derived)."""
    init_names = list(spec.init)

    def __init__(self, *args, **kwargs):
        if len(args) > len(init_names):
            raise TypeError(f"For '{class_name}', expected at most {len(init_names)} "
                            f"constructor arguments {init_names}, but got {len(args)}.")
        values = dict(spec.init)
        values.update(zip(init_names, args))
        unknown = sorted(set(kwargs) - set(init_names))
        if unknown:
            raise TypeError(f"For '{class_name}', unexpected constructor argument(s) {unknown}; "
                            f"it takes {init_names}.")
        values.update(kwargs)
        self.__dict__.update(values)
        self.attrs = values

    def __call__(self, *inputs, **kwargs):
        if spec.call is None:
            return fn(*inputs, **kwargs, **self.attrs)
        return spec.call(fn, self, *inputs, **kwargs)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.attrs.items())
        return f"Prim[{class_name}]({args})" if args else f"Prim[{class_name}]"

    doc = f"MindSpore 1.x primitive ``ops.{class_name}``: calls ``ops.{fn.__name__}``.\n\n" \
          f"{fn.__doc__ or ''}"
    return type(class_name, (), {"__init__": __init__, "__call__": __call__,
                                 "__repr__": __repr__, "__doc__": doc})


def derive_functional(cls):
    """``ops.<cls.name>``: ``cls.call`` with ``check``'s signature and the class docstring."""
    call = cls.call

    def fn(*args, **kwargs):
        return call(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = cls.name
    fn.__doc__ = cls.__doc__
    fn.__signature__ = inspect.signature(cls.check)
    fn.__module__ = "minispore.ops"
    fn.function = cls
    return fn


def derive_method(fn, adapter=None):
    """A Tensor method calling the functional form with the tensor first."""
    if adapter is not None:
        def method(self, *args, **kwargs):
            return adapter(fn, self, *args, **kwargs)
    else:
        def method(self, *args, **kwargs):
            return fn(self, *args, **kwargs)
    method.__doc__ = fn.__doc__
    return method
