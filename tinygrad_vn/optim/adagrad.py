"""Adagrad (Duchi, Hazan & Singer 2011) with learning-rate decay, as torch.optim.Adagrad."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from ..autograd import bump_version
from ..tensor import Tensor
from .optimizer import Checker, Optimizer, flag, nonnegative, with_l2_decay


class Adagrad(Optimizer):
    """Scale each coordinate's step by the root of its summed squared gradients.

    g ← ±∇ + wd·w;  lrₜ ← lr / (1 + (t − 1)·lr_decay);  s ← s + g²;  w ← w − lrₜ · g / (√s + ε).
    Each parameter's sum starts at ``initial_accumulator_value`` (its state exists from the start, step 0).
    """

    SETTINGS: ClassVar[dict[str, Checker]] = {"lr": nonnegative, "lr_decay": nonnegative, "eps": nonnegative,
                                              "weight_decay": nonnegative, "initial_accumulator_value": nonnegative,
                                              "maximize": flag}
    BUFFERS: ClassVar[dict[str, tuple[str, bool]]] = {"step": ("count", True), "sum": ("nonnegative", True)}
    FIRST_STEP: ClassVar[int] = 0

    def __init__(self, params: Iterable[Tensor] | Iterable[Mapping[str, Any]], lr: float = 1e-2,
                 lr_decay: float = 0.0, weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value, "maximize": maximize})

    def _init_state(self, group: dict[str, Any]) -> None:
        for p in group["params"]:
            self._start(p, group)

    def _start(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state[p]
        state.update(step=0, sum=np.full_like(p._data, group["initial_accumulator_value"]))
        return state

    def _step_group(self, group: dict[str, Any]) -> None:
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for p in group["params"]:
            if p._grad is None:
                continue
            param, grad = p._data, p._grad._data
            state = self.state[p] or self._start(p, group)
            state["step"] += 1
            grad = with_l2_decay(grad, param, weight_decay, maximize)
            decayed_lr = lr / (1 + (state["step"] - 1) * lr_decay)
            accumulated = state["sum"]
            accumulated += grad * grad
            denom = np.sqrt(accumulated)
            denom += eps
            param -= decayed_lr * (grad / denom)
            bump_version(p)
