"""PyTorch's movement and indexing ops: gradients by finite differences, values and gradients equal to
PyTorch's in float32 and float64, views sharing memory where PyTorch's do, clear errors for bad arguments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import arrays, leaf, shapes

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import Tensor


@dataclass
class Case:
    """Inputs (float64 arrays), our function of tensors, and PyTorch's (``torch`` module, then tensors)."""

    inputs: list[np.ndarray]
    ours: Callable[..., Tensor]
    theirs: Callable[..., Any]
    torch_backward: bool = True  # False where PyTorch's own backward fails (scatter from a src bigger than index)


def dims_of(draw: st.DrawFn, ndim: int) -> int:
    """A valid dim of an ``ndim``-D tensor, sometimes negative."""
    return draw(st.integers(-ndim, ndim - 1))


def joined(pieces: tuple[Any, ...], dim: int, concatenate: Callable[..., Any]) -> Any:
    """The pieces of a split, each scaled differently, joined back: one output whose gradient reaches every piece."""
    return concatenate([p * (k + 1) for k, p in enumerate(pieces)], dim)


def _squeeze(draw: st.DrawFn) -> Case:
    shape = tuple(draw(st.lists(st.sampled_from([1, 1, 2, 3]), min_size=0, max_size=4)))
    x = draw(arrays(shape))
    choice = draw(st.sampled_from(["all", "int", "tuple"]))
    if choice == "all" or not shape:
        return Case([x], lambda t: t.squeeze(), lambda torch, t: t.squeeze())
    if choice == "int":
        d = dims_of(draw, len(shape))
        return Case([x], lambda t: t.squeeze(d), lambda torch, t: t.squeeze(d))
    ds = tuple(draw(st.lists(st.integers(0, len(shape) - 1), unique=True, max_size=len(shape))))
    return Case([x], lambda t: t.squeeze(ds), lambda torch, t: t.squeeze(ds))


def _unsqueeze(draw: st.DrawFn) -> Case:
    shape = draw(shapes(0, 3))
    d = draw(st.integers(-len(shape) - 1, len(shape)))
    return Case([draw(arrays(shape))], lambda t: t.unsqueeze(d), lambda torch, t: t.unsqueeze(d))


def _expand(draw: st.DrawFn) -> Case:
    shape = tuple(draw(st.lists(st.sampled_from([1, 2, 3]), min_size=0, max_size=3)))
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    target = lead + tuple(draw(st.integers(1, 3)) if n == 1 else n for n in shape)
    sizes = lead + tuple(-1 if draw(st.booleans()) else n for n in target[len(lead):])
    how = draw(st.sampled_from(["expand", "tuple", "broadcast_to", "expand_as"]))
    x = draw(arrays(shape))
    if how == "expand" and sizes:
        return Case([x], lambda t: t.expand(*sizes), lambda torch, t: t.expand(*sizes))
    if how == "tuple":
        return Case([x], lambda t: t.expand(sizes), lambda torch, t: t.expand(sizes))
    if how == "broadcast_to":
        return Case([x], lambda t: tg.broadcast_to(t, target), lambda torch, t: torch.broadcast_to(t, target))
    like = np.zeros(target)
    return Case([x], lambda t: t.expand_as(tg.tensor(like)), lambda torch, t: t.expand_as(torch.tensor(like)))


def _repeat(draw: st.DrawFn) -> Case:
    shape = draw(shapes(0, 3))
    sizes = tuple(draw(st.lists(st.integers(1, 3), min_size=max(len(shape), 1), max_size=len(shape) + 1)))
    return Case([draw(arrays(shape))], lambda t: t.repeat(*sizes), lambda torch, t: t.repeat(*sizes))


def _tile(draw: st.DrawFn) -> Case:
    shape = draw(shapes(0, 3))
    dims = tuple(draw(st.lists(st.integers(1, 3), max_size=len(shape) + 1)))
    return Case([draw(arrays(shape))], lambda t: t.tile(dims), lambda torch, t: t.tile(dims))


def _permute(draw: st.DrawFn) -> Case:
    shape = draw(shapes(0, 4))
    perm = tuple(d - len(shape) if draw(st.booleans()) else d for d in draw(st.permutations(range(len(shape)))))
    if not perm or draw(st.booleans()):
        return Case([draw(arrays(shape))], lambda t: t.permute(perm), lambda torch, t: t.permute(perm))
    return Case([draw(arrays(shape))], lambda t: t.permute(*perm), lambda torch, t: t.permute(*perm))


def _movedim(draw: st.DrawFn) -> Case:
    shape = draw(shapes(1, 4))
    n = draw(st.integers(1, len(shape)))
    source = tuple(draw(st.permutations(range(len(shape))))[:n])
    destination = tuple(draw(st.permutations(range(len(shape))))[:n])
    if n == 1 and draw(st.booleans()):
        source, destination = source[0], destination[0] - len(shape)
    return Case([draw(arrays(shape))], lambda t: t.movedim(source, destination),
                lambda torch, t: t.movedim(source, destination))


def _transpose(draw: st.DrawFn) -> Case:
    shape = draw(shapes(1, 4))
    d0, d1 = dims_of(draw, len(shape)), dims_of(draw, len(shape))
    how = draw(st.sampled_from(["method", "function", "keywords", "swapaxes", "mT"]))
    if how == "mT" and len(shape) >= 2:
        return Case([draw(arrays(shape))], lambda t: t.mT, lambda torch, t: t.mT)
    if how == "function":
        return Case([draw(arrays(shape))], lambda t: tg.transpose(t, d0, d1),
                    lambda torch, t: torch.transpose(t, d0, d1))
    if how == "keywords":
        return Case([draw(arrays(shape))], lambda t: t.transpose(dim0=d0, dim1=d1),
                    lambda torch, t: t.transpose(dim0=d0, dim1=d1))
    if how == "swapaxes":
        return Case([draw(arrays(shape))], lambda t: t.swapaxes(d0, d1), lambda torch, t: t.swapaxes(d0, d1))
    return Case([draw(arrays(shape))], lambda t: t.transpose(d0, d1), lambda torch, t: t.transpose(d0, d1))


def _flatten(draw: st.DrawFn) -> Case:
    shape = draw(shapes(0, 4))
    if not shape:
        return Case([draw(arrays(shape))], lambda t: t.flatten(), lambda torch, t: t.flatten())
    start = draw(st.integers(0, len(shape) - 1))
    end = draw(st.integers(start, len(shape) - 1))
    start -= len(shape) if draw(st.booleans()) else 0
    end -= len(shape) if draw(st.booleans()) else 0
    return Case([draw(arrays(shape))], lambda t: t.flatten(start, end), lambda torch, t: t.flatten(start, end))


def _unflatten(draw: st.DrawFn) -> Case:
    shape = draw(shapes(1, 3))
    d = dims_of(draw, len(shape))
    side = shape[d]
    first = draw(st.sampled_from([k for k in range(1, side + 1) if side % k == 0]))
    sizes = [first, side // first] if draw(st.booleans()) else [side]
    if draw(st.booleans()):
        sizes[draw(st.integers(0, len(sizes) - 1))] = -1
    sizes_t = tuple(sizes)
    return Case([draw(arrays(shape))], lambda t: t.unflatten(d, sizes_t), lambda torch, t: t.unflatten(d, sizes_t))


def _split(draw: st.DrawFn) -> Case:
    shape = draw(shapes(1, 3))
    d = dims_of(draw, len(shape))
    side = shape[d]
    if draw(st.booleans()):
        arg: Any = draw(st.integers(1, side + 1))
    else:
        cuts = sorted(draw(st.lists(st.integers(0, side), max_size=3)))
        arg = [b - a for a, b in zip([0, *cuts], [*cuts, side])]
    return Case([draw(arrays(shape))], lambda t: joined(t.split(arg, d), d, tg.concatenate),
                lambda torch, t: joined(t.split(arg, d), d, torch.cat))


def _chunk(draw: st.DrawFn) -> Case:
    shape = draw(shapes(1, 3))
    d = dims_of(draw, len(shape))
    chunks = draw(st.integers(1, 5))
    return Case([draw(arrays(shape))], lambda t: joined(t.chunk(chunks, d), d, tg.concatenate),
                lambda torch, t: joined(t.chunk(chunks, d), d, torch.cat))


def _flip(draw: st.DrawFn) -> Case:
    shape = draw(shapes(1, 3))
    dims = tuple(draw(st.lists(st.integers(-len(shape), len(shape) - 1), max_size=len(shape))
                      .filter(lambda ds: len({d % len(shape) for d in ds}) == len(ds))))
    if len(dims) == 1 and draw(st.booleans()):
        return Case([draw(arrays(shape))], lambda t: t.flip(dims[0]), lambda torch, t: t.flip(dims[0]))
    return Case([draw(arrays(shape))], lambda t: t.flip(dims), lambda torch, t: t.flip(dims))


def _roll(draw: st.DrawFn) -> Case:
    shape = draw(shapes(1, 3))
    x = draw(arrays(shape))
    if draw(st.booleans()):
        shift = draw(st.integers(-7, 7))
        return Case([x], lambda t: t.roll(shift), lambda torch, t: t.roll(shift))
    dims = tuple(draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=3)))
    shifts = tuple(draw(st.integers(-5, 5)) for _ in dims)
    return Case([x], lambda t: t.roll(shifts, dims), lambda torch, t: t.roll(shifts, dims))


def _pad_constant(draw: st.DrawFn) -> Case:
    shape = draw(shapes(1, 3))
    pairs = draw(st.integers(0, len(shape)))
    widths: list[int] = []
    for side in reversed(shape[len(shape) - pairs:]):
        before = draw(st.integers(-min(side, 1), 2))
        after = draw(st.integers(-(side + min(before, 0)), 2))
        widths += [before, after]
    value = draw(st.sampled_from([0.0, -1.5]))
    pad = tuple(widths)
    return Case([draw(arrays(shape))], lambda t: F.pad(t, pad, value=value),
                lambda torch, t: torch.nn.functional.pad(t, pad, value=value))


def _pad_edges(draw: st.DrawFn) -> Case:
    mode = draw(st.sampled_from(["reflect", "replicate", "circular"]))
    pairs = draw(st.integers(1, 3 if mode != "reflect" else 2))
    lead = draw(st.integers(1, 2))
    shape = tuple(draw(st.lists(st.integers(1, 2), min_size=lead, max_size=lead))) + \
        tuple(draw(st.lists(st.integers(2, 3), min_size=pairs, max_size=pairs)))
    widths: list[int] = []
    for side in reversed(shape[lead:]):
        top = {"reflect": side - 1, "replicate": 3, "circular": side}[mode]
        widths += [draw(st.integers(0, top)), draw(st.integers(0, top))]
    pad = tuple(widths)
    return Case([draw(arrays(shape))], lambda t: tg.pad(t, pad, mode=mode),
                lambda torch, t: torch.nn.functional.pad(t, pad, mode=mode))


def _index_along(draw: st.DrawFn, shape: tuple[int, ...], dim: int, unique: bool) -> np.ndarray:
    """An int64 index for gather/scatter: off ``dim`` no bigger than ``shape``; unique along ``dim`` if asked."""
    sides = [draw(st.integers(1, n)) for n in shape]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if unique:  # each line along dim: the first places of a random permutation
        order = rng.random(shape).argsort(axis=dim)
        return np.ascontiguousarray(order[tuple(slice(0, s) for s in sides)]).astype(np.int64)
    sides[dim] = draw(st.integers(1, shape[dim] + 2))
    return rng.integers(0, shape[dim], sides).astype(np.int64)


def _gather(draw: st.DrawFn) -> Case:
    shape = draw(shapes(1, 3))
    d = dims_of(draw, len(shape))
    index = _index_along(draw, shape, d % len(shape), unique=False)
    return Case([draw(arrays(shape))], lambda t: t.gather(d, tg.tensor(index)),
                lambda torch, t: t.gather(d, torch.from_numpy(index)))


def _scatter(draw: st.DrawFn) -> Case:
    shape = draw(shapes(1, 3))
    d = dims_of(draw, len(shape))
    index = _index_along(draw, shape, d % len(shape), unique=True)
    src_shape = tuple(n + draw(st.integers(0, 1)) for n in index.shape)
    x, src = draw(arrays(shape)), draw(arrays(src_shape))
    if draw(st.booleans()):
        return Case([x], lambda t: t.scatter(d, index, 0.75),
                    lambda torch, t: t.scatter(d, torch.from_numpy(index), 0.75))
    return Case([x, src], lambda t, s: t.scatter(d, index, s),
                lambda torch, t, s: t.scatter(d, torch.from_numpy(index), s), src_shape == index.shape)


def _scatter_add(draw: st.DrawFn) -> Case:
    shape = draw(shapes(1, 3))
    d = dims_of(draw, len(shape))
    index = _index_along(draw, shape, d % len(shape), unique=False)
    index = index[tuple(slice(0, n) if k != d % len(shape) else slice(None) for k, n in enumerate(shape))]
    src_shape = tuple(n + draw(st.integers(0, 1)) for n in index.shape)
    return Case([draw(arrays(shape)), draw(arrays(src_shape))], lambda t, s: t.scatter_add(d, tg.tensor(index), s),
                lambda torch, t, s: t.scatter_add(d, torch.from_numpy(index), s), src_shape == index.shape)


def _index_select(draw: st.DrawFn) -> Case:
    shape = draw(shapes(1, 3))
    d = dims_of(draw, len(shape))
    index = np.array(draw(st.lists(st.integers(0, shape[d] - 1), max_size=5)), dtype=np.int64)
    return Case([draw(arrays(shape))], lambda t: t.index_select(d, index),
                lambda torch, t: t.index_select(d, torch.from_numpy(index)))


def _masked_fill(draw: st.DrawFn) -> Case:
    shape = draw(shapes(0, 3))
    mask_shape = tuple(1 if draw(st.booleans()) else n for n in shape[draw(st.integers(0, len(shape))):])
    if draw(st.booleans()):
        mask_shape = (draw(st.integers(1, 2)), *shape)  # the mask may broadcast the tensor to a bigger shape
    mask = np.asarray(np.random.default_rng(draw(st.integers(0, 2**32 - 1))).random(mask_shape) < 0.5)
    if draw(st.booleans()):
        return Case([draw(arrays(shape)), np.array(draw(st.floats(-2, 2)))], lambda t, v: t.masked_fill(mask, v),
                    lambda torch, t, v: t.masked_fill(torch.from_numpy(mask), v))
    return Case([draw(arrays(shape))], lambda t: t.masked_fill(tg.tensor(mask), -3.0),
                lambda torch, t: t.masked_fill(torch.from_numpy(mask), -3.0))


def _mask_getitem(draw: st.DrawFn) -> Case:
    shape = draw(shapes(1, 3))
    covered = draw(st.integers(1, len(shape)))
    mask = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).random(shape[:covered]) < 0.5
    if covered < len(shape) and draw(st.booleans()):
        return Case([draw(arrays(shape))], lambda t: t[mask, 1:], lambda torch, t: t[torch.from_numpy(mask), 1:])
    return Case([draw(arrays(shape))], lambda t: t[tg.tensor(mask)], lambda torch, t: t[torch.from_numpy(mask)])


def _mask_setitem(draw: st.DrawFn) -> Case:
    shape = draw(shapes(1, 3))
    covered = draw(st.integers(1, len(shape)))
    mask = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).random(shape[:covered]) < 0.5
    picked = (int(mask.sum()), *shape[covered:])
    value_shape = draw(st.sampled_from([picked, picked[1:], ()]))

    def ours(t: Tensor, v: Tensor) -> Tensor:
        out = t * 1.0
        out[mask] = v
        return out * 1.5

    def theirs(torch: Any, t: Any, v: Any) -> Any:
        out = t * 1.0
        out[torch.from_numpy(mask)] = v
        return out * 1.5

    return Case([draw(arrays(shape)), draw(arrays(value_shape))], ours, theirs)


CASES: dict[str, Callable[[st.DrawFn], Case]] = {
    "squeeze": _squeeze, "unsqueeze": _unsqueeze, "expand": _expand, "repeat": _repeat, "tile": _tile,
    "permute": _permute, "movedim": _movedim, "transpose": _transpose, "flatten": _flatten, "unflatten": _unflatten,
    "split": _split, "chunk": _chunk, "flip": _flip, "roll": _roll, "pad constant": _pad_constant,
    "pad edges": _pad_edges, "gather": _gather, "scatter": _scatter, "scatter_add": _scatter_add,
    "index_select": _index_select, "masked_fill": _masked_fill, "mask getitem": _mask_getitem,
    "mask setitem": _mask_setitem,
}


# 23 ops, each drawn in two tests: fewer examples per op than the profile's default keeps the file near 15 s.
SOME = settings(max_examples=max(5, settings().max_examples * 3 // 5))
FEWER = settings(max_examples=max(4, settings().max_examples * 2 // 5))


@pytest.mark.parametrize("name", sorted(CASES))
@SOME
@given(data=st.data())
def test_gradients_match_finite_differences(name: str, data: st.DataObject) -> None:
    case = data.draw(st.composite(lambda draw: CASES[name](draw))())
    assert tg.gradcheck(case.ours, [leaf(x) for x in case.inputs])


@pytest.mark.parametrize("name", sorted(CASES))
@FEWER
@given(data=st.data())
def test_values_and_gradients_match_pytorch(name: str, data: st.DataObject) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; the comparison needs it")
    case = data.draw(st.composite(lambda draw: CASES[name](draw))())
    for dtype, torch_dtype, tolerance in [(np.float32, torch.float32, 1e-6), (np.float64, torch.float64, 1e-12)]:
        ours = [tg.tensor(x.astype(dtype), requires_grad=True) for x in case.inputs]
        theirs = [torch.tensor(x.astype(dtype), requires_grad=True) for x in case.inputs]
        out, expected = case.ours(*ours), case.theirs(torch, *theirs)
        assert out.dtype == dtype and expected.dtype == torch_dtype
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=tolerance, atol=tolerance)
        if not case.torch_backward:
            continue
        upstream = np.random.default_rng(0).uniform(0.5, 1.5, out.shape).astype(dtype)
        out.backward(upstream)
        expected.backward(torch.from_numpy(upstream))
        for mine, reference in zip(ours, theirs):
            wanted = np.zeros_like(mine.data) if reference.grad is None else reference.grad.numpy()
            got = np.zeros_like(mine.data) if mine.grad is None else mine.grad.data
            np.testing.assert_allclose(got, wanted, rtol=tolerance, atol=tolerance)


def test_gradients_on_non_contiguous_inputs() -> None:
    base = np.arange(24.0).reshape(4, 6) / 7
    for view in (base.T, base[:, ::2], np.asfortranarray(base)):
        x = Tensor._from_op(view, None).requires_grad_()
        batch = Tensor._from_op(view[None], None).requires_grad_()
        assert not x.data.flags.c_contiguous and not batch.data.flags.c_contiguous
        assert tg.gradcheck(lambda t: t.expand(2, *t.shape).repeat(1, 2, 1).flip(0).roll(1, 1), [x])
        assert tg.gradcheck(lambda t: F.pad(t, (1, 2, 0, 1), mode="replicate"), [batch])
        assert tg.gradcheck(lambda t: t.gather(1, np.zeros((2, 1), dtype=np.int64)), [x])
        assert tg.gradcheck(lambda t: t.masked_fill(t > 1.05, 0.5).index_select(0, [1, 1, 0]), [x])


def test_scatter_gradients_with_repeated_places_follow_pytorchs_rule() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; the comparison needs it")
    index = np.array([[0, 0, 2], [1, 1, 1]])
    upstream = np.arange(12.0).reshape(2, 6)[:, :3] + 1
    x, src = tg.tensor(np.ones((2, 3)), requires_grad=True), tg.tensor(np.ones((2, 3)), requires_grad=True)
    (x * 1).scatter(1, index, src).backward(upstream)
    tx, tsrc = torch.ones(2, 3, dtype=torch.float64, requires_grad=True), torch.ones(2, 3, dtype=torch.float64,
                                                                                     requires_grad=True)
    (tx * 1).scatter(1, torch.from_numpy(index), tsrc).backward(torch.from_numpy(upstream))
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())
    np.testing.assert_array_equal(src.grad.data, tsrc.grad.numpy())


def test_in_place_scatter_and_masked_fill_match_pytorch() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; the comparison needs it")
    base = np.arange(6.0).reshape(2, 3) / 5
    index = np.array([[2, 0], [1, 2]])
    mask = np.array([True, False, True])
    weights = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    x, src = tg.tensor(base, requires_grad=True), tg.tensor(np.full((2, 2), 0.5), requires_grad=True)
    y = x * 2
    y.scatter_(1, index, src)
    y.scatter_add_(1, tg.tensor(index), src * 3)
    y.masked_fill_(mask, 7.0)
    assert y.grad_fn.name == "MaskedFill" and y._version == 3
    (y * weights).sum().backward()
    tx = torch.tensor(base, requires_grad=True)
    tsrc = torch.full((2, 2), 0.5, dtype=torch.float64, requires_grad=True)
    ty = tx * 2
    ty.scatter_(1, torch.from_numpy(index), tsrc)
    ty.scatter_add_(1, torch.from_numpy(index), tsrc * 3)
    ty.masked_fill_(torch.from_numpy(mask), 7.0)
    (ty * torch.from_numpy(weights)).sum().backward()
    np.testing.assert_allclose(y.data, ty.detach().numpy())
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())
    np.testing.assert_allclose(src.grad.data, tsrc.grad.numpy())
    plain = tg.tensor(base)
    assert plain.scatter_(0, [[1, 0, 1]], 9.0) is plain
    np.testing.assert_allclose(plain.data, torch.tensor(base).scatter_(0, torch.tensor([[1, 0, 1]]), 9.0).numpy())


def test_in_place_scatter_on_a_leaf_that_requires_grad_is_refused() -> None:
    w = tg.tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        w.scatter_(0, [1], 1.0)
    with pytest.raises(RuntimeError, match="leaf"):
        w.masked_fill_(np.array([True, False, False]), 1.0)
    with tg.no_grad():
        w.masked_fill_(np.array([True, False, False]), 1.0)
    assert w.tolist() == [1.0, 0.0, 0.0]


def test_masked_fill_value_tensor_gets_the_sum_over_masked_places() -> None:
    x = tg.tensor(np.ones((2, 3)), requires_grad=True)
    value = tg.tensor(np.array(2.0), requires_grad=True)
    x.masked_fill(np.array([True, False, True]), value).sum().backward()
    assert value.grad.item() == 4.0
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]


VIEWS = {
    "squeeze": lambda t: t.squeeze(), "unsqueeze": lambda t: t.unsqueeze(1), "expand": lambda t: t.expand(3, 2, 1, 3),
    "permute": lambda t: t.permute(2, 0, 1), "movedim": lambda t: t.movedim(0, 2), "flatten": lambda t: t.flatten(),
    "unflatten": lambda t: t.unflatten(2, (3, 1)), "split": lambda t: t.split(1, 2)[1],
    "chunk": lambda t: t.chunk(2)[0], "transpose": lambda t: t.transpose(0, 2), "mT": lambda t: t.mT,
}
COPIES = {
    "repeat": lambda t: t.repeat(1, 1, 1), "flip": lambda t: t.flip(0), "roll": lambda t: t.roll(1),
    "pad": lambda t: F.pad(t, (0, 0)), "gather": lambda t: t.gather(0, np.zeros((1, 1, 3), dtype=np.int64)),
    "index_select": lambda t: t.index_select(0, [0]), "masked_fill": lambda t: t.masked_fill(t > 10, 0.0),
    "scatter": lambda t: t.scatter(0, [[[0]]], 1.0),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_ops_share_memory_and_version_as_pytorchs(name: str) -> None:
    base = tg.tensor(np.arange(6.0).reshape(2, 1, 3))
    view = VIEWS[name](base)
    assert np.shares_memory(view.data, base.data)
    assert view.grad_fn is None
    base += 1
    assert view._vc is base._vc and view._version == 1
    parent = tg.tensor(np.arange(6.0).reshape(2, 1, 3), requires_grad=True) * 1
    if name != "expand":  # an expanded view is read-only, as PyTorch refuses writes into one
        with pytest.raises(RuntimeError, match="view"):
            VIEWS[name](parent).mul_(2)


@pytest.mark.parametrize("name", sorted(COPIES))
def test_copying_ops_do_not_share_memory(name: str) -> None:
    base = tg.tensor(np.arange(6.0).reshape(2, 1, 3))
    out = COPIES[name](base)
    assert not np.shares_memory(out.data, base.data)
    out += 1  # and may change in place freely
    assert base.data.max() == 5.0


def test_writing_into_an_expanded_tensor_is_refused() -> None:
    expanded = tg.tensor([1.0, 2.0]).expand(3, 2)
    with pytest.raises(RuntimeError, match="read-only"):
        expanded.add_(1.0)


def test_flatten_keeps_its_older_keyword() -> None:
    x = tg.zeros(2, 3, 4)
    assert x.flatten(start_axis=1).shape == (2, 12)
    assert x.flatten(1, -2).shape == (2, 3, 4)
    with pytest.raises(TypeError, match="start_axis"):
        x.flatten(1, start_axis=1)


def test_transpose_two_ints_swap_a_permutation_permutes() -> None:
    x = tg.tensor(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_array_equal(x.transpose(0, 2).data, np.swapaxes(x.data, 0, 2))
    np.testing.assert_array_equal(x.transpose(2, 0, 1).data, x.data.transpose(2, 0, 1))
    np.testing.assert_array_equal(x.transpose((1, 0, 2)).data, x.data.transpose(1, 0, 2))
    m = tg.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(m.transpose(0, 1).data, m.data.T)
    np.testing.assert_array_equal(m.transpose(1, 0).data, m.data.T)
    np.testing.assert_array_equal(m.transpose((0, 1)).data, m.data)


def test_split_and_chunk_edge_sizes_match_pytorch() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; the comparison needs it")
    for size in (0, 1, 5, 10):
        for chunks in (1, 3, 4, 6):
            ours = [p.shape for p in tg.zeros(size, 2).chunk(chunks)]
            assert ours == [tuple(p.shape) for p in torch.zeros(size, 2).chunk(chunks)], (size, chunks)
        for split_size in (1, 3, 11):
            ours = [p.shape for p in tg.zeros(size).split(split_size)]
            assert ours == [tuple(p.shape) for p in torch.zeros(size).split(split_size)], (size, split_size)


def test_zero_dimensional_tensors_take_dim_0_and_minus_1_as_pytorch() -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is not installed; the comparison needs it")
    x, tx = tg.tensor(np.array(2.5)), torch.tensor(2.5, dtype=torch.float64)
    assert x.squeeze(0).shape == tuple(tx.squeeze(0).shape)
    assert x.unsqueeze(-1).shape == tuple(tx.unsqueeze(-1).shape)
    assert x.flatten().shape == tuple(tx.flatten().shape)
    assert x.gather(0, [0, 0]).tolist() == tx.gather(0, torch.tensor([0, 0])).tolist()
    assert x.index_select(0, [0]).shape == tuple(tx.index_select(0, torch.tensor([0])).shape)
    assert x.scatter(0, np.array(0), 4.0).tolist() == tx.scatter(0, torch.tensor(0), 4.0).tolist()
    assert x.roll(3).tolist() == tx.roll(3).tolist() and x.repeat(2).shape == tuple(tx.repeat(2).shape)
    assert x.tile(()).shape == () and x.flip(0).tolist() == 2.5


def test_integer_tensors_move_and_pad_keeping_their_dtype() -> None:
    labels = tg.tensor(np.array([[1, 2, 3]]))
    assert F.pad(labels, (1, 1), value=2.7).tolist() == [[2, 1, 2, 3, 2]]
    assert labels.expand(2, 3).dtype == np.int64 and labels.repeat(2, 1).dtype == np.int64
    assert labels.masked_fill(labels > 1, 0).tolist() == [[1, 0, 0]]


ERRORS: list[tuple[str, Callable[[Tensor], Any], type[Exception], str]] = [
    ("squeeze dim out of range", lambda t: t.squeeze(3), IndexError, r"squeeze: dim=3 .*\[-3, 2\]"),
    ("squeeze repeated dim", lambda t: t.squeeze((1, 1)), ValueError, r"squeeze.*more than once"),
    ("squeeze float dim", lambda t: t.squeeze(1.0), TypeError, r"squeeze: dim must be an integer"),
    ("unsqueeze out of range", lambda t: t.unsqueeze(4), IndexError, r"unsqueeze: dim=4 .*\[-4, 3\]"),
    ("expand too few sizes", lambda t: t.expand(3), ValueError, r"expand: 1 sizes .*\(2, 1, 3\)"),
    ("expand a non-1 side", lambda t: t.expand(3, 1, 3), ValueError, r"expand: .*\(2, 1, 3\).*\(3, 1, 3\)"),
    ("expand -1 in a new dim", lambda t: t.expand(-1, 2, 1, 3), ValueError, r"expand: size -1 .*new leading dim 0"),
    ("expand negative", lambda t: t.expand(2, -2, 3), ValueError, r"expand: sizes must be non-negative.*-2"),
    ("repeat too few", lambda t: t.repeat(2, 2), ValueError, r"repeat: 2 repeat counts for a 3-D"),
    ("repeat negative", lambda t: t.repeat(1, -1, 1), ValueError, r"repeat: .*non-negative"),
    ("repeat float", lambda t: t.repeat(1.5, 1, 1), TypeError, r"repeat: sizes must be integers.*1.5"),
    ("permute too few", lambda t: t.permute(0, 1), ValueError, r"permute: 2 dims given for a 3-D"),
    ("permute repeated", lambda t: t.permute(0, 1, 1), ValueError, r"permute.*more than once"),
    ("movedim lengths", lambda t: t.movedim((0, 1), (1,)), ValueError, r"movedim: .*different numbers"),
    ("movedim repeated", lambda t: t.movedim((0, 0), (1, 2)), ValueError, r"movedim: source .*more than once"),
    ("movedim out of range", lambda t: t.movedim(0, 3), IndexError, r"movedim: destination=3"),
    ("transpose out of range", lambda t: t.transpose(0, 3), IndexError, r"transpose: dim1=3"),
    ("transpose half keywords", lambda t: t.transpose(dim0=1), TypeError, r"transpose: give both"),
    ("mT of 1-D", lambda t: t.flatten().mT, ValueError, r"mT needs a matrix.*1-D"),
    ("flatten reversed", lambda t: t.flatten(2, 1), ValueError, r"flatten: start_dim=2 comes after end_dim=1"),
    ("flatten out of range", lambda t: t.flatten(3), IndexError, r"flatten: start_dim=3"),
    ("unflatten sizes", lambda t: t.unflatten(2, (2, 2)), ValueError, r"unflatten: sizes \(2, 2\) .* size 3"),
    ("unflatten two -1", lambda t: t.unflatten(2, (-1, -1)), ValueError, r"unflatten: .*one -1"),
    ("unflatten empty", lambda t: t.unflatten(2, ()), ValueError, r"unflatten: sizes must not be empty"),
    ("split size 0", lambda t: t.split(0), ValueError, r"split: split_size must be positive.*0"),
    ("split sections", lambda t: t.split([1, 1], 2), ValueError, r"split: section sizes \(1, 1\) .* 3"),
    ("split 0-d", lambda t: t.sum().split(1), ValueError, r"split: .*0-d"),
    ("chunk 0", lambda t: t.chunk(0), ValueError, r"chunk: chunks must be a positive integer, got 0"),
    ("flip repeated", lambda t: t.flip((0, 0)), ValueError, r"flip: dim \(0, 0\) names a dim more than once"),
    ("flip out of range", lambda t: t.flip(3), IndexError, r"flip: dim=3"),
    ("roll shifts without dims", lambda t: t.roll((1, 2)), ValueError, r"roll: 2 shifts"),
    ("roll shifts and dims", lambda t: t.roll((1, 2), 0), ValueError, r"roll: 2 shifts for 1 dims"),
    ("pad odd", lambda t: F.pad(t, (1,)), ValueError, r"pad: .*pairs, got 1"),
    ("pad too long", lambda t: F.pad(t, (1,) * 8), ValueError, r"pad: 4 \(before, after\) pairs for a 3-D"),
    ("pad mode", lambda t: F.pad(t, (1, 1), mode="mirror"), ValueError, r"pad: mode must be one of.*'mirror'"),
    ("pad float width", lambda t: F.pad(t, (1.0, 1)), TypeError, r"pad: sizes must be integers"),
    ("pad crops too much", lambda t: F.pad(t, (-2, -2)), ValueError, r"pad: widths \(-2, -2\).*size 3"),
    ("pad reflect value", lambda t: F.pad(t, (1, 1), mode="reflect", value=1.0), ValueError, r"takes no value"),
    ("pad reflect too wide", lambda t: F.pad(t, (3, 0), mode="reflect"), ValueError, r"reflect widths.*size 3"),
    ("pad circular too wide", lambda t: F.pad(t, (4, 0), mode="circular"), ValueError, r"circular widths.*size 3"),
    ("pad reflect rank", lambda t: F.pad(t[0, 0], (1, 1), mode="reflect"), ValueError, r"last 1, 2 or 3 dims.*1-D"),
    ("pad replicate negative", lambda t: F.pad(t, (-1, 0), mode="replicate"), ValueError, r"negative widths"),
    ("gather float index", lambda t: t.gather(0, np.zeros((1, 1, 1))), TypeError, r"gather: index must hold integ"),
    ("gather negative index", lambda t: t.gather(2, [[[-1]]]), IndexError, r"gather: index -1 .*dimension 2.*3"),
    ("gather index too big", lambda t: t.gather(2, [[[3]]]), IndexError, r"gather: index 3 is out of bounds"),
    ("gather index rank", lambda t: t.gather(2, [0]), ValueError, r"gather: index has 1 dimensions .* 3"),
    ("gather index shape", lambda t: t.gather(2, np.zeros((3, 1, 1), int)), ValueError, r"gather: index of shape"),
    ("scatter src and value", lambda t: t.scatter(0, [[[0]]], 1.0, value=2.0), TypeError, r"scatter: give src"),
    ("scatter src small", lambda t: t.scatter(2, [[[0, 1]]], tg.ones(1, 1, 1, dtype=np.float64)), ValueError,
     r"scatter: src of shape \(1, 1, 1\)"),
    ("scatter src dtype", lambda t: t.scatter(2, [[[0]]], tg.ones(1, 1, 1)), TypeError,
     r"scatter: src has dtype float32 but the tensor has float64"),
    ("index_select 2-D", lambda t: t.index_select(0, [[0]]), ValueError, r"index_select: index must be 1-D"),
    ("index_select negative", lambda t: t.index_select(2, [-1]), IndexError, r"index_select: index -1"),
    ("masked_fill int mask", lambda t: t.masked_fill(np.array([1, 0, 1]), 0.0), TypeError,
     r"masked_fill: mask must be a bool tensor, got dtype int64"),
    ("masked_fill 1-D value", lambda t: t.masked_fill(t > 0, tg.ones(1)), ValueError,
     r"masked_fill: value must be a number or a 0-d tensor"),
    ("masked_fill shape", lambda t: t.masked_fill(np.ones(2, bool), 0.0), ValueError,
     r"masked_fill: mask of shape \(2,\) .*\(2, 1, 3\)"),
    ("masked_fill_ grows", lambda t: (t * 1).masked_fill_(np.ones((2, 2, 1, 3), bool), 0.0), RuntimeError,
     r"masked_fill_: the result has shape \(2, 2, 1, 3\)"),
    ("mask getitem shape", lambda t: t[np.array([True, False, True])], IndexError, r"getitem: .*\(2, 1, 3\)"),
]


@pytest.mark.parametrize("name", [e[0] for e in ERRORS])
def test_bad_arguments_raise_clear_errors(name: str) -> None:
    _, call, error, message = next(e for e in ERRORS if e[0] == name)
    with pytest.raises(error, match=message):
        call(tg.tensor(np.arange(6.0).reshape(2, 1, 3), requires_grad=True))


def test_compiled_step_reads_each_calls_index() -> None:
    weights = tg.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)

    def step(columns: np.ndarray, rows: np.ndarray, slot: np.ndarray) -> Tensor:
        picked = weights.gather(1, columns).index_select(0, rows).scatter_add(0, slot, weights[:1, :1] * 3)
        weights.grad = None
        total = (picked * picked).sum()
        total.backward()
        return total

    compiled = tg.compile(step)
    calls = (([[0], [1], [2]], [2, 0], 0), ([[3], [2], [0]], [1, 1], 1), ([[1], [1], [1]], [0, 2], 1))
    for columns, rows, slot in calls:
        args = np.array(columns), np.array(rows), np.array([[slot]])
        got = compiled(*args).item()
        got_grad = weights.grad.data.copy()
        assert got == step(*args).item()
        np.testing.assert_array_equal(got_grad, weights.grad.data)


def test_graphs_of_these_ops_draw_and_explain() -> None:
    x = tg.tensor(np.arange(6.0).reshape(2, 3) / 6, requires_grad=True, name="X")
    h = F.pad(x, (1, 0)).gather(1, [[0, 1], [2, 3]]).masked_fill(np.array([True, False]), 0.5).expand(3, 2, 2)
    loss = h.flip(0).sum()
    dot = tg.viz.to_dot(loss, mode="backward")
    text = tg.explain(loss)
    for op in ("Pad", "Gather", "MaskedFill", "Expand", "Flip"):
        assert op in dot and op in text
    assert "dX = the part of" in text and "summed over the broadcast axes" in text
