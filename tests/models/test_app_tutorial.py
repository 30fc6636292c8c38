"""models/lenet/tutorial.py end to end on a tiny generated IDX dataset (96 train / 32 test, batch
32 -> 3 steps per epoch): the files the guide's blocks leave, their sizes and contents, and the
key printed lines."""
import importlib.util
import os

import numpy as np
import pytest

from minispore import load_checkpoint
from _idx import write_idx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NET = ["conv1.weight", "conv2.weight", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias",
       "fc3.weight", "fc3.bias"]
OPT = ["global_step", "learning_rate", "momentum"] + ["moments." + n for n in NET]  # MindSpore 2.x


def _tutorial():
    spec = importlib.util.spec_from_file_location(
        "lenet_app_tutorial", os.path.join(ROOT, "models", "lenet", "tutorial.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    data = write_idx(tmp_path_factory.mktemp("idx"))
    work = tmp_path_factory.mktemp("work")
    cwd = os.getcwd()
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        _tutorial().main(["--data", data, "--workdir", str(work)])
    assert os.getcwd() == cwd
    return work, buf.getvalue()


def test_files_left(ran):
    work, _ = ran
    files = set(os.listdir(work))
    expected = {"checkpoint_lenet-1_3.ckpt", "mindspore_lenet.ckpt", "lenet-1_3.ckpt",
                "lenet_1-1_3.ckpt", "modify.ckpt", "hyperparameters.ckpt"}
    assert expected <= files
    # keep_checkpoint_max=5 over 3 steps: all three per-step files of each run remain
    assert {"lenet-1_1.ckpt", "lenet-1_2.ckpt", "lenet_1-1_1.ckpt"} <= files
    with_opt = os.path.getsize(work / "checkpoint_lenet-1_3.ckpt")
    net_only = os.path.getsize(work / "lenet-1_3.ckpt")
    assert 1.9 < with_opt / net_only < 2.1
    assert (with_opt // 1024, net_only // 1024) == (482, 241)     # the guide's sizes
    assert os.path.getsize(work / "mindspore_lenet.ckpt") == with_opt
    assert os.path.getsize(work / "lenet_1-1_3.ckpt") == with_opt  # async: whole train network


def test_file_contents(ran):
    work, _ = ran
    assert list(load_checkpoint(str(work / "checkpoint_lenet-1_3.ckpt"))) == NET + OPT
    assert list(load_checkpoint(str(work / "mindspore_lenet.ckpt"))) == NET + OPT
    assert list(load_checkpoint(str(work / "lenet-1_3.ckpt"))) == NET
    modified = load_checkpoint(str(work / "modify.ckpt"))
    assert list(modified) == [n for n in NET if n != "fc1.weight"] + ["epoch_size"]
    assert str(modified["fc2.weight"].dtype) == "Int64" and modified["fc2.weight"].asnumpy() == 66
    assert modified["epoch_size"].asnumpy() == 10
    net = load_checkpoint(str(work / "lenet-1_3.ckpt"))
    np.testing.assert_array_equal(modified["fc3.weight"].asnumpy(), net["fc3.weight"].asnumpy())
    hyper = load_checkpoint(str(work / "hyperparameters.ckpt"))
    assert list(hyper) == ["epoch_size", "learning_rate"]
    assert str(hyper["epoch_size"].dtype) == "Int64" and hyper["epoch_size"].asnumpy() == 10
    assert str(hyper["learning_rate"].dtype) == "Float64"
    assert hyper["learning_rate"].asnumpy() == 0.01
    converted = load_checkpoint(str(work / "ms_lenet.ckpt"))     # from torch_lenet.pth
    assert list(converted) == NET
    assert os.path.getsize(work / "ms_lenet.ckpt") == os.path.getsize(work / "lenet-1_3.ckpt")


def test_printed_lines(ran):
    _, out = ran
    lines = out.splitlines()
    params = "[" + ", ".join(f"Parameter (name={n})" for n in NET + OPT) + "]"
    assert params in lines                                        # train_net.trainable_params()
    assert "with_opt size: 482 kB" in lines and "without_opt size: 241 kB" in lines
    net_dict = "{" + ", ".join(f"'{n}': Parameter (name={n})" for n in NET) + "}"
    full_dict = "{" + ", ".join(f"'{n}': Parameter (name={n})" for n in NET + OPT) + "}"
    filtered = "{" + ", ".join(f"'{n}': Parameter (name={n})"
                               for n in NET + OPT[:3]) + "}"
    assert lines.count(net_dict) == 2 and lines.count(full_dict) == 2 and filtered in lines
    assert ("[{'name': 'epoch_size', 'data': Tensor(shape=[], dtype=Int64, value= 10)}, "
            "{'name': 'learning_rate', 'data': Tensor(shape=[], dtype=Float64, value= 0.01)}]"
            in lines)
    assert "{'name': 'fc2.weight', 'data': Tensor(shape=[], dtype=Int64, value= 66)}" in out
    for header in ("==========param_list===========", "==========strict load mode===========",
                   "=============after filter_prefix moments=============",
                   "=========after train==========="):
        assert header in lines
    assert "epoch: 1 step: 3, loss is" in out                   # LossMonitor
    assert "saving after 3, not 100" in out and "3 steps of 32 per epoch" in out
    assert "checkpoint_lenet-1_3.ckpt" in out


def test_rerun_reuses_pretrained_and_starts_clean(ran, tmp_path):
    work, _ = ran
    # a second run in the same folder reuses the "pretrained" file and rewrites the rest
    # (checked cheaply: the cleanup patterns match exactly the files a run writes)
    tutorial = _tutorial()
    import glob
    cwd = os.getcwd()
    os.chdir(work)
    try:
        written = {f for p in tutorial.OUTPUTS for f in glob.glob(p)}
    finally:
        os.chdir(cwd)
    assert written == set(os.listdir(work)) - {"checkpoint_lenet-1_3.ckpt"}


def test_pth_written_without_torch_loads_in_torch(tmp_path):
    import sys
    sys.path.insert(0, os.path.join(ROOT, "models", "lenet"))
    from _pth import save_pth
    from minispore.train.converters import pytorch2mindspore
    rng = np.random.default_rng(3)
    sd = {"conv1.weight": rng.standard_normal((6, 1, 5, 5)).astype(np.float32),
          "fc1.bias": rng.standard_normal(120).astype(np.float32)}
    path = save_pth({"state_dict": sd, "epoch": 1}, str(tmp_path / "a.pth"))
    assert pytorch2mindspore(path, str(tmp_path / "a.ckpt")) == list(sd)
    back = load_checkpoint(str(tmp_path / "a.ckpt"))
    for k, v in sd.items():
        np.testing.assert_array_equal(back[k].asnumpy(), v)
    torch = pytest.importorskip("torch")
    loaded = torch.load(path, weights_only=True)
    assert loaded["epoch"] == 1 and list(loaded["state_dict"]) == list(sd)
    for k, v in sd.items():
        np.testing.assert_array_equal(loaded["state_dict"][k].numpy(), v)
