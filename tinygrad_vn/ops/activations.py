"""Activation functions and softmax.

The hot ones (sigmoid, tanh, ReLU, leaky ReLU, ELU, swish, softmax) call ``backend.kernels``; GELU, softplus,
hardtanh and PReLU are plain NumPy.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.polynomial import Chebyshev

from .. import backend
from ..autograd import Context, Function


class Sigmoid(Function):
    """A = σ(Z); dZ = dA ⊙ A ⊙ (1 − A)."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        out = backend.kernels.sigmoid(z)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return backend.kernels.sigmoid_backward(ctx.saved[0], grad)


class Tanh(Function):
    """A = tanh(Z); dZ = dA ⊙ (1 − A²)."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        out = backend.kernels.tanh(z)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return backend.kernels.tanh_backward(ctx.saved[0], grad)


class ReLU(Function):
    """A = max(0, Z); dZ = dA ⊙ [Z > 0]."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(z)
        return backend.kernels.relu(z)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return backend.kernels.relu_backward(ctx.saved[0], grad)


class LeakyReLU(Function):
    """A = Z if Z > 0 else s·Z; dZ = dA ⊙ (1 if Z > 0 else s)."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
        ctx.save_for_backward(z)
        ctx.negative_slope = negative_slope
        return backend.kernels.leaky_relu(z, negative_slope)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return backend.kernels.leaky_relu_backward(ctx.saved[0], grad, ctx.negative_slope)


class ELU(Function):
    """A = Z if Z > 0 else α(eᶻ − 1); dZ = dA ⊙ (1 if Z > 0 else A + α)."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, alpha: float = 1.0) -> np.ndarray:
        out = backend.kernels.elu(z, alpha)
        ctx.save_for_backward(z, out)
        ctx.alpha = alpha
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        z, out = ctx.saved
        return backend.kernels.elu_backward(z, out, grad, ctx.alpha)


class Swish(Function):
    """A = Z ⊙ σ(Z); dZ = dA ⊙ (σ(Z) + Z ⊙ σ(Z) ⊙ (1 − σ(Z)))."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(z)
        return backend.kernels.swish(z)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return backend.kernels.swish_backward(ctx.saved[0], grad)


class Softmax(Function):
    """O = softmax(Z) along ``axis``; dZ = O ⊙ (dO − Σ dO ⊙ O)."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, axis: int = -1) -> np.ndarray:
        out = backend.kernels.softmax(z, axis)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return backend.kernels.softmax_backward(ctx.saved[0], grad, ctx.axis)


class LogSoftmax(Function):
    """Y = Z − log Σ eᶻ along ``axis``; dZ = dY − softmax(Z) ⊙ Σ dY."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, axis: int = -1) -> np.ndarray:
        out = backend.kernels.log_softmax(z, axis)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return backend.kernels.log_softmax_backward(ctx.saved[0], grad, ctx.axis)


_SQRT_HALF = 0.7071067811865476  # 1/√2
_INV_SQRT_2PI = 0.3989422804014327  # 1/√(2π)
_SQRT_2_OVER_PI = 0.7978845608028654  # √(2/π)
_GELU_CUBIC = 0.044715
_ASYMPTOTIC_TERMS = 12  # erfc's asymptotic series for x ≥ 10: the 13th term is below 1e-16 of the sum


@functools.cache
def _erfc_pieces() -> tuple[tuple[float, float, np.ndarray], ...]:
    """Chebyshev fits ``(low, high, coefficients)``, made once from ``math.erf``/``math.erfc``: erf(x)/x in x²
    on [0, 1], and erfc(x)·e^(x²) on [1, 4] and [4, 10]. NumPy has no erf; these evaluate it on whole arrays
    to ~1e-14 relative error."""
    def erf_over_x(u: np.ndarray) -> np.ndarray:
        return np.array([math.erf(math.sqrt(v)) / math.sqrt(v) if v > 0 else 2 / math.sqrt(math.pi) for v in u])

    def scaled_erfc(x: np.ndarray) -> np.ndarray:
        return np.array([math.erfc(v) * math.exp(v * v) for v in x])

    fits = ((erf_over_x, 0.0, 1.0, 14), (scaled_erfc, 1.0, 4.0, 20), (scaled_erfc, 4.0, 10.0, 20))
    return tuple((low, high, Chebyshev.interpolate(f, degree, domain=[low, high]).coef)
                 for f, low, high, degree in fits)


def _chebyshev(piece: tuple[float, float, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The fit ``piece`` at ``x`` (Clenshaw's recurrence, in place: three array passes per coefficient)."""
    low, high, coefficients = piece
    t2 = (x - (low + high) / 2) * (4 / (high - low))  # twice the position in [-1, 1]
    b1, b2, scratch = np.zeros_like(x), np.zeros_like(x), np.empty_like(x)
    for c in coefficients[:0:-1]:
        np.multiply(t2, b1, out=scratch)
        scratch -= b2
        scratch += c
        b1, b2, scratch = scratch, b1, b2
    np.multiply(t2, b1, out=scratch)
    scratch *= 0.5
    scratch -= b2
    scratch += coefficients[0]
    return scratch


def _erfc_of_nonnegative(x: np.ndarray) -> np.ndarray:
    """erfc(x) for float64 x ≥ 0 (NaN stays NaN)."""
    small, middle, large = _erfc_pieces()
    out = np.empty_like(x)
    pieces = [(x <= 1, lambda v: 1 - v * _chebyshev(small, v * v)),
              ((x > 1) & (x <= 4), lambda v: _chebyshev(middle, v) * np.exp(-v * v)),
              ((x > 4) & (x <= 10), lambda v: _chebyshev(large, v) * np.exp(-v * v)), (x > 10, _erfc_asymptotic)]
    out[np.isnan(x)] = np.nan
    for where, erfc in pieces:
        if where.any():
            out[where] = erfc(x[where])
    return out


def _erfc_asymptotic(x: np.ndarray) -> np.ndarray:
    """erfc(x) = e^(−x²) / (x √π) · Σ (−1)ⁿ (2n − 1)!! / (2x²)ⁿ, accurate for x ≥ 10."""
    term, total, step = np.ones_like(x), np.ones_like(x), -0.5 / (x * x)
    for n in range(1, _ASYMPTOTIC_TERMS):
        term = term * step * (2 * n - 1)
        total += term
    with np.errstate(under="ignore"):
        return total * np.exp(-x * x) / (x * math.sqrt(math.pi))


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """Φ(z), the standard normal CDF, in float64: ½ erfc(−z/√2), from the tail that keeps it accurate."""
    w = np.asarray(z, dtype=np.float64) * -_SQRT_HALF
    tail = 0.5 * _erfc_of_nonnegative(np.abs(w))
    return np.where(w >= 0, tail, 1 - tail)


class GELU(Function):
    """A = Z ⊙ Φ(Z); dZ = dA ⊙ (Φ(Z) + Z ⊙ φ(Z)).

    Φ and φ are the standard normal's CDF and density. With ``approximate="tanh"`` Φ(Z) is replaced by
    ½(1 + tanh(√(2/π)(Z + 0.044715 Z³))) and the rule differentiates that form, as PyTorch does.
    """

    @staticmethod
    @np.errstate(invalid="ignore", over="ignore")  # ±∞ and NaN give PyTorch's values without a warning
    def forward(ctx: Context, z: np.ndarray, approximate: str = "none") -> np.ndarray:
        ctx.approximate = approximate
        if approximate == "tanh":
            t = np.tanh(_SQRT_2_OVER_PI * (z + _GELU_CUBIC * z * z * z))
            ctx.save_for_backward(z, t)
            return (0.5 * z * (1 + t)).astype(z.dtype, copy=False)
        cdf = normal_cdf(z).astype(z.dtype, copy=False)
        ctx.save_for_backward(z, cdf)
        return z * cdf

    @staticmethod
    @np.errstate(invalid="ignore", over="ignore")
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        z, saved = ctx.saved
        if ctx.approximate == "tanh":
            inner_slope = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * z * z)
            slope = 0.5 * (1 + saved) + 0.5 * z * (1 - saved * saved) * inner_slope
        else:
            slope = saved + z * (_INV_SQRT_2PI * np.exp(-0.5 * z * z))
        return (grad * slope).astype(grad.dtype, copy=False)


class Softplus(Function):
    """A = ln(1 + e^(βZ)) / β (Z where βZ > threshold); dZ = dA ⊙ σ(βZ) (dA where βZ > threshold)."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
        scaled = z * beta
        linear = scaled > threshold
        ctx.save_for_backward(scaled, linear)
        with np.errstate(invalid="ignore"):  # NaN in, NaN out, as in PyTorch, without a warning
            out = np.where(linear, z, np.logaddexp(0, scaled) / beta)
        return out.astype(z.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        scaled, linear = ctx.saved
        return np.where(linear, grad, grad * backend.kernels.sigmoid(scaled)).astype(grad.dtype, copy=False)


class Hardtanh(Function):
    """A = min(max(Z, lo), hi); dZ = dA where lo < Z < hi, else 0 (PyTorch's rule: 0 on the bounds themselves)."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, min_val: float = -1.0, max_val: float = 1.0) -> np.ndarray:
        ctx.save_for_backward(z)
        ctx.bounds = (min_val, max_val)
        return np.minimum(np.maximum(z, min_val), max_val).astype(z.dtype, copy=False)  # NaN stays NaN

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (z,), (low, high) = ctx.saved, ctx.bounds
        return grad * ~((z <= low) | (z >= high))


def _channel_shape(z: np.ndarray, weight: np.ndarray) -> tuple[int, ...]:
    """The shape that lines a PReLU weight up with the channel axis (axis 1) of ``z``."""
    if weight.size == 1 or z.ndim < 2:
        return (1,) * z.ndim if z.ndim else ()
    return (1, weight.size) + (1,) * (z.ndim - 2)


class PReLU(Function):
    """A = Z if Z > 0 else w ⊙ Z; dZ = dA ⊙ (1 if Z > 0 else w), dw = Σ dA ⊙ Z where Z ≤ 0 (per channel, axis 1)."""

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, weight: np.ndarray) -> np.ndarray:
        if weight.ndim != 1 or (weight.size != 1 and (z.ndim < 2 or z.shape[1] != weight.size)):
            channels = z.shape[1] if z.ndim >= 2 else 1
            raise ValueError(f"prelu: weight of shape {weight.shape} must have 1 or {channels} elements "
                             f"(the channels on axis 1 of an input of shape {z.shape})")
        slope = weight.reshape(_channel_shape(z, weight))
        ctx.save_for_backward(z, slope)
        ctx.weight_shape = weight.shape
        return np.where(z > 0, z, slope * z).astype(z.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        z, slope = ctx.saved
        positive = z > 0
        grad_z = np.where(positive, grad, slope * grad).astype(grad.dtype, copy=False) if ctx.needs_input_grad[0] \
            else None
        grad_w = None
        if ctx.needs_input_grad[1]:
            per_element = np.where(positive, 0, z * grad)
            if ctx.weight_shape == (1,) or z.ndim < 2:
                grad_w = np.asarray(per_element.sum(), dtype=grad.dtype).reshape(ctx.weight_shape)
            else:
                axes = (0, *range(2, z.ndim))
                grad_w = per_element.sum(axis=axes).astype(grad.dtype, copy=False)
        return grad_z, grad_w
