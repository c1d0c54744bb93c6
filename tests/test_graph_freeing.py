"""backward() frees a graph's intermediate values as PyTorch does; drawing afterwards says so."""

from __future__ import annotations

import gc
import warnings
import weakref

import numpy as np
import pytest

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import nn


def _step(model, x, y):
    return F.cross_entropy(model(x), y)


def test_a_kept_loss_pins_no_activation_after_backward():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 3))
    model.fuse = False  # every intermediate is its own tensor
    x, y = tg.randn(64, 20), np.arange(64) % 3
    loss = _step(model, x, y)
    hidden = loss.grad_fn.parents[0]
    while hidden.grad_fn is not None and hidden.grad_fn.name != "ReLU":
        hidden = hidden.grad_fn.parents[0]
    activation = weakref.ref(hidden.data)
    del hidden
    loss.backward()
    gc.collect()
    assert activation() is None, "an activation is still reachable from the kept loss"
    assert loss.item() > 0  # the loss's own value stays


def test_kept_losses_grow_memory_as_little_as_not_keeping_them():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    x, y = tg.randn(256, 64), np.arange(256) % 10
    kept = []
    import tracemalloc

    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    for _ in range(50):
        loss = _step(model, x, y)
        loss.backward()
        model.zero_grad()
        kept.append(loss)
    grown = tracemalloc.get_traced_memory()[0] - start
    tracemalloc.stop()
    assert grown < 50 * 256 * 64 * 4 / 10, f"50 kept losses hold {grown} bytes"


def test_a_user_held_intermediate_keeps_its_values():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    loss = (h * h).sum()
    loss.backward()
    np.testing.assert_array_equal(h.numpy(), [3.0, 6.0])


def test_retain_graph_keeps_values_for_a_second_backward():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = ((x * 3) ** 2).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [36.0, 72.0])


def test_freed_values_say_how_to_keep_them():
    x = tg.ones(1000, requires_grad=True)
    loss = ((x * 3) ** 2).sum()
    loss.backward()
    freed = loss.grad_fn.parents[0]
    assert tg.autograd.is_freed(freed) and freed.shape == (1000,)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        freed.data  # noqa: B018
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_drawing_after_backward_warns_and_says_so_in_the_picture():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1))
    loss = model(tg.randn(4, 2)).sum()
    before = tg.viz.to_dot(loss, "both", model=model)
    loss.backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        after = tg.viz.to_dot(loss, "both", model=model)
    assert any(issubclass(w.category, tg.viz.FreedValuesWarning) for w in caught)
    assert "retain_graph=True" in after and "retain_graph=True" not in before


def test_a_kept_loss_does_not_pin_the_batch_it_was_fed():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 4), nn.ReLU(), nn.Linear(4, 3))
    x = tg.randn(64, 20)
    batch = weakref.ref(x.data)
    loss = _step(model, x, np.arange(64) % 3)
    del x
    loss.backward()
    gc.collect()
    assert batch() is None, "the input batch is still reachable from the kept loss"


def test_drawing_after_backward_shows_shapes_of_freed_inputs_and_small_values():
    x = tg.ones(1, 200, name="x")  # 800 bytes: freed
    w = tg.tensor(np.full((200, 1), 0.5), requires_grad=True, name="w")
    h = tg.tensor([[1.0, 2.0]], name="h")  # 8 bytes: kept
    v = tg.tensor([[1.0, 1.0]], requires_grad=True, name="v")
    loss = (x @ w * 2).sum() + (h * v).sum()
    loss.backward()
    with pytest.warns(tg.viz.FreedValuesWarning):
        dot = tg.viz.to_dot(loss, max_elements=300)
    assert "1×200" in dot and "[[1, 1," not in dot
    assert "[[1, 2]]" in dot
