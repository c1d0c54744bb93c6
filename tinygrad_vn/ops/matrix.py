"""Matrix products: ``MatMul`` and the fused Linear + activation layer node."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..autograd import Context, Function
from .elementwise import broadcasting, unbroadcast


class MatMul(Function):
    """C = A · B (NumPy matmul semantics); dA = dC · Bᵀ, dB = Aᵀ · dC (batch axes summed back)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes {a.shape} and {b.shape}")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned "
                             f"({a.shape[-1]} != {b.shape[-2 if b.ndim > 1 else 0]})")
        ctx.save_for_backward(a, b)
        return broadcasting("matmul", backend.kernels.matmul, a, b)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        a, b = ctx.saved
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if b.ndim == 1:
            grad = np.expand_dims(grad, -1)
        if a.ndim == 1:
            grad = np.expand_dims(grad, -2)
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = unbroadcast(backend.kernels.matmul(grad, np.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            grad_b = unbroadcast(backend.kernels.matmul(np.swapaxes(a2, -1, -2), grad), b2.shape).reshape(b.shape)
        return grad_a, grad_b


class FusedLinear(Function):
    """Y = f(X · W + b) as one node: a Linear layer and the activation after it, fused.

    dZ = dY ⊙ f′ (read from Y), db = Σ_rows dZ, dW = Xᵀ · dZ, dX = dZ · Wᵀ. The same rules as
    MatMul, Add and the activation's op, run as one kernel forward (BLAS, then bias and f in one
    pass) and one backward (f′ and Σ dZ in one pass, then BLAS; one loop for a small layer).
    X is (N, in), W (in, out), b (out,).
    Each activation has its own subclass, named e.g. ``Linear+ReLU``, so graphs say what was fused.
    """

    activation = "identity"

    @classmethod
    def forward(cls, ctx: Context, x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = backend.kernels.linear_activation(x, w, b, cls.activation)
        ctx.saved = (x, w, out)  # save_for_backward's effect, without the call (one node per layer per step)
        return out

    @classmethod
    def backward(cls, ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        x, w, out = ctx.saved
        need_x, need_w, _ = ctx.needs_input_grad
        return backend.kernels.linear_activation_backward(x, w, out, grad, cls.activation, need_x, need_w)


    @classmethod
    def plan_forward(cls, plan: Any, ctx: Context, inputs: list[str], attrs: dict[str, Any]) -> str | None:
        """The prepared form (see ``tinygrad_vn.plan``): Y written into an array of the plan, by the
        eager kernels; None where the eager forward would take the reference path."""
        x, w, b = inputs
        if not _fused_kernels_apply(plan, x, w, b):
            return None
        out = plan.buffer((plan.shape(x)[0], plan.shape(w)[1]), plan.dtype(x))
        plan.forms.linear_activation(plan, x, w, b, out, cls.activation)
        return out

    @classmethod
    def plan_backward(cls, plan: Any, ctx: Context, inputs: list[str], output: str, grad: str,
                      targets: list[str | None]) -> list[str | None] | None:
        """The prepared backward: dX, dW and db written into ``targets`` (or arrays of the plan for ``""``)."""
        x, w, b = inputs
        if not _fused_kernels_apply(plan, x, w, b) or not plan.known(grad) or plan.dtype(grad) != plan.dtype(x) or (
                plan.shape(grad) != plan.shape(output)):
            return None
        grad_x, grad_w, grad_b = [None if target is None else target or plan.buffer(plan.shape(name), plan.dtype(name))
                                  for target, name in zip(targets, inputs)]
        plan.forms.linear_activation_backward(plan, x, w, output, grad, cls.activation, grad_x, grad_w,
                                              grad_b or plan.buffer(plan.shape(b), plan.dtype(b)))
        return [grad_x, grad_w, grad_b]

    @classmethod
    def loop_forward(cls, loop: Any, ctx: Context, inputs: list[str], attrs: dict[str, Any]) -> str | None:
        """The loop template (see ``tinygrad_vn.fused``): a small layer as the eager small-layer loop; a
        layer large enough for BLAS has none."""
        from ..kernels.prepared import ACTIVATION_CODES, small_layer

        plan = loop.plan
        x, w, b = inputs
        if not _fused_kernels_apply(plan, x, w, b) or not small_layer(plan, x, w):
            return None
        out = loop.buffer((plan.shape(x)[0], plan.shape(w)[1]), plan.dtype(x))
        loop.line(f"_loops.small_linear_activation({loop.array(x)}, {loop.array(w)}, {loop.array(b)}, "
                  f"{ACTIVATION_CODES[cls.activation]}, {loop.array(out)})")
        return out

    @classmethod
    def loop_backward(cls, loop: Any, ctx: Context, inputs: list[str], output: str, grad: str,
                      targets: list[str | None]) -> list[str | None] | None:
        """The loop template of the backward: the eager small-layer backward loop, into ``targets``."""
        from ..kernels.prepared import ACTIVATION_CODES, small_layer

        plan = loop.plan
        x, w, b = inputs
        if not _fused_kernels_apply(plan, x, w, b) or not small_layer(plan, x, w) or (
                plan.shape(grad) != plan.shape(output)):
            return None
        made = [None if target is None else target or loop.buffer(plan.shape(name), plan.dtype(name))
                for target, name in zip(targets, inputs)]
        grad_x, grad_w, grad_b = [name or loop.buffer(plan.shape(shape_of), plan.dtype(shape_of))
                                  for name, shape_of in zip(made, inputs)]
        loop.line(f"_loops.small_linear_activation_backward({loop.array(x)}, {loop.array(w)}, {loop.array(output)}, "
                  f"{loop.array(grad)}, {ACTIVATION_CODES[cls.activation]}, {made[0] is not None}, "
                  f"{made[1] is not None}, {loop.array(grad_x)}, {loop.array(grad_w)}, {loop.array(grad_b)})")
        return made


def _fused_kernels_apply(plan: Any, x: str, w: str, b: str) -> bool:
    """Where the eager kernels compute a fused layer with their own loops: 2-D operands, one float dtype."""
    dtype = plan.dtype(x)
    return (len(plan.shape(x)) == 2 and len(plan.shape(w)) == 2 and plan.shape(b) == plan.shape(w)[1:]
            and dtype in (np.dtype(np.float32), np.dtype(np.float64)) and dtype == plan.dtype(w) == plan.dtype(b)
            and plan.shape(x)[0] > 0 and plan.shape(w)[1] > 0)


_FUSED_RULES = {
    "identity": ("Linear", "Z = X · W + b; dX = dZ · Wᵀ, dW = Xᵀ · dZ, db = Σ_rows dZ."),
    "relu": ("Linear+ReLU", "A = max(0, X · W + b); dX = (dA ⊙ [A > 0]) · Wᵀ, dW = Xᵀ · (dA ⊙ [A > 0]), "
                            "db = Σ_rows dA ⊙ [A > 0]."),
    "sigmoid": ("Linear+Sigmoid", "A = σ(X · W + b); dX = (dA ⊙ A ⊙ (1 − A)) · Wᵀ, "
                                  "dW = Xᵀ · (dA ⊙ A ⊙ (1 − A)), db = Σ_rows dA ⊙ A ⊙ (1 − A)."),
    "tanh": ("Linear+Tanh", "A = tanh(X · W + b); dX = (dA ⊙ (1 − A²)) · Wᵀ, dW = Xᵀ · (dA ⊙ (1 − A²)), "
                            "db = Σ_rows dA ⊙ (1 − A²)."),
}


FUSED_LINEAR: dict[str, type[FusedLinear]] = {
    activation: type(label, (FusedLinear,), {"activation": activation, "__doc__": f"{rule}\n\n{FusedLinear.__doc__}"})
    for activation, (label, rule) in _FUSED_RULES.items()
}
"""The fused op for each activation that a Linear layer can absorb."""
