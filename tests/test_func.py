"""tg.func.grad / value_and_grad: gradients as functions (JAX, torch.func style) that leave the caller's .grad alone."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn import nn


def test_cube_slope_at_two_is_twelve_in_float64():
    slope = tg.func.grad(lambda x: x ** 3)(2.0)
    assert isinstance(slope, tg.Tensor) and slope.dtype == np.float64 and slope.item() == 12.0


def test_argnums_has_aux_and_value_and_grad():
    def f(x, y, scale):
        return (x * y).sum() * scale, "aux"

    (dx, dy), aux = tg.func.grad(f, argnums=(0, 1), has_aux=True)([1.0, 2.0], [3.0, 4.0], 2.0)
    assert dx.tolist() == [6.0, 8.0] and dy.tolist() == [2.0, 4.0] and aux == "aux"
    (value, aux), dy = tg.func.value_and_grad(f, argnums=1, has_aux=True)([1.0, 2.0], [3.0, 4.0], 2.0)
    assert value.item() == 22.0 and not value.requires_grad and dy.tolist() == [2.0, 4.0]


def test_input_dtypes():
    cube_sum = tg.func.grad(lambda x: (x ** 3).sum())
    assert cube_sum(np.array([1.0], np.float32)).dtype == np.float32
    assert cube_sum(tg.tensor([1.0], dtype=np.float32)).dtype == np.float32
    assert cube_sum(np.array([2])).dtype == np.float64 and cube_sum(np.array([2])).tolist() == [12.0]
    assert cube_sum([1, 2]).tolist() == [3.0, 12.0]


def test_callers_tensors_keep_their_grad():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    model = nn.Linear(2, 1)
    model.weight.grad = tg.ones(2, 1)
    held = model.weight.grad
    dw = tg.func.grad(lambda v: (model(v.reshape(1, 2)) ** 2).sum())(w)
    assert w.grad is None and model.weight.grad is held and held.tolist() == [[1.0], [1.0]]
    assert dw.shape == (2,) and model.bias.grad is None


def test_matches_torch_func_grad():
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with torch.func.grad")
    x_values = np.array([0.3, -1.2, 2.0])
    ours = tg.func.grad(lambda x: ((x.tanh() * x).exp() / (1 + x * x)).sum())(x_values)
    theirs = torch.func.grad(lambda x: ((x.tanh() * x).exp() / (1 + x * x)).sum())(torch.tensor(x_values))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)


def test_works_under_no_grad_and_for_constant_functions():
    with tg.no_grad():
        assert tg.func.grad(lambda x: (x * x).sum())([3.0]).tolist() == [6.0]
    assert tg.func.grad(lambda x, y: (y * 2).sum(), argnums=0)([1.0, 1.0], tg.ones(2)).tolist() == [0.0, 0.0]


def test_bad_uses_are_refused_clearly():
    with pytest.raises(TypeError, match="must be callable"):
        tg.func.grad(3)
    with pytest.raises(TypeError, match="argnums must be an int"):
        tg.func.grad(lambda x: x, argnums="0")
    with pytest.raises(ValueError, match="names an argument twice"):
        tg.func.grad(lambda x: x, argnums=(0, 0))
    with pytest.raises(TypeError, match=r"argument 1.*1 positional argument"):
        tg.func.grad(lambda x: x, argnums=1)(1.0)
    with pytest.raises(RuntimeError, match=r"scalar \(0-d\) Tensor, got shape \(2,\)"):
        tg.func.grad(lambda x: x * 2)([1.0, 2.0])
    with pytest.raises(TypeError, match="must return a scalar Tensor, got a float"):
        tg.func.grad(lambda x: 1.0)(1.0)
    with pytest.raises(TypeError, match="pair"):
        tg.func.grad(lambda x: x * 2, has_aux=True)(1.0)
    with pytest.raises(TypeError, match="cannot be differentiated"):
        tg.func.grad(lambda x: x)("text")
    with pytest.raises(TypeError, match="only floating-point"):
        tg.func.grad(lambda x: x)(tg.tensor([1]))


def test_grad_of_grad_is_refused_rather_than_silently_zero():
    second = tg.func.grad(tg.func.grad(lambda x: x ** 3))
    with pytest.raises(NotImplementedError, match="gradients of gradients"):
        second(2.0)
