"""RMSprop (Hinton's lecture 6e; centered as Graves 2013), with momentum, as torch.optim.RMSprop."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from ..autograd import bump_version
from ..tensor import Tensor
from .optimizer import Checker, Optimizer, flag, nonnegative, unit_interval, with_l2_decay


class RMSprop(Optimizer):
    """Divide the gradient by a running root mean square of recent gradients.

    g ← ±∇ + wd·w;  s ← αs + (1−α)g²;  ḡ ← αḡ + (1−α)g (centered);  d ← √(s − ḡ²) (centered) or √s, then + ε;
    b ← μb + g/d and w ← w − lr·b (μ > 0), or w ← w − lr·g/d.
    """

    SETTINGS: ClassVar[dict[str, Checker]] = {"lr": nonnegative, "alpha": unit_interval, "eps": nonnegative,
                                              "weight_decay": nonnegative, "momentum": nonnegative,
                                              "centered": flag, "maximize": flag}
    BUFFERS: ClassVar[dict[str, tuple[str, bool]]] = {"step": ("count", True), "square_avg": ("nonnegative", True),
                                                      "momentum_buffer": ("array", False),
                                                      "grad_avg": ("array", False)}

    def __init__(self, params: Iterable[Tensor] | Iterable[Mapping[str, Any]], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                                  "momentum": momentum, "centered": centered, "maximize": maximize})

    def _step_group(self, group: dict[str, Any]) -> None:
        lr, alpha, eps, weight_decay = group["lr"], group["alpha"], group["eps"], group["weight_decay"]
        momentum, centered, maximize = group["momentum"], group["centered"], group["maximize"]
        for p in group["params"]:
            if p._grad is None:
                continue
            param, grad = p._data, p._grad._data
            state = self.state[p]
            if not state:
                state.update(step=0, square_avg=np.zeros_like(param))
            state["step"] += 1
            grad = with_l2_decay(grad, param, weight_decay, maximize)
            square_avg = state["square_avg"]
            square_avg *= alpha
            square_avg += (1 - alpha) * grad * grad
            if centered:
                grad_avg = state.get("grad_avg")
                if grad_avg is None:
                    grad_avg = state["grad_avg"] = np.zeros_like(param)
                grad_avg += (1 - alpha) * (grad - grad_avg)
                denom = np.sqrt(square_avg - grad_avg * grad_avg)
            else:
                denom = np.sqrt(square_avg)
            denom += eps
            if momentum > 0:
                buffer = state.get("momentum_buffer")
                if buffer is None:
                    buffer = state["momentum_buffer"] = np.zeros_like(param)
                buffer *= momentum
                buffer += grad / denom
                param -= lr * buffer
            else:
                param -= lr * (grad / denom)
            bump_version(p)
