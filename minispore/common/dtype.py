"""MindSpore data types (``mstype``) and their mapping to numpy and to checkpoint type strings.

``str(mstype.float32)`` is ``'Float32'``: the same string MindSpore writes as ``tensor_type`` in a
``.ckpt`` file, so one table serves reprs and serialization alike.

numpy has no bfloat16. A BFloat16 tensor keeps its raw bits in a ``uint16`` array (the upper half of
the float32 pattern); ``bfloat16_to_float32`` / ``float32_to_bfloat16`` convert on request, so a
checkpoint round trip stays bit-exact.
"""
import numpy as np

__all__ = [
    "Type", "float16", "float32", "float64", "bfloat16", "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64", "bool_", "string", "float_", "half", "single", "double",
    "int_", "uint", "dtype_to_nptype", "nptype_to_dtype", "type_from_string", "is_float",
    "is_signed_int", "bfloat16_to_float32", "float32_to_bfloat16",
]


class Type:
    """A MindSpore dtype: a name (the checkpoint type string) and its numpy storage dtype."""

    __slots__ = ("name", "np_dtype", "kind")

    def __init__(self, name, np_dtype, kind):
        self.name = name
        self.np_dtype = np.dtype(np_dtype) if np_dtype is not None else None
        self.kind = kind  # 'float', 'int', 'uint', 'bool', 'str'

    def __repr__(self):
        return self.name

    __str__ = __repr__

    def __reduce__(self):
        return (type_from_string, (self.name,))

    @property
    def itemsize(self):
        return self.np_dtype.itemsize if self.np_dtype is not None else 4


float16 = Type("Float16", np.float16, "float")
float32 = Type("Float32", np.float32, "float")
float64 = Type("Float64", np.float64, "float")
bfloat16 = Type("BFloat16", np.uint16, "float")
int8 = Type("Int8", np.int8, "int")
int16 = Type("Int16", np.int16, "int")
int32 = Type("Int32", np.int32, "int")
int64 = Type("Int64", np.int64, "int")
uint8 = Type("UInt8", np.uint8, "uint")
uint16 = Type("UInt16", np.uint16, "uint")
uint32 = Type("UInt32", np.uint32, "uint")
uint64 = Type("UInt64", np.uint64, "uint")
bool_ = Type("Bool", np.bool_, "bool")
string = Type("str", np.str_, "str")

float_, half, single, double = float32, float16, float32, float64
int_, uint = int32, uint32

_ALL = (float16, float32, float64, bfloat16, int8, int16, int32, int64,
        uint8, uint16, uint32, uint64, bool_, string)
_BY_NAME = {t.name: t for t in _ALL}
_BY_NUMPY = {t.np_dtype: t for t in _ALL if t is not bfloat16 and t is not string}


def type_from_string(name):
    """The Type whose checkpoint string is ``name`` ('Float32', 'Int64', ...); KeyError if unknown."""
    return _BY_NAME[name]


def dtype_to_nptype(dtype):
    """numpy storage dtype of a Type (BFloat16 is stored as uint16 bits)."""
    return dtype.np_dtype


def nptype_to_dtype(np_dtype):
    """The Type for a numpy dtype; TypeError naming the dtype when MindSpore has no equivalent."""
    np_dtype = np.dtype(np_dtype)
    if np_dtype.kind == "U":
        return string
    try:
        return _BY_NUMPY[np_dtype.newbyteorder("=") if np_dtype.byteorder not in "=|" else np_dtype]
    except KeyError:
        raise TypeError(f"minispore has no dtype for numpy dtype {np_dtype}; supported: "
                        f"{', '.join(str(d) for d in _BY_NUMPY)}") from None


def is_float(dtype):
    return dtype.kind == "float"


def is_signed_int(dtype):
    return dtype.kind == "int"


def bfloat16_to_float32(bits):
    """float32 values of bfloat16 raw bits (uint16 array): the bits become the upper half."""
    bits = np.asarray(bits, dtype=np.uint16)  # not ascontiguousarray: it makes 0-d arrays 1-d
    return (bits.astype(np.uint32) << 16).view(np.float32)


def float32_to_bfloat16(values):
    """bfloat16 raw bits (uint16) of float32 values, rounded to nearest even; NaN stays NaN."""
    values = np.array(values, dtype=np.float32, order="C")  # keeps 0-d arrays 0-d
    u = values.view(np.uint32)
    rounded = u + (np.uint32(0x7FFF) + ((u >> 16) & 1))
    out = (rounded >> 16).astype(np.uint16)
    nan = np.isnan(values)
    if nan.any():
        out[nan] = ((u[nan] >> 16) | 0x0040).astype(np.uint16)
    return out
