"""AvgPool2d (kernel, one Function, one Cell): forward against a naive loop, backward against
float64 central differences, and against PyTorch where the semantics coincide."""
import numpy as np
import pytest

from minispore import Tensor, nn, ops
from gradcheck import check_grad


def naive_avg_pool(x, k, s, pads, count_pad):
    N, C, H, W = x.shape
    top, bottom, left, right = pads
    oh = (H + top + bottom - k[0]) // s[0] + 1
    ow = (W + left + right - k[1]) // s[1] + 1
    out = np.zeros((N, C, oh, ow), x.dtype)
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * s[0] - top, j * s[1] - left
            rows = [h for h in range(h0, h0 + k[0]) if 0 <= h < H]
            cols = [w for w in range(w0, w0 + k[1]) if 0 <= w < W]
            window = x[:, :, rows][:, :, :, cols]
            count = k[0] * k[1] if count_pad else len(rows) * len(cols)
            out[:, :, i, j] = window.sum(axis=(2, 3)) / count
    return out


CASES = [  # shape, kernel, stride, pad_mode, padding, count_include_pad, pads as applied
    ((2, 3, 8, 8), 2, 2, "valid", 0, True, (0, 0, 0, 0)),
    ((1, 2, 7, 9), (3, 2), (2, 1), "valid", 0, True, (0, 0, 0, 0)),
    ((1, 2, 5, 5), 3, 2, "same", 0, True, (1, 1, 1, 1)),
    ((2, 1, 6, 6), 3, 1, "pad", 1, True, (1, 1, 1, 1)),
    ((2, 1, 6, 6), 3, 2, "pad", (1, 0, 2, 1), False, (1, 0, 2, 1)),
]


@pytest.mark.parametrize("shape,k,s,mode,padding,count,pads", CASES)
def test_avg_pool2d_forward_matches_naive(shape, k, s, mode, padding, count, pads):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    y = nn.AvgPool2d(k, s, mode, padding, count_include_pad=count)(Tensor(x)).asnumpy()
    kk, ss = (k, k) if np.isscalar(k) else k, (s, s) if np.isscalar(s) else s
    count_pad = count and mode == "pad"
    np.testing.assert_allclose(y, naive_avg_pool(x, kk, ss, pads, count_pad), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("shape,k,s,mode,padding,count,pads", CASES)
def test_avg_pool2d_gradient_matches_central_differences(shape, k, s, mode, padding, count,
                                                         pads):
    x = np.random.default_rng(1).standard_normal((1,) + shape[1:])
    check_grad(lambda t: ops.avg_pool2d(t, k, s, mode, padding, count), [x], name="avg_pool2d")


def test_avg_pool_primitive_and_errors():
    x = Tensor(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4))
    np.testing.assert_array_equal(ops.AvgPool(kernel_size=2, strides=2)(x).asnumpy(),
                                  [[[[2.5, 4.5], [10.5, 12.5]]]])
    with pytest.raises(ValueError, match=r"For 'avg_pool2d', 'x' must be 4-D"):
        ops.avg_pool2d(Tensor(np.zeros((4, 4), np.float32)), 2, 2)
    with pytest.raises(ValueError, match=r"\[in cell AvgPool2d\]"):
        nn.AvgPool2d(5, 1)(x)


@pytest.mark.parametrize("count", [True, False])
def test_avg_pool2d_matches_torch(count):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).standard_normal((2, 3, 9, 9)).astype(np.float32)
    dy = np.random.default_rng(3).standard_normal((2, 3, 5, 5)).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.avg_pool2d(tx, 3, 2, padding=1, count_include_pad=count)
    ty.backward(torch.tensor(dy))
    y = ops.avg_pool2d(Tensor(x), 3, 2, "pad", 1, count)
    np.testing.assert_allclose(y.asnumpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = ops.GradOperation(sens_param=True)(lambda t: ops.avg_pool2d(t, 3, 2, "pad", 1, count))
    np.testing.assert_allclose(g(Tensor(x), Tensor(dy)).asnumpy(), tx.grad.numpy(), rtol=1e-5,
                               atol=1e-6)
