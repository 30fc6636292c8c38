"""Golden files written by MindSpore 2.10 (tests/golden/make_mindspore_golden.py), both ways:
minispore loads each with identical values, and writes the same values to identical bytes."""
import hashlib
import json
import os

import numpy as np
import pytest

from minispore import Parameter, Tensor
from minispore.common import dtype as mstype
from minispore.train import load_checkpoint, load_param_into_net, save_checkpoint

GOLDEN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden")
with open(os.path.join(GOLDEN, "expected.json"), encoding="utf-8") as _f:
    EXPECTED = json.load(_f)["files"]
ARRAYS = np.load(os.path.join(GOLDEN, "expected.npz"))


def _bits(p):
    return np.ascontiguousarray(p.asnumpy()).tobytes()


@pytest.mark.parametrize("fname", sorted(EXPECTED))
def test_golden_loads_with_identical_values(fname):
    spec = EXPECTED[fname]
    path = os.path.join(GOLDEN, fname)
    fmt = "safetensors" if fname.endswith("safetensors") else "ckpt"
    got = load_checkpoint(path, format=fmt)
    assert os.path.getsize(path) == spec["size"]
    assert list(got) == [e["name"] for e in spec["entries"]]
    for e in spec["entries"]:
        value = got[e["name"]]
        if e["type"] == "str":
            assert value == e["str"]
            continue
        assert isinstance(value, Parameter) and value.name == e["name"]
        assert str(value.dtype) == e["type"]
        assert list(value.shape) == e["shape"]
        if "sha256" in e:
            assert hashlib.sha256(_bits(value)).hexdigest() == e["sha256"]
        else:
            want = ARRAYS[e["npz"]]
            assert _bits(value) == np.ascontiguousarray(want).tobytes()


def _as_minispore_value(e):
    if e["type"] == "str":
        return e["str"]
    arr = np.array(ARRAYS[e["npz"]])
    return Tensor._make(arr, mstype.type_from_string(e["type"]))


@pytest.mark.parametrize("fname", [f for f in sorted(EXPECTED) if "sha256" not in
                                   EXPECTED[f]["entries"][0]])
def test_minispore_writes_identical_bytes(fname, tmp_path):
    spec = EXPECTED[fname]
    fmt = "safetensors" if fname.endswith("safetensors") else "ckpt"
    values = {e["name"]: _as_minispore_value(e) for e in spec["entries"]}
    out = tmp_path / fname
    save_checkpoint(values, str(out), crc_check=fname.endswith("_crc.ckpt"), format=fmt)
    with open(os.path.join(GOLDEN, fname), "rb") as f:
        assert out.read_bytes() == f.read()


def test_guide_hyperparameters_list_of_dicts(tmp_path):
    """The guide's form; Tensor(0.01) is Float64 in minispore (as the guide prints), so give
    learning_rate MindSpore 2.10's Float32 explicitly to get MindSpore's bytes."""
    params = [{"name": "epoch_size", "data": Tensor(10)},
              {"name": "learning_rate", "data": Tensor(0.01, mstype.float32)}]
    save_checkpoint(params, str(tmp_path / "hyperparameters.ckpt"))
    with open(os.path.join(GOLDEN, "hyperparameters.ckpt"), "rb") as f:
        assert (tmp_path / "hyperparameters.ckpt").read_bytes() == f.read()


def test_append_dict_types_match_mindspore(tmp_path):
    """append_dict int -> Int64, float -> Float32, bool -> Bool, str -> str, after save_obj."""
    spec = EXPECTED["all_dtypes.ckpt"]["entries"]
    base = {e["name"]: _as_minispore_value(e) for e in spec[:-4]}
    base["empty"] = np.zeros((0, 3), np.float32)       # skipped, as MindSpore does
    save_checkpoint(base, str(tmp_path / "a.ckpt"),
                    append_dict={"epoch_num": 3, "lr": 0.125, "flag": True, "tag": "minispore"})
    with open(os.path.join(GOLDEN, "all_dtypes.ckpt"), "rb") as f:
        assert (tmp_path / "a.ckpt").read_bytes() == f.read()


def _lenet_and_train_net():
    from lenet import LeNet5
    import minispore.nn as nn
    net = LeNet5()
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.01, momentum=0.9)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return net, nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)


def test_lenet_golden_into_minispore_lenet_and_back(tmp_path):
    """MindSpore 2.10's train checkpoint has 19 entries (with ``global_step``); minispore's
    Momentum keeps the same state, so everything loads and re-saves byte for byte."""
    net, train_net = _lenet_and_train_net()
    params = load_checkpoint(os.path.join(GOLDEN, "lenet_train.ckpt"))
    not_loaded, ckpt_not_loaded = load_param_into_net(train_net, params, strict_load=True)
    assert not_loaded == [] and ckpt_not_loaded == []
    assert train_net.optimizer.global_step.asnumpy().tolist() == [1]   # one step was taken
    save_checkpoint(train_net, str(tmp_path / "train.ckpt"))
    save_checkpoint(net, str(tmp_path / "net.ckpt"))
    assert os.path.getsize(tmp_path / "train.ckpt") == 494183
    assert os.path.getsize(tmp_path / "train.ckpt") // 1024 == 482
    assert os.path.getsize(tmp_path / "net.ckpt") == 247012
    assert os.path.getsize(tmp_path / "net.ckpt") // 1024 == 241
    with open(os.path.join(GOLDEN, "lenet_train.ckpt"), "rb") as f:
        assert (tmp_path / "train.ckpt").read_bytes() == f.read()
    with open(os.path.join(GOLDEN, "lenet_net.ckpt"), "rb") as f:
        assert (tmp_path / "net.ckpt").read_bytes() == f.read()


def test_guide_train_ckpt_into_fresh_lenet():
    from lenet import LeNet5
    net = LeNet5()
    not_loaded, extra = load_param_into_net(net, load_checkpoint(
        os.path.join(GOLDEN, "lenet_train.ckpt")))
    assert not_loaded == []
    assert extra == ["global_step", "learning_rate", "momentum"] + [
        f"moments.{n}" for n in ["conv1.weight", "conv2.weight", "fc1.weight", "fc1.bias",
                                 "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"]]
    got = load_checkpoint(os.path.join(GOLDEN, "lenet_train.ckpt"), filter_prefix="moments")
    assert list(got) == ["conv1.weight", "conv2.weight", "fc1.weight", "fc1.bias", "fc2.weight",
                         "fc2.bias", "fc3.weight", "fc3.bias", "global_step", "learning_rate",
                         "momentum"]


def test_lenet_sizes_by_shape(tmp_path):
    """Independent of LeNet5: the 8 + 11 arrays by shape give 247012 / 494183 bytes."""
    shapes = {"conv1.weight": (6, 1, 5, 5), "conv2.weight": (16, 6, 5, 5), "fc1.weight": (120, 400),
              "fc1.bias": (120,), "fc2.weight": (84, 120), "fc2.bias": (84,),
              "fc3.weight": (10, 84), "fc3.bias": (10,)}
    net = {k: np.zeros(s, np.float32) for k, s in shapes.items()}
    train = dict(net, global_step=np.zeros(1, np.int32), learning_rate=np.array(0.01, np.float32),
                 momentum=np.array(0.9, np.float32))
    train.update({"moments." + k: v for k, v in net.items()})
    save_checkpoint(net, str(tmp_path / "n.ckpt"))
    save_checkpoint(train, str(tmp_path / "t.ckpt"))
    assert os.path.getsize(tmp_path / "n.ckpt") == 247012
    assert os.path.getsize(tmp_path / "t.ckpt") == 494183
