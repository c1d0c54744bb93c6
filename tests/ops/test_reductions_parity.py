"""The reductions and sorts PyTorch users expect: gradients against finite differences (float64, random shapes,
non-contiguous layouts), values and gradients against PyTorch's in float32 and float64, PyTorch's results at the
special points (zeros in prod, a zero norm, one-element std, ties, NaN), and clear errors for bad arguments."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import arrays, leaf, shapes

import tinygrad_vn as tg
from tinygrad_vn import Tensor


@st.composite
def array_and_dim(draw: st.DrawFn, min_dims: int = 1, low: float = -2.0, high: float = 2.0) -> tuple[np.ndarray, int]:
    """A float64 array (any layout) and one of its dims, possibly negative."""
    array = draw(arrays(draw(shapes(min_dims, 3)), low, high))
    return array, draw(st.integers(-array.ndim, array.ndim - 1))


@st.composite
def array_and_dims(draw: st.DrawFn) -> tuple[np.ndarray, tuple[int, ...] | None]:
    """A float64 array and a reduction's dims: None (all) or a non-empty set of them."""
    array = draw(arrays(draw(shapes(1, 3))))
    if draw(st.booleans()):
        return array, None
    dims = draw(st.lists(st.integers(0, array.ndim - 1), min_size=1, max_size=array.ndim, unique=True))
    return array, tuple(dims)


def well_separated(array: np.ndarray, dim: int | None = None, gap: float = 1e-3) -> bool:
    """Whether the values along ``dim`` (all of them for None) are at least ``gap`` apart, so that finite
    differences cannot reorder them."""
    values = array.reshape(-1, 1) if dim is None else np.moveaxis(array, dim, -1).reshape(-1, array.shape[dim]).T
    ordered = np.sort(values, axis=0)
    return ordered.shape[0] < 2 or bool(np.diff(ordered, axis=0).min() > gap)


# ----------------------------------------------------------------------------- gradients, finite differences


@given(array_and_dims(), st.booleans())
def test_logsumexp_gradcheck(case: tuple[np.ndarray, Any], keepdim: bool) -> None:
    array, dims = case
    assert tg.gradcheck(lambda x: x.logsumexp(dims, keepdim), [leaf(array)])


@given(array_and_dims(), st.sampled_from([0, 1, 0.5]), st.booleans())
def test_var_and_std_gradcheck(case: tuple[np.ndarray, Any], correction: float, keepdim: bool) -> None:
    array, dims = case
    count = array.size if dims is None else int(np.prod([array.shape[d] for d in dims]))
    assume(count > correction)
    assert tg.gradcheck(lambda x: x.var(dims, keepdim=keepdim, correction=correction), [leaf(array)])
    assert tg.gradcheck(lambda x: x.std(dims, keepdim=keepdim, correction=correction), [leaf(array)])


@given(array_and_dims(), st.booleans(), st.booleans())
def test_prod_gradcheck_with_and_without_zeros(case: tuple[np.ndarray, Any], keepdim: bool, zero: bool) -> None:
    array, dims = case
    if zero:
        array = array.copy()
        array.flat[0] = 0.0
    assert tg.gradcheck(lambda x: x.prod(dims, keepdim), [leaf(array)])


@given(array_and_dims(), st.sampled_from([2, "fro", 1, 3, 0.5, float("inf"), -float("inf")]), st.booleans())
def test_norm_gradcheck(case: tuple[np.ndarray, Any], p: Any, keepdim: bool) -> None:
    array, dims = case
    array = np.where(np.abs(array) < 0.05, 0.3, array)  # away from |x| = 0, where |x| has a kink
    if p in (float("inf"), -float("inf")):
        magnitudes = np.abs(array)
        assume(well_separated(magnitudes) if dims is None else all(well_separated(magnitudes, d) for d in dims))
    assert tg.gradcheck(lambda x: x.norm(p, dims, keepdim), [leaf(array)])


@given(array_and_dim())
def test_cumsum_gradcheck(case: tuple[np.ndarray, int]) -> None:
    array, dim = case
    assert tg.gradcheck(lambda x: x.cumsum(dim), [leaf(array)])


@given(array_and_dim(), st.booleans())
def test_sort_and_topk_values_gradcheck(case: tuple[np.ndarray, int], descending: bool) -> None:
    array, dim = case
    assume(well_separated(array, dim))
    k = max(1, array.shape[dim] // 2)
    assert tg.gradcheck(lambda x: x.sort(dim, descending).values, [leaf(array)])
    assert tg.gradcheck(lambda x: x.topk(k, dim, largest=not descending).values, [leaf(array)])


@given(array_and_dim(), st.booleans())
def test_max_min_with_dim_and_amax_amin_gradcheck(case: tuple[np.ndarray, int], keepdim: bool) -> None:
    array, dim = case
    assume(well_separated(array, dim))
    for method in ("max", "min"):
        assert tg.gradcheck(lambda x, m=method: getattr(x, m)(dim, keepdim).values, [leaf(array)])
        assert tg.gradcheck(lambda x, m=method: getattr(x, "a" + m)(dim, keepdim), [leaf(array)])


# ----------------------------------------------------------------------------- against PyTorch

try:
    import torch
except ImportError:  # the tests that compare with PyTorch skip, saying so
    torch = None


def needs_torch() -> Any:
    """PyTorch, or skip the test that needs it."""
    return pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0)")


# name -> (ours, PyTorch's); each takes the library's tensor and gives one differentiable tensor
AGAINST_TORCH: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "sum dim keepdim": (lambda x: x.sum(dim=1, keepdim=True), lambda x: x.sum(dim=1, keepdim=True)),
    "mean dims": (lambda x: x.mean(dim=(0, 2)), lambda x: x.mean(dim=(0, 2))),
    "max": (lambda x: x.max(), lambda x: x.max()),
    "max dim": (lambda x: x.max(1).values, lambda x: x.max(1).values),
    "min dim keepdim": (lambda x: x.min(dim=-1, keepdim=True).values, lambda x: x.min(dim=-1, keepdim=True).values),
    "amax dims": (lambda x: x.amax(dim=(0, 1)), lambda x: x.amax(dim=(0, 1))),
    "amin": (lambda x: x.amin(2), lambda x: x.amin(2)),
    "logsumexp": (lambda x: x.logsumexp(1), lambda x: x.logsumexp(1)),
    "logsumexp dims keepdim": (lambda x: tg.logsumexp(x, (1, 2), True), lambda x: torch.logsumexp(x, (1, 2), True)),
    "var": (lambda x: x.var(), lambda x: x.var()),
    "var dim unbiased": (lambda x: x.var(1, False), lambda x: x.var(1, False)),
    "var correction": (lambda x: tg.var(x, dim=(0, 2), correction=0.5, keepdim=True),
                       lambda x: torch.var(x, dim=(0, 2), correction=0.5, keepdim=True)),
    "var bool": (lambda x: x.var(False), lambda x: x.var(False)),
    "std": (lambda x: x.std(0), lambda x: x.std(0)),
    "std correction 0": (lambda x: tg.std(x, 2, correction=0), lambda x: torch.std(x, 2, correction=0)),
    "prod": (lambda x: x.prod(), lambda x: x.prod()),
    "prod dim": (lambda x: tg.prod(x, 1, keepdim=True), lambda x: torch.prod(x, 1, keepdim=True)),
    "norm": (lambda x: x.norm(), lambda x: x.norm()),
    "norm 1 dim": (lambda x: x.norm(1, dim=1), lambda x: x.norm(1, dim=1)),
    "norm inf": (lambda x: tg.norm(x, float("inf"), 2), lambda x: torch.norm(x, float("inf"), 2)),
    "norm -inf": (lambda x: x.norm(-float("inf"), 0), lambda x: x.norm(-float("inf"), 0)),
    "norm 3 keepdim": (lambda x: x.norm(3, (0, 1), True), lambda x: x.norm(3, (0, 1), True)),
    "norm fro dims": (lambda x: x.norm("fro", dim=(1, 2)), lambda x: x.norm("fro", dim=(1, 2))),
    "cumsum": (lambda x: x.cumsum(1), lambda x: x.cumsum(1)),
    "cumsum last": (lambda x: tg.cumsum(x, dim=-1), lambda x: torch.cumsum(x, dim=-1)),
    "sort": (lambda x: x.sort().values, lambda x: x.sort().values),
    "sort descending dim": (lambda x: tg.sort(x, 0, descending=True).values,
                            lambda x: torch.sort(x, 0, descending=True).values),
    "topk": (lambda x: x.topk(2).values, lambda x: x.topk(2).values),
    "topk smallest dim": (lambda x: tg.topk(x, 2, dim=1, largest=False).values,
                          lambda x: torch.topk(x, 2, dim=1, largest=False).values),
    "softmax dim": (lambda x: x.softmax(dim=1), lambda x: x.softmax(dim=1)),
    "log_softmax dim": (lambda x: tg.functional.log_softmax(x, dim=0),
                        lambda x: torch.nn.functional.log_softmax(x, dim=0)),
    "cat dim": (lambda x: tg.cat([x, x * 2], dim=1), lambda x: torch.cat([x, x * 2], dim=1)),
    "stack dim": (lambda x: tg.stack([x, x * 2], dim=-1), lambda x: torch.stack([x, x * 2], dim=-1)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(AGAINST_TORCH))
def test_values_and_gradients_match_pytorch(name: str, dtype: Any) -> None:
    needs_torch()
    ours_fn, theirs_fn = AGAINST_TORCH[name]
    data = np.random.default_rng(sum(map(ord, name))).uniform(0.2, 2.0, (3, 4, 5)).astype(dtype)
    data *= np.where(np.random.default_rng(1).random(data.shape) < 0.5, -1, 1).astype(dtype)
    ours = tg.tensor(data, requires_grad=True)
    theirs = torch.tensor(data, requires_grad=True, dtype=torch.float64)
    out, ref = ours_fn(ours), theirs_fn(theirs)
    assert out.dtype == data.dtype and out.shape == tuple(ref.shape)
    weights = np.random.default_rng(2).uniform(0.5, 1.5, out.shape).astype(dtype)
    out.backward(weights)
    ref.backward(torch.tensor(weights))
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=tolerance * 10, atol=tolerance)
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=tolerance * 10, atol=tolerance)


@pytest.mark.parametrize("name", ["max", "min", "sort", "topk", "argsort", "argmax", "argmin"])
def test_indices_match_pytorch(name: str) -> None:
    needs_torch()
    data = np.random.default_rng(3).normal(size=(3, 6)).round(1)  # rounding makes ties
    ours, theirs = tg.tensor(data), torch.tensor(data)
    calls = {"max": lambda x: x.max(1).indices, "min": lambda x: x.min(dim=0, keepdim=True).indices,
             "sort": lambda x: x.sort(dim=1, descending=True, stable=True).indices,
             "topk": lambda x: x.topk(6, dim=1, largest=False).indices,
             "argsort": lambda x: x.argsort(dim=0, stable=True), "argmax": lambda x: x.argmax(1, keepdim=True),
             "argmin": lambda x: x.argmin()}
    mine, ref = calls[name](ours), calls[name](theirs)
    assert mine.dtype == np.int64 and mine.shape == tuple(ref.shape)
    if name == "topk":  # PyTorch's topk does not promise an order among ties; the values must agree
        np.testing.assert_array_equal(np.take_along_axis(data, mine.data, 1), np.take_along_axis(data, ref.numpy(), 1))
    else:
        np.testing.assert_array_equal(mine.data, ref.numpy())


def test_max_with_dim_gives_the_gradient_to_the_first_tie_and_amax_splits_it_as_pytorch() -> None:
    needs_torch()
    data = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 5.0]])
    for ours_fn, theirs_fn in [(lambda x: x.max(dim=1).values, lambda x: x.max(dim=1).values),
                               (lambda x: x.amax(1), lambda x: x.amax(1)),
                               (lambda x: x.max(), lambda x: x.max()),
                               (lambda x: x.min(0).values, lambda x: x.min(0).values)]:
        ours, theirs = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True, dtype=torch.float64)
        ours_fn(ours).sum().backward()
        theirs_fn(theirs).sum().backward()
        np.testing.assert_array_equal(ours.grad.data, theirs.grad.numpy())


def test_axis_spelling_keeps_the_array_api_max() -> None:
    x = tg.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 5.0]], requires_grad=True)
    values = x.max(axis=1)
    assert isinstance(values, Tensor) and values.tolist() == [3.0, 5.0]
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 0.5, 0.5], [0.0, 0.0, 1.0]])
    result = x.max(1)
    assert isinstance(result, tg.ValuesIndices) and result._fields == ("values", "indices")
    values, indices = result
    assert values.tolist() == [3.0, 5.0] and indices.tolist() == [1, 2]


SPECIAL_POINTS: dict[str, tuple[list[Any], Callable[[Any], Any]]] = {
    "prod with one zero": ([2.0, 0.0, 3.0], lambda x: x.prod()),
    "prod with two zeros": ([0.0, 0.0, 3.0], lambda x: x.prod()),
    "prod with zeros per row": ([[0.0, 2.0], [3.0, 4.0]], lambda x: x.prod(1)),
    "prod with zeros down a column": ([[0.0, 2.0], [0.0, 4.0]], lambda x: x.prod(0)),
    "norm at 0": ([0.0, 0.0, 0.0], lambda x: x.norm()),
    "norm 1 at 0": ([0.0, 1.0, -2.0], lambda x: x.norm(1)),
    "norm inf at 0": ([0.0, 0.0], lambda x: x.norm(float("inf"))),
    "norm inf ties": ([2.0, -2.0, 1.0], lambda x: x.norm(float("inf"))),
    "norm 0.5 with a zero": ([0.0, -2.0, 2.0, 1.0], lambda x: x.norm(0.5)),
    "norm -1 with a zero": ([0.0, -2.0, 2.0, 1.0], lambda x: x.norm(-1)),
    "norm rows at 0": ([[0.0, 0.0], [3.0, 4.0]], lambda x: x.norm(dim=1)),
    "std of equal values": ([2.0, 2.0], lambda x: x.std()),
    "std of one element": ([2.0], lambda x: x.std()),
    "var of one element": ([2.0], lambda x: x.var()),
    "std of one element, correction 0": ([2.0], lambda x: x.std(correction=0)),
    "logsumexp of -inf": ([-np.inf, -np.inf], lambda x: x.logsumexp(0)),
    "logsumexp with inf": ([np.inf, 1.0], lambda x: x.logsumexp(0)),
    "logsumexp large": ([1000.0, 1000.0, -1000.0], lambda x: x.logsumexp(0)),
    "max with NaN": ([1.0, np.nan, 3.0], lambda x: x.max(0).values),
    "sort with NaN": ([np.nan, 1.0, np.nan, 0.0], lambda x: x.sort().values),
    "sort descending with NaN": ([np.nan, 1.0, np.nan, 0.0], lambda x: x.sort(descending=True).values),
    "cumsum of a scalar": (3.0, lambda x: x.cumsum(0)),
    "max of a scalar": (3.0, lambda x: x.max(0).values),
    "sort of a scalar": (3.0, lambda x: x.sort().values),
}


@pytest.mark.parametrize("name", list(SPECIAL_POINTS))
def test_special_points_as_pytorch(name: str) -> None:
    data, fn = SPECIAL_POINTS[name]
    torch = needs_torch()
    ours = tg.tensor(data, requires_grad=True, dtype=np.float64)
    theirs = torch.tensor(data, requires_grad=True, dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn about degrees of freedom <= 0
        out, ref = fn(ours), fn(theirs)
        out.backward(np.ones(out.shape))
        ref.backward(torch.ones(ref.shape, dtype=torch.float64))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_degrees_of_freedom_below_one_warn_as_pytorch() -> None:
    with pytest.warns(RuntimeWarning, match=r"var\(\): degrees of freedom n - correction = 1 - 1"):
        assert np.isnan(tg.tensor([2.0]).var().item())


@pytest.mark.parametrize(("name", "dtype"), [("sum", np.int32), ("prod", np.int32), ("prod", np.bool_),
                                             ("cumsum", np.int32), ("cumsum", np.bool_), ("any", np.float32),
                                             ("all", np.int64), ("argmax", np.float32), ("amax", np.int32)])
def test_result_dtypes_match_pytorch(name: str, dtype: Any) -> None:
    needs_torch()
    data = np.array([[1, 0, 2], [3, 1, 1]], dtype=dtype)
    args = (0,) if name == "cumsum" else ()
    mine = getattr(tg.tensor(data), name)(*args)
    theirs = getattr(torch.from_numpy(data), name)(*args)
    assert str(mine.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(mine.data, theirs.numpy())


def test_any_all_give_bool_without_gradient() -> None:
    x = tg.tensor([[0.0, np.nan], [0.0, 0.0]], requires_grad=True)
    assert x.any(dim=1).tolist() == [True, False] and x.all(axis=0, keepdims=True).tolist() == [[False, False]]
    assert tg.any(x).item() is True and tg.all(tg.tensor([])).item() is True
    assert not x.any().requires_grad


# ----------------------------------------------------------------------------- bad arguments

BAD_ARGUMENTS: list[tuple[Callable[[Tensor], Any], type[Exception], str]] = [
    (lambda x: x.var(1, unbiased=True, correction=0), TypeError, r"both unbiased=True and correction=0"),
    (lambda x: x.var(False, unbiased=True), TypeError, "unbiased twice"),
    (lambda x: x.std(unbiased=1), TypeError, "unbiased must be True or False"),
    (lambda x: x.var(correction="one"), TypeError, "correction must be a finite number"),
    (lambda x: tg.tensor([1, 2]).var(), TypeError, r"var\(\) needs a floating-point tensor, got int64"),
    (lambda x: tg.tensor([1, 2]).norm(), TypeError, r"norm\(\) needs a floating-point tensor"),
    (lambda x: x.norm("nuc"), ValueError, "'nuc' is not implemented"),
    (lambda x: x.norm(None), TypeError, "p must be a number or 'fro'"),
    (lambda x: x.topk(5), IndexError, r"k=5 is out of range for dim 1 of size 3"),
    (lambda x: x.topk(-1), IndexError, r"k=-1 is out of range"),
    (lambda x: x.topk(1.5), TypeError, "k must be an int"),
    (lambda x: x.topk(1, largest="yes"), TypeError, "largest must be True or False"),
    (lambda x: x.sort(dim=2), IndexError, r"sort\(\): dim 2 is out of range for a tensor of 2 dimensions"),
    (lambda x: x.sort(descending=1), TypeError, "descending must be True or False"),
    (lambda x: x.argsort(dim=(0, 1)), TypeError, "dim must be one int"),
    (lambda x: x.cumsum(), TypeError, r"cumsum\(\) needs dim"),
    (lambda x: x.cumsum(-3), IndexError, "dim -3 is out of range"),
    (lambda x: x.max(dim=(0, 1)), TypeError, r"for the maxima over several dims use amax\(dim=\(0, 1\)\)"),
    (lambda x: x.min(x), TypeError, r"use tg.minimum\(a, b\)"),
    (lambda x: x.max(5), IndexError, "dim 5 is out of range"),
    (lambda x: x.argmax(dim=(0, 1)), TypeError, "dim must be one int"),
    (lambda x: tg.zeros(0, 3).argmax(), ValueError, "argmax.. of an empty tensor"),
    (lambda x: tg.zeros(0, 3).argmin(0), ValueError, "that dim is empty"),
    (lambda x: x.logsumexp(axis=4), ValueError, "axis 4 is out of range"),
    (lambda x: x.prod(dim=(1, 1)), ValueError, "repeated axis"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD_ARGUMENTS,
                         ids=[message for _, _, message in BAD_ARGUMENTS])
def test_bad_arguments_raise_clear_errors(call: Callable[[Tensor], Any], error: type[Exception], message: str) -> None:
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with pytest.raises(error, match=message):
        call(x)


# ----------------------------------------------------------------------------- drawing and explaining


def test_new_ops_draw_and_explain_with_their_rules() -> None:
    x = tg.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True, name="x")
    loss = x.logsumexp(1).sum() + x.std(0).mean() + x.prod(1).sum() + x.norm() + x.sort(1).values[:, 0].sum()
    dot = tg.viz.to_dot(loss)
    for op in ("LogSumExp", "Std", "Prod", "Norm", "TakeAlongAxis"):
        assert op in dot
    text = tg.explain(loss)
    for rule in ("= log Σ exp x over axis", "⊙ (x − mean x) / ((n − c) t", "= Π x over axis", "/ x    →",
                 "⊙ sign(x) ⊙ (|x| /", "= x[I] along axis", "added into zeros at the positions I"):
        assert rule in text
