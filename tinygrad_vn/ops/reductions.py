"""Reductions over axes (sum, mean, max, min, logsumexp, var, std, prod, norm, any, all), cumulative sums,
argmax/argmin, sorting, and taking values at indices; axes are normalised in one place, and the two spellings of
an axis argument (PyTorch's ``dim``/``keepdim``, NumPy's ``axis``/``keepdims``) are reconciled in one place."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..autograd import Context, Function

_ALL_AXES = tuple(tuple(range(n)) for n in range(8))


def normalize_axes(axis: int | tuple[int, ...] | None, ndim: int) -> tuple[int, ...]:
    """Axis argument as a sorted tuple of non-negative axes (all axes for ``None``)."""
    if axis is None:
        return _ALL_AXES[ndim] if ndim < len(_ALL_AXES) else tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    normalized = []
    for ax in axes:
        if not -ndim <= ax < max(ndim, 1):
            raise ValueError(f"axis {ax} is out of range for a tensor of {ndim} dimensions")
        normalized.append(int(ax) % max(ndim, 1))
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"repeated axis in {axis}")
    return tuple(sorted(normalized))


def either_spelling(op: str, names: tuple[str, str], first: Any, second: Any, default: Any = None) -> Any:
    """The value of an argument that has two spellings (``dim``/``axis``, ``keepdim``/``keepdims``).

    ``first`` and ``second`` are what the caller passed under ``names[0]`` and ``names[1]`` (None when not
    passed); giving both is refused, since they name one argument.
    """
    if second is None:
        return default if first is None else first
    if first is not None:
        raise TypeError(f"{op}() got both {names[0]}={first!r} and {names[1]}={second!r}; they are two spellings "
                        "of one argument, give only one")
    return second


def single_axis(op: str, axis: Any, ndim: int) -> int:
    """One axis (an int, negative counting from the end) as a non-negative int; a 0-d tensor has axis 0 (or -1)."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}(): dim must be one int, not {type(axis).__name__} {axis!r}")
    size = max(ndim, 1)
    if not -size <= axis < size:
        raise IndexError(f"{op}(): dim {axis} is out of range for a tensor of {ndim} dimensions "
                         f"(expected one in [{-size}, {size - 1}])")
    return int(axis) % size


def _kept(grad: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """A reduction's gradient with the reduced axes back as size 1, ready to broadcast over ``shape``."""
    if keepdims or grad.ndim == 0:
        return grad
    return grad.reshape([1 if i in axes else n for i, n in enumerate(shape)])


def _spread(grad: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """The gradient of a reduction broadcast back over the reduced axes, as a fresh array."""
    out = np.empty(shape, dtype=grad.dtype)
    out[...] = _kept(grad, shape, axes, keepdims)
    return out


class Sum(Function):
    """S = Σ A over ``axis``; dA = dS broadcast back over the summed axes."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        ctx.shape, ctx.axes, ctx.keepdims = a.shape, normalize_axes(axis, a.ndim), keepdims
        return np.asarray(np.add.reduce(a, axis=ctx.axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return _spread(grad, ctx.shape, ctx.axes, ctx.keepdims)

    @staticmethod
    def loop_forward(loop: Any, ctx: Context, inputs: list[str], attrs: dict[str, Any]) -> str | None:
        """The loop template (see ``tinygrad_vn.fused``): a sum over every axis, in NumPy's order."""
        (a,) = inputs
        if len(ctx.axes) != len(ctx.shape) or not loop.same_dtype(a):
            return None
        out = loop.buffer((1,) * len(ctx.shape) if ctx.keepdims else (), loop.plan.dtype(a))
        loop.line(f"{loop.flat(out)}[0] = _loops.pairwise_sum({loop.flat(a)})")
        return out

    @staticmethod
    def loop_backward(loop: Any, ctx: Context, inputs: list[str], output: str, grad: str,
                      targets: list[str | None]) -> list[str | None] | None:
        """The loop template of the backward: dS everywhere (divided by 1, which is exact)."""
        out = targets[0] or loop.buffer(ctx.shape, loop.plan.dtype(inputs[0]))
        loop.line(f"_loops.fill_mean_gradient({loop.flat(grad)}, 1, {loop.flat(out)})")
        return [out]


class Mean(Function):
    """M = Σ A / n over ``axis``; dA = dM / n broadcast back over the averaged axes."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        shape, axes = a.shape, normalize_axes(axis, a.ndim)
        count = a.size if axis is None else math.prod([shape[i] for i in axes])  # the same number either way
        ctx.shape, ctx.axes, ctx.keepdims, ctx.count = shape, axes, keepdims, count
        if count == 0:
            raise ValueError(f"mean over an empty axis of a tensor of shape {shape} is undefined")
        return _mean_of(a, axes, keepdims, count)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        shape, keepdims = ctx.shape, ctx.keepdims
        kept = grad if keepdims or grad.ndim == 0 else _kept(grad, shape, ctx.axes, keepdims)
        return np.divide(kept, ctx.count, out=np.empty(shape, dtype=grad.dtype))

    @staticmethod
    def plan_forward(plan: Any, ctx: Context, inputs: list[str], attrs: dict[str, Any]) -> str | None:
        """The prepared form (see ``tinygrad_vn.plan``): the eager forward's own arithmetic."""
        (a,) = inputs
        if plan.dtype(a).kind != "f":
            return None
        return plan.local(_mean_of, a, ctx.axes, ctx.keepdims, ctx.count)

    @staticmethod
    def plan_backward(plan: Any, ctx: Context, inputs: list[str], output: str, grad: str,
                      targets: list[str | None]) -> list[str | None] | None:
        """The prepared backward: dM / n spread into an array of the plan (or the target gradient)."""
        (a,) = inputs
        if not plan.known(grad) or plan.dtype(grad) != plan.dtype(a):
            return None
        out = targets[0] or plan.buffer(ctx.shape, plan.dtype(a))
        plan.call(np.divide, plan.expression(_kept, grad, ctx.shape, ctx.axes, ctx.keepdims), ctx.count, out=out)
        return [out]

    @staticmethod
    def loop_forward(loop: Any, ctx: Context, inputs: list[str], attrs: dict[str, Any]) -> str | None:
        """The loop template (see ``tinygrad_vn.fused``): a mean over every axis, summed in NumPy's order."""
        (a,) = inputs
        plan = loop.plan
        if len(ctx.axes) != len(ctx.shape) or not loop.same_dtype(a):
            return None
        out = loop.buffer((1,) * len(ctx.shape) if ctx.keepdims else (), plan.dtype(a))
        source, count = loop.flat(a), loop.integer(ctx.count)
        loop.line(f"{loop.flat(out)}[0] = _loops.pairwise_sum({source}) / {source}.dtype.type({count})")
        return out

    @staticmethod
    def loop_backward(loop: Any, ctx: Context, inputs: list[str], output: str, grad: str,
                      targets: list[str | None]) -> list[str | None] | None:
        """The loop template of the backward: dM / n everywhere."""
        out = targets[0] or loop.buffer(ctx.shape, loop.plan.dtype(inputs[0]))
        loop.line(f"_loops.fill_mean_gradient({loop.flat(grad)}, {loop.integer(ctx.count)}, {loop.flat(out)})")
        return [out]


def _mean_of(a: np.ndarray, axes: tuple[int, ...], keepdims: bool, count: int) -> np.ndarray:
    """The mean of ``a`` over ``axes`` (``count`` values each), in float64 for integer arrays."""
    if a.dtype.kind == "f":  # a dtype argument alone costs 1 µs a call
        total = np.add.reduce(a, axis=axes, keepdims=keepdims)
    else:
        total = np.add.reduce(a, axis=axes, keepdims=keepdims, dtype=np.float64)
    return np.asarray(total / count)


class Max(Function):
    """M = max A over ``axis``; dA = dM where A equals the maximum (split evenly on ties), else 0."""

    reduce = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx: Context, a: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        if a.size == 0:
            raise ValueError(f"{cls.__name__.lower()}() of an empty tensor is undefined")
        axes = normalize_axes(axis, a.ndim)
        out = np.asarray(cls.reduce(a, axis=axes, keepdims=keepdims))
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdims = axes, keepdims
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        a, out = ctx.saved
        hit = a == _spread(out, a.shape, ctx.axes, ctx.keepdims)
        count = hit.sum(axis=ctx.axes, keepdims=True)
        return _spread(grad, a.shape, ctx.axes, ctx.keepdims) * hit / count


class Min(Max):
    """M = min A over ``axis``; dA = dM where A equals the minimum (split evenly on ties), else 0."""

    reduce = staticmethod(np.min)


# These carry no gradient, but run as ops so that a compiled step recomputes them on every call
# instead of keeping the values of the call that recorded it.


class ArgMax(Function):
    """Indices (int64) of the maxima along ``axis``, or into the flattened tensor (the first one on ties; NaN counts
    as the largest)."""

    differentiable = False
    find = staticmethod(np.argmax)

    @classmethod
    def forward(cls, ctx: Context, a: np.ndarray, axis: int | None = None, keepdims: bool = False) -> np.ndarray:
        name = cls.__name__.lower()
        if axis is None:
            if a.size == 0:
                raise ValueError(f"{name}() of an empty tensor is undefined; give a dim to reduce over")
            index = cls.find(a.reshape(-1))
            return np.full((1,) * a.ndim if keepdims else (), index, dtype=np.int64)
        axis = single_axis(name, axis, a.ndim)
        if a.ndim == 0:
            return np.zeros((), dtype=np.int64)
        if a.shape[axis] == 0:
            raise ValueError(f"{name}() over dim {axis} of a tensor of shape {a.shape}: that dim is empty")
        return np.asarray(cls.find(a, axis=axis, keepdims=keepdims), dtype=np.int64)


class ArgMin(ArgMax):
    """Indices (int64) of the minima along ``axis``, or into the flattened tensor (the first one on ties; NaN counts
    as the smallest)."""

    find = staticmethod(np.argmin)


class ArgSort(Function):
    """Indices (int64) that sort the tensor along ``axis`` (stable: equal values keep their order; NaN sorts as the
    largest value), ascending or descending; with ``count``, only the first ``count`` of them."""

    differentiable = False

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: int = -1, descending: bool = False,
                count: int | None = None) -> np.ndarray:
        if a.ndim == 0:
            return np.zeros((), dtype=np.int64)
        axis = single_axis("sort", axis, a.ndim)
        if descending:  # a stable descending order: sort the reversed tensor ascending, then reverse back
            flipped = np.argsort(np.flip(a, axis), axis=axis, kind="stable")
            order = (a.shape[axis] - 1) - np.flip(flipped, axis)
        else:
            order = np.argsort(a, axis=axis, kind="stable")
        if count is not None:
            order = order[(slice(None),) * axis + (slice(0, count),)]
        return np.ascontiguousarray(order, dtype=np.int64)


class TakeAlongAxis(Function):
    """V = A[I] along ``axis``; dA = dV added into zeros at the positions I.

    ``I`` holds integer positions along ``axis`` (the values that sort, topk and max(dim) pick). With
    ``squeeze``, ``I`` lacks ``axis`` (one position per row) and so does ``V``.
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, indices: np.ndarray, axis: int = -1,
                squeeze: bool = False) -> np.ndarray:
        if squeeze:
            indices = np.expand_dims(indices, axis)
        ctx.shape, ctx.axis, ctx.squeeze = a.shape, axis, squeeze
        ctx.save_for_backward(indices)
        out = np.take_along_axis(a, indices, axis=axis)
        return out.squeeze(axis) if squeeze else out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None]:
        (indices,) = ctx.saved
        if ctx.squeeze:
            grad = np.expand_dims(grad, ctx.axis)
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        positions = list(np.ogrid[tuple(slice(n) for n in indices.shape)])
        positions[ctx.axis] = indices
        np.add.at(out, tuple(positions), grad)
        return out, None


class AnyTrue(Function):
    """Whether any element along ``axis`` is non-zero (a bool tensor; NaN counts as non-zero)."""

    differentiable = False
    reduce = staticmethod(np.any)

    @classmethod
    def forward(cls, ctx: Context, a: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        return np.asarray(cls.reduce(a, axis=normalize_axes(axis, a.ndim), keepdims=keepdims))


class AllTrue(AnyTrue):
    """Whether every element along ``axis`` is non-zero (a bool tensor; True over an empty axis)."""

    reduce = staticmethod(np.all)


def _require_float(op: str, a: np.ndarray) -> None:
    if a.dtype.kind != "f":
        raise TypeError(f"{op}() needs a floating-point tensor, got {a.dtype} (convert with .float() first)")


class LogSumExp(Function):
    """L = log Σ exp A over ``axis``; dA = dL ⊙ exp(A − L).

    Computed around the maximum, so large values do not overflow; an all −∞ row gives −∞ (and NaN
    gradients), and an empty one −∞, as in PyTorch.
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        _require_float("logsumexp", a)
        axes = normalize_axes(axis, a.ndim)
        peak = np.max(a, axis=axes, keepdims=True, initial=-np.inf)
        peak = np.where(np.isfinite(peak), peak, 0)
        with np.errstate(divide="ignore"):
            kept = np.log(np.add.reduce(np.exp(a - peak), axis=axes, keepdims=True)) + peak
        ctx.save_for_backward(a, kept)
        ctx.axes, ctx.keepdims = axes, keepdims
        return kept if keepdims else kept.reshape([n for i, n in enumerate(a.shape) if i not in axes])

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        a, kept = ctx.saved
        with np.errstate(invalid="ignore"):
            return np.exp(a - kept) * _kept(grad, a.shape, ctx.axes, ctx.keepdims)


class Var(Function):
    """V = Σ (A − mean A)² / (n − c) over ``axis``; dA = dV ⊙ 2 (A − mean A) / (n − c).

    ``c`` is the correction (1, the default, for the unbiased estimate; 0 for the population variance).
    With n − c ≤ 0 the result is NaN or ∞ and a warning says so, as in PyTorch.
    """

    @classmethod
    def forward(cls, ctx: Context, a: np.ndarray, axis: Any = None, correction: float = 1,
                keepdims: bool = False) -> np.ndarray:
        name = cls.__name__.lower()
        _require_float(name, a)
        axes = normalize_axes(axis, a.ndim)
        count = math.prod([a.shape[i] for i in axes])
        dof = max(0.0, count - correction)
        if dof == 0:
            warnings.warn(f"{name}(): degrees of freedom n - correction = {count} - {correction} is <= 0, so the "
                          "result is NaN or inf", RuntimeWarning, stacklevel=4)
        with np.errstate(divide="ignore", invalid="ignore"):
            centred = a - np.add.reduce(a, axis=axes, keepdims=True) / count
            out = np.add.reduce(centred * centred, axis=axes, keepdims=keepdims) / dof
        ctx.axes, ctx.keepdims, ctx.dof = axes, keepdims, dof
        return cls.finish(ctx, centred, np.asarray(out))

    @staticmethod
    def finish(ctx: Context, centred: np.ndarray, var: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(centred)
        return var

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (centred,) = ctx.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            return _kept(grad, centred.shape, ctx.axes, ctx.keepdims) * (2 / ctx.dof if ctx.dof else np.inf) * centred


class Std(Var):
    """S = √(Σ (A − mean A)² / (n − c)) over ``axis``; dA = dS ⊙ (A − mean A) / ((n − c) S).

    Where S = 0 (all values equal) the gradient is 0, as in PyTorch; see :class:`Var` for ``c``.
    """

    @staticmethod
    def finish(ctx: Context, centred: np.ndarray, var: np.ndarray) -> np.ndarray:
        out = np.sqrt(var)
        ctx.save_for_backward(centred, out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        centred, out = ctx.saved
        kept_out = _kept(out, centred.shape, ctx.axes, ctx.keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(kept_out == 0, 0, _kept(grad, centred.shape, ctx.axes, ctx.keepdims) / (2 * kept_out))
            return scale * (2 / ctx.dof if ctx.dof else np.inf) * centred


class Prod(Function):
    """P = Π A over ``axis``; dA = dP ⊙ P / A (the product of the other elements).

    That is P / A where A has no zeros; where it has, the products of the others are formed from
    running products from each side, so the gradient stays exact (as PyTorch's).
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        axes = normalize_axes(axis, a.ndim)
        out = np.asarray(np.prod(a, axis=axes, keepdims=keepdims))
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdims = axes, keepdims
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        a, out = ctx.saved
        kept_grad = _kept(grad, a.shape, ctx.axes, ctx.keepdims)
        if np.all(a != 0):
            return kept_grad * _kept(out, a.shape, ctx.axes, ctx.keepdims) / a
        return kept_grad * _products_of_others(a, ctx.axes)


def _products_of_others(a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """For every element, the product of the other elements of its group along ``axes`` (zeros allowed)."""
    ends = tuple(range(a.ndim - len(axes), a.ndim))
    moved = np.moveaxis(a, axes, ends)
    rows = moved.reshape(*moved.shape[:a.ndim - len(axes)], -1)
    ones = np.ones_like(rows[..., :1])
    before = np.cumprod(np.concatenate([ones, rows[..., :-1]], axis=-1), axis=-1)
    after = np.flip(np.cumprod(np.concatenate([ones, np.flip(rows, -1)[..., :-1]], axis=-1), axis=-1), -1)
    return np.moveaxis((before * after).reshape(moved.shape), ends, axes)


class Norm(Function):
    """N = ‖A‖ₚ over ``axis``; dA = dN ⊙ sign(A) ⊙ (|A| / N)^(p − 1).

    p = 2 (the default, also for ``"fro"``), 1, ∞ (max |A|; the gradient is split evenly among the
    elements that reach it), −∞ (min |A|), 0 (the count of non-zeros, gradient 0) or any other number
    ((Σ |A|ᵖ)^(1/p)). Where N = 0 (or A = 0 for p < 1) the gradient is 0, as in PyTorch.
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, p: float = 2, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        _require_float("norm", a)
        axes = normalize_axes(axis, a.ndim)
        magnitude = np.abs(a)
        if p == 2:
            out = np.sqrt(np.add.reduce(a * a, axis=axes, keepdims=keepdims))
        elif p == 1:
            out = np.add.reduce(magnitude, axis=axes, keepdims=keepdims)
        elif p == np.inf:
            out = np.max(magnitude, axis=axes, keepdims=keepdims, initial=0)
        elif p == -np.inf:
            out = np.min(magnitude, axis=axes, keepdims=keepdims, initial=np.inf)
        elif p == 0:
            out = np.add.reduce(magnitude != 0, axis=axes, keepdims=keepdims).astype(a.dtype)
        else:
            with np.errstate(divide="ignore"):
                out = np.add.reduce(magnitude ** p, axis=axes, keepdims=keepdims) ** (1 / p)
        out = np.asarray(out, dtype=a.dtype)
        ctx.save_for_backward(a, out)
        ctx.p, ctx.axes, ctx.keepdims = p, axes, keepdims
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        a, out = ctx.saved
        p = ctx.p
        kept_grad = _kept(grad, a.shape, ctx.axes, ctx.keepdims)
        kept_out = _kept(out, a.shape, ctx.axes, ctx.keepdims)
        if p == 0:
            return np.zeros_like(a)
        if p == 1:
            return kept_grad * np.sign(a)
        if p in (np.inf, -np.inf):
            hit = np.abs(a) == kept_out
            return kept_grad * np.sign(a) * hit / np.add.reduce(hit, axis=ctx.axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = a / kept_out if p == 2 else np.sign(a) * (np.abs(a) / kept_out) ** (p - 1)
        return kept_grad * np.where((kept_out == 0) | (a == 0), 0, slope)


class CumSum(Function):
    """C = running Σ A along ``axis``; dA = running Σ of dC along ``axis``, from the end."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: int = 0) -> np.ndarray:
        ctx.axis = single_axis("cumsum", axis, a.ndim)
        if a.ndim == 0:
            return np.array(a, dtype=np.int64 if a.dtype.kind in "biu" else a.dtype)
        return np.cumsum(a, axis=ctx.axis)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        if grad.ndim == 0:
            return grad
        return np.flip(np.cumsum(np.flip(grad, ctx.axis), axis=ctx.axis), ctx.axis)
