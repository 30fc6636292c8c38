"""Parameter: a named, trainable Tensor, and ParameterTuple.

A Parameter keeps the same numpy array for its whole life: ``set_data`` copies new values into it.
That keeps views held by optimizers (and by anyone else) valid, and means a loaded checkpoint never
aliases the file it came from. One exception: a GRAPH_MODE ``TrainOneStepCell`` with ``Momentum``
moves its parameters once, when it builds its plan, into one flat array (each Parameter's array
becomes a view of it, same values), so that the update is one kernel call.
"""
import itertools

import numpy as np

from . import dtype as mstype
from .tensor import Tensor, _contiguous, _to_array

__all__ = ["Parameter", "ParameterTuple"]

_unnamed = itertools.count(1)


class Parameter(Tensor):
    """A Tensor that a Cell owns and an optimizer updates.

    Args:
        default_input (Tensor, numpy.ndarray, int, float, bool): the initial value.
        name (str): the parameter's name, the key used in checkpoints. Default: ``None``, which
            becomes the attribute name when the parameter is assigned inside a Cell.
        requires_grad (bool): whether gradients are computed for it. Default: ``True``.
    """

    __slots__ = ("_name", "_auto_named", "layerwise_parallel", "parallel_optimizer", "is_init")

    def __init__(self, default_input, name=None, requires_grad=True, layerwise_parallel=False,
                 parallel_optimizer=True):
        data = default_input.init_data() if hasattr(default_input, "init_data") and \
            not isinstance(default_input, Tensor) else default_input
        self._data, self._dtype = _to_array(data, None)
        if isinstance(default_input, Tensor) and self._data is default_input._data:
            self._data = self._data.copy()
        self._node = self._cut_by = None
        self._index = 0
        if name is not None and not isinstance(name, str):
            raise TypeError(f"For 'Parameter', the argument 'name' must be str or None, "
                            f"but got {type(name)}.")
        self._auto_named = name is None
        self._name = name if name is not None else f"Parameter#{next(_unnamed)}"
        self.requires_grad = requires_grad
        self.layerwise_parallel = layerwise_parallel
        self.parallel_optimizer = parallel_optimizer
        self.is_init = True

    @property
    def name(self):
        return self._name

    @name.setter
    def name(self, value):
        if not isinstance(value, str) or not value:
            raise ValueError(f"For 'Parameter', the name must be a non-empty str, but got {value!r}.")
        self._name = value
        self._auto_named = False

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if not isinstance(value, bool):
            raise TypeError(f"For 'Parameter', 'requires_grad' must be bool, but got {type(value)}.")
        self._requires_grad = value

    @property
    def data(self):
        return self

    def init_data(self, *args, **kwargs):
        return self

    def set_data(self, data, slice_shape=False):
        """Copy ``data`` into this parameter (same shape; float values are cast to its dtype)."""
        arr, dt = _to_array(data, None)
        if arr.shape != self._data.shape:
            raise ValueError(f"For 'Parameter.set_data', the shape of '{self._name}' is "
                             f"{self._data.shape} but the new data has shape {arr.shape}.")
        if dt is not self._dtype:
            if self._dtype is mstype.bfloat16 or dt is mstype.bfloat16:
                arr = _to_array(Tensor._make(arr, dt), self._dtype)[0]
            elif mstype.is_float(dt) != mstype.is_float(self._dtype) and dt is not mstype.bool_:
                raise TypeError(f"For 'Parameter.set_data', '{self._name}' has dtype "
                                f"{self._dtype} and cannot take data of dtype {dt}.")
        np.copyto(self._data, arr, casting="unsafe")
        return self

    def clone(self, init="same"):
        """A new Parameter with the same name and attributes; values copied, or from ``init``."""
        if init == "same":
            data = self._data.copy()
        else:
            from .initializer import initializer  # noqa: PLC0415
            data = initializer(init, self.shape, self._dtype)
        p = Parameter(Tensor._make(data, self._dtype) if isinstance(data, np.ndarray) else data,
                      name=self._name, requires_grad=self.requires_grad,
                      layerwise_parallel=self.layerwise_parallel)
        return p

    def __repr__(self):
        return f"Parameter (name={self._name})"

    __str__ = __repr__

    def __reduce__(self):
        return (_rebuild_parameter, (self._data, self._dtype.name, self._name, self._requires_grad))

    def __deepcopy__(self, memo):
        p = Parameter(Tensor._make(self._data.copy(), self._dtype), name=self._name,
                      requires_grad=self._requires_grad)
        p._auto_named = self._auto_named
        memo[id(self)] = p
        return p


def _rebuild_parameter(data, dtype_name, name, requires_grad):
    return Parameter(Tensor._make(_contiguous(data), mstype.type_from_string(dtype_name)),
                     name=name, requires_grad=requires_grad)


class ParameterTuple(tuple):
    """An immutable sequence of Parameters, e.g. an optimizer's moments."""

    def __new__(cls, iterable):
        items = tuple(iterable)
        for p in items:
            if not isinstance(p, Parameter):
                raise TypeError(f"ParameterTuple takes Parameters, but got {type(p)}.")
        return super().__new__(cls, items)

    def clone(self, prefix, init="same"):
        """Copies named ``<prefix>.<name>`` (e.g. ``moments.conv1.weight``)."""
        out = []
        for p in self:
            q = p.clone(init)
            q.name = f"{prefix}.{p.name}"
            out.append(q)
        return ParameterTuple(out)
