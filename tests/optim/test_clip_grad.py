"""nn.utils.clip_grad_norm_ / clip_grad_value_ against torch, their errors, and inside tg.compile."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import Tensor, nn, optim

torch = pytest.importorskip("torch", reason="clipping is compared with PyTorch's")

SHAPES = [(3, 4), (5,), (2, 1, 3)]


def with_grads(dtype, scale: float = 1.0, seed: int = 0) -> tuple[list[Tensor], list]:
    rng = np.random.default_rng(seed)
    grads = [scale * rng.standard_normal(shape).astype(dtype) for shape in SHAPES]
    ours = [Tensor(np.zeros(shape, dtype), requires_grad=True) for shape in SHAPES]
    theirs = [torch.zeros(shape, dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True) for shape in SHAPES]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = Tensor(g.copy()), torch.from_numpy(g.copy())
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, 0.5])
@pytest.mark.parametrize("max_norm", [0.3, 1e3])
def test_clip_grad_norm_matches_torch(dtype, norm_type: float, max_norm: float) -> None:
    ours, theirs = with_grads(dtype)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    reference = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    assert isinstance(total, Tensor) and total.shape == () and total.dtype == dtype
    assert total.item() == pytest.approx(reference.item(), rel=tolerance)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=tolerance, atol=tolerance)
    if max_norm < total.item():
        clipped = nn.utils.clip_grad_norm_(ours, math.inf, norm_type=norm_type).item()
        assert clipped == pytest.approx(max_norm, rel=1e-4)


@pytest.mark.parametrize("clip_value", [0.1, 0.5, 10.0])
def test_clip_grad_value_matches_torch(clip_value: float) -> None:
    ours, theirs = with_grads(np.float64)
    assert nn.utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.data, q.grad.numpy())


def test_clipping_takes_a_generator_a_single_tensor_and_skips_missing_grads() -> None:
    model = nn.Linear(3, 2)
    model(Tensor(np.ones((1, 3), np.float32))).sum().backward()
    model.bias.grad = None
    total = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    assert total.item() == pytest.approx(math.sqrt(6), rel=1e-6)
    nn.utils.clip_grad_value_(model.weight, 0.25)
    assert np.all(np.abs(model.weight.grad.data) <= 0.25)
    assert nn.utils.clip_grad_norm_([model.bias], 1.0).item() == 0.0


def test_clipping_bumps_the_gradients_versions() -> None:
    ours, _ = with_grads(np.float64)
    before = [p.grad._version for p in ours]
    nn.utils.clip_grad_norm_(ours, 0.1)
    nn.utils.clip_grad_value_(ours, 0.01)
    assert [p.grad._version for p in ours] == [v + 2 for v in before]


def test_a_nonfinite_norm_raises_when_asked_and_warns_otherwise() -> None:
    ours, theirs = with_grads(np.float64)
    ours[0].grad.data[0, 0] = theirs[0].grad[0, 0] = np.nan
    with pytest.raises(RuntimeError, match=r"total norm .* is nan"):
        nn.utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    with pytest.warns(RuntimeWarning, match="total norm is nan"):
        nn.utils.clip_grad_norm_(ours, 1.0)
    torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.data, q.grad.numpy())  # NaN everywhere, as torch


@pytest.mark.parametrize(("call", "message"), [
    (lambda ps: nn.utils.clip_grad_norm_(ps, -1.0), "max_norm"),
    (lambda ps: nn.utils.clip_grad_norm_(ps, float("nan")), "max_norm"),
    (lambda ps: nn.utils.clip_grad_norm_(ps, 1.0, norm_type=0), "norm_type"),
    (lambda ps: nn.utils.clip_grad_norm_(ps, 1.0, norm_type=-2), "norm_type"),
    (lambda ps: nn.utils.clip_grad_norm_(ps, "1"), "max_norm must be a number"),
    (lambda ps: nn.utils.clip_grad_value_(ps, -0.5), "clip_value"),
    (lambda ps: nn.utils.clip_grad_value_(ps, float("nan")), "clip_value"),
])
def test_bad_clipping_arguments_are_refused(call, message: str) -> None:
    ours, _ = with_grads(np.float64)
    with pytest.raises(ValueError, match=message):
        call(ours)
    with pytest.raises(TypeError, match="parameter 1 is a ndarray"):
        nn.utils.clip_grad_norm_([ours[0], np.ones(2)], 1.0)


# ---- inside tg.compile ----

def setup(name: str):
    tg.manual_seed(5)
    model = nn.mlp([6, 8, 3], "tanh")
    opt = getattr(optim, name)(model.parameters(), lr=0.05)
    schedule = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5)
    return model, opt, schedule


def clipped_step(model: nn.Module, opt: optim.Optimizer, by_value: bool):
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        if by_value:
            nn.utils.clip_grad_value_(model.parameters(), 0.05)
            norm = loss * 0
        else:
            norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.2)
        opt.step()
        return loss, norm
    return step


@pytest.mark.parametrize("by_value", [False, True], ids=["norm", "value"])
@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_compiled_clipping_with_a_schedule_equals_eager(name: str, by_value: bool) -> None:
    rng = np.random.default_rng(1)
    data = [(rng.standard_normal((10, 6)).astype(np.float32), rng.integers(0, 3, 10)) for _ in range(3)]
    eager_parts, compiled_parts = setup(name), setup(name)
    eager = clipped_step(*eager_parts[:2], by_value)
    compiled = tg.compile(clipped_step(*compiled_parts[:2], by_value))
    norms = []
    for x, y in data * 3:
        loss, norm = compiled(x, y)
        eager_loss, eager_norm = eager(Tensor(x), y)
        assert loss.item() == eager_loss.item() and norm.item() == eager_norm.item()
        norms.append(norm.item())
        eager_parts[2].step()
        compiled_parts[2].step()
    assert len(compiled.programs) == 1
    assert by_value or len(set(norms)) == len(norms), "the returned norm must be each call's own"
    for p, q in zip(eager_parts[0].parameters(), compiled_parts[0].parameters()):
        assert np.array_equal(p.data, q.data)
        assert np.array_equal(p.grad.data, q.grad.data)


def test_clipping_by_hand_inside_a_compiled_step_is_still_refused() -> None:
    model, opt, _ = setup("SGD")

    @tg.compile
    def step(x, y):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        for p in model.parameters():
            np.clip(p.grad.data, -0.01, 0.01, out=p.grad.data)
        opt.step()

    rng = np.random.default_rng(0)
    with pytest.raises(RuntimeError, match="changed between backward"):
        step(rng.standard_normal((4, 6)).astype(np.float32), rng.integers(0, 3, 4))
