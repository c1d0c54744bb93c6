"""Version counters: a backward whose saved values changed since the forward refuses, naming op, tensor, versions."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import nn, optim


def test_optimizer_step_between_forward_and_backward_is_refused():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss = F.cross_entropy(model(tg.randn(5, 3)), np.array([0, 1, 0, 1, 1]))
    opt.step()  # no gradients yet: nothing changes
    loss.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError, match=r"modified by an in-place operation: Linear.*input 1 \(shape \(4, 2\)\) "
                                           r"is at version 1, but Linear saw version 0"):
        loss.backward()


def test_change_through_the_api_bumps_the_version():
    t = tg.tensor([1.0, 2.0])
    assert t._version == 0
    t.add_(1)
    t[0] = 3.0
    t.data = np.zeros(2, dtype=np.float32)
    assert t._version == 3
    model = nn.Linear(2, 2)
    before = model.weight._version
    model.load_state_dict(model.state_dict())
    assert model.weight._version == before + 1


def test_a_named_tensor_changed_in_place_is_named_in_the_error():
    w = tg.tensor([[1.0, 2.0]], requires_grad=True, name="w")
    loss = (tg.ones(3, 1) @ w).sum()
    with tg.no_grad():
        w -= 1
    with pytest.raises(RuntimeError, match=r"MatMul's input 1 \('w', shape \(1, 2\)\) is at version 1"):
        loss.backward()


def test_replacing_data_of_a_saved_tensor_is_refused():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    x = tg.tensor([3.0, 4.0], requires_grad=True)
    loss = (w * x).sum()
    w.data = w.data * 10
    with pytest.raises(RuntimeError, match="Mul's input 0"):
        loss.backward()


def test_output_changed_in_place_is_refused():
    x = tg.tensor([0.5, -1.0], requires_grad=True)
    y = x.sigmoid()
    loss = y.sum()
    with tg.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="Sigmoid's output"):
        loss.backward()


def test_change_to_an_unsaved_input_is_allowed_as_in_pytorch():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x + 1  # Add keeps nothing of x
    with tg.no_grad():
        x += 5
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_changes_made_after_backward_are_fine():
    tg.manual_seed(0)
    model = nn.Linear(3, 1)
    opt = optim.Adam(model.parameters(), lr=0.01)
    for _ in range(3):
        opt.zero_grad()
        loss = model(tg.ones(2, 3)).sum()
        loss.backward()
        opt.step()
    assert model.weight._version == 3


def test_writes_into_the_array_behind_data_stay_untracked_as_documented():
    t = tg.tensor([1.0, 2.0])
    t.data[0] = 5.0
    assert t._version == 0
    assert "not tracked" in tg.Tensor.data.__doc__


def test_gradients_accumulate_into_the_held_grad_tensor():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    (w * 3).sum().backward()
    held = w.grad
    array = held.data
    (w * 4).sum().backward()
    assert w.grad is held and held.data is array
    np.testing.assert_array_equal(held.numpy(), [7.0, 7.0])
