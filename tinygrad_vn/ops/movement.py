"""Movement and indexing: reshape, transpose, getitem/setitem, concatenation, detach and copies.

Reshape, transpose, basic indexing and detach return views that share the input's memory, so their
outputs share its version counter (``Function.view``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Context, Function
from .elementwise import unbroadcast


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


def _is_basic_index(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


class GetItem(Function):
    """B = A[index]; dA = zeros with dB scattered back into the indexed places (repeats add up)."""

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
        out = np.zeros(ctx.shape, dtype=grad.dtype)
        if _is_basic_index(ctx.index):
            out[ctx.index] = grad
        else:
            np.add.at(out, ctx.index, grad)
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
