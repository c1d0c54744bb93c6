"""The compiled loops behind ``jit``: serial, GIL-free, over flat or row-major contiguous arrays.

Performance contract: each loop reads its inputs once and writes its output once, allocates nothing,
and keeps its arithmetic in the dtype of its arrays (``one = x.dtype.type(1)``: a bare ``1.0``
would promote float32 work to float64 and halve the vector width). ``error_model="numpy"`` drops
the zero-division checks that stop LLVM from vectorising divisions; ``reassoc`` lets row sums and
maxima run as vector reductions. Elementwise loops are safe to split at any index, row loops at any
row (see ``_pool.run_split``).

Non-finite values: every loop gives NaN and ±inf where ``reference`` does (the tests hold them equal).
A comparison that picks a branch is written so that NaN takes the branch that carries it on
(``zero if x <= zero else x``, not ``x if x > zero else zero``); no fastmath flag lets LLVM assume
finite values (``nnan``, ``ninf`` and ``fast`` are never set); ``_fastmath.exp`` returns NaN for NaN.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._fastmath import exp, expm1
from .reference import LOG_FLOOR

_ELEMENTWISE = {"cache": True, "nogil": True, "error_model": "numpy"}
_ROWWISE = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": {"contract", "reassoc"}}


@njit(inline="always")
def _sigmoid_of(v, one):
    """sigmoid(v) from exp(−|v|), so that it never overflows."""
    e = exp(-abs(v))
    s = one / (one + e)
    return s if v >= 0 else e * s


@njit(inline="always")
def _tanh_of(v, two, saturation):
    """tanh(v) = m / (m + 2) with m = expm1(2|v|): exact near 0; 1 for |v| above ``saturation``; NaN for NaN."""
    magnitude = abs(v)
    m = expm1(two * (saturation if magnitude > saturation else magnitude))
    t = m / (m + two)
    return t if v >= 0 else -t


@njit(**_ELEMENTWISE)
def sigmoid(x, out):
    one = x.dtype.type(1)
    for i in range(x.size):
        out[i] = _sigmoid_of(x[i], one)


@njit(**_ELEMENTWISE)
def sigmoid_backward(y, grad, out):
    one = y.dtype.type(1)
    for i in range(y.size):
        out[i] = grad[i] * y[i] * (one - y[i])


@njit(**_ELEMENTWISE)
def tanh(x, out):
    two, saturation = x.dtype.type(2), x.dtype.type(20)
    for i in range(x.size):
        out[i] = _tanh_of(x[i], two, saturation)


@njit(**_ELEMENTWISE)
def tanh_backward(y, grad, out):
    one = y.dtype.type(1)
    for i in range(y.size):
        out[i] = grad[i] * (one - y[i] * y[i])


@njit(**_ELEMENTWISE)
def relu(x, out):
    zero = x.dtype.type(0)
    for i in range(x.size):
        out[i] = zero if x[i] <= zero else x[i]


@njit(**_ELEMENTWISE)
def relu_backward(x, grad, out):
    zero = grad.dtype.type(0)
    for i in range(x.size):
        out[i] = zero if x[i] <= 0 else grad[i]


@njit(**_ELEMENTWISE)
def leaky_relu(x, out, negative_slope):
    slope = x.dtype.type(negative_slope)
    for i in range(x.size):
        out[i] = x[i] if x[i] > 0 else x[i] * slope


@njit(**_ELEMENTWISE)
def leaky_relu_backward(x, grad, out, negative_slope):
    slope = grad.dtype.type(negative_slope)
    for i in range(x.size):
        out[i] = grad[i] if x[i] > 0 else grad[i] * slope


@njit(**_ELEMENTWISE)
def elu(x, out, alpha):
    a = x.dtype.type(alpha)
    zero = x.dtype.type(0)
    for i in range(x.size):
        out[i] = a * expm1(x[i]) if x[i] <= zero else x[i]


@njit(**_ELEMENTWISE)
def elu_backward(x, y, grad, out, alpha):
    a = grad.dtype.type(alpha)
    for i in range(x.size):
        out[i] = grad[i] * (y[i] + a) if x[i] <= 0 else grad[i]


@njit(**_ELEMENTWISE)
def swish(x, out):
    one = x.dtype.type(1)
    for i in range(x.size):
        out[i] = x[i] * _sigmoid_of(x[i], one)


@njit(**_ELEMENTWISE)
def swish_backward(x, grad, out):
    one = x.dtype.type(1)
    for i in range(x.size):
        s = _sigmoid_of(x[i], one)
        out[i] = grad[i] * (s + x[i] * s * (one - s))


@njit(inline="always")  # inlined: as a call it cost the (256, 10) cross-entropy a third of its time
def _row_max(row):
    m = row[0]
    for j in range(1, row.size):
        m = row[j] if row[j] > m else m
    return m


@njit(inline="always")
def _exp_shifted_into(row, shift, out):
    """out = exp(row − shift); returns the sum of ``out``."""
    total = row.dtype.type(0)
    for j in range(row.size):
        e = exp(row[j] - shift)
        out[j] = e
        total += e
    return total


@njit(**_ROWWISE)
def softmax(x, out):
    one = x.dtype.type(1)
    for i in range(x.shape[0]):
        inv = one / _exp_shifted_into(x[i], _row_max(x[i]), out[i])
        for j in range(x.shape[1]):
            out[i, j] *= inv


@njit(**_ROWWISE)
def softmax_backward(y, grad, out):
    for i in range(y.shape[0]):
        dot = y.dtype.type(0)
        for j in range(y.shape[1]):
            dot += grad[i, j] * y[i, j]
        for j in range(y.shape[1]):
            out[i, j] = y[i, j] * (grad[i, j] - dot)


@njit(**_ROWWISE)
def log_softmax(x, out):
    for i in range(x.shape[0]):
        m = _row_max(x[i])
        log_total = np.log(_exp_shifted_into(x[i], m, out[i]))
        for j in range(x.shape[1]):
            out[i, j] = (x[i, j] - m) - log_total


@njit(**_ROWWISE)
def log_softmax_backward(y, grad, out):
    for i in range(y.shape[0]):
        total = y.dtype.type(0)
        for j in range(y.shape[1]):
            total += grad[i, j]
        for j in range(y.shape[1]):
            out[i, j] = grad[i, j] - exp(y[i, j]) * total


@njit(**_ROWWISE)
def bad_class_index(target, classes):
    """The first row whose class index is outside [0, classes), or −1 when all are inside."""
    for i in range(target.size):
        if target[i] < 0 or target[i] >= classes:
            return i
    return -1


@njit(inline="always")
def _softmax_row_loss(row, label, probs):
    """Write softmax(row) into ``probs`` and return −log of its value at ``label`` (one row of cross-entropy)."""
    m = _row_max(row)
    total = _exp_shifted_into(row, m, probs)
    inv = row.dtype.type(1) / total
    for j in range(row.size):
        probs[j] *= inv
    return np.log(total) - (row[label] - m)


@njit(**_ROWWISE)
def cross_entropy(logits, target, losses, probs):
    for i in range(logits.shape[0]):
        losses[i] = _softmax_row_loss(logits[i], target[i], probs[i])


@njit(**_ROWWISE)
def cross_entropy_backward(probs, target, grad, out):
    one = probs.dtype.type(1)
    for i in range(probs.shape[0]):
        g = grad[i]
        for j in range(probs.shape[1]):
            out[i, j] = probs[i, j] * g
        out[i, target[i]] = (probs[i, target[i]] - one) * g


@njit(**_ELEMENTWISE)
def _row_gradient(probs, label, g, out):
    """out = probs · g, with (probs − 1) · g at the label, as ``cross_entropy_backward`` writes one row; ``out``
    may be ``probs``. Not inlined and without fastmath flags, so that LLVM neither contracts ``p · inv − 1``
    into a fused multiply-add nor reassociates ``(e · inv) · g`` with the caller's products: the bits stay
    those of the forward and backward kernels run one after the other."""
    at_label = (probs[label] - probs.dtype.type(1)) * g
    for j in range(probs.size):
        out[j] = probs[j] * g
    out[label] = at_label


@njit(**_ROWWISE)
def cross_entropy_with_grad(logits, target, row_grad, losses, out):
    """``cross_entropy`` then ``cross_entropy_backward`` in one pass over the rows: the probabilities are
    written into ``out`` and turned into the gradient of the logits while the row is in cache."""
    for i in range(logits.shape[0]):
        losses[i] = _softmax_row_loss(logits[i], target[i], out[i])
        _row_gradient(out[i], target[i], row_grad[i], out[i])


@njit(**_ELEMENTWISE)
def column_sums(a, out):
    """out[j] = Σ_i a[i, j], adding rows in order as ``activation_backward_bias`` does."""
    out[:] = a.dtype.type(0)
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            out[j] += a[i, j]


@njit(**_ELEMENTWISE)
def binary_cross_entropy(prob, target, out):
    zero, one, floor = prob.dtype.type(0), prob.dtype.type(1), prob.dtype.type(LOG_FLOOR)
    for i in range(prob.size):
        p, y = prob[i], target[i]
        log_p = np.log(p) if p != zero else floor  # no log(0): it warns when run as Python
        log_not_p = np.log1p(-p) if p != one else floor
        if log_p < floor:  # not max(): a NaN must stay NaN, as in np.maximum
            log_p = floor
        if log_not_p < floor:
            log_not_p = floor
        out[i] = -(y * log_p + (one - y) * log_not_p)


@njit(**_ELEMENTWISE)
def binary_cross_entropy_backward(prob, target, grad, out):
    one, tiny = prob.dtype.type(1), prob.dtype.type(1e-12)
    for i in range(prob.size):
        p = prob[i]
        denominator = p * (one - p)
        if denominator < tiny:
            denominator = tiny
        out[i] = grad[i] * (p - target[i]) / denominator


IDENTITY, RELU, SIGMOID, TANH = 0, 1, 2, 3
"""Codes of the activations that ``bias_activation`` and ``activation_backward_bias`` fuse."""


@njit(inline="always")
def _activate(v, code, zero, one, two, saturation):
    """The fused activation numbered ``code`` (IDENTITY, RELU, SIGMOID, TANH) at ``v``."""
    if code == RELU:
        return zero if v <= zero else v
    if code == SIGMOID:
        return _sigmoid_of(v, one)
    if code == TANH:
        return _tanh_of(v, two, saturation)
    return v


@njit(inline="always")
def _activation_grad(g, y, code, zero, one):
    """g times the derivative of activation ``code``, read from its output ``y``."""
    if code == RELU:
        return zero if y <= zero else g
    if code == SIGMOID:
        return g * y * (one - y)
    if code == TANH:
        return g * (one - y * y)
    return g


@njit(**_ELEMENTWISE)
def bias_activation(z, b, code):
    """z ← activation(z + b) in place, row by row: the epilogue of a BLAS product."""
    zero, one, two, saturation = z.dtype.type(0), z.dtype.type(1), z.dtype.type(2), z.dtype.type(20)
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            z[i, j] = _activate(z[i, j] + b[j], code, zero, one, two, saturation)


@njit(**_ELEMENTWISE)
def activation_backward_bias(y, grad, code, grad_z, grad_bias):
    """grad_z = grad ⊙ activation'(from y), and grad_bias = Σ over rows of grad_z, in one pass."""
    zero, one = y.dtype.type(0), y.dtype.type(1)
    grad_bias[:] = zero
    for i in range(y.shape[0]):
        for j in range(y.shape[1]):
            g = _activation_grad(grad[i, j], y[i, j], code, zero, one)
            grad_z[i, j] = g
            grad_bias[j] += g


@njit(**_ELEMENTWISE)
def small_linear_activation(x, w, b, code, out):
    """out = activation(x · w + b) for a layer small enough that calling BLAS costs more than the arithmetic."""
    zero, one, two, saturation = x.dtype.type(0), x.dtype.type(1), x.dtype.type(2), x.dtype.type(20)
    for i in range(x.shape[0]):
        for j in range(w.shape[1]):
            out[i, j] = b[j]
        for p in range(x.shape[1]):
            xv = x[i, p]
            for j in range(w.shape[1]):
                out[i, j] += xv * w[p, j]
        for j in range(w.shape[1]):
            out[i, j] = _activate(out[i, j], code, zero, one, two, saturation)


@njit(**_ELEMENTWISE)
def small_linear_activation_backward(x, w, y, grad, code, need_x, need_w, grad_x, grad_w, grad_b):
    """dZ = grad ⊙ activation′(from y); dX = dZ · wᵀ, dW = xᵀ · dZ, db = Σ_rows dZ, for a small layer.

    Each element of dZ is used as soon as it is made, so no (rows, out) buffer is needed.
    """
    zero, one = y.dtype.type(0), y.dtype.type(1)
    grad_b[:] = zero
    if need_w:
        grad_w[:] = zero
    if need_x:
        grad_x[:] = zero
    for i in range(y.shape[0]):
        for j in range(y.shape[1]):
            g = _activation_grad(grad[i, j], y[i, j], code, zero, one)
            grad_b[j] += g
            for p in range(x.shape[1]):
                if need_w:
                    grad_w[p, j] += x[i, p] * g
                if need_x:
                    grad_x[i, p] += g * w[p, j]


@njit(**_ELEMENTWISE)
def sgd_momentum_step(param, grad, velocity, lr, momentum):
    """velocity ← momentum · velocity + grad; param ← param − lr · velocity, in one pass, in place."""
    rate, mu = param.dtype.type(lr), param.dtype.type(momentum)
    for i in range(param.size):
        v = mu * velocity[i] + grad[i]
        velocity[i] = v
        param[i] -= rate * v


def adam_scalars(lr: float, beta1: float, beta2: float, eps: float, step: int) -> tuple[float, ...]:
    """The scalar arguments of ``adam_step`` after ``param, grad, m, v``, in its order (Python floats).

    >>> adam_scalars(0.1, 0.5, 0.75, 1e-8, 1)
    (0.5, 0.75, 0.5, 0.25, 0.2, 0.25, 1e-08)
    """
    return (float(beta1), float(beta2), float(1 - beta1), float(1 - beta2), float(lr / (1 - beta1**step)),
            float(1 - beta2**step), float(eps))


@njit(**_ELEMENTWISE)
def adam_step(param, grad, m, v, beta1, beta2, one_minus_beta1, one_minus_beta2, step_size, correction2, eps):
    """m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; param ← param − step_size · m / (√(v / correction2) + ε),
    in one pass, in place, with the reference's operations in the reference's order."""
    real = param.dtype.type
    b1, b2, c1, c2 = real(beta1), real(beta2), real(one_minus_beta1), real(one_minus_beta2)
    rate, correction, epsilon = real(step_size), real(correction2), real(eps)
    for i in range(param.size):
        g = grad[i]
        mi = b1 * m[i] + c1 * g
        vi = b2 * v[i] + c2 * g * g
        m[i] = mi
        v[i] = vi
        param[i] -= rate * mi / (np.sqrt(vi / correction) + epsilon)


@njit(**_ELEMENTWISE)
def sgd_step(param, grad, lr):
    """param ← param − lr · grad in place, lr in the parameters' dtype (as NumPy's ``param -= lr * grad``)."""
    rate = param.dtype.type(lr)
    for i in range(param.size):
        param[i] -= rate * grad[i]


_PAIRWISE_BLOCK = 128  # NumPy's PW_BLOCKSIZE


@njit(cache=True, nogil=True, error_model="numpy")
def pairwise_sum(a):
    """Σ a over a flat array, in the order NumPy's ``np.add.reduce`` adds a contiguous run: sequential below
    8 values, eight running sums up to 128, halves (cut at a multiple of 8) above; so the two agree bit for bit."""
    n = a.size
    if n < 8:
        total = a.dtype.type(0)
        for i in range(n):
            total += a[i]
        return total
    if n <= _PAIRWISE_BLOCK:
        r0, r1, r2, r3, r4, r5, r6, r7 = a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
        i = 8
        while i < n - n % 8:
            r0 += a[i]
            r1 += a[i + 1]
            r2 += a[i + 2]
            r3 += a[i + 3]
            r4 += a[i + 4]
            r5 += a[i + 5]
            r6 += a[i + 6]
            r7 += a[i + 7]
            i += 8
        total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            total += a[i]
            i += 1
        return total
    half = n // 2
    half -= half % 8
    return pairwise_sum(a[:half]) + pairwise_sum(a[half:])


@njit(**_ELEMENTWISE)
def fill_mean_gradient(grad, count, out):
    """out ← grad[0] / count everywhere: the gradient of a mean of ``count`` values (``count`` a float)."""
    g = grad[0] / grad.dtype.type(count)
    for i in range(out.size):
        out[i] = g


@njit(**_ELEMENTWISE)
def copy_into(source, out):
    """out ← source, element by element (flat arrays of one size)."""
    for i in range(out.size):
        out[i] = source[i]
