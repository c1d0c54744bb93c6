"""Normalisation layers: ``BatchNorm1d`` (per feature, over the batch) and ``LayerNorm`` (per sample)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter


def _positive_int(value: Any, layer: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{layer}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _positive_eps(eps: Any, layer: str) -> float:
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)) or not eps > 0:
        raise ValueError(f"{layer}: eps must be a positive number, got {eps!r}")
    return float(eps)


class BatchNorm1d(Module):
    """Normalises each feature (axis 1 of an (N, C) or (N, C, L) input) over the batch, then scales and shifts.

    In training it uses the batch's mean and biased variance, and moves the buffers ``running_mean`` and
    ``running_var`` towards the batch's mean and unbiased variance: new = (1 − momentum) old + momentum
    batch (``momentum=None``: a plain average over the ``num_batches_tracked`` batches so far). In
    ``eval()`` it uses the running statistics. ``weight`` (γ, ones) and ``bias`` (β, zeros) are learnt
    when ``affine``. With ``track_running_stats=False`` there are no buffers and batch statistics are
    used in both modes. The buffers are in ``state_dict()``, as PyTorch's.

    Inside ``tg.compile`` the running statistics are updated by the recorded op itself, so every call of
    a compiled training step updates them, as an eager step does; the mode is the one recorded.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, dtype: Any = np.float32) -> None:
        self.num_features = _positive_int(num_features, "BatchNorm1d", "num_features")
        self.eps = _positive_eps(eps, "BatchNorm1d")
        if momentum is not None and (isinstance(momentum, bool) or not 0 <= momentum <= 1):
            raise ValueError(f"BatchNorm1d: momentum must be a number in [0, 1] or None, got {momentum!r}")
        self.momentum, self.affine, self.track_running_stats = momentum, bool(affine), bool(track_running_stats)
        dtype = np.dtype(dtype)
        self.weight = Parameter(np.ones(self.num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(self.num_features, dtype=dtype)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean back to zeros, variance to ones, batch count to 0."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1.0)
            self.num_batches_tracked.zero_()

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"BatchNorm1d: input must be a Tensor, got {type(x).__name__}")
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm1d({self.num_features}) expects an input of shape (N, {self.num_features}) "
                             f"or (N, {self.num_features}, L), got {x.shape}")
        reference = self.weight if self.weight is not None else self.running_mean
        if reference is not None and x.dtype != reference.dtype:
            raise TypeError(f"BatchNorm1d: input is {x.dtype} but the layer is {reference.dtype}; convert one "
                            f"(x.astype(...) or layer.to(...))")
        use_batch_stats = self.training or not self.track_running_stats
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            training=use_batch_stats, momentum=self.momentum, eps=self.eps,
                            num_batches_tracked=self.num_batches_tracked)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class LayerNorm(Module):
    """Normalises each sample over its last axes ``normalized_shape`` (mean 0, variance 1), then scales and shifts.

    The same in training and evaluation. ``weight`` (ones) and ``bias`` (zeros) of shape
    ``normalized_shape`` are learnt when ``elementwise_affine``.
    """

    def __init__(self, normalized_shape: int | tuple[int, ...] | list[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, dtype: Any = np.float32) -> None:
        shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
        if not shape:
            raise ValueError("LayerNorm: normalized_shape must name at least one axis size")
        self.normalized_shape = tuple(_positive_int(n, "LayerNorm", "normalized_shape") for n in shape)
        self.eps = _positive_eps(eps, "LayerNorm")
        self.elementwise_affine = bool(elementwise_affine)
        self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype)) if elementwise_affine else None

    def forward(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
