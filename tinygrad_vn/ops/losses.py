"""Losses, fused where the algebra collapses (softmax + cross-entropy gives O − Y), and one-hot labels.

The losses that are one line of existing ops (MSE, L1, weighted BCE) are composed in ``functional``.
"""

from __future__ import annotations

import math
from typing import Any

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


def check_class_indices(target: np.ndarray, classes: int, ignore_index: int) -> np.ndarray:
    """The mask of targets that count (not ``ignore_index``); raises on an index outside [0, classes)."""
    if target.dtype.kind not in "iu":
        raise TypeError(f"class indices must be integers, got dtype {target.dtype}")
    keep = target != ignore_index
    bad = keep & ((target < 0) | (target >= classes))
    if bad.any():
        raise ValueError(f"class labels must lie in [0, {classes}) or equal ignore_index={ignore_index}; "
                         f"got {target[bad][:5].tolist()}")
    return keep


def _mean_over(total: np.ndarray, count: Any) -> np.ndarray:
    """``total / count`` with 0 / 0 giving NaN quietly: a batch whose targets are all ignored has no mean."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(total / count, dtype=total.dtype)


class CrossEntropy(Function):
    """L = −log softmax(Z)[y] per row, reduced; dZ = (O − Y) · dL, with O = softmax(Z), Y one-hot.

    The softmax and the log collapse into ``O − Y`` (seed 001), so this op runs them fused. Rows whose
    label is ``ignore_index`` count for nothing: their loss and gradient are 0 and "mean" divides by
    the rows that count (NaN when none does, as in PyTorch).
    """

    @staticmethod
    def forward(ctx: Context, logits: np.ndarray, target: np.ndarray, reduction: str = "mean",
                ignore_index: int = -100) -> np.ndarray:
        ctx.reduction, ctx.keep = reduction, None
        if not 0 <= ignore_index < logits.shape[1]:
            try:  # the hot path: the kernel checks the labels; an ignored one fails that check and lands below
                losses, probs = backend.kernels.cross_entropy(logits, target)
            except ValueError:
                if not (target == ignore_index).any():
                    raise
                losses = None
            if losses is not None:
                ctx.save_for_backward(probs, target)
                return reduce_losses(losses, reduction)
        keep = check_class_indices(target, logits.shape[1], ignore_index)
        safe = np.where(keep, target, 0)
        losses, probs = backend.kernels.cross_entropy(logits, safe)
        losses = np.where(keep, losses, 0).astype(losses.dtype, copy=False)
        ctx.save_for_backward(probs, safe)
        ctx.keep = keep
        if reduction == "mean":
            ctx.count = np.count_nonzero(keep)
            return _mean_over(losses.sum(), ctx.count)
        return reduce_losses(losses, reduction)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, None]:
        probs, target = ctx.saved
        keep = ctx.keep
        if keep is None:
            rows = expand_reduced_gradient(grad, (probs.shape[0],), ctx.reduction)
        else:
            spread = _mean_over(grad, ctx.count) if ctx.reduction == "mean" else grad
            rows = np.where(keep, np.broadcast_to(spread, keep.shape), 0).astype(probs.dtype, copy=False)
        return backend.kernels.cross_entropy_backward(probs, target, np.ascontiguousarray(rows)), None


    @staticmethod
    def plan_forward(plan: Any, ctx: Context, inputs: list[str], attrs: dict[str, Any]) -> str | None:
        """The prepared form (see ``tinygrad_vn.plan``): losses and probabilities into arrays of the plan; when
        this loss seeds the backward, its forward writes the gradient of the logits as well (softmax and
        cross-entropy fused into one pass). None where the eager forward leaves its hot path."""
        logits, target = inputs
        reduction, ignore_index = attrs.get("reduction", "mean"), attrs.get("ignore_index", -100)
        shape, dtype = plan.shape(logits), plan.dtype(logits)
        if (len(shape) != 2 or 0 <= ignore_index < shape[1] or plan.shape(target) != shape[:1] or shape[0] == 0
                or plan.dtype(target).kind not in "iu" or dtype not in (np.dtype(np.float32), np.dtype(np.float64))):
            return None
        labels = plan.forms.class_labels(plan, target, shape[1])
        losses = plan.buffer(shape[:1], dtype)
        if plan.root_ctx is ctx and reduction != "none":
            seed = np.empty((), dtype)
            seed.fill(1)
            grad = plan.buffer(shape, dtype)
            rows = expand_reduced_gradient(seed, shape[:1], reduction)
            reduced = plan.forms.cross_entropy_with_grad(plan, logits, labels, rows, losses, grad, reduction)
            plan.note(ctx, ("gradient", grad, labels))
            if reduced is not None:
                return reduced
        else:
            probs = plan.buffer(shape, dtype)
            plan.forms.cross_entropy(plan, logits, labels, losses, probs)
            plan.note(ctx, ("probabilities", probs, labels))
        return losses if reduction == "none" else plan.local(reduce_losses, losses, repr(reduction))

    @staticmethod
    def plan_backward(plan: Any, ctx: Context, inputs: list[str], output: str, grad: str,
                      targets: list[str | None]) -> list[str | None] | None:
        """The prepared backward: the gradient the forward wrote, or the per-row kernel into an array of the plan."""
        noted = plan.noted(ctx)
        if noted is None:
            return None
        kind, array, labels = noted
        if kind == "gradient":
            return [array, None]
        rows = plan.local(expand_reduced_gradient, grad, plan.shape(inputs[1]), repr(ctx.reduction))
        out = targets[0] or plan.buffer(plan.shape(array), plan.dtype(array))
        plan.forms.cross_entropy_backward(plan, array, labels, rows, out)
        return [out, None]

    @staticmethod
    def loop_forward(loop: Any, ctx: Context, inputs: list[str], attrs: dict[str, Any]) -> str | None:
        """The loop template (see ``tinygrad_vn.fused``): the eager cross-entropy loop into losses and
        probabilities, then their reduction summed in NumPy's order."""
        plan = loop.plan
        logits, target = inputs
        reduction, ignore_index = attrs.get("reduction", "mean"), attrs.get("ignore_index", -100)
        shape = plan.shape(logits)
        if (len(shape) != 2 or 0 <= ignore_index < shape[1] or plan.shape(target) != shape[:1] or shape[0] == 0
                or plan.dtype(target).kind not in "iu" or not loop.same_dtype(logits) or not plan.forms.numba):
            return None
        labels = plan.forms.class_labels(plan, target, shape[1])
        losses, probs = loop.buffer(shape[:1], plan.dtype(logits)), loop.buffer(shape, plan.dtype(logits))
        loop.line(f"_loops.cross_entropy({loop.array(logits)}, {loop.array(labels)}, {losses}, {loop.array(probs)})")
        plan.note(ctx, (probs, labels))
        if reduction == "none":
            return losses
        out = loop.buffer((), plan.dtype(logits))
        divided = f" / {losses}.dtype.type({loop.integer(shape[0])})" if reduction == "mean" else ""
        loop.line(f"{out}[0] = _loops.pairwise_sum({losses}){divided}")
        return out

    @staticmethod
    def loop_backward(loop: Any, ctx: Context, inputs: list[str], output: str, grad: str,
                      targets: list[str | None]) -> list[str | None] | None:
        """The loop template of the backward: each row's share of dL, then the eager backward loop."""
        plan = loop.plan
        probs, labels = plan.noted(ctx)
        rows = plan.shape(probs)[0]
        if ctx.reduction == "none":
            row_grad = loop.flat(grad)
        else:
            row_grad = loop.buffer((rows,), plan.dtype(probs))
            count = loop.integer(rows) if ctx.reduction == "mean" else "1"
            loop.line(f"_loops.fill_mean_gradient({loop.flat(grad)}, {count}, {row_grad})")
        out = targets[0] or loop.buffer(plan.shape(probs), plan.dtype(probs))
        loop.line(f"_loops.cross_entropy_backward({loop.array(probs)}, {loop.array(labels)}, {row_grad}, "
                  f"{loop.array(out)})")
        return [out, None]

class NegativeLogLikelihood(Function):
    """L = −w_y X[y] per row, reduced; dX = −w_y dL at column y, 0 elsewhere.

    ``X`` holds (M, C) log-probabilities, ``y`` the (M,) class indices and ``w`` the optional (C,)
    class weights (third input, no gradient). Rows labelled ``ignore_index`` count for nothing, and
    "mean" divides by the summed weights of the rows that count (NaN when none does), as PyTorch does.
    With ``label_smoothing`` ε each row's loss becomes (1 − ε) (−w_y X[y]) + ε/C Σ_c (−w_c X[c]): the
    cross-entropy against targets smoothed towards the uniform distribution.
    """

    @staticmethod
    def forward(ctx: Context, log_probs: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None,
                ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0) -> np.ndarray:
        rows, classes = log_probs.shape
        keep = check_class_indices(target, classes, ignore_index)
        safe = np.where(keep, target, 0)
        class_weight = np.ones(classes, log_probs.dtype) if weight is None else weight
        row_weight = np.where(keep, class_weight[safe], 0).astype(log_probs.dtype, copy=False)
        losses = -(1 - label_smoothing) * row_weight * log_probs[np.arange(rows), safe]
        if label_smoothing:
            spread = (log_probs * class_weight).sum(axis=1)
            losses = losses - np.where(keep, spread, 0) * (label_smoothing / classes)
        losses = losses.astype(log_probs.dtype, copy=False)
        ctx.save_for_backward(safe, keep, row_weight, class_weight)
        ctx.shape, ctx.reduction, ctx.label_smoothing = log_probs.shape, reduction, label_smoothing
        if reduction == "mean":
            ctx.total_weight = row_weight.sum()
            return _mean_over(losses.sum(), ctx.total_weight)
        return reduce_losses(losses, reduction)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        safe, keep, row_weight, class_weight = ctx.saved
        rows, classes = ctx.shape
        per_row = _mean_over(grad, ctx.total_weight) if ctx.reduction == "mean" else grad
        per_row = np.broadcast_to(per_row, (rows,)) * keep
        out = np.zeros(ctx.shape, dtype=row_weight.dtype)
        out[np.arange(rows), safe] = -(1 - ctx.label_smoothing) * row_weight * per_row
        if ctx.label_smoothing:
            out -= (ctx.label_smoothing / classes) * per_row[:, None] * class_weight
        return (out, *([None] * (len(ctx.parents) - 1)))


class BinaryCrossEntropy(Function):
    """L = −(y ln ŷ + (1 − y) ln(1 − ŷ)); dŷ = dL ⊙ (ŷ − y) / (ŷ (1 − ŷ)), dy = dL ⊙ (ln(1 − ŷ) − ln ŷ).

    Logs are floored at −100 and the denominator at 1e−12, so ŷ of exactly 0 or 1 stays finite.
    """

    @staticmethod
    def forward(ctx: Context, prob: np.ndarray, target: np.ndarray) -> np.ndarray:
        ctx.saved = (prob, target)
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

    @staticmethod
    def _plannable(plan: Any, ctx: Context, inputs: list[str]) -> bool:
        """Prediction and target of one shape and float dtype, and no gradient wanted for the target."""
        prob, target = inputs
        return (plan.shape(prob) == plan.shape(target) and plan.dtype(prob) == plan.dtype(target)
                and plan.dtype(prob) in (np.dtype(np.float32), np.dtype(np.float64)) and not ctx.needs_input_grad[1])

    @staticmethod
    def plan_forward(plan: Any, ctx: Context, inputs: list[str], attrs: dict[str, Any]) -> str | None:
        """The prepared form (see ``tinygrad_vn.plan``): the eager kernel, its result named."""
        if not BinaryCrossEntropy._plannable(plan, ctx, inputs):
            return None
        return plan.local(backend.kernels.binary_cross_entropy, *inputs)

    @staticmethod
    def plan_backward(plan: Any, ctx: Context, inputs: list[str], output: str, grad: str,
                      targets: list[str | None]) -> list[str | None] | None:
        """The prepared backward: the eager kernel's dŷ, into an array of the plan (or the target gradient)."""
        prob, target = inputs
        if not plan.known(grad) or plan.shape(grad) != plan.shape(prob) or plan.dtype(grad) != plan.dtype(prob):
            return None
        out = targets[0] or plan.buffer(plan.shape(prob), plan.dtype(prob))
        plan.call(np.copyto, out, plan.expression(backend.kernels.binary_cross_entropy_backward, prob, target, grad))
        return [out, None]

    @staticmethod
    def loop_forward(loop: Any, ctx: Context, inputs: list[str], attrs: dict[str, Any]) -> str | None:
        """The loop template (see ``tinygrad_vn.fused``): the eager loop over flat views."""
        prob, target = inputs
        if not BinaryCrossEntropy._plannable(loop.plan, ctx, inputs) or not loop.same_dtype(prob):
            return None
        out = loop.buffer(loop.plan.shape(prob), loop.plan.dtype(prob))
        loop.line(f"_loops.binary_cross_entropy({loop.flat(prob)}, {loop.flat(target)}, {loop.flat(out)})")
        return out

    @staticmethod
    def loop_backward(loop: Any, ctx: Context, inputs: list[str], output: str, grad: str,
                      targets: list[str | None]) -> list[str | None] | None:
        """The loop template of the backward: the eager dŷ loop."""
        prob, target = inputs
        if loop.plan.shape(grad) != loop.plan.shape(prob):
            return None
        out = targets[0] or loop.buffer(loop.plan.shape(prob), loop.plan.dtype(prob))
        loop.line(f"_loops.binary_cross_entropy_backward({loop.flat(prob)}, {loop.flat(target)}, {loop.flat(grad)}, "
                  f"{loop.flat(out)})")
        return [out, None]


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


class BinaryCrossEntropyWithLogitsPosWeight(Function):
    """L = −(p y ln σ(z) + (1 − y) ln(1 − σ(z))); dz = dL ⊙ ((1 + (p − 1) y) σ(z) − p y), dy = dL ⊙ (p softplus(−z) − softplus(z)), dp = dL ⊙ y softplus(−z).

    ``p`` (``pos_weight``, broadcast against the logits) weighs the positive term, trading recall
    against precision. Computed as (1 − y) z + (1 + (p − 1) y) softplus(−z), finite for any logit.
    """  # noqa: E501  (the rule is one line: the graph drawer and explain read it from there)

    @staticmethod
    def forward(ctx: Context, logits: np.ndarray, target: np.ndarray, pos_weight: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(logits, target, pos_weight)
        softplus_neg = np.maximum(-logits, 0) + np.log1p(np.exp(-np.abs(logits)))
        return (1 - target) * logits + (1 + (pos_weight - 1) * target) * softplus_neg

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        logits, target, pos_weight = ctx.saved
        needs = ctx.needs_input_grad
        grad_logits = grad_target = grad_pos = None
        if needs[0]:
            slope = (1 + (pos_weight - 1) * target) * backend.kernels.sigmoid(logits) - pos_weight * target
            grad_logits = unbroadcast(grad * slope, logits.shape)
        if needs[1] or needs[2]:
            softplus_neg = np.maximum(-logits, 0) + np.log1p(np.exp(-np.abs(logits)))
            if needs[1]:
                grad_target = unbroadcast(grad * (pos_weight * softplus_neg - softplus_neg - logits), target.shape)
            if needs[2]:
                grad_pos = unbroadcast(grad * target * softplus_neg, pos_weight.shape)
        return grad_logits, grad_target, grad_pos


def _clamped_difference(prediction: np.ndarray, target: np.ndarray, bound: float) -> np.ndarray:
    """X − Y limited to [−bound, bound] (NaN stays NaN): Huber's gradient, and smooth L1's times β."""
    return np.clip(prediction - target, -bound, bound)


class Huber(Function):
    """L = ½ (X − Y)² where |X − Y| ≤ δ, else δ (|X − Y| − ½ δ); dX = dL ⊙ clamp(X − Y, −δ, δ), dY = −dL ⊙ clamp(X − Y, −δ, δ).

    Squared error near the target, absolute error (scaled by δ) far from it, so outliers pull with a
    bounded force; ``delta`` is δ > 0.
    """  # noqa: E501  (the rule is one line: the graph drawer and explain read it from there)

    @staticmethod
    def forward(ctx: Context, prediction: np.ndarray, target: np.ndarray, delta: float = 1.0) -> np.ndarray:
        ctx.save_for_backward(prediction, target)
        ctx.delta = delta
        diff = prediction - target
        size = np.abs(diff)
        return np.where(size <= delta, 0.5 * diff * diff, delta * (size - 0.5 * delta)).astype(diff.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        prediction, target = ctx.saved
        slope = grad * _clamped_difference(prediction, target, ctx.delta)
        grad_prediction = unbroadcast(slope, prediction.shape) if ctx.needs_input_grad[0] else None
        grad_target = unbroadcast(-slope, target.shape) if ctx.needs_input_grad[1] else None
        return grad_prediction, grad_target


class SmoothL1(Function):
    """L = ½ (X − Y)² / β where |X − Y| < β, else |X − Y| − ½ β; dX = dL ⊙ clamp((X − Y) / β, −1, 1), dY = −dL ⊙ clamp((X − Y) / β, −1, 1).

    Huber's loss divided by δ = β: its far-from-target slope is 1 whatever β. ``beta`` is β > 0
    (``F.smooth_l1_loss`` sends β = 0, plain L1, to ``abs``).
    """  # noqa: E501  (the rule is one line: the graph drawer and explain read it from there)

    @staticmethod
    def forward(ctx: Context, prediction: np.ndarray, target: np.ndarray, beta: float = 1.0) -> np.ndarray:
        ctx.save_for_backward(prediction, target)
        ctx.beta = beta
        diff = prediction - target
        size = np.abs(diff)
        return np.where(size < beta, 0.5 * diff * diff / beta, size - 0.5 * beta).astype(diff.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        prediction, target = ctx.saved
        slope = grad * (_clamped_difference(prediction, target, ctx.beta) / ctx.beta)
        grad_prediction = unbroadcast(slope, prediction.shape) if ctx.needs_input_grad[0] else None
        grad_target = unbroadcast(-slope, target.shape) if ctx.needs_input_grad[1] else None
        return grad_prediction, grad_target


class KLDivergence(Function):
    """L = T ⊙ ln T − T ⊙ X; dX = −dL ⊙ T, dT = dL ⊙ (1 + ln T − X).

    ``X`` holds log-probabilities and ``T`` probabilities; where T = 0 the loss is 0 and, as in
    PyTorch, dT is NaN (a negative T gives NaN). With ``log_target`` T holds log-probabilities too:
    L = e^T ⊙ (T − X), dX = −dL ⊙ e^T, dT = dL ⊙ e^T ⊙ (T − X + 1).
    """

    @staticmethod
    def forward(ctx: Context, log_probs: np.ndarray, target: np.ndarray, log_target: bool = False) -> np.ndarray:
        ctx.save_for_backward(log_probs, target)
        ctx.log_target = log_target
        if log_target:
            return np.exp(target) * (target - log_probs)
        with np.errstate(divide="ignore", invalid="ignore"):
            entropy_term = np.where(target == 0, 0, target * np.log(target))
        return (entropy_term - target * log_probs).astype(np.result_type(log_probs, target), copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        log_probs, target = ctx.saved
        grad_input = grad_target = None
        if ctx.log_target:
            scale = np.exp(target)
            if ctx.needs_input_grad[0]:
                grad_input = unbroadcast(-grad * scale, log_probs.shape)
            if ctx.needs_input_grad[1]:
                grad_target = unbroadcast(grad * scale * (target - log_probs + 1), target.shape)
            return grad_input, grad_target
        if ctx.needs_input_grad[0]:
            grad_input = unbroadcast(-grad * target, log_probs.shape)
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                slope = np.where(target == 0, np.nan, np.log(target) + 1 - log_probs)
            grad_target = unbroadcast(grad * slope, target.shape)
        return grad_input, grad_target


# These carry no gradient, but run as ops so that a compiled step recomputes them on every call
# instead of keeping the values of the call that recorded it.


class OneHot(Function):
    """Integer labels as float32 one-hot rows; labels out of [0, num_classes) raise."""

    differentiable = False

    @staticmethod
    def forward(ctx: Context, labels: np.ndarray, num_classes: int) -> np.ndarray:
        return backend.kernels.one_hot(labels, num_classes)
