"""Learning-rate schedules that set ``group["lr"]`` of an optimizer's param groups, as ``torch.optim.lr_scheduler``.

Each scheduler's ``step()`` (called once per epoch or per batch, after ``optimizer.step()``) moves
``last_epoch`` on by one and writes the new learning rates into the param groups, with the same
recurrences PyTorch uses, so the sequences agree with torch's to rounding. ``get_last_lr()`` returns
what the last step set. Because the optimizer reads its groups when it steps, a schedule also drives
a step compiled with ``tg.compile``.

    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    schedule = optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(90):
        train_one_epoch()
        schedule.step()
"""

from __future__ import annotations

import copy
import math
import types
import warnings
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .optimizer import Optimizer

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "LambdaLR", "LinearLR", "MultiStepLR", "OneCycleLR",
           "ReduceLROnPlateau", "SequentialLR", "StepLR"]


def _number(owner: str, label: str, value: Any, *, low: float = 0.0, low_open: bool = False,
            high: float | None = None, high_open: bool = False) -> float:
    """``value`` as a float when it is a finite number in the range; otherwise a ValueError naming it."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, (bool, str, bytes)):
        raise ValueError(f"{owner}: {label} must be a number, got {value!r}")
    if not math.isfinite(number):
        raise ValueError(f"{owner}: {label} must be a finite number, got {value}")
    if number < low or (low_open and number == low) or (high is not None and (
            number > high or (high_open and number == high))):
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        if high is not None:
            span = f"in {left}{low:g}, {high:g}{right}"
        else:
            span = f"{'above' if low_open else 'at least'} {low:g}"
        raise ValueError(f"{owner}: {label} must be {span}, got {value}")
    return number


def _count(owner: str, label: str, value: Any, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"{owner}: {label} must be an integer of at least {least}, got {value!r}")
    return value


def _per_group(owner: str, label: str, optimizer: Optimizer, value: Any, **limits: Any) -> list[float]:
    """One checked number per param group: ``value`` itself for each, or its items when it is a list/tuple."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(f"{owner}: {label} has {len(value)} values, and the optimizer "
                             f"{len(optimizer.param_groups)} param groups")
        return [_number(owner, f"{label}[{i}]", v, **limits) for i, v in enumerate(value)]
    return [_number(owner, label, value, **limits)] * len(optimizer.param_groups)


class LRScheduler:
    """The base of the epoch-driven schedules: ``step()`` advances ``last_epoch`` and applies ``get_lr()``.

    Creating a scheduler records each group's ``initial_lr`` (when ``last_epoch`` is -1) and takes
    the first step, which sets the learning rates of epoch 0. ``state_dict()`` holds everything but
    the optimizer; save the optimizer's own state next to it.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        owner = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{owner} needs a tinygrad_vn optimizer, got a {type(optimizer).__name__}")
        _count(owner, "last_epoch", last_epoch, -1)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for index, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ValueError(f"{owner}: param group {index} has no 'initial_lr', which resuming with "
                                     f"last_epoch={last_epoch} needs: load the optimizer's state_dict first, or "
                                     "leave last_epoch at -1 for a new run")
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """Take the step that sets epoch 0's learning rates (made when the scheduler is created)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rates of epoch ``last_epoch``, one per param group (used by ``step``)."""
        raise NotImplementedError(f"{type(self).__name__} defines no get_lr")

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per param group."""
        return list(self._last_lr)

    def step(self, epoch: int | None = None) -> None:
        """Move to the next epoch and set its learning rates (``epoch``: jump there, deprecated as in torch)."""
        if self._step_count == 1 and not self._is_initial and self.optimizer._step_calls == 0:
            warnings.warn("lr_scheduler.step() was called before optimizer.step(); call optimizer.step() first, "
                          "or the first value of the schedule is skipped (as PyTorch warns too)", UserWarning,
                          stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn("passing an epoch to scheduler.step() is deprecated (as in PyTorch); call step() once "
                          "per epoch", UserWarning, stacklevel=2)
            _count(type(self).__name__, "epoch", epoch, 0)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for index, (group, lr) in enumerate(zip(self.optimizer.param_groups, values, strict=True)):
            # a negative rate (OneCycleLR's linear anneal overshoots on its last step) is refused by
            # optimizer.step() if a step ever uses it, as after the last step none does
            group["lr"] = _number(type(self).__name__, f"the learning rate it computed for param group {index}", lr,
                                  low=-math.inf)
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _warn_if_called_outside_step(self) -> None:
        if not getattr(self, "_get_lr_called_within_step", False):
            warnings.warn("to read the learning rate the scheduler set last, use get_last_lr()", UserWarning,
                          stacklevel=3)

    def _rewind(self) -> None:
        """Take back one epoch (SequentialLR undoes the initial step of each scheduler it is given)."""
        self.last_epoch -= 1

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer (copies), for :meth:`load_state_dict`."""
        return {key: copy.deepcopy(value) for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned; the keys must be this scheduler's own."""
        owner = type(self).__name__
        expected = set(self.state_dict())
        if not isinstance(state_dict, dict) or set(state_dict) != expected:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{owner}.load_state_dict wants the dict that {owner}.state_dict() returns, with keys "
                             f"{', '.join(sorted(expected))}; got {got}")
        if isinstance(state_dict["last_epoch"], bool) or not isinstance(state_dict["last_epoch"], int):
            raise ValueError(f"{owner}.load_state_dict: last_epoch must be an integer, got "
                             f"{state_dict['last_epoch']!r}")
        for key in ("base_lrs", "_last_lr"):
            values = state_dict.get(key)
            if values is not None:
                if not isinstance(values, list) or len(values) != len(self.optimizer.param_groups):
                    raise ValueError(f"{owner}.load_state_dict: {key} must list one learning rate per param group")
                for i, value in enumerate(values):
                    _number(f"{owner}.load_state_dict", f"{key}[{i}]", value)
        self.__dict__.update(copy.deepcopy(state_dict))


class LambdaLR(LRScheduler):
    """lr = initial_lr · lr_lambda(epoch), with one function for all groups or one per group."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        groups = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
        functions = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
        if len(functions) != groups and isinstance(optimizer, Optimizer):
            raise ValueError(f"LambdaLR: expected {groups} lr_lambdas (one per param group), got {len(functions)}")
        for i, function in enumerate(functions):
            if not callable(function):
                raise TypeError(f"LambdaLR: lr_lambda {i} must be a function of the epoch, got a "
                                f"{type(function).__name__}")
        self.lr_lambdas = functions
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """initial_lr times each group's factor at ``last_epoch``."""
        self._warn_if_called_outside_step()
        lrs = []
        for i, (function, base_lr) in enumerate(zip(self.lr_lambdas, self.base_lrs, strict=True)):
            factor = _number("LambdaLR", f"lr_lambda {i}({self.last_epoch})", function(self.last_epoch), low=-math.inf)
            lrs.append(base_lr * factor)
        return lrs

    def state_dict(self) -> dict[str, Any]:
        """As the base's, with each callable object's attributes in place of the functions (plain functions
        and lambdas are not saved, as in torch)."""
        state = {key: copy.deepcopy(value) for key, value in self.__dict__.items()
                 if key not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else copy.deepcopy(fn.__dict__)
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the counters, and the attributes of callable-object lambdas."""
        if not isinstance(state_dict, dict) or "lr_lambdas" not in state_dict:
            raise ValueError("LambdaLR.load_state_dict wants the dict that LambdaLR.state_dict() returns")
        saved = state_dict["lr_lambdas"]
        if not isinstance(saved, list) or len(saved) != len(self.lr_lambdas):
            raise ValueError(f"LambdaLR.load_state_dict: lr_lambdas must list {len(self.lr_lambdas)} entries")
        functions = self.lr_lambdas
        super().load_state_dict({**state_dict, "lr_lambdas": functions})
        self.lr_lambdas = functions
        for function, attributes in zip(functions, saved):
            if attributes is not None:
                function.__dict__.update(copy.deepcopy(attributes))


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs: lr = initial_lr · γ^⌊epoch / step_size⌋."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size = _count("StepLR", "step_size", step_size, 1)
        self.gamma = _number("StepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current rates, times gamma at each multiple of ``step_size``."""
        self._warn_if_called_outside_step()
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each milestone epoch (a milestone listed n times: by γⁿ)."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Iterable):
            raise ValueError(f"MultiStepLR: milestones must be a list of epochs, got {milestones!r}")
        listed = list(milestones)
        for i, milestone in enumerate(listed):
            _count("MultiStepLR", f"milestones[{i}]", milestone, 0)
        self.milestones = Counter(listed)
        self.gamma = _number("MultiStepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current rates, times gamma to the milestone's multiplicity at a milestone."""
        self._warn_if_called_outside_step()
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list[float]:
        passed = bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base_lr * self.gamma**passed for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch: lr = initial_lr · γ^epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _number("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current rates times gamma (unchanged at the initial step)."""
        self._warn_if_called_outside_step()
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Anneal from initial_lr to ``eta_min`` along half a cosine over ``T_max`` epochs (then back up, and so on).

    lr = eta_min + (initial_lr − eta_min) · (1 + cos(π · epoch / T_max)) / 2, reached step by step with
    torch's recurrence (which also follows changes made to the rates by others).
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        period = _number("CosineAnnealingLR", "T_max", T_max, low_open=True)
        self.T_max = T_max if isinstance(T_max, int) else period
        self.eta_min = _number("CosineAnnealingLR", "eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The next rates by the cosine recurrence."""
        self._warn_if_called_outside_step()
        epoch, period, low = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and epoch > 0:  # resumed at a later epoch: the closed form
            return [low + (base_lr - low) * (1 + math.cos(epoch * math.pi / period)) / 2 for base_lr in self.base_lrs]
        if (epoch - 1 - period) % (2 * period) == 0:  # the bottom of the cosine: start climbing back
            return [lr + (base_lr - low) * (1 - math.cos(math.pi / period)) / 2
                    for base_lr, lr in zip(self.base_lrs, self._current_lrs(), strict=True)]
        ratio = (1 + math.cos(math.pi * epoch / period)) / (1 + math.cos(math.pi * (epoch - 1) / period))
        return [ratio * (lr - low) + low for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list[float]:
        return [self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the learning rate by a factor moving linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs (a warm-up, typically), then keep it."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1) -> None:
        self.start_factor = _number("LinearLR", "start_factor", start_factor, low_open=True, high=1.0)
        self.end_factor = _number("LinearLR", "end_factor", end_factor, high=1.0)
        self.total_iters = _count("LinearLR", "total_iters", total_iters, 1)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current rates times the ratio of this epoch's factor to the last one's."""
        self._warn_if_called_outside_step()
        start, end = self.start_factor, self.end_factor
        if self.last_epoch == 0:
            return [lr * start for lr in self._current_lrs()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._current_lrs()
        ratio = 1.0 + (end - start) / (self.total_iters * start + (self.last_epoch - 1) * (end - start))
        return [lr * ratio for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list[float]:
        progress = min(self.total_iters, self.last_epoch) / self.total_iters
        return [base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)
                for base_lr in self.base_lrs]


class SequentialLR(LRScheduler):
    """Run ``schedulers`` one after another, switching to the next at each of ``milestones`` (epochs)."""

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler], milestones: Sequence[int],
                 last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"SequentialLR needs a tinygrad_vn optimizer, got a {type(optimizer).__name__}")
        schedulers, milestones = list(schedulers), list(milestones)
        if not schedulers:
            raise ValueError("SequentialLR needs at least one scheduler")
        for i, scheduler in enumerate(schedulers):
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(f"SequentialLR: scheduler {i} is a ReduceLROnPlateau, whose step() needs a metric; "
                                 "it cannot be sequenced")
            if not isinstance(scheduler, LRScheduler):
                raise TypeError(f"SequentialLR: scheduler {i} is a {type(scheduler).__name__}, not a scheduler")
            if scheduler.optimizer is not optimizer:
                raise ValueError(f"SequentialLR: scheduler {i} ({type(scheduler).__name__}) belongs to another "
                                 "optimizer")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: {len(schedulers)} schedulers need {len(schedulers) - 1} milestones, "
                             f"got {len(milestones)}")
        for i, milestone in enumerate(milestones):
            _count("SequentialLR", f"milestones[{i}]", milestone, 0)
        if milestones != sorted(milestones):
            raise ValueError(f"SequentialLR: milestones must be in increasing order, got {milestones}")
        _count("SequentialLR", "last_epoch", last_epoch, -1)
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:  # undo what creating the schedulers did
            group["lr"] = group["initial_lr"]
        for scheduler in schedulers:
            scheduler._rewind()
        first = schedulers[bisect_right(milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def _rewind(self) -> None:
        for scheduler in self._schedulers:
            scheduler._rewind()

    def step(self) -> None:  # type: ignore[override]
        """Step the scheduler whose span holds the next epoch (restarting it at its milestone)."""
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """The sequence's counters and each scheduler's own state dict."""
        state = {key: copy.deepcopy(value) for key, value in self.__dict__.items()
                 if key not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the counters and every scheduler's state."""
        if not isinstance(state_dict, dict) or set(state_dict) != set(self.state_dict()):
            raise ValueError("SequentialLR.load_state_dict wants the dict that SequentialLR.state_dict() returns")
        saved = state_dict["_schedulers"]
        if not isinstance(saved, list) or len(saved) != len(self._schedulers):
            raise ValueError(f"SequentialLR.load_state_dict: _schedulers must list {len(self._schedulers)} states")
        for scheduler, state in zip(self._schedulers, saved):
            scheduler.load_state_dict(state)
        self.__dict__.update({key: copy.deepcopy(value) for key, value in state_dict.items() if key != "_schedulers"})


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin): warm up from max_lr/div_factor to max_lr, then anneal to
    max_lr/(div_factor·final_div_factor), over ``total_steps`` batches; momentum (SGD's ``momentum``,
    Adam's β₁) cycles the opposite way between ``max_momentum`` and ``base_momentum``."""

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float], total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True, base_momentum: float | list[float] = 0.85,
                 max_momentum: float | list[float] = 0.95, div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1) -> None:
        owner = "OneCycleLR"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{owner} needs a tinygrad_vn optimizer, got a {type(optimizer).__name__}")
        if total_steps is not None:
            self.total_steps = _count(owner, "total_steps", total_steps, 1)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = (_count(owner, "epochs", epochs, 1)
                                * _count(owner, "steps_per_epoch", steps_per_epoch, 1))
        else:
            raise ValueError(f"{owner}: give total_steps, or both epochs and steps_per_epoch")
        pct_start = _number(owner, "pct_start", pct_start, high=1.0)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{owner}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        if not isinstance(cycle_momentum, bool) or not isinstance(three_phase, bool):
            raise ValueError(f"{owner}: cycle_momentum and three_phase must be True or False")
        div_factor = _number(owner, "div_factor", div_factor, low_open=True)
        final_div_factor = _number(owner, "final_div_factor", final_div_factor, low_open=True)
        self.anneal_strategy = anneal_strategy
        warm_end = float(pct_start * self.total_steps) - 1
        if three_phase:
            self._schedule_phases = [
                {"end_step": warm_end, "start_lr": "initial_lr", "end_lr": "max_lr",
                 "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
                {"end_step": float(2 * pct_start * self.total_steps) - 2, "start_lr": "max_lr", "end_lr": "initial_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
                {"end_step": self.total_steps - 1, "start_lr": "initial_lr", "end_lr": "min_lr",
                 "start_momentum": "max_momentum", "end_momentum": "max_momentum"},
            ]
        else:
            self._schedule_phases = [
                {"end_step": warm_end, "start_lr": "initial_lr", "end_lr": "max_lr",
                 "start_momentum": "max_momentum", "end_momentum": "base_momentum"},
                {"end_step": self.total_steps - 1, "start_lr": "max_lr", "end_lr": "min_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
            ]
        max_lrs = _per_group(owner, "max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for peak, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"{owner}: cycle_momentum needs an optimizer with momentum or betas, and "
                                 f"{type(optimizer).__name__} has neither; pass cycle_momentum=False")
            self.use_beta1 = "betas" in optimizer.defaults
            highs = _per_group(owner, "max_momentum", optimizer, max_momentum, high=1.0)
            lows = _per_group(owner, "base_momentum", optimizer, base_momentum, high=1.0)
            if last_epoch == -1:
                for high, low, group in zip(highs, lows, optimizer.param_groups):
                    if self.use_beta1:
                        group["betas"] = (high, *group["betas"][1:])
                    else:
                        group["momentum"] = high
                    group["max_momentum"] = high
                    group["base_momentum"] = low
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        """This step's rates (and, with cycle_momentum, momenta set into the groups) from the phase it falls in."""
        self._warn_if_called_outside_step()
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {step} times, but total_steps is {self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end_step = phase["end_step"]
                if step <= end_step or i == len(self._schedule_phases) - 1:
                    pct = (step - start_step) / (end_step - start_step)
                    lr = self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct)
                    if self.cycle_momentum:
                        momentum = self._anneal(group[phase["start_momentum"]], group[phase["end_momentum"]], pct)
                    break
                start_step = phase["end_step"]
            lrs.append(lr)
            if self.cycle_momentum:
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        return lrs


class ReduceLROnPlateau(LRScheduler):
    """Divide the learning rate by 1/``factor`` when a metric stopped improving for ``patience`` epochs.

    ``step(metric)`` takes the epoch's metric (a validation loss, with ``mode="min"``); after
    ``patience`` epochs without an improvement beyond ``threshold`` each group's rate becomes
    max(lr·factor, min_lr), then ``cooldown`` epochs pass before counting again.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float | list[float] = 0.0, eps: float = 1e-8) -> None:
        owner = "ReduceLROnPlateau"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{owner} needs a tinygrad_vn optimizer, got a {type(optimizer).__name__}")
        if mode not in ("min", "max"):
            raise ValueError(f"{owner}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{owner}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.factor = _number(owner, "factor", factor, high=1.0, high_open=True)
        self.optimizer = optimizer
        self.default_min_lr: float | None = None
        if isinstance(min_lr, (list, tuple)):
            self.min_lrs = _per_group(owner, "min_lr", optimizer, min_lr)
        else:
            self.default_min_lr = _number(owner, "min_lr", min_lr)
            self.min_lrs = [self.default_min_lr] * len(optimizer.param_groups)
        self.patience = _count(owner, "patience", patience, 0)
        self.cooldown = _count(owner, "cooldown", cooldown, 0)
        self.eps = _number(owner, "eps", eps)
        self.mode, self.threshold_mode = mode, threshold_mode
        self.threshold = _number(owner, "threshold", threshold)
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        """Whether the epochs after a reduction, during which bad epochs are not counted, are running."""
        return self.cooldown_counter > 0

    def _is_better(self, value: float, best: float) -> bool:
        if self.mode == "min":
            return value < (best * (1.0 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold)
        return value > (best * (1.0 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold)

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record one epoch's metric, and reduce the rates if it has not improved for long enough."""
        try:
            current = float(metrics)
        except (TypeError, ValueError):
            raise ValueError(f"ReduceLROnPlateau.step needs the epoch's metric as a number, got {metrics!r}") from None
        if math.isnan(current):
            raise ValueError("ReduceLROnPlateau.step got a NaN metric, which can neither improve nor not improve; "
                             "check the loss for NaN before stepping the scheduler")
        if epoch is not None:
            warnings.warn("passing an epoch to scheduler.step() is deprecated (as in PyTorch)", UserWarning,
                          stacklevel=2)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise ValueError(f"ReduceLROnPlateau: the optimizer now has {len(groups)} param groups and min_lr "
                                 f"lists {len(self.min_lrs)}; set min_lrs to one value per group")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, floor in zip(groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, floor)
            if old - new > self.eps:
                group["lr"] = new
