"""The base of every optimizer: parameter groups, per-parameter state and state dicts, as ``torch.optim``'s.

An optimizer holds ``param_groups``, a list of dicts each with ``"params"`` (the tensors it updates)
and every setting of the update (``"lr"``, ``"momentum"``, ...); ``step()`` reads them at call time,
so changing ``group["lr"]`` (by hand or through a scheduler of :mod:`.lr_scheduler`) takes effect at
the next step, inside ``tg.compile`` too, where ``step`` is a replayed call. ``state`` maps each
parameter to its buffers (NumPy arrays and a step count). Updates work on the arrays in place and
never build a graph.
"""

from __future__ import annotations

import copy
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from ..autograd import bump_version, enable_grad, replayed
from ..tensor import Tensor

Checker = Callable[[str, Any], Any]
"""Checks one setting (given its label for messages and its value) and returns the value to keep."""


class Optimizer:
    """Holds parameter groups to update; ``step()`` applies one update, ``zero_grad()`` clears gradients.

    Subclasses declare ``SETTINGS`` (each setting's checker), ``BUFFERS`` (the per-parameter state
    buffers ``load_state_dict`` accepts) and implement ``_step_group``.
    """

    SETTINGS: ClassVar[dict[str, Checker]] = {}
    """Each setting of a param group, with the function that checks (and normalises) its value."""
    BUFFERS: ClassVar[dict[str, tuple[str, bool]]] = {}
    """Each per-parameter buffer: (kind, required). Kinds: "count" (an integer step), "array" (finite,
    the parameter's shape), "nonnegative" (an array that is also >= 0)."""
    FIRST_STEP: ClassVar[int] = 1
    """The smallest step count a saved state may hold (Adagrad starts its state at 0)."""
    LEGACY_SETTINGS: ClassVar[dict[str, Any]] = {}
    """Settings that tinygrad_vn's state dicts from before param groups lacked, with the value they meant."""

    def __init__(self, params: Iterable[Tensor] | Iterable[Mapping[str, Any]], defaults: Mapping[str, Any]) -> None:
        kind = type(self).__name__
        if isinstance(params, (Tensor, Mapping)) or not isinstance(params, Iterable):
            raise TypeError(f"{kind}: params must be an iterable of Tensors or of param-group dicts, got a "
                            f"{type(params).__name__} (wrap a single tensor in a list)")
        self.defaults: dict[str, Any] = self._checked_settings(defaults, "")
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._checked_values: dict[int, list[Any]] = {}
        self._step_calls = 0
        groups = list(params)
        if not groups:
            raise ValueError(f"{kind}: optimizer got an empty parameter list")
        if not isinstance(groups[0], Mapping):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def params(self) -> list[Tensor]:
        """Every parameter of every group, in group order."""
        return [p for group in self.param_groups for p in group["params"]]

    @property
    def lr(self) -> float:
        """The learning rate of the first param group (``param_groups[0]["lr"]``)."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        if len(self.param_groups) != 1:
            raise ValueError(f"{type(self).__name__}.lr can be set only with a single param group, and this optimizer "
                             f"has {len(self.param_groups)}: set param_groups[i]['lr'] instead")
        self.param_groups[0]["lr"] = self.SETTINGS["lr"]("learning rate (lr)", value)

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group of parameters with its own settings; settings it does not give come from ``defaults``."""
        kind = type(self).__name__
        where = f" param group {len(self.param_groups)}"
        if not isinstance(param_group, Mapping):
            raise TypeError(f"{kind}:{where} must be a dict with 'params', got a {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{kind}:{where} has no 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{kind}:{where}: params must be an ordered collection (a list), not a set, so that "
                            "state dicts match parameters by position")
        elif isinstance(params, (str, bytes, Mapping)) or not isinstance(params, Iterable):
            raise TypeError(f"{kind}:{where}: params must be an iterable of Tensors, got a {type(params).__name__}")
        params = list(params)
        taken = {id(p) for group in self.param_groups for p in group["params"]}
        seen: set[int] = set()
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{kind}:{where}: parameter {i} is a {type(p).__name__}, not a Tensor")
            if not p.requires_grad:
                raise ValueError(f"{kind}:{where}: parameter {i} (shape {p.shape}) does not require grad")
            if p._ctx is not None:
                raise ValueError(f"{kind}:{where}: parameter {i} (shape {p.shape}) is not a leaf tensor (it was "
                                 "computed by an op); optimize the tensors it was computed from")
            if id(p) in seen:
                raise ValueError(f"{kind}:{where}: parameter {i} (shape {p.shape}) appears twice in the group")
            if id(p) in taken:
                raise ValueError(f"{kind}:{where}: parameter {i} (shape {p.shape}) is already in another param group")
            seen.add(id(p))
        settings = {name: param_group.get(name, self.defaults[name]) for name in self.SETTINGS}
        group = {"params": params, **self._checked_settings(settings, where)}
        group.update({key: value for key, value in param_group.items() if key not in group})
        self.param_groups.append(group)
        self._init_state(group)

    def _init_state(self, group: dict[str, Any]) -> None:
        """Create the buffers a new group's parameters start with (none, unless an optimizer overrides this)."""

    @classmethod
    def _checked_settings(cls, settings: Mapping[str, Any], where: str) -> dict[str, Any]:
        """``settings`` (which must name every setting) checked, normalised, in ``SETTINGS`` order."""
        checked = {}
        for name, check in cls.SETTINGS.items():
            label = "learning rate (lr)" if name == "lr" else name
            try:
                checked[name] = check(label, settings[name])
            except ValueError as err:
                raise ValueError(f"{cls.__name__}:{where}: {err}" if where else f"{cls.__name__}: {err}") from None
        cls._check_combination(checked, where)
        return checked

    @classmethod
    def _check_combination(cls, settings: dict[str, Any], where: str) -> None:
        """Raise if settings that are each valid do not go together (SGD's nesterov without momentum)."""

    def _check_groups(self) -> None:
        """Re-check each group's settings when they changed since the last step (a schedule, a hand edit)."""
        checked, settings = self._checked_values, self.SETTINGS
        for index, group in enumerate(self.param_groups):
            values = list(map(group.get, settings))  # a third faster than a comprehension: a compiled step calls this
            if checked.get(id(group)) != values:
                missing = [name for name in self.SETTINGS if name not in group]
                if missing:
                    raise ValueError(f"{type(self).__name__}: param group {index} lost its {', '.join(missing)}")
                self._checked_settings(group, f" param group {index}")
                self._checked_values[id(group)] = values

    @replayed
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (``set_to_none=False``: fill the gradients with zeros instead)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p._grad = None
                elif p._grad is not None:
                    p._grad._data.fill(0)
                    bump_version(p._grad)

    @replayed
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; ``closure`` (optional) recomputes and returns the loss.

        Each updated parameter's version goes up, so a backward that saved its old values refuses.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._check_groups()
        for group in self.param_groups:
            self._step_group(group)
        self._step_calls += 1
        return loss

    def _step_group(self, group: dict[str, Any]) -> None:
        raise TypeError(f"{type(self).__name__} defines no update rule")

    def plan_step(self, plan: Any, flat: str, grad_flat: str, params: list[Tensor], views: list[np.ndarray],
                  grad_views: list[np.ndarray], loop: Any = None) -> bool:
        """Write this optimizer's update into a prepared plan (``tinygrad_vn.plan``): one kernel call per
        param group over its slice of the flat parameter and gradient arrays, with guards that the groups,
        the state and the settings the update was written for are still there. With ``loop`` (a
        ``fused.LoopBuilder``) the update becomes lines of the whole-step kernel instead. False: no such form."""
        me, groups = plan.constant(self, "o"), plan.constant(self.param_groups, "L")
        state = plan.constant(self.state, "S")
        plan.guard(f"{me}.param_groups is {groups} and len({groups}) == {len(self.param_groups)} "
                   f"and {me}.state is {state}")
        self._check_groups()  # the settings bound below are then ones that passed the check
        unchanged = []
        for group in self.param_groups:
            for setting in self.SETTINGS:
                checked = f"cv{len(plan.bound)}"
                plan.bound[checked] = group.get(setting)
                unchanged.append(f"{plan.constant(group, 'q')}.get({setting!r}) is {checked}")
        plan.body.append(f"    if not ({' and '.join(unchanged)}):  # a setting changed: check the groups again\n"
                         f"        {me}._check_groups()")
        offset = 0
        for index, group in enumerate(self.param_groups):
            size = sum(p.data.size for p in group["params"])
            name = plan.constant(group, "q")
            plan.guard(f"{groups}[{index}] is {name} and len({name}['params']) == {len(group['params'])}")
            parameters = plan.constant(plan.bound[flat][offset:offset + size], "P")
            gradients = plan.constant(plan.bound[grad_flat][offset:offset + size], "G")
            offset += size
            if not self._plan_group(plan, group, name, parameters, gradients, loop):
                return False
        return True

    def _plan_group(self, plan: Any, group: dict[str, Any], name: str, params: str, grads: str,
                    loop: Any = None) -> bool:
        """Write one group's update (``name`` its dict, ``params``/``grads`` its flat slices), as kernel calls
        of the plan or, with ``loop``, as lines of the whole-step kernel; False: no such form."""
        return False

    def _flat_state(self, plan: Any, group: dict[str, Any], buffer: str) -> str | None:
        """One flat array holding buffer ``buffer`` of each of the group's parameters, which become views
        into it (guarded each call); None when a parameter lacks that buffer."""
        arrays = []
        for p in group["params"]:
            entry = self.state.get(p)
            array = entry.get(buffer) if entry else None
            if not isinstance(array, np.ndarray) or array.shape != p.shape or array.dtype != p.dtype:
                return None
            arrays.append(array)
        flat = np.empty(sum(a.size for a in arrays), arrays[0].dtype)
        offset = 0
        state = plan.constant(self.state, "S")
        for p, array in zip(group["params"], arrays):
            view = flat[offset:offset + array.size].reshape(array.shape)
            view[...] = array
            offset += array.size
            entry = self.state[p]
            entry[buffer] = view
            plan.guard(f"{state}.get({plan.constant(p, 'p')}) is {plan.constant(entry, 'e')} and "
                       f"{plan.constant(entry, 'e')}[{buffer!r}] is {plan.constant(view, 'sv')}")
        return plan.constant(flat, "F")

    def hyperparameters(self) -> dict[str, Any]:
        """The settings of this optimizer's single param group, JSON-ready (tuples as lists).

        A training checkpoint records these; with several groups, read ``param_groups`` instead.
        """
        if len(self.param_groups) != 1:
            raise ValueError(f"{type(self).__name__}.hyperparameters() describes a single param group, and this "
                             f"optimizer has {len(self.param_groups)}; read param_groups instead")
        group = self.param_groups[0]
        return {name: list(group[name]) if isinstance(group[name], tuple) else group[name] for name in self.SETTINGS}

    def state_dict(self) -> dict[str, Any]:
        """What resuming needs, in ``torch.optim``'s layout: ``{"state": ..., "param_groups": [...]}``.

        Parameters are numbered across groups in order; ``state`` maps those numbers to copies of the
        buffers (parameters without any yet are left out) and each group lists its numbers under
        ``"params"`` next to its settings. Unlike torch's, the arrays are copies, not the live buffers.
        """
        numbers: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: copy.deepcopy(value) for key, value in group.items() if key != "params"}
            packed["params"] = [numbers.setdefault(id(p), len(numbers)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                entry = self.state.get(p)
                if entry:
                    state[numbers[id(p)]] = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in entry.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, for parameters in the same groups and order.

        Everything is checked (group count and sizes, every setting, parameter numbers, buffer names,
        shapes, finite numbers) before anything changes; buffers are copied, in each parameter's dtype.
        The layout tinygrad_vn used before param groups (``optimizer``, ``hyperparameters``, ``state``)
        is read too.
        """
        kind = type(self).__name__
        if isinstance(state_dict, Mapping) and set(state_dict) == {"optimizer", "hyperparameters", "state"}:
            state_dict = self._from_single_group_layout(state_dict)
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{kind}.load_state_dict wants the dict that state_dict() returns, with keys state and "
                             f"param_groups")
        saved_groups = state_dict["param_groups"]
        if not isinstance(saved_groups, (list, tuple)) or len(saved_groups) != len(self.param_groups):
            count = len(saved_groups) if isinstance(saved_groups, (list, tuple)) else "no list of"
            raise ValueError(f"{kind}.load_state_dict: the state has {count} param groups, this optimizer "
                             f"{len(self.param_groups)}")
        by_number: dict[Any, Tensor] = {}
        groups = []
        for index, (ours, saved) in enumerate(zip(self.param_groups, saved_groups)):
            groups.append(self._loaded_group(index, ours, saved, by_number))
        per_parameter = state_dict["state"]
        if not isinstance(per_parameter, Mapping):
            raise ValueError(f"{kind}.load_state_dict: state must map parameter numbers to buffers")
        loaded = {}
        for number, entry in per_parameter.items():
            param = by_number.get(number) if isinstance(number, (int, np.integer)) and not isinstance(
                number, bool) else None
            if param is None:
                raise ValueError(f"{kind}.load_state_dict: state for parameter index {number!r}, but the param groups "
                                 f"number their parameters {sorted(by_number)}")
            loaded[param] = self._checked_entry(int(number), param, entry)
        self.param_groups = groups
        self._checked_values = {}
        self.state = defaultdict(dict, loaded)

    def _from_single_group_layout(self, state_dict: Mapping[str, Any]) -> dict[str, Any]:
        """The torch layout of a state dict written before param groups: one group, parameters numbered in order."""
        kind = type(self).__name__
        if state_dict["optimizer"] != kind:
            raise ValueError(f"cannot load the state of a {state_dict['optimizer']!r} optimizer into {kind}")
        if len(self.param_groups) != 1:
            raise ValueError(f"{kind}.load_state_dict: a state without param groups fits a single group, and this "
                             f"optimizer has {len(self.param_groups)}")
        hyper = state_dict["hyperparameters"]
        if not isinstance(hyper, Mapping) or not set(self.SETTINGS) - set(self.LEGACY_SETTINGS) <= set(
                hyper) <= set(self.SETTINGS):
            raise ValueError(f"{kind}.load_state_dict: hyperparameters must have exactly the keys "
                             f"{', '.join(sorted(self.SETTINGS))}")
        group = {**self.LEGACY_SETTINGS, **hyper, "params": list(range(len(self.param_groups[0]["params"])))}
        return {"state": state_dict["state"], "param_groups": [group]}

    def _loaded_group(self, index: int, ours: dict[str, Any], saved: Any, by_number: dict[Any, Tensor]
                      ) -> dict[str, Any]:
        """Our group ``index`` with ``saved``'s settings, after checking them; fills ``by_number``."""
        kind = type(self).__name__
        if not isinstance(saved, Mapping) or "params" not in saved:
            raise ValueError(f"{kind}.load_state_dict: param group {index} must be a dict with 'params'")
        numbers = saved["params"]
        if not isinstance(numbers, (list, tuple)) or len(numbers) != len(ours["params"]):
            size = len(numbers) if isinstance(numbers, (list, tuple)) else "no list of"
            raise ValueError(f"{kind}.load_state_dict: param group {index} of the state has {size} parameters, this "
                             f"optimizer's has {len(ours['params'])}")
        for number, param in zip(numbers, ours["params"]):
            if isinstance(number, bool) or not isinstance(number, (int, np.integer)) or number in by_number:
                raise ValueError(f"{kind}.load_state_dict: param group {index} numbers its parameters {numbers!r}; "
                                 f"each must be an integer used once")
            by_number[number] = param
        missing = [name for name in self.SETTINGS if name not in saved]
        if missing:
            raise ValueError(f"{kind}.load_state_dict: param group {index} lacks {', '.join(missing)} (is it the "
                             f"state of another optimizer?)")
        settings = self._checked_settings(saved, f" param group {index} of the loaded state")
        extras = {key: copy.deepcopy(value) for key, value in saved.items() if key not in settings and key != "params"}
        return {"params": ours["params"], **settings, **extras}

    def _checked_entry(self, number: int, param: Tensor, entry: Any) -> dict[str, Any]:
        """Parameter ``number``'s saved buffers, checked, as fresh values in the parameter's dtype."""
        kind = type(self).__name__
        allowed = set(self.BUFFERS)
        required = {name for name, (_, needed) in self.BUFFERS.items() if needed}
        if not isinstance(entry, Mapping) or not required <= set(entry) <= allowed:
            optional = sorted(allowed - required)
            more = f" and optionally {', '.join(optional)}" if optional else ""
            got = sorted(map(str, entry)) if isinstance(entry, Mapping) else type(entry).__name__
            raise ValueError(f"{kind}.load_state_dict: the state of parameter {number} must have exactly the keys "
                             f"{', '.join(sorted(required)) or '(none)'}{more}; got {got}")
        checked: dict[str, Any] = {}
        for name, value in entry.items():
            kind_of_value = self.BUFFERS[name][0]
            if kind_of_value == "count":
                checked[name] = self._checked_count(number, name, value)
                continue
            array = np.asarray(getattr(value, "data", value))
            if array.shape != param.shape:
                raise ValueError(f"{kind}.load_state_dict: {name} of parameter {number} has shape {array.shape}, "
                                 f"the parameter has shape {param.shape}")
            if array.dtype.kind not in "fiu" or not np.isfinite(array).all():
                raise ValueError(f"{kind}.load_state_dict: {name} of parameter {number} must hold finite real numbers")
            if kind_of_value == "nonnegative" and (array < 0).any():
                raise ValueError(f"{kind}.load_state_dict: {name} of parameter {number} must not be negative")
            checked[name] = np.array(array, dtype=param.dtype, order="C", copy=True)
        return checked

    def _checked_count(self, number: int, name: str, value: Any) -> int:
        array = np.asarray(getattr(value, "data", value))
        integral = (array.shape == () and array.dtype.kind in "iuf" and np.isfinite(array)
                    and float(array) == int(array) and not isinstance(value, (bool, np.bool_)))
        if not integral or int(array) < self.FIRST_STEP:
            least = "a positive integer" if self.FIRST_STEP == 1 else f"an integer of at least {self.FIRST_STEP}"
            raise ValueError(f"{type(self).__name__}.load_state_dict: {name} of parameter {number} must be {least}, "
                             f"got {value!r}")
        return int(array)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params"]
        return "\n".join([*lines, ")"])


def _real(label: str, value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{label} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{label} must be a finite number, got {value}")
    return float(value)


def finite(label: str, value: Any) -> float:
    """Any finite real number (SGD's dampening)."""
    return _real(label, value)


def nonnegative(label: str, value: Any) -> float:
    """A finite number of at least 0 (a learning rate, a weight decay, an eps).

    PyTorch takes ``lr=nan`` and trains to NaN without a word; a non-finite setting is refused here.
    """
    number = _real(label, value)
    if number < 0:
        raise ValueError(f"{label} must be non-negative, got {value}")
    return number


def unit_interval(label: str, value: Any) -> float:
    """A finite number in [0, 1] (Adadelta's rho, RMSprop's alpha)."""
    number = _real(label, value)
    if not 0 <= number <= 1:
        raise ValueError(f"{label} must lie in [0, 1], got {value}")
    return number


def flag(label: str, value: Any) -> bool:
    """True or False (NumPy's bools too), nothing else."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{label} must be True or False, got {value!r}")
    return bool(value)


def betas(label: str, value: Any) -> tuple[float, float]:
    """Adam's ``(beta1, beta2)`` as floats, each finite and in [0, 1)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ValueError(f"{label} must be a pair of numbers in [0, 1), got {value!r}")
    pair = tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{label} must be a pair of numbers in [0, 1), got {value!r}")
    beta1, beta2 = (_real(label, b) for b in pair)
    if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
        raise ValueError(f"{label} must lie in [0, 1), got {value}")
    return beta1, beta2


def with_l2_decay(grad: np.ndarray, param: np.ndarray, weight_decay: float, maximize: bool) -> np.ndarray:
    """The gradient an update follows: negated to maximize, plus ``weight_decay · param`` (L2, as torch.optim)."""
    if maximize:
        grad = -grad
    if weight_decay:
        grad = grad + weight_decay * param
    return grad
