"""save_checkpoint / load_checkpoint / load_param_into_net argument semantics and errors (spec 2-4)."""
import os

import numpy as np
import pytest

from minispore import Parameter, Tensor, nn
from minispore.common import dtype as mstype
from minispore.train import load_checkpoint, load_param_into_net, save_checkpoint


def _p(name, arr):
    return Parameter(Tensor(np.asarray(arr)), name=name)


class Two(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(3, 2)
        self.head = nn.SequentialCell([nn.Dense(2, 2), nn.ReLU()])


def test_name_extension_and_save_obj_kinds(tmp_path):
    save_checkpoint(Two(), str(tmp_path / "x.bin"))
    assert os.path.exists(tmp_path / "x.bin.ckpt")
    assert list(load_checkpoint(str(tmp_path / "x.bin.ckpt"))) == [
        "fc.weight", "fc.bias", "head.0.weight", "head.0.bias"]
    save_checkpoint({"t": Tensor(np.ones(2, np.float32)), "u": Tensor(3)}, str(tmp_path / "t"))
    got = load_checkpoint(str(tmp_path / "t.ckpt"))                     # plain Tensor values work
    assert got["u"].dtype is mstype.int64 and got["t"].shape == (2,)
    save_checkpoint([_p("a", [1.0]), _p("b", [2.0])], str(tmp_path / "l.ckpt"),
                    choice_func=lambda n: n != "a")
    assert list(load_checkpoint(str(tmp_path / "l.ckpt"))) == ["b"]


def test_save_type_errors(tmp_path):
    f = str(tmp_path / "e.ckpt")
    with pytest.raises(TypeError, match="must be nn.Cell, list or dict, but got <class 'str'>"):
        save_checkpoint("nope", f)
    with pytest.raises(TypeError, match="the data in dict should be parameter, but got "
                                        "<class 'numpy.ndarray'>"):
        save_checkpoint([{"name": "a", "data": np.ones(1)}], f)
    with pytest.raises(TypeError, match="'name' and 'value'"):
        save_checkpoint([{"name": "a"}], f)
    with pytest.raises(TypeError, match="should be parameter, but got <class 'dict'>"):
        save_checkpoint([_p("a", [1.0]), {"name": "b", "data": Tensor(1)}], f)
    with pytest.raises(TypeError, match="append_info"):
        save_checkpoint({"a": np.ones(1)}, f, append_dict={"x": [1, 2]})
    with pytest.raises(ValueError, match="async_save"):
        save_checkpoint({"a": np.ones(1)}, f, async_save="later")
    with pytest.raises(ValueError, match="format"):
        save_checkpoint({"a": np.ones(1)}, f, format="npz")
    with pytest.raises(NotImplementedError, match="encrypt"):
        save_checkpoint({"a": np.ones(1)}, f, enc_key=b"0" * 16)
    os.mkdir(tmp_path / "d.ckpt")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        save_checkpoint({"a": np.ones(1)}, str(tmp_path / "d.ckpt"))
    assert not os.path.exists(f)


def test_load_errors(tmp_path):
    with pytest.raises(TypeError, match="must be string, but got <class 'int'>"):
        load_checkpoint(3)
    with pytest.raises(ValueError, match="format must same with 'format', but got "
                                         "file_name:'out/hyper.bin', format:'ckpt'"):
        load_checkpoint("out/hyper.bin")
    with pytest.raises(ValueError, match="does not exist"):
        load_checkpoint(str(tmp_path / "missing.ckpt"))
    (tmp_path / "empty.ckpt").write_bytes(b"")
    with pytest.raises(ValueError, match="dict is empty after filter or specify") as info:
        load_checkpoint(str(tmp_path / "empty.ckpt"))
    assert str(tmp_path / "empty.ckpt") in str(info.value) and "0 bytes" in str(info.value)


def test_filter_specify_choice(tmp_path):
    names = ["conv1.weight", "conv2.weight", "fc1.weight", "fc2.bias", "learning_rate",
             "moments.fc1.weight"]
    f = str(tmp_path / "n.ckpt")
    save_checkpoint({n: np.ones(1, np.float32) for n in names}, f)
    assert list(load_checkpoint(f, filter_prefix="moments")) == names[:5]
    assert list(load_checkpoint(f, filter_prefix=["moments", "conv", "learning"])) == \
        ["fc1.weight", "fc2.bias"]
    assert list(load_checkpoint(f, specify_prefix="fc", filter_prefix="fc1")) == ["fc2.bias"]
    assert list(load_checkpoint(f, choice_func=lambda n: n.startswith("conv"))) == names[:2]
    assert list(load_checkpoint(f, specify_prefix="fc2", choice_func=lambda n: False)) == \
        ["fc2.bias"]                                               # ignored with a prefix
    with pytest.raises(ValueError, match="can't include ''"):
        load_checkpoint(f, filter_prefix=["a", ""])
    with pytest.raises(ValueError, match="can't be empty"):
        load_checkpoint(f, filter_prefix=[])
    with pytest.raises(TypeError, match="at index 0"):
        load_checkpoint(f, specify_prefix=[1])
    with pytest.raises(TypeError, match="but got <class 'int'>"):
        load_checkpoint(f, specify_prefix=1)
    with pytest.raises(ValueError, match="empty after filter"):
        load_checkpoint(f, specify_prefix="zzz")


def test_load_param_into_net_prefix_both_directions():
    net = Two()
    ckpt = {"backbone." + p.name: _p("backbone." + p.name, p.asnumpy() + 1)
            for p in net.get_parameters()}
    not_loaded, extra = load_param_into_net(net, ckpt)
    assert not_loaded == [] and extra == []
    assert np.allclose(net.fc.bias.asnumpy(), ckpt["backbone.fc.bias"].asnumpy())

    class Wrap(nn.Cell):
        def __init__(self):
            super().__init__()
            self.net = Two()
    w = Wrap()
    plain = {p.name: _p(p.name, np.full(p.shape, 5.0, np.float32)) for p in Two().get_parameters()}
    assert load_param_into_net(w, plain) == ([], [])               # ckpt fc.bias -> net.fc.bias
    assert np.all(w.net.fc.bias.asnumpy() == 5.0)
    w2 = Wrap()
    missing, extra = load_param_into_net(w2, plain, strict_load=True)
    assert len(missing) == 4 and extra == list(plain)


def test_prefix_match_needs_dot_boundary_and_uniqueness():
    net = Two()
    before = net.fc.bias.asnumpy().copy()
    ckpt = {"myfc.bias": _p("myfc.bias", np.ones(2, np.float32)),
            "a.head.0.bias": _p("a.head.0.bias", np.ones(2, np.float32)),
            "b.head.0.bias": _p("b.head.0.bias", np.ones(2, np.float32))}
    missing, extra = load_param_into_net(net, ckpt)
    assert "fc.bias" in missing and "head.0.bias" in missing and extra == list(ckpt)
    assert np.array_equal(net.fc.bias.asnumpy(), before)


def test_all_mismatches_in_one_error_and_nothing_loaded():
    net = Two()
    before = {p.name: p.asnumpy().copy() for p in net.get_parameters()}
    ckpt = {"fc.weight": _p("fc.weight", np.ones((2, 4), np.float32)),
            "fc.bias": _p("fc.bias", np.ones(2, np.int32)),
            "head.0.weight": _p("head.0.weight", np.ones((2, 2), np.float32))}
    with pytest.raises(RuntimeError) as info:
        load_param_into_net(net, ckpt)
    msg = str(info.value)
    assert msg.startswith("For 'load_param_into_net', fc.weight in the argument 'net' should have "
                          "the same shape as fc.weight in the argument 'parameter_dict'. But got its "
                          "shape (2, 3) in the argument 'net' and shape (2, 4)")
    assert "fc.bias" in msg and "type Float32 in the argument 'net' and type Int32" in msg
    for p in net.get_parameters():
        assert np.array_equal(p.asnumpy(), before[p.name])


def test_float_conversion_and_strict_dtype():
    net = Two()
    ckpt = {"fc.bias": _p("fc.bias", np.array([1.5, 2.5], np.float64))}
    load_param_into_net(net, ckpt)
    assert net.fc.bias.dtype is mstype.float32 and net.fc.bias.asnumpy().tolist() == [1.5, 2.5]
    with pytest.raises(RuntimeError, match="same type"):
        load_param_into_net(net, ckpt, strict_load=True)


def test_str_entries_skipped_and_type_checks():
    net = Two()
    missing, extra = load_param_into_net(net, {"fc.bias": "text"})
    assert "fc.bias" not in missing and extra == ["fc.bias"]
    with pytest.raises(TypeError, match="should be a Cell"):
        load_param_into_net(3, {})
    with pytest.raises(TypeError, match="should be a 'str' and 'Parameter'"):
        load_param_into_net(net, {"a": 1})


def test_safetensors_round_trip_and_oracle(tmp_path):
    values = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "i": np.array([1, -2], np.int64),
              "b": Tensor._make(np.array([0x3F80], np.uint16), mstype.bfloat16),
              "flag": np.array([True, False]), "note": "hi"}
    save_checkpoint(values, str(tmp_path / "m"), format="safetensors")
    f = str(tmp_path / "m.safetensors")
    got = load_checkpoint(f, format="safetensors")
    assert got["note"] == "hi" and got["b"].dtype is mstype.bfloat16
    assert got["w"].asnumpy().tolist() == values["w"].tolist()
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    del values["b"]                                   # safetensors.numpy cannot hold bfloat16
    save_checkpoint(values, str(tmp_path / "n"), format="safetensors")
    oracle = safetensors_numpy.load_file(str(tmp_path / "n.safetensors"))
    assert oracle["w"].tolist() == values["w"].tolist() and oracle["i"].tolist() == [1, -2]
    safetensors_numpy.save_file({"x": np.ones((2, 2), np.float16)}, str(tmp_path / "o.safetensors"))
    assert load_checkpoint(str(tmp_path / "o.safetensors"), format="safetensors")["x"].shape == (2, 2)


def test_safetensors_hostile(tmp_path):
    import json
    bad = []
    bad.append((1 << 40).to_bytes(8, "little"))
    h = json.dumps({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}).encode()
    bad.append(len(h).to_bytes(8, "little") + h + b"\0" * 4)
    h = json.dumps({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                    "y": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}}).encode()
    bad.append(len(h).to_bytes(8, "little") + h + b"\0" * 6)
    h = json.dumps({"x": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}).encode()
    bad.append(len(h).to_bytes(8, "little") + h + b"\0" * 8)
    for i, data in enumerate(bad):
        p = tmp_path / f"b{i}.safetensors"
        p.write_bytes(data)
        with pytest.raises(ValueError, match="safetensors file"):
            load_checkpoint(str(p), format="safetensors")
