"""The elementwise ops added for PyTorch parity: gradients against finite differences, values against PyTorch.

where, minimum, sign, square, reciprocal, rsqrt, sin, cos, log1p, expm1, log2, floor, ceil, round, pow,
the comparison methods, the bitwise operators and the logical functions.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays, away_from, broadcastable_shapes, leaf, shapes

import tinygrad_vn as tg

# name: (our op, PyTorch's, where the op is smooth enough for finite differences)
UNARY: dict[str, tuple[Callable, str, str | tuple[float, ...] | None]] = {
    "sign": (lambda x: x.sign(), "sign", (0.0,)),
    "square": (lambda x: x.square(), "square", None),
    "reciprocal": (lambda x: x.reciprocal(), "reciprocal", "nonzero"),
    "rsqrt": (lambda x: x.rsqrt(), "rsqrt", "positive"),
    "sin": (lambda x: x.sin(), "sin", None),
    "cos": (lambda x: x.cos(), "cos", None),
    "log1p": (lambda x: x.log1p(), "log1p", "positive"),
    "expm1": (lambda x: x.expm1(), "expm1", None),
    "log2": (lambda x: x.log2(), "log2", "positive"),
    "floor": (lambda x: x.floor(), "floor", (-2.0, -1.0, 0.0, 1.0, 2.0)),
    "ceil": (lambda x: x.ceil(), "ceil", (-2.0, -1.0, 0.0, 1.0, 2.0)),
    "round": (lambda x: x.round(), "round", (-1.5, -0.5, 0.5, 1.5)),
    "pow3": (lambda x: x.pow(3), "pow3", None),
}

FUNCTION_FORMS = ["sign", "square", "reciprocal", "rsqrt", "sin", "cos", "log1p", "expm1", "log2", "floor", "ceil",
                  "round", "exp", "log", "sqrt", "abs"]


def smooth(array: np.ndarray, domain: str | tuple[float, ...] | None) -> np.ndarray:
    """Inputs inside the op's domain and off its jumps."""
    if domain == "positive":
        return np.abs(array) + 0.2
    if domain == "nonzero":
        return np.where(array >= 0, array + 0.3, array - 0.3)
    if domain:
        return away_from(array, domain, margin=0.02)
    return array


def torch_unary(torch, name: str, x):
    return x.pow(3) if name == "pow3" else getattr(torch, name)(x)


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_unary_gradients_match_finite_differences(name: str, data: st.DataObject) -> None:
    op, _, domain = UNARY[name]
    x = leaf(smooth(data.draw(arrays(data.draw(shapes()))), domain))
    assert tg.gradcheck(op, [x])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_forward_and_backward_equal_pytorch(name: str, dtype: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    op, _, domain = UNARY[name]
    values = smooth(np.random.default_rng(1).uniform(-2, 2, (3, 4)), domain).astype(dtype)
    upstream = np.random.default_rng(2).uniform(0.5, 1.5, (3, 4)).astype(dtype)
    x = tg.tensor(values, requires_grad=True)
    out = op(x)
    out.backward(upstream)
    reference = torch.tensor(values, requires_grad=True)
    expected = torch_unary(torch, name, reference)
    expected.backward(torch.tensor(upstream))
    tolerance = {"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-12, "atol": 1e-12}
    assert out.dtype == np.dtype(dtype) and x.grad.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), **tolerance)
    np.testing.assert_allclose(x.grad.numpy(), reference.grad.numpy(), **tolerance)


def test_gradient_is_zero_at_the_jumps_as_pytorch() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    points = np.array([-2.0, -1.5, -0.5, 0.0, 0.5, 1.0, 2.5], dtype=np.float32)
    for name in ["sign", "floor", "ceil", "round"]:
        x = tg.tensor(points, requires_grad=True)
        UNARY[name][0](x).sum().backward()
        reference = torch.tensor(points, requires_grad=True)
        getattr(torch, name)(reference).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), reference.grad.numpy())
        assert not x.grad.numpy().any(), name


def test_rounding_keeps_halves_to_even_and_decimals_as_pytorch() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    values = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 1.2345, 7.891], dtype=np.float32)
    np.testing.assert_array_equal(tg.tensor(values).round().numpy(), torch.round(torch.tensor(values)).numpy())
    np.testing.assert_allclose(tg.tensor(values).round(2).numpy(),
                               torch.round(torch.tensor(values), decimals=2).numpy(), rtol=1e-6)
    with pytest.raises(TypeError, match="decimals must be an integer"):
        tg.tensor(values).round(0.5)


def test_integer_inputs_get_pytorchs_result_dtypes() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    counts = np.array([1, 2, 4], dtype=np.int64)
    for name in ["sin", "cos", "log2", "log1p", "expm1", "rsqrt", "reciprocal", "floor", "ceil", "round", "sign",
                 "square", "exp", "log", "sqrt", "abs"]:
        ours = getattr(tg.tensor(counts), name)()
        theirs = getattr(torch.tensor(counts), name)()
        assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch.")), name
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, err_msg=name)


def test_sign_keeps_nan_where_pytorch_gives_zero() -> None:
    out = tg.tensor([float("nan"), -3.0, 0.0, 2.0]).sign().numpy()
    assert np.isnan(out[0])
    np.testing.assert_array_equal(out[1:], [-1.0, 0.0, 1.0])


@pytest.mark.parametrize("name", FUNCTION_FORMS)
def test_function_forms_equal_the_methods(name: str) -> None:
    x = tg.tensor([0.3, 1.7, 2.5])
    np.testing.assert_array_equal(getattr(tg, name)(x).numpy(), getattr(x, name)().numpy())
    np.testing.assert_array_equal(getattr(tg, name)([0.3, 1.7, 2.5]).numpy(), getattr(x, name)().numpy())


# ---------------------------------------------------------------------- minimum, where, pow


@given(data=st.data())
def test_minimum_gradients_with_broadcasting(data: st.DataObject) -> None:
    shape_a, shape_b = data.draw(broadcastable_shapes(2))
    a = leaf(data.draw(arrays(shape_a)))
    b = leaf(data.draw(arrays(shape_b)))
    assert tg.gradcheck(tg.minimum, [a, b])


@given(data=st.data())
def test_where_gradients_with_broadcasting(data: st.DataObject) -> None:
    shape_c, shape_a, shape_b = data.draw(broadcastable_shapes(3))
    condition = tg.tensor(data.draw(arrays(shape_c)) > 0)
    a = leaf(data.draw(arrays(shape_a)))
    b = leaf(data.draw(arrays(shape_b)))
    assert tg.gradcheck(lambda x, y: tg.where(condition, x, y), [a, b])


@given(data=st.data())
def test_pow_method_gradients_with_a_tensor_exponent(data: st.DataObject) -> None:
    shape_a, shape_b = data.draw(broadcastable_shapes(2))
    base = leaf(np.abs(data.draw(arrays(shape_a))) + 0.3)
    exponent = leaf(data.draw(arrays(shape_b)))
    assert tg.gradcheck(lambda x, y: x.pow(y), [base, exponent])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_minimum_with_ties_and_nan_equals_pytorch(dtype: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    a_values = np.array([[1.0, 2.0, np.nan, 3.0], [0.5, -1.0, 4.0, 2.0]], dtype=dtype)
    b_values = np.array([1.0, 3.0, 0.0, np.nan], dtype=dtype)
    a, b = tg.tensor(a_values, requires_grad=True), tg.tensor(b_values, requires_grad=True)
    out = a.minimum(b)
    out.sum().backward()
    ta, tb = torch.tensor(a_values, requires_grad=True), torch.tensor(b_values, requires_grad=True)
    expected = torch.minimum(ta, tb)
    expected.sum().backward()
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
    np.testing.assert_array_equal(a.grad.numpy(), ta.grad.numpy())
    np.testing.assert_array_equal(b.grad.numpy(), tb.grad.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_where_with_broadcasting_equals_pytorch(dtype: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    rng = np.random.default_rng(3)
    mask = rng.random((3, 1)) > 0.4
    a_values, b_values = rng.normal(size=(3, 4)).astype(dtype), rng.normal(size=(4,)).astype(dtype)
    a, b = tg.tensor(a_values, requires_grad=True), tg.tensor(b_values, requires_grad=True)
    out = tg.where(tg.tensor(mask), a, b)
    (out * out).sum().backward()
    ta, tb = torch.tensor(a_values, requires_grad=True), torch.tensor(b_values, requires_grad=True)
    expected = torch.where(torch.tensor(mask), ta, tb)
    (expected * expected).sum().backward()
    tolerance = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=tolerance)
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=tolerance)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=tolerance)


def test_where_passes_no_gradient_to_the_unchosen_branch_but_its_nan_reaches_the_input_as_in_pytorch() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    values = np.array([-1.0, 4.0, 9.0], dtype=np.float32)
    x = tg.tensor(values, requires_grad=True)
    with np.errstate(invalid="ignore"):
        branch = x.sqrt()
        branch.retain_grad()
        tg.where(x > 0, branch, tg.zeros(3)).sum().backward()
    reference = torch.tensor(values, requires_grad=True)
    torch_branch = reference.sqrt()
    torch_branch.retain_grad()
    torch.where(reference > 0, torch_branch, torch.zeros(3)).sum().backward()
    np.testing.assert_array_equal(branch.grad.numpy(), [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(branch.grad.numpy(), torch_branch.grad.numpy())
    np.testing.assert_allclose(x.grad.numpy(), reference.grad.numpy())  # NaN at -1 in both: 0 · ∞ from sqrt's rule


def test_where_types_numbers_from_the_tensor_beside_them_as_pytorch() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    mask = [True, False]
    cases = [(np.ones(2, np.float64), 0), (np.ones(2, np.int64), 0.5), (1.0, 0), (2, 3), (np.ones(2, np.int32), 7)]
    for first, second in cases:
        ours = tg.where(tg.tensor(mask), *[tg.tensor(v) if isinstance(v, np.ndarray) else v for v in (first, second)])
        theirs = torch.where(torch.tensor(mask), *[torch.tensor(v) if isinstance(v, np.ndarray) else v
                                                   for v in (first, second)])
        assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch.")), (first, second)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    x = tg.tensor([1.0, -2.0])
    np.testing.assert_array_equal(x.where(x > 0, 0.0).numpy(), [1.0, 0.0])


def test_where_and_minimum_refuse_bad_arguments_clearly() -> None:
    with pytest.raises(TypeError, match="condition must be a bool tensor"):
        tg.where(tg.tensor([1.0, 0.0]), tg.ones(2), tg.zeros(2))
    with pytest.raises(ValueError, match=r"where: shapes \(2,\), \(3,\) and \(2,\)"):
        tg.where(tg.tensor([True, False]), tg.ones(3), tg.zeros(2))
    with pytest.raises(ValueError, match=r"minimum: shapes \(2,\) and \(3,\)"):
        tg.minimum(tg.ones(2), tg.ones(3))


# ---------------------------------------------------------------------- comparisons and logic

COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge"]


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparison_methods_equal_pytorch(name: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    a_values = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], dtype=np.float32)
    b_values = np.array([2.0, 2.0, 2.0], dtype=np.float32)
    for other, torch_other in [(tg.tensor(b_values), torch.tensor(b_values)), (2.0, 2.0)]:
        ours = getattr(tg.tensor(a_values), name)(other)
        theirs = getattr(torch.tensor(a_values), name)(torch_other)
        assert ours.dtype == np.bool_ and not ours.requires_grad
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        np.testing.assert_array_equal(getattr(tg, name)(tg.tensor(a_values), other).numpy(), theirs.numpy())


def test_bitwise_operators_on_bool_and_integer_tensors_equal_pytorch() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    p, q = np.array([True, True, False, False]), np.array([True, False, True, False])
    n, m = np.array([1, 6, 12, -3]), np.array([3, 5, 10, 7])
    pairs = [(p, q), (n, m), (p, n)]
    for left, right in pairs:
        for symbol, operation in [("&", operator.and_), ("|", operator.or_), ("^", operator.xor)]:
            ours = operation(tg.tensor(left), tg.tensor(right))
            theirs = operation(torch.tensor(left), torch.tensor(right))
            assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch.")), symbol
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=symbol)
    np.testing.assert_array_equal((~tg.tensor(p)).numpy(), (~torch.tensor(p)).numpy())
    np.testing.assert_array_equal((~tg.tensor(n)).numpy(), (~torch.tensor(n)).numpy())
    np.testing.assert_array_equal((True & tg.tensor(q)).numpy(), q)
    mask = tg.tensor(p)
    mask &= tg.tensor(q)
    np.testing.assert_array_equal(mask.numpy(), p & q)


def test_bitwise_operators_refuse_float_tensors_clearly() -> None:
    x = tg.tensor([1.0, 0.0])
    with pytest.raises(TypeError, match=r"& needs bool or integer tensors, not float32"):
        _ = x & x
    with pytest.raises(TypeError, match=r"~ needs bool or integer tensors"):
        _ = ~x


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_functions_equal_pytorch(name: str) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is needed to compare with it")
    a_values = np.array([0.0, 1.5, -2.0, 0.0], dtype=np.float32)
    b_values = np.array([0, 0, 3, 4])
    ours = getattr(tg.tensor(a_values), name)(tg.tensor(b_values))
    theirs = getattr(torch, name)(torch.tensor(a_values), torch.tensor(b_values))
    assert ours.dtype == np.bool_
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(getattr(tg, name)(tg.tensor(a_values), tg.tensor(b_values)).numpy(), theirs.numpy())
    np.testing.assert_array_equal(tg.logical_not(tg.tensor(a_values)).numpy(),
                                  torch.logical_not(torch.tensor(a_values)).numpy())


# ---------------------------------------------------------------------- drawing and explaining


def test_graphs_of_the_new_ops_draw_and_explain_with_their_rules() -> None:
    x = tg.tensor([-1.0, 0.5, 2.0], requires_grad=True, name="x")
    loss = tg.where(x > 0, x.sin(), x.cos()).minimum(0.6).rsqrt().sum()
    dot = tg.viz.to_dot(loss)
    for label in ["Where", "Sin", "Cos", "Minimum", "Rsqrt", "sin x", "cos x"]:
        assert label in dot, label
    text = tg.explain(loss)
    assert "dx = d(sin x) ⊙ cos x" in text and "dx = −d(cos x) ⊙ sin x" in text
    assert "Where:" in text and "Rsqrt:" in text
