"""Function transforms for teaching, in the style of JAX and ``torch.func``: ``grad(f)`` is the function x ↦ ∇f(x).

``grad(f)(x)`` runs ``f`` on a fresh copy of ``x`` that requires grad, then backpropagates with
:func:`tinygrad_vn.autograd.grad`, so the caller's tensors keep their ``.grad`` untouched. Arguments
to differentiate may be Tensors (their dtype is kept), NumPy arrays (float arrays keep their dtype,
integer ones become float64) or Python numbers and lists, which become float64 so that the numbers a
lesson works out by hand come out exactly (d/dx x³ at 2 is 12.0, not 12.000001). The other arguments
are passed to ``f`` as they are.

>>> import tinygrad_vn as tg
>>> cube = lambda x: x ** 3
>>> tg.func.grad(cube)(2.0).item()
12.0
>>> value, slope = tg.func.value_and_grad(cube)(2.0)
>>> value.item(), slope.item()
(8.0, 12.0)
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from .autograd import enable_grad
from .autograd import grad as gradients_of
from .tensor import Tensor

__all__ = ["grad", "value_and_grad"]

Argnums = int | tuple[int, ...]


class _Depth(threading.local):
    """How many transformed functions this thread is inside (a transform within a transform needs
    gradients of gradients, which the engine does not build)."""

    value = 0


_depth = _Depth()


def grad(f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False) -> Callable[..., Any]:
    """The function computing the gradient of the scalar function ``f`` with respect to argument ``argnums``.

    ``argnums`` is one position (the gradient is a Tensor) or a tuple of them (a tuple of Tensors).
    With ``has_aux``, ``f`` returns ``(value, aux)`` and the new function returns ``(gradient, aux)``.

    >>> import tinygrad_vn as tg
    >>> tg.func.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))([1.0, 2.0], [3.0, 4.0])
    (Tensor([3., 4.], dtype=float64), Tensor([1., 2.], dtype=float64))
    """
    transformed = value_and_grad(f, argnums, has_aux)

    @functools.wraps(f)
    def gradient(*args: Any, **kwargs: Any) -> Any:
        value, gradients = transformed(*args, **kwargs)
        return (gradients, value[1]) if has_aux else gradients

    return gradient


def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False) -> Callable[..., Any]:
    """Like :func:`grad`, but the new function returns ``(value, gradient)``: f's value too, detached.

    With ``has_aux`` it returns ``((value, aux), gradient)``, as JAX's ``value_and_grad`` does.
    """
    if not callable(f):
        raise TypeError(f"tg.func: the function to transform must be callable, got a {type(f).__name__}")
    positions = _checked_argnums(argnums)

    @functools.wraps(f)
    def value_and_gradient(*args: Any, **kwargs: Any) -> Any:
        for position in positions:
            if position >= len(args):
                raise TypeError(f"tg.func: argnums asks for argument {position}, but the function was called with "
                                f"{len(args)} positional argument{'s' if len(args) != 1 else ''}")
        call_args = list(args)
        inputs = []
        for position in positions:
            call_args[position] = _differentiable(args[position], position)
            inputs.append(call_args[position])
        _depth.value += 1
        try:
            with enable_grad():
                result = f(*call_args, **kwargs)
        finally:
            _depth.value -= 1
        value, aux = _split_result(result, has_aux)
        if value.requires_grad:
            found = gradients_of(value, inputs, materialize_grads=True)
        else:  # f does not depend on any differentiable input: every gradient is zero
            found = tuple(Tensor._from_op(np.zeros_like(t.data), None) for t in inputs)
        gradients = found if isinstance(argnums, tuple) else found[0]
        detached = Tensor._from_op(value.data, None)
        return ((detached, aux) if has_aux else detached), gradients

    return value_and_gradient


def _checked_argnums(argnums: Any) -> tuple[int, ...]:
    items = argnums if isinstance(argnums, tuple) else (argnums,)
    if not items:
        raise ValueError("tg.func: argnums is an empty tuple; name at least one argument to differentiate")
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, np.integer)):
            raise TypeError(f"tg.func: argnums must be an int or a tuple of ints, got {argnums!r}")
        if item < 0:
            raise ValueError(f"tg.func: argnums must be non-negative positions, got {item}")
    if len(set(items)) != len(items):
        raise ValueError(f"tg.func: argnums {argnums!r} names an argument twice")
    return tuple(int(i) for i in items)


def _differentiable(value: Any, position: int) -> Tensor:
    """A fresh leaf that requires grad holding ``value`` (a Tensor's array is shared, not copied)."""
    if isinstance(value, Tensor):
        if _depth.value and value.requires_grad:
            raise NotImplementedError(
                f"tg.func: argument {position} depends on an outer transform's input (a grad of a grad): that "
                "needs gradients of gradients, which tinygrad_vn does not build; differentiate once")
        array = value.data
        if array.dtype.kind != "f":
            raise TypeError(f"tg.func: argument {position} is a {array.dtype} tensor; only floating-point values "
                            "can be differentiated (convert with .double() first)")
    else:
        try:
            array = np.asarray(value)
        except (TypeError, ValueError):
            array = np.asarray(None)
        if array.dtype.kind in "biu":
            array = array.astype(np.float64)
        elif array.dtype.kind != "f":
            raise TypeError(f"tg.func: argument {position} is a {type(value).__name__}, which cannot be "
                            "differentiated; pass a Tensor, a NumPy float array or numbers")
    leaf = Tensor._from_op(array, None)
    leaf.requires_grad = True
    return leaf


def _split_result(result: Any, has_aux: bool) -> tuple[Tensor, Any]:
    aux = None
    if has_aux:
        if not isinstance(result, tuple) or len(result) != 2:
            raise TypeError(f"tg.func: with has_aux=True the function must return a pair (value, aux), got "
                            f"{type(result).__name__}")
        result, aux = result
    if not isinstance(result, Tensor):
        raise TypeError(f"tg.func: the function must return a scalar Tensor, got a {type(result).__name__}; "
                        "compute the value with tensor ops on the arguments")
    if result.ndim != 0:
        raise RuntimeError(f"tg.func: the function must return a scalar (0-d) Tensor, got shape {result.shape}; "
                           "reduce it first (e.g. .sum() or .mean())")
    return result, aux
