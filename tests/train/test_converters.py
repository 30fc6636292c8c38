"""The safe PyTorch reader against torch-written files, plus the npz and .ckpt round trips.

Golden ``.pth`` files in ``tests/golden/pth`` were written by torch (``make_pth_golden.py``), and the
``.npz`` next to each holds what ``torch.load(weights_only=True)`` returned, so these tests need no
torch. When torch is importable, hypothesis also writes fresh files with random shapes, dtypes and
views and compares against ``torch.load`` directly.
"""
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minispore import Tensor
from minispore.common import dtype as mstype
from minispore.train.converters import (ConversionError, load_npz, load_params, load_pytorch,
                                        pytorch2mindspore, save_npz, save_params, to_param_list)

GOLDEN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden", "pth")
_NP_TO_MS = {np.dtype(k): v for k, v in [("float32", mstype.float32), ("float16", mstype.float16),
                                         ("float64", mstype.float64), ("int64", mstype.int64),
                                         ("int32", mstype.int32), ("uint8", mstype.uint8),
                                         ("bool", mstype.bool_)]}


def _expected(case, prefix=""):
    with np.load(os.path.join(GOLDEN, case + ".npz"), allow_pickle=False) as z:
        bf16 = set(z["__bf16__"].tolist())
        return {k[len(prefix):]: (z[k], mstype.bfloat16 if k in bf16 else _NP_TO_MS[z[k].dtype])
                for k in z.files if k != "__bf16__" and k.startswith(prefix)}


def _check(got, expected):
    assert list(got) == list(expected)
    for name, (arr, ms_type) in expected.items():
        t = got[name]
        assert isinstance(t, Tensor), name
        assert t.dtype is ms_type, (name, t.dtype, ms_type)
        assert t.shape == arr.shape, (name, t.shape, arr.shape)
        assert t._data.dtype == arr.dtype and t._data.flags.c_contiguous, name
        np.testing.assert_array_equal(t._data, arr, err_msg=name)   # bit-exact incl. bf16 bits


@pytest.mark.parametrize("case", ["dtypes", "views", "parameter", "legacy", "protocol4"])
def test_golden_flat(case):
    _check(load_pytorch(os.path.join(GOLDEN, case + ".pth")), _expected(case))


def test_golden_nested_needs_key_and_error_lists_keys():
    path = os.path.join(GOLDEN, "nested.pth")
    with pytest.raises(ConversionError, match=r"nested.pth.*'state_dict' \(dict of 2 entries, "
                                              r"2 tensors\).*'epoch' \(int\).*state_dict_key="
                                              r"'state_dict'"):
        load_pytorch(path)
    _check(load_pytorch(path, state_dict_key="state_dict"), _expected("nested", "state_dict/"))
    with pytest.raises(ConversionError, match=r"no key 'model'.*available: \['state_dict'"):
        load_pytorch(path, state_dict_key="model")
    assert list(load_pytorch(path, skip_non_tensors=True, state_dict_key=("state_dict",)))


def test_golden_module_prefix():
    path = os.path.join(GOLDEN, "module_prefix.pth")
    assert list(load_pytorch(path)) == ["module.weight", "module.bias"]
    got = load_pytorch(path, strip_prefix="module.")
    exp = {k[len("module."):]: v for k, v in _expected("module_prefix").items()}
    _check(got, exp)


@pytest.mark.parametrize("storage,np_dtype,ms_type", [
    ("FloatStorage", "f4", mstype.float32), ("LongStorage", "i8", mstype.int64),
    ("BFloat16Storage", "u2", mstype.bfloat16), ("HalfStorage", "f2", mstype.float16)])
def test_big_endian_archive(storage, np_dtype, ms_type):
    """torch writes ``byteorder`` = 'big' on big-endian hosts; storages are then big-endian."""
    from hostile_pth import tensor_pickle, torch_zip
    values = np.array([1, 3, 2, 7], dtype="<" + np_dtype)
    pkl = tensor_pickle(numel=4, storage=storage, size=(2, 2), stride=(1, 2))
    for order, raw in ((b"big", values.astype(">" + np_dtype)), (b"little", values)):
        got = load_pytorch(torch_zip(pkl, {"0": raw.tobytes()}, byteorder=order))["w"]
        assert got.dtype is ms_type and got._data.dtype.isnative
        np.testing.assert_array_equal(got._data, values.reshape(2, 2).T)


def test_views_are_independent_copies():
    got = load_pytorch(os.path.join(GOLDEN, "views.pth"))
    got["whole"]._data[0, 0] = 1e6
    assert got["transposed"]._data[0, 0] != 1e6   # shared torch storage, separate arrays


def test_library_never_imports_torch():
    code = ("import sys, minispore.train.converters as c; "
            f"c.load_pytorch({os.path.join(GOLDEN, 'dtypes.pth')!r}); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=os.path.dirname(GOLDEN))


def test_npz_round_trip_keeps_bf16(tmp_path):
    params = load_pytorch(os.path.join(GOLDEN, "dtypes.pth"))
    save_npz(params, tmp_path / "p.npz")
    back = load_npz(tmp_path / "p.npz")
    assert back["wbf16"].dtype is mstype.bfloat16 and back["scalar"].shape == ()
    _check(back, {k: (v._data, v.dtype) for k, v in params.items()})
    assert load_params(tmp_path / "p.npz").keys() == params.keys()
    with pytest.raises(ConversionError):
        save_params(params, tmp_path / "p.pth")
    save_npz({"w": params["w32"], "note": "epoch 3"}, tmp_path / "s.npz")
    assert load_npz(tmp_path / "s.npz")["note"] == "epoch 3"


def test_npz_refuses_object_arrays(tmp_path):
    np.savez(tmp_path / "bad.npz", x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ConversionError, match="bad.npz"):
        load_npz(tmp_path / "bad.npz")


def test_to_param_list():
    lst = to_param_list({"a": Tensor(np.ones(2, np.float32))})
    assert lst[0]["name"] == "a" and isinstance(lst[0]["data"], Tensor)


def _serialization():
    try:
        from minispore.train import serialization
    except ImportError:
        pytest.skip("minispore.train.serialization not available")
    return serialization


def test_pytorch2mindspore_end_to_end(tmp_path):
    ser = _serialization()
    ckpt = str(tmp_path / "ms_resnet.ckpt")
    names = pytorch2mindspore(os.path.join(GOLDEN, "nested.pth"), ckpt)
    assert names == ["weight", "bias"]
    loaded = ser.load_checkpoint(ckpt)
    _check({k: loaded[k] for k in names}, _expected("nested", "state_dict/"))
    # the .ckpt also round-trips through the dispatching interface, bf16 included
    params = load_pytorch(os.path.join(GOLDEN, "dtypes.pth"))
    params.pop("empty")
    save_params(params, tmp_path / "all.ckpt")
    back = load_params(tmp_path / "all.ckpt")
    _check(back, {k: (v._data, v.dtype) for k, v in params.items()})


# ---- fresh torch-written files (only when torch is installed) ----------------------------------
_DTYPES = ["float32", "float16", "float64", "bfloat16", "int64", "int32", "int16", "int8",
           "uint8", "bool"]


_MS_OF = {"float32": mstype.float32, "float16": mstype.float16, "float64": mstype.float64,
          "bfloat16": mstype.bfloat16, "int64": mstype.int64, "int32": mstype.int32,
          "int16": mstype.int16, "int8": mstype.int8, "uint8": mstype.uint8, "bool": mstype.bool_}


@settings(max_examples=15, deadline=None)
@given(shape=st.lists(st.integers(0, 5), min_size=0, max_size=3),
       dtype=st.sampled_from(_DTYPES), view=st.sampled_from(["none", "t", "slice", "expand"]),
       legacy=st.booleans(), seed=st.integers(0, 2**16))
def test_against_torch_load(tmp_path_factory, shape, dtype, view, legacy, seed):
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(seed)
    t = (torch.randn(shape, generator=g) * 50).to(getattr(torch, dtype))
    if view == "t" and t.dim() >= 2:
        t = t.transpose(0, -1)
    elif view == "slice" and t.dim() >= 1:
        t = t[::2]
    elif view == "expand":
        t = t.reshape(1, *t.shape).expand(2, *t.shape)
    path = str(tmp_path_factory.mktemp("fresh") / "t.pth")
    torch.save({"x": t, "y": t.clone()}, path, _use_new_zipfile_serialization=not legacy)
    ref = torch.load(path, weights_only=True)
    got = load_pytorch(path)
    for k in ("x", "y"):
        r = ref[k].contiguous()
        want = r.view(torch.int16).numpy().view(np.uint16) if r.dtype == torch.bfloat16 \
            else r.numpy()
        assert got[k].shape == tuple(r.shape)
        assert got[k].dtype is _MS_OF[dtype]
        assert got[k]._data.dtype == want.dtype
        np.testing.assert_array_equal(got[k]._data, want)


def test_real_model_state_dict_against_torch(tmp_path):
    """A whole nn.Module state_dict (conv, batchnorm buffers incl. num_batches_tracked,
    ``_metadata`` BUILD) wrapped the way training scripts save it."""
    torch = pytest.importorskip("torch")
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                              torch.nn.Flatten(), torch.nn.Linear(4 * 26 * 26, 10))
    net(torch.randn(2, 1, 28, 28))  # update running stats
    dp = {"module." + k: v for k, v in net.state_dict().items()}
    path = str(tmp_path / "torch_resnet.pth")
    torch.save({"state_dict": dp, "epoch": 1, "optimizer": {"lr": 0.1}}, path)
    got = load_pytorch(path, state_dict_key="state_dict", strip_prefix="module.")
    ref = net.state_dict()
    assert list(got) == list(ref)
    for k, v in ref.items():
        np.testing.assert_array_equal(got[k]._data, v.numpy())
    assert got["1.num_batches_tracked"].dtype is mstype.int64 and got["1.num_batches_tracked"].shape == ()
