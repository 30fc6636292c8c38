"""Cell: the base class of every layer and network (``mindspore.nn.Cell``).

Parameter names work as in MindSpore: a Parameter assigned as ``self.weight`` is named
``weight``; when a Cell is assigned as ``self.conv1`` of another Cell, every parameter in it is
renamed ``conv1.<path inside the child>``. Those names are the checkpoint keys. Wrapper cells
(``WithLossCell``, ``TrainOneStepCell``, optimizers) are built with ``auto_prefix=False`` and add no
prefix, so a trained network's checkpoint still says ``conv1.weight``.
"""
from collections import OrderedDict

from .. import context as _context
from ..common import api as _api
from .. import ops
from ..common import dtype as mstype
from ..common.parameter import Parameter, ParameterTuple
from ..common.tensor import Tensor
from ..ops import _function as _ops_function

__all__ = ["Cell"]


def _name_the_cell(error, cell):
    """Append the innermost cell's path (``conv1``, read off its parameters' names) to an
    argument error raised inside it, once: the primitive's message says what is wrong, this
    says where in the network."""
    if getattr(error, "_cell_named", False) or not error.args or not isinstance(error.args[0], str):
        return
    path = type(cell).__name__
    for param in cell._params.values():
        if param is not None and "." in param.name:
            path = f"{param.name.rsplit('.', 1)[0]} ({path})"
            break
    error.args = (f"{error.args[0]} [in cell {path}]",) + error.args[1:]
    error._cell_named = True


def _cast_float_inputs(inputs, dtype):
    """Float Tensors in ``inputs`` (top level, tuples and lists) cast to ``dtype``."""
    def cast(x):
        if isinstance(x, Tensor) and mstype.is_float(x.dtype) and x.dtype is not dtype:
            return ops.cast(x, dtype)
        if isinstance(x, (tuple, list)):
            return type(x)(cast(v) for v in x)
        return x
    return tuple(cast(x) for x in inputs)


class Cell:
    """Base class for all neural-network cells.

    Subclasses define ``construct(*inputs)``; calling the cell runs it.

    Args:
        auto_prefix (bool): whether child cells assigned to this cell get their parameters renamed
            with the attribute name as prefix. Default: ``True``.
        flags (dict): accepted for compatibility and stored. Default: ``None``.
    """

    def __init__(self, auto_prefix=True, flags=None):
        object.__setattr__(self, "_params", OrderedDict())
        object.__setattr__(self, "_cells", OrderedDict())
        object.__setattr__(self, "_param_tuples", OrderedDict())
        object.__setattr__(self, "_auto_prefix", auto_prefix)
        object.__setattr__(self, "training", False)
        object.__setattr__(self, "_flags", dict(flags or {}))

    # ---- attribute registration ------------------------------------------------------------------
    def _check_init(self):
        if "_params" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call "
                                 f"super().__init__() before assigning parameters or cells.")

    def __setattr__(self, name, value):
        if isinstance(value, Parameter):
            self._check_init()
            self.insert_param_to_cell(name, value)
        elif isinstance(value, Cell):
            self._check_init()
            self.insert_child_to_cell(name, value)
        elif isinstance(value, ParameterTuple):
            self._check_init()
            self._param_tuples[name] = value
            for p in value:
                self._params[p.name] = p
        else:
            if "_params" in self.__dict__:
                if name in self._params and value is not None:
                    raise TypeError(f"For '{type(self).__name__}', the attribute '{name}' is a "
                                    f"Parameter and cannot be set to {type(value)}.")
                self._params.pop(name, None)
                self._cells.pop(name, None)
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        if "_params" in d:
            if name in d["_params"]:
                return d["_params"][name]
            if name in d["_cells"]:
                return d["_cells"][name]
            if name in d["_param_tuples"]:
                return d["_param_tuples"][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in ("_params", "_cells", "_param_tuples"):
            if name in self.__dict__.get(store, {}):
                del self.__dict__[store][name]
                return
        object.__delattr__(self, name)

    def insert_param_to_cell(self, param_name, param, check_name_contain_dot=True):
        """Register ``param`` under ``param_name``; an unnamed Parameter takes that name."""
        if not isinstance(param, Parameter):
            raise TypeError(f"For 'insert_param_to_cell', the argument 'param' must be a "
                            f"Parameter, but got {type(param)}.")
        if check_name_contain_dot and "." in param_name:
            raise KeyError(f"The parameter name '{param_name}' must not contain '.'.")
        if param._auto_named:
            param.name = param_name
        self.__dict__.pop(param_name, None)
        self._params[param_name] = param

    def insert_child_to_cell(self, child_name, child_cell):
        """Register a child cell; with auto_prefix its parameters become ``child_name.<path>``."""
        if not isinstance(child_cell, Cell):
            raise TypeError(f"Child cell type is incorrect: expected Cell, got {type(child_cell)}.")
        self.__dict__.pop(child_name, None)
        self._cells[child_name] = child_cell
        if self._auto_prefix:
            child_cell.update_parameters_name(child_name + ".")

    def update_parameters_name(self, prefix="", recurse=True):
        """Rename every parameter to ``prefix + <its path inside this cell>``."""
        for path, param in self.parameters_and_names(expand=recurse):
            param.name = prefix + path

    # ---- running ---------------------------------------------------------------------------------
    def construct(self, *inputs, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement construct().")

    # Why a trace of a call to this cell cannot be replayed (set by cells with side effects,
    # e.g. optimizers); ``ms.jit`` then keeps the traced function in PyNative.
    _graph_side_effect = None

    def __call__(self, *inputs, **kwargs):
        if "_mixed_precision_type" in self.__dict__:
            inputs = _cast_float_inputs(inputs, self.__dict__["_mixed_precision_type"])
        try:
            if self._graph_side_effect is not None and _ops_function._state.tracer is not None:
                _ops_function._state.tracer.side_effect(self._graph_side_effect)
            if _context._settings["mode"] == _context.GRAPH_MODE and not _api.in_graph():
                return self._graph_call(inputs, kwargs)
            return self.construct(*inputs, **kwargs)
        except (ValueError, TypeError) as e:
            _name_the_cell(e, self)
            raise

    def _graph_call(self, inputs, kwargs):
        """GRAPH_MODE: run ``construct`` through the planner (see :mod:`minispore.common.api`),
        one plan cache per cell."""
        state = self.__dict__.get("_jit_state")
        if state is None:
            state = _api.JitState(type(self).__name__)
            object.__setattr__(self, "_jit_state", state)
        return _api.run(state, self.construct, inputs, kwargs)

    def set_train(self, mode=True):
        """Put this cell and its children in training (True) or inference (False) mode."""
        for _, cell in self.cells_and_names():
            object.__setattr__(cell, "training", mode)
        return self

    def set_grad(self, requires_grad=True):
        return self

    def to_float(self, dst_type):
        """Run this cell and its children with float inputs cast to ``dst_type`` (Float16,
        Float32 or BFloat16), as MindSpore's mixed precision; returns the cell. Only the inputs
        are cast: parameters keep their dtype, and minispore's kernels compute in Float32 or
        Float64, so a Float16 cell with Float32 weights is refused by its first op."""
        if dst_type not in (mstype.float16, mstype.float32, mstype.bfloat16):
            raise ValueError(f"For 'to_float', 'dst_type' must be mstype.float16, "
                             f"mstype.float32 or mstype.bfloat16, but got {dst_type!r}.")
        for _, cell in self.cells_and_names():
            object.__setattr__(cell, "_mixed_precision_type", dst_type)
        return self

    # ---- traversal -------------------------------------------------------------------------------
    def cells_and_names(self, cells=None, name_prefix=""):
        """(path, cell) for this cell and every descendant, each once, depth first."""
        seen = set() if cells is None else cells
        if id(self) not in seen:
            seen.add(id(self))
            yield name_prefix, self
        for name, cell in self._cells.items():
            if cell is not None and id(cell) not in seen:
                path = f"{name_prefix}.{name}" if name_prefix else name
                yield from cell.cells_and_names(seen, path)

    def cells(self):
        return self._cells.values()

    def name_cells(self):
        return OrderedDict((n, c) for n, c in self._cells.items() if c is not None)

    def parameters_and_names(self, name_prefix="", expand=True):
        """(path, Parameter) for own parameters first, then each child's, de-duplicated."""
        seen = set()
        cells = self.cells_and_names(name_prefix=name_prefix) if expand else [(name_prefix, self)]
        for cell_path, cell in cells:
            for pname, param in cell._params.items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{cell_path}.{pname}" if cell_path else pname), param

    def get_parameters(self, expand=True):
        for _, param in self.parameters_and_names(expand=expand):
            yield param

    def trainable_params(self, recurse=True):
        """Parameters with ``requires_grad=True``, in registration order."""
        return [p for p in self.get_parameters(expand=recurse) if p.requires_grad]

    def untrainable_params(self, recurse=True):
        return [p for p in self.get_parameters(expand=recurse) if not p.requires_grad]

    def parameters_dict(self, recurse=True):
        """OrderedDict of parameter name -> Parameter."""
        return OrderedDict((p.name, p) for p in self.get_parameters(expand=recurse))

    def init_parameters_data(self, auto_parallel_mode=False):
        return self.parameters_dict()

    # ---- display ---------------------------------------------------------------------------------
    def extend_repr(self):
        return ""

    def __repr__(self):
        extra = self.extend_repr()
        if not self._cells:
            return f"{type(self).__name__}({extra})"
        lines = [f"{type(self).__name__}("]
        if extra:
            lines.append("  " + extra)
        for name, cell in self._cells.items():
            lines.append(f"  ({name}): " + repr(cell).replace("\n", "\n  "))
        lines.append(")")
        return "\n".join(lines)

    def summary(self, input_shape=None):
        """A table of parameters (name, shape, count) and the total, like Keras' summary()."""
        rows = [(p.name, str(p.shape), str(p.dtype), p.size) for p in self.get_parameters()]
        width = max([len(r[0]) for r in rows] + [9])
        out = [f"{type(self).__name__}", f"{'parameter':<{width}}  {'shape':<18} {'dtype':<8} "
               f"{'count':>10}"]
        out += [f"{n:<{width}}  {s:<18} {d:<8} {c:>10,}" for n, s, d, c in rows]
        total = sum(r[3] for r in rows)
        trainable = sum(p.size for p in self.trainable_params())
        out.append(f"total: {total:,} parameters ({trainable:,} trainable)")
        return "\n".join(out)
