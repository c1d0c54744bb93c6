"""The kernel calls of a prepared plan (``tg.compile``'s replay into preallocated arrays), per backend.

A prepared plan (``tinygrad_vn.plan``) replays a recorded training step as straight-line calls into
arrays it allocated once. The ops say what to compute (each op's ``plan_forward``/``plan_backward``
beside its rule); the forms here say which kernel computes it on each backend, chosen once when the
plan is built, from the shapes and layouts the recording saw, exactly as the eager kernels choose at
each call. So a plan runs the eager step's kernels in the eager step's order, writing into its own
arrays (``out=``), and its numbers are the eager ones bit for bit.

``plan`` is the plan being built (see ``tinygrad_vn.plan.PlanBuilder``): ``plan.call(fn, *args, **kw)``
writes one call (a ``str`` argument is code: a name; anything else is bound as a constant),
``plan.shape(name)`` and ``plan.contiguous(name)`` describe an array, ``plan.check(fn, *args)`` adds a
test on the inputs run before anything else (true: this call takes the unprepared path instead).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import reference

_CODES = {"identity": 0, "relu": 1, "sigmoid": 2, "tanh": 3}  # _loops.IDENTITY ... TANH, without importing Numba
ACTIVATION_CODES = _CODES
"""The number ``_loops`` gives each activation that a small layer fuses."""


def small_layer(plan: Any, x: str, w: str) -> bool:
    """Whether the Numba kernels run the layer ``x · w`` as the small-layer loop (``jit.SMALL_LINEAR_WORK``
    multiply-adds at most, C order), as they decide at each eager call."""
    from . import jit

    shape_x, shape_w = plan.shape(x), plan.shape(w)
    return (shape_x[0] * shape_w[0] * shape_w[1] <= jit.SMALL_LINEAR_WORK and plan.contiguous(x)
            and plan.contiguous(w))


def _labels_out_of_range(target: np.ndarray, classes: int) -> bool:
    """True when some label is outside [0, classes): the unprepared path then decides (raise, or ignore_index)."""
    return bool(target.size) and (int(target.min()) < 0 or int(target.max()) >= classes)


def int64_labels(target: np.ndarray) -> np.ndarray:
    """``target`` as C-ordered int64 (no copy when it already is), as the Numba cross-entropy reads it."""
    return np.ascontiguousarray(target, dtype=np.int64)


class NumpyForms:
    """The NumPy backend's forms: the reference kernels, with ``out=`` where NumPy takes one."""

    numba = False

    def linear_activation(self, plan: Any, x: str, w: str, b: str, out: str, activation: str) -> None:
        """out = f(x · w + b), as ``reference.linear_activation``: the product, then b added, then f."""
        plan.call(np.matmul, x, w, out=out)
        plan.call(np.add, out, b, out=out)
        if activation == "relu":
            plan.call(np.maximum, out, plan.dtype(out).type(0), out=out)
        elif activation != "identity":
            plan.call(np.copyto, out, plan.expression(getattr(reference, activation), out))

    def linear_activation_backward(self, plan: Any, x: str, w: str, y: str, grad: str, activation: str,
                                   grad_x: str | None, grad_w: str | None, grad_b: str) -> None:
        """dZ, then dX = dZ · Wᵀ, dW = Xᵀ · dZ and db = Σ_rows dZ, as ``reference.linear_activation_backward``."""
        grad_z = grad if activation == "identity" else plan.local(
            getattr(reference, f"{activation}_backward"), y, grad)
        if grad_x is not None:
            plan.call(np.matmul, grad_z, plan.transposed(w), out=grad_x)
        if grad_w is not None:
            plan.call(np.matmul, plan.transposed(x), grad_z, out=grad_w)
        plan.call(np.sum, grad_z, axis=0, out=grad_b)

    def class_labels(self, plan: Any, target: str, classes: int) -> str:
        """The labels as the cross-entropy kernels read them, after the range check."""
        plan.check(_labels_out_of_range, target, classes)
        return target

    def cross_entropy(self, plan: Any, logits: str, target: str, losses: str, probs: str) -> None:
        """Per-row losses and softmax probabilities, as ``reference.cross_entropy``."""
        pair = plan.local(reference.cross_entropy, logits, target)
        plan.call(np.copyto, losses, f"{pair}[0]")
        plan.call(np.copyto, probs, f"{pair}[1]")

    def cross_entropy_with_grad(self, plan: Any, logits: str, target: str, row_grad: str, losses: str,
                                grad: str, reduction: str) -> str | None:
        """Losses, and the gradient of the logits for these per-row gradients, as the forward and backward
        kernels compute them (the probabilities pass from one to the other in an array of the plan).
        Returns the name of the reduced loss when this form computes it too, else None."""
        probs = plan.buffer(plan.shape(grad), plan.dtype(grad))
        self.cross_entropy(plan, logits, target, losses, probs)
        self.cross_entropy_backward(plan, probs, target, row_grad, grad)
        return None

    def cross_entropy_backward(self, plan: Any, probs: str, target: str, row_grad: str, out: str) -> None:
        plan.call(np.copyto, out, plan.expression(reference.cross_entropy_backward, probs, target, row_grad))

    def sgd_momentum(self, plan: Any, param: str, grad: str, velocity: str, lr: str, momentum: str) -> None:
        plan.call(reference.sgd_momentum_step, param, grad, velocity, lr, momentum)

    def sgd(self, plan: Any, param: str, grad: str, lr: str) -> None:
        """param ← param − lr · grad, as plain SGD does it."""
        plan.call(np.subtract, param, f"{lr} * {grad}", out=param)

    def adam(self, plan: Any, param: str, grad: str, m: str, v: str, lr: str, beta1: str, beta2: str, eps: str,
             step: str) -> None:
        plan.call(reference.adam_step, param, grad, m, v, lr, beta1, beta2, eps, step)


class NumbaForms(NumpyForms):
    """The Numba backend's forms: the loops of ``_loops`` called directly, BLAS through ``np.matmul(out=)``."""

    numba = True

    def linear_activation(self, plan: Any, x: str, w: str, b: str, out: str, activation: str) -> None:
        from . import _loops

        if small_layer(plan, x, w):
            plan.call(_loops.small_linear_activation, x, w, b, _CODES[activation], out)
            return
        plan.call(np.matmul, x, w, out=out)
        plan.call(_loops.bias_activation, out, b, _CODES[activation])

    def linear_activation_backward(self, plan: Any, x: str, w: str, y: str, grad: str, activation: str,
                                   grad_x: str | None, grad_w: str | None, grad_b: str) -> None:
        from . import _loops

        shape_x, shape_w = plan.shape(x), plan.shape(w)
        if small_layer(plan, x, w) and plan.contiguous(y) and plan.contiguous(grad):
            plan.call(_loops.small_linear_activation_backward, x, w, y, grad, _CODES[activation],
                      grad_x is not None, grad_w is not None,
                      grad_x or plan.buffer(shape_x, plan.dtype(x)), grad_w or plan.buffer(shape_w, plan.dtype(w)),
                      grad_b)
            return
        if activation == "identity" and plan.contiguous(grad):  # dZ is the incoming gradient: only sum it
            grad_z = grad
            plan.call(_loops.column_sums, grad, grad_b)
        else:
            grad_z = plan.buffer(plan.shape(y), plan.dtype(y))
            plan.call(_loops.activation_backward_bias, y, grad, _CODES[activation], grad_z, grad_b)
        if grad_x is not None:
            plan.call(np.matmul, grad_z, plan.transposed(w), out=grad_x)
        if grad_w is not None:
            plan.call(np.matmul, plan.transposed(x), grad_z, out=grad_w)

    def class_labels(self, plan: Any, target: str, classes: int) -> str:
        from . import _loops

        labels = plan.ready(int64_labels, target)
        plan.check(_loops.bad_class_index, labels, classes, test=">= 0")
        return labels

    def cross_entropy(self, plan: Any, logits: str, target: str, losses: str, probs: str) -> None:
        from . import _loops

        plan.call(_loops.cross_entropy, logits, target, losses, probs)

    def cross_entropy_backward(self, plan: Any, probs: str, target: str, row_grad: str, out: str) -> None:
        from . import _loops

        plan.call(_loops.cross_entropy_backward, probs, target, row_grad, out)

    def cross_entropy_with_grad(self, plan: Any, logits: str, target: str, row_grad: str, losses: str,
                                grad: str, reduction: str) -> str | None:
        """One kernel for the losses and the gradient of the logits: the probabilities become the gradient
        while their row is in cache (the forward and backward kernels' operations, in their order, with no
        contraction across them: the same bits). The reduction stays NumPy's sum, whose order
        ``_loops.pairwise_sum`` does not always repeat."""
        from . import _loops

        if not isinstance(row_grad, str):  # the per-row gradients of the seed: an array made once
            row_grad = plan.constant(np.ascontiguousarray(row_grad), "k")
        if not plan.contiguous(logits) or not plan.contiguous(row_grad):
            return super().cross_entropy_with_grad(plan, logits, target, row_grad, losses, grad, reduction)
        plan.call(_loops.cross_entropy_with_grad, logits, target, row_grad, losses, grad)
        return None

    def sgd_momentum(self, plan: Any, param: str, grad: str, velocity: str, lr: str, momentum: str) -> None:
        from . import _loops
        from ._pool import run_split

        plan.call(run_split, _loops.sgd_momentum_step, f"({param}, {grad}, {velocity})", f"({lr}, {momentum})")

    def sgd(self, plan: Any, param: str, grad: str, lr: str) -> None:
        plan.call(np.subtract, param, f"{lr} * {grad}", out=param)

    def adam(self, plan: Any, param: str, grad: str, m: str, v: str, lr: str, beta1: str, beta2: str, eps: str,
             step: str) -> None:
        from . import jit

        plan.call(jit.adam_step, param, grad, m, v, lr, beta1, beta2, eps, step)


def forms(backend_name: str) -> NumpyForms:
    """The forms of backend ``backend_name`` ("numba" or "numpy")."""
    return NumbaForms() if backend_name == "numba" else NumpyForms()
