"""LayerNorm, Embedding, Conv1d and Conv2dTranspose: MindSpore's names and defaults, forward
against naive numpy, gradients against float64 central differences, and PyTorch's ops."""
import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn, ops
from gradcheck import check_grad

R = np.random.default_rng(41)


# ---- LayerNorm -----------------------------------------------------------------------------------
def naive_layer_norm(x, norm_axis, gamma, beta, eps):
    axes = tuple(range(norm_axis, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


@pytest.mark.parametrize("shape,norm_shape,norm_axis,params_axis", [
    ((3, 4, 5), (5,), -1, -1), ((2, 3, 4, 5), (3, 4, 5), 1, 1), ((2, 3, 4), (4,), 1, -1),
    ((6, 8), (8,), 1, 1)])
def test_layer_norm_matches_naive_numpy(shape, norm_shape, norm_axis, params_axis):
    x = (R.standard_normal(shape) * 3 + 2).astype(np.float32)
    ln = nn.LayerNorm(norm_shape, norm_axis, params_axis, gamma_init="normal", beta_init="normal")
    gamma, beta = ln.gamma.asnumpy().astype(np.float64), ln.beta.asnumpy().astype(np.float64)
    y = ln(Tensor(x)).asnumpy()
    expected = naive_layer_norm(x.astype(np.float64), norm_axis % len(shape), gamma, beta, 1e-7)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_layer_norm_names_defaults_and_errors():
    ln = nn.LayerNorm((4,))
    assert [(p.name, p.shape) for p in ln.get_parameters()] == [("gamma", (4,)), ("beta", (4,))]
    assert (ln.begin_norm_axis, ln.begin_params_axis, ln.epsilon) == (-1, -1, 1e-7)
    with pytest.raises(ValueError, match=r"LayerNorm.*\(3,\) must equal normalized_shape \(4,\)"):
        ln(Tensor(np.ones((2, 3), np.float32)))
    with pytest.raises(TypeError, match="normalized_shape"):
        nn.LayerNorm(4)
    with pytest.raises(ValueError, match=r"For 'layer_norm', 'normalized_shape'"):
        ops.layer_norm(Tensor(np.ones((2, 3), np.float32)), (4,))


@pytest.mark.parametrize("shape,norm,w_shape", [((3, 5), (5,), (5,)), ((2, 3, 4), (3, 4), (4,)),
                                                ((2, 2, 3), (2, 3), (2, 3))])
def test_layer_norm_gradients_match_central_differences(shape, norm, w_shape):
    x = R.standard_normal(shape)
    w, b = R.standard_normal(w_shape), R.standard_normal(w_shape)
    check_grad(lambda x, w, b: ops.layer_norm(x, norm, w, b, 1e-3), [x, w, b], name="layer_norm")


def test_layer_norm_matches_torch():
    torch = pytest.importorskip("torch")
    x = R.standard_normal((4, 6, 8)).astype(np.float32)
    w, b = R.standard_normal((6, 8)).astype(np.float32), R.standard_normal((6, 8)).astype(np.float32)
    dy = R.standard_normal(x.shape).astype(np.float32)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.layer_norm(tx, (6, 8), tw, tb, 1e-5)
    ty.backward(torch.from_numpy(dy))
    fn = lambda x, w, b: ops.layer_norm(x, (6, 8), w, b, 1e-5)  # noqa: E731
    np.testing.assert_allclose(fn(Tensor(x), Tensor(w), Tensor(b)).asnumpy(),
                               ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    grads = ops.GradOperation(get_all=True, sens_param=True)(fn)(Tensor(x), Tensor(w),
                                                                 Tensor(b), Tensor(dy))
    for g, t in zip(grads, (tx, tw, tb)):
        np.testing.assert_allclose(g.asnumpy(), t.grad.numpy(), rtol=1e-4, atol=1e-4)


# ---- Embedding -----------------------------------------------------------------------------------
def test_embedding_lookup_names_and_padding_row():
    emb = nn.Embedding(10, 3, padding_idx=2)
    assert [(p.name, p.shape) for p in emb.get_parameters()] == [("embedding_table", (10, 3))]
    table = emb.embedding_table.asnumpy()
    assert np.all(table[2] == 0) and 0.005 < table.std() < 0.02  # 'normal' = N(0, 0.01^2)
    ids = np.array([[1, 2, 9], [0, 0, 5]], np.int32)
    np.testing.assert_array_equal(emb(Tensor(ids)).asnumpy(), table[ids])
    with pytest.raises(ValueError, match=r"ids must be in \[0, 10\).*got 10"):
        emb(Tensor(np.array([10], np.int32)))
    with pytest.raises(TypeError, match="integer ids"):
        emb(Tensor(np.array([1.0], np.float32)))


def test_embedding_gradient_matches_central_differences_and_torch():
    ids = np.array([[1, 3, 1], [0, 3, 3]])
    w = R.standard_normal((5, 4))
    check_grad(lambda t: ops.embedding(Tensor(ids), t), [w], name="embedding")
    torch = pytest.importorskip("torch")
    dy = R.standard_normal((2, 3, 4))
    tw = torch.tensor(w, requires_grad=True)
    torch.nn.functional.embedding(torch.from_numpy(ids), tw, padding_idx=3).backward(
        torch.from_numpy(dy))
    g = ops.GradOperation(sens_param=True)(lambda t: ops.embedding(Tensor(ids), t, 3))(
        Tensor(w), Tensor(dy))
    np.testing.assert_allclose(g.asnumpy(), tw.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert np.all(g.asnumpy()[3] == 0)


def test_embedding_trains_in_a_network():
    class Bag(nn.Cell):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(6, 4)
            self.fc = nn.Dense(4, 2)

        def construct(self, ids):
            return self.fc(ops.reduce_mean(self.emb(ids), 1))

    net = Bag()
    assert [p.name for p in net.trainable_params()] == ["emb.embedding_table", "fc.weight",
                                                        "fc.bias"]
    ids = Tensor(np.array([[0, 1, 2], [3, 4, 5]], np.int32))
    labels = Tensor(np.array([0, 1], np.int32))
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(
        sparse=True, reduction="mean")), nn.Momentum(net.trainable_params(), 0.5, 0.9))
    losses = [float(step(ids, labels).asnumpy()) for _ in range(10)]
    assert losses[-1] < losses[0]


# ---- Conv1d --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,length,out_len", [
    (dict(), 9, 9), (dict(pad_mode="valid"), 9, 7), (dict(pad_mode="pad", padding=2), 9, 11),
    (dict(stride=2), 9, 5), (dict(pad_mode="valid", dilation=2, group=2), 9, 5)])
def test_conv1d_matches_conv2d_on_a_row_and_torch(kwargs, length, out_len):
    conv = nn.Conv1d(4, 6, 3, has_bias=True, **kwargs)
    assert [(p.name, p.shape) for p in conv.get_parameters()] == [
        ("weight", (6, 4 // kwargs.get("group", 1), 1, 3)), ("bias", (6,))]
    x = R.standard_normal((2, 4, length)).astype(np.float32)
    y = conv(Tensor(x)).asnumpy()
    assert y.shape == (2, 6, out_len)
    torch = pytest.importorskip("torch")
    w = conv.weight.asnumpy()[:, :, 0]
    pad_mode = kwargs.get("pad_mode", "same")
    pad = kwargs.get("padding", 0) if pad_mode == "pad" else 0
    tx = torch.from_numpy(x)
    if pad_mode == "same":  # MindSpore's 'same': total padding split floor/ceil
        total = max((out_len - 1) * kwargs.get("stride", 1) + 3 - length, 0)
        tx = torch.nn.functional.pad(tx, (total // 2, total - total // 2))
    ty = torch.nn.functional.conv1d(tx, torch.from_numpy(w), torch.from_numpy(conv.bias.asnumpy()),
                                    kwargs.get("stride", 1), pad, kwargs.get("dilation", 1),
                                    kwargs.get("group", 1))
    np.testing.assert_allclose(y, ty.numpy(), rtol=1e-5, atol=1e-5)


def test_conv1d_gradient_matches_central_differences():
    x, w = R.standard_normal((2, 2, 6)), R.standard_normal((3, 2, 3))
    check_grad(lambda x, w: ops.conv1d(x, w, None, 2, "pad", 1), [x, w], name="conv1d")


# ---- Conv2dTranspose -----------------------------------------------------------------------------
def naive_conv_transpose(x, w, stride, dilation, pads, out_hw, group=1):
    """Scatter every input pixel times the kernel into a full output, then crop the padding."""
    N, Cin, H, W = x.shape
    _, Cog, KH, KW = w.shape
    full = np.zeros((N, Cog * group, (H - 1) * stride[0] + dilation[0] * (KH - 1) + 1 + 8,
                     (W - 1) * stride[1] + dilation[1] * (KW - 1) + 1 + 8))
    cig = Cin // group
    for ci in range(Cin):
        g = ci // cig
        for i in range(H):
            for j in range(W):
                for p in range(KH):
                    for q in range(KW):
                        full[:, g * Cog:(g + 1) * Cog, i * stride[0] + p * dilation[0],
                             j * stride[1] + q * dilation[1]] += x[:, ci, i, j, None] * w[ci, :, p, q]
    top, _, left, _ = pads
    return full[:, :, top:top + out_hw[0], left:left + out_hw[1]]


@pytest.mark.parametrize("mode,k,s,d,pad,out_pad,group,out_hw", [
    ("same", 3, 2, 1, 0, 0, 1, (10, 12)), ("same", 4, 2, 1, 0, 0, 2, (10, 12)),
    ("same", 1, 3, 1, 0, 0, 1, (15, 18)), ("valid", 3, 2, 1, 0, 0, 1, (11, 13)),
    ("valid", 2, 3, 1, 0, 0, 1, (15, 18)), ("valid", 3, 1, 2, 0, 0, 1, (9, 10)),
    ("pad", 3, 2, 1, 1, 1, 1, (10, 12)), ("pad", 3, 2, 1, (1, 0, 2, 1), 0, 1, (10, 10))])
def test_conv2d_transpose_matches_naive_scatter(mode, k, s, d, pad, out_pad, group, out_hw):
    layer = nn.Conv2dTranspose(4, 6, k, s, mode, pad, out_pad, d, group, has_bias=True)
    assert [(p.name, p.shape) for p in layer.get_parameters()] == [
        ("weight", (4, 6 // group, k, k)), ("bias", (6,))]
    x = R.standard_normal((2, 4, 5, 6)).astype(np.float32)
    y = layer(Tensor(x)).asnumpy()
    assert y.shape == (2, 6) + out_hw
    pads = layer._pads((5, 6))[0]
    pads = (pads,) * 4 if isinstance(pads, int) else pads
    expected = naive_conv_transpose(x.astype(np.float64), layer.weight.asnumpy().astype(np.float64),
                                    (s, s), (d, d), pads, out_hw, group)
    expected += layer.bias.asnumpy()[:, None, None]
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


def test_conv_transpose2d_gradients_and_torch():
    x, w = R.standard_normal((1, 2, 3, 4)), R.standard_normal((2, 3, 3, 2))
    check_grad(lambda x, w: ops.conv_transpose2d(x, w, None, 2, 1, 1), [x, w],
               name="conv_transpose2d")
    torch = pytest.importorskip("torch")
    x = R.standard_normal((2, 4, 5, 6)).astype(np.float32)
    w = R.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = R.standard_normal(6).astype(np.float32)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv_transpose2d(tx, tw, tb, (2, 3), (1, 2), (1, 0), 2, (2, 1))
    dy = R.standard_normal(tuple(ty.shape)).astype(np.float32)
    ty.backward(torch.from_numpy(dy))
    fn = lambda x, w, b: ops.conv_transpose2d(x, w, b, (2, 3), (1, 2), (1, 0), 2, (2, 1))  # noqa
    np.testing.assert_allclose(fn(Tensor(x), Tensor(w), Tensor(b)).asnumpy(),
                               ty.detach().numpy(), rtol=1e-4, atol=1e-4)
    grads = ops.GradOperation(get_all=True, sens_param=True)(fn)(Tensor(x), Tensor(w),
                                                                 Tensor(b), Tensor(dy))
    for g, t in zip(grads, (tx, tw, tb)):
        np.testing.assert_allclose(g.asnumpy(), t.grad.numpy(), rtol=1e-4, atol=1e-3)
    with pytest.raises(ValueError, match=r"'output_padding' \(2, 2\) must be smaller"):
        ops.conv_transpose2d(Tensor(x), Tensor(w), None, 2, 0, 2)


def test_conv2d_transpose_checkpoint_names(tmp_path):
    class Up(nn.Cell):
        def __init__(self):
            super().__init__()
            self.deconv = nn.Conv2dTranspose(3, 2, 2, 2, has_bias=True)
            self.ln = nn.LayerNorm((2,), begin_norm_axis=1, begin_params_axis=1)

        def construct(self, x):
            return self.deconv(x)

    path = str(tmp_path / "up.ckpt")
    ms.save_checkpoint(Up(), path)
    assert list(ms.load_checkpoint(path)) == ["deconv.weight", "deconv.bias", "ln.gamma", "ln.beta"]
