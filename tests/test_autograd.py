"""The engine: graph recording, reverse topological walk, accumulation, freeing, no_grad, Function."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from strategies import leaf

import tinygrad_vn as tg
from tinygrad_vn import Tensor


def test_a_100000_op_chain_backpropagates_without_recursion_error() -> None:
    x = Tensor(1.0, requires_grad=True, dtype=np.float64)
    y = x
    for _ in range(50_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert y.grad_fn.name == "Add"
    assert x.grad.item() == 1.0


def test_a_1000_input_sum_built_with_python_sum() -> None:
    xs = [Tensor(float(i), requires_grad=True) for i in range(1000)]
    total = sum(x * x for x in xs)
    total.backward()
    assert [x.grad.item() for x in xs[:3]] == [0.0, 2.0, 4.0]
    assert xs[-1].grad.item() == 2 * 999


def test_a_value_used_twice_gets_both_paths() -> None:
    a = Tensor(3.0, requires_grad=True)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad.item() == 4.0
    d = Tensor(2.0, requires_grad=True)
    (d * d * d).backward()
    assert d.grad.item() == pytest.approx(12.0)


def test_a_plus_a_keeps_both_parents_in_order() -> None:
    a = Tensor(1.0, requires_grad=True, name="a")
    b = Tensor(2.0, requires_grad=True, name="b")
    s = a + a
    assert s.grad_fn.parents == (a, a) or [id(p) for p in s.grad_fn.parents] == [id(a), id(a)]
    assert [id(p) for p in (a - b).grad_fn.parents] == [id(a), id(b)]
    assert [id(p) for p in (b - a).grad_fn.parents] == [id(b), id(a)]
    assert isinstance(s.grad_fn.parents, tuple)


def test_gradients_accumulate_across_backward_calls_until_zero_grad() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    for expected in ([2.0, 4.0], [4.0, 8.0], [6.0, 12.0]):
        (w * w).sum().backward()
        np.testing.assert_allclose(w.grad.data, expected)
    w.zero_grad()
    assert w.grad is None
    (w * 3).sum().backward()
    np.testing.assert_allclose(w.grad.data, [3.0, 3.0])


def test_intermediate_gradients_stay_out_of_the_users_way() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = h.sigmoid().sum()
    y.backward()
    assert h.grad is None and y.grad is None
    assert not h.is_leaf and x.is_leaf
    x.zero_grad()
    h2 = (x * 2).retain_grad()
    (h2 * h2).sum().backward()
    np.testing.assert_allclose(h2.grad.data, 2 * h2.data)
    np.testing.assert_allclose(x.grad.data, 8 * x.data)


def test_leaf_gradients_are_independent_arrays() -> None:
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    seed = np.array([1.0, 2.0, 3.0])
    (a + b).backward(seed)
    a.grad.data *= 10
    np.testing.assert_array_equal(b.grad.data, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(seed, [1.0, 2.0, 3.0])
    c = Tensor(np.ones(2), requires_grad=True)
    c.reshape(1, 2).backward(np.ones((1, 2)))
    assert c.grad.data.flags.writeable and c.grad.data.flags.owndata


def test_broadcasting_is_undone_by_summing_back_to_each_shape() -> None:
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones((3,)), requires_grad=True)
    c = Tensor(np.ones((2, 1)), requires_grad=True)
    (a * b + c).sum().backward()
    assert a.grad.shape == (2, 3) and b.grad.shape == (3,) and c.grad.shape == (2, 1)
    np.testing.assert_array_equal(b.grad.data, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(c.grad.data, [[3.0], [3.0]])


def test_non_scalar_backward_needs_a_grad() -> None:
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"scalar.*\(2, 2\)"):
        y.backward()
    y.backward(np.full((2, 2), 0.5))
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 2)))
    z = Tensor(np.ones((1, 1)), requires_grad=True)
    (z * 3).backward()
    assert z.grad.item() == 3.0


def test_wrong_shaped_grad_is_a_clear_error() -> None:
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"\(3, 2\).*\(2, 3\)"):
        y.backward(np.ones((3, 2)))
    with pytest.raises(RuntimeError, match="shape"):
        y.backward(Tensor(np.ones(6)))


def test_backward_on_a_tensor_without_grad_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        (Tensor([1.0]) * 2).sum().backward()


def test_second_backward_without_retain_graph_says_to_pass_it() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x.sigmoid() * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_saved_buffers_are_freed_after_backward() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.sum().backward()
    assert y.grad_fn.saved == ()


def test_retain_graph_allows_a_second_backward() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(x.grad.data, [4.0, 8.0])


def test_no_grad_records_nothing() -> None:
    x = Tensor([1.0], requires_grad=True)
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = x * 2 + 1
    assert tg.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf
    with pytest.raises(RuntimeError):
        y.sum().backward()


def test_no_grad_as_a_decorator_and_nested() -> None:
    @tg.no_grad()
    def double(t: Tensor) -> Tensor:
        return t * 2

    x = Tensor([1.0], requires_grad=True)
    assert double(x).grad_fn is None
    assert tg.is_grad_enabled()
    with tg.no_grad():
        with tg.no_grad():
            pass
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


def test_no_grad_decorator_survives_recursion_and_exceptions() -> None:
    @tg.no_grad()
    def depth(n: int) -> int:
        assert not tg.is_grad_enabled()
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(3) == 3
    assert tg.is_grad_enabled()

    @tg.no_grad()
    def fails() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError):
        fails()
    assert tg.is_grad_enabled()


def test_no_grad_is_per_thread() -> None:
    seen = []
    with tg.no_grad():
        thread = threading.Thread(target=lambda: seen.append(tg.is_grad_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]


def test_backward_works_inside_no_grad() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    with tg.no_grad():
        loss.backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def test_detach_cuts_the_graph() -> None:
    x = Tensor([2.0], requires_grad=True)
    y = x * 3
    d = y.detach()
    assert d.grad_fn is None and not d.requires_grad and d.is_leaf
    np.testing.assert_array_equal(d.data, y.data)
    (d * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [6.0])


def test_integer_tensors_cannot_require_grad() -> None:
    with pytest.raises(TypeError, match="floating-point"):
        Tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        Tensor(np.arange(3)).requires_grad_()
    with pytest.raises(TypeError, match="floating-point"):
        tg.arange(3, requires_grad=True)
    labels = Tensor([0, 2, 1])
    assert labels.dtype.kind == "i" and not labels.requires_grad


def test_requires_grad_cannot_be_switched_off_on_a_non_leaf() -> None:
    y = Tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)


def test_only_inputs_that_require_grad_get_gradients() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0])
    (a * b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [3.0, 4.0])
    assert b.grad is None


def test_grad_fn_names_the_op() -> None:
    x = Tensor([[0.5]], requires_grad=True)
    assert x.grad_fn is None
    assert x.sigmoid().grad_fn.name == "Sigmoid"
    assert (x @ x).grad_fn.name == "MatMul"
    assert x.sum().grad_fn.name == "Sum"
    assert x[0].grad_fn.name == "GetItem"


class Cube(tg.Function):
    """y = x³; dx = 3x² dy (a user-defined op)."""

    @staticmethod
    def forward(ctx: tg.Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx: tg.Context, grad: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved
        return 3 * x**2 * grad


class ScaledAdd(tg.Function):
    """y = a + k·b with a keyword attribute k; broadcasting left to the op's author."""

    @staticmethod
    def forward(ctx: tg.Context, a: np.ndarray, b: np.ndarray, k: float = 1.0) -> np.ndarray:
        ctx.k = k
        return a + k * b

    @staticmethod
    def backward(ctx: tg.Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return grad, ctx.k * grad


def test_a_user_defined_function_works_like_a_built_in_op() -> None:
    x = leaf(np.array([[0.5, -1.0], [2.0, 0.3]]))
    y = Cube.apply(x)
    assert y.grad_fn.name == "Cube"
    np.testing.assert_allclose(y.data, x.data**3)
    assert tg.gradcheck(Cube.apply, [x])
    assert tg.gradcheck(lambda a, b: ScaledAdd.apply(a, b, k=2.5).sigmoid(), [x, leaf(np.ones((2, 2)))])
    z = ScaledAdd.apply(x, 1.0, k=3.0)
    np.testing.assert_allclose(z.data, x.data + 3.0)


class WrongShape(tg.Function):
    @staticmethod
    def forward(ctx: tg.Context, x: np.ndarray) -> np.ndarray:
        return x.sum()

    @staticmethod
    def backward(ctx: tg.Context, grad: np.ndarray) -> np.ndarray:
        return grad


def test_a_user_op_returning_a_wrong_shaped_gradient_is_caught() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"WrongShape.*\(2,\)"):
        WrongShape.apply(x).backward()


def test_function_apply_needs_a_tensor() -> None:
    with pytest.raises(TypeError, match="Tensor"):
        Cube.apply(np.ones(2))
