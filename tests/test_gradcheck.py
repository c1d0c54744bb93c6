"""tg.gradcheck itself: it passes right gradients, catches wrong ones and names the worst element."""

from __future__ import annotations

import numpy as np
import pytest
from strategies import leaf

import tinygrad_vn as tg


class OffByOne(tg.Function):
    """y = x² with a backward that is wrong at one element only."""

    @staticmethod
    def forward(ctx: tg.Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx: tg.Context, grad: np.ndarray) -> np.ndarray:
        out = 2 * ctx.saved[0] * grad
        out[1, 2] += 0.5
        return out


def test_gradcheck_returns_true_for_a_correct_gradient() -> None:
    assert tg.gradcheck(lambda x, y: (x * y).sigmoid(), [leaf(np.ones((2, 3))), leaf(np.arange(3.0))]) is True
    assert tg.gradcheck(lambda x: x.exp().sum(), leaf(np.array([0.1, 0.2])))


def test_gradcheck_names_the_worst_element() -> None:
    x = leaf(np.random.default_rng(0).normal(size=(2, 3)))
    with pytest.raises(tg.GradcheckError, match=r"input 0 .*\(2, 3\).*element \(1, 2\).*1 of 6"):
        tg.gradcheck(OffByOne.apply, [x])


def test_gradcheck_checks_only_inputs_that_require_grad_and_names_the_input() -> None:
    a, b = leaf(np.ones(3)), leaf(np.ones((2, 3)), requires_grad=False)
    assert tg.gradcheck(lambda a, b: a * b, [a, b])
    with pytest.raises(tg.GradcheckError, match="input 1"):
        tg.gradcheck(lambda a, x: a * OffByOne.apply(x), [a, leaf(np.ones((2, 3)))])
    with pytest.raises(ValueError, match="nothing to check"):
        tg.gradcheck(lambda b: b * 2, [b])


def test_gradcheck_needs_float64_inputs() -> None:
    with pytest.raises(TypeError, match="float64"):
        tg.gradcheck(lambda x: x * 2, [tg.Tensor([1.0], requires_grad=True)])


def test_gradcheck_catches_a_non_finite_gradient() -> None:
    class NanGrad(tg.Function):
        @staticmethod
        def forward(ctx: tg.Context, x: np.ndarray) -> np.ndarray:
            return x.copy()

        @staticmethod
        def backward(ctx: tg.Context, grad: np.ndarray) -> np.ndarray:
            return grad * np.nan

    with pytest.raises(tg.GradcheckError):
        tg.gradcheck(NanGrad.apply, [leaf(np.ones(2))])


def test_gradcheck_leaves_inputs_and_their_grads_as_they_were() -> None:
    x = leaf(np.array([[1.0, 2.0], [3.0, 4.0]]))
    x.grad = tg.Tensor(np.full((2, 2), 7.0))
    before = x.data.copy()
    tg.gradcheck(lambda t: (t * t).sum(), [x])
    np.testing.assert_array_equal(x.data, before)
    np.testing.assert_array_equal(x.grad.data, np.full((2, 2), 7.0))


@pytest.mark.parametrize("layout", ["F", "strided"])
def test_gradcheck_perturbs_inputs_in_any_memory_layout(layout: str) -> None:
    base = np.random.default_rng(1).normal(size=(3, 4))
    x = leaf(base)
    x.data = np.asfortranarray(base) if layout == "F" else np.repeat(base, 2, axis=1)[:, ::2]
    assert not x.data.flags.c_contiguous
    assert tg.gradcheck(lambda t: (t * t).sum(axis=0), [x])
    with pytest.raises(tg.GradcheckError):
        tg.gradcheck(OffByOne.apply, [x])


def test_gradcheck_with_a_constant_output_in_some_inputs() -> None:
    a, b = leaf(np.ones(2)), leaf(np.ones(2))
    assert tg.gradcheck(lambda a, b: a * 2, [a, b])
