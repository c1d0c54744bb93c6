"""``tg.compile``: run a training step once to record it, then replay only its kernels.

Eager execution pays Python on every call for work whose outcome never changes from one batch to the
next: building ``Tensor`` and ``Context`` objects, checking arguments in ``functional`` and ``nn``,
walking modules, sorting the graph for backward. A compiled step does all of that once. Its first call
with arguments of a given shape and dtype runs the function eagerly under a :class:`~.autograd.Tracer`
and keeps what it recorded: each op's forward with the tensors it read and wrote, each backward pass
with its topological order, and each optimizer ``step``/``zero_grad``. That list is written out as
one Python function (:mod:`~.codegen`; ``step.source()`` shows it). Later calls with the same shapes
put the new arguments' arrays into the recorded input tensors and run that function: the same
kernels in the same order on the same arrays, so the numbers are the eager ones bit for bit.

What is replayed is what the tracer sees: tensor ops (including those without a gradient:
comparisons, ``argmax``, ``detach``, ``Tensor(tensor)`` copies, ``F.one_hot``, and the random draws
of ``tg.randn``/``tg.rand``), ``backward()``, and methods marked :func:`~.autograd.replayed`
(``Optimizer.step``/``zero_grad``, ``Module.zero_grad``, ``Tensor.zero_grad``). Other Python in the
step runs only on the recording call: a ``print``, an ``.item()``, a branch on a tensor's value, a
manual ``p.data -= lr * p.grad.data``, a gradient clipped by hand, random numbers drawn another way.
Those but the first three are detected (a parameter changed outside an optimizer's step, a gradient
changed after ``backward()``, a random generator's state moved by more than the replayed draws) and
refused; a branch on a value cannot be.

The tensors a step returns hold each call's values: op results and inputs as the replay leaves them,
parameters and gradients copied (an optimizer updates them in place; each backward after
``zero_grad`` makes new gradient tensors). A step keeps at most ``max_programs`` recorded programs,
dropping the least recently used, and says once which argument keeps asking for new ones.
"""

from __future__ import annotations

import copy
import functools
import inspect
import random
import warnings
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from . import backend, factories
from .anomaly import is_anomaly_enabled
from .autograd import Context, Function, Tracer, is_grad_enabled, tracing
from .codegen import array_of, generate
from .kernels.precompile import announce_if_cold
from .plan import FALLBACK, Plan, UnsupportedStepError
from .plan import build as build_plan
from .tensor import Tensor

__all__ = ["DEFAULT_MAX_PROGRAMS", "CompiledStep", "compile"]

DEFAULT_MAX_PROGRAMS = 8
"""How many recorded programs a compiled step keeps by default (one per argument signature in use)."""

MAX_PLAN_BUILDS = 8
"""How many times a program prepares its plan (again after a parameter's array was replaced, say) before
it keeps to the general replay."""

Key = tuple[tuple[Hashable, ...], tuple[tuple[str, Hashable], ...], bool]


class CompiledStep:
    """A step function with its recorded programs, one per argument signature; see :func:`compile`.

    ``programs`` holds at most ``max_programs`` of them, the most recently used last; a call that
    needs a new one when the step is full drops the least recently used.
    """

    def __init__(self, fn: Callable[..., Any], max_programs: int = DEFAULT_MAX_PROGRAMS) -> None:
        if not callable(fn):
            raise TypeError(f"tg.compile needs a function to compile, got a {type(fn).__name__}")
        self.fn = fn
        self.max_programs = _checked_max_programs(max_programs)
        self.programs: OrderedDict[Key, _Program] = OrderedDict()
        self._most_recent: _Program | None = None
        self.recordings = 0
        self._signatures_seen: list[Key] = []  # kept only until the one warning about re-recording is given
        self._warned = False
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if is_anomaly_enabled():  # a replay runs kernels, not ops: run the step eagerly, where each op is checked
            return self.fn(*args, **kwargs)
        program = self._most_recent  # the usual call: the last program again, with arrays of the same shapes
        if (program is not None and not kwargs and program.quick_key is not None
                and program.grad_mode == is_grad_enabled() and _quick_key(args) == program.quick_key):
            return program.replay(args, kwargs)
        key = (tuple([_signature(a, i) for i, a in enumerate(args)]),
               tuple(sorted([(name, _signature(a, name)) for name, a in kwargs.items()])) if kwargs else (),
               is_grad_enabled())
        program = self.programs.get(key)
        if program is not None:
            if program is not self._most_recent:  # the usual call replays the last program: no second lookup
                self.programs.move_to_end(key)
                self._most_recent = program
            return program.replay(args, kwargs)
        if backend.get_backend() == "numba":
            announce_if_cold()
        program, result = _Program.record(self.fn, args, kwargs)
        program.grad_mode = key[2]
        program.quick_key = _quick_key(args) if not kwargs else None
        self.recordings += 1
        self.programs[key] = self._most_recent = program
        if not self._warned:
            self._signatures_seen.append(key)
        if len(self.programs) > self.max_programs:
            self.programs.popitem(last=False)
            if not self._warned:
                self._warn_about_rerecording()
        return result

    def source(self) -> str:
        """The Python that each recorded program replays, one function per argument signature, each
        followed by its prepared plan where it has one (see :mod:`.plan`)."""
        return "\n".join(program.source + (f"\n{program.plan.source}" if program.plan is not None else "")
                         for program in self.programs.values())

    def __repr__(self) -> str:
        return f"<compiled step {getattr(self.fn, '__qualname__', self.fn)!r}, {len(self.programs)} recorded>"

    def _warn_about_rerecording(self) -> None:
        """Say once which argument keeps making new signatures, and what to do about it."""
        self._warned = True
        causes = _changing_arguments(self._signatures_seen, _positional_names(self.fn))
        self._signatures_seen = []
        title = getattr(self.fn, "__qualname__", repr(self.fn))
        warnings.warn(
            f"tg.compile: step {title!r} needed more than max_programs={self.max_programs} recorded programs, so "
            f"the least recently used are dropped and recorded again when needed (slow, and each recording "
            f"runs the step's Python once more). {' '.join(causes)} Raise max_programs "
            f"(tg.compile(fn, max_programs=...)) if that many signatures are really in use.",
            RuntimeWarning, stacklevel=3)


def compile(fn: Callable[..., Any] | None = None, *, max_programs: int = DEFAULT_MAX_PROGRAMS
            ) -> CompiledStep | Callable[[Callable[..., Any]], CompiledStep]:
    """Record ``fn`` on its first call and replay its ops, backward and optimizer updates afterwards.

    Use it as a decorator on a training step::

        @tg.compile
        def train_step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss

    Arguments may be Tensors, NumPy arrays (the data that changes from call to call; they must not
    require grad) and hashable constants. A call whose arrays have a new shape or dtype, or a new
    constant, records a new program; at most ``max_programs`` are kept (``@tg.compile(max_programs=4)``),
    the least recently used dropped, with one warning naming the argument that keeps changing.
    Returned tensors hold this call's values, detached: op results, inputs, parameters and their
    ``.grad`` (copies of those two, which later calls update). Parameters, modules and optimizers
    are reached through the closure, as above. ``tg.randn``/``tg.rand`` inside the step draw fresh
    numbers on each call; other random draws are refused when the step is recorded. In anomaly mode
    (``tg.detect_anomaly()``) each call runs ``fn`` eagerly, so that every op is checked.
    """
    if fn is None:
        return functools.partial(CompiledStep, max_programs=_checked_max_programs(max_programs))
    return CompiledStep(fn, max_programs)


def _checked_max_programs(max_programs: Any) -> int:
    if isinstance(max_programs, bool) or not isinstance(max_programs, int):
        raise TypeError(f"tg.compile: max_programs must be an int, got {type(max_programs).__name__}")
    if max_programs < 1:
        raise ValueError(f"tg.compile: max_programs must be at least 1, got {max_programs}")
    return max_programs


def _positional_names(fn: Callable[..., Any]) -> list[str]:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _changing_arguments(keys: list[Key], positional_names: list[str]) -> list[str]:
    """Sentences naming each argument whose signature differs between ``keys``, with the remedy."""
    by_argument: dict[int | str, list[Hashable]] = {}
    for positional, keywords, _ in keys:
        for where, signature in [*enumerate(positional), *keywords]:
            by_argument.setdefault(where, []).append(signature)
    sentences = []
    for where, signatures in by_argument.items():
        distinct = list(dict.fromkeys(signatures))
        if len(distinct) < 2 and len(signatures) == len(keys):
            continue
        label = (f"argument {where} ({positional_names[where]!r})" if isinstance(where, int)
                 and where < len(positional_names) else f"argument {where!r}")
        constants = [s[2] for s in distinct if s[0] == "constant"]
        if len(constants) > 1:
            shown = ", ".join(repr(c) for c in constants[:3]) + (", ..." if len(constants) > 3 else "")
            sentences.append(f"The constant {label} took {len(constants)} different values ({shown}), and "
                             "each new value records a new program: pass it as a NumPy array or Tensor (its "
                             "values then change without re-recording) or make it a constant in the step's "
                             "closure.")
        elif len(distinct) > 1:
            sentences.append(f"The array {label} came in {len(distinct)} shapes or dtypes: give every call "
                             "the same shape (e.g. drop or pad the last, smaller batch).")
        else:
            sentences.append(f"The {label} is passed on some calls and not on others (or by position on "
                             "some and by keyword on others): pass it the same way every time.")
    if len({grad_mode for _, _, grad_mode in keys}) > 1:
        sentences.append("Calls with gradients on and under no_grad are recorded separately.")
    return sentences or ["The arguments' signatures kept changing."]


def _quick_key(args: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """Each positional argument's shape and dtype, when every one is an ndarray or a Tensor that needs no
    grad (else None): what the usual call checks against its last program instead of building its key."""
    key = []
    for value in args:
        kind = type(value)
        if kind is Tensor:
            if value.requires_grad:
                return None
            value = value._data
        elif kind is not np.ndarray:
            return None
        key.append(value.shape)
        key.append(value.dtype)
    return tuple(key)


def _signature(value: Any, where: int | str) -> Hashable:
    if isinstance(value, Tensor):
        if value.requires_grad:
            raise TypeError(f"tg.compile: argument {where!r} requires grad; pass data as arguments and reach "
                            "parameters through the step's closure (a model, an optimizer)")
        return ("array", value.shape, value.dtype)
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype)
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"tg.compile: argument {where!r} is a {type(value).__name__}, which is neither an array "
                        "nor hashable; pass arrays, Tensors or hashable constants") from None
    return ("constant", type(value), value)  # 1, 1.0 and True are equal keys but not the same constant


class _StepTracer(Tracer):
    """The tracer that records a step for ``tg.compile``: it also keeps every gradient a backward pass
    made, with the last event before which its parameter still held it, so that a returned ``.grad``
    can be copied at that point of each replay, and an op that reads one can be refused."""

    def __init__(self) -> None:
        super().__init__()
        self.made_gradients: dict[int, tuple[Tensor, Tensor, int]] = {}

    def note_gradients(self, order: list[Any]) -> None:
        super().note_gradients(order)
        for tensor, grad, _ in self.gradients:
            self.made_gradients[id(grad)] = (tensor, grad, len(self.events))

    def check_gradients(self, before: str) -> None:
        super().check_gradients(before)
        for key, (tensor, grad, _) in self.made_gradients.items():
            if tensor.grad is grad:
                self.made_gradients[key] = (tensor, grad, len(self.events))

    def record_op(self, fn: type[Function], ctx: Context, inputs: tuple[Any, ...], attrs: dict[str, Any],
                  output: Any) -> None:
        if any(id(tensor) in self.made_gradients for tensor in inputs):
            raise RuntimeError(f"tg.compile: {fn.__name__} reads a parameter's .grad that a backward pass in the "
                               "step made, which a replay would not see change (each backward after zero_grad "
                               "makes new gradient tensors); return the .grad from the step and compute from it "
                               "outside")
        super().record_op(fn, ctx, inputs, attrs, output)


class _RandomState:
    """Every random generator a step could draw from, as it was before the step was recorded."""

    def __init__(self) -> None:
        self.generator = factories.generator()
        self.generator_copy = copy.deepcopy(self.generator)
        self.numpy_legacy = np.random.get_state(legacy=False)
        self.python = random.getstate()

    def check(self, events: list[tuple[Any, ...]]) -> None:
        """Raise if the step drew random numbers in a way a replay would not repeat."""
        if factories.generator() is not self.generator:
            raise RuntimeError("tg.compile: the step called tg.manual_seed, which would run only on the recording "
                               "call; seed once before the training loop")
        for event in events:  # draw again what the replayed random ops drew, on a copy
            if event[0] == "op" and issubclass(event[1], factories.RandomDraw):
                event[1].sample(self.generator_copy, **event[4])
        if self.generator_copy.bit_generator.state != self.generator.bit_generator.state:
            raise RuntimeError("tg.compile: the step drew numbers from the global generator other than through "
                               "tg.randn or tg.rand (creating a layer, an nn.init function, tg.generator() used "
                               "directly); those numbers would be drawn only on the recording call and reused by "
                               "every replay. Create layers outside the step and draw noise with tg.randn/tg.rand, "
                               "which are replayed")
        legacy = np.random.get_state(legacy=False)
        if legacy["state"]["pos"] != self.numpy_legacy["state"]["pos"] or not np.array_equal(
                legacy["state"]["key"], self.numpy_legacy["state"]["key"]):
            raise RuntimeError("tg.compile: the step drew numbers from np.random's global generator; they would be "
                               "drawn only on the recording call and reused by every replay. Use tg.randn or "
                               "tg.rand, which are replayed (tg.manual_seed seeds them)")
        if random.getstate() != self.python:
            raise RuntimeError("tg.compile: the step drew numbers from Python's random module; they would be drawn "
                               "only on the recording call and reused by every replay. Use tg.randn or tg.rand, "
                               "which are replayed (tg.manual_seed seeds them)")


class _Program:
    """One recorded run of a step: the input tensors to refill, the events to repeat and where each
    returned tensor's values come from (``outputs``: None for no result, else the container type, or
    None for a single tensor, and one ``(kind, tensor, slot)`` per tensor, see ``_output_sources``)."""

    def __init__(self, inputs: list[tuple[int | str, list[Tensor]]], events: list[tuple[Any, ...]],
                 outputs: tuple[type | None, list[tuple[str, Tensor, int]]] | None, title: str) -> None:
        self.inputs = inputs
        self.events = events
        self.outputs = outputs
        self.title = title
        self.source, self.run = generate(inputs, events, title)
        self.plan: Plan | None = None
        self.plan_builds = 0
        self.grad_mode = True  # the grad mode and (see ``_quick_key``) argument shapes it was recorded for
        self.quick_key: tuple[Any, ...] | None = None

    def prepare(self) -> None:
        """Build the prepared plan of this program (see :mod:`.plan`) when it has the shape plans handle."""
        self.plan = None
        if self.plan_builds >= MAX_PLAN_BUILDS:
            return
        self.plan_builds += 1
        try:
            plan = build_plan(self.inputs, self.events, self.outputs, self.title)
        except UnsupportedStepError:
            return
        plan.finish()
        self.plan = plan

    @classmethod
    def record(cls, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[_Program, Any]:
        """Run ``fn`` eagerly once on stand-in input tensors, and build the program it traced."""
        stand_ins: dict[int | str, Tensor] = {}
        arrays_seen: set[int] = set()
        for where, value in [*enumerate(args), *kwargs.items()]:
            if _is_array(value):
                array = array_of(value)
                # an array passed twice gets a copy the second time, so each argument is refilled from its own slot
                stand_ins[where] = Tensor._from_op(array.copy() if id(array) in arrays_seen else array, None)
                arrays_seen.add(id(array))
        call_args = [stand_ins.get(i, a) for i, a in enumerate(args)]
        call_kwargs = {name: stand_ins.get(name, a) for name, a in kwargs.items()}
        tracer = _StepTracer()
        random_state = _RandomState()
        with tracing(tracer):
            result = fn(*call_args, **call_kwargs)
        tracer.check_gradients("the end of the step")
        random_state.check(tracer.events)
        structure = _output_structure(result)
        events = _replay_events(tracer.events)
        _check_updates(tracer)
        inputs = _input_bindings(stand_ins, tracer.events)
        outputs, events = _output_sources(structure, events, inputs, tracer)
        program = cls(inputs, events, outputs, getattr(fn, "__qualname__", repr(fn)))
        result = program.results(None, recording=True)
        program.prepare()
        return program, result

    def replay(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run the prepared plan, or refill the inputs with these arguments' arrays and repeat every
        recorded event (when there is no plan, or this call must not take it)."""
        plan = self.plan
        if plan is not None:
            arrays = plan.run(args, kwargs)
            if arrays is not None and arrays is not FALLBACK:
                return self._planned_results(arrays)
            if arrays is None:  # the plan no longer applies: replay in general, then prepare again
                result = self.results(self.run(args, kwargs))
                self.prepare()
                return result
        return self.results(self.run(args, kwargs))

    def _planned_results(self, arrays: tuple[np.ndarray, ...]) -> Any:
        if self.outputs is None:
            return None
        container = self.outputs[0]
        tensors = [Tensor._from_op(array, None) for array in arrays]
        if container is None:
            return tensors[0]
        return container._make(tensors) if hasattr(container, "_make") else container(tensors)

    def results(self, captured: list[np.ndarray] | None, recording: bool = False) -> Any:
        """The step's return value: tensors detached from the recorded graph that hold this call's values.

        ``captured`` are the gradient copies the replay made; on the recording call (``recording``) the
        recorded gradient tensors themselves still hold the values to return.
        """
        if self.outputs is None:
            return None
        container, sources = self.outputs
        tensors = []
        for kind, tensor, slot in sources:
            if kind == "value":
                array = tensor.data
            elif kind == "copy" or recording:
                array = tensor.data.copy()
            else:
                array = captured[slot]
            tensors.append(Tensor._from_op(array, None))
        if container is None:
            return tensors[0]
        return container._make(tensors) if hasattr(container, "_make") else container(tensors)  # a namedtuple too


def _output_sources(structure: Any, events: list[tuple[Any, ...]], inputs: list[tuple[int | str, list[Tensor]]],
                    tracer: _StepTracer) -> tuple[tuple[type | None, list[tuple[str, Tensor, int]]] | None,
                                                  list[tuple[Any, ...]]]:
    """Where each returned tensor's values come from on a replay, and the events with the captures added.

    An op's output and an input are refilled by the replay itself ("value"). A gradient that a
    backward pass of the step made is copied by the replay where the recording saw its parameter
    hold it last ("captured", with ``slot`` its index in the replay's captures): each call makes or changes
    it anew. Any other tensor (a parameter, a constant) is copied at the end of the call ("copy"),
    since optimizers update parameters in place.
    """
    if structure is None:
        return None, events
    returned = [structure] if isinstance(structure, Tensor) else list(structure)
    refilled = {id(event[5]) for event in events if event[0] == "op"}
    refilled |= {id(tensor) for _, tensors in inputs for tensor in tensors}
    captures: list[tuple[int, Tensor]] = []  # (event index to capture before, parameter)
    sources: list[tuple[str, Tensor, int]] = []
    for tensor in returned:
        made = tracer.made_gradients.get(id(tensor))
        if id(tensor) in refilled:
            sources.append(("value", tensor, -1))
        elif made is not None:
            sources.append(("captured", tensor, len(captures)))
            captures.append((made[2], made[0]))
        else:
            sources.append(("copy", tensor, -1))
    # the replay returns its captures in the order it makes them; events and tracer.events correspond one to one
    in_order = sorted(range(len(captures)), key=lambda i: (captures[i][0], i))
    slot_of = {original: slot for slot, original in enumerate(in_order)}
    sources = [(kind, tensor, slot_of.get(slot, slot)) for kind, tensor, slot in sources]
    with_captures: list[tuple[Any, ...]] = []
    pending = [captures[i] for i in in_order]
    for index, event in enumerate([*events, None]):
        while pending and pending[0][0] == index:
            with_captures.append(("capture", pending.pop(0)[1]))
        if event is not None:
            with_captures.append(event)
    container = None if isinstance(structure, Tensor) else type(structure)
    return (container, sources), with_captures


def _is_array(value: Any) -> bool:
    return isinstance(value, (Tensor, np.ndarray))


def _output_structure(result: Any) -> Any:
    if result is None or isinstance(result, Tensor):
        return result
    if isinstance(result, (tuple, list)) and all(isinstance(t, Tensor) for t in result):
        return result
    raise TypeError(f"tg.compile: a compiled step must return None, a Tensor or a tuple/list of Tensors, not "
                    f"{type(result).__name__}: other values would be frozen at the first call's "
                    "(return the loss tensor and call .item() on it outside the step)")


def _replay_events(events: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The traced events in the form ``replay`` runs, after refusing what it could not repeat faithfully."""
    produced: set[int] = set()
    replay: list[tuple[Any, ...]] = []
    for event in events:
        if event[0] == "op":
            _, fn, ctx, inputs, attrs, output = event
            for tensor in inputs:
                if tensor._ctx is not None and id(tensor) not in produced:
                    raise RuntimeError(f"tg.compile: {fn.__name__} uses a tensor with a gradient history from "
                                       "outside the step; compute it inside the step or .detach() it")
            produced.add(id(output))
            replay.append(("op", fn.forward, ctx, inputs, attrs, output))
        elif event[0] == "backward":
            if any(t._retains_grad for t in event[4] if t._ctx is not None):
                raise RuntimeError("tg.compile: retain_grad() inside a compiled step is not supported")
            replay.append(event)
        else:
            replay.append(event)
    return replay


def _input_bindings(stand_ins: dict[int | str, Tensor], events: list[tuple[Any, ...]]
                    ) -> list[tuple[int | str, list[Tensor]]]:
    """For each array argument, every recorded input tensor that holds its array.

    Library code may wrap an argument's array in a tensor of its own (``F.cross_entropy`` does with
    int64 labels); those tensors must be refilled too.
    """
    by_array = {id(t.data): (where, [t]) for where, t in stand_ins.items()}
    seen = {id(t) for t in stand_ins.values()}
    for event in events:
        if event[0] != "op":
            continue
        for tensor in event[3]:
            if tensor._ctx is None and id(tensor) not in seen and id(tensor.data) in by_array:
                by_array[id(tensor.data)][1].append(tensor)
            seen.add(id(tensor))
    return list(by_array.values())


def _check_updates(tracer: Tracer) -> None:
    """Raise if a trainable leaf changed during the traced call outside every recorded call's parameters."""
    owned = {id(p) for event in tracer.events if event[0] == "call" and event[2]
             for p in getattr(event[2][0], "params", ())}
    for tensor, before in tracer.leaf_copies.values():
        if id(tensor) not in owned and not np.array_equal(tensor.data, before, equal_nan=True):
            raise RuntimeError(
                f"tg.compile: a parameter of shape {tensor.shape} changed during the step outside an "
                "optimizer's step(); that update would not be repeated on later calls. Update "
                "parameters with tg.optim, or do not compile this function")
