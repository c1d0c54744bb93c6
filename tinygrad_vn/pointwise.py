"""PyTorch's function forms of the Tensor's elementwise methods: ``tg.sin(x)`` is ``x.sin()``.

They live apart from :mod:`tinygrad_vn.tensor` because some (``abs``, ``round``, ``pow``) are named as
Python's builtins, which this module never calls. Each takes a Tensor or anything ``tg.tensor``
accepts. ``tg.where``, ``tg.minimum`` and ``tg.maximum`` are in :mod:`tinygrad_vn.tensor`.
"""

from __future__ import annotations

from typing import Any

from . import ops
from .tensor import Tensor, _as_tensor


def pow(input: Any, exponent: Any) -> Tensor:
    """``input ** exponent`` elementwise; either may be a number."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        input = Tensor(input)
    return ops.Pow.apply(input, exponent)


def sign(input: Any) -> Tensor:
    """−1, 0 or 1 elementwise; see :meth:`Tensor.sign`."""
    return _as_tensor(input).sign()


def square(input: Any) -> Tensor:
    """x² elementwise."""
    return _as_tensor(input).square()


def reciprocal(input: Any) -> Tensor:
    """1 / x elementwise."""
    return _as_tensor(input).reciprocal()


def rsqrt(input: Any) -> Tensor:
    """1 / √x elementwise."""
    return _as_tensor(input).rsqrt()


def sin(input: Any) -> Tensor:
    """Sine elementwise."""
    return _as_tensor(input).sin()


def cos(input: Any) -> Tensor:
    """Cosine elementwise."""
    return _as_tensor(input).cos()


def exp(input: Any) -> Tensor:
    """eˣ elementwise."""
    return _as_tensor(input).exp()


def log(input: Any) -> Tensor:
    """Natural logarithm elementwise."""
    return _as_tensor(input).log()


def log1p(input: Any) -> Tensor:
    """ln(1 + x) elementwise."""
    return _as_tensor(input).log1p()


def expm1(input: Any) -> Tensor:
    """eˣ − 1 elementwise."""
    return _as_tensor(input).expm1()


def log2(input: Any) -> Tensor:
    """Base-2 logarithm elementwise."""
    return _as_tensor(input).log2()


def sqrt(input: Any) -> Tensor:
    """Square root elementwise."""
    return _as_tensor(input).sqrt()


def abs(input: Any) -> Tensor:
    """Absolute value elementwise."""
    return _as_tensor(input).abs()


def floor(input: Any) -> Tensor:
    """Round down elementwise (gradient 0)."""
    return _as_tensor(input).floor()


def ceil(input: Any) -> Tensor:
    """Round up elementwise (gradient 0)."""
    return _as_tensor(input).ceil()


def round(input: Any, decimals: int = 0) -> Tensor:
    """Round to ``decimals`` places, halves to even (gradient 0)."""
    return _as_tensor(input).round(decimals)


def eq(input: Any, other: Any) -> Tensor:
    """input == other elementwise (bool)."""
    return _as_tensor(input).eq(other)


def ne(input: Any, other: Any) -> Tensor:
    """input != other elementwise (bool)."""
    return _as_tensor(input).ne(other)


def lt(input: Any, other: Any) -> Tensor:
    """input < other elementwise (bool)."""
    return _as_tensor(input).lt(other)


def le(input: Any, other: Any) -> Tensor:
    """input <= other elementwise (bool)."""
    return _as_tensor(input).le(other)


def gt(input: Any, other: Any) -> Tensor:
    """input > other elementwise (bool)."""
    return _as_tensor(input).gt(other)


def ge(input: Any, other: Any) -> Tensor:
    """input >= other elementwise (bool)."""
    return _as_tensor(input).ge(other)


def logical_and(input: Any, other: Any) -> Tensor:
    """Elementwise logical and (nonzero is true; bool result)."""
    return _as_tensor(input).logical_and(other)


def logical_or(input: Any, other: Any) -> Tensor:
    """Elementwise logical or (bool result)."""
    return _as_tensor(input).logical_or(other)


def logical_xor(input: Any, other: Any) -> Tensor:
    """Elementwise logical exclusive or (bool result)."""
    return _as_tensor(input).logical_xor(other)


def logical_not(input: Any) -> Tensor:
    """Elementwise logical not (bool result)."""
    return _as_tensor(input).logical_not()
