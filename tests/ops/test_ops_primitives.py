"""MindSpore 1.x primitive classes (model-zoo style: construct once with the init arguments,
call with the inputs), each against numpy."""
import numpy as np
import pytest

from minispore import Tensor, ops
from minispore.common import dtype as mstype

R = np.random.default_rng(9)


def T(a):
    return Tensor(np.asarray(a))


def test_every_listed_primitive_exists():
    names = ("MatMul ReLU Concat ReduceMean ReduceSum Softmax Argmax Reshape Shape Transpose Cast "
             "ExpandDims Squeeze OnesLike ZerosLike Ones Zeros Add Sub Mul Div OneHot MaxPool "
             "AvgPool BiasAdd Tile Pow").split()
    missing = [n for n in names if not isinstance(getattr(ops, n, None), type)]
    assert missing == []


def test_arithmetic_and_matmul_primitives():
    a, b = R.standard_normal((3, 4)), R.standard_normal((3, 4))
    np.testing.assert_allclose(ops.Add()(T(a), T(b)).asnumpy(), a + b)
    np.testing.assert_allclose(ops.Sub()(T(a), T(b)).asnumpy(), a - b)
    np.testing.assert_allclose(ops.Mul()(T(a), 2.0).asnumpy(), a * 2)
    np.testing.assert_allclose(ops.Div()(T(a), T(b)).asnumpy(), a / b)
    np.testing.assert_allclose(ops.Pow()(T(a), 2.0).asnumpy(), a ** 2)
    np.testing.assert_allclose(ops.MatMul(transpose_b=True)(T(a), T(b)).asnumpy(), a @ b.T)
    np.testing.assert_allclose(ops.MatMul(True, False)(T(a), T(b)).asnumpy(), a.T @ b)
    np.testing.assert_allclose(ops.ReLU()(T(a)).asnumpy(), np.maximum(a, 0))
    bias = R.standard_normal(4)
    np.testing.assert_allclose(ops.BiasAdd()(T(a), T(bias)).asnumpy(), a + bias)


def test_reduction_and_softmax_primitives():
    x = R.standard_normal((2, 3, 4))
    np.testing.assert_allclose(ops.ReduceMean(keep_dims=True)(T(x), 1).asnumpy(),
                               x.mean(1, keepdims=True))
    np.testing.assert_allclose(ops.ReduceSum()(T(x)).asnumpy(), x.sum())
    np.testing.assert_allclose(ops.ReduceSum(False)(T(x), (0, 2)).asnumpy(), x.sum((0, 2)))
    e = np.exp(x - x.max(1, keepdims=True))
    np.testing.assert_allclose(ops.Softmax(axis=1)(T(x)).asnumpy(), e / e.sum(1, keepdims=True))
    out = ops.Argmax(axis=1)(T(x))
    assert out.dtype == mstype.int32
    np.testing.assert_array_equal(out.asnumpy(), x.argmax(1))


def test_shape_primitives():
    x = R.standard_normal((2, 1, 3))
    assert ops.Reshape()(T(x), (3, 2)).shape == (3, 2)
    assert ops.Shape()(T(x)) == (2, 1, 3)
    np.testing.assert_array_equal(ops.Transpose()(T(x), (2, 0, 1)).asnumpy(),
                                  x.transpose(2, 0, 1))
    assert ops.Cast()(T(x), mstype.float32).dtype == mstype.float32
    assert ops.ExpandDims()(T(x), 0).shape == (1, 2, 1, 3)
    assert ops.Squeeze()(T(x)).shape == (2, 3)
    assert ops.Squeeze(axis=1)(T(x)).shape == (2, 3)
    np.testing.assert_array_equal(ops.Tile()(T(x), (1, 2, 1)).asnumpy(), np.tile(x, (1, 2, 1)))
    np.testing.assert_array_equal(ops.Concat(axis=1)((T(x), T(x))).asnumpy(),
                                  np.concatenate([x, x], 1))


def test_creation_primitives():
    x = T(R.standard_normal((2, 3)).astype(np.float32))
    assert ops.OnesLike()(x).dtype == mstype.float32
    np.testing.assert_array_equal(ops.OnesLike()(x).asnumpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(ops.ZerosLike()(x).asnumpy(), np.zeros((2, 3)))
    z = ops.Zeros()((2, 2), mstype.int32)
    assert z.dtype == mstype.int32 and z.asnumpy().sum() == 0
    assert ops.Ones()(3, mstype.float64).asnumpy().tolist() == [1.0, 1.0, 1.0]


def test_one_hot_and_pool_primitives():
    idx = T(np.array([1, 0, 3], np.int32))
    out = ops.OneHot()(idx, 4, Tensor(1.0, mstype.float32), Tensor(0.0, mstype.float32))
    np.testing.assert_array_equal(out.asnumpy(), np.eye(4, dtype=np.float32)[[1, 0, 3]])
    x = R.standard_normal((1, 2, 4, 4)).astype(np.float32)
    mp = ops.MaxPool(kernel_size=2, strides=2)(T(x)).asnumpy()
    np.testing.assert_array_equal(mp, x.reshape(1, 2, 2, 2, 2, 2).max((3, 5)))
    ap = ops.AvgPool(kernel_size=2, strides=2)(T(x)).asnumpy()
    np.testing.assert_allclose(ap, x.reshape(1, 2, 2, 2, 2, 2).mean((3, 5)), rtol=1e-6)


def test_constructor_argument_errors():
    with pytest.raises(TypeError, match="ReduceMean.*keep_dims"):
        ops.ReduceMean(keepdims=True)
    with pytest.raises(TypeError, match="Argmax"):
        ops.Argmax(1, mstype.int32, 3)


def test_model_zoo_module_aliases_P_F_C():
    from minispore.ops import composite as C
    from minispore.ops import functional as F
    from minispore.ops import operations as P
    x = R.standard_normal((2, 3))
    assert P.MatMul is ops.MatMul and P.ReduceMean is ops.ReduceMean
    np.testing.assert_allclose(P.ReduceMean(keep_dims=False)(T(x), 1).asnumpy(), x.mean(1))
    assert F.shape(T(x)) == (2, 3)
    np.testing.assert_allclose(F.tensor_add(T(x), T(x)).asnumpy(), 2 * x)
    np.testing.assert_allclose(F.square(T(x)).asnumpy(), x ** 2)
    assert C.GradOperation is ops.GradOperation
    for module in (P, F, C):
        with pytest.raises(AttributeError, match="not supported by minispore"):
            module.FooBar  # noqa: B018
