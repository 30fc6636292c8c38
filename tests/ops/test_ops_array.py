"""Shape, joining, indexing, selection and sorting ops (issue 12): forward against numpy,
backward against float64 central differences, and against PyTorch where it has the same op."""
import numpy as np
import pytest

from minispore import Tensor, ops
from minispore.common import dtype as mstype
from gradcheck import check_grad

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

R = np.random.default_rng(12)


def randn(*shape):
    return R.standard_normal(shape)


def T(a):
    return Tensor(np.asarray(a))


# ---- forward against numpy -------------------------------------------------------------------
def test_stack_split_cat_forward():
    a, b = randn(2, 3), randn(2, 3)
    np.testing.assert_array_equal(ops.stack([T(a), T(b)], axis=1).asnumpy(), np.stack([a, b], 1))
    np.testing.assert_array_equal(ops.cat((T(a), T(b)), 0).asnumpy(), np.concatenate([a, b]))
    parts = ops.split(T(randn(7, 2)), 3)
    assert [p.shape for p in parts] == [(3, 2), (3, 2), (1, 2)]
    x = randn(2, 6)
    parts = ops.split(T(x), [1, 5], axis=1)
    np.testing.assert_array_equal(parts[1].asnumpy(), x[:, 1:])
    outs = ops.Split(axis=1, output_num=3)(T(x))
    assert len(outs) == 3 and outs[2].shape == (2, 2)


def test_shape_ops_forward():
    x = randn(2, 1, 3)
    assert ops.unsqueeze(T(x), 0).shape == (1, 2, 1, 3)
    assert ops.expand_dims(T(x), -1).shape == (2, 1, 3, 1)
    assert ops.squeeze(T(x)).shape == (2, 3)
    assert ops.Squeeze(1)(T(x)).shape == (2, 3)
    assert ops.ExpandDims()(T(x), 1).shape == (2, 1, 1, 3)
    assert T(x).unsqueeze(1).shape == (2, 1, 1, 3)
    assert ops.Shape()(T(x)) == (2, 1, 3) and ops.shape(T(x)) == (2, 1, 3)
    np.testing.assert_array_equal(ops.tile(T(x), (2, 1, 1, 2)).asnumpy(),
                                  np.tile(x, (2, 1, 1, 2)))
    np.testing.assert_array_equal(ops.Tile()(T(x), (1, 3, 1)).asnumpy(), np.tile(x, (1, 3, 1)))
    np.testing.assert_array_equal(ops.broadcast_to(T(x), (4, 2, 5, -1)).asnumpy(),
                                  np.broadcast_to(x, (4, 2, 5, 3)))
    np.testing.assert_array_equal(ops.permute(T(x), (2, 0, 1)).asnumpy(), x.transpose(2, 0, 1))


def test_squeeze_of_a_non_unit_axis_names_the_op():
    with pytest.raises(ValueError, match="squeeze"):
        ops.squeeze(T(randn(2, 3)), 0)
    with pytest.raises(ValueError, match="broadcast_to"):
        ops.broadcast_to(T(randn(2, 3)), (4, 3, 2))


def test_creation_ops():
    assert ops.zeros((2, 3)).dtype == mstype.float32
    assert ops.Ones()((2, 2), mstype.int32).dtype == mstype.int32
    np.testing.assert_array_equal(ops.Zeros()(3, mstype.float32).asnumpy(), np.zeros(3))
    x = T(np.arange(6, dtype=np.int32).reshape(2, 3))
    assert ops.OnesLike()(x).dtype == mstype.int32 and ops.ZerosLike()(x).asnumpy().sum() == 0
    f = ops.full((2, 2), 7)
    assert f.dtype == mstype.int64 and (f.asnumpy() == 7).all()
    assert ops.full((2,), 0.5).dtype == mstype.float32
    assert ops.full_like(x, 3).dtype == mstype.int32
    a = ops.arange(5)
    assert a.dtype == mstype.int64 and a.asnumpy().tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(ops.arange(0, 1, 0.25).asnumpy(), [0, 0.25, 0.5, 0.75])
    assert ops.arange(0, 1, 0.25).dtype == mstype.float32
    np.testing.assert_allclose(ops.linspace(0, 1, 5).asnumpy(), np.linspace(0, 1, 5))
    with pytest.raises(ValueError, match="arange"):
        ops.arange(0, 5, -1)


def test_where_and_select():
    c = R.standard_normal((3, 4)) > 0
    x, y = randn(3, 4), randn(4)
    np.testing.assert_array_equal(ops.where(T(c), T(x), T(y)).asnumpy(), np.where(c, x, y))
    np.testing.assert_array_equal(ops.where(T(c), T(x), 0.0).asnumpy(), np.where(c, x, 0))
    np.testing.assert_array_equal(ops.Select()(T(c), T(x), T(x * 2)).asnumpy(),
                                  np.where(c, x, 2 * x))
    with pytest.raises(TypeError, match="where"):
        ops.where(T(x), T(x), T(x))


def test_gather_forward_and_range_check():
    x = randn(4, 5, 3)
    idx = np.array([[0, 4], [2, 2]])
    np.testing.assert_array_equal(ops.gather(T(x), T(idx), 1).asnumpy(), np.take(x, idx, 1))
    np.testing.assert_array_equal(ops.Gather()(T(x), T(np.array([3, 0])), 0).asnumpy(),
                                  x[[3, 0]])
    with pytest.raises(IndexError, match="gather"):
        ops.gather(T(x), T(np.array([5])), 1)
    i2 = R.integers(0, 5, (4, 2, 3))
    np.testing.assert_array_equal(ops.gather_elements(T(x), 1, T(i2)).asnumpy(),
                                  np.take_along_axis(x[:, :, :], i2, 1))


def test_one_hot():
    idx = np.array([[0, 2], [1, 3]])
    out = ops.one_hot(T(idx), 3)
    assert out.dtype == mstype.int64
    expected = np.zeros((2, 2, 3), np.int64)
    expected[0, 0, 0] = expected[0, 1, 2] = expected[1, 0, 1] = 1  # index 3 >= depth: all off
    np.testing.assert_array_equal(out.asnumpy(), expected)
    on, off = Tensor(1.0, mstype.float32), Tensor(0.0, mstype.float32)
    prim = ops.OneHot(axis=0)(T(np.array([0, 2], np.int32)), 3, on, off)
    assert prim.dtype == mstype.float32
    np.testing.assert_array_equal(prim.asnumpy(), np.eye(3)[[0, 2]].T)


def test_max_min_with_indices():
    x = randn(3, 5)
    v, i = ops.max(T(x), axis=1)
    np.testing.assert_array_equal(v.asnumpy(), x.max(1))
    np.testing.assert_array_equal(i.asnumpy(), x.argmax(1))
    assert i.dtype == mstype.int32
    v, i = ops.min(T(x), 0, keepdims=True)
    assert v.shape == (1, 5)
    np.testing.assert_array_equal(i.asnumpy()[0], x.argmin(0))
    v, i = ops.max(T(x))
    assert v.asnumpy() == x.max() and i.asnumpy() == 0  # MindSpore: index 0 when axis is None
    v, _ = ops.max(T(x), 1, initial=10.0)
    assert (v.asnumpy() == 10).all()
    idx, v = ops.ArgMaxWithValue(axis=1)(T(x))
    np.testing.assert_array_equal(idx.asnumpy(), x.argmax(1))


def test_argmax_argmin():
    x = randn(3, 5)
    assert ops.argmax(T(x), dim=1).asnumpy().tolist() == x.argmax(1).tolist()
    assert ops.argmax(T(x)).asnumpy() == x.argmax()
    assert ops.argmin(T(x), axis=0, keepdims=True).shape == (1, 5)
    assert ops.Argmax()(T(x)).dtype == mstype.int32
    assert ops.Argmax(axis=0, output_type=mstype.int64)(T(x)).dtype == mstype.int64
    assert T(x).argmin(1).asnumpy().tolist() == x.argmin(1).tolist()


def test_sort_and_topk():
    x = np.array([[3.0, 1.0, 2.0, 1.0], [0.5, -1.0, 4.0, 4.0]])
    v, i = ops.sort(T(x))
    np.testing.assert_array_equal(v.asnumpy(), np.sort(x, 1))
    np.testing.assert_array_equal(i.asnumpy(), np.argsort(x, 1, kind="stable"))
    v, i = ops.sort(T(x), descending=True)
    np.testing.assert_array_equal(v.asnumpy(), -np.sort(-x, 1))
    assert i.dtype == mstype.int32
    v, i = ops.topk(T(x), 2)
    np.testing.assert_array_equal(v.asnumpy(), [[3.0, 2.0], [4.0, 4.0]])
    v, i = ops.topk(T(x), 1, dim=0, largest=False)
    np.testing.assert_array_equal(v.asnumpy(), x.min(0, keepdims=True))
    with pytest.raises(ValueError, match="topk"):
        ops.topk(T(x), 5)


def test_any_all():
    x = np.array([[0, 1], [0, 0]])
    assert ops.any(T(x)).asnumpy() and not ops.all(T(x)).asnumpy()
    np.testing.assert_array_equal(T(x).any(1).asnumpy(), [True, False])
    np.testing.assert_array_equal(ops.ReduceAll(keep_dims=True)(T(x), 0).asnumpy(),
                                  [[False, False]])


# ---- backward against float64 central differences ---------------------------------------------
@pytest.mark.parametrize("name,fn,shapes", [
    ("stack", lambda a, b: ops.stack([a, b], 1), [(2, 3), (2, 3)]),
    ("split", lambda a: ops.split(a, [1, 3], 1)[1] * 2, [(2, 4)]),
    ("tile", lambda a: ops.tile(a, (2, 1, 3)), [(2, 3)]),
    ("broadcast_to", lambda a: ops.broadcast_to(a, (4, 2, 3)), [(2, 1)]),
    ("where", lambda a, b: ops.where(T(np.array([[True, False, True]])), a, b), [(2, 3), (3,)]),
    ("gather", lambda a: ops.gather(a, T(np.array([[0, 2], [2, 2]])), 1), [(3, 4)]),
    ("gather_elements", lambda a: ops.gather_elements(a, 1, T(np.array([[0, 0], [2, 1]]))),
     [(2, 3)]),
    ("max", lambda a: ops.max(a, 1)[0], [(3, 4)]),
    ("min keepdims", lambda a: ops.min(a, 0, True)[0], [(3, 4)]),
    ("max all", lambda a: ops.max(a)[0], [(3, 4)]),
    ("sort", lambda a: ops.sort(a, 0, True)[0], [(4, 3)]),
    ("topk", lambda a: ops.topk(a, 2)[0], [(3, 5)]),
    ("squeeze", lambda a: ops.squeeze(a), [(2, 1, 3)]),
    ("unsqueeze", lambda a: ops.unsqueeze(a, 1), [(2, 3)]),
])
def test_gradients_match_finite_differences(name, fn, shapes):
    check_grad(fn, [randn(*s) for s in shapes], name=name)


def test_index_outputs_are_not_differentiable():
    with pytest.raises(RuntimeError, match="not differentiable"):
        ops.grad(lambda t: ops.cast(ops.argmin(t, 0), mstype.float64).sum())(T(randn(3, 2)))
    with pytest.raises(RuntimeError, match="not differentiable"):
        ops.grad(lambda t: ops.sign(t).sum())(T(randn(3, 2)))


# ---- against PyTorch --------------------------------------------------------------------------
@needs_torch
def test_against_torch():
    x = randn(4, 6)
    tx = torch.tensor(x)
    v, i = ops.topk(T(x), 3, dim=1)
    tv, ti = torch.topk(tx, 3, dim=1)
    np.testing.assert_array_equal(v.asnumpy(), tv.numpy())
    np.testing.assert_array_equal(i.asnumpy(), ti.numpy())
    v, i = ops.sort(T(x), axis=0)
    tv, ti = torch.sort(tx, dim=0, stable=True)
    np.testing.assert_array_equal(i.asnumpy(), ti.numpy())
    idx = np.array([[0, 3], [5, 1], [2, 2], [4, 0]])
    np.testing.assert_array_equal(ops.gather_elements(T(x), 1, T(idx)).asnumpy(),
                                  torch.gather(tx, 1, torch.tensor(idx)).numpy())
    tx.requires_grad_(True)
    torch.gather(tx, 1, torch.tensor(idx)).pow(2).sum().backward()
    g = ops.grad(lambda t: (ops.gather_elements(t, 1, T(idx)) ** 2).sum())(T(x))
    np.testing.assert_allclose(g.asnumpy(), tx.grad.numpy())
    np.testing.assert_array_equal(ops.one_hot(T(idx), 6).asnumpy(),
                                  torch.nn.functional.one_hot(torch.tensor(idx), 6).numpy())


def test_flatten_masked_fill_cumsum_flip_and_small_helpers():
    x = randn(2, 3, 4)
    assert ops.flatten(T(x)).shape == (2, 12)
    assert ops.flatten(T(x), start_dim=0, end_dim=1).shape == (6, 4)
    assert T(x).flatten().shape == (24,)  # Tensor.flatten starts at dim 0, as MindSpore's
    np.testing.assert_array_equal(T(x).permute(2, 0, 1).asnumpy(), x.transpose(2, 0, 1))
    m = x > 0
    np.testing.assert_array_equal(ops.masked_fill(T(x), T(m), 0.0).asnumpy(), np.where(m, 0, x))
    np.testing.assert_array_equal(T(x).masked_fill(T(m[0, 0]), -1.0).asnumpy(),
                                  np.where(m[0, 0], -1, x))
    np.testing.assert_allclose(ops.cumsum(T(x), 1).asnumpy(), np.cumsum(x, 1))
    np.testing.assert_allclose(ops.CumSum()(T(x), 2).asnumpy(), np.cumsum(x, 2))
    np.testing.assert_array_equal(ops.flip(T(x), (0, 2)).asnumpy(), x[::-1, :, ::-1])
    assert ops.Rank()(T(x)) == 3 and ops.Size()(T(x)) == 24 and ops.numel(T(x)) == 24
    f = ops.Fill()(mstype.int32, (2, 2), 5)
    assert f.dtype == mstype.int32 and (f.asnumpy() == 5).all()
    n = ops.L2Normalize(axis=-1)(T(x)).asnumpy()
    np.testing.assert_allclose(n, x / np.sqrt(np.maximum((x ** 2).sum(-1, keepdims=True), 1e-4)))


@pytest.mark.parametrize("name,fn", [
    ("cumsum", lambda a: ops.cumsum(a, 1)),
    ("flip", lambda a: ops.flip(a, (1,))),
    ("masked_fill", lambda a: ops.masked_fill(a, T(np.array([True, False, True, False])), 0.5)),
    ("l2_normalize", lambda a: ops.L2Normalize(axis=1)(a)),
    ("flatten", lambda a: ops.flatten(a, start_dim=0)),
])
def test_more_gradients_match_finite_differences(name, fn):
    check_grad(fn, [randn(3, 4)], name=name)


def test_triangles_eye_chunk_unbind_narrow_roll():
    x = randn(3, 4)
    np.testing.assert_array_equal(ops.tril(T(x)).asnumpy(), np.tril(x))
    np.testing.assert_array_equal(ops.Triu(diagonal=1)(T(x)).asnumpy(), np.triu(x, 1))
    e = ops.eye(2, 3, mstype.int32)
    assert e.dtype == mstype.int32 and e.asnumpy().tolist() == [[1, 0, 0], [0, 1, 0]]
    assert [c.shape for c in ops.chunk(T(randn(7, 2)), 3)] == [(3, 2), (3, 2), (1, 2)]
    parts = ops.unbind(T(x), 1)
    assert len(parts) == 4 and parts[2].shape == (3,)
    np.testing.assert_array_equal(parts[2].asnumpy(), x[:, 2])
    np.testing.assert_array_equal(ops.narrow(T(x), 1, 1, 2).asnumpy(), x[:, 1:3])
    with pytest.raises(ValueError, match="narrow"):
        ops.narrow(T(x), 1, 3, 2)
    np.testing.assert_array_equal(ops.roll(T(x), (1, -1), (0, 1)).asnumpy(),
                                  np.roll(x, (1, -1), (0, 1)))


@pytest.mark.parametrize("name,fn", [
    ("tril", lambda a: ops.tril(a, -1)),
    ("triu", lambda a: ops.triu(a)),
    ("unbind", lambda a: ops.unbind(a, 1)[1]),
    ("narrow", lambda a: ops.narrow(a, 0, 1, 2)),
    ("roll", lambda a: ops.roll(a, 2, 1)),
    ("chunk", lambda a: ops.chunk(a, 2, 1)[1]),
])
def test_triangle_and_slicing_gradients(name, fn):
    check_grad(fn, [randn(3, 4)], name=name)
