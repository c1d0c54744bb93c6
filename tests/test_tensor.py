"""The Tensor API contract: construction and dtypes, attributes, factories, repr, shape methods."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn import Tensor


def test_the_public_names_exist() -> None:
    import tinygrad_vn.functional as F
    from tinygrad_vn import nn, optim

    for name in ("Tensor", "tensor", "zeros", "ones", "randn", "rand", "arange", "manual_seed", "no_grad",
                 "gradcheck", "Function", "concatenate", "stack", "maximum", "data"):
        assert hasattr(tg, name), name
    assert tg.data.MinMaxScaler and tg.data.StandardScaler
    for name in ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "swish", "silu", "softmax", "log_softmax", "linear",
                 "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "one_hot"):
        assert callable(getattr(F, name)), name
    for name in ("Module", "Sequential", "Linear", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "Swish", "Softmax",
                 "Identity", "Maxout"):
        assert hasattr(nn, name), name
    for name in ("zeros_", "normal_", "xavier_uniform_", "kaiming_normal_"):
        assert callable(getattr(nn.init, name)), name
    assert optim.SGD and optim.Adam


@pytest.mark.parametrize(("data", "dtype"), [
    (1.5, np.float32), ([1.0, 2.0], np.float32), ([[1, 2.5]], np.float32),
    (np.array([1.0], dtype=np.float32), np.float32), (np.array([1.0]), np.float64),
    (3, np.int64), ([0, 1, 2], np.int64), (np.array([1, 2], dtype=np.int32), np.int32), (True, np.bool_),
])
def test_dtype_defaults(data, dtype) -> None:
    t = Tensor(data)
    assert t.dtype == dtype
    assert isinstance(t.data, np.ndarray) and t.data.dtype == dtype


def test_explicit_dtype_and_tensor_alias() -> None:
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert Tensor(1.0, dtype=tg.float64).dtype == np.float64
    t = tg.tensor([[1.0, 2.0]], requires_grad=True, name="w")
    assert isinstance(t, Tensor) and t.requires_grad and t.name == "w" and t.shape == (1, 2)


def test_data_is_copied_from_an_ndarray() -> None:
    source = np.array([1.0, 2.0])
    t = Tensor(source)
    source[0] = 99
    assert t.data[0] == 1.0


def test_unsupported_data_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="Tensor"):
        Tensor("abc")
    with pytest.raises(TypeError):
        Tensor({"a": 1})


def test_attributes_and_conversions() -> None:
    t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True, name="x")
    assert t.shape == (2, 3) and t.ndim == 2 and t.dtype == np.float32 and t.name == "x"
    assert t.requires_grad and t.is_leaf and t.grad_fn is None and t.grad is None
    assert t.numpy() is t.data
    assert Tensor([[2.5]]).item() == 2.5 and isinstance(Tensor([[2.5]]).item(), float)
    assert len(t) == 2 and t.tolist() == [[1, 2, 3], [4, 5, 6]]
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        t.item()


def test_to_and_astype_convert_dtype_differentiably() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.to(np.float64)
    assert y.dtype == np.float64 and y.grad_fn is not None
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])
    assert x.double().dtype == np.float64 and Tensor([1], dtype=np.int64).float().dtype == np.float32
    assert x.astype(tg.float64).dtype == np.float64


def test_repr_shows_data_dtype_and_grad_fn() -> None:
    y = Tensor([[0.5]], requires_grad=True) * 2 + 0.873
    out = y.sigmoid()
    text = repr(out)
    match = re.fullmatch(r"Tensor\(\[\[(0\.\d+)\]\], dtype=float32, grad_fn=<Sigmoid>\)", text)
    assert match, text
    assert round(float(match.group(1)), 3) == 0.867
    assert "requires_grad=True" in repr(Tensor([1.0], requires_grad=True))
    assert repr(Tensor([1, 2])) == "Tensor([1, 2], dtype=int64)"
    assert "grad_fn" not in repr(out.detach())


FACTORIES = {
    "zeros": lambda **kw: tg.zeros(2, 3, **kw),
    "ones": lambda **kw: tg.ones((2, 3), **kw),
    "randn": lambda **kw: tg.randn(2, 3, **kw),
    "rand": lambda **kw: tg.rand([2, 3], **kw),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factories_take_shape_requires_grad_and_dtype(name: str) -> None:
    make = FACTORIES[name]
    t = make()
    assert t.shape == (2, 3) and t.dtype == np.float32 and not t.requires_grad and t.is_leaf
    t64 = make(dtype=np.float64, requires_grad=True)
    assert t64.dtype == np.float64 and t64.requires_grad
    if name == "zeros":
        assert not t.data.any()
    if name == "ones":
        assert (t.data == 1).all()
    if name == "rand":
        assert ((t.data >= 0) & (t.data < 1)).all()


def test_factories_are_reproducible_under_manual_seed() -> None:
    tg.manual_seed(123)
    first = (tg.randn(4).data.copy(), tg.rand(3).data.copy(), tg.nn.Linear(3, 2).weight.data.copy())
    tg.manual_seed(123)
    second = (tg.randn(4).data, tg.rand(3).data, tg.nn.Linear(3, 2).weight.data)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    tg.manual_seed(124)
    assert not np.array_equal(tg.randn(4).data, first[0])


def test_randn_is_roughly_standard_normal() -> None:
    tg.manual_seed(0)
    x = tg.randn(20_000, dtype=np.float64).data
    assert abs(x.mean()) < 0.05 and abs(x.std() - 1) < 0.05


def test_arange_like_numpy() -> None:
    assert tg.arange(5).tolist() == [0, 1, 2, 3, 4] and tg.arange(5).dtype == np.int64
    r = tg.arange(0, 1, 0.25)
    assert r.dtype == np.float32
    np.testing.assert_allclose(r.data, [0, 0.25, 0.5, 0.75])
    assert tg.arange(1, 4, dtype=np.float64, requires_grad=True).requires_grad
    assert tg.zeros_like(r).shape == (4,) and tg.ones_like(r).data.sum() == 4


def test_reshape_takes_ints_or_a_tuple() -> None:
    x = tg.arange(12, dtype=np.float64)
    np.testing.assert_array_equal(x.reshape(4, 3).data, x.reshape((4, 3)).data)
    np.testing.assert_array_equal(x.reshape([4, 3]).data, np.arange(12).reshape(4, 3))
    assert x.reshape(2, -1, 3).shape == (2, 2, 3)
    assert x.reshape(3, 4).flatten().shape == (12,)
    assert x.reshape(2, 3, 2).flatten(1).shape == (2, 6)


def test_transpose_permutations_and_T() -> None:
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.transpose().shape == (4, 3, 2)
    assert x.transpose(1, 0, 2).shape == (3, 2, 4)
    assert x.transpose((2, 0, 1)).shape == (4, 2, 3)
    assert x.transpose(-1, 0, 1).shape == (4, 2, 3)
    np.testing.assert_array_equal(x.transpose(2, 0, 1).data, x.data.transpose(2, 0, 1))
    np.testing.assert_array_equal(x.T.data, x.data.T)
    m = Tensor([[1.0, 2.0, 3.0]])
    assert m.T.shape == (3, 1)


def test_comparisons_and_argmax_give_plain_tensors() -> None:
    x = Tensor([1.0, 3.0, 2.0], requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == np.bool_ and not mask.requires_grad
    assert mask.tolist() == [False, True, True]
    assert (x == 3.0).tolist() == [False, True, False]
    assert x.argmax().item() == 1


def test_reductions_accept_int_tuple_negative_axes_and_keepdims() -> None:
    a = np.arange(24.0).reshape(2, 3, 4)
    x = Tensor(a)
    for op in ("sum", "mean", "max", "min"):
        for axis in (None, 0, -1, (0, 2), (-1, -3)):
            for keepdims in (False, True):
                out = getattr(x, op)(axis=axis, keepdims=keepdims)
                np.testing.assert_allclose(out.data, getattr(np, op)(a, axis=axis, keepdims=keepdims))


def test_scalar_losses_reduce_again() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])
    x.zero_grad()
    loss2 = (x * x).mean().mean()
    loss2.backward()
    np.testing.assert_allclose(x.grad.data, [1.0, 2.0])
