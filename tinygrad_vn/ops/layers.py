"""The ops behind nn's normalisation and lookup layers: batch norm, layer norm and the embedding lookup.

Each is one node with its own rule rather than a composition of a dozen means and divisions: these layers
run on every step of a model that uses them, and one node costs one array pass per quantity instead of one
Python-level op each.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Context, Function, bump_version


def _affine_gradients(ctx: Context, grad: np.ndarray, normalized: np.ndarray,
                      axes: tuple[int, ...]) -> tuple[np.ndarray | None, ...]:
    """dγ = Σ dY ⊙ X̂ and dβ = Σ dY over ``axes``, for the affine inputs that were given (and need them)."""
    if len(ctx.needs_input_grad) < 3:
        return ()
    grad_weight = (grad * normalized).sum(axis=axes) if ctx.needs_input_grad[1] else None
    grad_bias = grad.sum(axis=axes) if ctx.needs_input_grad[2] else None
    return grad_weight, grad_bias


def _through_normalization(scaled: np.ndarray, normalized: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """G − mean G − X̂ ⊙ mean(G ⊙ X̂) over ``axes``: the gradient through X̂ = (X − μ)/σ, before the 1/σ factor."""
    return scaled - scaled.mean(axis=axes, keepdims=True) - normalized * (scaled * normalized).mean(axis=axes,
                                                                                                   keepdims=True)


class BatchNorm(Function):
    """Y = γ ⊙ (X − μ) / √(σ² + ε) + β; dX = (γ / √(σ² + ε)) ⊙ (dY − mean dY − X̂ ⊙ mean(dY ⊙ X̂)),
    dγ = Σ dY ⊙ X̂, dβ = Σ dY.

    μ and σ² are each channel's (axis 1) mean and biased variance over the batch (and the length axis of
    (N, C, L) inputs), and X̂ = (X − μ) / √(σ² + ε). With ``training`` false and running statistics given,
    μ and σ² are those running values and dX = dY ⊙ γ / √(σ² + ε). γ and β are optional (``affine``).

    ``running`` is ``(running_mean, running_var, num_batches_tracked)`` tensors or None. In training the
    forward itself updates them in place (new = (1 − m) old + m batch, with the unbiased variance; m =
    ``momentum``, or 1 / batches seen when it is None) and bumps their versions, so a compiled step that
    replays this op updates them on every call, exactly as the eager step does.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *affine: np.ndarray, eps: float = 1e-5, momentum: float | None = 0.1,
                training: bool = True, running: tuple[Any, Any, Any] | None = None) -> np.ndarray:
        if x.ndim not in (2, 3):
            raise ValueError(f"batch_norm: expected a 2-D (N, C) or 3-D (N, C, L) input, got shape {x.shape}")
        channels = x.shape[1]
        axes = (0,) if x.ndim == 2 else (0, 2)
        shape = (1, channels) if x.ndim == 2 else (1, channels, 1)
        use_batch = training or running is None
        if use_batch:
            count = x.size // max(channels, 1)
            if count <= 1:
                raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input of "
                                 f"shape {x.shape}")
            mean = x.mean(axis=axes)
            centered = x - mean.reshape(shape)
            var = (centered * centered).mean(axis=axes)
            if training and running is not None:
                _update_running(running, mean, var * (count / (count - 1)), momentum)
        else:
            mean, var = running[0]._data, running[1]._data
            centered = x - mean.reshape(shape).astype(x.dtype, copy=False)
        inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False).reshape(shape)
        normalized = centered * inv_std
        out = normalized
        if affine:
            weight, bias = affine
            out = normalized * weight.reshape(shape) + bias.reshape(shape)
        ctx.axes, ctx.use_batch = axes, use_batch
        ctx.save_for_backward(normalized, inv_std, affine[0].reshape(shape) if affine else None)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        normalized, inv_std, weight = ctx.saved
        axes = ctx.axes
        grad_x = None
        if ctx.needs_input_grad[0]:
            scaled = grad if weight is None else grad * weight
            if ctx.use_batch:
                scaled = _through_normalization(scaled, normalized, axes)
            grad_x = scaled * inv_std
        return (grad_x, *_affine_gradients(ctx, grad, normalized, axes))


def _update_running(running: tuple[Any, Any, Any], mean: np.ndarray, unbiased_var: np.ndarray,
                    momentum: float | None) -> None:
    """Move the running mean and variance towards this batch's, in place, and count the batch."""
    running_mean, running_var, batches = running
    if batches is not None:
        batches._data += 1
        bump_version(batches)
    factor = momentum if momentum is not None else 1.0 / float(batches._data)
    for tensor, batch_value in ((running_mean, mean), (running_var, unbiased_var)):
        array = tensor._data
        array *= 1 - factor
        array += factor * batch_value.astype(array.dtype, copy=False)
        bump_version(tensor)


class LayerNorm(Function):
    """Y = γ ⊙ (X − μ) / √(σ² + ε) + β; dX = (G − mean G − X̂ ⊙ mean(G ⊙ X̂)) / √(σ² + ε) with G = dY ⊙ γ,
    dγ = Σ dY ⊙ X̂, dβ = Σ dY.

    μ and σ² are the mean and biased variance over the last ``dims`` axes of each sample, X̂ the
    normalised input; γ and β (optional) have the shape of those axes and their gradients are summed over
    the leading ones.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, *affine: np.ndarray, dims: int = 1, eps: float = 1e-5) -> np.ndarray:
        axes = tuple(range(x.ndim - dims, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=axes, keepdims=True)
        inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        normalized = centered * inv_std
        out = normalized
        if affine:
            out = normalized * affine[0] + affine[1]
        ctx.axes, ctx.leading = axes, tuple(range(x.ndim - dims))
        ctx.save_for_backward(normalized, inv_std, affine[0] if affine else None)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        normalized, inv_std, weight = ctx.saved
        axes = ctx.axes
        grad_x = None
        if ctx.needs_input_grad[0]:
            scaled = grad if weight is None else grad * weight
            grad_x = inv_std * _through_normalization(scaled, normalized, axes)
        return (grad_x, *_affine_gradients(ctx, grad, normalized, ctx.leading))


class Embedding(Function):
    """Y = W[I]; dW = zeros with each row of dY added into row I (repeats add up; the padding row gets none).

    ``I`` is an integer tensor of any shape (no gradient); Y has its shape plus W's last axis.
    """

    @staticmethod
    def forward(ctx: Context, weight: np.ndarray, indices: np.ndarray, padding_idx: int | None = None) -> np.ndarray:
        if indices.dtype.kind not in "iu":
            raise TypeError(f"embedding: indices must be integers, got dtype {indices.dtype}")
        rows = weight.shape[0]
        if indices.size and (indices.min() < 0 or indices.max() >= rows):
            bad = indices[(indices < 0) | (indices >= rows)].flat[0]
            raise IndexError(f"embedding: index {bad} is out of range for a table of {rows} rows (0 to {rows - 1})")
        ctx.indices, ctx.weight_shape, ctx.padding_idx = indices, weight.shape, padding_idx
        return weight[indices]

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None]:
        grad_weight = np.zeros(ctx.weight_shape, dtype=grad.dtype)
        np.add.at(grad_weight, ctx.indices.reshape(-1), grad.reshape(-1, ctx.weight_shape[1]))
        if ctx.padding_idx is not None:
            grad_weight[ctx.padding_idx] = 0
        return grad_weight, None
