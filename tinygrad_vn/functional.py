"""Functions on tensors, PyTorch-style: activations, dropout, normalisation, embedding, ``linear``, ``one_hot``,
``pad`` and the losses.

Every loss takes ``reduction="mean" | "sum" | "none"``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops
from .autograd import is_grad_enabled
from .factories import RandomDraw, generator
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


def softmax(x: Tensor, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """eˣ / Σ eˣ along ``dim`` (``axis`` is NumPy's spelling; the last dim by default, where PyTorch warns)."""
    return x.softmax(dim, axis=axis)


def log_softmax(x: Tensor, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """log softmax along ``dim`` (``axis`` is NumPy's spelling; the last dim by default, where PyTorch warns)."""
    return x.log_softmax(dim, axis=axis)


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


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """PyTorch's ``F.pad``: (before, after) widths from the last dim backwards; see :func:`tinygrad_vn.pad`."""
    return _pad(input, pad, mode, value)


def _check_reduction(reduction: str, loss: str = "loss", allowed: tuple[str, ...] = REDUCTIONS) -> None:
    if reduction not in allowed:
        raise ValueError(f"{loss}: reduction must be one of {allowed}, got {reduction!r}")


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _check_input(input: Any, loss: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{loss}: input must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"{loss}: input must be floating point, got dtype {input.dtype}")


def _tensor_like(value: Any, like: Tensor) -> Tensor:
    """``value`` as a tensor of ``like``'s dtype. Arrays and tensors are wrapped, not copied, and
    converted by a recorded ``Cast`` when their dtype differs, so that a compiled step that takes
    them as arguments sees each call's values."""
    if isinstance(value, np.ndarray):
        value = Tensor._from_op(value, None)
    elif not isinstance(value, Tensor):
        value = Tensor(np.asarray(value, dtype=like.dtype))
    if value.dtype.kind not in "biuf":
        raise TypeError(f"expected numbers, got dtype {value.dtype}")
    if value.dtype != like.dtype:
        value = value.astype(like.dtype)
    return value


def _target_like(target: Any, prediction: Tensor, loss: str) -> Tensor:
    """``target`` as a tensor of the prediction's dtype and shape (see :func:`_tensor_like`)."""
    target = _tensor_like(target, prediction)
    if target.shape != prediction.shape:
        raise ValueError(f"{loss}: prediction has shape {prediction.shape} but target has shape {target.shape}")
    return target


def _refuse_string_weight(weight: Any, name: str, loss: str) -> None:
    if isinstance(weight, str):
        raise TypeError(f"{loss}: {name} must hold numbers, got the string {weight!r}; the third argument is "
                        "weight, as in PyTorch, so pass reduction= by keyword")


def _elementwise_weight(weight: Any, input: Tensor, name: str, loss: str) -> Tensor:
    """A ``weight``/``pos_weight`` that must broadcast to the input's shape without growing it."""
    _refuse_string_weight(weight, name, loss)
    weight = _tensor_like(weight, input)
    try:
        fits = np.broadcast_shapes(weight.shape, input.shape) == input.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{loss}: {name} of shape {weight.shape} does not broadcast to the input's shape "
                         f"{input.shape}")
    return weight


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error (input − target)²."""
    _check_reduction(reduction, "mse_loss")
    _check_input(input, "mse_loss")
    diff = input - _target_like(target, input, "mse_loss")
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error |input − target| (gradient 0 where they are equal, as PyTorch's)."""
    _check_reduction(reduction, "l1_loss")
    _check_input(input, "l1_loss")
    return _reduce((input - _target_like(target, input, "l1_loss")).abs(), reduction)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """Huber loss: ½ d² for |d| ≤ delta, else delta (|d| − ½ delta), with d = input − target."""
    _check_reduction(reduction, "huber_loss")
    _check_input(input, "huber_loss")
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta!r}")
    target = _target_like(target, input, "huber_loss")
    return _reduce(ops.Huber.apply(input, target, delta=float(delta)), reduction)


def smooth_l1_loss(input: Tensor, target: Any, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: ½ d² / beta for |d| < beta, else |d| − ½ beta; beta = 0 is the L1 loss."""
    _check_reduction(reduction, "smooth_l1_loss")
    _check_input(input, "smooth_l1_loss")
    if not beta >= 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta!r}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    target = _target_like(target, input, "smooth_l1_loss")
    return _reduce(ops.SmoothL1.apply(input, target, beta=float(beta)), reduction)


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None, reduction: str = "mean") -> Tensor:
    """−w (y ln p + (1 − y) ln(1 − p)) on probabilities; finite even for p of exactly 0 or 1.

    ``weight`` rescales each element's loss (it broadcasts to the input's shape); "mean" still
    divides by the number of elements, as PyTorch does.
    """
    _check_reduction(reduction, "binary_cross_entropy")
    _check_input(input, "binary_cross_entropy")
    if input.data.size and not (np.minimum.reduce(input.data, axis=None) >= 0
                                and np.maximum.reduce(input.data, axis=None) <= 1):  # NaN fails both, as in PyTorch
        found = "NaN" if np.isnan(input.data).any() else "values outside [0, 1]"
        raise ValueError(f"binary_cross_entropy: predictions must be probabilities in [0, 1], found {found} "
                         "(use binary_cross_entropy_with_logits for raw scores)")
    losses = ops.BinaryCrossEntropy.apply(input, _target_like(target, input, "binary_cross_entropy"))
    if weight is not None:
        losses = losses * _elementwise_weight(weight, input, "weight", "binary_cross_entropy")
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None, reduction: str = "mean",
                                     pos_weight: Any = None) -> Tensor:
    """Binary cross-entropy of σ(input), fused and stable for any logit.

    ``weight`` rescales each element's loss; ``pos_weight`` (e.g. one value per class, broadcast
    along the last axis) weighs the positive term −y ln σ(z): above 1 it favours recall.
    """
    loss = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, loss)
    _check_input(input, loss)
    target = _target_like(target, input, loss)
    if pos_weight is None:
        losses = ops.BinaryCrossEntropyWithLogits.apply(input, target)
    else:
        pos_weight = _elementwise_weight(pos_weight, input, "pos_weight", loss)
        losses = ops.BinaryCrossEntropyWithLogitsPosWeight.apply(input, target, pos_weight)
    if weight is not None:
        losses = losses * _elementwise_weight(weight, input, "weight", loss)
    return _reduce(losses, reduction)


def _class_weight(weight: Any, input: Tensor, classes: int, loss: str) -> Tensor | None:
    """The (C,) class weights as a tensor of the input's dtype (None stays None); they take no gradient."""
    if weight is None:
        return None
    _refuse_string_weight(weight, "weight", loss)
    weight = _tensor_like(weight, input)
    if weight.shape != (classes,):
        raise ValueError(f"{loss}: weight must hold one value per class, shape ({classes},), got shape "
                         f"{weight.shape}")
    if weight.requires_grad and is_grad_enabled():
        raise RuntimeError(f"{loss}: a class weight that requires grad is not supported (PyTorch has no "
                           "gradient for it either); pass weight.detach()")
    return weight


def _class_index_target(target: Any, input: Tensor, loss: str) -> Tensor:
    """Integer class indices of the shape ``input`` needs: () for (C,), (N,) for (N, C), (N, d1, …) for
    (N, C, d1, …)."""
    labels = target if isinstance(target, Tensor) else Tensor._from_op(np.asarray(target), None)
    expected = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{loss}: class indices must be integers, got dtype {labels.dtype} (class probabilities "
                        f"must be floating point of the input's shape {input.shape})")
    if labels.shape != expected:
        raise ValueError(f"{loss}: input of shape {input.shape} needs class indices of shape {expected}, "
                         f"got {labels.shape}")
    return labels


def _classes_last(input: Tensor) -> Tensor:
    """(N, C, d1, …) as (N·d1·…, C), (C,) as (1, C): the rows-of-classes layout the fused ops take."""
    if input.ndim == 1:
        return input.reshape(1, -1)
    if input.ndim == 2:
        return input
    moved = input.transpose(0, *range(2, input.ndim), 1)
    return moved.reshape(-1, input.shape[1])


def _check_class_input(input: Any, loss: str) -> None:
    _check_input(input, loss)
    if input.ndim == 0:
        raise ValueError(f"{loss}: input must be (C,), (N, C) or (N, C, d1, ...) scores, got a 0-d tensor")


def _check_ignore_index(ignore_index: Any, loss: str) -> None:
    if isinstance(ignore_index, (bool, np.bool_)) or not isinstance(ignore_index, (int, np.integer)):
        raise TypeError(f"{loss}: ignore_index must be an integer, got {ignore_index!r}")


def nll_loss(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` at the class indices ``target``.

    Shapes as PyTorch's: (C,) with a 0-d target, (N, C) with (N,), (N, C, d1, …) with (N, d1, …).
    ``weight`` (C,) rescales each class; targets equal to ``ignore_index`` count for nothing. With
    weights, "mean" divides by the summed weights of the counted targets (NaN if every one is ignored).
    """
    _check_reduction(reduction, "nll_loss")
    _check_class_input(input, "nll_loss")
    _check_ignore_index(ignore_index, "nll_loss")
    return _negative_log_likelihood(_classes_last(input), input, target, weight, ignore_index, reduction, 0.0,
                                    "nll_loss")


def _negative_log_likelihood(rows: Tensor, input: Tensor, target: Any, weight: Any, ignore_index: int,
                             reduction: str, label_smoothing: float, loss: str) -> Tensor:
    """The NLL op on ``rows``, the (M, C) log-probabilities laid out from ``input`` by :func:`_classes_last`."""
    labels = _class_index_target(target, input, loss)
    weights = _class_weight(weight, input, rows.shape[1], loss)
    extra = () if weights is None else (weights,)
    try:
        out = ops.NegativeLogLikelihood.apply(rows, labels.reshape(-1), *extra, ignore_index=int(ignore_index),
                                              reduction=reduction, label_smoothing=float(label_smoothing))
    except ValueError as err:  # a label out of range: say which function saw it
        raise ValueError(f"{loss}: {err}") from None
    return out.reshape(labels.shape) if reduction == "none" else out


def cross_entropy(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of scores ``input``, as PyTorch's ``cross_entropy``.

    Shapes: (C,), (N, C) or (N, C, d1, …), classes on axis 1. ``target`` holds either integer class
    indices ((), (N,) or (N, d1, …)) or floating-point class probabilities of the input's shape.
    ``weight`` (C,) rescales each class, targets equal to ``ignore_index`` count for nothing (class
    indices only), and ``label_smoothing`` ε mixes each target with the uniform distribution, (1 − ε)
    y + ε / C. "mean" over class indices divides by the summed weights of the counted targets.
    With the defaults and (N, C) input this is one fused op (``ops.CrossEntropy``), the training hot path.
    """
    loss = "cross_entropy"
    if (weight is None and not label_smoothing and reduction in REDUCTIONS and isinstance(input, Tensor)
            and input._data.ndim == 2 and input._data.dtype.kind == "f" and type(ignore_index) is int):
        labels = target if isinstance(target, Tensor) else Tensor._from_op(np.asarray(target), None)
        if labels.dtype.kind in "iu" and labels.shape == input.shape[:1]:
            try:
                return ops.CrossEntropy.apply(input, labels, reduction=reduction, ignore_index=ignore_index)
            except ValueError as err:  # a label out of range: say which function saw it
                raise ValueError(f"{loss}: {err}") from None
    _check_reduction(reduction, loss)
    _check_class_input(input, loss)
    _check_ignore_index(ignore_index, loss)
    if isinstance(label_smoothing, bool) or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{loss}: label_smoothing must lie in [0, 1], got {label_smoothing!r}")
    target_dtype = target.dtype if isinstance(target, Tensor) else np.asarray(target).dtype
    if target_dtype.kind != "f":
        if weight is None and not label_smoothing and input.ndim != 2:
            labels = _class_index_target(target, input, loss)
            try:
                out = ops.CrossEntropy.apply(_classes_last(input), labels.reshape(-1), reduction=reduction,
                                             ignore_index=int(ignore_index))
            except ValueError as err:
                raise ValueError(f"{loss}: {err}") from None
            return out.reshape(labels.shape) if reduction == "none" else out
        return _negative_log_likelihood(_classes_last(input).log_softmax(axis=-1), input, target, weight,
                                        ignore_index, reduction, label_smoothing, loss)
    index_shape = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if tuple(np.shape(target)) == index_shape != input.shape:
        raise TypeError(f"{loss}: class indices must be integers, got dtype {target_dtype} (class probabilities "
                        f"must have the input's shape {input.shape})")
    probs = _target_like(target, input, loss)
    class_axis = 1 if input.ndim > 1 else 0
    classes = input.shape[class_axis]
    if label_smoothing:
        probs = probs * (1 - label_smoothing) + label_smoothing / classes
    weights = _class_weight(weight, input, classes, loss)
    if weights is not None:
        probs = probs * weights.reshape(classes, *([1] * (input.ndim - class_axis - 1)))
    return _reduce(-(probs * input.log_softmax(axis=class_axis)).sum(axis=class_axis), reduction)


KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


def kl_div(input: Tensor, target: Any, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence Σ target (ln target − input), ``input`` holding log-probabilities.

    ``log_target=True`` takes the target as log-probabilities too. "batchmean" (the divergence per
    sample) divides the sum by the batch size, input.shape[0]; "mean" divides by every element and,
    as PyTorch, warns that this is not the divergence's definition.
    """
    _check_reduction(reduction, "kl_div", KL_REDUCTIONS)
    _check_input(input, "kl_div")
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the sum by the number of elements (batch size times "
                      "classes); the KL divergence per sample is reduction='batchmean'", UserWarning, stacklevel=2)
    losses = ops.KLDivergence.apply(input, _target_like(target, input, "kl_div"), log_target=bool(log_target))
    if reduction == "batchmean":
        total = losses.sum()
        return total / input.shape[0] if input.ndim else total
    return _reduce(losses, reduction)
