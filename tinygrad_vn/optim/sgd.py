"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay, as torch.optim.SGD."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from .. import backend
from ..autograd import bump_version
from ..tensor import Tensor
from .optimizer import Checker, Optimizer, finite, flag, nonnegative, with_l2_decay


class SGD(Optimizer):
    """Gradient descent, optionally with momentum (heavy-ball or Nesterov) and L2 weight decay.

    g ← ±∇ + wd·w;  b ← g at the first step, else b ← μ·b + (1 − dampening)·g;
    g ← g + μ·b (nesterov) or g ← b;  w ← w − lr·g  (plain w ← w − lr·g when μ = 0).
    """

    SETTINGS: ClassVar[dict[str, Checker]] = {"lr": nonnegative, "momentum": nonnegative, "dampening": finite,
                                              "weight_decay": nonnegative, "nesterov": flag, "maximize": flag}
    BUFFERS: ClassVar[dict[str, tuple[str, bool]]] = {"momentum_buffer": ("array", False)}
    LEGACY_SETTINGS: ClassVar[dict[str, Any]] = {"dampening": 0.0, "nesterov": False, "maximize": False}

    def __init__(self, params: Iterable[Tensor] | Iterable[Mapping[str, Any]], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize})

    @classmethod
    def _check_combination(cls, settings: dict[str, Any], where: str) -> None:
        if settings["nesterov"] and (settings["momentum"] <= 0 or settings["dampening"] != 0):
            raise ValueError(f"SGD:{where}{':' if where else ''} Nesterov momentum needs a momentum above 0 and zero "
                             f"dampening, got momentum={settings['momentum']} and dampening={settings['dampening']}")

    def _step_group(self, group: dict[str, Any]) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        fused = momentum != 0 and dampening == 0 and not nesterov  # the heavy-ball update of one kernel
        decayed = weight_decay or maximize
        for p in group["params"]:
            if p._grad is None:
                continue
            param, grad = p._data, p._grad._data
            if decayed:
                grad = with_l2_decay(grad, param, weight_decay, maximize)
            if momentum:
                state = self.state[p]
                buffer = state.get("momentum_buffer")
                if fused:
                    if buffer is None:  # a zero buffer makes the first step b = g, as torch's copy does
                        buffer = state["momentum_buffer"] = np.zeros_like(param)
                    backend.kernels.sgd_momentum_step(param, grad, buffer, lr, momentum)
                    bump_version(p)
                    continue
                if buffer is None:
                    buffer = state["momentum_buffer"] = np.array(grad, copy=True)
                else:
                    buffer *= momentum
                    buffer += (1 - dampening) * grad
                grad = grad + momentum * buffer if nesterov else buffer
            param -= lr * grad
            bump_version(p)

    def _plan_group(self, plan: Any, group: dict[str, Any], name: str, params: str, grads: str,
                    loop: Any = None) -> bool:
        """Plain SGD (w ← w − lr·g) or heavy-ball momentum in one kernel, as ``_step_group`` runs them; the
        other variants (decay, maximize, dampening, Nesterov) take the general replay. The loop forms
        (``loop``) call the same loops as the Numba kernels (``_loops.sgd_step``, ``sgd_momentum_step``)."""
        plain = f"not {name}['weight_decay'] and not {name}['maximize']"
        lr, momentum = f"{name}['lr']", f"{name}['momentum']"
        if group["weight_decay"] or group["maximize"]:
            return False
        if not group["momentum"]:
            plan.guard(f"not {name}['momentum'] and {plain}")
            if loop is not None:
                loop.line(f"_loops.sgd_step({loop.flat(params)}, {loop.flat(grads)}, {loop.scalar(lr)})")
            else:
                plan.forms.sgd(plan, params, grads, f"{name}['lr']")
            return True
        if group["dampening"] or group["nesterov"]:
            return False
        velocity = self._flat_state(plan, group, "momentum_buffer")
        if velocity is None:
            return False
        plan.guard(f"{name}['momentum'] and not {name}['dampening'] and not {name}['nesterov'] and {plain}")
        if loop is not None:
            loop.line(f"_loops.sgd_momentum_step({loop.flat(params)}, {loop.flat(grads)}, {loop.flat(velocity)}, "
                      f"{loop.scalar(lr)}, {loop.scalar(momentum)})")
        else:
            plan.forms.sgd_momentum(plan, params, grads, velocity, f"{name}['lr']", f"{name}['momentum']")
        return True

