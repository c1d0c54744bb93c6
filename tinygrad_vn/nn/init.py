"""In-place weight initialisers (the lecture's "Khởi tạo trọng số"), with PyTorch's names and arguments.

Every function draws from the global generator (``tg.manual_seed`` makes it reproducible), writes into
the tensor in place under ``no_grad`` (the tensor keeps its identity and its version goes up), and
returns it.

Weights use the course notes' layout (…, in_features, out_features), the transpose of PyTorch's
(out_features, in_features, …): fan-in is the second-to-last axis, fan-out the last, each times the
receptive field (the product of any leading axes). So ``kaiming_uniform_(layer.weight)`` here draws
from the same distribution as PyTorch's for the same layer.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..factories import generator
from ..tensor import Tensor

_LINEAR_LIKE = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
_FAN_MODES = ("fan_in", "fan_out")


def _checked_tensor(t: Any, function: str) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"nn.init.{function}: expected a Tensor, got {type(t).__name__}")
    if t.dtype.kind != "f":
        raise TypeError(f"nn.init.{function}: the tensor must be floating point, got dtype {t.dtype}")
    return t


def _fill(t: Tensor, values: np.ndarray) -> Tensor:
    """Write ``values`` into ``t`` in place (counted as a change), recording nothing for autograd."""
    with no_grad():
        t.copy_(np.asarray(values).astype(t.dtype, copy=False))
    return t


def fans(t: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight laid out (…, in_features, out_features); needs at least 2 axes."""
    if t.ndim < 2:
        raise ValueError(f"fan in and fan out can not be computed for a tensor with fewer than 2 dimensions "
                         f"(got shape {t.shape})")
    receptive = int(np.prod(t.shape[:-2], dtype=np.int64)) if t.ndim > 2 else 1
    return t.shape[-2] * receptive, t.shape[-1] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor by which to scale an initialisation's std so that ``nonlinearity`` keeps activations' variance.

    1 for linear layers and sigmoid, 5/3 for tanh, √2 for relu, √(2 / (1 + slope²)) for leaky_relu
    (``param``, default slope 0.01) and 3/4 for selu: PyTorch's table.
    """
    if nonlinearity in _LINEAR_LIKE or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, (int, float, np.integer, np.floating)):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        else:
            slope = float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    known = ", ".join((*_LINEAR_LIKE, "sigmoid", "tanh", "relu", "leaky_relu", "selu"))
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; choose one of {known}")


def zeros_(t: Tensor) -> Tensor:
    """Fill with zeros. For every hidden unit this makes them identical forever (seed 003)."""
    return _fill(_checked_tensor(t, "zeros_"), np.zeros(t.shape))


def ones_(t: Tensor) -> Tensor:
    """Fill with ones."""
    return _fill(_checked_tensor(t, "ones_"), np.ones(t.shape))


def constant_(t: Tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    return _fill(_checked_tensor(t, "constant_"), np.full(t.shape, val))


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Gaussian samples N(mean, std²) (the lecture's small init is ``normal_(w, std=0.01)``)."""
    _checked_tensor(t, "normal_")
    if not std >= 0:
        raise ValueError(f"nn.init.normal_: std must be non-negative, got {std!r}")
    return _fill(t, generator().normal(mean, std, t.shape))


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Uniform samples in [a, b)."""
    _checked_tensor(t, "uniform_")
    if not a <= b:
        raise ValueError(f"nn.init.uniform_: a ({a}) must not be greater than b ({b})")
    return _fill(t, generator().uniform(a, b, t.shape))


def xavier_uniform_(t: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot: uniform in ±gain·√(6 / (fan_in + fan_out)), keeping activations' variance for tanh/sigmoid."""
    fan_in, fan_out = fans(_checked_tensor(t, "xavier_uniform_"))
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound)


def xavier_normal_(t: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot: normal with std gain·√(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(_checked_tensor(t, "xavier_normal_"))
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(t: Tensor, a: float, mode: str, nonlinearity: str, function: str) -> float:
    if mode not in _FAN_MODES:
        raise ValueError(f"nn.init.{function}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fans(_checked_tensor(t, function))
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ValueError(f"nn.init.{function}: cannot initialise a tensor of shape {t.shape}, its {mode} is 0")
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(t: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """He: uniform in ±gain·√(3 / fan), gain from ``nonlinearity`` (``a``: the leaky ReLU's negative slope)."""
    std = _kaiming_std(t, a, mode, nonlinearity, "kaiming_uniform_")
    bound = math.sqrt(3.0) * std
    return uniform_(t, -bound, bound)


def kaiming_normal_(t: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """He: normal with std gain / √fan, for ReLU-family activations (√(2 / fan_in) with the defaults)."""
    return normal_(t, 0.0, _kaiming_std(t, a, mode, nonlinearity, "kaiming_normal_"))


def orthogonal_(t: Tensor, gain: float = 1.0) -> Tensor:
    """A (semi-)orthogonal matrix times ``gain``: orthonormal columns (one per output unit) when there are at
    least as many rows, else orthonormal rows. Axes before the last are flattened into rows.

    Drawn as PyTorch draws it (QR of a Gaussian matrix, signs fixed by R's diagonal), on the transposed
    layout, so the distribution is the same for the same layer.
    """
    _checked_tensor(t, "orthogonal_")
    if t.ndim < 2:
        raise ValueError(f"nn.init.orthogonal_: only tensors with 2 or more dimensions are supported, got shape "
                         f"{t.shape}")
    if t.size == 0:
        return t
    cols = t.shape[-1]
    rows = t.size // cols
    flat = generator().standard_normal((cols, rows))  # PyTorch's (out, in) matrix
    if cols < rows:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if cols < rows:
        q = q.T
    return _fill(t, (gain * q).T.reshape(t.shape))


def trunc_normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0) -> Tensor:
    """Samples of N(mean, std²) conditioned on lying in [a, b] (the cut-off bounds are absolute, as in PyTorch)."""
    _checked_tensor(t, "trunc_normal_")
    if not std > 0:
        raise ValueError(f"nn.init.trunc_normal_: std must be positive, got {std!r}")
    if not a < b:
        raise ValueError(f"nn.init.trunc_normal_: a ({a}) must be less than b ({b})")
    kept = _normal_mass(mean, std, a, b)
    if kept < 1e-6:
        raise ValueError(f"nn.init.trunc_normal_: [a, b] = [{a}, {b}] holds almost none of N({mean}, {std}²) "
                         f"({kept:.2g} of it); move the bounds or the mean closer together")
    rng = generator()
    values = rng.normal(mean, std, t.size)
    outside = np.flatnonzero((values < a) | (values > b))
    while outside.size:  # redraw the rejected ones: exactly the truncated distribution
        values[outside] = rng.normal(mean, std, outside.size)
        outside = outside[(values[outside] < a) | (values[outside] > b)]
    return _fill(t, values.reshape(t.shape))


def _normal_mass(mean: float, std: float, a: float, b: float) -> float:
    """The probability that N(mean, std²) falls in [a, b]."""
    def cdf(x: float) -> float:
        return 0.5 * (1 + math.erf((x - mean) / (std * math.sqrt(2))))

    return cdf(b) - cdf(a)
