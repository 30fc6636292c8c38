"""``.npz`` for the checkpoint CLI: the zip directory and ``.npy`` headers, never pickle.

Each member's header gives name, dtype and shape without reading the array; a header whose
``shape x itemsize`` does not fill the member exactly is rejected before anything is allocated
(a hostile header cannot make ``np.load`` allocate a terabyte). Object (pickled) members are
refused. BFloat16 comes from the ``__minispore_dtypes__`` JSON entry ``converters.save_npz``
writes; a 0-d unicode member is a Python ``str`` (what ``save_npz`` makes of a str value); other
numpy dtypes without a MindSpore type are listed as ``numpy:<dtype>`` and cannot be converted.
"""
import json
import math
import zipfile

import numpy as np

from ._formats import BadFileError, Entry, Source
from ..train import _ckpt_codec as codec

__all__ = ["NpzSource"]

_NPZ_DTYPE_KEY = "__minispore_dtypes__"
_NPZ_META_CAP = 16 << 20


def _npy_header(fp, where):
    """(shape, fortran_order, dtype, header bytes) of the ``.npy`` stream ``fp``."""
    fmt = np.lib.format
    version = fmt.read_magic(fp)
    if version == (1, 0):
        shape, fortran, dtype = fmt.read_array_header_1_0(fp)
    elif version == (2, 0):
        shape, fortran, dtype = fmt.read_array_header_2_0(fp)
    elif hasattr(fmt, "_read_array_header"):
        shape, fortran, dtype = fmt._read_array_header(fp, version)  # noqa: SLF001 - npy 3.0
    else:
        raise BadFileError(f"{where}: unsupported .npy version {version}")
    return shape, fortran, dtype, fp.tell()


class NpzSource(Source):
    """``.npz``: zip directory + ``.npy`` headers; pickled (object) members are refused."""
    fmt = "npz"
    crc_note = "zip CRC-32 per member (not verified; use verify or --crc)"

    def __init__(self, path):
        super().__init__(path)
        try:
            self._zip = zipfile.ZipFile(self.path)
        except zipfile.BadZipFile as exc:
            raise BadFileError(f"{self.path}: not a valid .npz (zip) file: {exc}") from None
        try:
            self._load_headers()
        except BaseException:
            self._zip.close()
            raise

    def _load_headers(self):
        infos = [i for i in self._zip.infolist() if not i.is_dir()]
        bf16 = {}
        for info in infos:
            if info.filename == _NPZ_DTYPE_KEY + ".npy":
                if info.file_size > _NPZ_META_CAP:
                    raise BadFileError(f"{self.path}: {_NPZ_DTYPE_KEY} is {info.file_size} bytes")
                bf16 = self._dtype_table(info)
        for info in infos:
            name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            if name == _NPZ_DTYPE_KEY:
                continue
            where = f"{self.path}: member {info.filename!r}"
            with self._zip.open(info) as fp:
                shape, fortran, dtype, head = _npy_header(fp, where)
            if dtype.hasobject:
                raise BadFileError(f"{where} holds Python objects (pickle), which are not read")
            nbytes = math.prod(shape) * dtype.itemsize
            if head + nbytes != info.file_size:
                raise BadFileError(f"{where}: header says {shape} x {dtype} = {nbytes} bytes "
                                   f"but the member holds {info.file_size - head}")
            if dtype.kind == "U" and shape == ():
                self.entries.append(Entry(name, "str", (), nbytes, 1, (info, fortran, dtype)))
                continue
            ttype = bf16.get(name) or self._ms_type(dtype)
            if ttype == "BFloat16" and dtype.str not in ("<u2", "=u2"):
                raise BadFileError(f"{where}: BFloat16 must be stored as uint16, not {dtype}")
            self.entries.append(Entry(name, ttype, tuple(shape), nbytes, 1,
                                      (info, fortran, dtype)))

    def _dtype_table(self, info):
        with self._zip.open(info) as fp:
            value = np.lib.format.read_array(fp, allow_pickle=False)
        try:
            table = json.loads(str(value))
        except ValueError as exc:
            raise BadFileError(f"{self.path}: {_NPZ_DTYPE_KEY} is not JSON: {exc}") from None
        if not isinstance(table, dict) or set(table.values()) - {"BFloat16"}:
            raise BadFileError(f"{self.path}: {_NPZ_DTYPE_KEY} must map names to 'BFloat16'")
        return table

    @staticmethod
    def _ms_type(dtype):
        """MindSpore type string, or ``numpy:<dtype>`` (listed and diffed, not converted)."""
        for ttype, np_dtype in codec.NUMPY_DTYPE.items():
            if ttype != "BFloat16" and np_dtype.kind == dtype.kind and \
                    np_dtype.itemsize == dtype.itemsize:
                return ttype
        return f"numpy:{dtype.str}"

    def crc_state(self):
        return "n/a", self.crc_note

    def check_crc(self):
        bad = self._zip.testzip()
        if bad is None:
            return "valid", "zip CRC-32 of every member valid"
        return "mismatch", f"zip CRC-32 MISMATCH in member {bad!r}"

    def read(self, entry):
        info, fortran, dtype = entry.key
        with self._zip.open(info) as fp:
            arr = np.lib.format.read_array(fp, allow_pickle=False)
        if entry.dtype == "str":
            return str(arr)
        if arr.shape != entry.shape or arr.dtype != dtype:
            raise BadFileError(f"{self.path}: member {info.filename!r} changed while reading")
        arr = np.array(arr, order="C", copy=True)
        return arr if arr.dtype.isnative else arr.astype(arr.dtype.newbyteorder("="))

    def verify(self):
        state, detail = self.check_crc()
        if state == "mismatch":
            raise BadFileError(f"{self.path}: {detail}")
        super().verify()
        return detail

    def close(self):
        self._zip.close()
