"""Elementwise ops: arithmetic with broadcasting, unary math, casts, clamping and comparisons.

Broadcasting is undone in one place, :func:`unbroadcast`, which every op with broadcast operands uses.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Context, Function


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched, back to ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def broadcasting(op: str, compute: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``compute(a, b)``, turning NumPy's broadcast error into one that names the op and both shapes."""
    try:
        return compute(a, b)
    except ValueError:
        if a.ndim and b.ndim:
            try:
                np.broadcast_shapes(a.shape, b.shape)
            except ValueError:
                raise ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together") from None
        raise


class Add(Function):
    """C = A + B; dA = dC, dB = dC (summed over broadcast axes)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.shapes = (a.shape, b.shape)
        return broadcasting("add", np.add, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return unbroadcast(grad, ctx.shapes[0]), unbroadcast(grad, ctx.shapes[1])


class Sub(Function):
    """C = A − B; dA = dC, dB = −dC."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.shapes = (a.shape, b.shape)
        return broadcasting("sub", np.subtract, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        minus = -unbroadcast(grad, ctx.shapes[1]) if ctx.needs_input_grad[1] else None
        return unbroadcast(grad, ctx.shapes[0]), minus


class Mul(Function):
    """C = A ⊙ B; dA = dC ⊙ B, dB = dC ⊙ A.

    Only the operand another's gradient needs is saved, so changing the other in place later is
    allowed (as in PyTorch: ``y = x * 2`` keeps nothing of ``x`` unless 2 needs a gradient).
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        needs = ctx.needs_input_grad
        ctx.shapes = (a.shape, b.shape)
        ctx.save_for_backward(a if not needs or needs[1] else None, b if not needs or needs[0] else None)
        return broadcasting("mul", np.multiply, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = ctx.saved
        grad_a = unbroadcast(grad * b, ctx.shapes[0]) if ctx.needs_input_grad[0] else None
        grad_b = unbroadcast(grad * a, ctx.shapes[1]) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Function):
    """C = A / B; dA = dC / B, dB = −dC ⊙ A / B² (A is saved only when B needs a gradient)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        needs = ctx.needs_input_grad
        ctx.shapes = (a.shape, b.shape)
        ctx.save_for_backward(a if not needs or needs[1] else None, b)
        return broadcasting("div", np.divide, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = ctx.saved
        grad_a = unbroadcast(grad / b, ctx.shapes[0]) if ctx.needs_input_grad[0] else None
        grad_b = unbroadcast(-grad * a / (b * b), ctx.shapes[1]) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Pow(Function):
    """C = A ** B; dA = dC ⊙ B ⊙ A^(B−1) (0 where B = 0, even at A = 0), dB = dC ⊙ C ⊙ ln A (0 where A ≤ 0)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = broadcasting("pow", np.power, a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b, out = ctx.saved
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            with np.errstate(divide="ignore", invalid="ignore"):
                slope = np.where(b == 0, 0, b * np.power(a, b - 1))
            grad_a = unbroadcast(grad * slope, a.shape)
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0)
            grad_b = unbroadcast(grad * out * log_a, b.shape)
        return grad_a, grad_b


class Maximum(Function):
    """C = max(A, B) elementwise; the gradient goes to the larger input, split evenly on ties.

    Where either input is NaN, C is NaN and both inputs get the whole gradient (as in PyTorch).
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a, b)
        return broadcasting("maximum", np.maximum, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = ctx.saved
        tie = 0.5 * (a == b)
        share_a = np.where(a < b, 0, np.where(a == b, tie, 1))
        share_b = np.where(b < a, 0, np.where(a == b, tie, 1))
        return unbroadcast(grad * share_a, a.shape), unbroadcast(grad * share_b, b.shape)


class Neg(Function):
    """B = −A; dA = −dB."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        return -a

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return -grad


class Exp(Function):
    """B = eᴬ; dA = dB ⊙ B."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad * ctx.saved[0]


class Log(Function):
    """B = ln A; dA = dB / A."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad / ctx.saved[0]


class Sqrt(Function):
    """B = √A; dA = dB / (2 B)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad / (2 * ctx.saved[0])


class Abs(Function):
    """B = |A|; dA = dB ⊙ sign(A) (0 at A = 0)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad * np.sign(ctx.saved[0])


class Cast(Function):
    """B = A converted to ``dtype``; dA = dB converted back to A's dtype."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dtype: Any) -> np.ndarray:
        ctx.source_dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad.astype(ctx.source_dtype)


class Clamp(Function):
    """B = min(max(A, lo), hi); dA = dB where lo ≤ A ≤ hi, else 0 (NaN stays NaN and gets no gradient)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, min: float | None = None, max: float | None = None) -> np.ndarray:
        if min is None and max is None:
            raise ValueError("clamp needs at least one of min and max")
        ctx.save_for_backward(a)
        ctx.bounds = (min, max)
        out = a if min is None else np.maximum(a, min)  # np.maximum and np.minimum keep NaN
        out = out if max is None else np.minimum(out, max)
        return out.astype(a.dtype, copy=False) if a.dtype.kind == "f" else out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (a,), (low, high) = ctx.saved, ctx.bounds
        inside = np.ones(a.shape, dtype=bool)
        if low is not None:
            inside &= a >= low
        if high is not None:
            inside &= a <= high
        return grad * inside


# These carry no gradient, but run as ops so that a compiled step recomputes them on every call
# instead of keeping the values of the call that recorded it.


class Compare(Function):
    """A boolean array from an elementwise comparison ``compare`` (``np.less``, ``np.equal``, ...)."""

    differentiable = False

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray, compare: Any) -> np.ndarray:
        return np.asarray(compare(a, b))
