"""tg.autograd.grad returns gradients for chosen tensors (leaves or not) as torch.autograd.grad, no .grad touched."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import arrays, broadcastable_shapes, leaf

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import nn


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is needed to compare with torch.autograd.grad")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_several_outputs_and_an_intermediate_input_match_torch(dtype):
    torch = _torch()
    rng = np.random.default_rng(0)
    xa, wa = rng.standard_normal((3, 4)).astype(dtype), rng.standard_normal((4, 2)).astype(dtype)
    seed_a = rng.standard_normal((3, 2)).astype(dtype)
    x, w = tg.tensor(xa, requires_grad=True), tg.tensor(wa, requires_grad=True)
    h = (x @ w).tanh()
    outputs = [h * h, (h.exp() * 2).sum()]
    ours = tg.autograd.grad(outputs, [x, h, w], grad_outputs=[tg.tensor(seed_a), None])
    tx, tw = torch.tensor(xa, requires_grad=True), torch.tensor(wa, requires_grad=True)
    th = (tx @ tw).tanh()
    theirs = torch.autograd.grad([th * th, (th.exp() * 2).sum()], [tx, th, tw],
                                 grad_outputs=[torch.tensor(seed_a), None])
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    for mine, reference in zip(ours, theirs, strict=True):
        assert mine.dtype == dtype and not mine.requires_grad
        np.testing.assert_allclose(mine.data, reference.numpy(), rtol=tolerance, atol=tolerance)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_equals_what_backward_accumulates(data):
    shape_a, shape_b = data.draw(broadcastable_shapes(2))
    a, b = leaf(data.draw(arrays(shape_a))), leaf(data.draw(arrays(shape_b)))
    loss = ((a * b).tanh() + a).sum()
    da, db = tg.autograd.grad(loss, [a, b], retain_graph=True)
    assert a.grad is None and b.grad is None
    loss.backward()
    np.testing.assert_allclose(da.data, a.grad.data, rtol=1e-12)
    np.testing.assert_allclose(db.data, b.grad.data, rtol=1e-12)


def test_no_grad_is_touched_not_even_one_already_there_or_retained():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    w.grad = tg.tensor([5.0, 5.0])
    held = w.grad
    h = (w * 3).retain_grad()
    (dw,) = tg.autograd.grad((h * h).sum(), w)
    assert dw.tolist() == [18.0, 36.0]
    assert w.grad is held and held.tolist() == [5.0, 5.0] and h.grad is None


def test_graph_is_freed_unless_retain_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    tg.autograd.grad(y, x, retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [2.0, 4.0]
    z = (x * x).sum()
    tg.autograd.grad(z, x)
    with pytest.raises(RuntimeError, match="second time"):
        z.backward()


def test_only_the_graph_between_outputs_and_inputs_is_walked():
    # the ops below h were already backpropagated (and freed): a gradient with respect to h needs none of them
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = (h * h).sum()
    h.sum().backward(retain_graph=False)
    (dh,) = tg.autograd.grad(y, h)
    assert dh.tolist() == [4.0, 8.0]


def test_the_same_input_twice_gets_two_separate_arrays():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    first, second = tg.autograd.grad((x + x).sum(), [x, x])
    assert first.tolist() == second.tolist() == [2.0, 2.0]
    assert not np.shares_memory(first.data, second.data)


def test_unused_inputs():
    x, unused = tg.tensor([1.0], requires_grad=True), tg.tensor([1.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"inputs\[1\].*not used.*allow_unused=True"):
        tg.autograd.grad((x * 2).sum(), [x, unused], retain_graph=True)
    dx, none = tg.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True, retain_graph=True)
    assert dx.tolist() == [2.0] and none is None
    _, zeros = tg.autograd.grad((x * 2).sum(), [x, unused], materialize_grads=True)
    assert zeros.tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="materialize_grads"):
        tg.autograd.grad((x * 2).sum(), [x, unused], materialize_grads=True, allow_unused=False)


def test_bad_arguments_are_refused_clearly():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(NotImplementedError, match="create_graph"):
        tg.autograd.grad(y.sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match=r"inputs\[0\].*does not require grad"):
        tg.autograd.grad(y.sum(), tg.tensor([1.0]))
    with pytest.raises(RuntimeError, match=r"outputs\[0\] does not require grad"):
        tg.autograd.grad(tg.tensor(1.0), x)
    with pytest.raises(RuntimeError, match=r"outputs\[0\] has shape \(2,\).*grad_outputs\[0\]"):
        tg.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match=r"grad_outputs\[0\] has shape \(3,\)"):
        tg.autograd.grad(y, x, grad_outputs=tg.ones(3))
    with pytest.raises(ValueError, match="2 entries for 1 outputs"):
        tg.autograd.grad(y, x, grad_outputs=[tg.ones(2), tg.ones(2)])
    with pytest.raises(TypeError, match=r"inputs\[0\] is a list"):
        tg.autograd.grad(y.sum(), [[1.0]])
    with pytest.raises(ValueError, match="inputs is empty"):
        tg.autograd.grad(y.sum(), [])


def test_gradient_hooks_apply_to_what_grad_returns_as_in_torch():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = (h * h).sum()
    with x.register_hook(lambda g: g * 10):
        (dx,) = tg.autograd.grad(y, x, retain_graph=True)
    assert dx.tolist() == [80.0, 160.0]
    with h.register_hook(lambda g: g * 10):
        dh, dx = tg.autograd.grad(y, [h, x])
    assert dh.tolist() == [40.0, 80.0] and dx.tolist() == [80.0, 160.0]


def test_refused_inside_a_compiled_step():
    model = nn.Linear(3, 2)

    @tg.compile
    def step(x):
        return tg.autograd.grad(model(x).sum(), model.weight)[0]

    with pytest.raises(RuntimeError, match=r"tg\.compile: tg\.autograd\.grad"):
        step(np.ones((4, 3), np.float32))


def test_parameter_gradients_of_a_model_without_touching_it():
    tg.manual_seed(0)
    model = nn.mlp([4, 3, 2])
    x, y = tg.randn(5, 4), np.array([0, 1, 1, 0, 1])
    params = model.parameters()
    found = tg.autograd.grad(F.cross_entropy(model(x), y), params)
    assert all(p.grad is None for p in params)
    F.cross_entropy(model(x), y).backward()
    for mine, p in zip(found, params, strict=True):
        np.testing.assert_allclose(mine.data, p.grad.data, rtol=1e-6)
