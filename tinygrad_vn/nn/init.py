"""In-place weight initialisers (the lecture's "Khởi tạo trọng số").

Weights use the course notes' layout (in_features, out_features): fan-in is the second-to-last
axis, fan-out the last.
"""

from __future__ import annotations

import math

import numpy as np

from ..factories import generator
from ..tensor import Tensor


def _fill(t: Tensor, values: np.ndarray) -> Tensor:
    t.data[...] = values.astype(t.dtype, copy=False)
    return t


def fans(t: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight laid out (…, in_features, out_features); a 1-D tensor counts as fan-in."""
    if t.ndim == 0:
        raise ValueError("fan-in and fan-out are undefined for a 0-d tensor")
    if t.ndim == 1:
        return t.shape[0], t.shape[0]
    receptive = int(np.prod(t.shape[:-2], dtype=np.int64)) if t.ndim > 2 else 1
    return t.shape[-2] * receptive, t.shape[-1] * receptive


def zeros_(t: Tensor) -> Tensor:
    """Fill with zeros. For every hidden unit this makes them identical forever (seed 003)."""
    return _fill(t, np.zeros(t.shape))


def ones_(t: Tensor) -> Tensor:
    """Fill with ones."""
    return _fill(t, np.ones(t.shape))


def constant_(t: Tensor, value: float) -> Tensor:
    """Fill with ``value``."""
    return _fill(t, np.full(t.shape, value))


def normal_(t: Tensor, mean: float = 0.0, std: float = 0.01) -> Tensor:
    """Gaussian samples; the default is the lecture's ``np.random.randn(...) * 0.01``."""
    return _fill(t, generator().normal(mean, std, t.shape))


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Uniform samples in [a, b)."""
    return _fill(t, generator().uniform(a, b, t.shape))


def xavier_uniform_(t: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot: uniform in ±gain·√(6 / (fan_in + fan_out)), keeping activations' variance for tanh/sigmoid."""
    fan_in, fan_out = fans(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound)


def kaiming_normal_(t: Tensor, negative_slope: float = 0.0) -> Tensor:
    """He: normal with std √(2 / ((1 + slope²) fan_in)), for ReLU-family activations."""
    fan_in, _ = fans(t)
    std = math.sqrt(2.0 / ((1 + negative_slope**2) * fan_in))
    return normal_(t, 0.0, std)
