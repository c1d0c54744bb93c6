"""Tensor factories and the global random generator that ``tg.manual_seed`` resets.

Inside a step that ``tg.compile`` records, ``randn`` and ``rand`` draw through an op
(:class:`RandomNormal`, :class:`RandomUniform`) so that every replay draws fresh numbers from the
global generator, in the order and with the values an eager run from the same seed would get.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .autograd import Context, Function, current_tracer
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


def _refuse_trainable_in_step(requires_grad: bool) -> None:
    if requires_grad and current_tracer() is not None:
        raise RuntimeError("tg.compile: a tensor with requires_grad=True made inside a compiled step would be one "
                           "leaf that every replay reuses, its gradient summed over calls; create trainable "
                           "tensors outside the step (e.g. as a model's parameters)")


def _make(data: np.ndarray, requires_grad: bool, name: str | None) -> Tensor:
    _refuse_trainable_in_step(requires_grad)
    out = Tensor._from_op(data, None)
    out.name = name
    return out.requires_grad_(requires_grad) if requires_grad else out


def zeros(*shape: Any, requires_grad: bool = False, dtype: Any = np.float32, name: str | None = None) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _make(np.zeros(_shape(shape), dtype=dtype), requires_grad, name)


def ones(*shape: Any, requires_grad: bool = False, dtype: Any = np.float32, name: str | None = None) -> Tensor:
    """A tensor of ones."""
    return _make(np.ones(_shape(shape), dtype=dtype), requires_grad, name)


class RandomDraw(Function):
    """Samples of ``shape`` and ``dtype`` from the global generator as it is when the op runs.

    Applied only while ``tg.compile`` records a step, so that its replays draw afresh; ``sample`` is
    also what ``randn``/``rand`` call eagerly, so both ways give the same numbers from the same seed.
    """

    differentiable = False

    @classmethod
    def forward(cls, ctx: Context, anchor: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return cls.sample(_generator, shape, dtype)

    @staticmethod
    def sample(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """Draw the samples from ``rng`` (override in a subclass)."""
        raise TypeError("RandomDraw subclasses must define sample(rng, shape, dtype)")


class RandomNormal(RandomDraw):
    """Standard normal samples (``tg.randn``)."""

    @staticmethod
    def sample(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return rng.standard_normal(shape).astype(dtype)


class RandomUniform(RandomDraw):
    """Uniform samples in [0, 1) (``tg.rand``)."""

    @staticmethod
    def sample(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return rng.random(shape).astype(dtype)


def _random(draw: type[RandomDraw], shape: tuple[Any, ...], requires_grad: bool, dtype: Any,
            name: str | None) -> Tensor:
    size, dtype = _shape(shape), np.dtype(dtype)
    if current_tracer() is None:
        return _make(draw.sample(_generator, size, dtype), requires_grad, name)
    _refuse_trainable_in_step(requires_grad)
    anchor = Tensor._from_op(np.empty(0, dtype), None)  # Function.apply needs a tensor to run on
    out = draw.apply(anchor, shape=size, dtype=dtype)
    out.name = name
    return out


def randn(*shape: Any, requires_grad: bool = False, dtype: Any = np.float32, name: str | None = None) -> Tensor:
    """Standard normal samples from the global generator (fresh on each call of a compiled step)."""
    return _random(RandomNormal, shape, requires_grad, dtype, name)


def rand(*shape: Any, requires_grad: bool = False, dtype: Any = np.float32, name: str | None = None) -> Tensor:
    """Uniform samples in [0, 1) from the global generator (fresh on each call of a compiled step)."""
    return _random(RandomUniform, shape, requires_grad, dtype, name)


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
