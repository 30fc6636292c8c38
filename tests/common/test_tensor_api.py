"""Tensor, Parameter and Cell API additions (issue 12), and the "not supported" error for names
minispore lacks."""
import os
import subprocess
import sys

import numpy as np
import pytest

import minispore as ms
from minispore import Parameter, Tensor, nn, ops
from minispore.common import dtype as mstype
from minispore.common.initializer import One, Normal

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_tensor_function_and_from_numpy():
    t = ms.tensor([1.0, 2.0], ms.float64)
    assert isinstance(t, Tensor) and t.dtype == mstype.float64
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    shared = Tensor.from_numpy(a)
    a[0, 0] = 42.0
    assert shared.asnumpy()[0, 0] == 42.0  # the memory is shared, as MindSpore's from_numpy
    copied = Tensor.from_numpy(a.T)  # not contiguous: copied
    assert copied.shape == (3, 2) and copied.asnumpy()[0, 0] == 42.0
    with pytest.raises(TypeError, match="from_numpy"):
        Tensor.from_numpy([1, 2])


def test_initializer_tensor_and_init_data():
    t = Tensor(shape=(2, 3), dtype=mstype.float32, init=One())
    data = t.init_data()
    assert data.shape == (2, 3) and data.dtype == mstype.float32
    np.testing.assert_array_equal(data.asnumpy(), np.ones((2, 3)))
    ms.set_seed(1)
    n = Tensor(shape=(1000,), dtype=mstype.float32, init=Normal(0.5)).init_data().asnumpy()
    assert abs(n.std() - 0.5) < 0.05 and abs(n.mean()) < 0.05


def test_operators_and_methods():
    x = np.array([[-1.5, 0.0, 2.5], [3.0, -4.0, 0.5]])
    t = Tensor(x)
    np.testing.assert_allclose((t % 2).asnumpy(), np.mod(x, 2))
    np.testing.assert_allclose((2.0 ** t).asnumpy(), 2.0 ** x)
    assert t.any().asnumpy() and not t.all().asnumpy()
    np.testing.assert_array_equal(t.all(axis=1).asnumpy(), [False, True])  # row 1 has no 0
    assert t.unsqueeze(0).shape == (1, 2, 3)
    np.testing.assert_array_equal(t.clip(-1, 1).asnumpy(), np.clip(x, -1, 1))
    assert t.strides == x.strides == (24, 8)
    assert t.numel() == 6 and t.dim() == 2
    assert t.float().dtype == mstype.float32 and t.int().dtype == mstype.int32
    assert t.long().dtype == mstype.int64 and t.bool().dtype == mstype.bool_


def test_reflected_pow_gradient():
    x = Tensor(np.array([0.5, -1.0, 2.0]))
    g = ops.grad(lambda t: (3.0 ** t).sum())(x)
    np.testing.assert_allclose(g.asnumpy(), np.log(3.0) * 3.0 ** x.asnumpy())


def test_bfloat16_math_uses_values():
    a = Tensor(np.array([1.5, 2.5, -3.0], np.float32), mstype.bfloat16)
    out = a + a * 2
    assert out.dtype == mstype.bfloat16
    np.testing.assert_array_equal(ops.cast(out, mstype.float32).asnumpy(), [4.5, 7.5, -9.0])
    s = a.sum()
    assert s.shape == () and s.dtype == mstype.bfloat16
    assert float(ops.cast(s, mstype.float32).asnumpy()) == 1.0


def test_parameter_requires_grad_is_a_settable_attribute():
    net = nn.Dense(3, 2)
    net.weight.requires_grad = False
    assert net.weight.requires_grad is False
    assert [p.name for p in net.trainable_params()] == ["bias"]
    assert [p.name for p in net.untrainable_params()] == ["weight"]
    opt = nn.Momentum(net.trainable_params(), 0.1, 0.9)
    before = net.weight.asnumpy().copy()
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), opt)
    step(Tensor(np.ones((4, 3), np.float32)), Tensor(np.zeros((4, 2), np.float32)))
    np.testing.assert_array_equal(net.weight.asnumpy(), before)
    with pytest.raises(TypeError, match="requires_grad"):
        net.bias.requires_grad = "yes"
    p = Parameter(Tensor(np.ones(2)), name="p", requires_grad=False)
    assert not p.requires_grad


def test_cell_to_float_casts_float_inputs():
    class Echo(nn.Cell):
        def __init__(self):
            super().__init__()
            self.inner = Inner()

        def construct(self, x, idx):
            return x, idx, self.inner(ops.cast(x, mstype.float64))

    class Inner(nn.Cell):
        def construct(self, x):
            return x

    net = Echo()
    assert net.to_float(mstype.float16) is net
    x, idx, inner = net(Tensor(np.ones(2, np.float32)), Tensor(np.array([1, 2], np.int32)))
    assert x.dtype == mstype.float16 and idx.dtype == mstype.int32
    assert inner.dtype == mstype.float16  # children run in the same precision
    with pytest.raises(ValueError, match="to_float"):
        net.to_float(mstype.int32)


@pytest.mark.parametrize("expr", ["ops.foo_bar", "nn.FooBar", "ms.foo_bar", "ms.Tensor(1).foo_bar",
                                  "ops.reduce_summ"])
def test_missing_names_say_not_supported(expr):
    with pytest.raises(AttributeError, match="'(foo_bar|FooBar|reduce_summ)' is not supported "
                                             "by minispore"):
        eval(expr, {"ops": ops, "nn": nn, "ms": ms})


def test_missing_name_traceback_has_no_did_you_mean():
    """Python's "Did you mean" hint would send the user to a different op (reduce_sum)."""
    code = "import minispore as ms\nfrom minispore import ops\nops.reduce_summ\n"
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert "is not supported by minispore" in out.stderr
    assert "Did you mean" not in out.stderr
    code = "import minispore as ms\nms.Tensor(1).reshap\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert "is not supported by minispore" in out.stderr and "Did you mean" not in out.stderr


def test_existing_names_and_hasattr_still_work():
    assert hasattr(ops, "add") and not hasattr(ops, "foo_bar")
    assert not hasattr(Tensor(1), "foo_bar")
    import copy
    import pickle
    t = Tensor(np.arange(3.0))
    np.testing.assert_array_equal(copy.deepcopy(t).asnumpy(), t.asnumpy())
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(t)).asnumpy(), t.asnumpy())


def test_composite_tensor_methods():
    x = np.array([[1.0, -2.0], [3.0, 4.0]])
    t = Tensor(x)
    np.testing.assert_allclose(t.norm().asnumpy(), np.linalg.norm(x))
    np.testing.assert_allclose(t.std(axis=0).asnumpy(), x.std(0))
    np.testing.assert_allclose(t.add(1).asnumpy(), x + 1)
    np.testing.assert_allclose(t.matmul(t).asnumpy(), x @ x)
    np.testing.assert_allclose(t.pow(2).asnumpy(), x ** 2)
    np.testing.assert_allclose(t.cumsum(0).asnumpy(), np.cumsum(x, 0))


def test_setitem_errors_name_the_op_and_bfloat16_setitem_stores_values():
    t = Tensor(np.zeros((2, 3)))
    t[0] = Tensor(np.ones(3))
    np.testing.assert_array_equal(t.asnumpy(), [[1, 1, 1], [0, 0, 0]])
    with pytest.raises(ValueError, match="Tensor.__setitem__.*\\(4,\\).*\\(2, 3\\)"):
        t[0] = np.ones(4)
    b = Tensor(np.zeros(3, np.float32), mstype.bfloat16)
    b[1] = 2.5
    assert ops.cast(b, mstype.float32).asnumpy().tolist() == [0.0, 2.5, 0.0]
