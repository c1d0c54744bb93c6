"""NumPy reference kernels: the definition of every hot-path kernel.

Each forward kernel has a matching ``*_backward`` that turns the gradient of the output into the
gradient of the input, given what the forward saved. Kernels never modify their inputs and are
written to stay finite at extreme inputs (no overflow warnings from ``exp``). Constants carry the
input's dtype (``y.dtype.type(1)``): under NumPy 1.x a bare ``1 - y`` turns a 0-d float32 ``y`` into float64.

NaN and ±inf give what PyTorch gives (checked against it in ``tests/kernels/test_nonfinite.py``): a NaN
input gives a NaN output, never a silent 0 (relu(NaN) is NaN); where a derivative is chosen by a
comparison, a NaN input takes the branch PyTorch takes (relu and elu pass the gradient through, as
PyTorch's ``x <= 0 ? 0 : grad`` does; leaky_relu scales it by the slope, as ``x > 0 ? grad : slope · grad``
does); a softmax row holding NaN or +inf, or only -inf, is NaN throughout.
"""

from __future__ import annotations

import numpy as np


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Matrix product with NumPy's ``matmul`` semantics (1-D, 2-D and batched operands)."""
    return np.matmul(a, b)


def linear(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """``x @ w + b`` with ``w`` laid out (in_features, out_features)."""
    out = np.matmul(x, w)
    if b is not None:
        out += b
    return out


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function, evaluated as ``exp(-|x|)`` so that it never overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def sigmoid_backward(y: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """d sigmoid = y (1 - y), from the forward output ``y``."""
    return grad * y * (y.dtype.type(1) - y)


def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent."""
    return np.tanh(x)


def tanh_backward(y: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """d tanh = 1 - y², from the forward output ``y``."""
    return grad * (y.dtype.type(1) - y * y)


def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0)."""
    return np.maximum(x, x.dtype.type(0))


def relu_backward(x: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Zero where x <= 0, else the gradient: the derivative at exactly 0 is taken as 0 and a NaN ``x``
    passes the gradient on, both as in PyTorch."""
    return np.where(x <= 0, 0, grad).astype(grad.dtype, copy=False)


def leaky_relu(x: np.ndarray, negative_slope: float) -> np.ndarray:
    """x where x > 0, else negative_slope · x."""
    return np.where(x > 0, x, x * negative_slope).astype(x.dtype, copy=False)


def leaky_relu_backward(x: np.ndarray, grad: np.ndarray, negative_slope: float) -> np.ndarray:
    """1 where x > 0, else negative_slope."""
    return np.where(x > 0, grad, grad * negative_slope).astype(grad.dtype, copy=False)


def elu(x: np.ndarray, alpha: float) -> np.ndarray:
    """x where x > 0, else alpha (eˣ − 1); ``expm1`` of min(x, 0) keeps it exact and overflow-free."""
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)


def elu_backward(x: np.ndarray, y: np.ndarray, grad: np.ndarray, alpha: float) -> np.ndarray:
    """alpha eˣ = y + alpha where x <= 0 (from the forward output ``y``), else 1 (NaN ``x`` too, as in PyTorch)."""
    return np.where(x <= 0, grad * (y + alpha), grad).astype(grad.dtype, copy=False)


def swish(x: np.ndarray) -> np.ndarray:
    """x · sigmoid(x) (also called SiLU)."""
    return x * sigmoid(x)


def swish_backward(x: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """d swish = s + x s (1 − s) with s = sigmoid(x)."""
    s = sigmoid(x)
    return grad * (s + x * s * (s.dtype.type(1) - s))


def softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """exp(x) / sum(exp(x)) along ``axis``, shifted by the maximum so it never overflows."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_backward(y: np.ndarray, grad: np.ndarray, axis: int) -> np.ndarray:
    """Jacobian-vector product of softmax: y ⊙ (g − Σ g y), from the forward output ``y``."""
    return y * (grad - (grad * y).sum(axis=axis, keepdims=True))


def log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """x − logsumexp(x) along ``axis``, computed stably."""
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def log_softmax_backward(y: np.ndarray, grad: np.ndarray, axis: int) -> np.ndarray:
    """g − softmax(x) Σ g, where softmax(x) = exp(y) from the forward output ``y``."""
    return grad - np.exp(y) * grad.sum(axis=axis, keepdims=True)


def check_class_indices(labels: np.ndarray, num_classes: int) -> None:
    """Raise unless ``labels`` are integers in [0, num_classes) (a negative index would silently wrap)."""
    if labels.dtype.kind not in "iu":
        raise TypeError(f"class labels must be integers, got dtype {labels.dtype}")
    if labels.size and (np.minimum.reduce(labels, axis=None) < 0
                        or np.maximum.reduce(labels, axis=None) >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)]
        raise ValueError(f"class labels must lie in [0, {num_classes}); got {bad[:5].tolist()}")


def one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """Integer ``labels`` of any shape as float32 one-hot rows: shape ``(*labels.shape, num_classes)``."""
    check_class_indices(labels, num_classes)
    out = np.zeros((labels.size, num_classes), dtype=np.float32)
    out[np.arange(labels.size), labels.ravel()] = 1
    return out.reshape(*labels.shape, num_classes)


def cross_entropy(logits: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row softmax cross-entropy of (N, C) ``logits`` against integer class indices (N,).

    Returns ``(losses, probs)``: the (N,) losses and the (N, C) softmax probabilities that the
    backward needs.
    """
    check_class_indices(target, logits.shape[1])
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    rows = np.arange(logits.shape[0])
    losses = np.log(total[:, 0]) - shifted[rows, target]
    return losses.astype(logits.dtype, copy=False), e / total


def cross_entropy_backward(probs: np.ndarray, target: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """d loss_i / d logits_i = (softmax − one_hot(target)) · grad_i: the seeds' ``o − y``."""
    out = probs.copy()
    out[np.arange(probs.shape[0]), target] -= 1
    out *= grad[:, None]
    return out


LOG_FLOOR = -100.0
"""Where ``binary_cross_entropy`` floors its logs: a probability of exactly 0 or 1 costs 100, not inf."""


def _floored_logs(prob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(prob), LOG_FLOOR), np.maximum(np.log1p(-prob), LOG_FLOOR)


def binary_cross_entropy(prob: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Elementwise log loss −(y ln p + (1 − y) ln(1 − p)), both logs floored at :data:`LOG_FLOOR`."""
    log_p, log_not_p = _floored_logs(prob)
    return -(target * log_p + (1 - target) * log_not_p)


def binary_cross_entropy_backward(prob: np.ndarray, target: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """d loss / d p = grad (p − y) / (p (1 − p)), the denominator floored at 1e−12 so p of 0 or 1 stays finite."""
    return grad * (prob - target) / np.maximum(prob * (1 - prob), 1e-12)


def binary_cross_entropy_target_backward(prob: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """d loss / d y = grad (ln(1 − p) − ln p), with the forward's floored logs."""
    log_p, log_not_p = _floored_logs(prob)
    return grad * (log_not_p - log_p)


FUSABLE_ACTIVATIONS = ("identity", "relu", "sigmoid", "tanh")
"""Activations that ``linear_activation`` fuses: their derivative can be read off the output alone."""


def linear_activation(x: np.ndarray, w: np.ndarray, b: np.ndarray, activation: str) -> np.ndarray:
    """``activation(x @ w + b)`` for a 2-D ``x`` and an activation in :data:`FUSABLE_ACTIVATIONS`."""
    return _FUSED_FORWARD[activation](linear(x, w, b))


def linear_activation_backward(x: np.ndarray, w: np.ndarray, y: np.ndarray, grad: np.ndarray, activation: str,
                               need_x: bool = True, need_w: bool = True
                               ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray]:
    """Gradients of ``x``, ``w`` and ``b`` given the output ``y`` of ``linear_activation`` and its gradient.

    dZ = grad ⊙ f′ (read from ``y``: ReLU's y <= 0 exactly where z <= 0), dX = dZ · Wᵀ, dW = Xᵀ · dZ,
    db = Σ_rows dZ. ``need_x``/``need_w`` False skip that product and return None in its place.
    """
    grad_z = _FUSED_BACKWARD[activation](y, grad)
    grad_x = matmul(grad_z, w.T) if need_x else None
    grad_w = matmul(x.T, grad_z) if need_w else None
    return grad_x, grad_w, grad_z.sum(axis=0)


_FUSED_FORWARD = {"identity": lambda z: z, "relu": relu, "sigmoid": sigmoid, "tanh": tanh}
_FUSED_BACKWARD = {"identity": lambda y, grad: grad, "relu": relu_backward, "sigmoid": sigmoid_backward,
                   "tanh": tanh_backward}


def sgd_momentum_step(param: np.ndarray, grad: np.ndarray, velocity: np.ndarray, lr: float, momentum: float) -> None:
    """One SGD-with-momentum update, in place (this and ``adam_step`` are the kernels that modify their
    arguments: they are the optimizer's state): velocity ← momentum · velocity + grad, then
    param ← param − lr · velocity."""
    velocity *= momentum
    velocity += grad
    param -= lr * velocity


def adam_step(param: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray, lr: float, beta1: float,
              beta2: float, eps: float, step: int) -> None:
    """One Adam update in place, ``step`` counting from 1: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²,
    param ← param − lr / (1 − β₁ᵗ) · m / (√(v / (1 − β₂ᵗ)) + ε)."""
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad * grad
    denom = np.sqrt(v / (1 - beta2**step))
    denom += eps
    param -= (lr / (1 - beta1**step)) * m / denom
