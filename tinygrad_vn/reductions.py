"""PyTorch's function forms of the reductions and sorts: ``tg.sum(x, dim)`` is ``x.sum(dim)``, and so on.

They live in their own module because their names (``sum``, ``max``, ``min``, ``any``, ``all``) would
hide Python's built-ins inside ``tensor.py``. Each takes what the Tensor method takes (``dim``/``keepdim``,
or NumPy's ``axis``/``keepdims``) and accepts anything :class:`Tensor` accepts as ``input``.
"""

from __future__ import annotations

from typing import Any

from .tensor import Axis, Tensor, ValuesIndices, _as_tensor


def sum(input: Any, dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
        keepdims: bool | None = None) -> Tensor:
    """Sum over ``dim`` (all dims by default); see :meth:`Tensor.sum`."""
    return _as_tensor(input).sum(dim, keepdim, axis=axis, keepdims=keepdims)


def mean(input: Any, dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
         keepdims: bool | None = None) -> Tensor:
    """Mean over ``dim`` (all dims by default); see :meth:`Tensor.mean`."""
    return _as_tensor(input).mean(dim, keepdim, axis=axis, keepdims=keepdims)


def max(input: Any, dim: int | None = None, keepdim: bool | None = None, *, axis: Axis = None,
        keepdims: bool | None = None) -> Any:
    """The maximum; with ``dim``, ``(values, indices)`` as PyTorch's; see :meth:`Tensor.max`."""
    return _as_tensor(input).max(dim, keepdim, axis=axis, keepdims=keepdims)


def min(input: Any, dim: int | None = None, keepdim: bool | None = None, *, axis: Axis = None,
        keepdims: bool | None = None) -> Any:
    """The minimum; with ``dim``, ``(values, indices)`` as PyTorch's; see :meth:`Tensor.min`."""
    return _as_tensor(input).min(dim, keepdim, axis=axis, keepdims=keepdims)


def amax(input: Any, dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
         keepdims: bool | None = None) -> Tensor:
    """The maxima over ``dim``, values only; see :meth:`Tensor.amax`."""
    return _as_tensor(input).amax(dim, keepdim, axis=axis, keepdims=keepdims)


def amin(input: Any, dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
         keepdims: bool | None = None) -> Tensor:
    """The minima over ``dim``, values only; see :meth:`Tensor.amin`."""
    return _as_tensor(input).amin(dim, keepdim, axis=axis, keepdims=keepdims)


def argmax(input: Any, dim: int | None = None, keepdim: bool | None = None, *, axis: int | None = None,
           keepdims: bool | None = None) -> Tensor:
    """Indices of the maxima; see :meth:`Tensor.argmax`."""
    return _as_tensor(input).argmax(dim, keepdim, axis=axis, keepdims=keepdims)


def argmin(input: Any, dim: int | None = None, keepdim: bool | None = None, *, axis: int | None = None,
           keepdims: bool | None = None) -> Tensor:
    """Indices of the minima; see :meth:`Tensor.argmin`."""
    return _as_tensor(input).argmin(dim, keepdim, axis=axis, keepdims=keepdims)


def logsumexp(input: Any, dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
              keepdims: bool | None = None) -> Tensor:
    """log Σ eˣ over ``dim``, stably; see :meth:`Tensor.logsumexp`."""
    return _as_tensor(input).logsumexp(dim, keepdim, axis=axis, keepdims=keepdims)


def var(input: Any, dim: Axis | bool = None, unbiased: bool | None = None, keepdim: bool | None = None, *,
        correction: float | None = None, axis: Axis = None, keepdims: bool | None = None) -> Tensor:
    """Variance with ``correction`` (1 by default); see :meth:`Tensor.var`."""
    return _as_tensor(input).var(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)


def std(input: Any, dim: Axis | bool = None, unbiased: bool | None = None, keepdim: bool | None = None, *,
        correction: float | None = None, axis: Axis = None, keepdims: bool | None = None) -> Tensor:
    """Standard deviation with ``correction`` (1 by default); see :meth:`Tensor.std`."""
    return _as_tensor(input).std(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)


def prod(input: Any, dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
         keepdims: bool | None = None) -> Tensor:
    """Product over ``dim``; see :meth:`Tensor.prod`."""
    return _as_tensor(input).prod(dim, keepdim, axis=axis, keepdims=keepdims)


def norm(input: Any, p: float | str = "fro", dim: Axis = None, keepdim: bool | None = None, *,
         axis: Axis = None, keepdims: bool | None = None) -> Tensor:
    """The vector p-norm over ``dim``; see :meth:`Tensor.norm`."""
    return _as_tensor(input).norm(p, dim, keepdim, axis=axis, keepdims=keepdims)


def any(input: Any, dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
        keepdims: bool | None = None) -> Tensor:
    """Whether any element over ``dim`` is non-zero; see :meth:`Tensor.any`."""
    return _as_tensor(input).any(dim, keepdim, axis=axis, keepdims=keepdims)


def all(input: Any, dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
        keepdims: bool | None = None) -> Tensor:
    """Whether every element over ``dim`` is non-zero; see :meth:`Tensor.all`."""
    return _as_tensor(input).all(dim, keepdim, axis=axis, keepdims=keepdims)


def cumsum(input: Any, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """Running sums along ``dim``; see :meth:`Tensor.cumsum`."""
    return _as_tensor(input).cumsum(dim, axis=axis)


def sort(input: Any, dim: int | None = None, descending: bool = False, stable: bool = False, *,
         axis: int | None = None) -> ValuesIndices:
    """``(values, indices)`` sorted along ``dim``; see :meth:`Tensor.sort`."""
    return _as_tensor(input).sort(dim, descending, stable, axis=axis)


def argsort(input: Any, dim: int | None = None, descending: bool = False, stable: bool = False, *,
            axis: int | None = None) -> Tensor:
    """The indices that sort along ``dim``; see :meth:`Tensor.argsort`."""
    return _as_tensor(input).argsort(dim, descending, stable, axis=axis)


def topk(input: Any, k: int, dim: int | None = None, largest: bool = True, sorted: bool = True, *,
         axis: int | None = None) -> ValuesIndices:
    """The ``k`` largest (or smallest) along ``dim`` as ``(values, indices)``; see :meth:`Tensor.topk`."""
    return _as_tensor(input).topk(k, dim, largest, sorted, axis=axis)
