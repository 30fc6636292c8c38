"""The two ``torch.save`` containers, read without torch: the zip archive and the legacy stream.

Zip (torch >= 1.6, ``caffe2/serialize/inline_container.h``): ``<archive>/data.pkl`` (the pickle),
``<archive>/data/<key>`` (raw storage bytes, one entry per storage), ``<archive>/byteorder``
(``little``/``big``; absent in old files, meaning little), ``<archive>/version`` or
``<archive>/.data/version``. Legacy (``_use_new_zipfile_serialization=False``): five pickles in a
row (magic number, protocol 1001, sys_info, the object, the sorted storage keys) followed, per key,
by an int64 little-endian element count and the raw little-endian bytes.

Nothing is trusted: each storage's size must equal ``numel * itemsize`` declared in the pickle,
each tensor's ``offset + sum((size-1)*stride)`` must fall inside its storage, and the bytes
materialized in total are capped (strides of 0 can make a tiny storage expand to a huge tensor).
Arrays are built with ``as_strided`` over the validated buffer and then copied, so views,
transposes and shared storages come out as independent C-contiguous arrays.
"""
import io
import os
import zipfile
import zlib

import numpy as np

from ...common import dtype as mstype
from .pickle_vm import unpickle
from .allowlist import (ConversionError, CorruptFileError, Limits, StorageRef, TensorRef,
                        UnsafePickleError, STORAGE_DTYPES, _Global, brief)

__all__ = ["TorchFile"]

# torch dtype name -> (numpy little-endian dtype, minispore Type); itemsizes of unsupported ones.
_NP = {
    "float32": ("<f4", mstype.float32), "float16": ("<f2", mstype.float16),
    "bfloat16": ("<u2", mstype.bfloat16), "float64": ("<f8", mstype.float64),
    "int64": ("<i8", mstype.int64), "int32": ("<i4", mstype.int32),
    "int16": ("<i2", mstype.int16), "int8": ("i1", mstype.int8), "uint8": ("u1", mstype.uint8),
    "bool": ("u1", mstype.bool_), "uint16": ("<u2", mstype.uint16),
    "uint32": ("<u4", mstype.uint32), "uint64": ("<u8", mstype.uint64),
}
_ITEMSIZE = {k: np.dtype(v[0]).itemsize for k, v in _NP.items()}
_ITEMSIZE.update({"complex64": 8, "complex128": 16, "qint8": 1, "quint8": 1, "qint32": 4,
                  "quint4x2": 1, "quint2x4": 1})
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001


def _storage_dtype(storage_type):
    if not isinstance(storage_type, _Global):
        raise UnsafePickleError(f"persistent id storage type must be a torch storage class, "
                                f"got {brief(storage_type, 60)}")
    short = storage_type.name.rsplit(".", 1)[-1]
    if short == "UntypedStorage":
        return "uint8"
    if short not in STORAGE_DTYPES:
        raise UnsafePickleError(f"{storage_type.name} is not a storage class")
    return STORAGE_DTYPES[short]


class TorchFile:
    """An opened ``.pth``/``.pt`` file: ``load()`` the object tree, then ``array(ref, name)``.

    ``path`` may be a filesystem path or ``bytes``. Use as a context manager.
    """

    def __init__(self, path, limits=None):
        self.limits = limits or Limits()
        self.name = os.fspath(path) if not isinstance(path, (bytes, bytearray)) else "<bytes>"
        self._src = bytes(path) if isinstance(path, (bytes, bytearray)) else self.name
        try:
            if isinstance(self._src, bytes):
                head, self._size = self._src[:300], len(self._src)
            else:
                self._size = os.path.getsize(self._src)
                with open(self._src, "rb") as f:
                    head = f.read(300)
        except OSError as e:
            raise ConversionError(f"{self.name}: cannot read: {e}") from None
        data = head
        self._zip = None
        self._storages = {}     # key -> StorageRef (declared)
        self._bytes = {}        # key -> storage bytes (validated)
        self._out_bytes = 0
        self._span_bytes = 0    # storage bytes read for tensors (sparse strides read more)
        self._inflated = 0      # bytes inflated from deflated storage entries
        cap = self.limits.max_output_bytes
        self._max_out = cap if cap is not None else 2 * self._size + (64 << 20)
        self._big = False
        if data[:4] == b"PK\x03\x04":
            self._open_zip()
        elif data[:2] == b"\x80\x02" and data[2:3] == b"\x8a":
            try:
                self._data = self._src if isinstance(self._src, bytes) else _read_all(self._src)
            except OSError as e:
                raise ConversionError(f"{self.name}: cannot read: {e}") from None
        elif len(data) > 262 and data[257:262] == b"ustar":
            raise ConversionError(f"{self.name}: the pre-2017 tar checkpoint format is not "
                                  "supported; re-save it with a current torch.save")
        else:
            raise CorruptFileError(f"{self.name}: not a torch.save file (neither a zip archive "
                                   "nor the legacy pickle stream)")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if getattr(self, "_zip", None) is not None:
            self._zip.close()
        self._bytes.clear()

    # ---- zip ----------------------------------------------------------------------------------
    def _open_zip(self):
        src = io.BytesIO(self._src) if isinstance(self._src, bytes) else self._src
        try:
            self._zip = zipfile.ZipFile(src)
            infos = self._zip.infolist()
        except MemoryError:
            raise
        except Exception as e:  # BadZipFile, NotImplementedError (version), struct.error, ...
            raise CorruptFileError(f"{self.name}: broken zip archive: "
                                   f"{type(e).__name__}: {e}") from None
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise CorruptFileError(f"{self.name}: zip archive has duplicate entry names")
        self._infos = {i.filename: i for i in infos}
        pkls = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pkls) != 1:
            raise CorruptFileError(f"{self.name}: expected exactly one '<archive>/data.pkl' entry, "
                                   f"found {len(pkls)} (entries: {names[:8]})")
        self._prefix = pkls[0][:-len("data.pkl")]
        bo = self._prefix + "byteorder"
        if bo in self._infos:
            order = self._read_entry(bo, 16).decode("ascii", "replace")
            if order not in ("little", "big"):
                raise CorruptFileError(f"{self.name}: entry '{bo}' is {brief(order, 20)}, expected "
                                       "'little' or 'big'")
            self._big = order == "big"

    def _read_entry(self, name, expected):
        """Bytes of entry ``name`` whose uncompressed size must be ``expected`` (or at most it,
        for small metadata entries read with ``expected`` as a cap)."""
        info = self._infos.get(name)
        if info is None:
            raise CorruptFileError(f"{self.name}: archive entry '{name}' is missing")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise CorruptFileError(f"{self.name}: entry '{name}' uses unsupported compression")
        if info.file_size > expected:
            raise CorruptFileError(f"{self.name}: entry '{name}' is {info.file_size} bytes, "
                                   f"more than the {expected} allowed")
        if info.compress_type == zipfile.ZIP_STORED and \
                info.header_offset + info.compress_size > self._size:
            raise CorruptFileError(f"{self.name}: entry '{name}' extends past the end of the file")
        try:
            out = self._zip.read(name)
        except MemoryError:
            raise
        except Exception as e:  # BadZipFile (CRC), zlib.error, NotImplementedError, EOFError, ...
            raise CorruptFileError(f"{self.name}: entry '{name}' is unreadable: {e}") from None
        if len(out) != info.file_size:
            raise CorruptFileError(f"{self.name}: entry '{name}' size mismatch")
        return out

    def _zip_persistent_load(self, pid):
        if type(pid) is not tuple or len(pid) != 5 or pid[0] != "storage":
            raise UnsafePickleError(f"unexpected persistent id {brief(pid, 80)}")
        return self._declare(pid[1], pid[2], pid[3], pid[4])

    def _declare(self, storage_type, key, location, numel):
        dtype = _storage_dtype(storage_type)
        if type(key) is not str or not key or len(key) > 64 or "/" in key or "\\" in key:
            raise CorruptFileError(f"bad storage key {brief(key, 40)}")
        if type(location) is not str or type(numel) is not int or not 0 <= numel < (1 << 48):
            raise CorruptFileError(f"bad storage location/size for key {key!r}")
        old = self._storages.get(key)
        if old is not None:
            if (old.dtype, old.numel) != (dtype, numel):
                raise CorruptFileError(f"storage '{key}' declared twice with different "
                                       f"dtype/size ({old.dtype}[{old.numel}] vs {dtype}[{numel}])")
            return old
        if len(self._storages) >= self.limits.max_storages:
            raise CorruptFileError(f"more than {self.limits.max_storages} storages")
        ref = self._storages[key] = StorageRef(key, dtype, numel, location)
        return ref

    # ---- legacy -------------------------------------------------------------------------------
    def _legacy_persistent_load(self, pid):
        if type(pid) is not tuple or len(pid) != 6 or pid[0] != "storage":
            raise UnsafePickleError(f"unexpected legacy persistent id {brief(pid, 80)}")
        if pid[5] is not None:
            raise ConversionError("legacy storage views (view_metadata) are not supported")
        return self._declare(pid[1], pid[2], pid[3], pid[4])

    def _load_legacy(self):
        lim, data, where = self.limits, self._data, f"{self.name}: legacy stream"

        def no_pid(pid):
            raise UnsafePickleError("persistent id in a legacy header pickle")
        magic, pos = unpickle(data, 0, no_pid, lim, where)
        if magic != _LEGACY_MAGIC:
            raise CorruptFileError(f"{where}: bad magic number")
        proto, pos = unpickle(data, pos, no_pid, lim, where)
        if proto != _LEGACY_PROTOCOL:
            raise CorruptFileError(f"{where}: unsupported protocol version {brief(proto, 20)}")
        sys_info, pos = unpickle(data, pos, no_pid, lim, where)
        if not isinstance(sys_info, dict) or sys_info.get("little_endian") is not True:
            raise ConversionError(f"{where}: only little-endian legacy files are supported")
        obj, pos = unpickle(data, pos, self._legacy_persistent_load, lim, where)
        keys, pos = unpickle(data, pos, no_pid, lim, where)
        if type(keys) is not list or not all(type(k) is str for k in keys):
            raise CorruptFileError(f"{where}: storage key list is malformed")
        for key in keys:
            ref = self._storages.get(key)
            if ref is None:
                raise CorruptFileError(f"{where}: storage '{key}' has data but no declaration")
            if len(data) - pos < 8:
                raise CorruptFileError(f"{where}: truncated before storage '{key}'")
            numel = int.from_bytes(data[pos:pos + 8], "little")
            nbytes = ref.numel * _ITEMSIZE[ref.dtype]
            if numel != ref.numel or len(data) - pos - 8 < nbytes:
                raise CorruptFileError(f"{where}: storage '{key}' declares {ref.numel} elements "
                                       f"but the stream holds {numel} / too few bytes")
            self._bytes[key] = memoryview(data)[pos + 8:pos + 8 + nbytes]
            pos += 8 + nbytes
        missing = set(self._storages) - set(self._bytes)
        if missing:
            raise CorruptFileError(f"{where}: storages {sorted(missing)[:5]} have no data")
        return obj

    # ---- public -------------------------------------------------------------------------------
    def load(self):
        """The unpickled object tree, with tensors as :class:`TensorRef` leaves."""
        if self._zip is None:
            return self._load_legacy()
        pkl = self._prefix + "data.pkl"
        data = self._read_entry(pkl, self.limits.max_pickle_bytes)
        return unpickle(data, 0, self._zip_persistent_load, self.limits,
                        f"{self.name}: {pkl}")[0]

    def _storage_span(self, ref, lo, n):
        """``n`` bytes from byte ``lo`` of storage ``ref``: only what one tensor needs.

        A storage entry is read as a stream: a stored (uncompressed, what torch.save writes)
        entry is read in place; a deflated one is inflated up to ``lo + n`` only, and everything
        inflated counts against the output cap, so a small zip of a huge zero storage costs no
        more than the tensor it feeds (issue 15.2).
        """
        buf = self._bytes.get(ref.key)
        if buf is not None:                      # legacy stream: already in memory
            return buf[lo:lo + n]
        nbytes = ref.numel * _ITEMSIZE[ref.dtype]
        name = f"{self._prefix}data/{ref.key}"
        info = self._infos.get(name)
        if info is None:
            raise CorruptFileError(f"{self.name}: archive entry '{name}' is missing")
        if info.file_size != nbytes:
            raise CorruptFileError(f"{self.name}: entry '{name}' holds {info.file_size} bytes "
                                   f"but the pickle declares {ref.numel} x {ref.dtype} = "
                                   f"{nbytes} bytes")
        try:
            if info.compress_type == zipfile.ZIP_STORED:
                out = self._read_stored(info, name, lo, n)
            elif info.compress_type == zipfile.ZIP_DEFLATED:
                self._inflated += lo + n
                if self._inflated > self._max_out:
                    raise CorruptFileError(f"{self.name}: entry '{name}': inflating more than "
                                           f"{self._max_out} bytes in total")
                with self._zip.open(info) as f:
                    f.seek(lo)
                    out = f.read(n)
            else:
                raise CorruptFileError(f"{self.name}: entry '{name}' uses unsupported "
                                       "compression")
        except ConversionError:
            raise
        except MemoryError:
            raise
        except Exception as e:  # BadZipFile (CRC), zlib.error, OSError, EOFError, ...
            raise CorruptFileError(f"{self.name}: entry '{name}' is unreadable: {e}") from None
        if len(out) != n:
            raise CorruptFileError(f"{self.name}: entry '{name}' is cut short")
        return out

    def _read_stored(self, info, name, lo, n):
        """Bytes ``[lo, lo + n)`` of an uncompressed entry, read in place (CRC checked when the
        whole entry is read)."""
        f = io.BytesIO(self._src) if isinstance(self._src, bytes) else open(self._src, "rb")
        with f:
            f.seek(info.header_offset)
            head = f.read(30)
            if len(head) != 30 or head[:4] != b"PK\x03\x04":
                raise CorruptFileError(f"{self.name}: entry '{name}' has a bad local header")
            start = info.header_offset + 30 + int.from_bytes(head[26:28], "little") + \
                int.from_bytes(head[28:30], "little")
            if start + info.file_size > self._size:
                raise CorruptFileError(f"{self.name}: entry '{name}' extends past the end of "
                                       "the file")
            f.seek(start + lo)
            out = f.read(n)
        if lo == 0 and n == info.file_size and zlib.crc32(out) != info.CRC:
            raise CorruptFileError(f"{self.name}: entry '{name}' fails its CRC-32 check")
        return out

    def array(self, ref, name):
        """Validated C-contiguous numpy copy of tensor ``ref`` and its minispore Type."""
        where = f"{self.name}: tensor '{name}'"
        if not isinstance(ref, TensorRef):
            raise ConversionError(f"{where} is not a tensor")
        if ref.dtype not in _NP:
            raise ConversionError(f"{where} has dtype torch.{ref.dtype}, which minispore cannot "
                                  "represent")
        np_dtype, ms_type = _NP[ref.dtype]
        np_dtype = np.dtype(np_dtype)
        itemsize = np_dtype.itemsize
        storage_elems = ref.storage.numel * _ITEMSIZE[ref.storage.dtype] // itemsize
        count, extent = 1, itemsize
        for s in ref.shape:
            count *= s
            extent *= max(s, 1)
        if extent >= 1 << 62:  # numpy refuses such shapes even when one dimension is 0
            raise CorruptFileError(f"{where}: size {ref.shape} is too large")
        if count:
            last = ref.offset + sum((s - 1) * st for s, st in zip(ref.shape, ref.stride))
            if last >= storage_elems:
                raise CorruptFileError(
                    f"{where}: offset {ref.offset}, size {ref.shape}, stride {ref.stride} reach "
                    f"element {last} of storage '{ref.storage.key}' which has {storage_elems}")
        self._out_bytes += count * itemsize
        if self._out_bytes > self._max_out:
            raise CorruptFileError(f"{where}: materializing more than {self._max_out} bytes "
                                   "(raise Limits.max_output_bytes if this file is trusted)")
        if self._big:
            np_dtype = np_dtype.newbyteorder(">")
        if count == 0:
            out = np.zeros(ref.shape, np_dtype.newbyteorder("="))
        else:
            span = last + 1 - ref.offset            # elements from the first to the last used
            self._span_bytes += span * itemsize
            if self._span_bytes > max(self._max_out, self._size):
                raise CorruptFileError(f"{where}: reading more than {self._max_out} bytes of "
                                       "storage (sparse strides)")
            flat = np.frombuffer(self._storage_span(ref.storage, ref.offset * itemsize,
                                                    span * itemsize), np_dtype, span)
            view = np.lib.stride_tricks.as_strided(
                flat, ref.shape, tuple(st * itemsize for st in ref.stride), writeable=False)
            out = np.array(view, dtype=np_dtype.newbyteorder("="), order="C", copy=True)
        if ms_type is mstype.bool_:
            out = out != 0
        if ref.neg:
            out = out ^ np.uint16(0x8000) if ms_type is mstype.bfloat16 else np.negative(out)
        return out, ms_type   # fresh C-contiguous (np.ascontiguousarray would make 0-d 1-d)


def _read_all(path):
    with open(path, "rb") as f:
        return f.read()
