"""Movement and indexing: reshape, transpose, getitem/setitem, concatenation, detach and copies; PyTorch's
expand, repeat, pad, flip, roll, gather, scatter, index_select and masked_fill.

Reshape, transpose, expand, basic indexing and detach return views that share the input's memory, so
their outputs share its version counter (``Function.view``); the others copy, as PyTorch's do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Context, Function
from .elementwise import unbroadcast


def checked_dim(op: str, dim: Any, ndim: int, name: str = "dim", extra: int = 0) -> int:
    """``dim`` as an axis in [0, ndim + extra), counting negatives from the end; a 0-d tensor takes 0 and -1.

    ``extra`` is 1 for ops that insert an axis (``unsqueeze``). Refuses non-integers (TypeError) and
    axes out of range (IndexError), naming the op, the argument and the range, as PyTorch does.
    """
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an integer, got {type(dim).__name__} {dim!r}")
    count = max(ndim + extra, 1)
    if not -count <= dim < count:
        raise IndexError(f"{op}: {name}={dim} is out of range for a {ndim}-D tensor "
                         f"(expected in [{-count}, {count - 1}])")
    return int(dim) % count


class Reshape(Function):
    """B = A viewed with a new shape; dA = dB reshaped back."""

    view = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, shape: tuple[int, ...] = ()) -> np.ndarray:
        ctx.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {a.shape} "
                             f"({a.size} elements) into shape {tuple(shape)}") from None

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad.reshape(ctx.shape)


class Transpose(Function):
    """B = A with axes permuted; dA = dB with the inverse permutation."""

    view = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axes: tuple[int, ...] | None = None) -> np.ndarray:
        axes = tuple(reversed(range(a.ndim))) if axes is None else tuple(axes)
        if sorted(ax + a.ndim if ax < 0 else ax for ax in axes) != list(range(a.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of a {a.ndim}-D tensor's axes")
        ctx.inverse = tuple(np.argsort([ax % a.ndim for ax in axes]))
        return a.transpose(axes)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad.transpose(ctx.inverse)


def _names_each_place_once(index: Any) -> bool:
    """Whether ``index`` picks no element twice: only ints, slices, None, ``...`` and boolean masks, no int arrays."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis
               or (isinstance(p, np.ndarray) and p.dtype == np.bool_) for p in parts)


class GetItem(Function):
    """B = A[index]; dA = zeros with dB scattered back into the indexed places (repeats add up).

    A boolean mask (``A[A > 0]``) picks each place at most once, so its gradient is written straight
    back; integer arrays may repeat a place and add up through ``np.add.at``.
    """

    view = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, index: Any = None) -> np.ndarray:
        ctx.shape, ctx.dtype, ctx.index = a.shape, a.dtype, index
        try:
            return np.asarray(a[index])
        except IndexError as err:
            raise IndexError(f"getitem: {err} (tensor shape {a.shape})") from None

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return _put_back(ctx.shape, ctx.index, grad)


class IndexBy(Function):
    """B = A[I] for an index tensor I (integers or a boolean mask); dA = zeros with dB put back at I (repeats add up).

    The index is an input rather than an attribute, so a compiled step reads each call's index
    (``A[A > 0]`` picks this call's positives, not the recording call's).
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, index: np.ndarray) -> np.ndarray:
        ctx.shape, ctx.index = a.shape, index
        try:
            return np.asarray(a[index])
        except IndexError as err:
            raise IndexError(f"getitem: {err} (tensor shape {a.shape}, index of shape {index.shape} and dtype "
                             f"{index.dtype})") from None

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None]:
        return _put_back(ctx.shape, ctx.index, grad), None


def _put_back(shape: tuple[int, ...], index: Any, grad: np.ndarray) -> np.ndarray:
    """Zeros of ``shape`` with ``grad`` written into the places ``index`` picked, summed where it repeats one."""
    out = np.zeros(shape, dtype=grad.dtype)
    if _names_each_place_once(index):
        out[index] = grad
    else:
        np.add.at(out, index, grad)
    return out


class SetItem(Function):
    """B = A with B[index] = V (V broadcast); dA = dB with the written places zeroed, dV = dB[index] (summed to V).

    Also what ``copy_`` (index ``...``) and ``fill_`` record; an index that repeats a place keeps NumPy's
    last write, and dV gets dB from that place once per repeat.
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, value: np.ndarray, index: Any = Ellipsis) -> np.ndarray:
        ctx.index, ctx.value_shape, ctx.value_dtype = index, value.shape, value.dtype
        out = a.copy()
        try:
            out[index] = value
        except IndexError as err:
            raise IndexError(f"setitem: {err} (tensor shape {a.shape})") from None
        except ValueError:
            raise ValueError(f"setitem: a value of shape {value.shape} cannot be written into "
                             f"{np.shape(out[index])} places of a tensor of shape {a.shape}") from None
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        grad_a = grad_value = None
        if ctx.needs_input_grad[0]:
            grad_a = grad.copy()
            grad_a[ctx.index] = 0
        if ctx.needs_input_grad[1]:
            written = np.asarray(grad[ctx.index])
            missing = len(ctx.value_shape) - written.ndim
            if missing > 0:
                written = written.reshape((1,) * missing + written.shape)
            grad_value = unbroadcast(written, ctx.value_shape).astype(ctx.value_dtype, copy=False)
        return grad_a, grad_value


class Concatenate(Function):
    """C = [A₁, A₂, …] joined along ``axis``; each dAᵢ is its slice of dC."""

    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, axis: int = 0) -> np.ndarray:
        try:
            out = np.concatenate(arrays, axis=axis)
        except ValueError:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(f"concatenate: shapes {shapes} do not match off axis {axis}") from None
        ctx.axis = axis % out.ndim
        ctx.bounds = np.cumsum([a.shape[ctx.axis] for a in arrays])[:-1]
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(np.split(grad, ctx.bounds, axis=ctx.axis))


# These carry no gradient, but run as ops so that a compiled step recomputes them on every call
# instead of keeping the values of the call that recorded it.


class Detach(Function):
    """The same array, cut from the graph."""

    view = True

    differentiable = False

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        return a


class Copy(Function):
    """A fresh copy of the array, converted to ``dtype`` when one is given (``Tensor(tensor)``)."""

    differentiable = False

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dtype: Any = None) -> np.ndarray:
        return np.array(a, dtype=dtype)


# ----------------------------------------------------------------------------- PyTorch's movement and indexing ops
# The Tensor methods (``expand``, ``repeat``, ``pad``, ``gather``, ...) check their arguments and pass
# these ops whole NumPy-order attributes; index and mask tensors come as inputs after the operands
# that take a gradient, so that a compiled step reads each call's indices and the rules' placeholders
# line up with the differentiable inputs.


class Expand(Function):
    """B = A broadcast to a bigger shape (a read-only view); dA = dB summed over the broadcast axes."""

    view = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, shape: tuple[int, ...] = ()) -> np.ndarray:
        ctx.shape = a.shape
        try:
            return np.broadcast_to(a, shape)
        except ValueError:
            raise ValueError(f"expand: a tensor of shape {a.shape} cannot be expanded to {tuple(shape)} "
                             "(only sides of size 1 can grow, and new axes go in front)") from None

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return unbroadcast(grad, ctx.shape)


class Repeat(Function):
    """B = A tiled ``repeats`` times along each axis; dA = dB summed over its tiles."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, repeats: tuple[int, ...] = ()) -> np.ndarray:
        if len(repeats) < a.ndim:
            raise ValueError(f"repeat: {len(repeats)} repeat counts for a {a.ndim}-D tensor; give at least one "
                             "per dimension")
        ctx.shape = a.shape
        ctx.repeats = tuple(repeats)
        return np.tile(a, repeats)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        repeats = ctx.repeats
        sides = (1,) * (len(repeats) - len(ctx.shape)) + ctx.shape
        interleaved = [n for pair in zip(repeats, sides) for n in pair]
        tiles = tuple(range(0, 2 * len(repeats), 2))
        return grad.reshape(interleaved).sum(axis=tiles).reshape(ctx.shape)


PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
"""PyTorch's padding modes and the ``np.pad`` mode that fills the same edges."""


class Pad(Function):
    """B = A padded by ``widths`` (constant, reflect, replicate or circular); dA = the part of dB over A,
    plus dB at every edge copy of an element.

    ``widths`` holds one (before, after) pair per axis in NumPy's order; in constant mode a negative
    width cuts that many elements off instead.
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, widths: tuple[tuple[int, int], ...] = (),
                mode: str = "constant", value: float = 0.0) -> np.ndarray:
        ctx.shape, ctx.widths, ctx.mode = a.shape, widths, mode
        if mode != "constant":
            return np.pad(a, widths, mode=PAD_MODES[mode])
        inside, placed = _pad_regions(a.shape, widths)
        out = np.full(tuple(n + b + e for n, (b, e) in zip(a.shape, widths)), value, dtype=a.dtype)
        out[placed] = a[inside]
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        if ctx.mode != "constant":
            size = int(np.prod(ctx.shape, dtype=np.int64))
            sources = np.pad(np.arange(size).reshape(ctx.shape), ctx.widths, mode=PAD_MODES[ctx.mode])
            summed = np.bincount(sources.ravel(), weights=grad.ravel(), minlength=size)
            return summed.astype(grad.dtype, copy=False).reshape(ctx.shape)
        inside, placed = _pad_regions(ctx.shape, ctx.widths)
        if all(b >= 0 and e >= 0 for b, e in ctx.widths):
            return grad[placed]
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        out[inside] = grad[placed]
        return out


def _pad_regions(shape: tuple[int, ...], widths: tuple[tuple[int, int], ...]) -> tuple[tuple[slice, ...], ...]:
    """The slices of the input that stay, and where they go in the padded output (negative widths crop)."""
    inside, placed = [], []
    for n, (before, after) in zip(shape, widths):
        start, stop = max(-before, 0), n - max(-after, 0)
        inside.append(slice(start, max(stop, start)))
        placed.append(slice(max(before, 0), max(before, 0) + max(stop - start, 0)))
    return tuple(inside), tuple(placed)


class Flip(Function):
    """B = A reversed along ``dims`` (a copy, as PyTorch's); dA = dB reversed along the same dims."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dims: tuple[int, ...] = ()) -> np.ndarray:
        ctx.dims = dims
        return np.flip(a, dims).copy()

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return np.flip(grad, ctx.dims)


class Roll(Function):
    """B = A rolled by ``shifts`` along ``dims`` (the flattened tensor when dims is None); dA = dB rolled back."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, shifts: tuple[int, ...] = (), dims: tuple[int, ...] | None = None
                ) -> np.ndarray:
        ctx.shifts, ctx.dims = shifts, dims
        if dims is None:
            return np.roll(a.reshape(-1), shifts[0]).reshape(a.shape)
        return np.roll(a, shifts, dims)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        back = tuple(-s for s in ctx.shifts)
        if ctx.dims is None:
            return np.roll(grad.reshape(-1), back[0]).reshape(grad.shape)
        return np.roll(grad, back, ctx.dims)


def _along(index: np.ndarray, dim: int) -> tuple[Any, ...]:
    """The full NumPy index that picks, for every place of ``index``, the element ``index`` names along ``dim``."""
    places = list(np.indices(index.shape, sparse=True))
    places[dim] = index
    return tuple(places)


def check_index(op: str, index: np.ndarray, size: int, dim: int) -> None:
    """Refuse indices that are not integers, or fall outside [0, size) (NumPy would wrap negatives silently)."""
    if index.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must hold integers, got dtype {index.dtype}")
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = int(index.min()) if index.min() < 0 else int(index.max())
        raise IndexError(f"{op}: index {bad} is out of bounds for dimension {dim} with size {size}")


def _check_along(op: str, a: np.ndarray, index: np.ndarray, dim: int) -> None:
    """PyTorch's shape rule for gather/scatter: same number of axes, index no bigger off ``dim``."""
    if index.ndim != a.ndim:
        raise ValueError(f"{op}: index has {index.ndim} dimensions but the tensor has {a.ndim}; they must match")
    for d, (n, m) in enumerate(zip(index.shape, a.shape)):
        if d != dim and n > m:
            raise ValueError(f"{op}: index of shape {index.shape} is bigger than the tensor's shape {a.shape} "
                             f"at dimension {d} (only dimension {dim}, the one indexed, may be)")
    check_index(op, index, a.shape[dim], dim)


class Gather(Function):
    """B = A's elements picked along ``dim`` at index (B has the index's shape); dA = zeros with dB added back
    at the picked places (repeats add up)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, index: np.ndarray, dim: int = 0) -> np.ndarray:
        _check_along("gather", a, index, dim)
        ctx.shape, ctx.places = a.shape, _along(index, dim)
        return a[ctx.places]

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None]:
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        np.add.at(out, ctx.places, grad)
        return out, None


def _source_part(op: str, src: np.ndarray, index: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The part of ``src`` that scatter reads: a number broadcast, or src's leading block of index's shape."""
    if src.ndim == 0:
        return np.broadcast_to(src, index.shape)
    if src.dtype != dtype:
        raise TypeError(f"{op}: src has dtype {src.dtype} but the tensor has {dtype}; convert one of them first")
    if src.ndim != index.ndim or any(n > m for n, m in zip(index.shape, src.shape)):
        raise ValueError(f"{op}: src of shape {src.shape} must have index's {index.ndim} dimensions and be at "
                         f"least as big as index {index.shape} in each")
    return src[tuple(slice(0, n) for n in index.shape)]


def _source_gradient(grad: np.ndarray, places: tuple[Any, ...], src_shape: tuple[int, ...],
                     index_shape: tuple[int, ...]) -> np.ndarray:
    """dS for scatter: dB at the written places, zero on src's unread part (summed for a number src)."""
    picked = grad[places]
    if len(src_shape) == 0:
        return np.asarray(picked.sum(), dtype=grad.dtype)
    if src_shape == index_shape:
        return picked
    out = np.zeros(src_shape, dtype=grad.dtype)
    out[tuple(slice(0, n) for n in index_shape)] = picked
    return out


class Scatter(Function):
    """B = A with S written along ``dim`` at index; dA = dB with the written places zeroed,
    dS = dB at the written places.

    Where index names one place twice, which write stays is unspecified in PyTorch (here: NumPy's last),
    and dS gets dB from that place for each write, as PyTorch's rule does.
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, src: np.ndarray, index: np.ndarray, dim: int = 0) -> np.ndarray:
        _check_along("scatter", a, index, dim)
        part = _source_part("scatter", src, index, a.dtype)
        ctx.places, ctx.src_shape, ctx.index_shape = _along(index, dim), src.shape, index.shape
        out = a.copy()
        out[ctx.places] = part
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None, None]:
        grad_a = grad_src = None
        if ctx.needs_input_grad[0]:
            grad_a = grad.copy()
            grad_a[ctx.places] = 0
        if ctx.needs_input_grad[1]:
            grad_src = _source_gradient(grad, ctx.places, ctx.src_shape, ctx.index_shape)
        return grad_a, grad_src, None


class ScatterAdd(Function):
    """B = A with S added along ``dim`` at index (repeats add up); dA = dB, dS = dB at the places added to."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, src: np.ndarray, index: np.ndarray, dim: int = 0) -> np.ndarray:
        _check_along("scatter_add", a, index, dim)
        part = _source_part("scatter_add", src, index, a.dtype)
        ctx.places, ctx.src_shape, ctx.index_shape = _along(index, dim), src.shape, index.shape
        out = a.copy()
        np.add.at(out, ctx.places, part)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, None]:
        grad_src = None
        if ctx.needs_input_grad[1]:
            grad_src = _source_gradient(grad, ctx.places, ctx.src_shape, ctx.index_shape)
        return grad, grad_src, None


class IndexSelect(Function):
    """B = A's slices along ``dim`` at the 1-D index, in its order; dA = zeros with dB's slices added back
    (repeats add up)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, index: np.ndarray, dim: int = 0) -> np.ndarray:
        if index.ndim > 1:
            raise ValueError(f"index_select: index must be 1-D (or a single number), got shape {index.shape}")
        check_index("index_select", index, a.shape[dim], dim)
        ctx.shape, ctx.index, ctx.dim = a.shape, index.reshape(-1), dim
        return np.take(a, ctx.index, axis=dim)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None]:
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        np.add.at(out, (slice(None),) * ctx.dim + (ctx.index,), grad)
        return out, None


class MaskedFill(Function):
    """B = A with V wherever the mask is true; dA = dB with the masked places zeroed,
    dV = Σ dB over the masked places."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, value: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if mask.dtype != np.bool_:
            raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {mask.dtype}")
        if value.ndim:
            raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}")
        try:
            shape = np.broadcast_shapes(a.shape, mask.shape)
        except ValueError:
            raise ValueError(f"masked_fill: mask of shape {mask.shape} does not broadcast with the tensor's "
                             f"shape {a.shape}") from None
        ctx.shapes, ctx.mask = (a.shape, shape), mask
        return np.where(mask, value.astype(a.dtype, copy=False), a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None, None]:
        grad_a = grad_value = None
        if ctx.needs_input_grad[0]:
            grad_a = unbroadcast(np.where(ctx.mask, 0, grad), ctx.shapes[0])
        if ctx.needs_input_grad[1]:
            grad_value = np.asarray(np.where(ctx.mask, grad, 0).sum(), dtype=grad.dtype)
        return grad_a, grad_value, None
