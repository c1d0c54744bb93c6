"""Whole-step kernels: a small compiled step as one Numba function, equal to the eager step, every guard kept."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import nn, optim
from tinygrad_vn.fused import fused_steps_enabled

FUSED = fused_steps_enabled(tg.get_backend())
needs_fused = pytest.mark.skipif(not FUSED, reason="whole-step kernels need the numba backend with its JIT on")


def _make(sizes: list[int], activation: str = "sigmoid", loss: str = "bce", optimizer: str = "sgd",
          dtype: type = np.float32) -> tuple[nn.Module, optim.Optimizer, Callable]:
    """Seed 000's kind of net (sigmoid output, log loss) or a softmax classifier, with one optimizer."""
    tg.manual_seed(3)
    model = nn.mlp(sizes, activation, output_activation="sigmoid" if loss == "bce" else None)
    if dtype is np.float64:
        for p in model.parameters():
            p.data = p.data.astype(np.float64)
    opt = {"sgd": lambda ps: optim.SGD(ps, lr=0.1), "momentum": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
           "adam": lambda ps: optim.Adam(ps, lr=1e-2)}[optimizer](model.parameters())
    loss_fn = F.binary_cross_entropy if loss == "bce" else F.cross_entropy

    def step(x, y) -> tg.Tensor:
        opt.zero_grad()
        value = loss_fn(model(x), y)
        value.backward()
        opt.step()
        return value

    return model, opt, step


def _batches(count: int, rows: int, sizes: list[int], loss: str, dtype: type = np.float32, seed: int = 0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        x = rng.standard_normal((rows, sizes[0])).astype(dtype)
        y = (rng.random((rows, sizes[-1])).astype(dtype) if loss == "bce"
             else rng.integers(0, sizes[-1], rows))
        out.append((x, y))
    return out


def _wrap(y: np.ndarray, loss: str):
    return tg.Tensor(y) if loss == "bce" else y


def _plan_of(step: tg.CompiledStep):
    (program,) = step.programs.values()
    return program.plan


def _is_fused(step: tg.CompiledStep) -> bool:
    plan = _plan_of(step)
    return plan is not None and bool(plan.kernel_source)


def _run_side_by_side(sizes: list[int], rows: int, steps: int = 4, rtol: float | None = None,
                      **options) -> tg.CompiledStep:
    """Eager and compiled steps on the same batches: equal losses, weights and gradients (within ``rtol``)."""
    loss = options.get("loss", "bce")
    dtype = options.get("dtype", np.float32)
    eager_model, _, eager = _make(sizes, **options)
    model, _, step = _make(sizes, **options)
    compiled = tg.compile(step)
    for x, y in _batches(steps, rows, sizes, loss, dtype):
        got, want = compiled(x, _wrap(y, loss)).item(), eager(tg.Tensor(x), _wrap(y, loss)).item()
        if rtol is None:
            assert got == want
        else:
            np.testing.assert_allclose(got, want, rtol=rtol)
    for p, q in zip(eager_model.parameters(), model.parameters(), strict=True):
        if rtol is None:
            assert np.array_equal(p.data, q.data) and np.array_equal(p.grad.data, q.grad.data)
        else:
            np.testing.assert_allclose(q.data, p.data, rtol=rtol, atol=rtol)
    return compiled


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_seed000s_net_is_one_kernel_and_equals_eager_bit_for_bit(dtype: type, optimizer: str) -> None:
    compiled = _run_side_by_side([1, 2, 1], 1, steps=5, dtype=dtype, optimizer=optimizer)
    assert _plan_of(compiled) is not None  # the plan covers BCE and Mean on every backend
    assert _is_fused(compiled) == FUSED
    if FUSED:
        assert "def whole_step(" in compiled.source() and "_whole_step(" in compiled.source()


@needs_fused
def test_a_small_classifier_is_one_kernel_and_a_blas_sized_one_is_not() -> None:
    assert _is_fused(_run_side_by_side([6, 5, 3], 4, loss="ce", activation="relu", optimizer="momentum"))
    assert not _is_fused(_run_side_by_side([300, 10, 3], 8, steps=2, loss="ce", activation="relu"))


@given(hidden=st.integers(1, 12), rows=st.integers(1, 16), inputs=st.integers(1, 200),
       activation=st.sampled_from(["relu", "tanh", "sigmoid", "identity"]), loss=st.sampled_from(["bce", "ce"]))
def test_random_small_mlps_equal_eager_on_both_sides_of_the_fused_threshold(
        hidden: int, rows: int, inputs: int, activation: str, loss: str) -> None:
    """A step is one kernel exactly when each layer is small enough for the small-layer loop
    (``SMALL_LINEAR_WORK`` multiply-adds); either way it equals eager (float32, 2e-6 relative)."""
    from tinygrad_vn.kernels import jit

    sizes = [inputs, hidden, 1 if loss == "bce" else 3]
    compiled = _run_side_by_side(sizes, rows, steps=2, rtol=2e-6, activation=activation, loss=loss)
    small = all(rows * a * b <= jit.SMALL_LINEAR_WORK for a, b in itertools.pairwise(sizes))
    assert _is_fused(compiled) == (FUSED and small)


def test_float64_steps_agree_to_1e_12() -> None:
    _run_side_by_side([4, 6, 3], 5, steps=4, rtol=1e-12, dtype=np.float64, loss="ce", activation="tanh",
                      optimizer="adam")


def test_a_hundred_step_trajectory_stays_with_eager() -> None:
    sizes = [3, 8, 1]
    eager_model, _, eager = _make(sizes, activation="tanh", optimizer="adam")
    model, _, step = _make(sizes, activation="tanh", optimizer="adam")
    compiled = tg.compile(step)
    for x, y in _batches(100, 4, sizes, "bce"):
        np.testing.assert_allclose(compiled(x, tg.Tensor(y)).item(), eager(tg.Tensor(x), tg.Tensor(y)).item(),
                                   rtol=1e-4)
    for p, q in zip(eager_model.parameters(), model.parameters()):
        np.testing.assert_allclose(q.data, p.data, rtol=1e-4, atol=1e-6)
    assert _is_fused(compiled) == FUSED


def test_a_replaced_parameter_and_a_loaded_state_take_effect() -> None:
    sizes = [2, 3, 1]
    model, opt, step = _make(sizes, optimizer="momentum")
    eager_model, eager_opt, eager = _make(sizes, optimizer="momentum")
    compiled = tg.compile(step)
    saved = None
    for i, (x, y) in enumerate(_batches(7, 3, sizes, "bce")):
        if i == 1:
            saved = model.state_dict(), opt.state_dict()
        if i == 3:
            for target in (model, eager_model):
                target[0].weight.data = np.full((2, 3), 0.25, np.float32)
        if i == 5:
            for target, target_opt in ((model, opt), (eager_model, eager_opt)):
                target.load_state_dict(saved[0])
                target_opt.load_state_dict(saved[1])
        assert compiled(x, tg.Tensor(y)).item() == eager(tg.Tensor(x), tg.Tensor(y)).item()
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert np.array_equal(p.data, q.data)
    assert _is_fused(compiled) == FUSED  # prepared again around the new arrays


def test_a_held_gradient_keeps_its_values_and_versions_count() -> None:
    model, _, step = _make([1, 2, 1])
    compiled = tg.compile(step)
    (x1, y1), (x2, y2), (x3, y3) = _batches(3, 1, [1, 2, 1], "bce")
    compiled(x1, tg.Tensor(y1))
    compiled(x2, tg.Tensor(y2))
    held = model[0].weight.grad
    values = held.data.copy()
    before = model[0].weight._version
    compiled(x3, tg.Tensor(y3))
    assert np.array_equal(held.data, values)
    assert not np.array_equal(model[0].weight.grad.data, values)
    assert model[0].weight._version == before + 1


def test_changed_settings_are_seen_and_a_bad_learning_rate_raises() -> None:
    _, opt, step = _make([1, 2, 1], optimizer="momentum")
    _, eager_opt, eager = _make([1, 2, 1], optimizer="momentum")
    compiled = tg.compile(step)
    batches = _batches(6, 1, [1, 2, 1], "bce")
    for i, (x, y) in enumerate(batches):
        if i == 2:
            opt.param_groups[0]["nesterov"] = eager_opt.param_groups[0]["nesterov"] = True
        if i == 4:
            opt.param_groups[0]["lr"] = eager_opt.param_groups[0]["lr"] = 0.5
        assert compiled(x, tg.Tensor(y)).item() == eager(tg.Tensor(x), tg.Tensor(y)).item()
    opt.param_groups[0]["lr"] = -1.0
    with pytest.raises(ValueError, match="non-negative"):
        compiled(*batches[0][:1], tg.Tensor(batches[0][1]))


def test_losses_are_fresh_and_nan_propagates() -> None:
    _, _, step = _make([1, 2, 1])
    compiled = tg.compile(step)
    losses = [compiled(x, tg.Tensor(y)) for x, y in _batches(4, 1, [1, 2, 1], "bce")]
    values = [loss.item() for loss in losses]
    assert len(set(values)) == 4
    assert np.isnan(compiled(np.full((1, 1), np.nan, np.float32), tg.Tensor(np.ones((1, 1), np.float32))).item())


def test_a_bad_class_label_raises_as_in_eager_mode() -> None:
    _, _, step = _make([4, 3, 3], loss="ce", activation="relu")
    compiled = tg.compile(step)
    x = np.ones((2, 4), np.float32)
    compiled(x, np.array([0, 2]))
    compiled(x, np.array([1, 2]))
    with pytest.raises(ValueError, match=r"class labels must lie in \[0, 3\)"):
        compiled(x, np.array([0, 7]))


_SCRIPT = """
import sys, numpy as np, tinygrad_vn as tg, tinygrad_vn.functional as F
from tinygrad_vn import nn, optim
def make():
    tg.manual_seed(1)
    model = nn.mlp([1, 2, 1], "sigmoid", output_activation="sigmoid")
    opt = optim.SGD(model.parameters(), lr=0.1)
    def step(x, y):
        opt.zero_grad(); loss = F.binary_cross_entropy(model(x), y); loss.backward(); opt.step(); return loss
    return model, step
(m1, eager), (m2, step) = make(), make()
compiled = tg.compile(step)
rng = np.random.default_rng(0)
for _ in range(4):
    x, y = rng.random((1, 1)).astype(np.float32), tg.Tensor(rng.random((1, 1)).astype(np.float32))
    assert compiled(x, y).item() == eager(tg.Tensor(x), y).item()
plan = next(iter(compiled.programs.values())).plan
assert plan is not None
assert all(np.array_equal(p.data, q.data) for p, q in zip(m1.parameters(), m2.parameters()))
print("same", "fused" if plan.kernel_source else "planned")
"""


def _run_script(environment: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True,
                          env={**os.environ, **environment}, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def test_with_the_jit_disabled_the_plan_runs_op_by_op_and_equals_eager() -> None:
    done = _run_script({"NUMBA_DISABLE_JIT": "1", "TINYGRAD_VN_BACKEND": "numba"})
    assert done.stdout.split() == ["same", "planned"]
    assert "compiling a whole-step kernel" not in done.stderr


@needs_fused
def test_a_second_process_loads_the_kernel_from_the_cache(tmp_path: Path) -> None:
    environment = {"TINYGRAD_VN_STEP_CACHE": str(tmp_path), "TINYGRAD_VN_BACKEND": "numba"}
    first = _run_script(environment)
    assert first.stdout.split() == ["same", "fused"]
    assert first.stderr.count("compiling a whole-step kernel") == 1
    assert list(tmp_path.glob("step_*.py"))
    second = _run_script(environment)
    assert second.stdout.split() == ["same", "fused"]
    assert "compiling" not in second.stderr
