"""Dropout (keep_prob and p), Dropout1d/2d/3d, Identity and the adaptive pools: train vs eval
behaviour, forward against naive numpy, gradients against float64 central differences, and
PyTorch's adaptive pools."""
import math

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn, ops
from gradcheck import check_grad

R = np.random.default_rng(21)


# ---- dropout -------------------------------------------------------------------------------------
def test_dropout_is_identity_in_eval_and_scales_in_train():
    x = R.uniform(0.5, 1.5, (40, 50)).astype(np.float32)
    d = nn.Dropout(p=0.3)
    assert d.p == 0.3 and not d.training
    np.testing.assert_array_equal(d(Tensor(x)).asnumpy(), x)
    d.set_train()
    y = d(Tensor(x)).asnumpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] / 0.7, rtol=1e-6)
    assert abs(1 - kept.mean() - 0.3) < 0.04  # 2000 draws: 4 sigma is ~0.04
    d.set_train(False)
    np.testing.assert_array_equal(d(Tensor(x)).asnumpy(), x)


def test_dropout_keep_prob_is_mindspore_1x_spelling():
    with pytest.warns(DeprecationWarning, match="keep_prob"):
        d = nn.Dropout(keep_prob=0.8)
    assert math.isclose(d.p, 0.2) and math.isclose(d.keep_prob, 0.8)
    assert nn.Dropout().p == 0.5
    with pytest.raises(ValueError, match=r"'keep_prob' must be a float in range \(0, 1\]"):
        nn.Dropout(keep_prob=0)
    with pytest.raises(ValueError, match=r"'p' must be a float in range \[0, 1\)"):
        nn.Dropout(p=1.0)
    x = Tensor(R.standard_normal((3, 4)).astype(np.float32))
    with pytest.warns(DeprecationWarning):
        keep_all = nn.Dropout(keep_prob=1.0).set_train()
    np.testing.assert_array_equal(keep_all(x).asnumpy(), x.asnumpy())


def test_dropout_is_reproducible_under_set_seed_and_its_gradient_is_the_mask():
    x = R.standard_normal((6, 7))
    ms.set_seed(5)
    a = ops.dropout(Tensor(x), 0.4).asnumpy()
    ms.set_seed(5)
    y, g = ops.value_and_grad(lambda t: ops.dropout(t, 0.4))(Tensor(x))
    np.testing.assert_array_equal(y.asnumpy(), a)
    mask = (a != 0) / 0.6
    np.testing.assert_allclose(g.asnumpy(), mask, rtol=1e-12)
    np.testing.assert_allclose(a, x * mask, rtol=1e-12)


@pytest.mark.parametrize("cls,shape", [(nn.Dropout1d, (4, 30, 5)), (nn.Dropout2d, (4, 30, 3, 3)),
                                       (nn.Dropout3d, (2, 30, 2, 2, 2))])
def test_channel_dropout_drops_whole_channels(cls, shape):
    x = R.uniform(1, 2, shape).astype(np.float32)
    layer = cls(p=0.5)
    np.testing.assert_array_equal(layer(Tensor(x)).asnumpy(), x)
    y = layer.set_train()(Tensor(x)).asnumpy()
    per_channel = y.reshape(shape[0], shape[1], -1)
    dropped = (per_channel == 0).all(axis=2)
    kept = (per_channel != 0).all(axis=2)
    assert np.all(dropped | kept) and dropped.any() and kept.any()
    np.testing.assert_allclose(y.reshape(per_channel.shape)[kept],
                               2 * x.reshape(per_channel.shape)[kept], rtol=1e-6)
    with pytest.raises(ValueError, match="dims"):
        layer(Tensor(np.ones((2,), np.float32)))


def test_identity():
    x = Tensor(R.standard_normal((2, 3)).astype(np.float32))
    assert nn.Identity()(x) is x


# ---- adaptive pools ------------------------------------------------------------------------------
def naive_adaptive(x, out, reduce):
    H, W = x.shape[-2:]
    OH, OW = out
    y = np.empty(x.shape[:-2] + (OH, OW), x.dtype)
    for i in range(OH):
        h0, h1 = (i * H) // OH, math.ceil((i + 1) * H / OH)
        for j in range(OW):
            w0, w1 = (j * W) // OW, math.ceil((j + 1) * W / OW)
            y[..., i, j] = reduce(x[..., h0:h1, w0:w1], axis=(-2, -1))
    return y


CASES = [((2, 3, 7, 9), (3, 4), (3, 4)), ((1, 2, 5, 5), 3, (3, 3)), ((2, 4, 6), (2, None), (2, 6)),
         ((1, 1, 4, 4), (8, 8), (8, 8)), ((2, 2, 10, 3), 1, (1, 1))]


@pytest.mark.parametrize("shape,size,out", CASES)
def test_adaptive_avg_pool2d_forward_and_gradient(shape, size, out):
    x = R.standard_normal(shape).astype(np.float32)
    y = nn.AdaptiveAvgPool2d(size)(Tensor(x)).asnumpy()
    np.testing.assert_allclose(y, naive_adaptive(x, out, np.mean), rtol=1e-5, atol=1e-6)
    small = x[:1, :2].astype(np.float64)  # central differences cost two calls per element
    check_grad(lambda t: ops.adaptive_avg_pool2d(t, size), [small], name="adaptive_avg_pool2d")


@pytest.mark.parametrize("shape,size,out", CASES)
def test_adaptive_max_pool2d_forward_and_gradient(shape, size, out):
    x = R.permutation(np.prod(shape)).reshape(shape).astype(np.float64) * 0.1  # no ties
    y = nn.AdaptiveMaxPool2d(size)(Tensor(x.astype(np.float32))).asnumpy()
    np.testing.assert_allclose(y, naive_adaptive(x, out, np.max), rtol=1e-6)
    check_grad(lambda t: ops.adaptive_max_pool2d(t, size), [x[:1, :2]],
               name="adaptive_max_pool2d")


def test_adaptive_1d_pools():
    x = R.standard_normal((2, 3, 10)).astype(np.float32)
    y = nn.AdaptiveAvgPool1d(4)(Tensor(x)).asnumpy()
    np.testing.assert_allclose(y, naive_adaptive(x[:, :, None], (1, 4), np.mean)[:, :, 0],
                               rtol=1e-5, atol=1e-6)
    m, idx = nn.AdaptiveMaxPool1d(4, return_indices=True)(Tensor(x))
    np.testing.assert_allclose(m.asnumpy(), naive_adaptive(x[:, :, None], (1, 4), np.max)[:, :, 0])
    np.testing.assert_array_equal(np.take_along_axis(x, idx.asnumpy(), axis=2), m.asnumpy())
    with pytest.raises(ValueError, match=r"AdaptiveAvgPool1d.*\(N, C, L\)"):
        nn.AdaptiveAvgPool1d(2)(Tensor(np.ones((3, 4), np.float32)))


def test_adaptive_pool_errors_name_the_op():
    x = Tensor(np.ones((2, 3, 4, 4), np.float32))
    with pytest.raises(ValueError, match=r"For 'adaptive_avg_pool2d', 'output_size'"):
        ops.adaptive_avg_pool2d(x, (0, 2))
    with pytest.raises(ValueError, match=r"For 'adaptive_max_pool2d', 'input' must be"):
        ops.adaptive_max_pool2d(Tensor(np.ones((4, 4), np.float32)), 2)


@pytest.mark.parametrize("size", [(3, 4), (5, 2), 1])
def test_adaptive_pools_match_torch(size):
    torch = pytest.importorskip("torch")
    x = R.standard_normal((2, 3, 11, 7)).astype(np.float32)
    for ours, theirs in ((lambda t: ops.adaptive_avg_pool2d(t, size),
                          lambda t: torch.nn.functional.adaptive_avg_pool2d(t, size)),
                         (lambda t: ops.adaptive_max_pool2d(t, size),
                          lambda t: torch.nn.functional.adaptive_max_pool2d(t, size))):
        tx = torch.tensor(x, requires_grad=True)
        ty = theirs(tx)
        dy = R.standard_normal(tuple(ty.shape)).astype(np.float32)
        ty.backward(torch.from_numpy(dy))
        np.testing.assert_allclose(ours(Tensor(x)).asnumpy(), ty.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
        dx = ops.GradOperation(sens_param=True)(ours)(Tensor(x), Tensor(dy))
        np.testing.assert_allclose(dx.asnumpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    _, tidx = torch.nn.functional.adaptive_max_pool2d(torch.from_numpy(x), size, True)
    _, idx = nn.AdaptiveMaxPool2d(size, return_indices=True)(Tensor(x))
    np.testing.assert_array_equal(idx.asnumpy(), tidx.numpy())


@pytest.mark.parametrize("mode,k,s,pad", [("valid", 3, 2, 0), ("pad", 3, 1, 1), ("valid", 2, 2, 0)])
def test_pool1d_match_torch_and_gradients(mode, k, s, pad):
    x = R.permutation(2 * 3 * 9).reshape(2, 3, 9).astype(np.float64) * 0.1  # no ties
    for ours, naive in ((nn.MaxPool1d(k, s, mode, pad), np.max),
                        (nn.AvgPool1d(k, s, mode, pad), np.mean)):
        padded = np.pad(x, ((0, 0), (0, 0), (pad, pad)),
                        constant_values=-np.inf if naive is np.max else 0)
        out = (padded.shape[2] - k) // s + 1
        expected = np.stack([naive(padded[:, :, i * s:i * s + k], axis=2) for i in range(out)], 2)
        np.testing.assert_allclose(ours(Tensor(x.astype(np.float32))).asnumpy(), expected,
                                   rtol=1e-6)
        check_grad(ours, [x[:1]], name=type(ours).__name__)
    torch = pytest.importorskip("torch")
    tx = torch.from_numpy(x)
    np.testing.assert_allclose(nn.MaxPool1d(k, s, mode, pad)(Tensor(x)).asnumpy(),
                               torch.nn.functional.max_pool1d(tx, k, s, pad).numpy())
    np.testing.assert_allclose(nn.AvgPool1d(k, s, mode, pad)(Tensor(x)).asnumpy(),
                               torch.nn.functional.avg_pool1d(tx, k, s, pad).numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match=r"MaxPool1d.*\(N, C, L\)"):
        nn.MaxPool1d(2)(Tensor(np.ones((2, 4), np.float32)))
