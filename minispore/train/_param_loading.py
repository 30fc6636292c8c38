"""``load_param_into_net``: match a name -> Parameter dict onto a net's parameters and copy.

Matching, in order:

1. exact names (``param.name`` of each net parameter == dict key);
2. only with ``strict_load=False``, a prefix fallback on dot boundaries, in both directions:
   a checkpoint key with an extra leading prefix (``backbone.conv1.weight`` -> net
   ``conv1.weight``, what MindSpore supports) and a net name with an extra leading prefix
   (checkpoint ``conv.0.weight`` -> net ``net.conv.0.weight``, what the guide describes but
   MindSpore 2.10 does not do). A pair is used only when it is the unique candidate on both sides;
   every remap is logged. MindSpore matches plain string suffixes (``myfc3.bias`` -> ``fc3.bias``)
   and derives one prefix from the first hit; minispore does not.

Then every pair is validated before anything is copied, so a failing call loads nothing: shapes
must match (a checkpoint shape that is the net shape plus trailing 1s is reshaped to the net's,
where MindSpore gives the net the checkpoint's shape), and dtypes must match, except that with
``strict_load=False`` float <-> float and signed int <-> signed int are converted with a warning.
All mismatches are reported in one ``RuntimeError`` whose first line is MindSpore's.

Returns ``(param_not_load, ckpt_not_load)`` like MindSpore 2.x; keys consumed by the prefix
fallback are not listed in ``ckpt_not_load`` (MindSpore lists them, a quirk).
"""
import logging

import numpy as np

from ..common import dtype as mstype
from ..common.parameter import Parameter
from ..common.tensor import Tensor, _to_array

__all__ = ["load_param_into_net"]

logger = logging.getLogger("minispore.train.serialization")


def _net_params(net):
    seen, out = set(), []
    for _, p in net.parameters_and_names():
        if id(p) not in seen:
            seen.add(id(p))
            out.append(p)
    return out


def _check_args(net, parameter_dict, strict_load, remove_redundancy):
    try:
        from ..nn.cell import Cell  # noqa: PLC0415
        is_cell = isinstance(net, Cell)
    except ImportError:
        is_cell = hasattr(net, "parameters_and_names")
    if not is_cell:
        raise TypeError(f"For 'load_param_into_net', the argument 'net' should be a Cell, but got "
                        f"{type(net)}.")
    if not isinstance(parameter_dict, dict):
        raise TypeError(f"For 'load_param_into_net', the argument 'parameter_dict' should be a "
                        f"dict, but got {type(parameter_dict)}.")
    for k, v in parameter_dict.items():
        if not isinstance(k, str) or not isinstance(v, (Parameter, Tensor, str, list)):
            raise TypeError(f"For 'parameter_dict', the element in the argument 'parameter_dict' "
                            f"should be a 'str' and 'Parameter' , but got {type(k)} and {type(v)}.")
    for arg, val in (("strict_load", strict_load), ("remove_redundancy", remove_redundancy)):
        if not isinstance(val, bool):
            raise TypeError(f"For 'load_param_into_net', the argument '{arg}' should be bool, but "
                            f"got {type(val)}.")


def _prefix_matches(unloaded, free_keys):
    """{net param name: ckpt key} for unique dot-boundary prefix matches in either direction."""
    cand = {}
    for name in unloaded:
        hits = [k for k in free_keys if k.endswith("." + name) or name.endswith("." + k)]
        if len(hits) == 1:
            cand[name] = hits[0]
    claimed = {}
    for name, key in cand.items():
        claimed.setdefault(key, []).append(name)
    return {name: key for name, key in cand.items() if len(claimed[key]) == 1}


def _convertible(src, dst):
    return (mstype.is_float(src) and mstype.is_float(dst)) or \
        (mstype.is_signed_int(src) and mstype.is_signed_int(dst))


def _validate(param, key, value, strict_load, problems):
    """The array to copy into ``param`` (net dtype), or None after recording a problem."""
    name = param.name
    arr, src = value._data, value._dtype
    shape, want = tuple(param.shape), tuple(arr.shape)
    if shape != want:
        trailing = len(want) > len(shape) and want[:len(shape)] == shape and \
            all(d == 1 for d in want[len(shape):])
        if not trailing:
            problems.append(
                f"For 'load_param_into_net', {name} in the argument 'net' should have the same "
                f"shape as {key} in the argument 'parameter_dict'. But got its shape {shape} in "
                f"the argument 'net' and shape {want} in the argument 'parameter_dict'.May you need "
                f"to check whether the checkpoint you loaded is correct or the batch size and so on "
                f"in the 'net' and 'parameter_dict' are same.")
            return None
        arr = arr.reshape(shape)
    dst = param.dtype
    if src is not dst:
        if strict_load or not _convertible(src, dst):
            problems.append(
                f"For 'load_param_into_net', {name} in the argument 'net' should have the same "
                f"type as {key} in the argument 'parameter_dict'. but got its type {dst} in the "
                f"argument 'net' and type {src} in the argument 'parameter_dict'.May you need to "
                f"check whether the checkpoint you loaded is correct.")
            return None
        logger.warning("The type of %s:%s in 'parameter_dict' is different from the type of it in "
                       "'net':%s, then the type convert from %s to %s in the network. May consume "
                       "additional memory and time", key, src, dst, src, dst)
        arr = arr if arr.flags.c_contiguous else arr.copy(order="C")
        arr = _to_array(Tensor._make(arr, src), dst)[0]
    return arr


def load_param_into_net(net, parameter_dict, strict_load=False, remove_redundancy=False):
    """Copy values from ``parameter_dict`` into ``net``'s parameters (see the module docstring).

    Returns:
        (param_not_load, ckpt_not_load): net parameter names that got no value (names starting with
        ``accu_grads`` are never reported), and dict keys that were not used.

    Raises:
        RuntimeError: listing every shape or dtype mismatch; nothing is loaded in that case.
    """
    _check_args(net, parameter_dict, strict_load, remove_redundancy)
    params = _net_params(net)
    pairs, used = [], set()
    for p in params:
        v = parameter_dict.get(p.name)
        if v is not None and isinstance(v, Tensor):
            pairs.append((p, p.name))
            used.add(p.name)
    paired = {id(p) for p, _ in pairs}
    skipped_str = {p.name for p in params if isinstance(parameter_dict.get(p.name), (str, list))}
    if not strict_load:
        unloaded = [p for p in params if id(p) not in paired and p.name not in skipped_str]
        free = [k for k, v in parameter_dict.items() if k not in used and isinstance(v, Tensor)]
        remap = _prefix_matches([p.name for p in unloaded], free)
        for p in unloaded:
            key = remap.get(p.name)
            if key is not None:
                logger.warning("For 'load_param_into_net', loading %r from the checkpoint into %r "
                               "of the net (prefix match on a dot boundary).", key, p.name)
                pairs.append((p, key))
                used.add(key)
    problems, ready = [], []
    for p, key in pairs:
        arr = _validate(p, key, parameter_dict[key], strict_load, problems)
        if arr is not None:
            ready.append((p, arr))
    if problems:
        extra = "" if len(problems) == 1 else \
            f"\n{len(problems)} parameters do not match, nothing was loaded:\n" + \
            "\n".join(f"  - {m}" for m in problems)
        raise RuntimeError(problems[0] + extra)
    for p, arr in ready:
        p.set_data(Tensor._make(arr, p.dtype))
    loaded = {id(p) for p, _ in pairs}
    param_not_load = [p.name for p in params if id(p) not in loaded and p.name not in skipped_str
                      and not p.name.startswith("accu_grads")]
    ckpt_not_load = [k for k in parameter_dict if k not in used]
    if param_not_load:
        logger.warning("For 'load_param_into_net', %d parameters in the 'net' are not loaded, "
                       "because they are not in the 'parameter_dict', please check whether the "
                       "network structure is consistent when training and loading checkpoint.",
                       len(param_not_load))
        logger.warning("%s are not loaded.", param_not_load)
    return param_not_load, ckpt_not_load
