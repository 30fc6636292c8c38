"""Convert checkpoints of other frameworks to and from minispore, without running their code.

The guide's recipe (``torch.load(f)['state_dict']`` then ``save_checkpoint``) executes whatever the
``.pth`` pickle says. Here :func:`load_pytorch` parses the ``torch.save`` container and interprets its
pickle against a tiny allowlist (see ``_torch.allowlist``), so a hostile file can only produce a
:class:`ConversionError` — torch is never imported. :func:`pytorch2mindspore` keeps the guide's name
and writes a ``.ckpt`` through ``minispore.train.serialization.save_checkpoint``.

Every reader returns the same in-memory form, an ``OrderedDict`` mapping parameter name to a
minispore :class:`~minispore.common.tensor.Tensor` (C-contiguous, owns its data; BFloat16 keeps its
raw ``uint16`` bits and ``Tensor.dtype`` says ``BFloat16``). :func:`load_params` / :func:`save_params`
dispatch on the file suffix so a CLI can convert between ``.pth`` (read only), ``.npz`` and ``.ckpt``.
"""
import io
import json
import os
from collections import OrderedDict

import numpy as np

from ..common import dtype as mstype
from ..common.tensor import Tensor
from ._ckpt_io import atomic_write
from ._torch.archive import TorchFile
from ._torch.allowlist import (ConversionError, CorruptFileError, Limits, TensorRef,
                               UnsafePickleError, brief)

__all__ = ["ConversionError", "UnsafePickleError", "CorruptFileError", "Limits", "load_pytorch",
           "pytorch2mindspore", "load_npz", "save_npz", "load_params", "save_params",
           "to_param_list"]

_DTYPE_KEY = "__minispore_dtypes__"   # npz entry: JSON {name: 'BFloat16', ...} for non-numpy dtypes


def _c_array(a):
    """C-contiguous array keeping 0-d shape (np.ascontiguousarray turns 0-d into 1-d)."""
    a = np.asarray(a)
    return a if a.flags.c_contiguous else np.array(a, order="C")


def _describe(v):
    if isinstance(v, TensorRef):
        return f"tensor{list(v.shape)}"
    if isinstance(v, dict):
        n = sum(isinstance(x, TensorRef) for x in v.values())
        return f"dict of {len(v)} entries, {n} tensors"
    return type(v).__name__


def _select(obj, state_dict_key, where):
    """The flat name -> TensorRef dict inside ``obj`` that ``state_dict_key`` designates."""
    path = () if state_dict_key is None else (
        (state_dict_key,) if isinstance(state_dict_key, str) else tuple(state_dict_key))
    for depth, key in enumerate(path):
        if not isinstance(obj, dict) or key not in obj:
            have = brief(list(obj)[:20], 300) if isinstance(obj, dict) else type(obj).__name__
            raise ConversionError(f"{where}: no key {key!r} at {list(path[:depth]) or 'top level'}; "
                                  f"available: {have}")
        obj = obj[key]
    if not isinstance(obj, dict):
        raise ConversionError(f"{where}: {list(path) or 'top level'} is a {type(obj).__name__}, "
                              "not a dict of tensors")
    return obj


def _not_flat_message(obj, path, where):
    keys = [f"{brief(k, 60)} ({_describe(v)})" for k, v in list(obj.items())[:20]]
    hint = [k for k, v in obj.items() if isinstance(v, dict)
            and v and all(isinstance(x, TensorRef) for x in v.values())]
    msg = f"{where}: {list(path) if path else 'the top level'} is not a flat dict of tensors; keys: " \
          + ", ".join(keys)
    if hint:
        msg += f". Pass state_dict_key={brief(hint[0], 200)}"
    return msg + " (or skip_non_tensors=True to drop non-tensor entries)."


def load_pytorch(path, *, state_dict_key=None, strip_prefix=None, skip_non_tensors=False,
                 limits=None):
    """Read a ``torch.save`` file (zip or legacy format) into ``OrderedDict[name, Tensor]``.

    Args:
        path (str | bytes): file path, or the file's bytes.
        state_dict_key (str | tuple[str] | None): key (or key path) of the nested state_dict, e.g.
            ``'state_dict'`` for ``{'state_dict': ..., 'epoch': 3}``. ``None``: the top level must
            be the state_dict; otherwise the error lists the available keys.
        strip_prefix (str | None): remove this prefix (e.g. ``'module.'`` from DataParallel) from
            names that start with it.
        skip_non_tensors (bool): drop non-tensor values instead of raising.
        limits (Limits | None): caps on pickle size, opcodes, storages, output bytes.

    Raises:
        UnsafePickleError: the pickle uses a global/opcode outside the state_dict allowlist.
        CorruptFileError: truncated or inconsistent file (sizes, offsets, strides).
        ConversionError: anything else (unsupported dtype, wrong structure); base of both above.
    """
    try:
        return _load_pytorch(path, state_dict_key, strip_prefix, skip_non_tensors, limits)
    except RecursionError:   # belt and braces: the pickle reader caps nesting before this
        name = "<bytes>" if isinstance(path, (bytes, bytearray)) else os.fspath(path)
        raise CorruptFileError(f"{name}: objects nested too deeply to read") from None


def _load_pytorch(path, state_dict_key, strip_prefix, skip_non_tensors, limits):
    with TorchFile(path, limits) as tf:
        where = tf.name
        root = tf.load()
        sd = _select(root, state_dict_key, where)
        path_keys = () if state_dict_key is None else (
            (state_dict_key,) if isinstance(state_dict_key, str) else tuple(state_dict_key))
        out = OrderedDict()
        for name, ref in sd.items():
            if not isinstance(ref, TensorRef):
                if skip_non_tensors:
                    continue
                raise ConversionError(_not_flat_message(sd, path_keys, where))
            if type(name) is not str:
                raise ConversionError(f"{where}: parameter name {brief(name, 60)} is not a string")
            new = name[len(strip_prefix):] if strip_prefix and name.startswith(strip_prefix) \
                else name
            if new in out:
                raise ConversionError(f"{where}: stripping {strip_prefix!r} makes '{name}' collide "
                                      f"with another parameter '{new}'")
            arr, ms_type = tf.array(ref, name)
            out[new] = Tensor._make(arr, ms_type)
        if not out:
            raise ConversionError(f"{where}: no tensors found")
        return out


def to_param_list(params):
    """``[{'name': name, 'data': Tensor}, ...]``: the list form ``save_checkpoint`` accepts."""
    return [{"name": k, "data": v if isinstance(v, Tensor) else Tensor(v)} for k, v in params.items()]


def pytorch2mindspore(default_file="torch_resnet.pth", ckpt_file="ms_resnet.ckpt", *,
                      state_dict_key="state_dict", strip_prefix=None, name_map=None, limits=None):
    """The guide's converter, made safe: read ``default_file`` without torch, write ``ckpt_file``.

    ``state_dict_key`` defaults to ``'state_dict'`` like the guide (``torch.load(f)['state_dict']``);
    pass ``None`` for a file that *is* a state_dict. ``name_map`` maps torch names to MindSpore
    names (names absent from it are kept). Returns the written names in order.
    """
    from .serialization import save_checkpoint  # noqa: PLC0415 -- written by another module
    params = load_pytorch(default_file, state_dict_key=state_dict_key, strip_prefix=strip_prefix,
                          limits=limits)
    if name_map:
        renamed = OrderedDict()
        for k, v in params.items():
            new = name_map.get(k, k)
            if new in renamed:
                raise ConversionError(f"name_map sends two parameters to '{new}'")
            renamed[new] = v
        params = renamed
    save_checkpoint(to_param_list(params), ckpt_file)
    return list(params)


def load_npz(path):
    """Read an ``.npz`` written by :func:`save_npz` (or plain ``np.savez``) without pickle.

    Values are Tensors, except 0-d string entries, which come back as ``str`` (as ``.ckpt``)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            dtypes = json.loads(str(z[_DTYPE_KEY])) if _DTYPE_KEY in z.files else {}
            out = OrderedDict()
            for name in z.files:
                if name == _DTYPE_KEY:
                    continue
                arr = _c_array(z[name])
                if arr.dtype.kind == "U" and arr.ndim == 0:
                    out[name] = str(arr)   # a string entry (like load_checkpoint's append_info)
                    continue
                ms_type = mstype.type_from_string(dtypes[name]) if name in dtypes else \
                    mstype.nptype_to_dtype(arr.dtype)
                if ms_type.np_dtype != arr.dtype:
                    raise ConversionError(f"{path}: entry '{name}' is {arr.dtype}, not the "
                                          f"{ms_type.np_dtype} storage of {ms_type}")
                out[name] = Tensor._make(arr, ms_type)
    except ConversionError:
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError) as e:
        raise ConversionError(f"{path}: cannot read as .npz: {e}") from None
    return out


def save_npz(params, path):
    """Write ``{name: Tensor | ndarray}`` to ``path`` (uncompressed npz, atomic replace).

    BFloat16 is stored as its uint16 bits plus a ``__minispore_dtypes__`` JSON entry, so
    :func:`load_npz` restores the dtype bit-exactly.
    """
    arrays, dtypes = {}, {}
    for name, v in params.items():
        if name == _DTYPE_KEY:
            raise ConversionError(f"parameter name {_DTYPE_KEY!r} is reserved")
        if isinstance(v, Tensor):
            arrays[name] = _c_array(v._data)
            if v.dtype is mstype.bfloat16:
                dtypes[name] = v.dtype.name
        else:
            arrays[name] = _c_array(v)
    if dtypes:
        arrays[_DTYPE_KEY] = np.array(json.dumps(dtypes))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write(os.fspath(path), [buffer.getbuffer()], mode=0o644)


_TORCH_SUFFIXES = (".pth", ".pt", ".bin", ".tar")


def load_params(path, fmt=None, **options):
    """``OrderedDict[name, Tensor]`` from a ``.pth``/``.pt`` (options go to :func:`load_pytorch`),
    ``.npz`` or ``.ckpt`` file; ``fmt`` ('torch', 'npz', 'ckpt') overrides the suffix."""
    fmt = fmt or _format_of(path)
    if fmt == "torch":
        return load_pytorch(path, **options)
    if options:
        raise TypeError(f"options {sorted(options)} only apply to torch files")
    if fmt == "npz":
        return load_npz(path)
    from .serialization import load_checkpoint  # noqa: PLC0415
    return OrderedDict((k, Tensor._make(_c_array(v._data), v.dtype))
                       for k, v in load_checkpoint(os.fspath(path)).items()
                       if isinstance(v, Tensor))  # append_info strings are not parameters


def save_params(params, path, fmt=None):
    """Write ``{name: Tensor}`` as ``.npz`` or ``.ckpt`` (writing ``.pth`` is not supported)."""
    fmt = fmt or _format_of(path)
    if fmt == "npz":
        return save_npz(params, path)
    if fmt == "ckpt":
        from .serialization import save_checkpoint  # noqa: PLC0415
        return save_checkpoint(to_param_list(params), os.fspath(path))
    raise ConversionError(f"{path}: cannot write format {fmt!r}; use .npz or .ckpt")


def _format_of(path):
    p = os.fspath(path).lower()
    if p.endswith(_TORCH_SUFFIXES):
        return "torch"
    if p.endswith(".npz"):
        return "npz"
    if p.endswith(".ckpt"):
        return "ckpt"
    raise ConversionError(f"{path}: unknown checkpoint format; pass fmt='torch'|'npz'|'ckpt'")
