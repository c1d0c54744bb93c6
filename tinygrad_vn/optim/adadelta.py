"""Adadelta (Zeiler 2012), as torch.optim.Adadelta."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from ..autograd import bump_version
from ..tensor import Tensor
from .optimizer import Checker, Optimizer, flag, nonnegative, unit_interval, with_l2_decay


class Adadelta(Optimizer):
    """Steps sized by the ratio of running RMS of past updates to running RMS of gradients.

    g ← ±∇ + wd·w;  s ← ρs + (1−ρ)g²;  Δ ← √(u + ε) / √(s + ε) · g;  u ← ρu + (1−ρ)Δ²;  w ← w − lr·Δ.
    """

    SETTINGS: ClassVar[dict[str, Checker]] = {"lr": nonnegative, "rho": unit_interval, "eps": nonnegative,
                                              "weight_decay": nonnegative, "maximize": flag}
    BUFFERS: ClassVar[dict[str, tuple[str, bool]]] = {"step": ("count", True), "square_avg": ("nonnegative", True),
                                                      "acc_delta": ("nonnegative", True)}

    def __init__(self, params: Iterable[Tensor] | Iterable[Mapping[str, Any]], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                                  "maximize": maximize})

    def _step_group(self, group: dict[str, Any]) -> None:
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for p in group["params"]:
            if p._grad is None:
                continue
            param, grad = p._data, p._grad._data
            state = self.state[p]
            if not state:
                state.update(step=0, square_avg=np.zeros_like(param), acc_delta=np.zeros_like(param))
            state["step"] += 1
            grad = with_l2_decay(grad, param, weight_decay, maximize)
            square_avg, acc_delta = state["square_avg"], state["acc_delta"]
            square_avg *= rho
            square_avg += (1 - rho) * grad * grad
            delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * grad
            acc_delta *= rho
            acc_delta += (1 - rho) * delta * delta
            param -= lr * delta
            bump_version(p)
