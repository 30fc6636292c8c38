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


@pytest.mark.parametrize("batch", [6, 27])
def test_graph_mode_inference_equals_pynative(graph_mode, batch):
    """Bit-equal outputs; at batch 27 fc1 runs on the numba dense kernel and the plan pools
    without argmax."""
    ms.set_seed(0)
    net = LeNet5()
    x, _ = _batch(batch)
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


@pytest.mark.parametrize("batch", [8, 26])
def test_graph_mode_lenet_train_equals_pynative(tmp_path, batch):
    """20 steps of LeNet + Momentum: GRAPH_MODE losses and weights equal PyNative's exactly
    (tolerance 0: the plan calls the same kernels on the same values in the same order), and
    the two checkpoints are byte-identical. At batch 26 fc1 runs on the numba dense kernel
    (a plan's preallocated form of it), at batch 8 on BLAS."""
    from minispore.ops._dense import uses_kernel
    f32 = np.dtype(np.float32)
    assert uses_kernel((batch, 400), (120, 400), f32, f32) == (batch == 26)
    batches = [_batch(batch, seed=s % 4) for s in range(20)]
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


class _Mixed(nn.Cell):
    """Planned and generic primitives together: a padded conv with bias, a 64-channel 3x3
    conv (im2col + GEMM path, generic steps), tanh (generic), a Dense used twice (its
    gradients add up) and a residual add."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 3, pad_mode="pad", padding=1, has_bias=True)
        self.conv2 = nn.Conv2d(64, 4, 3, pad_mode="same")
        self.pool = nn.MaxPool2d(2, 2)
        self.flatten = nn.Flatten()
        self.shared = nn.Dense(64, 64)
        self.head = nn.Dense(64, 5)

    def construct(self, x):
        x = self.pool(ops.relu(self.conv1(x)))
        x = self.flatten(ops.tanh(self.conv2(x)))
        h = ops.relu(self.shared(x))
        return self.head(self.shared(h) + x)


def _mixed_train(seed=5):
    ms.set_seed(seed)
    net = _Mixed()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.05, momentum=0.9)
    train = nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)
    train.set_train()
    return train


def test_graph_mode_mixed_network_equals_pynative(graph_mode):
    rng = np.random.default_rng(7)
    batches = [(Tensor(rng.standard_normal((3, 1, 8, 8)).astype(np.float32)),
                Tensor(rng.integers(0, 5, 3).astype(np.int32))) for _ in range(6)]
    ms.set_context(mode=ms.PYNATIVE_MODE)
    eager = _mixed_train()
    want = _train_steps(eager, batches)
    ms.set_context(mode=ms.GRAPH_MODE)
    graph = _mixed_train()
    got = _train_steps(graph, batches)
    assert len(graph._jit_state.plans) == 1
    assert got == want
    for p, q in zip(eager.get_parameters(), graph.get_parameters()):
        np.testing.assert_array_equal(p.asnumpy(), q.asnumpy(), err_msg=p.name)


def test_new_shape_traces_again(graph_mode):
    ms.set_seed(0)
    net = LeNet5()
    xs = [_batch(b, seed=b)[0] for b in (4, 6, 4, 6)]
    ms.set_context(mode=ms.PYNATIVE_MODE)
    want = [net(x).asnumpy().copy() for x in xs]
    ms.set_context(mode=ms.GRAPH_MODE)
    got = [net(x).asnumpy().copy() for x in xs]
    assert len(net._jit_state.plans) == 2
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)

    calls = []

    @ms.jit
    def f(x):
        calls.append(1)  # Python runs only while tracing
        return ops.relu(x) + 1

    for shape in ((2, 3), (2, 3), (4, 3), (2, 3), (4, 3)):
        x = Tensor(np.random.default_rng(len(calls)).standard_normal(shape).astype(np.float32))
        np.testing.assert_array_equal(f(x).asnumpy(), np.maximum(x.asnumpy(), 0) + 1)
    assert len(calls) == 2


def test_data_dependent_control_flow_falls_back_with_one_warning():
    @ms.jit
    def f(x):
        if x.sum() > 0:
            return x * 2
        return x - 1

    xs = [Tensor(np.array([1.0, 2.0], np.float32)), Tensor(np.array([-3.0, 1.0], np.float32))]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outs = [f(x).asnumpy().tolist() for x in xs + xs]
    assert outs == [[2.0, 4.0], [-4.0, 0.0], [2.0, 4.0], [-4.0, 0.0]]
    msgs = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(msgs) == 1, msgs
    assert "PyNative" in msgs[0] and "bool" in msgs[0] and "f" in msgs[0]

    @ms.jit(fullgraph=True)
    def g(x):
        return x * 2 if float(x.sum()) > 0 else x

    with pytest.raises(RuntimeError, match="fullgraph"):
        g(xs[0])


def test_gradient_inside_jit_falls_back_and_jit_inside_gradient_stays_exact():
    w = ms.Parameter(Tensor(np.array([1.5, -2.0], np.float32)), name="w")

    def loss_fn(x):
        return (ops.relu(x * w) ** 2).sum()

    step = ms.jit(lambda x: ms.value_and_grad(loss_fn, None, w)(x))
    x = Tensor(np.array([2.0, -1.0], np.float32))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loss, g = step(x)
        loss2, g2 = step(x)
    assert float(loss.asnumpy()) == float(loss2.asnumpy()) == 9.0 + 4.0
    np.testing.assert_array_equal(g.asnumpy(), [12.0, -4.0])  # 2*relu(x*w)*x
    assert any("gradients" in str(c.message) for c in caught)

    jitted = ms.jit(loss_fn)
    jitted(x)  # planned
    value, grad = ms.value_and_grad(jitted, None, w)(x)
    assert float(value.asnumpy()) == 13.0
    np.testing.assert_array_equal(grad.asnumpy(), [12.0, -4.0])


def test_loaded_parameters_rebuild_the_plan(graph_mode, tmp_path):
    batches = [_batch(4, seed=s) for s in range(6)]
    ms.set_context(mode=ms.PYNATIVE_MODE)
    net_e, eager = _train_net(seed=1)
    donor, _ = _train_net(seed=9)
    ms.save_checkpoint(donor, str(tmp_path / "donor.ckpt"))
    want = _train_steps(eager, batches[:3])
    ms.load_param_into_net(net_e, ms.load_checkpoint(str(tmp_path / "donor.ckpt")))
    want += _train_steps(eager, batches[3:])
    ms.set_context(mode=ms.GRAPH_MODE)
    net_g, graph = _train_net(seed=1)
    got = _train_steps(graph, batches[:3])
    ms.load_param_into_net(net_g, ms.load_checkpoint(str(tmp_path / "donor.ckpt")))
    got += _train_steps(graph, batches[3:])
    assert got == want


def test_replayed_train_step_allocates_no_large_array(graph_mode):
    """tracemalloc sees numpy's (and numba's) buffers. In a replayed GRAPH_MODE step no kernel
    step of the plan allocates more than 1 kB at its peak (so no allocation > 1 kB happens),
    and the whole call stays under 4 kB (the returned loss, small Python objects); a PyNative
    step peaks at hundreds of kB, which shows the measurement sees the arrays. Batch 24 puts
    fc1 on the numba dense kernel, whose scratch the plan allocates once."""
    import tracemalloc
    from minispore.ops._dense import uses_kernel
    x, y = _batch(24)
    f32 = np.dtype(np.float32)
    assert uses_kernel((24, 400), (120, 400), f32, f32)

    def peak_of(fn):
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1] - before

    _, graph = _train_net()
    graph(x, y)  # traces
    graph(x, y)  # first replay
    (entry,) = graph._jit_state.plans.values()
    plan = entry.plan
    steps = plan.forward_steps + plan.backward_steps + [entry.update]
    ms.set_context(mode=ms.PYNATIVE_MODE)
    _, eager = _train_net()
    eager(x, y)
    tracemalloc.start()
    try:
        per_step = {f"{i}: {getattr(s, '__qualname__', s)}": peak_of(s)
                    for i, s in enumerate(steps)}
        ms.set_context(mode=ms.GRAPH_MODE)
        whole = peak_of(lambda: graph(x, y))
        ms.set_context(mode=ms.PYNATIVE_MODE)
        eager_peak = peak_of(lambda: eager(x, y))
    finally:
        tracemalloc.stop()
    assert eager_peak > 100_000, eager_peak
    assert len(steps) > 20
    large = {k: v for k, v in per_step.items() if v > 1024}
    assert not large, large
    assert whole < 4096, whole


def test_fused_bias_relu_pool_kernel_equals_the_three_kernels():
    """The plan's one-pass bias + ReLU + 2x2 max pool against bias add, relu_fwd and the
    general max_pool2d_fwd (separate loops): same values and argmax, with ties (zeros after
    ReLU, repeated values), NaN and odd sizes."""
    from minispore.kernels import activation, pool
    rng = np.random.default_rng(3)
    for shape in ((2, 3, 6, 8), (1, 2, 5, 7)):
        x = rng.standard_normal(shape).astype(np.float32)
        x[0, 0, 0, :4] = 0.5  # ties
        x[0, 1, 2, 3] = np.nan
        b = rng.standard_normal(shape[1]).astype(np.float32)
        for has_bias in (True, False):
            pre = x + b.reshape(1, -1, 1, 1) if has_bias else x.copy()
            r = np.empty_like(pre)
            activation.relu_fwd(r.reshape(-1), pre.reshape(-1))
            oh, ow = shape[2] // 2, shape[3] // 2
            want_y, want_a = np.empty((shape[0], shape[1], oh, ow), np.float32), \
                np.empty((shape[0], shape[1], oh, ow), np.int32)
            pool.max_pool2d_fwd(want_y, want_a, r, 2, 2, 2, 2, 0, 0)
            y, a = np.empty_like(want_y), np.empty_like(want_a)
            pool.bias_relu_max_pool2d_fwd_2x2(y, a, x, b, has_bias)
            np.testing.assert_array_equal(y, want_y)
            np.testing.assert_array_equal(a, want_a)



def test_inference_pool_values_equal_the_argmax_kernel():
    """Inference plans pool without argmax (max first, then bias and ReLU): bit-equal values to
    the argmax kernel, including NaN (which NaN wins), +-inf, inf - inf from the bias, a NaN or
    infinite bias, -0.0, ties and odd sizes."""
    from minispore.kernels import pool
    rng = np.random.default_rng(5)
    specials = np.array([np.nan, -np.nan, np.inf, -np.inf, -0.0, 0.0, 1e38, -1e38], np.float32)
    for shape in ((3, 5, 8, 10), (2, 4, 7, 9)):
        x = rng.standard_normal(shape).astype(np.float32)
        mask = rng.random(shape) < 0.08
        x[mask] = rng.choice(specials, mask.sum())
        x[0, 0, :2, :4] = 0.25  # ties
        for b in (rng.standard_normal(shape[1]).astype(np.float32),
                  np.array([np.inf, -np.inf, np.nan, 0.0, -0.0][:shape[1]]
                           + [1.0] * (shape[1] - 5), np.float32)):
            for has_bias in (True, False):
                oh, ow = shape[2] // 2, shape[3] // 2
                want = np.empty((shape[0], shape[1], oh, ow), np.float32)
                pool.bias_relu_max_pool2d_fwd_2x2(want, np.empty(want.shape, np.int32), x, b,
                                                  has_bias)
                got = np.full_like(want, 7.0)
                pool.bias_relu_max_pool2d_2x2_values(got, x, b, has_bias)
                np.testing.assert_array_equal(got.view(np.int32), want.view(np.int32))


def test_lenet_plan_fuses_relu_and_pool():
    """LeNet's ReLU -> MaxPool pairs run as one kernel each: 2 steps fewer than primitives
    minus the (view-only) reshape."""
    _, train = _train_net()
    x, y = _batch(4)
    ms.set_context(mode=ms.GRAPH_MODE)
    try:
        train(x, y)
    finally:
        ms.set_context(mode=ms.PYNATIVE_MODE)
    (entry,) = train._jit_state.plans.values()
    names = [r.cls.__name__ for r in entry.plan.records]
    fused = [r for r in entry.plan.records if "fused_into" in r.extra]
    assert [r.cls.__name__ for r in fused] == ["ReLU", "ReLU"]
    assert names.count("MaxPool2D") == 2


def test_side_effects_keep_the_function_in_pynative():
    """An optimizer step or an in-place assignment inside a jitted function is not replayed
    by a plan, so the function stays in PyNative (one warning) and keeps doing it."""
    w = ms.Parameter(Tensor(np.array([1.0, 2.0], np.float32)), name="w")
    opt = nn.Momentum([w], learning_rate=0.5, momentum=0.0)

    @ms.jit
    def update(g):
        opt((g,))
        return w * 1

    g = Tensor(np.array([1.0, -1.0], np.float32))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            update(g)
    np.testing.assert_array_equal(w.asnumpy(), [1.0 - 1.5, 2.0 + 1.5])
    assert sum("optimizer" in str(c.message) for c in caught) == 1

    buf = Tensor(np.zeros(2, np.float32))

    @ms.jit
    def write(x):
        buf[0] = 7.0
        return x + buf

    with pytest.warns(RuntimeWarning, match="in place"):
        write(g)
    buf[0] = 0.0
    np.testing.assert_array_equal(write(g).asnumpy(), [8.0, -1.0])


def test_train_cell_with_its_own_construct_runs_in_pynative(graph_mode):
    class Clipped(nn.TrainOneStepCell):
        def construct(self, *inputs):
            loss, grads = self.grad_fn(*inputs)
            self.optimizer(tuple(ops.minimum(ops.maximum(g, -1e-3), 1e-3) for g in grads))
            return loss

    ms.set_seed(3)
    net = LeNet5()
    loss_fn = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    train = Clipped(nn.WithLossCell(net, loss_fn),
                    nn.Momentum(net.trainable_params(), learning_rate=0.05, momentum=0.9))
    x, y = _batch(4)
    before = net.fc3.bias.asnumpy().copy()
    with pytest.warns(RuntimeWarning, match="construct"):
        train(x, y)
    train(x, y)
    step = np.abs(net.fc3.bias.asnumpy() - before).max()
    assert 0 < step <= 0.05 * 1e-3 * (1 + 1.9) + 1e-9  # two clipped momentum steps
