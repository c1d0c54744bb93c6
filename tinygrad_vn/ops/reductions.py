"""Reductions over axes (sum, mean, max, min) and argmax; axes are normalised in one place."""

from __future__ import annotations

import math
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


class Mean(Function):
    """M = Σ A / n over ``axis``; dA = dM / n broadcast back over the averaged axes."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        ctx.shape, ctx.axes, ctx.keepdims = a.shape, normalize_axes(axis, a.ndim), keepdims
        ctx.count = math.prod([a.shape[i] for i in ctx.axes])
        if ctx.count == 0:
            raise ValueError(f"mean over an empty axis of a tensor of shape {a.shape} is undefined")
        if a.dtype.kind == "f":  # a dtype argument alone costs 1 µs a call
            total = np.add.reduce(a, axis=ctx.axes, keepdims=keepdims)
        else:
            total = np.add.reduce(a, axis=ctx.axes, keepdims=keepdims, dtype=np.float64)
        return np.asarray(total / ctx.count)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        out = np.empty(ctx.shape, dtype=grad.dtype)
        return np.divide(_kept(grad, ctx.shape, ctx.axes, ctx.keepdims), ctx.count, out=out)


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
    """Indices of the maxima along ``axis``."""

    differentiable = False

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: int | None = None) -> np.ndarray:
        return np.asarray(a.argmax(axis=axis))
