"""Tensor factories and the global random generator that ``tg.manual_seed`` resets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .tensor import Tensor

_generator = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Reseed the generator behind ``randn``, ``rand``, layer initialisation and shuffling."""
    global _generator
    _generator = np.random.default_rng(seed)


def generator() -> np.random.Generator:
    """The current global random generator."""
    return _generator


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], Sequence):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def _make(data: np.ndarray, requires_grad: bool, name: str | None) -> Tensor:
    out = Tensor._from_op(data, None)
    out.name = name
    return out.requires_grad_(requires_grad) if requires_grad else out


def zeros(*shape: Any, requires_grad: bool = False, dtype: Any = np.float32, name: str | None = None) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _make(np.zeros(_shape(shape), dtype=dtype), requires_grad, name)


def ones(*shape: Any, requires_grad: bool = False, dtype: Any = np.float32, name: str | None = None) -> Tensor:
    """A tensor of ones."""
    return _make(np.ones(_shape(shape), dtype=dtype), requires_grad, name)


def randn(*shape: Any, requires_grad: bool = False, dtype: Any = np.float32, name: str | None = None) -> Tensor:
    """Standard normal samples from the global generator."""
    return _make(_generator.standard_normal(_shape(shape)).astype(dtype), requires_grad, name)


def rand(*shape: Any, requires_grad: bool = False, dtype: Any = np.float32, name: str | None = None) -> Tensor:
    """Uniform samples in [0, 1) from the global generator."""
    return _make(_generator.random(_shape(shape)).astype(dtype), requires_grad, name)


def arange(start: float, stop: float | None = None, step: float = 1, *, requires_grad: bool = False,
           dtype: Any = None, name: str | None = None) -> Tensor:
    """Evenly spaced values in [start, stop), like ``np.arange`` (integers stay int64)."""
    data = np.arange(start, stop, step) if stop is not None else np.arange(start)
    if dtype is not None:
        data = data.astype(dtype)
    elif data.dtype == np.float64:
        data = data.astype(np.float32)
    return _make(data, requires_grad, name)


def zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    """Zeros of ``t``'s shape and dtype."""
    return _make(np.zeros_like(t.data), requires_grad, None)


def ones_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    """Ones of ``t``'s shape and dtype."""
    return _make(np.ones_like(t.data), requires_grad, None)
