"""What a PyTorch state_dict pickle may contain: the allowlist, inert records, limits, errors.

Why not ``pickle.load`` with a restricted ``find_class``? Because the stock unpickler still calls
whatever ``find_class`` returns, applies ``BUILD``/``NEWOBJ`` to it, and has no bound on opcode
count, memo size or nesting (pickle-scanner bypasses: picklescan #14 memo confusion, modelscan #85
BUILD + STACK_GLOBAL; CVE-2025-32434 RCE *with* ``weights_only=True``). This module walks the opcode
stream itself (``pickle_vm``) and supports only the data opcodes a state_dict uses. ``GLOBAL`` /
``STACK_GLOBAL`` only ever produce an inert :class:`_Global` marker, and ``REDUCE`` dispatches on that
marker to a local constructor in :data:`_REDUCERS` — no module is imported, no attribute is looked
up, no user callable is invoked. Tensors come out as :class:`TensorRef` records (storage key, dtype,
offset, shape, strides); the container module validates them against the archive and builds arrays.

Everything the input can make us allocate is bounded by :class:`Limits`; every failure is a
:class:`ConversionError` subclass naming the file, the entry and the byte offset.
"""
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["ConversionError", "UnsafePickleError", "CorruptFileError", "Limits", "TensorRef",
           "StorageRef", "TorchDtype", "ALLOWED_GLOBALS", "reduce_global", "resolve_global",
           "brief"]


class ConversionError(ValueError):
    """Base class of every error raised while reading a foreign checkpoint."""


class UnsafePickleError(ConversionError):
    """The pickle asks for a global, opcode or construct outside the state_dict allowlist."""


class CorruptFileError(ConversionError):
    """The file is truncated, malformed, or its declared sizes/offsets do not fit the data."""


@dataclass(frozen=True)
class Limits:
    """Hard caps on what an (untrusted) input may make the reader do."""
    max_pickle_bytes: int = 64 << 20      # data.pkl size (the Cohere reader's cap)
    max_opcodes: int = 2_000_000          # ~25 opcodes per tensor: ~80k tensors
    max_stack: int = 1_000_000            # stack + mark-stack entries
    max_memo: int = 1_000_000
    max_tuple_depth: int = 64             # nested tuples (hash() of a deep tuple recurses in C)
    max_tuple_nodes: int = 1 << 16        # a tuple's size counting shared sub-tuples once per use
    max_depth: int = 100                  # nesting of the finished object tree (lists, dicts)
    max_storages: int = 1_000_000
    max_int_bytes: int = 256              # LONG1/LONG4 payloads; text ints likewise
    max_output_bytes: int = None          # materialized bytes; None: 2 * file size + 64 MiB


def brief(obj, limit=80):
    """``repr``-like text of an untrusted object, at most ``limit`` characters, in bounded work.

    ``{x!r:.80}`` builds the whole repr before cutting it: a pickle can share one list through
    the memo so that a 1 KB file expands to 2**32 elements (and a 200k-deep list raises
    RecursionError). Here every visited node writes at least one character and the walk stops
    when ``limit`` characters are written, so the work is O(limit) whatever the object.
    """
    out, left = [], [limit + 1]

    def emit(text):
        out.append(text[:left[0]])
        left[0] -= len(out[-1])

    def walk(x, level):
        if left[0] <= 0:
            return
        t = type(x)
        if t in (list, tuple) or isinstance(x, dict):
            opener, closer = ("[", "]") if t is list else ("(", ")") if t is tuple else ("{", "}")
            if level >= 6:
                emit(opener + "..." + closer)
                return
            emit(opener)
            for i, item in enumerate(x.items() if isinstance(x, dict) else x):
                if left[0] <= 0:
                    return
                if i:
                    emit(", ")
                if isinstance(x, dict):
                    walk(item[0], level + 1)
                    emit(": ")
                    item = item[1]
                walk(item, level + 1)
            emit("," + closer if t is tuple and len(x) == 1 else closer)
        elif t in (str, bytes, bytearray):
            emit(repr(x[:limit]))
        elif t is int and x.bit_length() > 4096:     # repr of a huge int is quadratic
            emit(f"<{x.bit_length()}-bit int>")
        elif t in (int, float, bool, type(None)) or t in _INERT:
            emit(repr(x))
        else:
            emit(f"<{t.__name__}>")

    walk(obj, 0)
    text = "".join(out)
    return text if len(text) <= limit else text[:limit - 3] + "..."


class _Global:
    """Inert marker for an allowlisted ``module.name``; never resolved to a Python object."""
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"<global {self.name}>"


class TorchDtype:
    """A ``torch.<dtype>`` object as pickled by ``_rebuild_tensor_v3``: just its name."""
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"


class StorageRef:
    """A persistent-id storage: archive key, element dtype name (torch's) and element count."""
    __slots__ = ("key", "dtype", "numel", "location")

    def __init__(self, key, dtype, numel, location):
        self.key, self.dtype, self.numel, self.location = key, dtype, numel, location

    def __repr__(self):
        return f"StorageRef(key={self.key!r}, dtype={self.dtype}, numel={self.numel})"


class TensorRef:
    """A tensor that has not been read yet: a strided view into a :class:`StorageRef`."""
    __slots__ = ("storage", "offset", "shape", "stride", "dtype", "requires_grad", "neg",
                 "is_parameter")

    def __init__(self, storage, offset, shape, stride, dtype, requires_grad, neg=False):
        self.storage, self.offset, self.shape, self.stride = storage, offset, shape, stride
        self.dtype, self.requires_grad, self.neg = dtype, requires_grad, neg
        self.is_parameter = False

    def __repr__(self):
        return f"TensorRef(shape={self.shape}, dtype={self.dtype}, key={self.storage.key!r})"


# torch storage class -> torch dtype name. Storage classes whose dtype minispore lacks (complex,
# quantized) are still *recognised* so the error can name the tensor; they are never constructed.
STORAGE_DTYPES = {
    "FloatStorage": "float32", "HalfStorage": "float16", "BFloat16Storage": "bfloat16",
    "DoubleStorage": "float64", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8", "BoolStorage": "bool",
    "ComplexFloatStorage": "complex64", "ComplexDoubleStorage": "complex128",
    "QInt8Storage": "qint8", "QUInt8Storage": "quint8", "QInt32Storage": "qint32",
    "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4",
}
_TORCH_DTYPE_NAMES = (
    "float32", "float16", "bfloat16", "float64", "int64", "int32", "int16", "int8", "uint8",
    "bool", "uint16", "uint32", "uint64", "complex64", "complex128", "float8_e5m2",
    "float8_e4m3fn", "float8_e5m2fnuz", "float8_e4m3fnuz", "float8_e8m0fnu")

ALLOWED_GLOBALS = frozenset(
    ["collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
     "torch._utils._rebuild_tensor_v3", "torch._utils._rebuild_parameter",
     "torch._utils._rebuild_parameter_with_state", "torch.Size",
     "torch.storage.UntypedStorage", "torch.UntypedStorage"]
    + [f"torch.{s}" for s in STORAGE_DTYPES] + [f"torch.{d}" for d in _TORCH_DTYPE_NAMES])


_INERT = (_Global, TorchDtype, StorageRef, TensorRef)   # reprs built from validated fields only


def _is_int(x):
    return type(x) is int  # noqa: E721 -- bool is deliberately not an int here


_MAX_DIM = 1 << 48      # per-dimension cap on sizes and strides: keeps byte strides in int64
_MAX_NDIM = 64          # numpy's limit


def _int_tuple(x, what):
    if type(x) is not tuple or len(x) > _MAX_NDIM or \
            not all(_is_int(v) and 0 <= v < _MAX_DIM for v in x):
        raise CorruptFileError(f"{what} must be a tuple of at most {_MAX_NDIM} ints in "
                               f"[0, 2**48), got {brief(x, 80)}")
    return x


def _is_tensor_args(args, n_min, n_max):
    return type(args) is tuple and n_min <= len(args) <= n_max


def _rebuild_tensor(args, v3):
    if not _is_tensor_args(args, 7 if v3 else 6, 8 if v3 else 7):
        raise CorruptFileError(f"_rebuild_tensor_v{3 if v3 else 2} got {len(args)} arguments")
    storage, offset, shape, stride, requires_grad = args[:5]
    if not isinstance(storage, StorageRef):
        raise UnsafePickleError(f"tensor storage must be a persistent storage, got "
                                f"{type(storage).__name__}")
    if not _is_int(offset) or offset < 0:
        raise CorruptFileError(f"bad storage offset {brief(offset, 40)}")
    shape, stride = _int_tuple(shape, "size"), _int_tuple(stride, "stride")
    if len(shape) != len(stride):
        raise CorruptFileError(f"size {shape} and stride {stride} differ in length")
    if type(requires_grad) is not bool:
        raise CorruptFileError(f"requires_grad must be a bool, got {brief(requires_grad, 40)}")
    dtype = storage.dtype
    if v3:
        if not isinstance(args[6], TorchDtype):
            raise CorruptFileError(f"_rebuild_tensor_v3 dtype must be a torch dtype, got "
                                   f"{brief(args[6], 40)}")
        if storage.dtype != "uint8":
            raise CorruptFileError("_rebuild_tensor_v3 expects an UntypedStorage")
        dtype = args[6].name
    metadata = args[7 if v3 else 6] if len(args) > (7 if v3 else 6) else None
    neg = False
    if metadata is not None:
        if not isinstance(metadata, dict) or not set(metadata) <= {"neg", "conj"} or \
                not all(type(v) is bool for v in metadata.values()):
            raise UnsafePickleError(f"unsupported tensor metadata {brief(metadata, 80)}")
        if metadata.get("conj"):
            raise ConversionError("conjugate-bit (complex) tensors are not supported")
        neg = metadata.get("neg", False)
    return TensorRef(storage, offset, shape, stride, dtype, requires_grad, neg)


def _rebuild_parameter(args):
    if not (type(args) is tuple and len(args) in (3, 4) and isinstance(args[0], TensorRef)
            and type(args[1]) is bool):
        raise CorruptFileError(f"_rebuild_parameter got unexpected arguments {brief(args, 80)}")
    t = args[0]
    t.requires_grad, t.is_parameter = args[1], True
    return t


def _ordered_dict(args):
    if args != ():
        raise UnsafePickleError("collections.OrderedDict may only be called with no arguments")
    return OrderedDict()


def _torch_size(args):
    if type(args) is not tuple or len(args) != 1:
        raise CorruptFileError("torch.Size expects one tuple argument")
    return _int_tuple(args[0], "torch.Size")


_REDUCERS = {
    "collections.OrderedDict": _ordered_dict,
    "torch._utils._rebuild_tensor_v2": lambda a: _rebuild_tensor(a, False),
    "torch._utils._rebuild_tensor_v3": lambda a: _rebuild_tensor(a, True),
    "torch._utils._rebuild_parameter": _rebuild_parameter,
    "torch._utils._rebuild_parameter_with_state": _rebuild_parameter,
    "torch.Size": _torch_size,
}


def resolve_global(module, name):
    """Inert value for ``GLOBAL module name``; UnsafePickleError naming it unless allowlisted."""
    full = f"{module}.{name}"
    if full not in ALLOWED_GLOBALS:
        raise UnsafePickleError(f"global '{full}' is not allowed; a state_dict reader only accepts "
                                "OrderedDict, torch._utils._rebuild_* and torch storage/dtype names")
    if module == "torch" and name in _TORCH_DTYPE_NAMES:
        return TorchDtype(name)
    return _Global(full)


def reduce_global(func, args):
    """``REDUCE``: apply the local constructor registered for allowlisted global ``func``."""
    if not isinstance(func, _Global) or func.name not in _REDUCERS:
        raise UnsafePickleError(f"REDUCE may not call {brief(func, 60)}")
    if type(args) is not tuple:
        raise UnsafePickleError(f"{func.name}: REDUCE arguments must be a tuple")
    try:
        return _REDUCERS[func.name](args)
    except ConversionError as e:
        raise type(e)(f"{func.name}: {e}") from None
