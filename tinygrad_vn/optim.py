"""Optimizers following ``torch.optim``'s update equations; updates touch arrays, never the graph."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from . import backend
from .autograd import bump_version, replayed
from .tensor import Tensor


class Optimizer:
    """Holds the parameters to update; ``step()`` applies one update, ``zero_grad()`` clears gradients."""

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor):
                raise TypeError(f"parameter {i} is a {type(p).__name__}, not a Tensor")
            if not p.requires_grad:
                raise ValueError(f"parameter {i} (shape {p.shape}) does not require grad")
        if lr < 0:
            raise ValueError(f"learning rate must be non-negative, got {lr}")
        self.lr = lr

    @replayed
    def zero_grad(self) -> None:
        """Forget every parameter's gradient."""
        for p in self.params:
            p.grad = None

    @replayed
    def step(self) -> None:
        """Update every parameter that has a gradient."""
        for i, p in enumerate(self.params):
            if p.grad is not None:
                self._update(i, p._data, p.grad._data)
                bump_version(p)  # a backward that saved the old values now refuses

    def _update(self, index: int, param: np.ndarray, grad: np.ndarray) -> None:
        raise TypeError(f"{type(self).__name__} defines no update rule")


class SGD(Optimizer):
    """Gradient descent, optionally with momentum and L2 weight decay.

    g ← ∇ + wd·w;  v ← μ·v + g (v = g at the first step);  w ← w − lr·v  (plain w ← w − lr·∇ when μ = 0).
    """

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        if momentum < 0 or weight_decay < 0:
            raise ValueError("momentum and weight_decay must be non-negative")
        self.momentum, self.weight_decay = momentum, weight_decay
        self.velocity: list[np.ndarray | None] = [None] * len(self.params)

    def _update(self, index: int, param: np.ndarray, grad: np.ndarray) -> None:
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        if self.momentum:
            velocity = self.velocity[index]
            if velocity is None:  # zero velocity makes the first step v = g
                velocity = self.velocity[index] = np.zeros_like(param)
            backend.kernels.sgd_momentum_step(param, grad, velocity, self.lr, self.momentum)
        else:
            param -= self.lr * grad


class Adam(Optimizer):
    """Adam with bias correction (Kingma & Ba), L2 weight decay added to the gradient as in torch.optim.Adam.

    m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  w ← w − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε).
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]
        self.steps = [0] * len(self.params)

    def _update(self, index: int, param: np.ndarray, grad: np.ndarray) -> None:
        beta1, beta2 = self.betas
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        self.steps[index] += 1
        backend.kernels.adam_step(param, grad, self.m[index], self.v[index], self.lr, beta1, beta2, self.eps,
                                  self.steps[index])
