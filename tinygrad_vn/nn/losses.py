"""Loss modules, PyTorch's names and arguments: each holds its options and calls its ``functional`` form.

``loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)`` then ``loss_fn(logits, labels)`` is
``F.cross_entropy(logits, labels, label_smoothing=0.1)``. Class weights and ``pos_weight`` are kept as
tensor attributes, so they are part of the module's state (``state_dict``, ``to(dtype)``) as PyTorch's
buffers are. Options after ``weight`` are keyword-only: PyTorch's positional order passes through the
deprecated ``size_average``/``reduce``, and a value meant for one of those must not land silently in another.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..tensor import Tensor
from .module import Module


def _optional_tensor(value: Any, name: str, owner: str) -> Tensor | None:
    """A weight given as a Tensor (kept, shared) or array-like (copied into a tensor: an ndarray keeps its
    dtype, a list becomes float32 as PyTorch's default); None stays None."""
    if value is None or isinstance(value, Tensor):
        return value
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: {name} must be numeric, got dtype {array.dtype}")
    return Tensor(value if isinstance(value, np.ndarray) else array.astype(np.float32))


class _Loss(Module):
    """What every loss module shares: a ``reduction`` checked when the module is made."""

    reductions = F.REDUCTIONS

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in self.reductions:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {self.reductions}, got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error; see :func:`tinygrad_vn.functional.mse_loss`."""

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__(reduction)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error; see :func:`tinygrad_vn.functional.l1_loss`."""

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__(reduction)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Huber loss with threshold ``delta``; see :func:`tinygrad_vn.functional.huber_loss`."""

    def __init__(self, *, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        if not delta > 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta!r}")
        self.delta = delta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, delta={self.delta}"


class SmoothL1Loss(_Loss):
    """Smooth L1 loss with threshold ``beta``; see :func:`tinygrad_vn.functional.smooth_l1_loss`."""

    def __init__(self, *, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        if not beta >= 0:
            raise ValueError(f"SmoothL1Loss: beta must be non-negative, got {beta!r}")
        self.beta = beta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, beta={self.beta}"


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities, each element's loss times ``weight``; see
    :func:`tinygrad_vn.functional.binary_cross_entropy`."""

    def __init__(self, weight: Any = None, *, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = _optional_tensor(weight, "weight", "BCELoss")

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits, with ``weight`` per element and ``pos_weight`` on the positive
    term; see :func:`tinygrad_vn.functional.binary_cross_entropy_with_logits`."""

    def __init__(self, weight: Any = None, *, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self.weight = _optional_tensor(weight, "weight", "BCEWithLogitsLoss")
        self.pos_weight = _optional_tensor(pos_weight, "pos_weight", "BCEWithLogitsLoss")

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, weight=self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


def _check_ignore_index(ignore_index: Any, owner: str) -> int:
    if isinstance(ignore_index, (bool, np.bool_)) or not isinstance(ignore_index, (int, np.integer)):
        raise TypeError(f"{owner}: ignore_index must be an integer, got {ignore_index!r}")
    return int(ignore_index)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities, with class ``weight`` and ``ignore_index``; see
    :func:`tinygrad_vn.functional.nll_loss`."""

    def __init__(self, weight: Any = None, *, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = _optional_tensor(weight, "weight", "NLLLoss")
        self.ignore_index = _check_ignore_index(ignore_index, "NLLLoss")

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"ignore_index={self.ignore_index}, reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy with class ``weight``, ``ignore_index`` and ``label_smoothing``; see
    :func:`tinygrad_vn.functional.cross_entropy` (class indices or class probabilities as targets)."""

    def __init__(self, weight: Any = None, *, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        self.weight = _optional_tensor(weight, "weight", "CrossEntropyLoss")
        self.ignore_index = _check_ignore_index(ignore_index, "CrossEntropyLoss")
        if isinstance(label_smoothing, bool) or not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must lie in [0, 1], got {label_smoothing!r}")
        self.label_smoothing = float(label_smoothing)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        return (f"ignore_index={self.ignore_index}, reduction={self.reduction!r}, "
                f"label_smoothing={self.label_smoothing}")


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence of log-probabilities from a target distribution; see
    :func:`tinygrad_vn.functional.kl_div` ("batchmean" is the divergence per sample)."""

    reductions = F.KL_REDUCTIONS

    def __init__(self, *, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(reduction)
        self.log_target = bool(log_target)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, log_target={self.log_target}"
