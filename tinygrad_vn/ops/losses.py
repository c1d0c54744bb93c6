"""Losses, fused where the algebra collapses (softmax + cross-entropy gives O − Y), and one-hot labels."""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd import Context, Function
from .elementwise import unbroadcast


def reduce_losses(losses: np.ndarray, reduction: str) -> np.ndarray:
    """Apply a loss reduction ("mean", "sum" or "none") to per-element losses."""
    if reduction == "none":
        return losses
    total = losses.sum()  # 1.4 µs on 64 losses here; np.add.reduce(losses, axis=None) took 2.2
    return np.asarray(total / losses.size if reduction == "mean" else total, dtype=losses.dtype)


def expand_reduced_gradient(grad: np.ndarray, shape: tuple[int, ...], reduction: str) -> np.ndarray:
    """The per-element gradient of a reduced loss: dC for "none", dC (or dC / N) spread for sum/mean."""
    if reduction == "none":
        return grad
    out = np.empty(shape, dtype=grad.dtype)
    out.fill(grad / max(math.prod(shape), 1) if reduction == "mean" else grad)  # half the cost of np.full
    return out


class CrossEntropy(Function):
    """L = −log softmax(Z)[y] per row, reduced; dZ = (O − Y) · dL, with O = softmax(Z), Y one-hot.

    The softmax and the log collapse into ``O − Y`` (seed 001), so this op runs them fused.
    """

    @staticmethod
    def forward(ctx: Context, logits: np.ndarray, target: np.ndarray, reduction: str = "mean") -> np.ndarray:
        losses, probs = backend.kernels.cross_entropy(logits, target)
        ctx.save_for_backward(probs, target)
        ctx.reduction = reduction
        return reduce_losses(losses, reduction)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None]:
        probs, target = ctx.saved
        rows = expand_reduced_gradient(grad, (probs.shape[0],), ctx.reduction)
        return backend.kernels.cross_entropy_backward(probs, target, np.ascontiguousarray(rows)), None


class BinaryCrossEntropy(Function):
    """L = −(y ln ŷ + (1 − y) ln(1 − ŷ)); dŷ = dL ⊙ (ŷ − y) / (ŷ (1 − ŷ)), dy = dL ⊙ (ln(1 − ŷ) − ln ŷ).

    Logs are floored at −100 and the denominator at 1e−12, so ŷ of exactly 0 or 1 stays finite.
    """

    @staticmethod
    def forward(ctx: Context, prob: np.ndarray, target: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(prob, target)
        return backend.kernels.binary_cross_entropy(prob, target)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        prob, target = ctx.saved
        grad_prob = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_prob = unbroadcast(backend.kernels.binary_cross_entropy_backward(prob, target, grad), prob.shape)
        if ctx.needs_input_grad[1]:
            grad_target = unbroadcast(backend.kernels.binary_cross_entropy_target_backward(prob, grad), target.shape)
        return grad_prob, grad_target


class BinaryCrossEntropyWithLogits(Function):
    """L = max(z, 0) − z y + ln(1 + e^−|z|); dz = dL ⊙ (σ(z) − y), dy = −dL ⊙ z.

    The sigmoid and the log collapse into ``σ(z) − y`` (seed 000's ŷ − y), computed without overflow.
    """

    @staticmethod
    def forward(ctx: Context, logits: np.ndarray, target: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(logits, target)
        return np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits)))

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        logits, target = ctx.saved
        grad_logits = grad_target = None
        if ctx.needs_input_grad[0]:
            grad_logits = unbroadcast(grad * (backend.kernels.sigmoid(logits) - target), logits.shape)
        if ctx.needs_input_grad[1]:
            grad_target = unbroadcast(-grad * logits, target.shape)
        return grad_logits, grad_target


# These carry no gradient, but run as ops so that a compiled step recomputes them on every call
# instead of keeping the values of the call that recorded it.


class OneHot(Function):
    """Integer labels as float32 one-hot rows; labels out of [0, num_classes) raise."""

    differentiable = False

    @staticmethod
    def forward(ctx: Context, labels: np.ndarray, num_classes: int) -> np.ndarray:
        return backend.kernels.one_hot(labels, num_classes)
