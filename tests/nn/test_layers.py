"""Layers through one harness: output shape, parameter names/shapes/defaults, and values and
gradients against independent references (naive numpy, float64 finite differences, torch)."""
import math

import numpy as np
import pytest

from minispore import Tensor, nn, ops
from gradcheck import check_grad
import lenet_reference as ref

R = np.random.default_rng(3)


def run_layer(layer, x_shape, out_shape, params):
    """Check a layer's output shape and its parameters' names and shapes."""
    y = layer(Tensor(R.standard_normal(x_shape).astype(np.float32)))
    assert y.shape == out_shape and y.dtype.name == "Float32"
    assert [(p.name, p.shape) for p in layer.get_parameters()] == params
    return y


@pytest.mark.parametrize("kwargs,x_shape,out_shape", [
    (dict(pad_mode="valid"), (2, 3, 9, 9), (2, 4, 5, 5)),
    (dict(), (2, 3, 9, 9), (2, 4, 9, 9)),                          # default pad_mode='same'
    (dict(stride=2), (2, 3, 9, 8), (2, 4, 5, 4)),                   # ceil(in / stride)
    (dict(pad_mode="pad", padding=1), (1, 3, 6, 6), (1, 4, 4, 4)),
    (dict(pad_mode="pad", padding=(0, 1, 2, 3)), (1, 3, 6, 6), (1, 4, 3, 7)),
    (dict(pad_mode="valid", dilation=2), (1, 3, 9, 9), (1, 4, 1, 1)),
])
def test_conv2d_shapes_and_params(kwargs, x_shape, out_shape):
    conv = nn.Conv2d(3, 4, 5, **kwargs)
    run_layer(conv, x_shape, out_shape, [("weight", (4, 3, 5, 5))])


def test_conv2d_same_padding_puts_the_odd_pixel_bottom_right():
    """k=4, 'same': total padding 3 split (1, 2), as MindSpore does (spec, section 9)."""
    x = R.standard_normal((1, 1, 6, 6))
    w = R.standard_normal((1, 1, 4, 4))
    y = ops.conv2d(Tensor(x), Tensor(w), pad_mode="same").asnumpy()
    padded = np.pad(x, ((0, 0), (0, 0), (1, 2), (1, 2)))
    np.testing.assert_allclose(y, ref.conv(padded, w), rtol=1e-10)


def test_conv2d_default_init_is_he_uniform_sqrt5():
    w = nn.Conv2d(16, 8, 3).weight.asnumpy()
    bound = 1 / math.sqrt(16 * 9)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound


def test_dense_default_bias_is_uniform_even_with_weight_init():
    d = nn.Dense(400, 120, weight_init="normal")
    b = d.bias.asnumpy()
    assert np.abs(b).max() <= 1 / 20 and b.std() > 0.01


def test_conv_with_bias_and_groups_matches_reference():
    conv = nn.Conv2d(4, 6, 3, pad_mode="valid", group=2, has_bias=True)
    x = R.standard_normal((2, 4, 7, 7)).astype(np.float32)
    y = conv(Tensor(x)).asnumpy()
    w, b = conv.weight.asnumpy(), conv.bias.asnumpy()
    expected = np.concatenate([ref.conv(x[:, :2], w[:3]), ref.conv(x[:, 2:], w[3:])], axis=1)
    np.testing.assert_allclose(y, expected + b[None, :, None, None], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("stride,pad_mode,padding,dilation,group", [
    (1, "valid", 0, 1, 1), (2, "same", 0, 1, 1), (1, "pad", 1, 2, 1), (2, "valid", 0, 1, 2),
])
def test_conv2d_gradients_float64(stride, pad_mode, padding, dilation, group):
    x = R.standard_normal((2, 2, 6, 5))
    w = R.standard_normal((4, 2 // group, 3, 2))
    check_grad(lambda a, b: ops.conv2d(a, b, None, stride, pad_mode, padding, dilation, group),
               [x, w], name=f"conv2d s{stride} {pad_mode} d{dilation} g{group}")


def test_max_pool_dense_relu_gradients_float64():
    x = R.permutation(np.arange(2 * 3 * 6 * 6, dtype=np.float64)).reshape(2, 3, 6, 6) / 7.0
    check_grad(lambda a: ops.max_pool2d(a, 2, 2), [x], name="max_pool2d")
    check_grad(lambda a: ops.max_pool2d(a, 3, 1, "same"), [x], name="max_pool2d same")
    check_grad(lambda a, w, b: ops.dense(a, w, b),
               [R.standard_normal((3, 4)), R.standard_normal((5, 4)), R.standard_normal(5)])


def test_sparse_cross_entropy_value_and_gradient():
    logits = R.standard_normal((6, 5))
    labels = np.array([0, 4, 2, 2, 1, 3], np.int32)
    loss_fn = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    loss = float(loss_fn(Tensor(logits), Tensor(labels)))
    lse = np.log(np.exp(logits).sum(1))
    assert loss == pytest.approx(np.mean(lse - logits[np.arange(6), labels]), rel=1e-12)
    for reduction in ("mean", "sum", "none"):
        fn = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction=reduction)
        check_grad(lambda z: fn(z, Tensor(labels)), [logits], name=f"sparse CE {reduction}")
    dense = nn.SoftmaxCrossEntropyWithLogits(sparse=False, reduction="mean")
    onehot = np.eye(5)[labels]
    assert float(dense(Tensor(logits), Tensor(onehot))) == pytest.approx(loss, rel=1e-12)
    check_grad(lambda z: dense(z, Tensor(onehot)), [logits], name="dense CE")


def test_cross_entropy_refuses_bad_labels():
    fn = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    logits = Tensor(np.zeros((2, 3), np.float32))
    with pytest.raises(TypeError, match=r"Int32 or Int64.*Float32"):
        fn(logits, Tensor(np.array([0.0, 1.0], np.float32)))
    with pytest.raises(ValueError, match="3"):
        fn(logits, Tensor(np.array([0, 3], np.int32)))
    with pytest.raises(ValueError, match="-1"):
        fn(logits, Tensor(np.array([-1, 0], np.int32)))


def test_layers_match_torch_when_installed():
    torch = pytest.importorskip("torch")
    conv = nn.Conv2d(3, 5, 3, stride=2, pad_mode="pad", padding=1, has_bias=True)
    x = R.standard_normal((2, 3, 9, 9)).astype(np.float32)
    expected = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(conv.weight.asnumpy()),
                                          torch.tensor(conv.bias.asnumpy()), stride=2, padding=1)
    np.testing.assert_allclose(conv(Tensor(x)).asnumpy(), expected.numpy(), rtol=1e-5, atol=1e-5)
    pool = torch.nn.functional.max_pool2d(torch.tensor(x), 2, 2)
    np.testing.assert_allclose(nn.MaxPool2d(2, 2)(Tensor(x)).asnumpy(), pool.numpy())
