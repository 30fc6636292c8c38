"""RNN, GRU, LSTM and their cells: MindSpore's parameter names and order, forward against a
naive numpy loop, gradients against float64 central differences, and PyTorch's layers (single
and multi-layer, batch_first, bidirectional)."""
import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn, ops
from minispore.common import dtype as mstype
from minispore.ops.function.rnn_func import RNNLayer
from gradcheck import check_grad

R = np.random.default_rng(51)


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def naive_layer(mode, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One direction, step by step, straight from the formulas."""
    H = w_hh.shape[1]
    ys = []
    for xt in x:
        gi, gh = xt @ w_ih.T + b_ih, h @ w_hh.T + b_hh
        if mode == "LSTM":
            a = gi + gh
            i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), \
                sigmoid(a[:, 3 * H:])
            c = f * c + i * g
            h = o * np.tanh(c)
        elif mode == "GRU":
            r = sigmoid(gi[:, :H] + gh[:, :H])
            z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
            n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
            h = (1 - z) * n + z * h
        else:
            h = np.tanh(gi + gh)
        ys.append(h)
    return np.stack(ys), h, c


@pytest.mark.parametrize("cls,mode", [(nn.LSTM, "LSTM"), (nn.GRU, "GRU"), (nn.RNN, "RNN")])
def test_single_layer_matches_naive_numpy(cls, mode):
    layer = cls(3, 5)
    x = R.standard_normal((6, 2, 3)).astype(np.float32)
    h0 = R.standard_normal((1, 2, 5)).astype(np.float32)
    c0 = R.standard_normal((1, 2, 5)).astype(np.float32)
    hx = (Tensor(h0), Tensor(c0)) if mode == "LSTM" else Tensor(h0)
    y, state = layer(Tensor(x), hx)
    p = {q.name: q.asnumpy().astype(np.float64) for q in layer.get_parameters()}
    ey, eh, ec = naive_layer(mode, x.astype(np.float64), h0[0], c0[0], p["weight_ih_l0"],
                             p["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"])
    np.testing.assert_allclose(y.asnumpy(), ey, rtol=1e-5, atol=1e-6)
    h_n = state[0] if mode == "LSTM" else state
    np.testing.assert_allclose(h_n.asnumpy()[0], eh, rtol=1e-5, atol=1e-6)
    if mode == "LSTM":
        np.testing.assert_allclose(state[1].asnumpy()[0], ec, rtol=1e-5, atol=1e-6)


def test_parameter_names_order_and_init():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    names = [p.name for p in lstm.get_parameters()]
    suffixes = ["_l0", "_l0_reverse", "_l1", "_l1_reverse"]
    assert names == [f"{kind}{s}" for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
                     for s in suffixes]
    shapes = {p.name: p.shape for p in lstm.get_parameters()}
    assert shapes["weight_ih_l0"] == (16, 3) and shapes["weight_ih_l1_reverse"] == (16, 8)
    assert shapes["weight_hh_l1"] == (16, 4) and shapes["bias_hh_l0"] == (16,)
    values = np.concatenate([p.asnumpy().ravel() for p in lstm.get_parameters()])
    assert np.abs(values).max() <= 0.5 and values.std() > 0.2  # U(-1/sqrt(4), 1/sqrt(4))
    gru = nn.GRU(3, 4, has_bias=False)
    assert [p.name for p in gru.get_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    assert [p.name for p in nn.LSTMCell(3, 4).get_parameters()] == [
        "weight_ih", "weight_hh", "bias_ih", "bias_hh"]


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"])
@pytest.mark.parametrize("reverse", [False, True])
def test_layer_gradients_match_central_differences(mode, reverse):
    G = RNNLayer.GATES[mode]
    T, B, I, H = 3, 2, 2, 3
    arrays = [R.standard_normal((T, B, I)), R.standard_normal((B, H)) * 0.5,
              R.standard_normal((B, H)) * 0.5, R.standard_normal((G * H, I)) * 0.5,
              R.standard_normal((G * H, H)) * 0.5, R.standard_normal(G * H) * 0.5,
              R.standard_normal(G * H) * 0.5]
    lstm = mode == "LSTM"

    def op(x, h, c, w_ih, w_hh, b_ih, b_hh):
        inputs, attrs = RNNLayer.check(x, h, c if lstm else None, w_ih, w_hh, b_ih, b_hh, mode,
                                       reverse)
        outs = RNNLayer.apply(*inputs, **attrs)
        return ops.concat([ops.reshape(o, (-1,)) for o in outs], axis=0)
    positions = (0, 1, 2, 3, 4, 5, 6) if lstm else (0, 1, 3, 4, 5, 6)
    check_grad(op, arrays, positions=positions, name=f"{mode} reverse={reverse}")


TORCH_CASES = [(dict(), (5, 2, 3)), (dict(batch_first=True), (2, 5, 3)),
               (dict(num_layers=2, bidirectional=True), (4, 3, 3)),
               (dict(num_layers=2, batch_first=True, has_bias=False), (3, 4, 3))]


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("kwargs,x_shape", TORCH_CASES)
def test_matches_torch_forward_and_backward(name, kwargs, x_shape):
    torch = pytest.importorskip("torch")
    ours = getattr(nn, name)(3, 4, **kwargs)
    tk = dict(kwargs)
    tk["bias"] = tk.pop("has_bias", True)
    theirs = getattr(torch.nn, name)(3, 4, **tk)
    params = {p.name: p for p in ours.get_parameters()}
    with torch.no_grad():
        for pname, tp in theirs.named_parameters():
            tp.copy_(torch.from_numpy(params[pname].asnumpy()))
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    batch = x_shape[0] if kwargs.get("batch_first") else x_shape[1]
    x = R.standard_normal(x_shape).astype(np.float32)
    h0 = R.standard_normal((layers, batch, 4)).astype(np.float32)
    c0 = R.standard_normal((layers, batch, 4)).astype(np.float32)
    tx, th, tc = (torch.tensor(a, requires_grad=True) for a in (x, h0, c0))
    lstm = name == "LSTM"
    ty, tstate = theirs(tx, (th, tc) if lstm else th)
    dy = R.standard_normal(tuple(ty.shape)).astype(np.float32)
    dh = R.standard_normal(h0.shape).astype(np.float32)
    t_h = tstate[0] if lstm else tstate
    (ty * torch.from_numpy(dy)).sum().add((t_h * torch.from_numpy(dh)).sum()).backward()

    def loss(x, h, c):
        y, state = ours(x, (h, c) if lstm else h)
        h_n = state[0] if lstm else state
        return ops.reduce_sum(y * Tensor(dy)) + ops.reduce_sum(h_n * Tensor(dh))
    weights = ms.ParameterTuple(ours.trainable_params())
    grads_in, grads_w = ops.GradOperation(get_all=True, get_by_list=True)(loss, weights)(
        Tensor(x), Tensor(h0), Tensor(c0))
    y, state = ours(Tensor(x), (Tensor(h0), Tensor(c0)) if lstm else Tensor(h0))
    np.testing.assert_allclose(y.asnumpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose((state[0] if lstm else state).asnumpy(), t_h.detach().numpy(),
                               rtol=1e-5, atol=1e-5)
    if lstm:
        np.testing.assert_allclose(state[1].asnumpy(), tstate[1].detach().numpy(), rtol=1e-5,
                                   atol=1e-5)
    np.testing.assert_allclose(grads_in[0].asnumpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(grads_in[1].asnumpy(), th.grad.numpy(), rtol=1e-4, atol=1e-4)
    if lstm:
        np.testing.assert_allclose(grads_in[2].asnumpy(), tc.grad.numpy(), rtol=1e-4, atol=1e-4)
    tgrads = dict(theirs.named_parameters())
    for p, g in zip(weights, grads_w):
        np.testing.assert_allclose(g.asnumpy(), tgrads[p.name].grad.numpy(), rtol=1e-4,
                                   atol=1e-4, err_msg=p.name)


@pytest.mark.parametrize("name", ["LSTMCell", "GRUCell", "RNNCell"])
def test_cells_match_torch(name):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(3, 4), getattr(torch.nn, name)(3, 4)
    params = {p.name: p for p in ours.get_parameters()}
    with torch.no_grad():
        for pname, tp in theirs.named_parameters():
            tp.copy_(torch.from_numpy(params[pname].asnumpy()))
    x = R.standard_normal((2, 3)).astype(np.float32)
    h = R.standard_normal((2, 4)).astype(np.float32)
    if name == "LSTMCell":
        c = R.standard_normal((2, 4)).astype(np.float32)
        (oh, oc), (th, tc) = ours(Tensor(x), (Tensor(h), Tensor(c))), \
            theirs(torch.from_numpy(x), (torch.from_numpy(h), torch.from_numpy(c)))
        np.testing.assert_allclose(oc.asnumpy(), tc.detach().numpy(), rtol=1e-5, atol=1e-6)
    else:
        oh, th = ours(Tensor(x), Tensor(h)), theirs(torch.from_numpy(x), torch.from_numpy(h))
    np.testing.assert_allclose(oh.asnumpy(), th.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_float64_layer_and_errors():
    lstm = nn.LSTM(2, 3, dtype=mstype.float64)
    y, (h, c) = lstm(Tensor(R.standard_normal((4, 1, 2))))
    assert y.dtype == mstype.float64 and h.shape == (1, 1, 3) and c.shape == (1, 1, 3)
    with pytest.raises(ValueError, match=r"For 'LSTM', the input must have shape \(seq_len, "
                                         r"batch, input_size\) with input_size=2"):
        lstm(Tensor(np.zeros((4, 1, 5))))
    with pytest.raises(ValueError, match="seq_length.*not supported by minispore"):
        lstm(Tensor(np.zeros((4, 1, 2))), None, Tensor(np.array([4])))
    with pytest.raises(ValueError, match=r"each initial state must have shape \(1, 1, 3\)"):
        nn.GRU(2, 3, dtype=mstype.float64)(Tensor(np.zeros((4, 1, 2))), Tensor(np.zeros((2, 1, 3))))


def test_lstm_trains_and_round_trips_a_checkpoint(tmp_path):
    class Tagger(nn.Cell):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(2, 8, batch_first=True)
            self.fc = nn.Dense(8, 2)

        def construct(self, x):
            y, _ = self.rnn(x)
            return self.fc(y[:, -1])

    ms.set_seed(0)
    net = Tagger()
    x = np.random.default_rng(7).standard_normal((16, 5, 2)).astype(np.float32)
    labels = (x[:, :, 0].sum(axis=1) > 0).astype(np.int32)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(
        sparse=True, reduction="mean")), nn.Momentum(net.trainable_params(), 0.1, 0.9))
    losses = [float(step(Tensor(x), Tensor(labels)).asnumpy()) for _ in range(30)]
    assert losses[-1] < 0.75 * losses[0] and losses[-1] < min(losses[:5])
    path = str(tmp_path / "tagger.ckpt")
    ms.save_checkpoint(net, path)
    assert list(ms.load_checkpoint(path))[:4] == ["rnn.weight_ih_l0", "rnn.weight_hh_l0",
                                                  "rnn.bias_ih_l0", "rnn.bias_hh_l0"]
    fresh = Tagger()
    ms.load_checkpoint(path, fresh)
    np.testing.assert_array_equal(fresh(Tensor(x)).asnumpy(), net(Tensor(x)).asnumpy())
