"""Tensor factories and the global random generator that ``tg.manual_seed`` resets.

Every random factory (``randn rand randint uniform normal`` and their ``_like`` and in-place forms)
draws through a :class:`RandomDraw` op inside a step that ``tg.compile`` records, so that every
replay draws fresh numbers from the global generator, in the order and with the values an eager
run from the same seed would get.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .autograd import Context, Function, current_tracer
from .tensor import Tensor, _check_device, _dims, as_dtype

_generator = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Reseed the generator behind ``randn``, ``rand``, layer initialisation and shuffling."""
    global _generator
    _generator = np.random.default_rng(seed)


def generator() -> np.random.Generator:
    """The current global random generator."""
    return _generator


def _shape(shape: tuple[Any, ...], name: str = "shape") -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], Sequence) and not isinstance(shape[0], str):
        shape = tuple(shape[0])
    dims = _dims(name, shape)
    if any(n < 0 for n in dims):
        raise ValueError(f"{name}: sizes must not be negative, got {dims}")
    return dims


def _size(size: Any, name: str) -> tuple[int, ...]:
    """A ``size=`` argument (an int or a sequence of ints) as a shape."""
    if size is None:
        raise TypeError(f"{name}: size is required (a tuple such as (2, 3))")
    return _shape(tuple(size) if isinstance(size, (tuple, list)) else (size,), name)


def _on_cpu(device: Any, name: str) -> None:
    """Accept ``device=`` when it names the CPU (PyTorch's creation functions take it); refuse any other."""
    if device is not None:
        _check_device(device, name)


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


def _number_dtype(value: Any, name: str) -> np.dtype:
    """The dtype PyTorch gives a tensor filled with the Python number ``value``: bool, int64 or float32."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(value, (int, np.integer)):
        return np.dtype(np.int64)
    if isinstance(value, (float, np.floating)):
        return np.dtype(np.float32)
    if isinstance(value, Tensor) and value.ndim == 0:
        return value.dtype
    raise TypeError(f"{name}: fill_value must be a number, not {type(value).__name__} {value!r}")


def zeros(*shape: Any, requires_grad: bool = False, dtype: Any = np.float32, name: str | None = None,
          device: Any = None) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    _on_cpu(device, "zeros")
    return _make(np.zeros(_shape(shape, "zeros"), dtype=as_dtype(dtype)), requires_grad, name)


def ones(*shape: Any, requires_grad: bool = False, dtype: Any = np.float32, name: str | None = None,
         device: Any = None) -> Tensor:
    """A tensor of ones."""
    _on_cpu(device, "ones")
    return _make(np.ones(_shape(shape, "ones"), dtype=as_dtype(dtype)), requires_grad, name)


def full(size: Any, fill_value: Any, *, dtype: Any = None, requires_grad: bool = False, name: str | None = None,
         device: Any = None) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``; its dtype follows the value (bool, int64, float32) by default.

    >>> import tinygrad_vn as tg
    >>> tg.full((2,), 7).tolist(), tg.full((2,), 0.5).dtype
    ([7, 7], dtype('float32'))
    """
    _on_cpu(device, "full")
    resolved = _number_dtype(fill_value, "full") if dtype is None else as_dtype(dtype)
    value = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    return _make(np.full(_size(size, "full"), value, dtype=resolved), requires_grad, name)


def zeros_like(t: Tensor, requires_grad: bool = False, *, dtype: Any = None, device: Any = None) -> Tensor:
    """Zeros of ``t``'s shape and dtype (or ``dtype``)."""
    _on_cpu(device, "zeros_like")
    return _make(np.zeros(t.shape, dtype=t.dtype if dtype is None else as_dtype(dtype)), requires_grad, None)


def ones_like(t: Tensor, requires_grad: bool = False, *, dtype: Any = None, device: Any = None) -> Tensor:
    """Ones of ``t``'s shape and dtype (or ``dtype``)."""
    _on_cpu(device, "ones_like")
    return _make(np.ones(t.shape, dtype=t.dtype if dtype is None else as_dtype(dtype)), requires_grad, None)


def full_like(t: Tensor, fill_value: Any, *, dtype: Any = None, requires_grad: bool = False,
              device: Any = None) -> Tensor:
    """``fill_value`` everywhere, in ``t``'s shape and dtype (or ``dtype``)."""
    _on_cpu(device, "full_like")
    resolved = t.dtype if dtype is None else as_dtype(dtype)
    return _make(np.full(t.shape, fill_value, dtype=resolved), requires_grad, None)


def eye(n: int, m: int | None = None, *, dtype: Any = np.float32, requires_grad: bool = False, name: str | None = None,
        device: Any = None) -> Tensor:
    """The ``n`` × ``m`` identity matrix (``m`` defaults to ``n``)."""
    _on_cpu(device, "eye")
    rows, columns = _shape((n, n if m is None else m), "eye")
    return _make(np.eye(rows, columns, dtype=as_dtype(dtype)), requires_grad, name)


def linspace(start: float, end: float, steps: int, *, dtype: Any = np.float32, requires_grad: bool = False,
             name: str | None = None, device: Any = None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included.

    >>> import tinygrad_vn as tg
    >>> tg.linspace(0, 1, 5).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    _on_cpu(device, "linspace")
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative integer, not {steps!r}")
    for bound, value in (("start", start), ("end", end)):
        if not isinstance(value, (int, float, np.number, Tensor)) or isinstance(value, bool):
            raise TypeError(f"linspace: {bound} must be a number, not {type(value).__name__} {value!r}")
    data = np.linspace(float(start), float(end), int(steps))
    return _make(data.astype(as_dtype(dtype)), requires_grad, name)


def arange(start: float, stop: float | None = None, step: float = 1, *, requires_grad: bool = False, dtype: Any = None,
           name: str | None = None, device: Any = None) -> Tensor:
    """Evenly spaced values in [start, stop), like ``np.arange`` (integers stay int64)."""
    _on_cpu(device, "arange")
    data = np.arange(start, stop, step) if stop is not None else np.arange(start)
    if dtype is not None:
        data = data.astype(as_dtype(dtype))
    elif data.dtype == np.float64:
        data = data.astype(np.float32)
    return _make(data, requires_grad, name)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor over ``array`` itself, sharing its memory (no copy) and its dtype, as ``torch.from_numpy``.

    >>> import numpy as np, tinygrad_vn as tg
    >>> a = np.zeros(2); t = tg.from_numpy(a); a[0] = 5; t.tolist()
    [5.0, 0.0]
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects an np.ndarray, not {type(array).__name__} (use tg.tensor for other data)")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy: tensors hold bool, integer or floating-point data, not {array.dtype}")
    return Tensor._from_op(array, None)


# ---------------------------------------------------------------------- random


class RandomDraw(Function):
    """Samples of ``shape`` and ``dtype`` from the global generator as it is when the op runs.

    Applied only while ``tg.compile`` records a step, so that its replays draw afresh; ``sample`` is
    also what the random factories call eagerly, so both ways give the same numbers from the same
    seed. Extra attributes (a range, a mean) are passed on to ``sample``.
    """

    differentiable = False

    @classmethod
    def forward(cls, ctx: Context, anchor: np.ndarray, shape: tuple[int, ...], dtype: np.dtype,
                **params: Any) -> np.ndarray:
        return cls.sample(_generator, shape, dtype, **params)

    @staticmethod
    def sample(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype, **params: Any) -> np.ndarray:
        """Draw the samples from ``rng`` (override in a subclass)."""
        raise TypeError("RandomDraw subclasses must define sample(rng, shape, dtype)")


class RandomNormal(RandomDraw):
    """Normal samples of ``mean`` and ``std`` (``tg.randn``, ``tg.normal``)."""

    @staticmethod
    def sample(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype, mean: float = 0.0,
               std: float = 1.0) -> np.ndarray:
        draws = rng.standard_normal(shape)
        if std != 1.0 or mean != 0.0:
            draws = draws * std + mean
        return draws.astype(dtype)


class RandomUniform(RandomDraw):
    """Uniform samples in [low, high) (``tg.rand``, ``tg.uniform``)."""

    @staticmethod
    def sample(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype, low: float = 0.0,
               high: float = 1.0) -> np.ndarray:
        draws = rng.random(shape)
        if low != 0.0 or high != 1.0:
            draws = draws * (high - low) + low
        return draws.astype(dtype)


class RandomInteger(RandomDraw):
    """Integers drawn uniformly from [low, high) (``tg.randint``)."""

    @staticmethod
    def sample(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype, low: int = 0,
               high: int = 2) -> np.ndarray:
        return rng.integers(low, high, size=shape, dtype=np.int64).astype(dtype)


def _random(draw: type[RandomDraw], size: tuple[int, ...], requires_grad: bool, dtype: np.dtype,
            name: str | None, **params: Any) -> Tensor:
    if current_tracer() is None:
        return _make(draw.sample(_generator, size, dtype, **params), requires_grad, name)
    _refuse_trainable_in_step(requires_grad)
    anchor = Tensor._from_op(np.empty(0, dtype), None)  # Function.apply needs a tensor to run on
    out = draw.apply(anchor, shape=size, dtype=dtype, **params)
    out.name = name
    return out


def _float_dtype(dtype: Any, name: str) -> np.dtype:
    resolved = as_dtype(dtype)
    if resolved.kind != "f":
        raise TypeError(f"{name} draws floating-point samples, so dtype {resolved} cannot hold them "
                        "(use tg.randint for integers)")
    return resolved


def _real(value: Any, argument: str, name: str) -> float:
    if isinstance(value, Tensor) and value.ndim == 0:
        value = value.item()
    if not isinstance(value, (int, float, np.number)) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"{name}: {argument} must be a finite number, not {value!r}")
    return float(value)


def randn(*shape: Any, requires_grad: bool = False, dtype: Any = np.float32, name: str | None = None,
          device: Any = None) -> Tensor:
    """Standard normal samples from the global generator (fresh on each call of a compiled step)."""
    _on_cpu(device, "randn")
    return _random(RandomNormal, _shape(shape, "randn"), requires_grad, _float_dtype(dtype, "randn"), name)


def rand(*shape: Any, requires_grad: bool = False, dtype: Any = np.float32, name: str | None = None,
         device: Any = None) -> Tensor:
    """Uniform samples in [0, 1) from the global generator (fresh on each call of a compiled step)."""
    _on_cpu(device, "rand")
    return _random(RandomUniform, _shape(shape, "rand"), requires_grad, _float_dtype(dtype, "rand"), name)


def randn_like(t: Tensor, *, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Standard normal samples in ``t``'s shape and dtype (or ``dtype``), which must be floating point."""
    _on_cpu(device, "randn_like")
    resolved = _float_dtype(t.dtype if dtype is None else dtype, "randn_like")
    return _random(RandomNormal, t.shape, requires_grad, resolved, None)


def rand_like(t: Tensor, *, dtype: Any = None, requires_grad: bool = False, device: Any = None) -> Tensor:
    """Uniform samples in [0, 1) in ``t``'s shape and dtype (or ``dtype``), which must be floating point."""
    _on_cpu(device, "rand_like")
    resolved = _float_dtype(t.dtype if dtype is None else dtype, "rand_like")
    return _random(RandomUniform, t.shape, requires_grad, resolved, None)


def randint(low: int, high: Any = None, size: Any = None, *, dtype: Any = np.int64, requires_grad: bool = False,
            name: str | None = None, device: Any = None) -> Tensor:
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or ``randint(low, high, size)``, as PyTorch.

    >>> import tinygrad_vn as tg
    >>> tg.manual_seed(0); t = tg.randint(3, 5, (4,))
    >>> t.dtype, set(t.tolist()) <= {3, 4}
    (dtype('int64'), True)
    """
    _on_cpu(device, "randint")
    if isinstance(high, (tuple, list)) and size is None:
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    for argument, value in (("low", low), ("high", high)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise TypeError(f"randint: {argument} must be an integer, not {type(value).__name__} {value!r}")
    if low >= high:
        raise ValueError(f"randint: low must be less than high, got low={low}, high={high}")
    resolved = as_dtype(dtype)
    if resolved.kind == "b":
        raise TypeError("randint: dtype bool cannot hold the drawn integers; use an integer or float dtype")
    return _random(RandomInteger, _size(size, "randint"), requires_grad, resolved, name, low=int(low), high=int(high))


def uniform(low: float, high: float, size: Any, *, dtype: Any = np.float32, requires_grad: bool = False,
            name: str | None = None) -> Tensor:
    """Uniform samples in [low, high) of ``size`` from the global generator (``Tensor.uniform_`` fills in place).

    PyTorch has no function of this name (it has ``Tensor.uniform_``); the arguments are NumPy's
    ``uniform(low, high, size)``.
    """
    low, high = _real(low, "low", "uniform"), _real(high, "high", "uniform")
    if low > high:
        raise ValueError(f"uniform: low must not exceed high, got low={low}, high={high}")
    return _random(RandomUniform, _size(size, "uniform"), requires_grad, _float_dtype(dtype, "uniform"), name,
                   low=low, high=high)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, dtype: Any = None, requires_grad: bool = False,
           name: str | None = None, device: Any = None) -> Tensor:
    """Normal samples, as ``torch.normal``: ``normal(mean, std, size)`` with numbers, or tensors of means/stds.

    With tensors, the samples take their broadcast shape and no gradient flows to them (PyTorch's
    gradient there is zero).
    """
    _on_cpu(device, "normal")
    if (isinstance(mean, Tensor) and mean.ndim) or (isinstance(std, Tensor) and std.ndim):
        return _normal_from_tensors(mean, std, size, dtype)
    mean, std = _real(mean, "mean", "normal"), _real(std, "std", "normal")
    if std < 0:
        raise ValueError(f"normal: std must be non-negative, got {std}")
    resolved = _float_dtype(np.float32 if dtype is None else dtype, "normal")
    return _random(RandomNormal, _size(size, "normal"), requires_grad, resolved, name, mean=mean, std=std)


def _normal_from_tensors(mean: Any, std: Any, size: Any, dtype: Any) -> Tensor:
    """``normal`` with a tensor of means or of standard deviations: mean + std ⊙ z, z standard normal."""
    means = mean.detach() if isinstance(mean, Tensor) else Tensor(mean)
    stds = std.detach() if isinstance(std, Tensor) else Tensor(std)
    try:
        shape = np.broadcast_shapes(means.shape, stds.shape)
    except ValueError:
        raise ValueError(f"normal: mean of shape {means.shape} and std of shape {stds.shape} cannot be "
                         "broadcast together") from None
    if size is not None and _size(size, "normal") != shape:
        raise ValueError(f"normal: size {tuple(size)} does not match the broadcast shape {shape} of mean and std")
    if np.any(stds.data < 0):
        raise ValueError("normal: std must be non-negative everywhere")
    resolved = np.result_type(means.dtype, stds.dtype) if dtype is None else dtype
    draws = _random(RandomNormal, shape, False, _float_dtype(resolved, "normal"), None)
    return draws * stds + means
