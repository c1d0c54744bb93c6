"""Functions on tensors, PyTorch-style: activations, ``linear``, ``one_hot``, ``pad`` and the losses.

Every loss takes ``reduction="mean" | "sum" | "none"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops
from .tensor import Tensor
from .tensor import pad as _pad

REDUCTIONS = ("mean", "sum", "none")


def sigmoid(x: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e⁻ˣ)."""
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return x.tanh()


def relu(x: Tensor) -> Tensor:
    """max(0, x)."""
    return x.relu()


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, else negative_slope · x."""
    return x.leaky_relu(negative_slope)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, else alpha (eˣ − 1)."""
    return x.elu(alpha)


def swish(x: Tensor) -> Tensor:
    """x · σ(x)."""
    return x.swish()


silu = swish


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """eˣ / Σ eˣ along ``axis``."""
    return x.softmax(axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log softmax along ``axis``."""
    return x.log_softmax(axis)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Z = X · W + b, with ``weight`` laid out (in_features, out_features) as in the course notes."""
    z = x @ weight
    return z if bias is None else z + bias


def linear_activation(x: Tensor, weight: Tensor, bias: Tensor, activation: str) -> Tensor:
    """activation(X · W + b) as one fused node, for 2-D ``x`` and ``activation`` in
    ``ops.FUSED_LINEAR`` ("identity", "relu", "sigmoid", "tanh"); the same values as composing them."""
    return ops.FUSED_LINEAR[activation].apply(x, weight, bias)


def one_hot(labels: Any, num_classes: int) -> Tensor:
    """(N,) integer labels as an (N, num_classes) float32 one-hot tensor (no gradient)."""
    if not isinstance(labels, Tensor):
        labels = Tensor._from_op(np.asarray(labels), None)  # wrapped, not copied: see _target_like
    return ops.OneHot.apply(labels, num_classes=num_classes)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """PyTorch's ``F.pad``: (before, after) widths from the last dim backwards; see :func:`tinygrad_vn.pad`."""
    return _pad(input, pad, mode, value)


def _check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _target_like(target: Any, prediction: Tensor, loss: str) -> Tensor:
    """``target`` as a tensor of the prediction's dtype. Arrays and tensors are wrapped, not copied, and
    converted by a recorded ``Cast`` when their dtype differs, so that a compiled step that takes the
    target as an argument sees each call's values."""
    if isinstance(target, np.ndarray):
        target = Tensor._from_op(target, None)
    elif not isinstance(target, Tensor):
        target = Tensor(np.asarray(target, dtype=prediction.dtype))
    if target.dtype != prediction.dtype:
        target = target.astype(prediction.dtype)
    if target.shape != prediction.shape:
        raise ValueError(f"{loss}: prediction has shape {prediction.shape} but target has shape {target.shape}")
    return target


def mse_loss(pred: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error (pred − target)²."""
    _check_reduction(reduction)
    diff = pred - _target_like(target, pred, "mse_loss")
    return _reduce(diff * diff, reduction)


def binary_cross_entropy(prob: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """−(y ln p + (1 − y) ln(1 − p)) on probabilities; finite even for p of exactly 0 or 1."""
    _check_reduction(reduction)
    if prob.data.size and not (np.minimum.reduce(prob.data, axis=None) >= 0
                               and np.maximum.reduce(prob.data, axis=None) <= 1):  # NaN fails both, as in PyTorch
        found = "NaN" if np.isnan(prob.data).any() else "values outside [0, 1]"
        raise ValueError(f"binary_cross_entropy: predictions must be probabilities in [0, 1], found {found} "
                         "(use binary_cross_entropy_with_logits for raw scores)")
    losses = ops.BinaryCrossEntropy.apply(prob, _target_like(target, prob, "binary_cross_entropy"))
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of σ(logits), fused and stable for any logit."""
    _check_reduction(reduction)
    target = _target_like(target, logits, "binary_cross_entropy_with_logits")
    return _reduce(ops.BinaryCrossEntropyWithLogits.apply(logits, target), reduction)


def cross_entropy(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of (N, C) ``logits`` (or (C,) for one sample).

    ``target`` is either (N,) integer class indices or an (N, C) one-hot / probability array.
    """
    _check_reduction(reduction)
    if logits.ndim not in (1, 2):
        raise ValueError(f"cross_entropy: logits must be (N, C) or (C,), got shape {logits.shape}")
    target_array = target.data if isinstance(target, Tensor) else np.asarray(target)
    if target_array.dtype.kind == "f":
        probs = _target_like(target, logits, "cross_entropy")
        return _reduce(-(probs * logits.log_softmax(axis=-1)).sum(axis=-1), reduction)
    labels = target if isinstance(target, Tensor) else Tensor._from_op(target_array, None)
    if logits.ndim == 1:
        return cross_entropy(logits.reshape(1, -1), labels.reshape(1), reduction).reshape(())
    if target_array.shape != (logits.shape[0],):
        raise ValueError(f"cross_entropy: logits of shape {logits.shape} need class indices of shape "
                         f"({logits.shape[0]},), got {target_array.shape}")
    return ops.CrossEntropy.apply(logits, labels, reduction=reduction)
