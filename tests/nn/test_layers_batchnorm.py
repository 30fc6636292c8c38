"""BatchNorm1d/2d/3d and ops.batch_norm: forward against naive numpy in train and eval mode,
MindSpore's moving-average convention, gradients against float64 central differences, PyTorch
where it has the same layer, and a .ckpt round trip under MindSpore's parameter names."""
import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn, ops
from gradcheck import check_grad

R = np.random.default_rng(12)


def naive_batch_norm(x, mean, var, gamma, beta, eps):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * \
        gamma.reshape(shape) + beta.reshape(shape)


def batch_stats(x):
    axes = (0,) + tuple(range(2, x.ndim))
    return x.mean(axis=axes), x.var(axis=axes)  # biased, as MindSpore's CPU kernel


@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (6, 3)), (nn.BatchNorm1d, (4, 3, 5)),
                                       (nn.BatchNorm2d, (4, 3, 5, 6)),
                                       (nn.BatchNorm3d, (2, 3, 2, 3, 4))])
def test_train_then_eval_matches_naive_numpy(cls, shape):
    x = (R.standard_normal(shape) * 2 + 1).astype(np.float32)
    bn = cls(3, momentum=0.8, gamma_init=1.5, beta_init=0.25)
    mean0, var0 = bn.moving_mean.asnumpy().copy(), bn.moving_variance.asnumpy().copy()
    bn.set_train()
    y = bn(Tensor(x)).asnumpy()
    mean, var = batch_stats(x.astype(np.float64))
    gamma, beta = np.full(3, 1.5), np.full(3, 0.25)
    np.testing.assert_allclose(y, naive_batch_norm(x, mean, var, gamma, beta, 1e-5), rtol=1e-5,
                               atol=1e-5)
    moving_mean = 0.8 * mean0 + 0.2 * mean
    moving_var = 0.8 * var0 + 0.2 * var
    np.testing.assert_allclose(bn.moving_mean.asnumpy(), moving_mean, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(bn.moving_variance.asnumpy(), moving_var, rtol=1e-6)
    bn.set_train(False)
    x2 = R.standard_normal(shape).astype(np.float32)
    y2 = bn(Tensor(x2)).asnumpy()
    np.testing.assert_allclose(y2, naive_batch_norm(x2, moving_mean, moving_var, gamma, beta,
                                                    1e-5), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.asnumpy(), moving_mean, rtol=1e-6, atol=1e-7)


def test_parameter_names_defaults_and_modes():
    bn = nn.BatchNorm2d(4)
    assert [(p.name, p.shape, p.requires_grad) for p in bn.get_parameters()] == [
        ("mean", (4,), False), ("variance", (4,), False), ("gamma", (4,), True),
        ("beta", (4,), True)]
    assert (bn.eps, bn.momentum, bn.use_batch_statistics) == (1e-5, 0.9, None)
    np.testing.assert_array_equal(bn.moving_variance.asnumpy(), np.ones(4, np.float32))
    assert not bn.training  # a new cell infers with the moving statistics
    x = R.standard_normal((2, 4, 3, 3)).astype(np.float32)
    np.testing.assert_allclose(bn(Tensor(x)).asnumpy(), x / np.sqrt(1 + 1e-5), rtol=1e-6)
    assert np.all(bn.moving_mean.asnumpy() == 0)
    always = nn.BatchNorm2d(4, use_batch_statistics=True)  # batch statistics even in eval
    y = always(Tensor(x)).asnumpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    assert np.any(always.moving_mean.asnumpy() != 0)
    never = nn.BatchNorm2d(4, use_batch_statistics=False).set_train()
    np.testing.assert_allclose(never(Tensor(x)).asnumpy(), x / np.sqrt(1 + 1e-5), rtol=1e-6)
    frozen = nn.BatchNorm1d(4, affine=False)
    assert [p.name for p in frozen.trainable_params()] == []


def test_nhwc_matches_nchw():
    x = R.standard_normal((2, 3, 4, 5)).astype(np.float32)
    a = nn.BatchNorm2d(3, gamma_init=2.0).set_train()
    b = nn.BatchNorm2d(3, gamma_init=2.0, data_format="NHWC").set_train()
    ya = a(Tensor(x)).asnumpy()
    yb = b(Tensor(x.transpose(0, 2, 3, 1))).asnumpy()
    np.testing.assert_allclose(yb, ya.transpose(0, 2, 3, 1), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (3, 2, 3, 2)])
def test_gradients_match_central_differences(training, shape):
    C = shape[1]
    x = R.standard_normal(shape) * 1.5 + 0.5
    gamma, beta = R.standard_normal(C), R.standard_normal(C)
    run_mean, run_var = R.standard_normal(C), R.uniform(0.5, 2.0, C)

    def op(x, g, b):
        rm, rv = Tensor(run_mean.copy()), Tensor(run_var.copy())
        return ops.batch_norm(x, rm, rv, g, b, training=training, momentum=0.1, eps=1e-3)
    check_grad(op, [x, gamma, beta], name=f"batch_norm(training={training})")


@pytest.mark.parametrize("shape", [(8, 4), (4, 4, 5, 5)])
def test_matches_torch_train_and_eval(shape):
    torch = pytest.importorskip("torch")
    x = (R.standard_normal(shape) * 3 - 1).astype(np.float32)
    dy = R.standard_normal(shape).astype(np.float32)
    cls, tcls = ((nn.BatchNorm1d, torch.nn.BatchNorm1d) if len(shape) == 2 else
                 (nn.BatchNorm2d, torch.nn.BatchNorm2d))
    bn, tbn = cls(4, momentum=0.7), tcls(4, momentum=0.3)
    gamma = R.uniform(0.5, 1.5, 4).astype(np.float32)
    bn.gamma.set_data(Tensor(gamma))
    with torch.no_grad():
        tbn.weight.copy_(torch.from_numpy(gamma))
    bn.set_train()
    tbn.train()
    tx = torch.tensor(x, requires_grad=True)
    ty = tbn(tx)
    ty.backward(torch.from_numpy(dy))
    grad_fn = ops.GradOperation(get_all=True, get_by_list=True, sens_param=True)
    weights = ms.ParameterTuple(bn.trainable_params())
    (dx,), (dgamma, dbeta) = grad_fn(bn, weights)(Tensor(x), Tensor(dy))
    y = bn(Tensor(x)).asnumpy()  # a second training step (the moving stats move again)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dx.asnumpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dgamma.asnumpy(), tbn.weight.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dbeta.asnumpy(), tbn.bias.grad.numpy(), rtol=1e-4, atol=1e-4)
    tbn(torch.from_numpy(x))  # torch's second step
    np.testing.assert_allclose(bn.moving_mean.asnumpy(), tbn.running_mean.numpy(), rtol=1e-5,
                               atol=1e-6)
    # torch updates with the unbiased variance, MindSpore's CPU kernel with the biased one:
    # after two steps from 1, torch's = 0.49 + 0.51 * v * n/(n-1).
    n = x.size // 4
    biased_from_torch = 0.49 + (tbn.running_var.numpy() - 0.49) * (n - 1) / n
    np.testing.assert_allclose(bn.moving_variance.asnumpy(), biased_from_torch, rtol=1e-5)
    bn.set_train(False)
    tbn.eval()
    with torch.no_grad():
        tbn.running_var.copy_(torch.from_numpy(bn.moving_variance.asnumpy()))
        expected = tbn(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(bn(Tensor(x)).asnumpy(), expected, rtol=1e-5, atol=1e-5)


class ConvBN(nn.Cell):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, has_bias=True)
        self.bn = nn.BatchNorm2d(3)
        self.relu = nn.ReLU()

    def construct(self, x):
        return self.relu(self.bn(self.conv(x)))


def test_checkpoint_round_trip_with_mindspore_names(tmp_path):
    net = ConvBN().set_train()
    x = Tensor(R.standard_normal((4, 2, 5, 5)).astype(np.float32))
    for _ in range(3):
        net(x)  # moves the moving statistics away from their initial values
    net.set_train(False)
    expected = net(x).asnumpy()
    path = str(tmp_path / "convbn.ckpt")
    ms.save_checkpoint(net, path)
    loaded = ms.load_checkpoint(path)
    assert list(loaded) == ["conv.weight", "conv.bias", "bn.moving_mean", "bn.moving_variance",
                            "bn.gamma", "bn.beta"]
    np.testing.assert_array_equal(loaded["bn.moving_mean"].asnumpy(),
                                  net.bn.moving_mean.asnumpy())
    fresh = ConvBN()
    assert ms.load_param_into_net(fresh, loaded) == ([], [])
    np.testing.assert_array_equal(fresh(x).asnumpy(), expected)


def test_training_updates_only_trainable_parameters():
    net = ConvBN()
    opt = nn.Momentum(net.trainable_params(), 0.1, 0.9)
    assert "bn.moving_mean" not in [p.name for p in net.trainable_params()]
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), opt).set_train()
    x = Tensor(R.standard_normal((4, 2, 5, 5)).astype(np.float32))
    target = Tensor(R.standard_normal((4, 3, 5, 5)).astype(np.float32))
    losses = [float(step(x, target).asnumpy()) for _ in range(5)]
    assert losses[-1] < losses[0]
    assert np.all(net.bn.moving_mean.asnumpy() != 0)


def test_bad_input_gives_clear_errors():
    with pytest.raises(ValueError, match=r"BatchNorm2d.*\(N, C, H, W\).*\(3, 4\)"):
        nn.BatchNorm2d(4)(Tensor(np.zeros((3, 4), np.float32)))
    with pytest.raises(ValueError, match=r"'running_mean' must have shape \(4,\)"):
        nn.BatchNorm2d(3)(Tensor(np.zeros((2, 4, 3, 3), np.float32)))
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm2d(4, momentum=1.5)
    with pytest.raises(ValueError, match="num_features"):
        nn.BatchNorm1d(0)
    with pytest.raises(TypeError, match="Float32 or Float64"):
        ops.batch_norm(Tensor(np.zeros((2, 3), np.int32)), None, None, training=True)
