"""Elementwise ops: arithmetic with broadcasting, unary math, casts, clamping, selection and comparisons.

Broadcasting is undone in one place, :func:`unbroadcast`, which every op with broadcast operands uses.
Operands of different dtypes meet in one place too, :func:`promote`, which gives them the dtype
PyTorch gives the result (a float32 tensor times an int64 tensor stays float32, where NumPy would
make it float64); Python numbers are typed before they get here, by ``Tensor._lift``.
"""

from __future__ import annotations

import math
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


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}  # PyTorch's order of kinds: bool < integer < floating point


def result_dtype(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """The dtype PyTorch gives an elementwise op on ``a`` and ``b``.

    The higher kind wins (bool < integer < float) and within one kind the wider type. A 0-d operand
    does not widen a dimensioned one of its own kind (a float32 vector times a float64 scalar tensor
    stays float32), but a 0-d operand of a higher kind still sets the kind.
    """
    rank_a, rank_b = _CATEGORY.get(a.dtype.kind, 3), _CATEGORY.get(b.dtype.kind, 3)
    if (a.ndim == 0) != (b.ndim == 0):
        dimensioned, zero_d = (a, b) if a.ndim else (b, a)
        low, high = (rank_a, rank_b) if a.ndim else (rank_b, rank_a)
        return zero_d.dtype if high > low else dimensioned.dtype
    if rank_a != rank_b:
        return a.dtype if rank_a > rank_b else b.dtype
    return np.promote_types(a.dtype, b.dtype)


def promote(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a`` and ``b`` converted to :func:`result_dtype` (ops call it only when the dtypes differ)."""
    dtype = result_dtype(a, b)
    return a.astype(dtype, copy=False), b.astype(dtype, copy=False)


def floating(a: np.ndarray) -> np.ndarray:
    """``a`` itself if it holds floats, else as float32 (PyTorch's default dtype), for ops like sin and exp."""
    return a if a.dtype.kind == "f" else a.astype(np.float32)


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
        if a.dtype != b.dtype:
            a, b = promote(a, b)
        ctx.shapes = (a.shape, b.shape)
        try:
            return a + b  # the operator: a third cheaper than calling np.add on a small array
        except ValueError:
            return broadcasting("add", np.add, a, b)  # raises again, naming the op and both shapes

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shape_a, shape_b = ctx.shapes
        shape = grad.shape
        return (grad if shape == shape_a else unbroadcast(grad, shape_a),
                grad if shape == shape_b else unbroadcast(grad, shape_b))


class Sub(Function):
    """C = A − B; dA = dC, dB = −dC."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.dtype != b.dtype:
            a, b = promote(a, b)
        ctx.shapes = (a.shape, b.shape)
        try:
            return a - b
        except ValueError:
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
        if a.dtype != b.dtype:
            a, b = promote(a, b)
        needs = ctx.needs_input_grad
        ctx.shapes = (a.shape, b.shape)
        ctx.saved = (a if not needs or needs[1] else None, b if not needs or needs[0] else None)
        try:
            return a * b
        except ValueError:
            return broadcasting("mul", np.multiply, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = ctx.saved
        needs, (shape_a, shape_b) = ctx.needs_input_grad, ctx.shapes
        grad_a = grad_b = None
        if needs[0]:
            grad_a = grad * b
            if grad_a.shape != shape_a:
                grad_a = unbroadcast(grad_a, shape_a)
        if needs[1]:
            grad_b = grad * a
            if grad_b.shape != shape_b:
                grad_b = unbroadcast(grad_b, shape_b)
        return grad_a, grad_b


class Div(Function):
    """C = A / B; dA = dC / B, dB = −dC ⊙ A / B² (A is saved only when B needs a gradient).

    True division, as PyTorch's: integer operands give float32.
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.dtype != b.dtype:
            a, b = promote(a, b)
        if a.dtype.kind != "f":
            a, b = a.astype(np.float32), b.astype(np.float32)
        needs = ctx.needs_input_grad
        ctx.shapes = (a.shape, b.shape)
        ctx.saved = (a if not needs or needs[1] else None, b)
        try:
            return a / b
        except ValueError:
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
        if a.dtype != b.dtype:
            a, b = promote(a, b)
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
        if a.dtype != b.dtype:
            a, b = promote(a, b)
        ctx.save_for_backward(a, b)
        return broadcasting("maximum", np.maximum, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = ctx.saved
        tie = 0.5 * (a == b)
        share_a = np.where(a < b, 0, np.where(a == b, tie, 1))
        share_b = np.where(b < a, 0, np.where(a == b, tie, 1))
        return unbroadcast(grad * share_a, a.shape), unbroadcast(grad * share_b, b.shape)


class Minimum(Function):
    """C = min(A, B); dA = dC where A < B, dB = dC where B < A (ties split evenly, NaN passes to both).

    The gradient goes to the smaller input, half to each on a tie. Where either input is NaN, C is
    NaN and both inputs get the whole gradient (as in PyTorch).
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.dtype != b.dtype:
            a, b = promote(a, b)
        ctx.save_for_backward(a, b)
        return broadcasting("minimum", np.minimum, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = ctx.saved
        tie = 0.5 * (a == b)
        share_a = np.where(a > b, 0, np.where(a == b, tie, 1))
        share_b = np.where(b > a, 0, np.where(a == b, tie, 1))
        return unbroadcast(grad * share_a, a.shape), unbroadcast(grad * share_b, b.shape)


class Where(Function):
    """C = where(M, A, B); dM = 0, dA = dC ⊙ M, dB = dC ⊙ (1 − M) (each summed over broadcast axes).

    ``M`` is a bool tensor; C takes A where it is true and B elsewhere, all three broadcast together.
    """

    @staticmethod
    def forward(ctx: Context, mask: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if mask.dtype != np.bool_:
            raise TypeError(f"where: the condition must be a bool tensor (e.g. x > 0), not {mask.dtype}")
        if a.dtype != b.dtype:
            a, b = promote(a, b)
        try:
            out = np.where(mask, a, b)
        except ValueError:
            raise ValueError(f"where: shapes {mask.shape}, {a.shape} and {b.shape} cannot be broadcast "
                             "together") from None
        ctx.save_for_backward(mask)
        ctx.shapes = (a.shape, b.shape)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[None, np.ndarray | None, np.ndarray | None]:
        (mask,), (shape_a, shape_b) = ctx.saved, ctx.shapes
        zero = grad.dtype.type(0)
        grad_a = unbroadcast(np.where(mask, grad, zero), shape_a) if ctx.needs_input_grad[1] else None
        grad_b = unbroadcast(np.where(mask, zero, grad), shape_b) if ctx.needs_input_grad[2] else None
        return None, grad_a, grad_b


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
        if a.dtype.kind != "f":
            a = floating(a)
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
        a = floating(a)
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad / ctx.saved[0]


class Sqrt(Function):
    """B = √A; dA = dB / (2 B)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        if a.dtype.kind != "f":
            a = floating(a)
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


class Sign(Function):
    """B = sign(A); dA = 0.

    Each element becomes −1, 0 or 1. PyTorch gives 0 for NaN; here NaN stays NaN, so that a NaN is
    not silently turned into a number.
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        return np.sign(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return np.zeros_like(grad)


class Reciprocal(Function):
    """B = 1 / A; dA = −dB ⊙ B²."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        a = floating(a)
        with np.errstate(divide="ignore"):
            out = np.reciprocal(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        out = ctx.saved[0]
        return -grad * out * out


class Rsqrt(Function):
    """B = 1 / √A; dA = −dB ⊙ B³ / 2."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        a = floating(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.reciprocal(np.sqrt(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        out = ctx.saved[0]
        return grad * out * out * out * -0.5


class Sin(Function):
    """B = sin A; dA = dB ⊙ cos A."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        a = floating(a)
        ctx.save_for_backward(a)
        return np.sin(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad * np.cos(ctx.saved[0])


class Cos(Function):
    """B = cos A; dA = −dB ⊙ sin A."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        a = floating(a)
        ctx.save_for_backward(a)
        return np.cos(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return -grad * np.sin(ctx.saved[0])


class Log1p(Function):
    """B = ln(1 + A); dA = dB / (1 + A) (accurate for A near 0)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        a = floating(a)
        ctx.save_for_backward(a)
        return np.log1p(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad / (1 + ctx.saved[0])


class Expm1(Function):
    """B = eᴬ − 1; dA = dB ⊙ (B + 1) (accurate for A near 0)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        out = np.expm1(floating(a))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad * (ctx.saved[0] + 1)


class Log2(Function):
    """B = log₂ A; dA = dB / (A · ln 2)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        a = floating(a)
        ctx.save_for_backward(a)
        return np.log2(a)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad / (ctx.saved[0] * math.log(2))


class Floor(Function):
    """B = ⌊A⌋; dA = 0 (integer tensors come back unchanged, as a copy)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        return np.floor(a) if a.dtype.kind == "f" else a.copy()

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return np.zeros_like(grad)


class Ceil(Function):
    """B = ⌈A⌉; dA = 0 (integer tensors come back unchanged, as a copy)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        return np.ceil(a) if a.dtype.kind == "f" else a.copy()

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return np.zeros_like(grad)


class Round(Function):
    """B = round(A); dA = 0.

    Rounds to ``decimals`` places, halves to even as PyTorch and NumPy; integer tensors come back
    unchanged (as a copy).
    """

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, decimals: int = 0) -> np.ndarray:
        if a.dtype.kind != "f":
            return a.copy()
        return np.round(a, decimals)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return np.zeros_like(grad)


class Contiguous(Function):
    """B = A copied into row-major (C) order; dA = dB."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a) if a.ndim else a.copy()

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return grad


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


class Bitwise(Function):
    """An elementwise ``&``, ``|``, ``^`` or ``~`` (``operation``: ``np.bitwise_and``, ...) of bool or integer tensors.

    On bool tensors these are the logical and, or, xor and not, as in PyTorch.
    """

    differentiable = False

    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, operation: Any) -> np.ndarray:
        for array in arrays:
            if array.dtype.kind not in "biu":
                raise TypeError(f"{_OPERATOR_NAMES.get(operation, operation.__name__)} needs bool or integer "
                                f"tensors, not {array.dtype} (compare first, e.g. (x > 0) & (y > 0))")
        if len(arrays) == 2 and arrays[0].dtype != arrays[1].dtype:
            arrays = promote(*arrays)
        try:
            return np.asarray(operation(*arrays))
        except ValueError:
            shapes = " and ".join(str(a.shape) for a in arrays)
            raise ValueError(f"{_OPERATOR_NAMES.get(operation, operation.__name__)}: shapes {shapes} cannot be "
                             "broadcast together") from None


_OPERATOR_NAMES = {np.bitwise_and: "&", np.bitwise_or: "|", np.bitwise_xor: "^", np.invert: "~"}


class Logical(Function):
    """An elementwise logical and, or, xor or not (``operation``: ``np.logical_and``, ...): any nonzero is true."""

    differentiable = False

    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, operation: Any) -> np.ndarray:
        try:
            return np.asarray(operation(*arrays))
        except ValueError:
            shapes = " and ".join(str(a.shape) for a in arrays)
            raise ValueError(f"{operation.__name__}: shapes {shapes} cannot be broadcast together") from None
