"""Creation functions as PyTorch's: full, *_like, eye, linspace, randint, uniform, normal, from_numpy, fills."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import tinygrad_vn as tg


def torch_dtype_name(dtype) -> str:
    return str(dtype).removeprefix("torch.")


# ---------------------------------------------------------------------- fixed values


@pytest.mark.parametrize("fill", [7, 2.5, True, -1])
def test_full_takes_its_dtype_from_the_value_as_pytorch(fill: float) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    ours, theirs = tg.full((2, 3), fill), torch.full((2, 3), fill)
    assert ours.dtype == np.dtype(torch_dtype_name(theirs.dtype))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert tg.full([4], fill, dtype=tg.float64).dtype == np.float64


def test_full_and_like_factories_take_dtype_and_requires_grad() -> None:
    base = tg.tensor([[1, 2], [3, 4]])
    for made, value in [(tg.zeros_like(base), 0), (tg.ones_like(base), 1), (tg.full_like(base, 9), 9)]:
        assert made.dtype == np.int64 and made.shape == (2, 2) and (made.numpy() == value).all()
    assert tg.zeros_like(base, dtype=tg.float32).dtype == np.float32
    grown = tg.full_like(base, 0.5, dtype=tg.float64, requires_grad=True)
    assert grown.requires_grad and grown.is_leaf and grown.dtype == np.float64
    assert tg.ones_like(grown, requires_grad=True).requires_grad
    assert tg.full((2,), 1.0, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        tg.full((2,), 3, requires_grad=True)
    with pytest.raises(TypeError, match="fill_value must be a number"):
        tg.full((2,), "x")
    with pytest.raises(TypeError, match="size is required"):
        tg.full(None, 1.0)


def test_eye_equals_pytorchs() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    for args in [(3,), (2, 4), (4, 2), (0,)]:
        ours, theirs = tg.eye(*args), torch.eye(*args)
        assert ours.dtype == np.float32 and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert tg.eye(2, dtype=tg.long).dtype == np.int64
    with pytest.raises(ValueError, match="must not be negative"):
        tg.eye(-1)


@pytest.mark.parametrize(("start", "end", "steps", "dtype"), [
    (0, 1, 5, "float32"), (-3.14159, 3.14159, 2000, "float32"), (10, -2, 7, "float64"), (-3, 10, 6, "int64"),
    (1, 1, 1, "float32"), (0, 5, 0, "float32"),
])
def test_linspace_equals_pytorchs(start: float, end: float, steps: int, dtype: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    ours = tg.linspace(start, end, steps, dtype=dtype)
    theirs = torch.linspace(start, end, steps, dtype=getattr(torch, dtype))
    assert ours.dtype == np.dtype(dtype) and ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)


def test_linspace_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="steps must be a non-negative integer"):
        tg.linspace(0, 1, -1)
    with pytest.raises(ValueError, match="steps must be a non-negative integer"):
        tg.linspace(0, 1, 2.5)
    with pytest.raises(TypeError, match="end must be a number"):
        tg.linspace(0, "1", 3)


def test_from_numpy_shares_memory_and_keeps_the_dtype() -> None:
    array = np.arange(6.0).reshape(2, 3)
    t = tg.from_numpy(array)
    assert t.dtype == np.float64 and np.shares_memory(t.numpy(), array)
    array[0, 0] = 42.0
    assert t[0, 0].item() == 42.0
    t += 1
    assert array[0, 0] == 43.0
    with pytest.raises(TypeError, match=r"from_numpy expects an np\.ndarray, not list"):
        tg.from_numpy([1.0, 2.0])
    with pytest.raises(TypeError, match="not complex128"):
        tg.from_numpy(np.zeros(2, dtype=complex))


# ---------------------------------------------------------------------- random


def test_randint_draws_in_range_with_pytorchs_signatures() -> None:
    tg.manual_seed(0)
    high_only = tg.randint(3, (1000,))
    assert high_only.dtype == np.int64 and set(np.unique(high_only.numpy())) == {0, 1, 2}
    both = tg.randint(-2, 2, size=(10, 10))
    assert both.shape == (10, 10) and both.numpy().min() >= -2 and both.numpy().max() <= 1
    assert tg.randint(0, 5, (3,), dtype=tg.float32).dtype == np.float32
    with pytest.raises(ValueError, match="low must be less than high, got low=5, high=5"):
        tg.randint(5, 5, (2,))
    with pytest.raises(TypeError, match="size is required"):
        tg.randint(0, 5)
    with pytest.raises(TypeError, match="high must be an integer"):
        tg.randint(0, 2.5, (2,))


def test_uniform_and_normal_draw_the_asked_distribution() -> None:
    tg.manual_seed(1)
    spread = tg.uniform(-3.0, 5.0, (20000,)).numpy()
    assert spread.dtype == np.float32 and spread.min() >= -3.0 and spread.max() < 5.0
    assert abs(spread.mean() - 1.0) < 0.1
    bell = tg.normal(2.0, 0.5, size=(20000,)).numpy()
    assert abs(bell.mean() - 2.0) < 0.02 and abs(bell.std() - 0.5) < 0.02
    assert tg.normal(0.0, 1.0, (3,), dtype=tg.float64).dtype == np.float64
    by_tensor = tg.normal(tg.tensor([0.0, 100.0, -100.0]), tg.tensor([1.0, 0.0, 2.0]))
    assert by_tensor.shape == (3,) and by_tensor.numpy()[1] == 100.0 and abs(by_tensor.numpy()[2] + 100) < 20
    assert not by_tensor.requires_grad


def test_random_factories_refuse_bad_arguments_as_pytorch() -> None:
    with pytest.raises(ValueError, match="std must be non-negative"):
        tg.normal(0.0, -1.0, (2,))
    with pytest.raises(TypeError, match="size is required"):
        tg.normal(0.0, 1.0)
    with pytest.raises(ValueError, match="low must not exceed high"):
        tg.uniform(2.0, 1.0, (2,))
    with pytest.raises(TypeError, match="dtype int64 cannot hold them"):
        tg.rand_like(tg.tensor([1, 2]))
    with pytest.raises(TypeError, match="randn draws floating-point samples"):
        tg.randn(2, dtype=tg.long)
    with pytest.raises(ValueError, match="cannot be broadcast together"):
        tg.normal(tg.zeros(2), tg.ones(3))


def test_like_samplers_follow_the_template_and_the_global_seed() -> None:
    template = tg.zeros(3, 2, dtype=tg.float64)
    tg.manual_seed(5)
    first = [tg.randn_like(template).numpy(), tg.rand_like(template).numpy()]
    tg.manual_seed(5)
    second = [tg.randn(3, 2, dtype=tg.float64).numpy(), tg.rand(3, 2, dtype=tg.float64).numpy()]
    for a, b in zip(first, second, strict=True):
        assert a.dtype == np.float64 and a.shape == (3, 2)
        np.testing.assert_array_equal(a, b)
    assert tg.rand_like(template, dtype=tg.float32).dtype == np.float32


SAMPLERS: dict[str, Callable[[], tg.Tensor]] = {
    "randint": lambda: tg.randint(0, 100, (4,)).float(),
    "uniform": lambda: tg.uniform(-1.0, 1.0, (4,)),
    "normal": lambda: tg.normal(3.0, 2.0, (4,)),
    "randn_like": lambda: tg.randn_like(tg.zeros(4)),
    "rand_like": lambda: tg.rand_like(tg.zeros(4)),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_random_factories_replay_fresh_inside_a_compiled_step(name: str) -> None:
    sample = SAMPLERS[name]

    def step(x: tg.Tensor) -> tg.Tensor:
        return x + sample()

    tg.manual_seed(3)
    eager = [step(tg.zeros(4)).tolist() for _ in range(3)]
    tg.manual_seed(3)
    compiled = tg.compile(step)
    replayed = [compiled(np.zeros(4, np.float32)).tolist() for _ in range(3)]
    assert replayed == eager
    assert eager[0] != eager[1] != eager[2]


def test_in_place_fills_draw_from_the_generator_and_respect_gradient_rules() -> None:
    weight = tg.zeros(2000, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        weight.uniform_(-1.0, 1.0)
    with tg.no_grad():
        array = weight.data
        weight.uniform_(-1.0, 1.0)
        assert weight.data is array and weight._version == 1
        assert weight.numpy().min() >= -1.0 and weight.numpy().max() < 1.0 and weight.numpy().std() > 0.5
        weight.normal_(0.0, 0.01)
        assert abs(weight.numpy().std() - 0.01) < 0.002
    tg.manual_seed(9)
    filled = tg.zeros(5).normal_(1.0, 2.0).numpy()
    tg.manual_seed(9)
    np.testing.assert_array_equal(filled, tg.normal(1.0, 2.0, (5,)).numpy())
    with pytest.raises(TypeError, match="floating-point samples"):
        tg.zeros(3, dtype=tg.long).uniform_()
