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
comparisons, ``argmax``, ``detach``, ``Tensor(tensor)`` copies, ``F.one_hot``), ``backward()``, and
methods marked :func:`~.autograd.replayed` (``Optimizer.step``/``zero_grad``, ``Module.zero_grad``,
``Tensor.zero_grad``). Other Python in the step runs only on the recording call: a ``print``, an
``.item()``, a branch on a tensor's value, a manual ``p.data -= lr * p.grad.data``, a gradient
clipped by hand. The last two are detected (a parameter changed outside an optimizer's step, a
gradient changed after ``backward()``) and refused; a branch on a value cannot be.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from .autograd import Tracer, is_grad_enabled, tracing
from .codegen import array_of, generate
from .tensor import Tensor

__all__ = ["CompiledStep", "compile"]


class CompiledStep:
    """A step function with its recorded programs, one per argument signature; see :func:`compile`."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.programs: dict[Hashable, _Program] = {}
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        key = (tuple([_signature(a, i) for i, a in enumerate(args)]),
               tuple(sorted([(name, _signature(a, name)) for name, a in kwargs.items()])) if kwargs else (),
               is_grad_enabled())
        program = self.programs.get(key)
        if program is None:
            program, result = _Program.record(self.fn, args, kwargs)
            self.programs[key] = program
            return result
        return program.replay(args, kwargs)

    def source(self) -> str:
        """The Python that each recorded program replays, one function per argument signature."""
        return "\n".join(program.source for program in self.programs.values())

    def __repr__(self) -> str:
        return f"<compiled step {getattr(self.fn, '__qualname__', self.fn)!r}, {len(self.programs)} recorded>"


def compile(fn: Callable[..., Any]) -> CompiledStep:
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
    constant, records a new program. Returned tensors are detached values (call ``.item()`` on them
    outside the step). Parameters, modules and optimizers are reached through the closure, as above.
    """
    return CompiledStep(fn)


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
    return ("constant", value)


class _Program:
    """One recorded run of a step: the input tensors to refill and the events to repeat."""

    def __init__(self, inputs: list[tuple[int | str, list[Tensor]]], events: list[tuple[Any, ...]],
                 outputs: Any, title: str) -> None:
        self.inputs = inputs
        self.events = events
        self.outputs = outputs
        self.source, self.run = generate(inputs, events, title)

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
        tracer = Tracer()
        with tracing(tracer):
            result = fn(*call_args, **call_kwargs)
        tracer.check_gradients("the end of the step")
        outputs = _output_structure(result)
        events = _replay_events(tracer.events)
        _check_updates(tracer)
        inputs = _input_bindings(stand_ins, tracer.events)
        program = cls(inputs, events, outputs, getattr(fn, "__qualname__", repr(fn)))
        return program, program.results()

    def replay(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Refill the inputs with these arguments' arrays and repeat every recorded event."""
        self.run(args, kwargs)
        return self.results()

    def results(self) -> Any:
        """The step's return value, its tensors detached from the recorded graph."""
        if self.outputs is None:
            return None
        if isinstance(self.outputs, Tensor):
            return Tensor._from_op(self.outputs.data, None)
        return type(self.outputs)(Tensor._from_op(t.data, None) for t in self.outputs)


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
    for tensor, copy in tracer.leaf_copies.values():
        if id(tensor) not in owned and not np.array_equal(tensor.data, copy, equal_nan=True):
            raise RuntimeError(
                f"tg.compile: a parameter of shape {tensor.shape} changed during the step outside an "
                "optimizer's step(); that update would not be repeated on later calls. Update "
                "parameters with tg.optim, or do not compile this function")
