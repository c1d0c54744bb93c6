"""tg.compile's prepared plans: the eager step's numbers bit for bit, and every trust guarantee kept."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tinygrad_vn.kernels import jit

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import nn, optim


def _make(sizes: list[int], activation: str = "relu", optimizer: str = "sgd", dtype: type = np.float32,
          momentum: float = 0.9) -> tuple[nn.Module, optim.Optimizer, Callable]:
    tg.manual_seed(5)
    model = nn.mlp(sizes, activation)
    if dtype is np.float64:
        for p in model.parameters():
            p.data = p.data.astype(np.float64)
    opt = (optim.SGD(model.parameters(), lr=0.1, momentum=momentum) if optimizer == "sgd"
           else optim.Adam(model.parameters(), lr=1e-2))

    def step(x, y) -> tg.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return model, opt, step


def _batches(count: int, batch: int, features: int, classes: int, dtype: type = np.float32, seed: int = 0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((batch, features)).astype(dtype), rng.integers(0, classes, batch))
            for _ in range(count)]


def _plan_of(step: tg.CompiledStep):
    (program,) = step.programs.values()
    return program.plan


def _same_run(sizes: list[int], batch: int, steps: int = 4, **options) -> tg.CompiledStep:
    """Run the eager and the compiled step side by side; assert every loss, weight and gradient is equal."""
    eager_model, _, eager = _make(sizes, **options)
    model, _, step = _make(sizes, **options)
    compiled = tg.compile(step)
    dtype = options.get("dtype", np.float32)
    for x, y in _batches(steps, batch, sizes[0], sizes[-1], dtype):
        assert compiled(x, y).item() == eager(tg.Tensor(x), y).item()
    for p, q in zip(eager_model.parameters(), model.parameters(), strict=True):
        assert np.array_equal(p.data, q.data)
        assert np.array_equal(p.grad.data, q.grad.data)
    (program,) = compiled.programs.values()
    assert program.plan is None or program.plan_builds == 1  # a plan, once built, kept applying
    return compiled


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("sizes", "batch"), [([784, 10, 10], 64), ([30, 40, 20, 5], 16), ([6, 5, 3], 2)])
def test_a_prepared_step_equals_the_eager_step_bit_for_bit(sizes: list[int], batch: int, dtype: type,
                                                           optimizer: str) -> None:
    compiled = _same_run(sizes, batch, dtype=dtype, optimizer=optimizer)
    plan = _plan_of(compiled)
    assert plan is not None
    assert "prepared plan" in compiled.source()


def test_plain_sgd_is_prepared_too() -> None:
    assert _plan_of(_same_run([8, 6, 3], 4, momentum=0.0)) is not None


@given(hidden=st.integers(1, 40), rows=st.integers(1, 24), inputs=st.integers(1, 60),
       activation=st.sampled_from(["relu", "tanh", "sigmoid", "identity"]))
def test_random_mlps_on_both_sides_of_the_small_layer_threshold_are_bit_identical(
        hidden: int, rows: int, inputs: int, activation: str) -> None:
    """The plan picks the small-layer loop or BLAS per layer exactly where the eager kernels do
    (``SMALL_LINEAR_WORK`` multiply-adds); random shapes land on both sides of it."""
    sizes = [inputs, hidden, 3]
    compiled = _same_run(sizes, rows, steps=3, activation=activation)
    assert _plan_of(compiled) is not None


@pytest.mark.parametrize("work", [jit.SMALL_LINEAR_WORK, jit.SMALL_LINEAR_WORK + 1])
def test_the_exact_threshold_is_bit_identical(work: int) -> None:
    rows = work // (8 * 4) if work % 32 == 0 else 1
    inputs = 8 if rows > 1 else work // 4 + 1
    _same_run([inputs, 4, 2], rows, steps=2)


def test_a_parameter_array_replaced_by_the_user_is_noticed_and_used() -> None:
    model, _, step = _make([6, 5, 3])
    eager_model, _, eager = _make([6, 5, 3])
    compiled = tg.compile(step)
    batches = _batches(6, 4, 6, 3)
    for i, (x, y) in enumerate(batches):
        if i == 2:
            for target in (model, eager_model):
                target[0].weight.data = np.full((6, 5), 0.01, np.float32)
        assert compiled(x, y).item() == eager(tg.Tensor(x), y).item()
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert np.array_equal(p.data, q.data)
    assert _plan_of(compiled) is not None  # prepared again around the new array


def test_loading_a_state_dict_between_calls_takes_effect() -> None:
    model, opt, step = _make([6, 5, 3])
    eager_model, eager_opt, eager = _make([6, 5, 3])
    compiled = tg.compile(step)
    batches = _batches(6, 4, 6, 3)
    saved_model, saved_opt = None, None
    for i, (x, y) in enumerate(batches):
        if i == 1:
            saved_model, saved_opt = model.state_dict(), opt.state_dict()
        if i == 4:
            for target, target_opt in ((model, opt), (eager_model, eager_opt)):
                target.load_state_dict(saved_model)
                target_opt.load_state_dict(saved_opt)
        assert compiled(x, y).item() == eager(tg.Tensor(x), y).item()
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert np.array_equal(p.data, q.data)


def test_a_gradient_held_from_an_earlier_call_keeps_its_values() -> None:
    model, _, step = _make([6, 5, 3])
    compiled = tg.compile(step)
    (x1, y1), (x2, y2), (x3, y3) = _batches(3, 4, 6, 3)
    compiled(x1, y1)
    compiled(x2, y2)
    held = model[0].weight.grad
    values = held.data.copy()
    compiled(x3, y3)
    assert np.array_equal(held.data, values)
    assert not np.array_equal(model[0].weight.grad.data, values)


def test_returned_losses_are_fresh_each_call() -> None:
    _, _, step = _make([6, 5, 3])
    compiled = tg.compile(step)
    losses = [(compiled(x, y), None) for x, y in _batches(4, 4, 6, 3)]
    values = [loss.item() for loss, _ in losses]
    assert len(set(values)) == len(values)
    assert [loss.item() for loss, _ in losses] == values


def test_changed_settings_and_a_bad_learning_rate_are_seen() -> None:
    _, opt, step = _make([6, 5, 3])
    _, eager_opt, eager = _make([6, 5, 3])
    compiled = tg.compile(step)
    for i, (x, y) in enumerate(_batches(5, 4, 6, 3)):
        if i == 2:
            opt.param_groups[0]["nesterov"] = eager_opt.param_groups[0]["nesterov"] = True
        assert compiled(x, y).item() == eager(tg.Tensor(x), y).item()
    opt.param_groups[0]["lr"] = -1.0
    with pytest.raises(ValueError, match="non-negative"):
        compiled(x, y)


def test_a_bad_label_raises_as_in_eager_mode_an_ignored_one_is_ignored_and_versions_count() -> None:
    model, _, step = _make([6, 5, 3])
    _, _, eager = _make([6, 5, 3])
    compiled = tg.compile(step)
    (x, y), = _batches(1, 4, 6, 3)
    assert compiled(x, y).item() == eager(tg.Tensor(x), y).item()
    before = model[0].weight._version
    assert compiled(x, y).item() == eager(tg.Tensor(x), y).item()
    assert model[0].weight._version == before + 1
    with pytest.raises(ValueError, match=r"class labels must lie in \[0, 3\)"):
        compiled(x, np.array([0, 1, 5, 2]))
    with pytest.raises(ValueError, match=r"class labels must lie in \[0, 3\)"):
        eager(tg.Tensor(x), np.array([0, 1, 5, 2]))
    ignored = np.array([0, 1, -100, 2])
    assert compiled(x, ignored).item() == eager(tg.Tensor(x), ignored).item()
    assert compiled(x, y).item() == eager(tg.Tensor(x), y).item()


def test_nan_propagates_through_a_prepared_step() -> None:
    _, _, step = _make([6, 5, 3])
    compiled = tg.compile(step)
    (x, y), = _batches(1, 4, 6, 3)
    compiled(x, y)
    x = x.copy()
    x[0, 0] = np.nan
    assert np.isnan(compiled(x, y).item())


def test_parameters_share_one_flat_array_and_the_plan_is_in_the_source() -> None:
    model, _, step = _make([6, 5, 3])
    compiled = tg.compile(step)
    compiled(*_batches(1, 4, 6, 3)[0])
    flat = model[0].weight.data.base
    assert flat is not None and all(p.data.base is flat for p in model.parameters())
    assert "# Linear+ReLU" in compiled.source() and "# SGD.step" in compiled.source()


_DISABLED_JIT_SCRIPT = """
import numpy as np, tinygrad_vn as tg, tinygrad_vn.functional as F
from tinygrad_vn import nn, optim
def make():
    tg.manual_seed(1)
    model = nn.mlp([5, 4, 3], "tanh")
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    def step(x, y):
        opt.zero_grad(); loss = F.cross_entropy(model(x), y); loss.backward(); opt.step(); return loss
    return model, step
(m1, eager), (m2, step) = make(), make()
compiled = tg.compile(step)
rng = np.random.default_rng(0)
for _ in range(3):
    x, y = rng.standard_normal((4, 5)).astype(np.float32), rng.integers(0, 3, 4)
    assert compiled(x, y).item() == eager(tg.Tensor(x), y).item()
assert next(iter(compiled.programs.values())).plan is not None
assert all(np.array_equal(p.data, q.data) for p, q in zip(m1.parameters(), m2.parameters()))
print("same")
"""


def test_a_prepared_step_equals_eager_with_the_jit_disabled() -> None:
    environment = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    done = subprocess.run([sys.executable, "-c", _DISABLED_JIT_SCRIPT], capture_output=True, text=True,
                          env=environment, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "same"


def test_a_hundred_step_trajectory_stays_with_eager() -> None:
    eager_model, _, eager = _make([20, 16, 4], optimizer="adam")
    model, _, step = _make([20, 16, 4], optimizer="adam")
    compiled = tg.compile(step)
    for x, y in _batches(100, 8, 20, 4):
        np.testing.assert_allclose(compiled(x, y).item(), eager(tg.Tensor(x), y).item(), rtol=1e-4)
    for p, q in zip(eager_model.parameters(), model.parameters()):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-4, atol=1e-6)
