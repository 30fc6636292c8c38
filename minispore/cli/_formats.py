"""Checkpoint files as the ``minispore-ckpt`` CLI sees them: headers first, tensors one at a time.

``open_source(path)`` picks a reader by suffix and returns a :class:`Source` whose ``entries``
(name, dtype, shape, nbytes) come from headers only:

* ``.ckpt``        - the streaming parser in ``minispore.train._ckpt_reader`` over a memory map;
                     record headers are validated, no tensor byte is read (the CRC is checked only
                     by ``check_crc()`` / ``verify()``, which read the whole body).
* ``.safetensors`` - the header is validated by ``_safetensors.read_safetensors`` (selecting
                     nothing, so no tensor is copied) and then parsed here for names and offsets.
* ``.npz``         - ``_npz``: the zip directory and each member's ``.npy`` header (never
                     pickle); BFloat16 from the ``__minispore_dtypes__`` entry ``save_npz`` writes.
* ``.pth/.pt/.bin`` - ``converters.load_pytorch`` (the safe reader; torch is never imported). A
                     pickle stores no byte sizes up front, so this reader loads the tensors.

``Source.read(entry)`` returns one fresh array (BFloat16 as its raw ``uint16`` bits) or a str.
Dtypes are always MindSpore's checkpoint strings (``Float32``, ``BFloat16``, ``str`` ...).
``write_entries(path, fmt, items, crc)`` writes through the library's atomic writers.

Errors: :class:`UsageError` (exit 2: missing/unreadable file, unknown suffix, bad option) and
:class:`BadFileError` (exit 1: the file was read and is malformed); both carry one line naming
the file.
"""
import errno
import json
import math
import os
import stat
import zipfile
from typing import NamedTuple

import numpy as np

from ..train import _ckpt_codec as codec
from ..train import _ckpt_reader as reader
from ..train import _safetensors as st
from ..train._ckpt_reader import CheckpointError
from ..train._torch.allowlist import ConversionError

__all__ = ["CliError", "UsageError", "BadFileError", "Entry", "Source", "open_source",
           "format_of", "write_entries", "FLOAT_TYPES", "READ_FORMATS", "WRITE_FORMATS"]

READ_FORMATS = {".ckpt": "ckpt", ".safetensors": "safetensors", ".npz": "npz", ".pth": "torch",
                ".pt": "torch", ".bin": "torch"}
WRITE_FORMATS = ("ckpt", "safetensors", "npz")
FLOAT_TYPES = ("Float16", "Float32", "Float64", "BFloat16")
BLOCK_ELEMS = 1 << 20        # elements per block when comparing big tensors


class CliError(Exception):
    """A failure reported as one line on stderr with ``exit_code``."""
    exit_code = 2


class UsageError(CliError):
    """Bad arguments, missing/unreadable file, unsupported suffix: exit 2."""
    exit_code = 2


class BadFileError(CliError):
    """The file was read and found malformed (or two files differ): exit 1."""
    exit_code = 1


class Entry(NamedTuple):
    """One value as a header describes it (``key`` is the reader's handle)."""
    name: str
    dtype: str
    shape: tuple
    nbytes: int
    chunks: int
    key: object

    @property
    def elements(self):
        """Element count (0 for a str, which is not a parameter)."""
        return 0 if self.dtype == "str" else math.prod(self.shape)


def one_line(exc):
    return " ".join(str(exc).split())


def format_of(path, writing=False):
    """'ckpt' | 'safetensors' | 'npz' | 'torch' from the suffix; UsageError otherwise."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    fmt = READ_FORMATS.get(ext)
    if fmt is None:
        raise UsageError(f"{path}: unknown checkpoint suffix {ext or '(none)'!r}; expected one of "
                         f"{', '.join(READ_FORMATS)}")
    if writing and fmt not in WRITE_FORMATS:
        raise UsageError(f"{path}: refusing to write {ext}: torch pickles are read-only here "
                         f"(write .ckpt, .safetensors or .npz)")
    return fmt


def _open_error(path, exc):
    """UsageError for an OSError met while opening ``path``."""
    if isinstance(exc, FileNotFoundError):
        return UsageError(f"{path}: no such file")
    if isinstance(exc, IsADirectoryError):
        return UsageError(f"{path}: is a directory, not a checkpoint file")
    if isinstance(exc, PermissionError):
        return UsageError(f"{path}: permission denied")
    return UsageError(f"{path}: cannot read: {exc.strerror or exc}")


class Source:
    """An opened checkpoint: ``entries`` from headers, ``read(entry)`` per value."""
    fmt = "?"
    crc_note = "n/a"

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.entries = []
        mode = os.stat(self.path).st_mode          # stat never blocks; open of a FIFO would
        if not stat.S_ISREG(mode):
            if stat.S_ISDIR(mode):
                raise IsADirectoryError(errno.EISDIR, "is a directory", self.path)
            raise BadFileError(f"{self.path}: not a regular file (FIFO, device or socket); "
                               f"nothing was read")
        self.size = os.path.getsize(self.path)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Release the file."""

    def logical(self):
        """Entries as a loader sees them: a repeated name keeps its first position, last value."""
        pos = {}
        for e in self.entries:
            pos[e.name] = e if e.name not in pos else pos[e.name]
        last = {e.name: e for e in self.entries}
        return [last[n] for n in pos]

    def crc_state(self):
        """(state, detail) without reading tensor bytes."""
        return "n/a", self.crc_note

    def check_crc(self):
        """(state, detail) after reading every byte; never raises for a mismatch."""
        return self.crc_state()

    def read(self, entry):
        raise NotImplementedError

    def segments(self, entry):
        """((file offset, length), ...) of the raw little-endian bytes, or None if not flat."""
        return None

    def blocks(self, entry, elems=BLOCK_ELEMS):
        """Yield the value as consecutive flat arrays of ``elems`` elements (the last shorter).

        Formats whose bytes lie in the file (``.ckpt``, ``.safetensors``) are read with
        ``os.pread`` one block at a time, so a 1 GB tensor costs one block of memory, not 1 GB.
        """
        segs = self.segments(entry)
        if segs is None or entry.dtype not in codec.NUMPY_DTYPE:
            flat = self.read(entry).reshape(-1)
            for s in range(0, flat.size, elems):
                yield flat[s:s + elems]
            return
        dt = codec.NUMPY_DTYPE[entry.dtype]
        step = elems * dt.itemsize
        with open(self.path, "rb") as f:
            fd = f.fileno()
            for lo in range(0, entry.nbytes, step):
                data = _pread_span(fd, segs, lo, min(entry.nbytes, lo + step))
                if len(data) % dt.itemsize:
                    raise BadFileError(f"{self.path}: {entry.name!r} is cut short (file changed?)")
                arr = np.frombuffer(data, dtype=dt)
                yield arr if arr.dtype.isnative else arr.astype(dt.newbyteorder("="))

    def verify(self):
        """Full check; returns a short clause about integrity ('CRC valid', ...)."""
        for e in self.entries:
            if e.dtype == "str":
                self.read(e)
        return self.crc_note


def _pread_span(fd, segs, lo, hi):
    """Bytes ``[lo, hi)`` of the value whose bytes are the concatenation of ``segs``."""
    out, at = [], 0
    for off, n in segs:
        a, b = max(lo, at), min(hi, at + n)
        if a < b:
            piece = os.pread(fd, b - a, off + a - at)
            out.append(piece)
            if len(piece) != b - a:
                break
        at += n
    return b"".join(out) if len(out) != 1 else out[0]


class CkptSource(Source):
    """``.ckpt`` via the streaming parser."""
    fmt = "ckpt"

    def __init__(self, path):
        super().__init__(path)
        self._buf, self.size = reader.open_map(self.path)
        try:
            self.body_end, self.stored_crc = reader.split_trailer(self._buf, self.size)
            self.entries = [Entry(i.name, i.tensor_type, i.shape, i.nbytes, len(i.segments), i)
                            for i in reader.iter_tensors(self._buf, self.body_end, self.path)]
        except BaseException:
            self.close()
            raise

    def close(self):
        if hasattr(self._buf, "close"):
            self._buf.close()

    def crc_state(self):
        if self.stored_crc is None:
            return "absent", "no CRC trailer (saved without crc_check=True)"
        return "present", "present (not verified; use verify or --crc)"

    def check_crc(self):
        if self.stored_crc is None:
            return self.crc_state()
        computed = reader.body_crc(self._buf, self.body_end)
        if computed == self.stored_crc:
            return "valid", f"present, valid (0x{computed:08x})"
        return "mismatch", (f"present, MISMATCH: stored 0x{self.stored_crc:08x}, computed "
                            f"0x{computed:08x}")

    def read(self, entry):
        if entry.dtype not in codec.LOADABLE_TYPES:
            raise BadFileError(f"{self.path}: entry {entry.name!r} has tensor_type "
                               f"{entry.dtype}, which minispore cannot load")
        return reader.materialize(self._buf, entry.key, self.path)

    def segments(self, entry):
        return entry.key.segments

    def verify(self):
        reader.validate(self.path)                          # exactly load_checkpoint's checks
        super().verify()                                    # str entries must decode
        return "CRC valid" if self.stored_crc is not None else "CRC absent"


class SafetensorsSource(Source):
    """``.safetensors``: header validated by the library reader, then parsed here."""
    fmt = "safetensors"
    crc_note = "none (safetensors has no checksum)"

    def __init__(self, path):
        super().__init__(path)
        st.read_safetensors(self.path, select=lambda name: False)   # validates, copies nothing
        with open(self.path, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(n).decode("utf-8"))
        self._base = 8 + n
        meta = header.pop("__metadata__", None) or {}
        tensors = sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0])
        self.entries = [Entry(k, st.FROM_ST[v["dtype"]], tuple(v["shape"]),
                              v["data_offsets"][1] - v["data_offsets"][0], 1, v)
                        for k, v in tensors]
        self.entries += [Entry(k, "str", (), 4 * len(v), 1, v)
                         for k, v in st.str_entries(meta, header).items()]

    def segments(self, entry):
        return None if entry.dtype == "str" else \
            ((self._base + entry.key["data_offsets"][0], entry.nbytes),)

    def read(self, entry):
        if entry.dtype == "str":
            return entry.key
        dt = codec.NUMPY_DTYPE[entry.dtype]
        begin, _ = entry.key["data_offsets"]
        with open(self.path, "rb") as f:
            f.seek(self._base + begin)
            data = f.read(entry.nbytes)
        if len(data) != entry.nbytes:
            raise BadFileError(f"{self.path}: {entry.name!r} is cut short (file changed?)")
        arr = np.frombuffer(data, dtype=dt).reshape(entry.shape)
        return arr.astype(dt.newbyteorder("=")) if not arr.dtype.isnative else arr.copy()


class TorchSource(Source):
    """``.pth``/``.pt``: the safe reader (loads the tensors; a pickle has no up-front sizes)."""
    fmt = "torch"
    crc_note = "n/a (read through the safe pickle reader)"

    def __init__(self, path, state_dict_key=None, skip_non_tensors=False):
        super().__init__(path)
        from ..train.converters import load_pytorch  # noqa: PLC0415 - only for torch input
        try:
            params = load_pytorch(self.path, state_dict_key=state_dict_key,
                                  skip_non_tensors=skip_non_tensors)
        except ConversionError as exc:   # speak CLI: options, not keyword arguments
            msg = str(exc).replace("state_dict_key=", "--state-dict-key ").replace(
                "skip_non_tensors=True", "--skip-non-tensors")
            raise BadFileError(" ".join(msg.split())) from None
        self.entries = [Entry(k, str(t.dtype), tuple(t.shape), t._data.nbytes, 1, t)
                        for k, t in params.items()]

    def read(self, entry):
        return entry.key._data

    def verify(self):
        return "read completely by the safe reader (no checksum in the format)"


def _npz_source(path):
    from ._npz import NpzSource  # noqa: PLC0415 - that module imports this one
    return NpzSource(path)


_SOURCES = {"ckpt": CkptSource, "safetensors": SafetensorsSource, "npz": _npz_source}


def open_source(path, state_dict_key=None, skip_non_tensors=False):
    """Open ``path`` by suffix; ``CliError`` (one line, names the file) on any failure."""
    fmt = format_of(path)
    if (state_dict_key or skip_non_tensors) and fmt != "torch":
        raise UsageError(f"{path}: --state-dict-key/--skip-non-tensors only apply to .pth/.pt "
                         f"input")
    try:
        if fmt == "torch":
            return TorchSource(path, state_dict_key, skip_non_tensors)
        return _SOURCES[fmt](path)
    except CliError:
        raise
    except OSError as exc:
        raise _open_error(path, exc) from None
    except (CheckpointError, ConversionError) as exc:
        raise BadFileError(one_line(exc)) from None
    except (ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile, RecursionError,
            MemoryError, OverflowError) as exc:
        raise BadFileError(f"{os.path.abspath(path)}: cannot read as {fmt}: "
                           f"{type(exc).__name__}: {one_line(exc)}") from None


def guard(source, fn, *args):
    """Run ``fn(*args)`` reading from ``source``, mapping reader errors to one-line CliErrors."""
    try:
        return fn(*args)
    except CliError:
        raise
    except OSError as exc:
        raise _open_error(source.path, exc) from None
    except (CheckpointError, ConversionError) as exc:
        raise BadFileError(one_line(exc)) from None
    except (ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile, RecursionError,
            MemoryError, OverflowError) as exc:
        raise BadFileError(f"{source.path}: {type(exc).__name__}: {one_line(exc)}") from None


def write_entries(path, fmt, items, crc=False):
    """Atomically write ``[(name, dtype, value)]`` (value: array or str) as ``fmt``.

    ``.ckpt``/``.safetensors`` go through ``save_checkpoint``'s writer (temp file, fsync, rename;
    the result is read-only 0400 like MindSpore's), at exactly ``path`` whatever its suffix's
    case; ``.npz`` through ``converters.save_npz``. Zero-size
    tensors cannot be stored in a ``.ckpt`` (MindSpore skips them) and are reported by the caller.
    """
    from ..common import dtype as mstype       # noqa: PLC0415
    from ..common.tensor import Tensor          # noqa: PLC0415
    from ..train.converters import save_npz     # noqa: PLC0415
    from ..train import serialization  # noqa: PLC0415
    values = {}
    for name, ttype, value in items:
        values[name] = value if ttype == "str" else \
            Tensor._make(np.ascontiguousarray(value) if value.ndim else value,
                         mstype.type_from_string(ttype))
    try:
        if fmt == "npz":
            save_npz(values, path)
        else:   # exactly at ``path``: save_checkpoint would append ".ckpt" to "OUT.CKPT"
            entries = [serialization._entry(n, v, "the value of")  # noqa: SLF001
                       for n, v in values.items()]
            target = os.path.abspath(os.fspath(path))
            serialization._write_file(target, entries, fmt, bool(crc and fmt == "ckpt"))  # noqa
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except (ValueError, TypeError, ConversionError) as exc:
        raise UsageError(f"{path}: cannot write as {fmt}: {one_line(exc)}") from None
