"""Gradient clipping, as ``torch.nn.utils``: ``clip_grad_norm_`` and ``clip_grad_value_``.

Both change the parameters' ``.grad`` arrays in place (each clipped gradient's version goes up) and
are replayed calls, so a step compiled with ``tg.compile`` clips on every call, between its
``backward()`` and ``optimizer.step()``, exactly as the eager step does.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..autograd import bump_version, replayed
from ..tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _parameters(parameters: Tensor | Iterable[Tensor], caller: str) -> list[Tensor]:
    """``parameters`` as a list of Tensors (a generator such as ``model.parameters()`` is read once, here)."""
    if isinstance(parameters, Tensor):
        return [parameters]
    if isinstance(parameters, (str, bytes)) or not isinstance(parameters, Iterable):
        raise TypeError(f"{caller}: parameters must be a Tensor or an iterable of Tensors, got a "
                        f"{type(parameters).__name__}")
    listed = list(parameters)
    for i, p in enumerate(listed):
        if not isinstance(p, Tensor):
            raise TypeError(f"{caller}: parameter {i} is a {type(p).__name__}, not a Tensor")
    return listed


def _setting(caller: str, label: str, value: Any, allow_inf: bool) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{caller}: {label} must be a number, got {value!r}")
    number = float(value)
    if math.isnan(number) or (math.isinf(number) and not allow_inf) or number < 0:
        allowed = "a number >= 0 (or inf)" if allow_inf else "a finite number >= 0"
        raise ValueError(f"{caller}: {label} must be {allowed}, got {value}")
    return number


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients together so that their joint ``norm_type``-norm is at most ``max_norm``.

    The norm is taken over all gradients as if concatenated into one vector; when it exceeds
    ``max_norm`` every gradient is multiplied by ``max_norm / (norm + 1e-6)`` (as torch). Returns
    that total norm before clipping, as a 0-d Tensor of the gradients' dtype. ``norm_type`` is a
    number above 0 or ``inf`` (the largest magnitude). A NaN or infinite norm raises with
    ``error_if_nonfinite=True``; otherwise the gradients get NaN as in torch, with a warning.
    """
    caller = "clip_grad_norm_"
    params = _parameters(parameters, caller)
    limit = _setting(caller, "max_norm", max_norm, allow_inf=True)
    if isinstance(norm_type, str) and norm_type.lower() == "inf":
        norm_type = math.inf
    order = _setting(caller, "norm_type", norm_type, allow_inf=True)
    if order == 0:
        raise ValueError(f"{caller}: norm_type must be above 0 (or inf), got {norm_type}")
    if not isinstance(error_if_nonfinite, (bool, np.bool_)):
        raise ValueError(f"{caller}: error_if_nonfinite must be True or False, got {error_if_nonfinite!r}")
    total = Tensor(np.zeros((), dtype=np.float32))
    _clip_norm(params, limit, order, bool(error_if_nonfinite), total)
    return total


@replayed
def _clip_norm(params: list[Tensor], max_norm: float, order: float, error_if_nonfinite: bool, total: Tensor) -> None:
    """The work of :func:`clip_grad_norm_`, writing the norm into ``total`` (a replay refills it each call)."""
    grads = [p._grad for p in params if p._grad is not None]
    dtype = np.result_type(*[g._data.dtype for g in grads]) if grads else np.dtype(np.float32)
    if not grads:
        total._data = np.zeros((), dtype=dtype)
        return
    flats = [g._data.reshape(-1).astype(np.float64, copy=False) for g in grads]
    if order == math.inf:
        norm = max((float(np.max(np.abs(f))) if f.size else 0.0) for f in flats)
    elif order == 2:
        norm = math.sqrt(sum(float(np.dot(f, f)) for f in flats))
    elif order == 1:
        norm = sum(float(np.sum(np.abs(f))) for f in flats)
    else:
        norm = sum(float(np.sum(np.abs(f) ** order)) for f in flats) ** (1 / order)
    norm_value = dtype.type(norm)
    total._data = np.asarray(norm_value, dtype=dtype)
    if not np.isfinite(norm_value):
        if error_if_nonfinite:
            raise RuntimeError(f"clip_grad_norm_: the total norm of order {order} of the gradients is {norm_value}, "
                               "so they cannot be clipped; pass error_if_nonfinite=False to let NaN through as torch")
        warnings.warn(f"clip_grad_norm_: the gradients' total norm is {norm_value}; clipping fills them with NaN "
                      "(or zeros), as torch does", RuntimeWarning, stacklevel=3)
    coefficient = dtype.type(max_norm) / (norm_value + dtype.type(1e-6))
    scale = coefficient < 1 or np.isnan(coefficient)  # torch multiplies by min(coefficient, 1) in any case
    for g in grads:
        if scale:
            g._data *= coefficient.astype(g._data.dtype)
        bump_version(g)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element into [−clip_value, clip_value], in place."""
    caller = "clip_grad_value_"
    params = _parameters(parameters, caller)
    _clip_value(params, _setting(caller, "clip_value", clip_value, allow_inf=True))


@replayed
def _clip_value(params: list[Tensor], clip_value: float) -> None:
    """The work of :func:`clip_grad_value_`."""
    for p in params:
        if p._grad is not None:
            np.clip(p._grad._data, -clip_value, clip_value, out=p._grad._data)
            bump_version(p._grad)
