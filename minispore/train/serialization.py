"""Checkpoints: ``save_checkpoint``, ``load_checkpoint``, ``load_param_into_net`` (MindSpore's API).

Files are byte-for-byte MindSpore 2.x ``.ckpt`` files (or safetensors with ``format="safetensors"``).
The layers underneath:

* ``_ckpt_codec``  - pure codec: (name, tensor_type, dims, bytes) <-> MindSpore's exact bytes.
* ``_ckpt_reader`` - streaming, validating parser over a memory map (no 2 GB limit, ~1x memory).
* ``_ckpt_io``     - atomic, fsynced writes and the background thread for ``async_save``.
* ``_safetensors`` - the safetensors layout, written and validated without the package.
* ``_param_loading`` - matching a parameter dict onto a net (``load_param_into_net``).

Where MindSpore 2.10 is weak, minispore does better (and says so where it happens):
the target is replaced only after the new file is complete and fsynced (MindSpore deletes first);
async-save errors are re-raised at the next save / ``wait_async_saves()`` instead of being lost;
a plain ``Tensor`` value in a dict ``save_obj`` works; the CRC trailer is verified whenever
present; errors say which record is broken at which byte instead of "may be corrupted";
``load_param_into_net`` matches prefixes only on dot boundaries, in both directions, and reports
every shape/dtype mismatch at once without loading anything.
"""
import logging
import os

import numpy as np

from ..common import dtype as mstype
from ..common.parameter import Parameter
from ..common.tensor import Tensor
from . import _ckpt_codec as codec
from . import _ckpt_io
from ._ckpt_io import wait_async_saves
from ._ckpt_reader import CheckpointError, read_checkpoint
from ._param_loading import load_param_into_net
from ._safetensors import encode_pieces as _safetensors_pieces, read_safetensors

__all__ = ["save_checkpoint", "load_checkpoint", "load_param_into_net", "wait_async_saves",
           "CheckpointError"]

logger = logging.getLogger(__name__)
_FORMATS = ("ckpt", "safetensors")


def _is_cell(obj):
    try:
        from ..nn.cell import Cell  # noqa: PLC0415 - nn sits above train's imports of common
    except ImportError:
        return hasattr(obj, "parameters_and_names")
    return isinstance(obj, Cell)


def _entry(name, value, where):
    """(name, tensor_type, array | str) of one value to save."""
    if isinstance(value, str):
        return name, "str", value
    if isinstance(value, Tensor):
        arr, dtype = value._data, value._dtype
    elif isinstance(value, np.ndarray):
        arr = value
        try:
            dtype = mstype.nptype_to_dtype(arr.dtype)
        except TypeError as exc:
            raise TypeError(f"For 'save_checkpoint', {name!r}: {exc}") from None
    else:
        raise TypeError(f"For 'save_checkpoint', {where} {name!r} must be a Parameter, Tensor, "
                        f"numpy.ndarray or str, but got {type(value)}.")
    if dtype is mstype.string:
        raise TypeError(f"For 'save_checkpoint', {name!r} is a string tensor; save a Python str.")
    return name, str(dtype), arr if arr.flags.c_contiguous else arr.copy(order="C")


def _collect(save_obj, choice_func):
    """[(name, value)] in save order from a Cell, list of Parameters/dicts, or dict."""
    if _is_cell(save_obj):
        if hasattr(save_obj, "init_parameters_data"):
            save_obj.init_parameters_data()
        seen, items = set(), []
        for _, p in save_obj.parameters_and_names():
            if id(p) not in seen:
                seen.add(id(p))
                items.append((p.name, p))
    elif isinstance(save_obj, list):
        items = []
        for x in save_obj:
            if isinstance(x, Parameter):
                items.append((x.name, x))
            elif isinstance(x, dict) and not any(isinstance(y, Parameter) for y in save_obj):
                if "name" not in x or "data" not in x:
                    raise TypeError(f"For save_checkpoint, when save_obj is a list of dict items, "
                                    f"each dict must have the keys 'name' and 'data' (MindSpore's "
                                    f"message says 'name' and 'value'), but got keys {list(x)}.")
                if not isinstance(x["name"], str):
                    raise TypeError(f"For save_checkpoint, when save_obj is a list of dict items, "
                                    f"the name in dict should be str, but got {type(x['name'])}.")
                if not isinstance(x["data"], Tensor):
                    raise TypeError(f"For save_checkpoint, when save_obj is a list of dict items, "
                                    f"the data in dict should be parameter, but got "
                                    f"{type(x['data'])}.")
                items.append((x["name"], x["data"]))
            elif isinstance(x, dict) or any(isinstance(y, Parameter) for y in save_obj):
                raise TypeError(f"For save_checkpoint, when save_obj is made up by list of "
                                f"Parameter,the param should be parameter, but got {type(x)}")
            else:
                raise TypeError(f"For save_checkpoint, when save_obj is a list, its items must be "
                                f"Parameters or dicts with 'name' and 'data', but got {type(x)}.")
    elif isinstance(save_obj, dict):
        items = []
        for k, v in save_obj.items():
            if not isinstance(k, str):
                raise TypeError(f"For 'save_checkpoint', the key of save_obj dict should be str, "
                                f"but got {type(k)}.")
            items.append((k, v))
    else:
        raise TypeError(f"For 'save_checkpoint', the parameter 'save_obj' must be nn.Cell, list "
                        f"or dict, but got {type(save_obj)}.")
    if choice_func is not None:
        items = [(n, v) for n, v in items if choice_func(n)]
    return items


def _append_items(append_dict):
    if append_dict is None:
        return []
    if not isinstance(append_dict, dict):
        raise TypeError(f"For 'save_checkpoint', the argument 'append_dict' must be dict, but got "
                        f"{type(append_dict)}.")
    out = []
    for k, v in append_dict.items():
        if not isinstance(k, str):
            raise TypeError(f"For 'save_checkpoint', the type of dict 'append_info' must be key: "
                            f"string, value: int, float, bool or Generator, but got key {type(k)}.")
        if isinstance(v, bool):
            v = Tensor._make(np.array(v, dtype=np.bool_), mstype.bool_)
        elif isinstance(v, int):
            v = Tensor._make(np.array(v, dtype=np.int64), mstype.int64)
        elif isinstance(v, float):
            v = Tensor._make(np.array(v, dtype=np.float32), mstype.float32)
        elif not isinstance(v, (str, Tensor)):
            raise TypeError(f"For 'save_checkpoint', the type of dict 'append_info' must be key: "
                            f"string, value: int, float, bool or Generator, but got value "
                            f"{type(v)} for {k!r}.")
        out.append((k, v))
    return out


def _target_path(name, fmt, func):
    if not isinstance(name, (str, os.PathLike)):
        raise TypeError(f"For '{func}', the argument 'ckpt_file_name' must be string, but got "
                        f"{type(name)}.")
    return os.fspath(name)


def _write_file(path, entries, fmt, crc):
    if fmt == "safetensors":
        _ckpt_io.atomic_write(path, _safetensors_pieces(entries))
        return

    def pieces():
        for name, ttype, value in entries:
            dims, content = codec.str_entry(value) if ttype == "str" else \
                (tuple(int(d) for d in value.shape), value)
            yield from codec.iter_entry_pieces(name, ttype, dims, content)
    _ckpt_io.atomic_write(path, pieces(), crc=crc)


def save_checkpoint(save_obj, ckpt_file_name, integrated_save=True, async_save=False,
                    append_dict=None, enc_key=None, enc_mode="AES-GCM", choice_func=None,
                    crc_check=False, format="ckpt", **kwargs):  # noqa: A002 - MindSpore's name
    """Save parameters to a MindSpore ``.ckpt`` (or safetensors) file.

    Args:
        save_obj: a Cell (its parameters, keyed by ``param.name``), a list of Parameters, a list
            of ``{"name": str, "data": Tensor}`` dicts, or a dict name -> Parameter / Tensor /
            numpy array / str.
        ckpt_file_name (str): target; ``.ckpt`` (``.safetensors``) is appended when the name does
            not end with ``ckpt`` (``safetensors``).
        integrated_save (bool): accepted for compatibility (single device: always integrated).
        async_save (bool | "thread" | "process"): snapshot the values now, write on a background
            thread ("process" also uses a thread). Call ``wait_async_saves()`` before reading the
            file; errors from the thread are raised there or at the next save.
        append_dict (dict): extra entries after the parameters: int -> Int64, float -> Float32,
            bool -> Bool scalars, str, Tensor.
        enc_key, enc_mode: encryption is not implemented (``NotImplementedError`` if a key is given).
        choice_func (callable): ``choice_func(name) -> bool`` selects what is saved.
        crc_check (bool): append MindSpore's CRC32 trailer (``load_checkpoint`` verifies it).
        format (str): "ckpt" or "safetensors".

    Duplicate names keep the position of the first and the value of the last; zero-size tensors
    are skipped (as MindSpore's writer does), with a warning. The file is written to a temp file,
    fsynced and renamed over the target, which is never deleted first (MindSpore deletes it before
    writing); the result is read-only (0400) like MindSpore's.
    """
    if not isinstance(async_save, bool) and async_save not in ("thread", "process"):
        raise ValueError(f"For 'save_checkpoint', the argument 'async_save' must be bool or "
                         f"'thread'/'process', but got {async_save!r}.")
    if format not in _FORMATS:
        raise ValueError(f"For 'save_checkpoint', the argument 'format' must be 'ckpt' or "
                         f"'safetensors', but got {format!r}.")
    if not isinstance(crc_check, bool):
        raise TypeError(f"For 'save_checkpoint', the argument 'crc_check' must be bool, but got "
                        f"{type(crc_check)}.")
    if enc_key is not None:
        if not isinstance(enc_key, bytes):
            raise TypeError(f"For 'save_checkpoint', the argument 'enc_key' must be bytes or None, "
                            f"but got {type(enc_key)}.")
        raise NotImplementedError("minispore does not implement encrypted checkpoints "
                                  "(enc_key / enc_mode); save without enc_key.")
    path = _target_path(ckpt_file_name, format, "save_checkpoint")
    if not path.endswith(format):
        path += "." + format
    path = os.path.realpath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"For 'save_checkpoint', the parameter `ckpt_file_name`: {path} "
                                f"is a directory, it must be a file name.")
    wait_async_saves()  # one save at a time; re-raises an earlier background failure here
    merged = {}
    for name, value in _collect(save_obj, choice_func) + _append_items(append_dict):
        merged[name] = value
    entries = []
    for name, value in merged.items():
        entry = _entry(name, value, "the value of")
        if entry[1] != "str" and entry[2].size == 0:
            logger.warning("save_checkpoint: %r has zero elements (shape %s) and is not saved, "
                           "as in MindSpore.", name, entry[2].shape)
            continue
        entries.append(entry)
    on_written = kwargs.pop("_on_written", None)   # private: ModelCheckpoint's rotation hook
    if async_save:
        entries = [(n, t, v if t == "str" else v.copy()) for n, t, v in entries]  # snapshot
        _ckpt_io.submit_async(_write_then, (path, entries, format, crc_check, on_written), path)
    else:
        _write_then(path, entries, format, crc_check, on_written)


def _write_then(path, entries, fmt, crc, on_written):
    """Write the file, then (on the same thread, once it is complete) call ``on_written()``."""
    _write_file(path, entries, fmt, crc)
    if on_written is not None:
        on_written()


def _check_prefix(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = (value,)
    elif isinstance(value, (list, tuple)):
        if not value:
            raise ValueError("For 'load_checkpoint', the 'filter_prefix' or 'specify_prefix' can't "
                             "be empty when 'specify_prefix' or 'filter_prefix' is list or tuple.")
        for i, p in enumerate(value):
            if not isinstance(p, str):
                raise TypeError(f"For 'load_checkpoint', when 'specify_prefix' or 'filter_prefix' "
                                f"is list or tuple, the element in it must be string, but got "
                                f"{type(p)} at index {i}.")
    else:
        raise TypeError(f"For 'load_checkpoint', the type of 'specify_prefix' or 'filter_prefix' "
                        f"must be string, list[string] or tuple[string], but got {type(value)}.")
    if "" in value:
        raise ValueError("For 'load_checkpoint', the value of 'specify_prefix' or 'filter_prefix' "
                         "can't include ''.")
    return tuple(value)


def _make_parameter(name, ttype, value):
    if ttype == "str":
        return value
    p = Parameter(value, name=name)   # an ndarray is adopted without a copy
    if ttype == "BFloat16":
        p._dtype = mstype.bfloat16
    return p


def load_checkpoint(ckpt_file_name, net=None, strict_load=False, filter_prefix=None, dec_key=None,
                    dec_mode="AES-GCM", specify_prefix=None, choice_func=None, crc_check=False,
                    remove_redundancy=False, format="ckpt"):  # noqa: A002 - MindSpore's name
    """Load a checkpoint into a dict name -> Parameter (str entries -> Python str), file order.

    ``specify_prefix`` keeps only names starting with one of its prefixes, then ``filter_prefix``
    drops names starting with one of its prefixes (plain ``startswith``, as MindSpore);
    ``choice_func(name) -> bool`` is used only when both are None. With ``net`` the dict is also
    loaded into it (``load_param_into_net``). The whole file is validated before anything is
    copied; loaded Parameters never alias the file.

    The CRC trailer is always stripped and verified whenever present (MindSpore verifies only with
    ``crc_check=True``); ``crc_check=True`` also requires the trailer (MindSpore only warns), which
    catches a file cut at a record boundary. Errors are ``ValueError`` naming the file, the byte
    offset and the record, where MindSpore only says the file "may be corrupted".
    """
    if not isinstance(ckpt_file_name, (str, os.PathLike)):
        raise TypeError(f"For 'load_checkpoint', the argument 'ckpt_file_name' must be string, but "
                        f"got {type(ckpt_file_name)}.")
    if format not in _FORMATS:
        raise ValueError(f"For 'load_checkpoint', the argument 'format' must be 'ckpt' or "
                         f"'safetensors', but got {format!r}.")
    name = os.fspath(ckpt_file_name)
    if not name.endswith(format) or os.path.isdir(name):
        raise ValueError(f"For 'load_checkpoint', the checkpoint file format must same with "
                         f"'format', but got file_name:'{name}', format:'{format}'")
    path = os.path.realpath(name)
    if not os.path.exists(path):
        raise ValueError(f"For 'load_checkpoint', the checkpoint file: {path} does not exist, "
                         f"please check whether the 'ckpt_file_name' is correct.")
    if dec_key is not None:
        raise NotImplementedError("minispore does not implement encrypted checkpoints "
                                  "(dec_key / dec_mode).")
    if not isinstance(crc_check, bool):
        raise TypeError(f"For 'load_checkpoint', the argument 'crc_check' must be bool, but got "
                        f"{type(crc_check)}.")
    specify, filt = _check_prefix(specify_prefix), _check_prefix(filter_prefix)
    for arg, val in (("specify_prefix", specify), ("filter_prefix", filt)):
        if val is not None:
            logger.warning("For 'load_checkpoint', '%s' is deprecated; use 'choice_func'.", arg)

    def select(n):
        if specify is not None and not n.startswith(specify):
            return False
        if filt is not None and n.startswith(filt):
            return False
        if specify is None and filt is None and choice_func is not None:
            return bool(choice_func(n))
        return True

    if format == "safetensors":
        values = read_safetensors(path, select=select)
    else:
        values = read_checkpoint(path, crc_check=crc_check, select=select)
    result = {n: _make_parameter(n, t, v) for n, t, v in values}
    if not result:
        raise ValueError("The loaded parameter dict is empty after filter or specify, please check "
                         "whether 'filter_prefix' or 'specify_prefix' are set correctly.")
    if net is not None:
        load_param_into_net(net, result, strict_load=strict_load,
                            remove_redundancy=remove_redundancy)
    return result
