"""Write golden checkpoint files with MindSpore itself (run with MindSpore, not minispore).

    python3 -m venv /tmp/msenv && /tmp/msenv/bin/pip install mindspore==2.10.0 "numpy<2"
    /tmp/msenv/bin/python tests/golden/make_mindspore_golden.py

Writes, next to this script, ``*.ckpt`` / ``*.safetensors`` files made by ``mindspore.save_checkpoint``
and ``expected.npz`` + ``expected.json`` describing what each file holds (entry order, tensor types,
shapes, values; sha256 of each LeNet array instead of the values to keep the folder small).
The tests (``tests/train/test_serialization_golden.py``) load every file with minispore, compare the
values, and write the same values with minispore expecting identical bytes.
"""
import hashlib
import json
import os

import numpy as np
import mindspore as ms
from mindspore import Parameter, Tensor, nn
from mindspore import dtype as mstype
from mindspore.common.initializer import Normal

HERE = os.path.dirname(os.path.abspath(__file__))
expected_json = {"mindspore_version": ms.__version__, "files": {}}
expected_arrays = {}


def record(fname, entries, sha_only=False):
    """entries: [(name, tensor_type, numpy value or str)] in the order the file should hold."""
    files = expected_json["files"][fname] = {"size": os.path.getsize(os.path.join(HERE, fname)),
                                             "entries": []}
    for name, ttype, value in entries:
        e = {"name": name, "type": ttype}
        if ttype == "str":
            e["str"] = value
        else:
            arr = np.array(value, copy=True, order="C")  # keeps 0-d arrays 0-d
            e["shape"] = list(arr.shape)
            if sha_only:
                e["sha256"] = hashlib.sha256(arr.tobytes()).hexdigest()
            else:
                key = f"{fname}::{name}"
                expected_arrays[key] = arr
                e["npz"] = key
        files["entries"].append(e)


def bf16_bits(t):
    """uint16 bits of a BFloat16 MindSpore tensor (via float32, exact)."""
    f = t.astype(mstype.float32).asnumpy().astype(np.float32)
    return (f.view(np.uint32) >> 16).astype(np.uint16)


def path(name):
    return os.path.join(HERE, name)


def main():
    ms.set_seed(1)
    rng = np.random.default_rng(0)

    # 1. the guide's hyperparameters.ckpt (list of {"name", "data"} dicts), and with crc_check
    hyper = [{"name": "epoch_size", "data": Tensor(10)}, {"name": "learning_rate", "data": Tensor(0.01)}]
    ms.save_checkpoint(hyper, path("hyperparameters.ckpt"))
    hyper_entries = [("epoch_size", "Int64", np.array(10, np.int64)),
                     ("learning_rate", "Float32", np.array(0.01, np.float32))]
    record("hyperparameters.ckpt", hyper_entries)
    ms.save_checkpoint(hyper, path("hyperparameters_crc.ckpt"), crc_check=True)
    record("hyperparameters_crc.ckpt", hyper_entries)

    # 2. every dtype, a str via the dict save_obj and via append_dict, a zero-size tensor (skipped)
    values = {}
    for tname, npt in [("Float16", np.float16), ("Float32", np.float32), ("Float64", np.float64),
                       ("Int8", np.int8), ("Int16", np.int16), ("Int32", np.int32),
                       ("Int64", np.int64), ("UInt8", np.uint8), ("UInt16", np.uint16),
                       ("UInt32", np.uint32), ("UInt64", np.uint64)]:
        if np.dtype(npt).kind == "f":
            arr = rng.standard_normal((2, 3)).astype(npt)
        else:
            info = np.iinfo(npt)
            arr = np.array([[info.min, 0, 1], [info.max, 7, 3]], dtype=npt)
        values["t_" + tname] = (tname, arr)
    values["t_Bool"] = ("Bool", np.array([True, False, True]))
    save = {}
    for name, (tname, arr) in values.items():
        save[name] = Parameter(Tensor(arr), name=name)
    bf = Tensor(np.array([[1.0, -2.5, 3.14159], [1e-3, 65504.0, -0.0]], np.float32), mstype.bfloat16)
    save["t_BFloat16"] = Parameter(bf, name="t_BFloat16")
    save["scalar_f32"] = Parameter(Tensor(np.float32(2.5)), name="scalar_f32")
    save["note"] = "hello, checkpoint \u00e9\u4e2d"
    save["empty"] = Parameter(Tensor(np.zeros((0, 3), np.float32)), name="empty")
    append = {"epoch_num": 3, "lr": 0.125, "flag": True, "tag": "minispore"}
    ms.save_checkpoint(save, path("all_dtypes.ckpt"), append_dict=append)
    entries = [(n, t, a) for n, (t, a) in values.items()]
    entries += [("t_BFloat16", "BFloat16", bf16_bits(bf)),
                ("scalar_f32", "Float32", np.array(2.5, np.float32)),
                ("note", "str", save["note"]),
                ("epoch_num", "Int64", np.array(3, np.int64)),
                ("lr", "Float32", np.array(0.125, np.float32)),
                ("flag", "Bool", np.array(True)),
                ("tag", "str", "minispore")]
    record("all_dtypes.ckpt", entries)

    # 3. the spec's 2-D int16, str and 300-float vector
    b = np.array([[1, 2], [3, 4]], np.int16)
    ms.save_checkpoint({"b": Parameter(Tensor(b), name="b")}, path("int16_2d.ckpt"))
    record("int16_2d.ckpt", [("b", "Int16", b)])
    ms.save_checkpoint({"s": "hi"}, path("str_hi.ckpt"))
    record("str_hi.ckpt", [("s", "str", "hi")])
    big = np.linspace(-1, 1, 300, dtype=np.float32)
    ms.save_checkpoint({"big": Parameter(Tensor(big), name="big")}, path("vec300.ckpt"))
    record("vec300.ckpt", [("big", "Float32", big)])

    # 4. duplicate names in a list of dicts: position of the first, value of the last
    dup = [{"name": "a", "data": Tensor(np.array([1.0], np.float32))},
           {"name": "z", "data": Tensor(np.array([2.0], np.float32))},
           {"name": "a", "data": Tensor(np.array([3.0], np.float32))}]
    ms.save_checkpoint(dup, path("duplicates.ckpt"))
    record("duplicates.ckpt", [("a", "Float32", np.array([3.0], np.float32)),
                               ("z", "Float32", np.array([2.0], np.float32))])

    # 5. a tiny net with a SequentialCell child
    class Tiny(nn.Cell):
        def __init__(self):
            super().__init__()
            self.fc = nn.Dense(4, 3)
            self.head = nn.SequentialCell([nn.Dense(3, 2), nn.ReLU()])

        def construct(self, x):
            return self.head(self.fc(x))

    tiny = Tiny()
    ms.save_checkpoint(tiny, path("tiny_net.ckpt"))
    record("tiny_net.ckpt", [(p.name, str(p.dtype), p.asnumpy()) for p in tiny.get_parameters()])

    # 6. LeNet5 (the guide's), net only and the train network with Momentum
    class LeNet5(nn.Cell):
        def __init__(self, num_class=10, num_channel=1):
            super().__init__()
            self.conv1 = nn.Conv2d(num_channel, 6, 5, pad_mode='valid')
            self.conv2 = nn.Conv2d(6, 16, 5, pad_mode='valid')
            self.fc1 = nn.Dense(16 * 5 * 5, 120, weight_init=Normal(0.02))
            self.fc2 = nn.Dense(120, 84, weight_init=Normal(0.02))
            self.fc3 = nn.Dense(84, num_class, weight_init=Normal(0.02))
            self.relu = nn.ReLU()
            self.max_pool2d = nn.MaxPool2d(kernel_size=2, stride=2)
            self.flatten = nn.Flatten()

        def construct(self, x):
            x = self.max_pool2d(self.relu(self.conv1(x)))
            x = self.max_pool2d(self.relu(self.conv2(x)))
            x = self.flatten(x)
            x = self.relu(self.fc1(x))
            x = self.relu(self.fc2(x))
            return self.fc3(x)

    net = LeNet5()
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.01, momentum=0.9)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean')
    train_net = nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)
    train_net.set_train()
    x = Tensor(rng.standard_normal((4, 1, 32, 32)).astype(np.float32))
    y = Tensor(np.array([1, 2, 3, 4], np.int32))
    train_net(x, y)   # one step: non-zero moments, global_step 1
    ms.save_checkpoint(net, path("lenet_net.ckpt"))
    record("lenet_net.ckpt", [(p.name, str(p.dtype), p.asnumpy()) for p in net.get_parameters()],
           sha_only=True)
    ms.save_checkpoint(train_net, path("lenet_train.ckpt"))
    seen, params = set(), []
    for _, p in train_net.parameters_and_names():
        if id(p) not in seen:
            seen.add(id(p))
            params.append(p)
    record("lenet_train.ckpt", [(p.name, str(p.dtype), p.asnumpy()) for p in params], sha_only=True)

    # 7. safetensors
    st = {"w": Parameter(Tensor(np.arange(6, dtype=np.float32).reshape(2, 3)), name="w"),
          "a_int": Parameter(Tensor(np.array([1, -2], np.int32)), name="a_int")}
    ms.save_checkpoint(st, path("small.safetensors"), format="safetensors")
    record("small.safetensors", [("a_int", "Int32", np.array([1, -2], np.int32)),
                                 ("w", "Float32", np.arange(6, dtype=np.float32).reshape(2, 3))])

    for name in os.listdir(HERE):
        if name.endswith((".ckpt", ".safetensors")):
            os.chmod(path(name), 0o644)
    np.savez(path("expected.npz"), **expected_arrays)
    with open(path("expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected_json, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
