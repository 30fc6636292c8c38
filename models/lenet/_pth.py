"""Write a PyTorch ``.pth`` file without PyTorch (private helper of ``tutorial.py``).

``save_pth({"state_dict": {name: float32 array}, "epoch": 1}, path)`` produces what
``torch.save`` writes for such a dict: a zip with ``archive/data.pkl`` (a protocol-2 pickle that
rebuilds each tensor with ``torch._utils._rebuild_tensor_v2`` from a persistent storage id),
``archive/byteorder`` and one ``archive/data/<key>`` file of raw little-endian bytes per tensor.
``torch.load(path, weights_only=True)`` reads it back; so does minispore's converter.
Only the pieces the tutorial needs: nested dicts, str keys, int values, float32 tensors.
"""
import io
import struct
import zipfile

import numpy as np


def _str(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b          # BINUNICODE


def _int(x):
    return b"J" + struct.pack("<i", x)                   # BININT


def _tuple(xs):
    return b"(" + b"".join(_int(x) for x in xs) + b"t"


def _tensor(array, key):
    array = np.ascontiguousarray(array, dtype="<f4")
    strides = [s // 4 for s in array.strides] if array.ndim else []
    pid = b"(" + _str("storage") + b"ctorch\nFloatStorage\n" + _str(key) + _str("cpu") + \
        _int(array.size) + b"t"
    return (b"ctorch._utils\n_rebuild_tensor_v2\n(" + pid + b"Q" + _int(0) +
            _tuple(array.shape) + _tuple(strides) + b"\x89ccollections\nOrderedDict\n)Rt" + b"R",
            array.tobytes())


def _value(value, storages):
    if isinstance(value, dict):
        items = b""
        for k, v in value.items():
            items += _str(k) + _value(v, storages)
        return b"ccollections\nOrderedDict\n)R(" + items + b"u"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return _int(int(value))
    code, data = _tensor(value, str(len(storages)))
    storages.append(data)
    return code


def save_pth(obj, path):
    """Write ``obj`` (a dict of dicts / float32 arrays / ints) as ``torch.save`` would."""
    storages = []
    pickle = b"\x80\x02" + _value(obj, storages) + b"."
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle)
        z.writestr("archive/byteorder", b"little")
        for i, data in enumerate(storages):
            z.writestr(f"archive/data/{i}", data)
        z.writestr("archive/version", b"3\n")
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    return path
