"""models/resnet: the network against its PyTorch twin (forward, BatchNorm statistics, Momentum
steps) and train.py / eval.py on a tiny generated IDX set: resuming from epoch k's checkpoint
alone ends with the bytes of an uninterrupted run."""
import importlib.util
import os
import sys

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn
from _idx import write_idx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESNET = os.path.join(ROOT, "models", "resnet")
sys.path.insert(0, RESNET)


def _load(name):
    spec = importlib.util.spec_from_file_location(f"resnet_app_{name}",
                                                  os.path.join(RESNET, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


resnet = _load("resnet")


def test_shapes_strides_and_parameter_names():
    ms.set_seed(0)
    net = resnet.ResNetSmall(width=4)
    x = Tensor(np.random.default_rng(0).standard_normal((2, 1, 28, 28)).astype(np.float32))
    net.set_train(False)
    assert net(x).shape == (2, 10)
    stem = net.relu(net.bn1(net.conv1(x)))
    assert net.layer1(stem).shape == (2, 4, 28, 28)
    assert net.layer2(net.layer1(stem)).shape == (2, 8, 14, 14)
    assert net.layer3(net.layer2(net.layer1(stem))).shape == (2, 16, 7, 7)
    names = [p.name for p in net.get_parameters()]
    assert "layer2.down_sample.0.weight" in names and "layer3.down_sample.1.moving_mean" in names
    assert net.layer1.down_sample is None
    assert "layer1.bn2.moving_variance" in names and "fc.bias" in names


def test_matches_pytorch_forward_and_momentum_steps():
    torch = pytest.importorskip("torch", reason="the PyTorch twin needs torch")
    resnet_torch = _load("resnet_torch")
    ms.set_seed(3)
    net = resnet.ResNetSmall(width=4)
    peer = resnet_torch.copy_from_minispore(resnet_torch.ResNetSmall(width=4), net)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 8).astype(np.int32)
    net.set_train(False)
    peer.eval()
    with torch.no_grad():
        np.testing.assert_allclose(net(Tensor(x)).asnumpy(), peer(torch.from_numpy(x)).numpy(),
                                   rtol=1e-4, atol=1e-5)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    step = nn.TrainOneStepCell(nn.WithLossCell(net, loss),
                               nn.Momentum(net.trainable_params(), 0.05, 0.9))
    step.set_train(True)
    peer.train()
    opt = torch.optim.SGD(peer.parameters(), lr=0.05, momentum=0.9)
    for _ in range(3):
        ms_loss = float(step(Tensor(x), Tensor(y)).asnumpy())
        opt.zero_grad()
        t_loss = torch.nn.functional.cross_entropy(peer(torch.from_numpy(x)),
                                                   torch.from_numpy(y).long())
        t_loss.backward()
        opt.step()
        t_loss = t_loss.detach()
        assert ms_loss == pytest.approx(t_loss.item(), rel=1e-4)
    state = peer.state_dict()
    for p in net.get_parameters():
        if p.name.endswith("moving_variance"):   # torch's running_var uses the unbiased variance
            continue
        np.testing.assert_allclose(p.asnumpy(), state[resnet_torch.torch_name(p.name)].numpy(),
                                   rtol=2e-3, atol=2e-5, err_msg=p.name)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_idx(tmp_path_factory.mktemp("idx"), n_train=64, n_test=32)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _train(data, ckpt_dir, *extra):
    return _load("train").main(["--data", data, "--ckpt-dir", str(ckpt_dir), "--width", "4",
                                "--batch-size", "16", *extra])


def test_resume_is_byte_identical_and_eval_agrees(data, tmp_path, capsys):
    full = _train(data, tmp_path / "a", "--epochs", "3")
    assert os.path.basename(full["checkpoint"]) == "resnet-3_4.ckpt"
    again = _train(data, tmp_path / "b", "--epochs", "3")
    assert _read(again["checkpoint"]) == _read(full["checkpoint"])
    resumed = _train(data, tmp_path / "r", "--epochs", "3",
                     "--resume", os.path.join(tmp_path / "a", "resnet-1_4.ckpt"))
    assert "after epoch 1" in capsys.readouterr().out
    assert [r["epoch"] for r in resumed["rows"]] == [2, 3]
    assert _read(resumed["checkpoint"]) == _read(full["checkpoint"])
    other = _train(data, tmp_path / "c", "--epochs", "1", "--seed", "2")
    assert _read(other["checkpoint"]) != _read(os.path.join(tmp_path / "a", "resnet-1_4.ckpt"))

    result = _load("eval").main([full["checkpoint"], "--data", data, "--width", "4"])
    assert result["accuracy"] == pytest.approx(full["accuracy"])
    matrix = result["confusion"]
    assert matrix.sum() == 32 and np.trace(matrix) / 32 == pytest.approx(full["accuracy"])


def test_errors_are_one_line(data, tmp_path, capsys):
    done = _train(data, tmp_path, "--epochs", "1")
    with pytest.raises(SystemExit) as exc:
        _load("eval").main([done["checkpoint"], "--data", data, "--width", "8"])
    assert exc.value.code == 2 and "not a ResNetSmall(width=8)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _train(data, tmp_path / "x", "--epochs", "1", "--resume", done["checkpoint"])
    assert "already finished epoch 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _train(str(tmp_path / "nowhere"), tmp_path / "y")
    assert "train.py: error:" in capsys.readouterr().err
