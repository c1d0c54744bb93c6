"""Activation functions and softmax.

The hot ones (sigmoid, tanh, ReLU, leaky ReLU, ELU, swish, softmax) call ``backend.kernels``; GELU, softplus,
hardtanh and PReLU are plain NumPy.
"""

from __future__ import annotations

import math

import numpy as np

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
_erf = np.frompyfunc(math.erf, 1, 1)  # NumPy has no erf; math.erf per element is exact (GELU is not a hot op)


class GELU(Function):
    """A = Z ⊙ Φ(Z); dZ = dA ⊙ (Φ(Z) + Z ⊙ φ(Z)).

    Φ and φ are the standard normal's CDF and density. With ``approximate="tanh"`` Φ(Z) is replaced by
    ½(1 + tanh(√(2/π)(Z + 0.044715 Z³))) and the rule differentiates that form, as PyTorch does.
    """

    @staticmethod
    def forward(ctx: Context, z: np.ndarray, approximate: str = "none") -> np.ndarray:
        ctx.approximate = approximate
        if approximate == "tanh":
            t = np.tanh(_SQRT_2_OVER_PI * (z + _GELU_CUBIC * z * z * z))
            ctx.save_for_backward(z, t)
            return (0.5 * z * (1 + t)).astype(z.dtype, copy=False)
        cdf = (0.5 * (1.0 + _erf(z * _SQRT_HALF).astype(np.float64))).astype(z.dtype, copy=False)
        ctx.save_for_backward(z, cdf)
        return z * cdf

    @staticmethod
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
