"""Write a recorded step out as one straight-line Python function, for ``tg.compile`` to call.

Replaying a recorded step from its list of events pays Python for walking that list: unpacking each
event, building argument lists, and in backward a dictionary of gradients keyed by tensor identity,
with the checks that a graph seen for the first time needs. None of that changes once the step is
recorded, so :func:`generate` writes it out instead:

- each argument's array is put into the tensors recorded for it;
- each op is one line that calls that op's own ``forward`` on its inputs' arrays;
- each backward pass is one call of each op's own ``backward``, in the order the recording walked,
  with every gradient in a named local and the sums of gradients that meet written as additions;
- each replayed method (an optimizer's ``step``, a ``zero_grad``) is called directly;
- each gradient the step returns is copied where the recording saw it last (a ``capture`` event),
  and the function returns those copies in order.

No gradient rule is copied here: the generated code only calls the ops. What the recording call
learned about each op's backward (which inputs got no gradient, which gradients were not yet arrays
of their input's shape) is written in as fixed code. ``CompiledStep.source()`` shows the
result, and tracebacks through it show its lines.
"""

from __future__ import annotations

import itertools
import linecache
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from .autograd import _accumulate_into_grad, _checked_gradient, seed_gradient

__all__ = ["DATA_ATTRIBUTE", "array_of", "generate"]

_counter = itertools.count()

DATA_ATTRIBUTE = "_data"  # the slot itself: ``.data =`` would count each replayed write as a change
"""The tensor attribute through which generated code reads and writes arrays (one place to rename it)."""


class _Names:
    """Short names for the objects the generated code refers to, bound in its globals."""

    def __init__(self) -> None:
        self.bound: dict[str, Any] = {}
        self._by_id: dict[int, str] = {}

    def __call__(self, obj: Any, prefix: str) -> str:
        name = self._by_id.get(id(obj))
        if name is None:
            name = f"{prefix}{len(self._by_id)}"
            self._by_id[id(obj)] = name
            self.bound[name] = obj
        return name


def generate(inputs: list[tuple[int | str, list[Any]]], events: list[tuple[Any, ...]],
             title: str) -> tuple[str, Callable[[tuple[Any, ...], dict[str, Any]], None]]:
    """The source of ``replay(args, kwargs)`` for a recorded program, and the function compiled from it.

    ``inputs`` pairs each array argument (a position or a keyword) with the tensors to refill from it;
    ``events`` are the program's ``op``, ``backward`` and ``call`` events (see ``compile._replay_events``).
    """
    names = _Names()
    lines = [f"def replay(args, kwargs):  # {_comment(title)}"]
    for where, tensors in inputs:
        source = f"args[{where}]" if isinstance(where, int) else f"kwargs[{where!r}]"
        lines.append(f"    array = _array({source})")
        lines += [f"    {names(tensor, 't')}.{DATA_ATTRIBUTE} = array" for tensor in tensors]
    # an op's inputs as it recorded them: a backward pass may replace those in ctx.parents afterwards
    op_inputs = {id(event[2]): event[3] for event in events if event[0] == "op"}
    captures = 0
    for event in events:
        if event[0] == "op":
            lines += _forward_lines(event, names)
        elif event[0] == "backward":
            lines += _backward_lines(event, names, op_inputs)
        elif event[0] == "capture":
            lines.append(f"    captured.append(_gradient({names(event[1], 't')}))  # returned .grad")
            captures += 1
        else:
            lines += _call_lines(event, names)
    if captures:
        lines.insert(1, "    captured = []")
        lines.append("    return captured")
    source = "\n".join(lines) + "\n"
    filename = f"<tg.compile {next(_counter)}: {title}>"
    namespace = {"_array": array_of, "_seed": seed_gradient, "_accumulate": _accumulate_into_grad,
                 "_checked": _checked_gradient, "_gradient": gradient_copy, **names.bound}
    exec(compile(source, filename, "exec"), namespace)
    run = namespace.pop("replay")  # the function must not hold itself through its globals: no cycle to collect
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    weakref.finalize(run, linecache.cache.pop, filename, None)  # a dropped program takes its source along
    return source, run


def _comment(text: str) -> str:
    """``text`` as one line of a comment: a name with a line break in it must not become code."""
    return " ".join(str(text).split())


def array_of(value: Any) -> np.ndarray:
    """The array of a step's array argument: an ndarray itself, or a Tensor's ``.data``."""
    return value if isinstance(value, np.ndarray) else value.data


def gradient_copy(tensor: Any) -> np.ndarray:
    """A copy of ``tensor``'s gradient as it is now, for a step that returns it: later calls change or replace it."""
    if tensor.grad is None:
        raise RuntimeError(f"tg.compile: the step returned the gradient of a tensor of shape {tensor.shape} when it "
                           "was recorded, but on this call that tensor has no gradient at that point (was its "
                           ".grad reset outside the step?)")
    return tensor.grad.data.copy()


def _forward_lines(event: tuple[Any, ...], names: _Names) -> list[str]:
    _, forward, ctx, inputs, attrs, output = event
    arguments = [names(ctx, "c"), *[f"{names(t, 't')}.{DATA_ATTRIBUTE}" for t in inputs]]
    if attrs:
        arguments.append(f"**{names(attrs, 'k')}")
    call = f"{names(forward, 'f')}({', '.join(arguments)})"
    return [f"    {names(output, 't')}.{DATA_ATTRIBUTE} = {call}  # {_comment(ctx.name)}"]


def _call_lines(event: tuple[Any, ...], names: _Names) -> list[str]:
    _, method, args, kwargs = event
    arguments = [f"*{names(args, 'a')}"] if args else []
    if kwargs:
        arguments.append(f"**{names(kwargs, 'k')}")
    return [f"    {names(method, 'm')}({', '.join(arguments)})  # {_comment(method.__qualname__)}"]


def _backward_lines(event: tuple[Any, ...], names: _Names, op_inputs: dict[int, tuple[Any, ...]]) -> list[str]:
    """One backward pass: the walk of ``autograd.walk_backward`` over ``order``, unrolled.

    ``op_inputs`` maps each recorded context (by ``id``) to its op's input tensors as recorded.
    """
    _, root, grad, retain_graph, order, facts = event

    def grad_of(tensor: Any) -> str:
        return "grad_" + names(tensor, "t")

    seed = "None" if grad is None else names(grad, "k")
    lines = [f"    {grad_of(root)} = _seed({names(root, 't')}, {seed})  # backward()",
             f"    handed_out = {{id({grad_of(root)})}}"]
    flowing = {id(root)}
    for tensor in reversed(order):
        if id(tensor) not in flowing:
            continue
        ctx, grad_name = tensor._ctx, grad_of(tensor)
        if ctx is None:
            lines.append(f"    _accumulate({names(tensor, 't')}, {grad_name}, handed_out)")
            lines.append(f"    del {grad_name}")
            continue
        context, parents = names(ctx, "c"), op_inputs[id(ctx)]
        lines.append(f"    grads = {names(ctx.fn.backward, 'b')}({context}, {grad_name})  # {_comment(ctx.name)}")
        if len(parents) == 1:
            lines.append("    grads = grads if type(grads) is tuple else (grads,)")
        lines.append(f"    del {grad_name}")
        for i, (parent, needed, fact) in enumerate(zip(parents, ctx.needs_input_grad, facts[id(tensor)])):
            if not needed or fact is None:
                continue
            value = f"grads[{i}]" if fact else f"_checked({context}, {names(parent, 't')}, grads[{i}])"
            target = grad_of(parent)
            lines.append(f"    {target} = {target} + {value}" if id(parent) in flowing else f"    {target} = {value}")
            flowing.add(id(parent))
        if not retain_graph:
            lines.append(f"    {context}.release()")
    return lines
