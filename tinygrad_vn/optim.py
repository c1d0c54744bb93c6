"""Optimizers following ``torch.optim``'s update equations; updates touch arrays, never the graph."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from . import backend
from .autograd import bump_version, replayed
from .tensor import Tensor


class Optimizer:
    """Holds the parameters to update; ``step()`` applies one update, ``zero_grad()`` clears gradients."""

    # The per-parameter buffers of state_dict(), each "count" (a positive int), "array" (the parameter's
    # shape, finite) or "nonnegative" (an array that is also >= 0).
    _STATE_KEYS: ClassVar[dict[str, str]] = {}

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor):
                raise TypeError(f"parameter {i} is a {type(p).__name__}, not a Tensor")
            if not p.requires_grad:
                raise ValueError(f"parameter {i} (shape {p.shape}) does not require grad")
        self.lr = checked_hyperparameter("learning rate", lr)

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

    def hyperparameters(self) -> dict[str, Any]:
        """The settings that ``state_dict`` records and ``load_state_dict`` restores (here: ``lr``)."""
        return {"lr": self.lr}

    def _set_hyperparameters(self, values: Mapping[str, Any]) -> None:
        self.lr = checked_hyperparameter("learning rate", values["lr"])

    def _per_parameter_state(self, index: int) -> dict[str, Any]:
        """Index ``index``'s buffers (empty when it has none yet); optimizers with state override this."""
        return {}

    def _load_per_parameter_state(self, index: int, state: Mapping[str, Any] | None) -> None:
        """Put back (or, for ``None``, reset) index ``index``'s buffers, already checked by the caller."""

    def state_dict(self) -> dict[str, Any]:
        """What resuming needs, as ``torch.optim`` keeps it: per-parameter buffers by parameter index.

        ``{"optimizer": class name, "hyperparameters": {...}, "state": {index: {name: array or int}}}``;
        indices whose parameter has no buffer yet are left out. Arrays are copies.
        """
        state = {}
        for index in range(len(self.params)):
            entry = self._per_parameter_state(index)
            if entry:
                state[index] = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in entry.items()}
        return {"optimizer": type(self).__name__, "hyperparameters": self.hyperparameters(), "state": state}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, for the same parameters in the same order.

        Everything is checked (optimizer type, hyper-parameters, indices, buffer names, shapes, finite
        numbers) before anything changes; buffers are copied into this optimizer's own arrays.
        """
        kind = type(self).__name__
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"optimizer", "hyperparameters", "state"}:
            raise ValueError(f"{kind}.load_state_dict wants the dict that state_dict() returns, with keys "
                             f"optimizer, hyperparameters and state")
        if state_dict["optimizer"] != kind:
            raise ValueError(f"cannot load the state of a {state_dict['optimizer']!r} optimizer into {kind}")
        hyper = state_dict["hyperparameters"]
        expected = set(self.hyperparameters())
        if not isinstance(hyper, Mapping) or set(hyper) != expected:
            raise ValueError(f"{kind}.load_state_dict: hyperparameters must have exactly the keys "
                             f"{', '.join(sorted(expected))}")
        per_parameter = state_dict["state"]
        if not isinstance(per_parameter, Mapping):
            raise ValueError(f"{kind}.load_state_dict: state must map parameter indices to buffers")
        checked = {index: self._checked_entry(index, entry) for index, entry in per_parameter.items()}
        self._set_hyperparameters(hyper)
        for index in range(len(self.params)):
            self._load_per_parameter_state(index, checked.get(index))

    def _checked_entry(self, index: Any, entry: Any) -> dict[str, Any]:
        kind = type(self).__name__
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < len(self.params):
            raise ValueError(f"{kind}.load_state_dict: state for parameter index {index!r}, but this optimizer "
                             f"holds parameters 0..{len(self.params) - 1}")
        index = int(index)
        if not isinstance(entry, Mapping) or set(entry) != set(self._STATE_KEYS):
            raise ValueError(f"{kind}.load_state_dict: the state of parameter {index} must have exactly the keys "
                             f"{', '.join(sorted(self._STATE_KEYS))}")
        param = self.params[index]
        checked: dict[str, Any] = {}
        for name, kind_of_value in self._STATE_KEYS.items():
            value = entry[name]
            if kind_of_value == "count":
                if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                    raise ValueError(f"{kind}.load_state_dict: {name} of parameter {index} must be a positive "
                                     f"integer, got {value!r}")
                checked[name] = int(value)
                continue
            array = np.asarray(getattr(value, "data", value))
            if array.shape != param.shape:
                raise ValueError(f"{kind}.load_state_dict: {name} of parameter {index} has shape {array.shape}, "
                                 f"the parameter has shape {param.shape}")
            if array.dtype.kind not in "fiu" or not np.isfinite(array).all():
                raise ValueError(f"{kind}.load_state_dict: {name} of parameter {index} must hold finite "
                                 f"real numbers")
            if kind_of_value == "nonnegative" and (array < 0).any():
                raise ValueError(f"{kind}.load_state_dict: {name} of parameter {index} must not be negative")
            checked[name] = array
        return checked


class SGD(Optimizer):
    """Gradient descent, optionally with momentum and L2 weight decay.

    g ← ∇ + wd·w;  v ← μ·v + g (v = g at the first step);  w ← w − lr·v  (plain w ← w − lr·∇ when μ = 0).
    """

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = checked_hyperparameter("momentum", momentum)
        self.weight_decay = checked_hyperparameter("weight_decay", weight_decay)
        self.velocity: list[np.ndarray | None] = [None] * len(self.params)

    _STATE_KEYS: ClassVar[dict[str, str]] = {"momentum_buffer": "array"}

    def hyperparameters(self) -> dict[str, Any]:
        """``lr``, ``momentum`` and ``weight_decay``."""
        return {"lr": self.lr, "momentum": self.momentum, "weight_decay": self.weight_decay}

    def _set_hyperparameters(self, values: Mapping[str, Any]) -> None:
        lr = checked_hyperparameter("learning rate", values["lr"])
        momentum = checked_hyperparameter("momentum", values["momentum"])
        weight_decay = checked_hyperparameter("weight_decay", values["weight_decay"])
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay

    def _per_parameter_state(self, index: int) -> dict[str, Any]:
        velocity = self.velocity[index]
        return {} if velocity is None else {"momentum_buffer": velocity}

    def _load_per_parameter_state(self, index: int, state: Mapping[str, Any] | None) -> None:
        if state is None:
            self.velocity[index] = None
            return
        if self.velocity[index] is None:
            self.velocity[index] = np.zeros_like(self.params[index].data)
        np.copyto(self.velocity[index], state["momentum_buffer"], casting="unsafe")

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
        self.betas = checked_betas(betas)
        self.eps = checked_hyperparameter("eps", eps)
        self.weight_decay = checked_hyperparameter("weight_decay", weight_decay)
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]
        self.steps = [0] * len(self.params)

    _STATE_KEYS: ClassVar[dict[str, str]] = {"step": "count", "exp_avg": "array", "exp_avg_sq": "nonnegative"}

    def hyperparameters(self) -> dict[str, Any]:
        """``lr``, ``betas`` (as a list, as JSON keeps it), ``eps`` and ``weight_decay``."""
        return {"lr": self.lr, "betas": list(self.betas), "eps": self.eps, "weight_decay": self.weight_decay}

    def _set_hyperparameters(self, values: Mapping[str, Any]) -> None:
        lr = checked_hyperparameter("learning rate", values["lr"])
        betas = checked_betas(values["betas"])
        eps = checked_hyperparameter("eps", values["eps"])
        weight_decay = checked_hyperparameter("weight_decay", values["weight_decay"])
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay

    def _per_parameter_state(self, index: int) -> dict[str, Any]:
        if not self.steps[index]:
            return {}
        return {"step": self.steps[index], "exp_avg": self.m[index], "exp_avg_sq": self.v[index]}

    def _load_per_parameter_state(self, index: int, state: Mapping[str, Any] | None) -> None:
        if state is None:
            self.m[index].fill(0)
            self.v[index].fill(0)
            self.steps[index] = 0
            return
        np.copyto(self.m[index], state["exp_avg"], casting="unsafe")
        np.copyto(self.v[index], state["exp_avg_sq"], casting="unsafe")
        self.steps[index] = state["step"]

    def _update(self, index: int, param: np.ndarray, grad: np.ndarray) -> None:
        beta1, beta2 = self.betas
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        self.steps[index] += 1
        backend.kernels.adam_step(param, grad, self.m[index], self.v[index], self.lr, beta1, beta2, self.eps,
                                  self.steps[index])


def checked_hyperparameter(name: str, value: Any) -> float:
    """``value`` as a float when it is a finite number of at least 0; otherwise a ValueError naming ``name``.

    PyTorch takes ``lr=nan`` and trains to NaN without a word; a non-finite setting is refused here.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")
    return float(value)


def checked_betas(betas: Any) -> tuple[float, float]:
    """Adam's ``(beta1, beta2)`` as floats, each finite and in [0, 1); otherwise a ValueError."""
    if isinstance(betas, (str, bytes)) or not isinstance(betas, Iterable):
        raise ValueError(f"betas must be a pair of numbers in [0, 1), got {betas!r}")
    pair = tuple(betas)
    if len(pair) != 2:
        raise ValueError(f"betas must be a pair of numbers in [0, 1), got {betas!r}")
    beta1, beta2 = (checked_hyperparameter("betas", b) for b in pair)
    if not (beta1 < 1 and beta2 < 1):
        raise ValueError(f"betas must lie in [0, 1), got {betas}")
    return beta1, beta2
