"""Optimizer: the base Cell that owns the step count, the learning rates and the per-parameter
hyper-parameters (parameter groups), and prepares gradients the way MindSpore does.

Per step, before a subclass's own update, :meth:`Optimizer.prepare_gradients` applies in
MindSpore's order: weight decay ``g + (weight_decay*loss_scale)*p`` where a parameter's decay
flag is set, gradient centralization (grouped parameters that ask for it), and the loss scale
``g * (1/loss_scale)``. The learning rate of the step is read at ``global_step`` and the step
count then advances by one (an Int32 Parameter of shape (1,), saved in train checkpoints, so a
resumed run picks a dynamic learning rate up exactly where it stopped).
"""
import numbers
from collections.abc import Iterable

import numpy as np

from ...common import dtype as mstype
from ...common.parameter import Parameter, ParameterTuple
from ...common.tensor import Tensor
from ..cell import Cell
from ..learning_rate_schedule import LearningRateSchedule

__all__ = ["Optimizer"]

_GROUP_KEYS = ("params", "lr", "weight_decay", "grad_centralization", "order_params")


def _decay_filter(param):
    """MindSpore's default when parameters are not grouped: no weight decay for normalisation
    parameters (names containing ``beta`` or ``gamma``)."""
    return "beta" not in param.name and "gamma" not in param.name


class _IteratorLearningRate(LearningRateSchedule):
    """A 1-D learning-rate list as a schedule: step i takes element i (the last one after the
    list ends). Its Parameter keeps the optimizer's name for it (``learning_rate``)."""

    def __init__(self, values, name):
        super().__init__()
        self.learning_rate = Parameter(Tensor(np.asarray(values, np.float32), mstype.float32),
                                       name=name)

    def construct(self, global_step):
        lr = self.learning_rate._data
        step = int(np.asarray(global_step.asnumpy() if isinstance(global_step, Tensor)
                              else global_step).reshape(-1)[0])
        return Tensor(np.float32(lr[min(step, lr.size - 1)]), mstype.float32)


class _ConvertToCell(LearningRateSchedule):
    """A fixed learning-rate Parameter as a schedule (grouped learning rates that mix fixed and
    dynamic values)."""

    def __init__(self, learning_rate):
        super().__init__()
        self.learning_rate = learning_rate

    def construct(self, global_step):
        return Tensor(np.float32(self.learning_rate._data), mstype.float32)


class _LearningRates(Cell):
    """Holds the distinct per-group learning-rate schedules without renaming their Parameters."""

    def __init__(self, schedules):
        super().__init__(auto_prefix=False)
        for i, cell in enumerate(schedules):
            self.insert_child_to_cell(str(i), cell)


class Optimizer(Cell):
    """Base class of optimizers (``mindspore.nn.Optimizer``).

    Args:
        learning_rate (Union[float, int, Tensor, Iterable, LearningRateSchedule]): a number or
            0-d Tensor is the fixed Float32 Parameter ``learning_rate``; a list or 1-D Tensor is a
            per-step schedule (step i takes element i, the last value is held after it ends);
            a :class:`LearningRateSchedule` cell is called with ``global_step``.
        parameters (Union[list[Parameter], list[dict]]): what to update. Groups are dicts with
            ``params`` (required), ``lr``, ``weight_decay``, ``grad_centralization``; a dict
            ``{'order_params': params}`` (alone) sets the order in which parameters (and their
            state) are kept.
        weight_decay (Union[float, int, Cell]): >= 0, or a Cell called with ``global_step``
            that returns the step's weight decay. Without groups it is applied to parameters
            whose name contains neither ``beta`` nor ``gamma``; with groups, to every parameter
            of a group whose weight decay is > 0 (or a Cell). Default: ``0.0``.
        loss_scale (float): > 0; gradients are multiplied by ``1/loss_scale``. Default: ``1.0``.

    State: ``global_step`` (Int32, shape (1,)), then the learning rate Parameter(s), then each
    subclass's own state, all saved by ``save_checkpoint`` of a train network.
    """

    _graph_side_effect = ("it calls an optimizer, which updates parameters in place; "
                          "minispore plans training through nn.TrainOneStepCell")

    def __init__(self, learning_rate, parameters, weight_decay=0.0, loss_scale=1.0):
        super().__init__(auto_prefix=False)
        self._name = type(self).__name__
        params = self._check_parameter_list(parameters, "parameters")
        if not all(isinstance(p, Parameter) for p in params) and \
                not all(isinstance(p, dict) for p in params):
            bad = next(i for i, p in enumerate(params) if not isinstance(p, (Parameter, dict)))
            raise TypeError(f"For '{self._name}', all elements of the argument 'parameters' must "
                            f"be 'Parameter' or 'dict', but got {type(params[bad]).__name__} at "
                            f"index {bad}.")
        if isinstance(loss_scale, int) and not isinstance(loss_scale, bool):
            loss_scale = float(loss_scale)
        if not isinstance(loss_scale, float):
            raise TypeError(f"For '{self._name}', the 'loss_scale' must be float, but got "
                            f"{type(loss_scale).__name__}.")
        if not loss_scale > 0:
            raise ValueError(f"For '{self._name}', the 'loss_scale' must be > 0, but got "
                             f"{loss_scale}.")
        self.loss_scale = loss_scale
        self.need_scale = loss_scale != 1.0
        self.dynamic_lr = False
        self.dynamic_weight_decay = False
        self.is_group = False
        self.is_group_lr = False
        self.is_group_params_ordered = False
        self.global_step = Parameter(Tensor(np.zeros(1, np.int32), mstype.int32),
                                     name="global_step")
        default_wd = self._preprocess_weight_decay(weight_decay)
        default_lr = self._preprocess_single_lr(learning_rate)
        if isinstance(params[0], dict):
            self.is_group = True
            group_params, lrs, wds, gcs = self._parse_groups(params, default_lr, default_wd)
        else:
            group_params = params
            lrs = wds = gcs = None
        self._check_unique(group_params)
        # The network's parameters are held, not registered: they belong to the network.
        object.__setattr__(self, "parameters", ParameterTuple(group_params))
        object.__setattr__(self, "_parameters", self.parameters)
        if self.is_group:
            self.weight_decay = tuple(wds)
            self.decay_flags = tuple(isinstance(w, Cell) or w > 0 for w in wds)
            self.grad_centralization_flags = tuple(gcs)
        else:
            self.weight_decay = default_wd
            self.decay_flags = tuple(_decay_filter(p) for p in group_params)
            self.grad_centralization_flags = (False,) * len(group_params)
        self._weight_decays = (self.weight_decay if self.is_group else
                               (default_wd,) * len(group_params))
        self._install_learning_rates(default_lr, lrs)

    # ---- argument handling -----------------------------------------------------------------------
    def _check_parameter_list(self, parameters, what):
        if parameters is None:
            raise ValueError(f"For '{self._name}', the argument '{what}' can not be None.")
        if isinstance(parameters, Parameter) or not isinstance(parameters, Iterable):
            raise TypeError(f"For '{self._name}', the argument '{what}' must be an iterable of "
                            f"Parameter or dict, but got {type(parameters).__name__}.")
        params = list(parameters)
        if not params:
            raise ValueError(f"For '{self._name}', the argument '{what}' must not be empty.")
        return params

    def _check_unique(self, params):
        seen = set()
        for p in params:
            if p.name in seen:
                raise RuntimeError(f"For '{self._name}', the parameter '{p.name}' is given more "
                                   f"than once; each parameter may be optimized only once.")
            seen.add(p.name)

    def _preprocess_weight_decay(self, weight_decay):
        """A float >= 0, or a Cell called with ``global_step`` (dynamic weight decay)."""
        if isinstance(weight_decay, Cell):
            self.dynamic_weight_decay = True
            return weight_decay
        if isinstance(weight_decay, bool) or not isinstance(weight_decay, (float, int)):
            raise TypeError(f"For '{self._name}', the 'weight_decay' must be int, float or Cell, "
                            f"but got {type(weight_decay).__name__}.")
        if weight_decay < 0:
            raise ValueError(f"For '{self._name}', the 'weight_decay' must be >= 0, but got "
                             f"{weight_decay}.")
        return float(weight_decay)

    def _preprocess_single_lr(self, lr):
        """A float, a 1-D float32 array (marks the optimizer dynamic) or a schedule cell."""
        if isinstance(lr, LearningRateSchedule):
            self.dynamic_lr = True
            return lr
        if isinstance(lr, (float, int)) and not isinstance(lr, bool):
            if lr < 0:
                raise ValueError(f"For '{self._name}', the 'learning_rate' must be >= 0, but got "
                                 f"{lr}.")
            return float(lr)
        if isinstance(lr, Tensor) and lr.ndim == 0:
            return float(lr.asnumpy())
        if isinstance(lr, Tensor):
            if lr.ndim > 1:
                raise ValueError(f"For '{self._name}', if 'learning_rate' is a Tensor its "
                                 f"dimension must be 0 or 1, but got shape {tuple(lr.shape)}.")
            values = lr.asnumpy()
        elif isinstance(lr, Iterable) and not isinstance(lr, (str, bytes, dict)):
            try:
                values = np.asarray(list(lr), dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"For '{self._name}', a list 'learning_rate' must hold numbers, "
                                f"but got {lr!r}.") from None
            if values.ndim != 1:
                raise ValueError(f"For '{self._name}', a list 'learning_rate' must be flat, but "
                                 f"got shape {values.shape}.")
        else:
            raise TypeError(f"For '{self._name}', the 'learning_rate' must be int, float, Tensor, "
                            f"Iterable or LearningRateSchedule, but got {type(lr).__name__}.")
        if values.size == 0:
            raise ValueError(f"For '{self._name}', a dynamic 'learning_rate' must not be empty.")
        self.dynamic_lr = True
        return values.astype(np.float32)

    def _parse_groups(self, groups, default_lr, default_wd):
        order = None
        params, lrs, wds, gcs = [], [], [], []
        for number, group in enumerate(groups):
            unknown = [k for k in group if k not in _GROUP_KEYS]
            if unknown:
                raise KeyError(f"For '{self._name}', the keys of a parameter group must be in "
                               f"{list(_GROUP_KEYS)}, but got {unknown} in group {number}.")
            if "order_params" in group:
                if len(group) > 1:
                    raise ValueError(f"For '{self._name}', the 'order_params' dict must hold only "
                                     f"the 'order_params' key, but got {sorted(group)}.")
                order = self._check_parameter_list(group["order_params"], "order_params")
                self.is_group_params_ordered = True
                continue
            if "params" not in group:
                raise KeyError(f"For '{self._name}', parameter group {number} has no 'params'.")
            members = self._check_parameter_list(group["params"], "group `params`")
            for i, p in enumerate(members):
                if not isinstance(p, Parameter):
                    raise TypeError(f"For '{self._name}', the element in group parameters must "
                                    f"be Parameter, but got {type(p).__name__} at index {i} of "
                                    f"group {number}.")
            if "lr" in group:
                self.is_group_lr = True
                lr = (self._preprocess_single_lr(group["lr"]), f"learning_rate_group_{number}")
            else:
                lr = None
            wd = (self._preprocess_weight_decay(group["weight_decay"]) if "weight_decay" in group
                  else default_wd)
            gc = group.get("grad_centralization", False)
            if not isinstance(gc, bool):
                raise TypeError(f"For '{self._name}', the 'grad_centralization' must be bool, but "
                                f"got {type(gc).__name__} in group {number}.")
            params += members
            lrs += [lr] * len(members)
            wds += [wd] * len(members)
            gcs += [gc] * len(members)
        if not params:
            raise ValueError(f"For '{self._name}', the parameter groups hold no 'params'.")
        if order is not None:
            params, lrs, wds, gcs = self._apply_order(order, params, lrs, wds, gcs)
        self._check_list_lengths(default_lr, lrs)
        return params, lrs, wds, gcs

    def _apply_order(self, order, params, lrs, wds, gcs):
        names = [p.name for p in order]
        if sorted(names) != sorted(p.name for p in params):
            missing = sorted(set(p.name for p in params) ^ set(names))
            raise ValueError(f"For '{self._name}', 'order_params' must hold exactly the grouped "
                             f"parameters ({len(params)}), but got {len(names)} (differing: "
                             f"{missing}).")
        index = [names.index(p.name) for p in params]
        rank = sorted(range(len(params)), key=lambda i: index[i])
        return ([params[i] for i in rank], [lrs[i] for i in rank], [wds[i] for i in rank],
                [gcs[i] for i in rank])

    def _check_list_lengths(self, default_lr, lrs):
        sizes = {v.size for v in [default_lr] + [lr[0] for lr in lrs if lr is not None]
                 if isinstance(v, np.ndarray)}
        if len(sizes) > 1:
            raise ValueError(f"For '{self._name}', the list learning rates of all groups must "
                             f"have the same length, but got lengths {sorted(sizes)}.")

    def _build_single_lr(self, lr, name):
        """A Parameter (fixed lr, ungrouped or all groups fixed) or a schedule cell."""
        if isinstance(lr, float):
            param = Parameter(Tensor(np.float32(lr), mstype.float32), name=name)
            return _ConvertToCell(param) if self.is_group_lr and self.dynamic_lr else param
        if isinstance(lr, np.ndarray):
            return _IteratorLearningRate(lr, name)
        return lr

    def _install_learning_rates(self, default_lr, group_lrs):
        default = self._build_single_lr(default_lr, "learning_rate")
        if not self.is_group_lr:
            self.learning_rate = default
            self._lr_sources = (default,) * len(self.parameters)
            return
        built = {}
        sources = []
        for spec in group_lrs:
            if spec is None:
                sources.append(default)
            else:
                key = spec[1]
                if key not in built:
                    built[key] = self._build_single_lr(*spec)
                sources.append(built[key])
        self._lr_sources = tuple(sources)
        distinct = list({id(s): s for s in sources}.values())
        if self.dynamic_lr:
            self.learning_rate = _LearningRates(distinct)
        else:
            self.learning_rate = ParameterTuple(distinct)

    # ---- the step --------------------------------------------------------------------------------
    @property
    def step_count(self):
        """The number of steps taken (``global_step``)."""
        return int(self.global_step._data[0])

    @step_count.setter
    def step_count(self, value):
        self.global_step._data[0] = int(value)

    def _lr_at(self, source, step):
        if isinstance(source, Parameter):
            return float(source._data)
        return float(np.asarray(source(Tensor(np.array([step], np.int32), mstype.int32))
                                .asnumpy()).reshape(-1)[0])

    def _lrs_at(self, step):
        """One learning rate per parameter (Python floats) for ``step``."""
        cache = {}
        out = []
        for source in self._lr_sources:
            key = id(source)
            if key not in cache:
                cache[key] = self._lr_at(source, step)
            out.append(cache[key])
        return out

    def get_lr(self):
        """The learning rate the next step uses: a scalar Float32 Tensor, or with grouped
        learning rates a tuple of them, one per parameter. Unlike MindSpore's graph-internal
        ``get_lr`` it does not advance ``global_step`` (the step itself does)."""
        lrs = self._lrs_at(self.step_count)
        tensors = tuple(Tensor(np.float32(v), mstype.float32) for v in lrs)
        return tensors if self.is_group_lr else tensors[0]

    def get_lr_parameter(self, param):
        """The learning-rate Parameter (or schedule cell) of ``param`` or of each in a list."""
        params = [param] if isinstance(param, Parameter) else param
        if not isinstance(params, list):
            raise TypeError(f"For 'get_lr_parameter', the 'param' must be Parameter or list, but "
                            f"got {type(param).__name__}.")
        ids = [id(p) for p in self.parameters]
        out = []
        for p in params:
            if id(p) not in ids:
                raise ValueError(f"For 'get_lr_parameter', the parameter {p.name} is not in the "
                                 f"optimizer.")
            source = self._lr_sources[ids.index(id(p))]
            out.append(getattr(source, "learning_rate", source)
                       if isinstance(source, (_IteratorLearningRate, _ConvertToCell)) else source)
        return out if isinstance(param, list) else out[0]

    def _next_lrs(self):
        """Learning rates for this step; advances ``global_step``."""
        lrs = self._lrs_at(self.step_count)
        self.global_step._data[0] += 1
        return lrs

    def _check_gradients(self, gradients):
        if not isinstance(gradients, (tuple, list)):
            raise TypeError(f"For '{self._name}', the gradients must be a tuple of Tensors, but "
                            f"got {type(gradients).__name__}.")
        if len(gradients) != len(self.parameters):
            raise ValueError(f"For '{self._name}', got {len(gradients)} gradients for "
                             f"{len(self.parameters)} parameters.")
        out = []
        for i, (g, p) in enumerate(zip(gradients, self.parameters)):
            arr = g._data if isinstance(g, Tensor) else np.asarray(g)
            if arr.shape != p._data.shape:
                raise ValueError(f"For '{self._name}', the gradient {i} of '{p.name}' has shape "
                                 f"{arr.shape}, but the parameter has shape {p._data.shape}.")
            out.append(arr)
        return out

    def _weight_decays_at(self, step):
        """One weight decay per parameter (Python floats) for ``step``."""
        if not self.dynamic_weight_decay:
            return list(self._weight_decays)
        cache = {}
        out = []
        for wd in self._weight_decays:
            if isinstance(wd, Cell):
                if id(wd) not in cache:
                    value = wd(Tensor(np.array([step], np.int32), mstype.int32))
                    cache[id(wd)] = float(np.asarray(value.asnumpy() if isinstance(value, Tensor)
                                                     else value).reshape(-1)[0])
                wd = cache[id(wd)]
            out.append(wd)
        return out

    def get_weight_decay(self):
        """The weight decay the next step uses: a float, or with groups a tuple, one per
        parameter."""
        wds = self._weight_decays_at(self.step_count)
        return tuple(wds) if self.is_group else wds[0]

    def prepare_gradients(self, gradients, decay=True):
        """Weight decay (unless ``decay`` is False: optimizers whose kernel takes it), gradient
        centralization and loss scale, in MindSpore's order; returns arrays in each parameter's
        dtype (the inputs are not modified)."""
        grads = self._check_gradients(gradients)
        out = []
        for g, p, wd, flag, gc in zip(grads, self.parameters,
                                      self._weight_decays_at(self.step_count),
                                      self.decay_flags, self.grad_centralization_flags):
            t = p._data.dtype.type
            g = np.asarray(g, dtype=p._data.dtype)
            if decay and flag and wd > 0:
                g = g + t(wd * self.loss_scale) * p._data
            if gc:
                g = _centralize(g)
            if self.need_scale:
                g = g * t(1.0 / self.loss_scale)
            out.append(g)
        return out

    def decay_weight(self, gradients):
        """``gradients`` with weight decay added (``g + weight_decay*loss_scale*p`` per flag)."""
        grads = self._check_gradients(gradients)
        return tuple(Tensor(g + p._data.dtype.type(wd * self.loss_scale) * p._data)
                     if flag and wd > 0 else Tensor(g)
                     for g, p, wd, flag in zip(grads, self.parameters,
                                               self._weight_decays_at(self.step_count),
                                               self.decay_flags))

    def scale_grad(self, gradients):
        """``gradients`` multiplied by ``1/loss_scale``."""
        grads = self._check_gradients(gradients)
        r = 1.0 / self.loss_scale
        return tuple(Tensor(g * g.dtype.type(r)) for g in grads)

    def gradients_centralization(self, gradients):
        """``gradients`` centralized where the parameter's group asks for it."""
        grads = self._check_gradients(gradients)
        return tuple(Tensor(_centralize(g) if gc else g)
                     for g, gc in zip(grads, self.grad_centralization_flags))

    def construct(self, gradients):
        raise NotImplementedError


def check_hyper(opt, name, value, low=None, high=None, low_open=False, allow_int=False):
    """A float hyper-parameter of optimizer ``opt`` (an int too when ``allow_int``), checked to
    lie in [low, high] ((low, high) ends open when ``low_open``); returns it as float."""
    if allow_int and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, float):
        raise TypeError(f"For '{opt}', the '{name}' must be float, but got "
                        f"{type(value).__name__}.")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if low_open else value > high)
    if too_low or too_high:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low}"
        hi = "" if high is None else f"{'<' if low_open else '<='} {high}"
        raise ValueError(f"For '{opt}', the '{name}' must be {' and '.join(x for x in (lo, hi) if x)}"
                         f", but got {value}.")
    return value


def check_flag(opt, name, value):
    """A bool argument of optimizer ``opt``."""
    if not isinstance(value, bool):
        raise TypeError(f"For '{opt}', the '{name}' must be bool, but got {type(value).__name__}.")
    return value


def _centralize(g):
    """MindSpore's gradient centralization: subtract the mean over every axis but the first,
    for gradients of rank >= 2 whose second dimension is a multiple of 16 (others unchanged)."""
    if g.ndim < 2 or g.shape[1] % 16 != 0:
        return g
    return g - g.mean(axis=tuple(range(1, g.ndim)), keepdims=True, dtype=np.float64).astype(g.dtype)
