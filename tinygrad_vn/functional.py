"""Functions on tensors, PyTorch-style: activations, dropout, normalisation, embedding, ``linear``, ``one_hot``
and the losses.

Every loss takes ``reduction="mean" | "sum" | "none"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops
from .factories import RandomDraw, generator
from .tensor import Tensor

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


def _checked_tensor(x: Any, function: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{function}: input must be a Tensor, got {type(x).__name__}")
    return x


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x · Φ(x), Φ the standard normal CDF; ``approximate="tanh"`` uses the tanh formula (as PyTorch)."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return ops.GELU.apply(_checked_tensor(x, "gelu"), approximate=approximate)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """ln(1 + e^(βx)) / β, a smooth ReLU; x itself where βx > threshold (where the two agree in floating point)."""
    if not beta:
        raise ValueError(f"softplus: beta must be non-zero, got {beta!r}")
    return ops.Softplus.apply(_checked_tensor(x, "softplus"), beta=beta, threshold=threshold)


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: Tensor) -> Tensor:
    """scale · ELU(x, alpha) with the self-normalising constants (alpha ≈ 1.6733, scale ≈ 1.0507)."""
    return _checked_tensor(x, "selu").elu(SELU_ALPHA) * SELU_SCALE


def celu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, else alpha (e^(x/alpha) − 1): alpha · ELU(x / alpha), continuously differentiable."""
    if not alpha:
        raise ValueError(f"celu: alpha must be non-zero, got {alpha!r}")
    return (_checked_tensor(x, "celu") * (1.0 / alpha)).elu(1.0) * alpha


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """x limited to [min_val, max_val]; the gradient is 0 outside the open interval (PyTorch's rule)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not be greater than max_val ({max_val})")
    return ops.Hardtanh.apply(_checked_tensor(x, "hardtanh"), min_val=min_val, max_val=max_val)


def relu6(x: Tensor) -> Tensor:
    """min(max(0, x), 6): hardtanh on [0, 6]."""
    return hardtanh(x, 0.0, 6.0)


def prelu(x: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, else weight · x, with one learnable slope per channel (axis 1) or one for all."""
    return ops.PReLU.apply(_checked_tensor(x, "prelu"), weight)


class DropoutMask(RandomDraw):
    """Dropout's mask: each element 1 / (1 − p) with probability 1 − p, else 0, from the global generator.

    A random draw (see ``factories.RandomDraw``), so a compiled step draws a fresh mask on every call,
    the same one an eager step would draw from the same seed.
    """

    @classmethod
    def forward(cls, ctx: Any, anchor: np.ndarray, shape: tuple[int, ...], dtype: np.dtype,
                p: float = 0.5) -> np.ndarray:
        return cls.sample(generator(), shape, dtype, p)

    @staticmethod
    def sample(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype, p: float = 0.5) -> np.ndarray:
        uniform = rng.random(shape, dtype=np.float32 if dtype == np.float32 else np.float64)
        return (uniform >= p) * dtype.type(1.0 / (1.0 - p))


def _checked_probability(p: Any, function: str) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) or not 0 <= p <= 1:
        raise ValueError(f"{function}: dropout probability has to be between 0 and 1, but got {p!r}")
    return float(p)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by 1 / (1 − p).

    The identity when ``training`` is false or p = 0; zeros when p = 1. The mask comes from the global
    generator (``tg.manual_seed``), and is drawn afresh on each call of a compiled step.
    """
    p = _checked_probability(p, "dropout")
    x = _checked_tensor(x, "dropout")
    if not training or p == 0:
        return x
    if x.dtype.kind != "f":
        raise TypeError(f"dropout: input must be floating point, got dtype {x.dtype}")
    if p == 1:
        return x * 0.0
    return x * DropoutMask.apply(x, shape=x.shape, dtype=x.dtype, p=p)


def layer_norm(x: Tensor, normalized_shape: int | tuple[int, ...] | list[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """(x − mean) / √(var + eps) · weight + bias over the trailing ``normalized_shape`` axes of each sample."""
    x = _checked_tensor(x, "layer_norm")
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    if not shape or x.shape[x.ndim - len(shape):] != shape or len(shape) > x.ndim:
        raise ValueError(f"layer_norm: normalized_shape {shape} must be the last axes of the input, "
                         f"whose shape is {x.shape}")
    if (weight is None) != (bias is None):
        raise ValueError("layer_norm: give both weight and bias, or neither (pass ones or zeros for the other)")
    affine = () if weight is None else (weight, bias)
    for name, t in zip(("weight", "bias"), affine):
        if t.shape != shape:
            raise ValueError(f"layer_norm: {name} has shape {t.shape}, but normalized_shape is {shape}")
    return ops.LayerNorm.apply(x, *affine, dims=len(shape), eps=eps)


def batch_norm(x: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float | None = 0.1, eps: float = 1e-5,
               num_batches_tracked: Tensor | None = None) -> Tensor:
    """Batch normalisation of (N, C) or (N, C, L) ``x`` per channel (axis 1), as PyTorch's ``F.batch_norm``.

    In training (or without running statistics) it uses the batch's mean and biased variance, and moves
    ``running_mean`` / ``running_var`` (updated in place) towards the batch's mean and unbiased variance by
    ``momentum`` (None: a cumulative average over ``num_batches_tracked``, which is counted up). Otherwise
    it uses the running statistics.
    """
    x = _checked_tensor(x, "batch_norm")
    if x.ndim not in (2, 3):
        raise ValueError(f"batch_norm: expected a 2-D (N, C) or 3-D (N, C, L) input, got shape {x.shape}")
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm: give both running_mean and running_var, or neither")
    if (weight is None) != (bias is None):
        raise ValueError("batch_norm: give both weight and bias, or neither (pass ones or zeros for the other)")
    channels = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t.shape != (channels,):
            raise ValueError(f"batch_norm: {name} has shape {t.shape}, but the input has {channels} channels "
                             f"(axis 1 of shape {x.shape})")
    if momentum is None and training and running_mean is not None and num_batches_tracked is None:
        raise ValueError("batch_norm: momentum=None (a cumulative average) needs num_batches_tracked")
    running = None if running_mean is None else (running_mean, running_var, num_batches_tracked)
    affine = () if weight is None else (weight, bias)
    return ops.BatchNorm.apply(x, *affine, eps=eps, momentum=momentum, training=training, running=running)


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """The rows of ``weight`` at integer ``input`` (any shape): shape ``input.shape + (embedding_dim,)``.

    The gradient of each row sums over the places it was looked up; row ``padding_idx`` gets none.
    """
    if not isinstance(input, Tensor):
        input = Tensor._from_op(np.asarray(input), None)
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape {weight.shape}")
    if padding_idx is not None:
        padding_idx = _checked_padding_idx(padding_idx, weight.shape[0])
    return ops.Embedding.apply(weight, input, padding_idx=padding_idx)


def _checked_padding_idx(padding_idx: int, rows: int) -> int:
    """``padding_idx`` as a row number in [0, rows), negative ones counted from the end, as PyTorch does."""
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)) or not \
            -rows <= padding_idx < rows:
        raise ValueError(f"padding_idx must be an integer within num_embeddings ({rows}), got {padding_idx!r}")
    return int(padding_idx) % rows


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
