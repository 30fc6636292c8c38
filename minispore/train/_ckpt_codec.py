"""Pure ``.ckpt`` codec: entries (name, tensor_type, dims, raw bytes) to MindSpore's exact bytes.

No file I/O and no framework objects here: only bytes, numpy arrays and type strings, so every
other layer (the writer, the streaming parser in ``_ckpt_reader``, the CLI) shares one definition
of the format (``checkpoint.proto`` beside this file, spec section 1).

Layout of one entry, i.e. one serialized ``Checkpoint`` message holding one ``Value``::

    0a <varint V> | 0a <varint len(name)> name | 12 <varint T> |
        (08 <varint dim>)*  12 <varint len(type)> type  1a <varint nbytes> content

Dims are unpacked; a scalar has no dims; a str entry has the single dim 0 and UTF-32-LE content;
BFloat16 content is the raw uint16 bits. A parameter larger than ``CHUNK_BYTES`` is written as
consecutive entries with the same tag and the same full dims, each holding one byte slice (what
MindSpore's Tensor path does); readers join consecutive same-tag entries. The optional trailer is
``b"crc_num"`` + ``zlib.crc32(body)`` as a 10-byte big-endian unsigned integer.

Entry points:
    ``encode_varint(n)``, ``entry_header(name, tensor_type, dims, nbytes)``,
    ``iter_entry_pieces(name, tensor_type, dims, content)`` (header/content pieces, chunked),
    ``encode_entry(...)``, ``encode_entries(entries, crc=False)``, ``crc_trailer(crc)``,
    ``array_entry(arr, tensor_type)`` / ``array_from_content(content, tensor_type, shape)``
    (numpy <-> (dims, content)), ``str_entry(s)`` / ``str_from_content(b)``,
    ``TYPE_ITEMSIZE`` / ``NUMPY_DTYPE`` tables, ``CHUNK_BYTES``, ``CRC_MAGIC``, ``CRC_TRAILER_LEN``.
"""
import zlib

import numpy as np

__all__ = [
    "CHUNK_BYTES", "CRC_MAGIC", "CRC_TRAILER_LEN", "TYPE_ITEMSIZE", "NUMPY_DTYPE", "LOADABLE_TYPES",
    "encode_varint", "entry_header", "iter_entry_pieces", "encode_entry", "encode_entries",
    "crc_trailer", "array_entry", "array_from_content", "str_entry", "str_from_content",
]

#: Parameters whose content exceeds this many bytes are written as several same-tag entries
#: (MindSpore: 512 MiB). Tests shrink it to exercise chunking.
CHUNK_BYTES = 512 * 1024 * 1024

CRC_MAGIC = b"crc_num"
CRC_TRAILER_LEN = len(CRC_MAGIC) + 10

#: Every tensor_type string MindSpore 2.10 writes (spec 1.3) and its bytes per stored element.
#: ``str`` is UTF-32-LE (4 bytes per character).
TYPE_ITEMSIZE = {
    "Float16": 2, "Float32": 4, "Float64": 8, "BFloat16": 2,
    "Int8": 1, "Int16": 2, "Int32": 4, "Int64": 8,
    "UInt8": 1, "UInt16": 2, "UInt32": 4, "UInt64": 8,
    "Bool": 1, "str": 4, "Int4": 1,
    "Complex64": 8, "Complex128": 16, "Float8E4M3FN": 1, "Float8E5M2": 1, "HiFloat8": 1,
}

#: numpy storage dtype (little-endian) of the types minispore can hold in a Tensor.
NUMPY_DTYPE = {
    "Float16": np.dtype("<f2"), "Float32": np.dtype("<f4"), "Float64": np.dtype("<f8"),
    "BFloat16": np.dtype("<u2"),
    "Int8": np.dtype("i1"), "Int16": np.dtype("<i2"), "Int32": np.dtype("<i4"),
    "Int64": np.dtype("<i8"),
    "UInt8": np.dtype("u1"), "UInt16": np.dtype("<u2"), "UInt32": np.dtype("<u4"),
    "UInt64": np.dtype("<u8"), "Bool": np.dtype("?"),
}

#: Types ``load_checkpoint`` turns into values (the rest are known to the format but have no
#: minispore dtype, and MindSpore 2.10 cannot load them either).
LOADABLE_TYPES = frozenset(NUMPY_DTYPE) | {"str"}


def encode_varint(n):
    """Protobuf base-128 varint of a non-negative int (negative int64s take 10 bytes)."""
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _ld(field_byte, payload_len):
    return bytes((field_byte,)) + encode_varint(payload_len)


def entry_header(name, tensor_type, dims, nbytes):
    """Every byte of one entry that precedes its ``nbytes`` of tensor_content."""
    name_b = name.encode("utf-8") if isinstance(name, str) else bytes(name)
    type_b = tensor_type.encode("ascii")
    tensor_head = b"".join(b"\x08" + encode_varint(int(d)) for d in dims)
    tensor_head += _ld(0x12, len(type_b)) + type_b + _ld(0x1A, nbytes)
    tensor_len = len(tensor_head) + nbytes
    value_head = _ld(0x0A, len(name_b)) + name_b + _ld(0x12, tensor_len)
    return _ld(0x0A, len(value_head) + tensor_len) + value_head + tensor_head


def iter_entry_pieces(name, tensor_type, dims, content, chunk_bytes=None):
    """Yield the pieces (header bytes, content memoryview slices) of one parameter in file order.

    ``content`` is any C-contiguous buffer; nothing is copied. More than ``chunk_bytes`` (default
    ``CHUNK_BYTES``) of content becomes several entries with the same tag and full dims.
    """
    chunk = CHUNK_BYTES if chunk_bytes is None else chunk_bytes
    view = memoryview(content).cast("B")
    total = len(view)
    if total <= chunk:
        yield entry_header(name, tensor_type, dims, total)
        yield view
        return
    for start in range(0, total, chunk):
        piece = view[start:start + chunk]
        yield entry_header(name, tensor_type, dims, len(piece))
        yield piece


def encode_entry(name, tensor_type, dims, content):
    """The bytes of one parameter (one or more same-tag entries)."""
    return b"".join(bytes(p) for p in iter_entry_pieces(name, tensor_type, dims, content))


def crc_trailer(crc):
    """The 17-byte trailer MindSpore appends with ``crc_check=True``."""
    return CRC_MAGIC + int(crc).to_bytes(10, "big")


def encode_entries(entries, crc=False):
    """Bytes of a whole file from (name, tensor_type, dims, content) tuples; ``crc`` adds the trailer."""
    body = b"".join(encode_entry(*e) for e in entries)
    return body + crc_trailer(zlib.crc32(body)) if crc else body


def array_entry(arr, tensor_type):
    """(dims, content buffer) of a numpy array stored as ``tensor_type`` (BFloat16: uint16 bits).

    Returns a little-endian C-contiguous array as the content buffer (no copy when it already is).
    """
    want = NUMPY_DTYPE.get(tensor_type)
    if want is None:
        raise ValueError(f"cannot encode a numpy array as tensor_type {tensor_type!r}")
    arr = np.asarray(arr)
    if arr.dtype != want:
        if arr.dtype.itemsize != want.itemsize or arr.dtype.kind != want.kind:
            raise ValueError(f"array of dtype {arr.dtype} does not match tensor_type {tensor_type!r}")
        arr = arr.astype(want)
    arr = arr if arr.flags.c_contiguous else arr.copy(order="C")  # keeps 0-d arrays 0-d
    return tuple(int(d) for d in arr.shape), arr


def array_from_content(content, tensor_type, shape):
    """A writable numpy array (a copy) of ``content`` as ``tensor_type`` with ``shape``."""
    dt = NUMPY_DTYPE[tensor_type]
    arr = np.frombuffer(content, dtype=dt).reshape(shape).copy()
    return arr if arr.dtype.isnative else arr.astype(dt.newbyteorder("="))


def str_entry(s):
    """(dims, content) of a Python str: dims (0,), UTF-32-LE content."""
    return (0,), s.encode("utf-32-le")


def str_from_content(content):
    """The Python str stored as UTF-32-LE (trailing NULs dropped, as numpy's unicode arrays do)."""
    return bytes(content).decode("utf-32-le").rstrip("\x00")
