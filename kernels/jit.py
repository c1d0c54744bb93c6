"""Numba kernels with the names and signatures of ``reference``; the ``numba`` backend picks them.

Each function here computes exactly what its namesake in ``reference`` defines (the tests hold them
equal) and falls back to it for what the compiled loops do not cover: dtypes other than float32 and
float64, empty arrays, mixed dtypes, softmax along an axis other than the last, out-of-range class
indices. Matrix products are not here: NumPy's BLAS beats any Numba GEMM measured on this machine
(a hand-written one reached 0.27-0.36× of it), so ``matmul`` and ``linear`` resolve to ``reference``.
The one exception is a whole layer of at most ``SMALL_LINEAR_WORK`` multiply-adds, where the cost of
calling BLAS outweighs the arithmetic.

Inputs may be non-contiguous; they are copied to C order first. Outputs of 1 MiB or more come from
``_buffers`` (reused once nothing refers to them), smaller ones are fresh. Work of
``_pool.PARALLEL_MIN_WORK`` or more (exp-based kernels count each element 8 times) is split across threads.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import _buffers, _loops, reference
from ._pool import EXP_COST, run_split

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _compiled_dtype(first: np.ndarray, *others: np.ndarray) -> bool:
    """True when the compiled loops handle these arrays: one float dtype, same shape, non-empty."""
    dtype, shape = first.dtype, first.shape
    if dtype not in _FLOATS or first.size == 0:
        return False
    for other in others:  # noqa: SIM110 (a loop costs half what all() over a generator does, per kernel call)
        if other.dtype != dtype or other.shape != shape:
            return False
    return True


_EXP_LOOPS = frozenset({_loops.sigmoid, _loops.tanh, _loops.elu, _loops.swish, _loops.swish_backward, _loops.softmax,
                        _loops.log_softmax, _loops.log_softmax_backward, _loops.cross_entropy,
                        _loops.binary_cross_entropy})
"""Loops that evaluate exp per element: worth splitting across threads at smaller sizes."""


def _work(loop: Callable[..., None], size: int) -> int:
    return size * EXP_COST if loop in _EXP_LOOPS else size


def _elementwise(loop: Callable[..., None], inputs: tuple[np.ndarray, ...], params: tuple = ()) -> np.ndarray:
    """Run an elementwise loop over flat C-ordered views of ``inputs`` (copies where needed) into a fresh output."""
    flat = tuple([a.ravel() for a in inputs])  # a view when C-ordered, else a C-ordered copy
    out = _buffers.empty_like(inputs[0])
    run_split(loop, (*flat, out.ravel()), params, work=_work(loop, out.size))
    return out


def _rows(array: np.ndarray) -> np.ndarray:
    """A C-ordered (rows, last axis) view or copy of ``array``."""
    return np.ascontiguousarray(array).reshape(-1, array.shape[-1])


def _last_axis(array: np.ndarray, axis: int) -> bool:
    return array.ndim > 0 and axis in (-1, array.ndim - 1)


def _rowwise(loop: Callable[..., None], inputs: tuple[np.ndarray, ...]) -> np.ndarray:
    """Run a row loop over (rows, last axis) views of ``inputs`` into a fresh output."""
    rows = tuple([_rows(a) for a in inputs])
    out = _buffers.empty_like(inputs[0])
    run_split(loop, (*rows, out.reshape(rows[0].shape)), work=_work(loop, out.size))
    return out


def sigmoid(x: np.ndarray) -> np.ndarray:
    """See ``reference.sigmoid``."""
    return _elementwise(_loops.sigmoid, (x,)) if _compiled_dtype(x) else reference.sigmoid(x)


def sigmoid_backward(y: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """See ``reference.sigmoid_backward``."""
    if not _compiled_dtype(y, grad):
        return reference.sigmoid_backward(y, grad)
    return _elementwise(_loops.sigmoid_backward, (y, grad))


def tanh(x: np.ndarray) -> np.ndarray:
    """See ``reference.tanh``."""
    return _elementwise(_loops.tanh, (x,)) if _compiled_dtype(x) else reference.tanh(x)


def tanh_backward(y: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """See ``reference.tanh_backward``."""
    if not _compiled_dtype(y, grad):
        return reference.tanh_backward(y, grad)
    return _elementwise(_loops.tanh_backward, (y, grad))


def relu(x: np.ndarray) -> np.ndarray:
    """See ``reference.relu``."""
    return _elementwise(_loops.relu, (x,)) if _compiled_dtype(x) else reference.relu(x)


def relu_backward(x: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """See ``reference.relu_backward``."""
    if not _compiled_dtype(x, grad):
        return reference.relu_backward(x, grad)
    return _elementwise(_loops.relu_backward, (x, grad))


def leaky_relu(x: np.ndarray, negative_slope: float) -> np.ndarray:
    """See ``reference.leaky_relu``."""
    if not _compiled_dtype(x):
        return reference.leaky_relu(x, negative_slope)
    return _elementwise(_loops.leaky_relu, (x,), (float(negative_slope),))


def leaky_relu_backward(x: np.ndarray, grad: np.ndarray, negative_slope: float) -> np.ndarray:
    """See ``reference.leaky_relu_backward``."""
    if not _compiled_dtype(x, grad):
        return reference.leaky_relu_backward(x, grad, negative_slope)
    return _elementwise(_loops.leaky_relu_backward, (x, grad), (float(negative_slope),))


def elu(x: np.ndarray, alpha: float) -> np.ndarray:
    """See ``reference.elu``."""
    return _elementwise(_loops.elu, (x,), (float(alpha),)) if _compiled_dtype(x) else reference.elu(x, alpha)


def elu_backward(x: np.ndarray, y: np.ndarray, grad: np.ndarray, alpha: float) -> np.ndarray:
    """See ``reference.elu_backward``."""
    if not _compiled_dtype(x, y, grad):
        return reference.elu_backward(x, y, grad, alpha)
    return _elementwise(_loops.elu_backward, (x, y, grad), (float(alpha),))


def swish(x: np.ndarray) -> np.ndarray:
    """See ``reference.swish``."""
    return _elementwise(_loops.swish, (x,)) if _compiled_dtype(x) else reference.swish(x)


def swish_backward(x: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """See ``reference.swish_backward``."""
    if not _compiled_dtype(x, grad):
        return reference.swish_backward(x, grad)
    return _elementwise(_loops.swish_backward, (x, grad))


def softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """See ``reference.softmax``."""
    if not (_compiled_dtype(x) and _last_axis(x, axis)):
        return reference.softmax(x, axis)
    return _rowwise(_loops.softmax, (x,))


def softmax_backward(y: np.ndarray, grad: np.ndarray, axis: int) -> np.ndarray:
    """See ``reference.softmax_backward``."""
    if not (_compiled_dtype(y, grad) and _last_axis(y, axis)):
        return reference.softmax_backward(y, grad, axis)
    return _rowwise(_loops.softmax_backward, (y, grad))


def log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """See ``reference.log_softmax``."""
    if not (_compiled_dtype(x) and _last_axis(x, axis)):
        return reference.log_softmax(x, axis)
    return _rowwise(_loops.log_softmax, (x,))


def log_softmax_backward(y: np.ndarray, grad: np.ndarray, axis: int) -> np.ndarray:
    """See ``reference.log_softmax_backward``."""
    if not (_compiled_dtype(y, grad) and _last_axis(y, axis)):
        return reference.log_softmax_backward(y, grad, axis)
    return _rowwise(_loops.log_softmax_backward, (y, grad))


def _class_indices(target: np.ndarray, rows: int, classes: int) -> np.ndarray | None:
    """``target`` as C-ordered int64 when it holds one in-range class index per row, else None."""
    if target.shape != (rows,) or target.dtype.kind not in "iu":
        return None
    indices = np.ascontiguousarray(target, dtype=np.int64)
    return indices if _loops.bad_class_index(indices, classes) < 0 else None


def cross_entropy(logits: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """See ``reference.cross_entropy``."""
    indices = _class_indices(target, *logits.shape) if logits.ndim == 2 else None
    if indices is None or not _compiled_dtype(logits):
        return reference.cross_entropy(logits, target)
    probs = _buffers.empty_like(logits)
    losses = np.empty(logits.shape[0], logits.dtype)
    run_split(_loops.cross_entropy, (np.ascontiguousarray(logits), indices, losses, probs),
              work=_work(_loops.cross_entropy, logits.size))
    return losses, probs


def cross_entropy_backward(probs: np.ndarray, target: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """See ``reference.cross_entropy_backward``."""
    indices = _class_indices(target, *probs.shape) if probs.ndim == 2 else None
    if indices is None or not _compiled_dtype(probs) or grad.shape != target.shape:
        return reference.cross_entropy_backward(probs, target, grad)
    out = _buffers.empty_like(probs)
    row_grad = np.ascontiguousarray(grad, dtype=probs.dtype)
    run_split(_loops.cross_entropy_backward, (np.ascontiguousarray(probs), indices, row_grad, out),
              work=probs.size)
    return out


def binary_cross_entropy(prob: np.ndarray, target: np.ndarray) -> np.ndarray:
    """See ``reference.binary_cross_entropy``: one pass instead of about nine NumPy calls."""
    if not _compiled_dtype(prob, target):
        return reference.binary_cross_entropy(prob, target)
    return _elementwise(_loops.binary_cross_entropy, (prob, target))


def binary_cross_entropy_backward(prob: np.ndarray, target: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """See ``reference.binary_cross_entropy_backward``."""
    if not _compiled_dtype(prob, target, grad):
        return reference.binary_cross_entropy_backward(prob, target, grad)
    return _elementwise(_loops.binary_cross_entropy_backward, (prob, target, grad))


FUSABLE_ACTIVATIONS = reference.FUSABLE_ACTIVATIONS
_ACTIVATION_CODES = {"identity": _loops.IDENTITY, "relu": _loops.RELU, "sigmoid": _loops.SIGMOID,
                     "tanh": _loops.TANH}


SMALL_LINEAR_WORK = 8192
"""Multiply-adds (rows × in × out) up to which a whole layer runs as one loop instead of through BLAS.
Measured here in float32, one process: the loop's forward won up to about 64k, its backward up to about
8k (4×3×5: forward 2.0 µs against 8.0, backward 2.9 against 7.3; 64×10×10: 8.0 against 9.5 and 11.5
against 14.0; 32×32×32: backward 35 against 16); above that BLAS's speed outweighs its call."""


def _small_layer(x: np.ndarray, w: np.ndarray) -> bool:
    return x.shape[0] * w.shape[0] * w.shape[1] <= SMALL_LINEAR_WORK and x.flags.c_contiguous and w.flags.c_contiguous


def linear_activation(x: np.ndarray, w: np.ndarray, b: np.ndarray, activation: str) -> np.ndarray:
    """See ``reference.linear_activation``: BLAS for the product, then one pass adds b and activates
    (one loop for all of it when the layer is small)."""
    if x.ndim != 2 or w.ndim != 2 or b.shape != w.shape[1:] or not _compiled_dtype(x) or not (
            x.dtype == w.dtype == b.dtype):
        return reference.linear_activation(x, w, b, activation)
    if _small_layer(x, w):
        out = np.empty((x.shape[0], w.shape[1]), x.dtype)
        _loops.small_linear_activation(x, w, np.ascontiguousarray(b), _ACTIVATION_CODES[activation], out)
        return out
    z = np.matmul(x, w, out=_buffers.empty((x.shape[0], w.shape[1]), x.dtype))
    if z.size:
        _loops.bias_activation(z, np.ascontiguousarray(b), _ACTIVATION_CODES[activation])
    return z


def linear_activation_backward(x: np.ndarray, w: np.ndarray, y: np.ndarray, grad: np.ndarray, activation: str,
                               need_x: bool = True, need_w: bool = True
                               ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray]:
    """See ``reference.linear_activation_backward``: one pass for dZ and db, then BLAS for dX and dW
    (one loop for all of it when the layer is small)."""
    if y.ndim != 2 or not _compiled_dtype(y, grad) or not (x.dtype == w.dtype == y.dtype):
        return reference.linear_activation_backward(x, w, y, grad, activation, need_x, need_w)
    code = _ACTIVATION_CODES[activation]
    grad_bias = np.empty(y.shape[1], y.dtype)
    if _small_layer(x, w) and y.flags.c_contiguous and grad.flags.c_contiguous:
        grad_x, grad_w = np.empty_like(x), np.empty_like(w)
        _loops.small_linear_activation_backward(x, w, y, grad, code, need_x, need_w, grad_x, grad_w, grad_bias)
        return (grad_x if need_x else None), (grad_w if need_w else None), grad_bias
    grad_z = _buffers.empty_like(y)
    _loops.activation_backward_bias(np.ascontiguousarray(y), np.ascontiguousarray(grad), code, grad_z, grad_bias)
    return ((reference.matmul(grad_z, w.T) if need_x else None), (reference.matmul(x.T, grad_z) if need_w else None),
            grad_bias)


def sgd_momentum_step(param: np.ndarray, grad: np.ndarray, velocity: np.ndarray, lr: float, momentum: float) -> None:
    """See ``reference.sgd_momentum_step``: one pass over the three arrays, no temporaries."""
    if not (_compiled_dtype(param, grad, velocity) and param.flags.c_contiguous and velocity.flags.c_contiguous):
        reference.sgd_momentum_step(param, grad, velocity, lr, momentum)
        return
    run_split(_loops.sgd_momentum_step, (param.ravel(), grad.ravel(), velocity.ravel()),  # views, as for adam
              (float(lr), float(momentum)))


def adam_step(param: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray, lr: float, beta1: float,
              beta2: float, eps: float, step: int) -> None:
    """See ``reference.adam_step``: one pass over the four arrays instead of about ten with temporaries."""
    if not (_compiled_dtype(param, grad, m, v) and param.flags.c_contiguous and m.flags.c_contiguous
            and v.flags.c_contiguous):
        reference.adam_step(param, grad, m, v, lr, beta1, beta2, eps, step)
        return
    run_split(_loops.adam_step,
              (param.ravel(), grad.ravel(), m.ravel(), v.ravel()),  # views: contiguity checked above
              _loops.adam_scalars(lr, beta1, beta2, eps, step))
