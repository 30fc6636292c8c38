"""The autograd engine's promises: strict gradient shapes, no silent zeros through
non-differentiable ops, released activations, per-thread recording, untouched Parameters and
the explicit ReLU -> MaxPool backward fusion."""
import gc
import threading
import weakref

import numpy as np
import pytest

from minispore import Parameter, Tensor, nn, ops
from minispore.ops import Function
from minispore.ops import _buffers
from minispore.ops.function import nn_func, pooling_func


class _TransposedGrad(Function):
    """A deliberately wrong primitive: its backward returns dy transposed."""

    def forward(self, a):
        return a.copy()

    def backward(self, dy):
        return (np.ascontiguousarray(dy.T),)


def test_a_wrong_shaped_gradient_raises_naming_the_op():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match=r"_TransposedGrad.backward returned a gradient of "
                                           r"shape \(3, 2\) for an input of shape \(2, 3\)"):
        ops.grad(lambda t: _TransposedGrad.apply(t).sum())(x)


def test_max_and_min_are_differentiable_ties_share_the_gradient():
    x = np.array([[1.0, 5.0, 5.0], [2.0, -1.0, 0.0]])
    g = ops.grad(lambda t: t.max())(Tensor(x)).asnumpy()
    np.testing.assert_array_equal(g, [[0, 0.5, 0.5], [0, 0, 0]])
    g = ops.grad(lambda t: (t.min(axis=1) * Tensor(np.array([3.0, 4.0]))).sum())(Tensor(x))
    np.testing.assert_array_equal(g.asnumpy(), [[3, 0, 0], [0, 4, 0]])


def test_a_gradient_through_a_non_differentiable_op_raises():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    with pytest.raises(RuntimeError, match="'Argmax', which is not differentiable"):
        ops.grad(lambda t: t.argmax(axis=1).astype(np.float64).sum())(x)
    # stop_gradient says it on purpose: zeros, as in MindSpore
    g = ops.grad(lambda t: ops.stop_gradient(t).sum() + (t * 0.0).sum())(x)
    np.testing.assert_array_equal(g.asnumpy(), np.zeros((2, 3)))


def test_unused_weights_get_zeros_as_in_mindspore():
    w_used, w_unused = Parameter(np.ones(3), name="a"), Parameter(np.ones(2), name="b")
    grads = ops.GradOperation(get_by_list=True)(lambda x: (x * w_used).sum(),
                                                [w_used, w_unused])(Tensor(np.arange(3.0)))
    np.testing.assert_array_equal(grads[0].asnumpy(), [0, 1, 2])
    np.testing.assert_array_equal(grads[1].asnumpy(), [0, 0])


def _lenet_step():
    from lenet import LeNet5
    net = LeNet5()
    loss_fn = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), 0.01, 0.9)
    return nn.TrainOneStepCell(nn.WithLossCell(net, loss_fn), opt)


def test_no_activation_outlives_a_train_step(monkeypatch):
    saved = []
    for cls, attr in ((nn_func.Conv2D, "x"), (nn_func.ReLU, "y"), (nn_func.Dense, "x"),
                      (pooling_func.MaxPool2D, "argmax")):
        original = cls.forward

        def forward(self, *a, _original=original, _attr=attr, **k):
            out = _original(self, *a, **k)
            saved.append(weakref.ref(getattr(self, _attr)))
            return out
        monkeypatch.setattr(cls, "forward", forward)
    step = _lenet_step()
    x = Tensor(np.random.default_rng(0).standard_normal((4, 1, 32, 32)).astype(np.float32))
    y = Tensor(np.array([1, 2, 3, 4], np.int32))
    loss = step(x, y)
    _buffers.clear()  # the buffer pool keeps arrays for reuse; nothing else may
    gc.collect()
    assert len(saved) == 11  # 2 conv, 4 relu, 3 dense, 2 pool
    alive = [r for r in saved if r() is not None and r() is not x._data]  # the caller's input
    assert not alive, f"{len(alive)} saved activations are still reachable"
    assert loss._node is None and np.isfinite(float(loss))


def test_recording_is_per_thread_and_parameters_are_not_touched():
    p = Parameter(np.ones(3), name="p", requires_grad=False)
    other = Parameter(np.full(3, 2.0), name="q")
    seen = {}

    def fn(x):
        seen["requires_grad_inside"] = p.requires_grad

        def elsewhere():
            seen["other_thread_node"] = (other * 3.0)._node
        t = threading.Thread(target=elsewhere)
        t.start()
        t.join()
        return (x * p).sum()

    (g,) = ops.GradOperation(get_by_list=True)(fn, [p])(Tensor(np.arange(3.0)))
    np.testing.assert_array_equal(g.asnumpy(), [0, 1, 2])
    assert seen == {"requires_grad_inside": False, "other_thread_node": None}
    assert p.requires_grad is False


def test_relu_max_pool_fusion_is_taken_only_for_a_single_consumer(monkeypatch):
    calls = []
    original = pooling_func.MaxPool2D.route

    def route(self, dy, positive_only):
        calls.append(positive_only)
        return original(self, dy, positive_only)
    monkeypatch.setattr(pooling_func.MaxPool2D, "route", route)
    x = Tensor(np.random.default_rng(1).standard_normal((1, 2, 4, 4)))
    ops.grad(lambda t: ops.max_pool2d(ops.relu(t), 2).sum())(x)
    assert calls == [True]
    calls.clear()
    ops.grad(lambda t: (lambda r: ops.max_pool2d(r, 2).sum() + r.sum())(ops.relu(t)))(x)
    assert calls == [False]
