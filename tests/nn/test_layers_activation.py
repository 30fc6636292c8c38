"""Activation layers GELU, LeakyReLU, ReLU6, ELU, SiLU, PReLU (and the kept Sigmoid, Tanh,
Softmax, LogSoftmax): MindSpore's defaults, forward against naive numpy, gradients against
float64 central differences, and PyTorch's activations."""
import math

import numpy as np
import pytest

from minispore import Tensor, nn, ops
from gradcheck import check_grad

R = np.random.default_rng(31)
_erf = np.vectorize(math.erf)


def naive_gelu(x, tanh):
    if tanh:
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


NAIVE = {  # layer -> (functional form, naive numpy)
    "GELU()": (lambda t: ops.gelu(t, "tanh"), lambda x: naive_gelu(x, True)),
    "GELU(False)": (lambda t: ops.gelu(t), lambda x: naive_gelu(x, False)),
    "LeakyReLU()": (lambda t: ops.leaky_relu(t), lambda x: np.where(x > 0, x, 0.2 * x)),
    "LeakyReLU(0.05)": (lambda t: ops.leaky_relu(t, 0.05), lambda x: np.where(x > 0, x, 0.05 * x)),
    "ReLU6()": (ops.relu6, lambda x: np.minimum(np.maximum(x, 0), 6)),
    "ELU()": (ops.elu, lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    "ELU(0.5)": (lambda t: ops.elu(t, 0.5), lambda x: np.where(x > 0, x, 0.5 * (np.exp(x) - 1))),
    "SiLU()": (ops.silu, lambda x: x * sigmoid(x)),
    "PReLU()": (None, lambda x: np.where(x > 0, x, 0.25 * x)),
    "Sigmoid()": (ops.sigmoid, sigmoid),
    "HSwish()": (ops.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "HSigmoid()": (ops.hardsigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
    "Softplus()": (ops.softplus, lambda x: np.log1p(np.exp(x))),
    "Softplus(2, 4)": (lambda t: ops.softplus(t, 2, 4),
                       lambda x: np.where(2 * x > 4, x, np.log1p(np.exp(2 * x)) / 2)),
    "Mish()": (ops.mish, lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    "Tanh()": (ops.tanh, np.tanh),
}


def _away_from_kinks(shape):
    x = R.uniform(-8, 8, shape)
    for kink in (0.0, 6.0, -3.0, 3.0, 2.0):
        near = np.abs(x - kink) < 1e-3
        x[near] += 0.01
    return x


@pytest.mark.parametrize("layer", list(NAIVE))
def test_layer_forward_matches_naive_numpy(layer):
    x = _away_from_kinks((3, 4, 5)).astype(np.float32)
    y = eval(f"nn.{layer}")(Tensor(x)).asnumpy()
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, NAIVE[layer][1](x.astype(np.float64)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layer", [k for k, v in NAIVE.items() if v[0] is not None])
def test_gradient_matches_central_differences(layer):
    x = _away_from_kinks((2, 7))
    check_grad(NAIVE[layer][0], [x], name=layer)



@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_float32_kernel_over_chunks_and_the_tail(approximate):
    """The vectorised float32 GELU against float64 references on 40,003 points from -12.5 to
    12.5 (several parallel chunks, a partial block): relative error under 1e-6 wherever the
    value is a normal float32, the far negative tail included (erfc, not 1 + erf, and
    e / (1 + e), not 1 + tanh: the cancelling forms give 0 or 100 % errors there, in float64
    too); the gradient to float32 precision; NaN propagates, +inf stays."""
    x = np.linspace(-12.5, 12.5, 40003).astype(np.float32)
    x64 = x.astype(np.float64)
    if approximate == "tanh":  # 0.5 (1 + tanh u) = e / (1 + e), e = exp(2u): no cancellation
        e = np.exp(2 * math.sqrt(2 / math.pi) * (x64 + 0.044715 * x64 ** 3))
        cdf = e / (1 + e)
        want, dcdf = x64 * cdf, 2 * e / (1 + e) ** 2 * math.sqrt(2 / math.pi) * \
            (1 + 3 * 0.044715 * x64 ** 2)
    else:
        cdf = 0.5 * np.vectorize(math.erfc)(-x64 / math.sqrt(2))
        want, dcdf = x64 * cdf, np.exp(-0.5 * x64 ** 2) / math.sqrt(2 * math.pi)
    got = ops.gelu(Tensor(x), approximate).asnumpy().astype(np.float64)
    normal = np.abs(want) > np.finfo(np.float32).tiny
    if approximate == "none":
        assert normal.all()  # down to -12.5 the exact GELU is a normal float32: all checked
    np.testing.assert_allclose(got[normal], want[normal], rtol=1e-6)
    dy = np.ones_like(x)
    dx = ops.GradOperation(sens_param=True)(lambda t: ops.gelu(t, approximate))(Tensor(x),
                                                                                Tensor(dy))
    np.testing.assert_allclose(dx.asnumpy(), cdf + x64 * dcdf, rtol=2e-6, atol=1e-7)
    special = ops.gelu(Tensor(np.array([np.nan, np.inf, 0.0], np.float32)), approximate).asnumpy()
    assert np.isnan(special[0]) and special[1] == np.inf and special[2] == 0.0

def test_prelu_parameter_defaults_and_gradients():
    layer = nn.PReLU()
    assert [(p.name, p.shape) for p in layer.get_parameters()] == [("a", (1,))]
    np.testing.assert_array_equal(layer.w.asnumpy(), [0.25])
    per_channel = nn.PReLU(channel=3, w=[0.1, 0.2, 0.3])
    x = _away_from_kinks((2, 3, 4))
    y = per_channel(Tensor(x.astype(np.float32))).asnumpy()
    np.testing.assert_allclose(y, np.where(x > 0, x, x * np.array([0.1, 0.2, 0.3])[:, None]),
                               rtol=1e-6)
    check_grad(ops.prelu, [x, np.array([0.1, -0.2, 0.3])], name="prelu per channel")
    check_grad(ops.prelu, [x, np.array([0.4])], name="prelu shared")
    with pytest.raises(ValueError, match=r"For 'prelu', 'weight' must have shape \(1,\) or \(3,\)"):
        ops.prelu(Tensor(x), Tensor(np.ones(2)))
    with pytest.raises(ValueError, match=r"'w' must have shape \(3,\)"):
        nn.PReLU(3, [0.1, 0.2])


def test_mindspore_defaults_and_names():
    assert nn.GELU().approximate is True
    assert nn.LeakyReLU().alpha == 0.2 and nn.ELU().alpha == 1.0
    assert type(nn.Dense(2, 3, activation="gelu").activation) is nn.GELU
    assert type(nn.get_activation("leakyrelu")) is nn.LeakyReLU
    with pytest.raises(ValueError, match="not supported by minispore"):
        nn.get_activation("swishy")
    with pytest.raises(ValueError, match=r"'approximate' must be 'none' or 'tanh'"):
        ops.gelu(Tensor(np.ones(2, np.float32)), "fast")
    with pytest.raises(TypeError, match="Float32 or Float64"):
        ops.silu(Tensor(np.ones(2, np.int32)))
    x = Tensor(np.array([[1.0, 2.0, 3.0]], np.float32))
    np.testing.assert_allclose(nn.Softmax()(x).asnumpy().sum(), 1, rtol=1e-6)
    np.testing.assert_allclose(np.exp(nn.LogSoftmax()(x).asnumpy()), nn.Softmax()(x).asnumpy(),
                               rtol=1e-6)


def test_activations_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = _away_from_kinks((4, 3, 5)).astype(np.float32)
    dy = R.standard_normal(x.shape).astype(np.float32)
    w = np.array([0.1, -0.3, 0.2], np.float32)
    pairs = [
        (lambda t: ops.gelu(t), lambda t: F.gelu(t)),
        (lambda t: ops.gelu(t, "tanh"), lambda t: F.gelu(t, approximate="tanh")),
        (lambda t: ops.leaky_relu(t, 0.2), lambda t: F.leaky_relu(t, 0.2)),
        (ops.relu6, F.relu6), (lambda t: ops.elu(t, 0.7), lambda t: F.elu(t, 0.7)),
        (ops.silu, F.silu), (ops.hardswish, F.hardswish), (ops.hardsigmoid, F.hardsigmoid),
        (lambda t: ops.softplus(t, 2, 4), lambda t: F.softplus(t, 2, 4)), (ops.mish, F.mish),
        (lambda t: ops.prelu(t, Tensor(w)), lambda t: F.prelu(t, torch.from_numpy(w))),
    ]
    for ours, theirs in pairs:
        tx = torch.tensor(x, requires_grad=True)
        ty = theirs(tx)
        ty.backward(torch.from_numpy(dy))
        np.testing.assert_allclose(ours(Tensor(x)).asnumpy(), ty.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
        dx = ops.GradOperation(sens_param=True)(ours)(Tensor(x), Tensor(dy))
        np.testing.assert_allclose(dx.asnumpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    tw = torch.tensor(w, requires_grad=True)
    F.prelu(torch.from_numpy(x), tw).backward(torch.from_numpy(dy))
    dw = ops.GradOperation(sens_param=True, get_all=True)(ops.prelu)(Tensor(x), Tensor(w),
                                                                     Tensor(dy))[1]
    np.testing.assert_allclose(dw.asnumpy(), tw.grad.numpy(), rtol=1e-5, atol=1e-5)
