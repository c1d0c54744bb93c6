"""Adam and AdamW (Kingma & Ba; Loshchilov & Hutter), with AMSGrad, as torch.optim.Adam and AdamW."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from .. import backend
from ..autograd import bump_version
from ..tensor import Tensor
from .optimizer import Checker, Optimizer, betas, flag, nonnegative


class Adam(Optimizer):
    """Adam with bias correction; L2 weight decay added to the gradient, or decoupled (AdamW) when asked.

    g ← ±∇ (+ wd·w, or w ← w·(1 − lr·wd) when decoupled);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
    v̂ ← max(v̂, v) (amsgrad) or v̂ ← v;  w ← w − lr/(1−β₁ᵗ) · m / (√v̂ / √(1−β₂ᵗ) + ε).
    """

    SETTINGS: ClassVar[dict[str, Checker]] = {"lr": nonnegative, "betas": betas, "eps": nonnegative,
                                              "weight_decay": nonnegative, "amsgrad": flag, "maximize": flag,
                                              "decoupled_weight_decay": flag}
    BUFFERS: ClassVar[dict[str, tuple[str, bool]]] = {"step": ("count", True), "exp_avg": ("array", True),
                                                      "exp_avg_sq": ("nonnegative", True),
                                                      "max_exp_avg_sq": ("nonnegative", False)}
    LEGACY_SETTINGS: ClassVar[dict[str, Any]] = {"amsgrad": False, "maximize": False, "decoupled_weight_decay": False}

    def __init__(self, params: Iterable[Tensor] | Iterable[Mapping[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 amsgrad: bool = False, *, maximize: bool = False, decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                                  "amsgrad": amsgrad, "maximize": maximize,
                                  "decoupled_weight_decay": decoupled_weight_decay})

    def _step_group(self, group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p in group["params"]:
            if p._grad is None:
                continue
            param, grad = p._data, p._grad._data
            state = self.state[p]
            if not state:
                state.update(step=0, exp_avg=np.zeros_like(param), exp_avg_sq=np.zeros_like(param))
            state["step"] += 1
            step, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
            if maximize:
                grad = -grad
            if weight_decay:
                if decoupled:
                    param *= 1 - lr * weight_decay
                else:
                    grad = grad + weight_decay * param
            if not amsgrad:
                backend.kernels.adam_step(param, grad, m, v, lr, beta1, beta2, eps, step)
                bump_version(p)
                continue
            m += (1 - beta1) * (grad - m)
            v *= beta2
            v += (1 - beta2) * grad * grad
            peak = state.get("max_exp_avg_sq")
            if peak is None:
                peak = state["max_exp_avg_sq"] = np.zeros_like(param)
            np.maximum(peak, v, out=peak)
            denom = np.sqrt(peak) / (1 - beta2**step) ** 0.5
            denom += eps
            param -= (lr / (1 - beta1**step)) * (m / denom)
            bump_version(p)

    def _plan_group(self, plan: Any, group: dict[str, Any], name: str, params: str, grads: str,
                    loop: Any = None) -> bool:
        """Adam without weight decay, AMSGrad or maximize in one kernel, as ``_step_group`` runs it (with
        ``loop``: as a line of the whole-step kernel, the loop and scalars of the Numba ``adam_step``)."""
        if group["weight_decay"] or group["amsgrad"] or group["maximize"]:
            return False
        entries = [self.state.get(p) for p in group["params"]]
        if not all(entries) or len({entry["step"] for entry in entries}) != 1:
            return False
        first, second = self._flat_state(plan, group, "exp_avg"), self._flat_state(plan, group, "exp_avg_sq")
        if first is None or second is None:
            return False
        steps = plan.constant(entries, "E")
        plan.guard(f"not {name}['weight_decay'] and not {name}['amsgrad'] and not {name}['maximize'] and "
                   f"len({{e['step'] for e in {steps}}}) == 1")
        step = plan.local(advance_steps, steps)
        betas = f"{name}['betas']"
        if loop is not None:
            from ..kernels._loops import adam_scalars

            values = plan.local(adam_scalars, f"{name}['lr']", f"{betas}[0]", f"{betas}[1]", f"{name}['eps']", step)
            scalars = ", ".join(loop.scalar(f"{values}[{i}]") for i in range(7))
            loop.line(f"_loops.adam_step({loop.flat(params)}, {loop.flat(grads)}, {loop.flat(first)}, "
                      f"{loop.flat(second)}, {scalars})")
            return True
        plan.forms.adam(plan, params, grads, first, second, f"{name}['lr']", f"{betas}[0]", f"{betas}[1]",
                        f"{name}['eps']", step)
        return True


def advance_steps(entries: list[dict[str, Any]]) -> int:
    """Count one more step in each parameter's state; returns the new count (the same for all)."""
    for entry in entries:
        entry["step"] += 1
    return entries[0]["step"]


class AdamW(Adam):
    """Adam with decoupled weight decay (the weights shrink by lr·wd each step, apart from the gradient).

    As torch.optim.AdamW: Adam with ``decoupled_weight_decay=True`` and a default weight decay of 0.01.
    """

    LEGACY_SETTINGS: ClassVar[dict[str, Any]] = {"amsgrad": False, "maximize": False, "decoupled_weight_decay": True}

    def __init__(self, params: Iterable[Tensor] | Iterable[Mapping[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    @classmethod
    def _check_combination(cls, settings: dict[str, Any], where: str) -> None:
        if not settings["decoupled_weight_decay"]:
            raise ValueError(f"AdamW:{where}{':' if where else ''} decoupled_weight_decay is always True for AdamW, "
                             "got False (is this the state of an Adam optimizer?)")
