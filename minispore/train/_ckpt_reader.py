"""Streaming, validating ``.ckpt`` parser over a memory map (the format: ``_ckpt_codec``).

MindSpore reads the whole file and hands it to protobuf (2x the file in RAM, 2 GB ceiling, and
anything protobuf accepts is accepted: short contents, missing tensors). This parser instead walks
the top-level records one at a time (``0x0A`` + varint length), checks every varint and length
against the bytes that remain *before* slicing, caps tag length / ndim / record count, requires
``prod(dims) * itemsize == content length`` (chunks joined), rejects unknown ``tensor_type``
strings and malformed or unknown fields, and only then copies tensor bytes out of the map, in
bounded slices whose pages are dropped afterwards. Peak memory is about the loaded tensors plus one
copy slice; nothing keeps the file mapped or aliased.

Errors are ``CheckpointError`` (a ``ValueError``) naming the absolute path, the byte offset and the
record, e.g. ``truncated at byte 120 inside record 'fc1.weight'``. The CRC trailer is stripped
whenever present and verified whenever present (MindSpore verifies only with ``crc_check=True``
and reports a mismatch as a permission problem); "truncated" (framing ends early) and "corrupted"
(CRC mismatch, garbage) are reported distinctly.

Entry points (also for the ``inspect/verify/diff/convert`` CLI):
    ``open_map(path) -> (mmap or b"", size)``      map a file read-only (empty file -> b"")
    ``split_trailer(buf, size) -> (body_end, stored_crc or None)``
    ``iter_records(buf, body_end, path)``           yield ``Record`` per top-level entry
    ``iter_tensors(buf, body_end, path)``           yield ``TensorInfo`` (same-tag chunks joined,
                                                    sizes validated; no tensor bytes touched)
    ``body_crc(buf, body_end)``                     CRC32 of the body, page-friendly
    ``scan(path, verify_crc="auto"|"require"|False) -> ScanResult`` (infos, crc state, size)
    ``read_checkpoint(path, crc_check=False, select=None) -> list[(name, tensor_type, value)]``
    ``materialize(buf, info, path) -> numpy array | str``
"""
import mmap
import os
import stat
import zlib
from typing import NamedTuple

import numpy as np

from . import _ckpt_codec as codec

__all__ = ["CheckpointError", "Record", "TensorInfo", "ScanResult", "open_map", "split_trailer",
           "iter_records", "iter_tensors", "body_crc", "scan", "validate", "read_checkpoint",
           "materialize", "open_regular",
           "MAX_TAG_BYTES", "MAX_NDIM", "MAX_RECORDS"]

MAX_TAG_BYTES = 1 << 16      # a parameter name longer than 64 KiB is not a parameter name
MAX_NDIM = 64
MAX_RECORDS = 1 << 24
MAX_TYPE_BYTES = 64
_COPY_SLICE = 64 << 20       # bytes copied out of the map between page drops
_SMALL = 1 << 16             # values up to this size are copied in one call, pages not dropped
_TYPE_NAMES = {t.encode("ascii"): t for t in codec.TYPE_ITEMSIZE}
_PAGE = mmap.PAGESIZE


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read; the message names the file and what is wrong."""


class Record(NamedTuple):
    """One top-level entry: where it is and what its header says (content not copied)."""
    name: str
    tensor_type: str
    dims: tuple
    content_offset: int
    content_len: int
    start: int
    end: int


class TensorInfo(NamedTuple):
    """One logical value after joining consecutive same-tag records."""
    name: str
    tensor_type: str
    shape: tuple
    segments: tuple          # ((offset, length), ...) in the file
    nbytes: int
    start: int               # file offset of the first record


class ScanResult(NamedTuple):
    tensors: list
    size: int
    body_end: int
    stored_crc: object       # int or None
    computed_crc: object     # int or None (not computed)


def _fail(path, msg):
    raise CheckpointError(f"Failed to read the checkpoint file {path}. The file may be corrupted, "
                          f"and the content cannot be parsed: {msg}")


def open_regular(path, where="checkpoint"):
    """``open(path, "rb")`` that refuses anything but a regular file *before* reading: a FIFO
    named ``x.ckpt`` would block ``open`` forever and ``/dev/zero`` reports size 0."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or \
                stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a file"
            raise CheckpointError(f"Failed to read the {where} file {path}: it is {kind}, not a "
                                  f"regular file.")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return open(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise


def open_map(path):
    """(read-only mmap of ``path``, size); an empty file gives ``(b"", 0)``; a FIFO, device or
    socket raises CheckpointError without blocking."""
    with open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return b"", 0
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ), size


def _framing_end(buf, size):
    """Offset where the top-level record framing (``0x0a`` + varint length + payload) stops:
    ``size`` when the records tile the whole file. Cheap: only record headers are read."""
    pos = 0
    while pos < size and buf[pos] == 0x0A:
        n, shift, p = 0, 0, pos + 1
        while p < size and p - pos <= 10:
            b = buf[p]
            p += 1
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
        else:
            return pos
        if n > size - p:
            return pos
        pos = p + n
    return pos


def split_trailer(buf, size):
    """(body_end, stored_crc or None).

    The trailer is ``b"crc_num"`` + 10 digits of bytes after the last record. The byte pattern
    alone is not enough (a valid last uint8 tensor may end with those 17 bytes), so it counts as
    a trailer only where the record framing stops exactly 17 bytes before the end.
    """
    n = codec.CRC_TRAILER_LEN
    if size >= n and buf[size - n:size - 10] == codec.CRC_MAGIC and \
            _framing_end(buf, size) == size - n:
        return size - n, int.from_bytes(buf[size - 10:size], "big")
    return size, None


class _Where:
    """Where a record is, formatted into an error message only when one is raised (formatting
    it for every record made loading a file of a million tiny records several times slower)."""
    __slots__ = ("index", "start", "name")

    def __init__(self, index, start):
        self.index, self.start, self.name = index, start, None

    def __str__(self):
        if self.name is None:
            return f" (record #{self.index} at byte {self.start})"
        return f" inside record {self.name!r} (starting at byte {self.start})"


def _varint(buf, pos, end, path, what, rec):
    """(value, new pos) of the varint at ``pos``; error if it runs past ``end`` or 10 bytes."""
    if pos < end and buf[pos] < 0x80:          # one-byte varint: the common case
        return buf[pos], pos + 1
    result = shift = 0
    start = pos
    while True:
        if pos >= end:
            _fail(path, f"truncated at byte {pos} inside the {what} varint{rec}")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if pos - start >= 10:
            _fail(path, f"malformed varint at byte {start} ({what}{rec})")


def _len_field(buf, pos, end, path, what, rec):
    """(payload start, payload end) of a length-delimited payload starting at ``pos``."""
    n, pos = _varint(buf, pos, end, path, f"{what} length", rec)
    if n > end - pos:
        _fail(path, f"truncated at byte {end} inside {what}{rec}: it declares {n} bytes at byte "
                    f"{pos} but only {end - pos} remain")
    return pos, pos + n


def _unexpected(pos, wire, path, where):
    _fail(path, f"unexpected field (wire type {wire}) at byte {pos} in {where}")


def _peek_tag(buf, pos, end):
    """The tag (field 1) of a record whose payload starts at ``pos``, if it is the first field
    and its bytes lie before ``end`` and decode as UTF-8; else None. Never raises."""
    try:
        if pos >= end or buf[pos] != 0x0A:
            return None
        n, shift, p = 0, 0, pos + 1
        while True:
            if p >= end or p - pos > 10:
                return None
            b = buf[p]
            p += 1
            n |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
        if n > MAX_TAG_BYTES or n > end - p:
            return None
        return bytes(buf[p:p + n]).decode("utf-8")
    except (UnicodeDecodeError, IndexError):
        return None


def _parse_tensor(buf, pos, end, path, rec):
    dims, ttype, content = [], None, None
    while pos < end:
        key, pos = _varint(buf, pos, end, path, "field key", rec)
        field, wire = key >> 3, key & 7
        if field == 1 and wire == 0:
            d, pos = _varint(buf, pos, end, path, "dim", rec)
            dims.append(d)
        elif field == 1 and wire == 2:                 # packed dims (valid protobuf)
            a, b = _len_field(buf, pos, end, path, "packed dims", rec)
            pos = a
            while pos < b:
                d, pos = _varint(buf, pos, b, path, "dim", rec)
                dims.append(d)
        elif field == 2 and wire == 2:
            a, pos = _len_field(buf, pos, end, path, "tensor_type", rec)
            if pos - a > MAX_TYPE_BYTES:
                _fail(path, f"tensor_type of {pos - a} bytes at byte {a}{rec}")
            raw = bytes(buf[a:pos])
            ttype = _TYPE_NAMES.get(raw)      # one shared str per known type, not one per record
            if ttype is None:
                try:
                    ttype = raw.decode("ascii")
                except UnicodeDecodeError:
                    _fail(path, f"tensor_type at byte {a} is not ASCII{rec}")
        elif field == 3 and wire == 2:
            a, pos = _len_field(buf, pos, end, path, "tensor_content", rec)
            content = (a, pos - a)
        else:
            _unexpected(pos, wire, path, f"TensorProto (field {field}){rec}")
        if len(dims) > MAX_NDIM:
            _fail(path, f"more than {MAX_NDIM} dims{rec}")
    if ttype is None or content is None:
        _fail(path, f"TensorProto without {'tensor_type' if ttype is None else 'tensor_content'}{rec}")
    for d in dims:
        if d >= 1 << 63:
            _fail(path, f"negative dim {d - (1 << 64)}{rec}")
    return tuple(dims), ttype, content


def iter_records(buf, body_end, path):
    """Yield a ``Record`` for each top-level entry of ``buf[:body_end]``, validating framing."""
    pos = count = 0
    while pos < body_end:
        start = pos
        if buf[pos] != 0x0A:
            tail = bytes(buf[pos:body_end])
            if len(tail) < codec.CRC_TRAILER_LEN and (codec.CRC_MAGIC.startswith(tail[:7])):
                _fail(path, f"truncated inside the CRC trailer at byte {pos} ({len(tail)} of "
                            f"{codec.CRC_TRAILER_LEN} bytes present)")
            _fail(path, f"expected a record (byte 0x0a) at byte {pos}, found 0x{buf[pos]:02x}")
        rec = _Where(count, start)
        n, a = _varint(buf, pos + 1, body_end, path, "record length", rec)
        if n > body_end - a:
            # Cut inside this record: name it when its tag bytes made it into the file.
            name = _peek_tag(buf, a, body_end)
            where = (f"record {name!r} (record #{count} starting at byte {pos})" if name is not None
                     else f"record #{count} at byte {pos}")
            _fail(path, f"truncated at byte {body_end} inside {where}: it declares {n} bytes at "
                        f"byte {a} but only {body_end - a} remain")
        end = a + n
        count += 1
        if count > MAX_RECORDS:
            _fail(path, f"more than {MAX_RECORDS} records")
        name, tensor, pos = None, None, a
        while pos < end:
            key, pos = _varint(buf, pos, end, path, "field key", rec)
            field, wire = key >> 3, key & 7
            if field == 1 and wire == 2:
                ta, pos = _len_field(buf, pos, end, path, "tag", rec)
                if pos - ta > MAX_TAG_BYTES:
                    _fail(path, f"tag of {pos - ta} bytes at byte {ta} exceeds {MAX_TAG_BYTES}")
                try:
                    name = bytes(buf[ta:pos]).decode("utf-8")
                except UnicodeDecodeError:
                    _fail(path, f"tag at byte {ta} is not UTF-8{rec}")
                rec.name = name
            elif field == 2 and wire == 2:
                tensor = _len_field(buf, pos, end, path, "tensor", rec)
                pos = tensor[1]
            elif field == 3 and wire == 2:
                _fail(path, f"record{rec} is a MapTensor (MapParameter), which minispore does not "
                            f"support")
            else:
                _unexpected(pos, wire, path, f"Checkpoint.Value (field {field}){rec}")
        if name is None:
            _fail(path, f"record #{count - 1} at byte {start} has no tag")
        if tensor is None:
            _fail(path, f"record {name!r} at byte {start} has no tensor")
        dims, ttype, (coff, clen) = _parse_tensor(buf, tensor[0], tensor[1], path, rec)
        yield Record(name, ttype, dims, coff, clen, start, end)
        pos = end


def _shape_of(rec, total, path):
    """Validated shape of a joined value; dims [] and [0] mean a scalar (legacy 0.x files)."""
    itemsize = codec.TYPE_ITEMSIZE.get(rec.tensor_type)
    if itemsize is None:
        raise CheckpointError(f"'{rec.tensor_type}'\nFor 'load_checkpoint', failed to load the "
                              f"checkpoint file {path}: unknown tensor_type '{rec.tensor_type}' for "
                              f"{rec.name!r} at byte {rec.start}.")
    if rec.tensor_type == "str":
        if rec.dims != (0,) or total % 4:
            _fail(path, f"str record {rec.name!r} needs dims [0] and a multiple of 4 bytes, got "
                        f"dims {list(rec.dims)} and {total} bytes")
        return ()
    if rec.dims in ((), (0,)) and total == itemsize:
        return ()
    n, extent = 1, itemsize
    for d in rec.dims:
        n *= d
        extent *= max(d, 1)
    if extent >= 1 << 63:       # numpy refuses such a shape even when a dim is 0
        _fail(path, f"record {rec.name!r} at byte {rec.start}: dims {list(rec.dims)} overflow "
                    f"(their product x {itemsize} bytes exceeds 2**63)")
    if n * itemsize != total:
        _fail(path, f"record {rec.name!r} at byte {rec.start}: dims {list(rec.dims)} x "
                    f"{itemsize}-byte {rec.tensor_type} need {n * itemsize} bytes, but its "
                    f"tensor_content has {total}")
    return rec.dims


def iter_tensors(buf, body_end, path):
    """Yield ``TensorInfo`` per value: consecutive same-tag records joined, sizes validated."""
    group = []

    def flush():
        first = group[0]
        total = sum(r.content_len for r in group)
        for r in group[1:]:
            if r.tensor_type != first.tensor_type or r.dims != first.dims:
                _fail(path, f"chunk of {first.name!r} at byte {r.start} has type {r.tensor_type} "
                            f"dims {list(r.dims)}, but the first chunk has {first.tensor_type} "
                            f"dims {list(first.dims)}")
        shape = _shape_of(first, total, path)
        return TensorInfo(first.name, first.tensor_type, tuple(shape),
                          tuple((r.content_offset, r.content_len) for r in group), total,
                          first.start)

    for rec in iter_records(buf, body_end, path):
        if group and rec.name != group[0].name:
            yield flush()
            group = []
        group.append(rec)
    if group:
        yield flush()


def _drop_pages(buf, start, end):
    """Tell the kernel the mapped pages of [start, end) are no longer needed (RSS stays low)."""
    if isinstance(buf, mmap.mmap) and hasattr(buf, "madvise") and hasattr(mmap, "MADV_DONTNEED"):
        a = start - start % _PAGE
        if end > a:
            try:
                buf.madvise(mmap.MADV_DONTNEED, a, end - a)
            except (OSError, ValueError):
                pass


def body_crc(buf, body_end):
    """zlib.crc32 of ``buf[:body_end]`` computed in slices, dropping pages as it goes."""
    crc, pos = 0, 0
    view = memoryview(buf) if body_end else b""
    while pos < body_end:
        nxt = min(body_end, pos + _COPY_SLICE)
        crc = zlib.crc32(view[pos:nxt], crc)
        _drop_pages(buf, pos, nxt)
        pos = nxt
    if body_end:
        view.release()
    return crc


def materialize(buf, info, path="<buffer>"):
    """The value of ``info``: a fresh numpy array (never aliasing the map) or a Python str."""
    if info.tensor_type == "str":
        try:
            return codec.str_from_content(b"".join(bytes(buf[o:o + n]) for o, n in info.segments))
        except UnicodeDecodeError as exc:
            _fail(path, f"str record {info.name!r} at byte {info.start} is not valid UTF-32-LE "
                        f"({exc.reason})")
    dt = codec.NUMPY_DTYPE[info.tensor_type]
    if len(info.segments) == 1 and info.nbytes <= _SMALL:    # the many-tiny-records fast path
        off, n = info.segments[0]
        out = np.frombuffer(buf, dtype=dt, count=n // dt.itemsize, offset=off).copy()
        out = out.reshape(info.shape)
        return out if out.dtype.isnative else out.astype(dt.newbyteorder("="))
    out = np.empty(info.nbytes // dt.itemsize, dtype=dt)
    dst = out.view(np.uint8)
    at = 0
    view = memoryview(buf)
    try:
        for off, n in info.segments:
            done = 0
            while done < n:
                k = min(_COPY_SLICE, n - done)
                dst[at:at + k] = np.frombuffer(view[off + done:off + done + k], dtype=np.uint8)
                _drop_pages(buf, off + done, off + done + k)
                done += k
                at += k
    finally:
        view.release()
    out = out.reshape(info.shape)
    return out if out.dtype.isnative else out.astype(dt.newbyteorder("="))


def scan(path, verify_crc="auto", _mapped=None):
    """Validate the whole file without copying tensors: framing, sizes, types, and the CRC.

    ``verify_crc``: "auto" checks the trailer when present, "require" also fails when it is
    absent, False skips the comparison (the trailer is still stripped).
    """
    buf, size = _mapped if _mapped is not None else open_map(path)
    body_end, stored = split_trailer(buf, size)
    computed = None
    if stored is not None and verify_crc:
        computed = body_crc(buf, body_end)
        if computed != stored:
            raise CheckpointError(
                f"Failed to read the checkpoint file {path}: CRC mismatch: stored {stored}, "
                f"computed {computed}. The file is complete in length but its bytes changed "
                f"(corruption or tampering), so it was not loaded.")
    if stored is None and verify_crc == "require":
        raise CheckpointError(
            f"Failed to read the checkpoint file {path}: crc_check=True but the file has no CRC "
            f"trailer (it was saved without crc_check=True, or it was truncated).")
    infos = list(iter_tensors(buf, body_end, path))
    return ScanResult(infos, size, body_end, stored, computed)


def validate(path, crc_check=False, select=None, _mapped=None):
    """Every check ``load_checkpoint`` makes, without copying a tensor: framing, sizes, dims, CRC
    (required with ``crc_check``), a non-empty file, and a loadable type for each selected value.
    Returns ``{name: TensorInfo}`` of the selected values (last value of a repeated name, first
    position). ``minispore-ckpt verify`` runs exactly this."""
    result = scan(path, "require" if crc_check else "auto", _mapped=_mapped)
    if not result.tensors:
        raise CheckpointError(     # MindSpore's message for an empty file, plus which file
            f"The loaded parameter dict is empty after filter or specify, please check whether "
            f"'filter_prefix' or 'specify_prefix' are set correctly. The checkpoint file {path} "
            f"holds no entries ({result.size} bytes"
            f"{', only a CRC trailer' if result.stored_crc is not None else ''}).")
    chosen = {}
    for info in result.tensors:
        if select is not None and not select(info.name):
            continue
        if info.tensor_type not in codec.LOADABLE_TYPES:
            raise CheckpointError(
                f"'{info.tensor_type}'\nFor 'load_checkpoint', failed to load the checkpoint "
                f"file {path}: tensor_type '{info.tensor_type}' of {info.name!r} has no "
                f"minispore dtype (loadable: {', '.join(sorted(codec.LOADABLE_TYPES))}).")
        chosen[info.name] = info
    return chosen


def read_checkpoint(path, crc_check=False, select=None):
    """[(name, tensor_type, value)] of a file, in file order; values are arrays or str.

    Everything is validated (:func:`validate`) before any tensor is copied. A non-consecutive
    repeated tag keeps the position of its first occurrence and the value of its last (as
    protobuf-based MindSpore does). ``select(name) -> bool`` skips values without copying them.
    Unsupported types (Complex64, Int4, ...) raise with MindSpore's first line ``'<type>'``.
    """
    path = os.path.abspath(path)
    buf, size = open_map(path)
    try:
        chosen = validate(path, crc_check, select, _mapped=(buf, size))
        return [(name, info.tensor_type, materialize(buf, info, path))
                for name, info in chosen.items()]
    finally:
        if isinstance(buf, mmap.mmap):
            buf.close()
