"""Every op's gradient rule against finite differences (float64), on random and broadcast shapes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import arrays, away_from, broadcastable_shapes, leaf, shapes

import tinygrad_vn as tg
from tinygrad_vn import Tensor

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "maximum": tg.maximum,
}

UNARY = {
    "neg": (lambda x: -x, None),
    "exp": (lambda x: x.exp(), None),
    "log": (lambda x: x.log(), "positive"),
    "sqrt": (lambda x: x.sqrt(), "positive"),
    "abs": (lambda x: x.abs(), (0.0,)),
    "sigmoid": (lambda x: x.sigmoid(), None),
    "tanh": (lambda x: x.tanh(), None),
    "relu": (lambda x: x.relu(), (0.0,)),
    "leaky_relu": (lambda x: x.leaky_relu(), (0.0,)),
    "leaky_relu_0.2": (lambda x: x.leaky_relu(negative_slope=0.2), (0.0,)),
    "elu": (lambda x: x.elu(), (0.0,)),
    "elu_alpha_0.5": (lambda x: x.elu(alpha=0.5), (0.0,)),
    "swish": (lambda x: x.swish(), None),
    "silu": (lambda x: x.silu(), None),
}


def prepared(array: np.ndarray, domain) -> np.ndarray:
    """Keep inputs where the op is smooth: positive for log/sqrt, off the kinks for relu-like ops."""
    if domain == "positive":
        return np.abs(array) + 0.2
    if domain:
        return away_from(array, domain)
    return array


@pytest.mark.parametrize("op", sorted(BINARY))
@given(data=st.data())
def test_binary_op_gradients_with_broadcasting(op: str, data: st.DataObject) -> None:
    shape_a, shape_b = data.draw(broadcastable_shapes(2))
    a = data.draw(arrays(shape_a))
    b = data.draw(arrays(shape_b))
    if op == "div":
        b = np.sign(b + 1e-9) * (np.abs(b) + 0.5)
    if op == "pow":
        a = np.abs(a) + 0.3
    if op == "maximum":
        b = b + 0.123
    fn = BINARY[op]
    assert tg.gradcheck(fn, [leaf(a), leaf(b)])
    out = fn(leaf(a), leaf(b))
    assert out.shape == np.broadcast_shapes(shape_a, shape_b)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow"])
def test_binary_ops_take_python_numbers_and_arrays_on_either_side(op: str) -> None:
    fn = BINARY[op]
    x = np.array([[0.7, 1.3, 2.1], [0.4, 1.9, 0.8]])
    const = np.array([1.5, 0.5, 2.5])
    reference = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "pow": np.power}[op]
    for left, right in [(leaf(x), 2.0), (2.0, leaf(x)), (leaf(x), const), (const, leaf(x)), (leaf(x), 3)]:
        out = fn(left, right)
        assert isinstance(out, Tensor)
        plain = [v.data if isinstance(v, Tensor) else v for v in (left, right)]
        np.testing.assert_allclose(out.data, reference(*plain))
        if isinstance(left, Tensor):
            assert tg.gradcheck(lambda v, right=right: fn(v, right), [left])
        else:
            assert tg.gradcheck(lambda v, left=left: fn(left, v), [right])


@pytest.mark.parametrize("op", sorted(UNARY))
@given(data=st.data())
def test_unary_op_gradients(op: str, data: st.DataObject) -> None:
    fn, domain = UNARY[op]
    x = prepared(data.draw(arrays(data.draw(shapes()))), domain)
    assert tg.gradcheck(fn, [leaf(x)])


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@given(data=st.data())
def test_softmax_gradients_on_any_axis(op: str, data: st.DataObject) -> None:
    shape = data.draw(shapes(1, 3))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = data.draw(arrays(shape, -3.0, 3.0))
    fn = (lambda t: t.softmax(axis)) if op == "softmax" else (lambda t: t.log_softmax(axis))
    assert tg.gradcheck(fn, [leaf(x)])
    out = fn(leaf(x)).data
    probs = out if op == "softmax" else np.exp(out)
    np.testing.assert_allclose(probs.sum(axis=axis), 1.0)


def test_softmax_and_log_softmax_values() -> None:
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    expected = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(leaf(x).softmax().data, expected)
    np.testing.assert_allclose(leaf(x).log_softmax().data, np.log(expected))
    np.testing.assert_allclose(leaf(x).softmax(axis=0).data, np.exp(x) / np.exp(x).sum(axis=0))


@st.composite
def axes_for(draw: st.DrawFn, ndim: int):
    """None, an int (maybe negative), or a tuple of distinct axes (maybe negative)."""
    if ndim == 0:
        return None
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    chosen = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(ax - ndim if draw(st.booleans()) else ax for ax in chosen)


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
@given(data=st.data())
def test_reduction_gradients(op: str, data: st.DataObject) -> None:
    shape = data.draw(shapes(0, 3))
    axis = data.draw(axes_for(len(shape)))
    keepdims = data.draw(st.booleans())
    x = data.draw(arrays(shape))
    if op in ("max", "min") and x.size > 1:  # finite differences cross a near-tie and disagree with the rule
        assume(np.diff(np.sort(x.ravel())).min() > 1e-4)
    fn = lambda t: getattr(t, op)(axis=axis, keepdims=keepdims)  # noqa: E731
    out = fn(leaf(x))
    np.testing.assert_allclose(out.data, getattr(np, op)(x, axis=axis, keepdims=keepdims))
    assert tg.gradcheck(fn, [leaf(x)])


def test_mean_of_integers_is_float64_like_numpy() -> None:
    # summed in float64, as NumPy does: an int64 sum of these would wrap around
    labels = np.array([[2**62, 2], [2**62, 7]], dtype=np.int64)
    for axis in (None, 0, 1):
        out = tg.Tensor(labels).mean(axis=axis)
        expected = np.mean(labels, axis=axis)
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out.data, expected)


def test_max_and_min_split_the_gradient_over_ties() -> None:
    x = leaf(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]))
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    y = leaf(np.array([4.0, 1.0, 1.0]))
    y.min().backward()
    np.testing.assert_allclose(y.grad.data, [0, 0.5, 0.5])


def test_maximum_splits_ties_and_takes_constants() -> None:
    a = leaf(np.array([1.0, 2.0, 3.0]))
    tg.maximum(a, 2.0).sum().backward()
    np.testing.assert_allclose(a.grad.data, [0.0, 0.5, 1.0])


MATMUL_SHAPES = [
    ((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)),
    ((5, 2, 3), (5, 3, 4)), ((3,), (5, 3, 4)), ((5, 2, 3), (3,)), ((2, 1, 2, 3), (5, 3, 2)), ((1, 2, 3), (4, 3, 2)),
]


@pytest.mark.parametrize(("shape_a", "shape_b"), MATMUL_SHAPES)
def test_matmul_gradients_for_1d_2d_and_batched_operands(shape_a, shape_b) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=shape_a), rng.normal(size=shape_b)
    out = leaf(a) @ leaf(b)
    np.testing.assert_allclose(out.data, np.matmul(a, b))
    assert tg.gradcheck(lambda x, y: x @ y, [leaf(a), leaf(b)])


def test_matmul_with_arrays_on_either_side() -> None:
    a = np.arange(6.0).reshape(2, 3)
    w = leaf(np.ones((3, 2)))
    np.testing.assert_allclose((a @ w).data, a @ np.ones((3, 2)))
    np.testing.assert_allclose((w.T @ a.T).data, np.ones((2, 3)) @ a.T)
    assert tg.gradcheck(lambda t: a @ t, [w])


INDICES = {
    "int": 1,
    "negative int": -1,
    "slice": slice(1, None),
    "step slice": (slice(None), slice(None, None, 2)),
    "int and slice": (0, slice(1, 3)),
    "repeated array": np.array([0, 2, 0, 0]),
    "repeated list": [1, 1, 2],
    "array pair": (np.array([0, 1, 1]), np.array([2, 2, 2])),
    "tensor": Tensor(np.array([2, 2])),
    "bool mask": np.array([True, False, True]),
    "ellipsis": (Ellipsis, 1),
    "newaxis": (None, slice(None), 0),
}


@pytest.mark.parametrize("name", sorted(INDICES))
def test_getitem_gradient_scatters_back_and_accumulates_repeats(name: str) -> None:
    index = INDICES[name]
    x = np.arange(12.0).reshape(3, 4) / 7
    plain = tuple(i.data if isinstance(i, Tensor) else i for i in index) if isinstance(index, tuple) else (
        index.data if isinstance(index, Tensor) else index)
    np.testing.assert_allclose(leaf(x)[index].data, x[plain])
    assert tg.gradcheck(lambda t: t[index], [leaf(x)])


def test_getitem_with_repeated_indices_counts_each_use() -> None:
    x = leaf(np.zeros(4))
    x[[0, 0, 3, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 0.0, 0.0, 1.0])


@given(data=st.data())
def test_concatenate_and_stack_gradients(data: st.DataObject) -> None:
    shape = data.draw(shapes(1, 3))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    parts = []
    for n in sizes:
        part_shape = list(shape)
        part_shape[axis] = n
        parts.append(data.draw(arrays(tuple(part_shape))))
    out = tg.concatenate([leaf(p) for p in parts], axis=axis)
    np.testing.assert_allclose(out.data, np.concatenate(parts, axis=axis))
    assert tg.gradcheck(lambda *ts: tg.concatenate(ts, axis=axis), [leaf(p) for p in parts])
    same = [data.draw(arrays(shape)) for _ in sizes]
    new_axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    np.testing.assert_allclose(tg.stack([leaf(s) for s in same], axis=new_axis).data, np.stack(same, axis=new_axis))
    assert tg.gradcheck(lambda *ts: tg.stack(ts, axis=new_axis), [leaf(s) for s in same])


def test_concatenate_only_differentiates_inputs_that_want_it() -> None:
    a, b = leaf(np.ones((2, 2))), leaf(np.zeros((1, 2)), requires_grad=False)
    tg.concatenate([a, b]).sum().backward()
    np.testing.assert_array_equal(a.grad.data, np.ones((2, 2)))
    assert b.grad is None


@given(data=st.data())
def test_reshape_transpose_and_flatten_gradients(data: st.DataObject) -> None:
    shape = data.draw(shapes(1, 3))
    x = data.draw(arrays(shape))
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    assert tg.gradcheck(lambda t: t.transpose(*perm), [leaf(x)])
    assert tg.gradcheck(lambda t: t.transpose(perm), [leaf(x)])
    assert tg.gradcheck(lambda t: t.T, [leaf(x)])
    assert tg.gradcheck(lambda t: t.reshape(-1), [leaf(x)])
    assert tg.gradcheck(lambda t: t.flatten(), [leaf(x)])
    np.testing.assert_array_equal(leaf(x).transpose(perm).data, x.transpose(perm))
    np.testing.assert_array_equal(leaf(x).T.data, x.T)


def test_composite_expression_gradient() -> None:
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=(2,))

    def fn(x, w, b):
        h = (x @ w + b).tanh()
        return (h * h.sigmoid() - h.exp() / 3).mean(axis=0) ** 2

    assert tg.gradcheck(fn, [leaf(x), leaf(w), leaf(b)])


def test_pow_at_base_zero_has_finite_gradients() -> None:
    x = leaf(np.array([0.0, 0.0, 2.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x**2).sum().backward()
        np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 4.0])
        x.zero_grad()
        (x**0).sum().backward()
        np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])
        x.zero_grad()
        (x**1).sum().backward()
        np.testing.assert_array_equal(x.grad.data, [1.0, 1.0, 1.0])
        e = leaf(np.array([1.0, 2.0]))
        (Tensor(np.zeros(2)) ** e).sum().backward()
        np.testing.assert_array_equal(e.grad.data, [0.0, 0.0])


# ----------------------------------------------------------------------------- float32 against float64

FORWARDS = {
    **{name: fn for name, (fn, _) in UNARY.items()},
    "softmax": lambda x: x.softmax(),
    "log_softmax": lambda x: x.log_softmax(axis=0),
    "sum": lambda x: x.sum(axis=1),
    "mean": lambda x: x.mean(),
    "max": lambda x: x.max(axis=0, keepdims=True),
    "matmul": lambda x: x @ x.T,
    "square_plus": lambda x: x * x + x / 3 - 1,
}


@pytest.mark.parametrize("name", sorted(FORWARDS))
def test_float32_forward_agrees_with_float64(name: str) -> None:
    x = np.random.default_rng(2).uniform(0.1, 3.0, (4, 5))
    if name == "neg" or "relu" in name or name == "elu":
        x = x - 1.5
    fn = FORWARDS[name]
    out32 = fn(Tensor(x.astype(np.float32)))
    out64 = fn(Tensor(x))
    assert out32.dtype == np.float32 and out64.dtype == np.float64
    np.testing.assert_allclose(out32.data, out64.data, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softmax", "matmul", "square_plus"])
def test_float32_gradients_stay_float32_and_agree_with_float64(name: str) -> None:
    x = np.random.default_rng(3).uniform(-2, 2, (3, 4))
    grads = []
    for dtype in (np.float32, np.float64):
        t = Tensor(x, dtype=dtype, requires_grad=True)
        FORWARDS[name](t).sum().backward()
        assert t.grad.dtype == dtype
        grads.append(t.grad.data)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- stability at extremes


@pytest.mark.usefixtures("warnings_are_errors")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", ["sigmoid", "tanh", "swish", "elu", "softplus_via_bce_logits"])
def test_activations_are_finite_at_plus_minus_1000(op: str, dtype) -> None:
    x = Tensor(np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0]), dtype=dtype, requires_grad=True)
    if op == "softplus_via_bce_logits":
        out = tg.functional.binary_cross_entropy_with_logits(x, np.zeros(5), reduction="none")
    else:
        out = getattr(x, op)()
    out.sum().backward()
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(x.grad.data))
    if op == "sigmoid":
        np.testing.assert_allclose(out.data, [0.0, 9.357623e-14, 0.5, 1.0, 1.0], atol=1e-12, rtol=1e-6)
        np.testing.assert_allclose(x.grad.data[[0, 2, 4]], [0.0, 0.25, 0.0])


@pytest.mark.usefixtures("warnings_are_errors")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_is_finite_at_logits_around_1e4(op: str, dtype) -> None:
    x = Tensor(np.array([[1e4, 0.0, -1e4], [1e4, 1e4 - 1, 1e4 - 2]]), dtype=dtype, requires_grad=True)
    out = getattr(x, op)(axis=1)
    (out * Tensor(np.array([1.0, 2.0, 3.0]), dtype=dtype)).sum().backward()
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(x.grad.data))
    probs = out.data if op == "softmax" else np.exp(out.data)
    np.testing.assert_allclose(probs[0], [1.0, 0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(probs[1], np.exp([0.0, -1, -2]) / np.exp([0.0, -1, -2]).sum(), rtol=1e-5)
    if op == "log_softmax":
        np.testing.assert_allclose(out.data[0], [0.0, -1e4, -2e4], rtol=1e-6)


# ----------------------------------------------------------------------------- clear errors


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow", "maximum"])
def test_mismatched_shapes_name_the_op_and_both_shapes(op: str) -> None:
    with pytest.raises(ValueError) as err:
        BINARY[op](leaf(np.ones((2, 3))), leaf(np.ones((4,))))
    message = str(err.value)
    assert op in message and "(2, 3)" in message and "(4,)" in message


def test_matmul_shape_errors_name_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"matmul.*\(2, 3\).*\(4, 5\)"):
        leaf(np.ones((2, 3))) @ leaf(np.ones((4, 5)))
    with pytest.raises(ValueError, match="matmul"):
        leaf(np.ones((2, 2, 3))) @ leaf(np.ones((3, 3, 4)))
    with pytest.raises(ValueError, match="matmul"):
        leaf(np.ones(())) @ leaf(np.ones((3,)))


def test_shape_op_errors_are_clear() -> None:
    x = leaf(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\).*\(4, 2\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match=r"transpose"):
        x.transpose((0, 0))
    with pytest.raises(IndexError, match=r"transpose.*dim1=3"):
        x.transpose(0, 3)
    with pytest.raises(ValueError, match=r"concatenate.*\(2, 3\).*\(2, 2\)"):
        tg.concatenate([x, leaf(np.ones((2, 2)))], axis=0)
    with pytest.raises(ValueError, match="stack"):
        tg.stack([x, leaf(np.ones((3, 2)))])
    with pytest.raises(ValueError, match="axis 2"):
        x.sum(axis=2)
    with pytest.raises(ValueError, match="repeated axis"):
        x.sum(axis=(1, -1))
    with pytest.raises(IndexError, match=r"\(2, 3\)"):
        x[5]


# ----------------------------------------------------------------------------- against PyTorch


def test_ops_match_pytorch_values_and_gradients() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    a, b, w = rng.normal(size=(3, 4)), rng.normal(size=(4,)), rng.normal(size=(2, 4, 5))

    def program(lib, a, b, w):
        mine = lib is tg
        h = (a * b - b / 2).tanh() if mine else torch.tanh(a * b - b / 2)
        z = h @ w
        s = z.softmax(axis=-1) if mine else z.softmax(dim=-1)
        m = z.max(axis=1) if mine else z.max(dim=1).values
        act = (z.elu(0.7) + z.leaky_relu(0.1) + z.swish() + z.relu() + z.sigmoid()) if mine else (
            torch.nn.functional.elu(z, 0.7) + torch.nn.functional.leaky_relu(z, 0.1) + torch.nn.functional.silu(z)
            + torch.relu(z) + torch.sigmoid(z))
        return (s * act).sum() + m.abs().mean() + (h[1:, ::2] ** 2).sum() + h.exp().log().mean()

    ours = [leaf(v) for v in (a, b, w)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (a, b, w)]
    out, ref = program(tg, *ours), program(torch, *theirs)
    out.backward()
    ref.backward()
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-10)
    for t, r in zip(ours, theirs):
        np.testing.assert_allclose(t.grad.data, r.grad.numpy(), rtol=1e-8, atol=1e-12)


def test_maximum_gives_pytorchs_gradients_with_nan_ties_and_order() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0)")
    a = np.array([1.0, np.nan, 2.0, 3.0, np.nan])
    b = np.array([2.0, 1.0, 2.0, np.nan, np.nan])
    ours_a, ours_b = tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)
    tg.maximum(ours_a, ours_b).sum().backward()
    theirs_a, theirs_b = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    torch.maximum(theirs_a, theirs_b).sum().backward()
    np.testing.assert_array_equal(ours_a.grad.numpy(), theirs_a.grad.numpy())
    np.testing.assert_array_equal(ours_b.grad.numpy(), theirs_b.grad.numpy())


@pytest.mark.parametrize("bounds", [(-0.5, 0.5), (None, 0.2), (0.1, None)])
def test_clamp_gives_pytorchs_values_and_gradients(bounds) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0)")
    a = np.array([-1.0, -0.5, 0.0, 0.2, 0.5, 2.0, np.nan, np.inf])
    ours = tg.tensor(a, requires_grad=True)
    out = ours.clamp(*bounds)
    out.sum().backward()
    theirs = torch.tensor(a, requires_grad=True)
    ref = torch.clamp(theirs, *bounds)
    ref.sum().backward()
    np.testing.assert_array_equal(out.numpy(), ref.detach().numpy())
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_clamp_and_setitem_pass_gradcheck() -> None:
    rng = np.random.default_rng(3)
    x = tg.tensor(rng.uniform(-2, 2, (3, 4)), requires_grad=True)
    v = tg.tensor(rng.uniform(-2, 2, (4,)), requires_grad=True)
    tg.gradcheck(lambda t: t.clamp(-1.0, 1.0), [x])

    def write_row(t, value):
        out = t * 1
        out[1] = value * 2
        return out

    tg.gradcheck(write_row, [x, v])
