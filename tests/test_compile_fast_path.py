"""The usual compiled call (the last program again, checked by its arguments' shapes): every guarantee kept."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import nn, optim


def _classifier(sizes: list[int], momentum: float = 0.9):
    tg.manual_seed(5)
    model = nn.mlp(sizes, "relu")
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=momentum)

    def step(x, y) -> tg.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return model, step


def _batch(rows: int, sizes: list[int], seed: int = 0, dtype: type = np.float32):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((rows, sizes[0])).astype(dtype), rng.integers(0, sizes[-1], rows)


@pytest.mark.parametrize("sizes", [[3, 4, 2], [40, 70, 5]])  # a whole-step kernel (numba), and BLAS-sized layers
def test_the_usual_call_still_refuses_grad_arguments_and_records_new_signatures(sizes: list[int]) -> None:
    _, step = _classifier(sizes)
    compiled = tg.compile(step)
    x, y = _batch(6, sizes)
    compiled(x, y)
    compiled(x, y)
    assert compiled.recordings == 1
    with pytest.raises(TypeError, match="requires grad"):
        compiled(tg.Tensor(x, requires_grad=True), y)
    compiled(tg.Tensor(x), y)  # a Tensor holding an array of the same shape: the same program
    assert compiled.recordings == 1
    compiled(x[:5], y[:5])
    compiled(x.astype(np.float64), y)
    compiled(x, y=y)
    assert compiled.recordings == 4


@pytest.mark.parametrize("sizes", [[3, 4, 2], [40, 70, 5]])
def test_every_parameter_version_moves_once_per_call(sizes: list[int]) -> None:
    model, step = _classifier(sizes)
    compiled = tg.compile(step)
    x, y = _batch(6, sizes)
    compiled(x, y)
    before = [p._version for p in model.parameters()]
    compiled(x, y)
    compiled(x, y)
    assert [p._version for p in model.parameters()] == [v + 2 for v in before]


@pytest.mark.parametrize("sizes", [[3, 4, 2], [40, 70, 5]])
def test_unaligned_and_read_only_inputs_give_the_eager_numbers(sizes: list[int]) -> None:
    _, step = _classifier(sizes)
    _, eager = _classifier(sizes)
    compiled = tg.compile(step)
    x, y = _batch(6, sizes)
    raw = np.zeros(x.nbytes + 1, np.uint8)
    unaligned = np.frombuffer(raw.data, np.float32, x.size, offset=1).reshape(x.shape)
    unaligned[...] = x
    read_only = x.copy()
    read_only.flags.writeable = False
    for inputs in (x, x, unaligned, read_only, x):
        assert compiled(inputs, y).item() == eager(tg.Tensor(np.ascontiguousarray(inputs)), y).item()


def test_a_call_under_no_grad_takes_its_own_program() -> None:
    model, _ = _classifier([3, 4, 2])
    compiled = tg.compile(lambda x: model(x))
    x, _ = _batch(6, [3, 4, 2])
    assert compiled(x).requires_grad is False  # returned tensors are detached either way
    compiled(x)
    with tg.no_grad():
        compiled(x)
    assert compiled.recordings == 2
    assert {key[2] for key in compiled.programs} == {True, False}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (64, 10), (7, 130)])
def test_the_one_pass_cross_entropy_kernel_gives_the_two_kernels_bits(shape: tuple[int, int], dtype: type) -> None:
    loops = pytest.importorskip("tinygrad_vn.kernels._loops", reason="the loop kernels need numba")
    rng = np.random.default_rng(7)
    rows, classes = shape
    logits = (rng.standard_normal(shape) * 4).astype(dtype)
    logits[0, 0] = np.nan if rows > 1 else logits[0, 0]  # NaN stays in its row
    target = rng.integers(0, classes, rows)
    row_grad = rng.random(rows).astype(dtype)
    losses, probs, grad = np.empty(rows, dtype), np.empty(shape, dtype), np.empty(shape, dtype)
    loops.cross_entropy(logits, target, losses, probs)
    loops.cross_entropy_backward(probs, target, row_grad, grad)
    fused_losses, fused_grad = np.empty(rows, dtype), np.empty(shape, dtype)
    loops.cross_entropy_with_grad(logits, target, row_grad, fused_losses, fused_grad)
    np.testing.assert_array_equal(fused_losses, losses)
    np.testing.assert_array_equal(fused_grad, grad)
    sums = np.empty(classes, dtype)
    loops.column_sums(grad, sums)
    expected = np.zeros(classes, dtype)
    for row in grad:
        expected += row
    np.testing.assert_array_equal(sums, expected)
