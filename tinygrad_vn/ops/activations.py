"""Activation functions and softmax: each forward and gradient rule calls ``backend.kernels``."""

from __future__ import annotations

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
