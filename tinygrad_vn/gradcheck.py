"""Finite-difference gradient checking, in float64."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .autograd import backward, no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """The gradient from backward disagrees with central finite differences."""


def gradcheck(fn: Callable[..., Tensor], inputs: Tensor | Sequence[Any], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0) -> bool:
    """Check ``fn(*inputs)``'s backward against central differences; True, or raise naming the worst element.

    The output is reduced with fixed random weights ``v`` (so every output element matters), and for
    each input that requires grad, d(Σ v ⊙ fn)/d input from backward is compared with
    (f(x + eps) − f(x − eps)) / (2 eps), element by element: |analytic − numeric| ≤ atol + rtol |numeric|.
    Inputs that require grad must be float64. Their ``.grad`` is left as it was.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} is {inputs[i].dtype}; finite differences need float64 "
                            "(make inputs with dtype=np.float64)")
    saved_grads = [inputs[i].grad for i in checked]
    try:
        return _check(fn, inputs, checked, eps, atol, rtol, seed)
    finally:
        for i, grad in zip(checked, saved_grads):
            inputs[i].grad = grad


def _check(fn: Callable[..., Tensor], inputs: tuple[Any, ...], checked: list[int], eps: float,
           atol: float, rtol: float, seed: int) -> bool:
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, out.shape)

    def projected() -> float:
        with no_grad():
            return float(np.sum(fn(*inputs).data * weights))

    for i in checked:
        inputs[i].grad = None
    if out.requires_grad:
        backward(out, weights.astype(out.dtype))
    for i in checked:
        x = inputs[i]
        analytic = np.zeros(x.shape) if x.grad is None else np.asarray(x.grad.data, dtype=np.float64)
        numeric = np.zeros(x.shape)
        for k in np.ndindex(x.shape):
            original = x.data[k]
            x.data[k] = original + eps
            plus = projected()
            x.data[k] = original - eps
            minus = projected()
            x.data[k] = original
            numeric[k] = (plus - minus) / (2 * eps)
        excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if excess.size and (excess.max() > 0 or not np.all(np.isfinite(analytic))):
            worst = np.unravel_index(int(np.nanargmax(np.where(np.isfinite(excess), excess, np.inf))), x.shape)
            raise GradcheckError(
                f"gradcheck failed for input {i} (shape {x.shape}) at element {tuple(int(j) for j in worst)}: "
                f"backward gave {analytic[worst]:.6g}, finite differences gave {numeric[worst]:.6g} "
                f"(atol={atol}, rtol={rtol}); {int((excess > 0).sum())} of {x.size} elements disagree")
    return True
