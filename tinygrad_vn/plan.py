"""Prepared plans: a recorded training step replayed into arrays allocated once, kernels back to back.

``tg.compile``'s general replay (:mod:`.codegen`) calls each op's ``forward`` and ``backward``, which
check their arguments, allocate their results and wrap them; for a step of large layers that is small
next to the matrix products, but it is all Python between kernels, and every gradient is a fresh array.
When a recorded step has the usual shape, *zero the gradients, ops, one backward from a scalar loss,
one optimizer step*, :func:`build` prepares it instead:

- every intermediate array and every gradient is allocated once, when the plan is built;
- each op that has a prepared form (``plan_forward``/``plan_backward`` beside its rule: the fused
  Linear + activation layer, the cross-entropy, whose forward writes the gradient of the logits too
  when it is the loss) writes into those arrays with the eager kernels (``np.matmul(..., out=)``,
  bias and activation in one pass over the product); any other op calls its own forward and backward,
  as the general replay does;
- the parameters become views into one flat array, their gradients views into another, and the
  optimizer's buffers views into more, so that the optimizer (``plan_step`` beside its rule) updates
  every parameter with one kernel call per param group;
- what was checked on every call moves to the build; each call checks only that the parameters,
  their optimizer state and the optimizer's settings are still the arrays and values the plan was
  built for (a ``.data =`` assignment, ``load_state_dict``, a changed momentum), that nobody holds the
  gradients the plan is about to overwrite, and that the class labels are in range. When one of those
  fails, the call takes the general replay (which raises or handles it as the eager step does), and the
  plan is built again for the next call.

Returned tensors stay fresh: the loss is a new array each call, an intermediate is copied, and a
gradient still held from an earlier call (``g = w.grad``) is never overwritten: the plan is rebuilt
with new gradient arrays instead.
"""

from __future__ import annotations

import itertools
import linecache
import sys
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from . import backend
from .autograd import bump_versions
from .codegen import array_of
from .fused import LoopBuilder, NoLoopFormError, fused_steps_enabled
from .kernels import whole_step
from .kernels.prepared import forms
from .tensor import Tensor

__all__ = ["FALLBACK", "Plan", "PlanBuilder", "UnsupportedStepError", "build"]

_counter = itertools.count()

FALLBACK = object()
"""What a plan's function returns when this call must take the general replay."""


class UnsupportedStepError(Exception):
    """The recorded step has something a prepared plan does not handle; the general replay is used."""


_FLAT_PARAMS: weakref.WeakKeyDictionary[Any, tuple[np.ndarray, list[np.ndarray]]] = weakref.WeakKeyDictionary()
"""Per optimizer, the flat parameter array its parameters are views into, shared by its plans."""


def _flat_copy(arrays: list[np.ndarray], dtype: np.dtype) -> tuple[np.ndarray, list[np.ndarray]]:
    flat = np.empty(sum(a.size for a in arrays), dtype)
    views, offset = [], 0
    for array in arrays:
        view = flat[offset:offset + array.size].reshape(array.shape)
        view[...] = array
        views.append(view)
        offset += array.size
    return flat, views


class PlanBuilder:
    """Writes a plan's function: names for arrays, guards and checks first, then the calls in order."""

    def __init__(self) -> None:
        self.forms = forms(backend.get_backend())
        self.bound: dict[str, Any] = {"_FALLBACK": FALLBACK, "_array": array_of}
        self._names: dict[int, str] = {}
        self._info: dict[str, tuple[tuple[int, ...], np.dtype, bool]] = {}
        self._ready: set[str] = set()  # names available before the first call (arguments, parameters, constants)
        self.prologue: list[str] = []
        self.guards: list[str] = []
        self.checks: list[str] = []
        self.body: list[str] = []
        self.root_ctx: Any = None
        self.seed_of_root: str | None = None
        self._transposes: dict[str, str] = {}
        self._notes: dict[int, Any] = {}
        self.dtype_of_step = np.dtype(np.float32)  # the parameters' dtype, set by ``build``

    def argument_names(self) -> set[str]:
        """Names of arrays read at the start of each call: the inputs, and values the prologue computes."""
        return {name for name in self._ready if name not in self.bound}

    # -- names ------------------------------------------------------------------------------------
    def constant(self, obj: Any, prefix: str = "k") -> str:
        """A name bound to ``obj`` in the plan's globals (literals are written as themselves)."""
        if obj is None or type(obj) in (bool, int, float, str):  # not NumPy scalars: their repr is no literal
            return repr(obj)
        name = self._names.get(id(obj))
        if name is None:
            name = f"{prefix}{len(self.bound)}"
            self._names[id(obj)] = name
            self.bound[name] = obj
        if isinstance(obj, np.ndarray):
            self.describe(name, obj)
            self._ready.add(name)
        return name

    def describe(self, name: str, array: np.ndarray) -> None:
        self._info[name] = (array.shape, array.dtype, bool(array.flags.c_contiguous))

    def known(self, name: str) -> bool:
        """Whether the shape, dtype and layout of array ``name`` are known when the plan is built."""
        return name in self._info

    def shape(self, name: str) -> tuple[int, ...]:
        return self._info[name][0]

    def dtype(self, name: str) -> np.dtype:
        return self._info[name][1]

    def contiguous(self, name: str) -> bool:
        return self._info[name][2]

    def buffer(self, shape: tuple[int, ...], dtype: np.dtype, prefix: str = "b") -> str:
        """A C-ordered array allocated once, named."""
        return self.constant(np.zeros(shape, dtype), prefix)

    def _code(self, argument: Any) -> str:
        return argument if isinstance(argument, str) else self.constant(argument)

    def _arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        return ", ".join([*map(self._code, args), *[f"{k}={self._code(v)}" for k, v in kwargs.items()]])

    def expression(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
        """The code of ``fn(*args, **kwargs)``."""
        return f"{self.constant(fn, 'f')}({self._arguments(args, kwargs)})"

    # -- statements -------------------------------------------------------------------------------
    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.body.append(f"    {self.expression(fn, *args, **kwargs)}")

    def local(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
        """A local name holding ``fn(*args, **kwargs)``, computed at this point of each call."""
        name = f"v{len(self.body)}_{len(self._info)}"
        self.body.append(f"    {name} = {self.expression(fn, *args, **kwargs)}")
        return name

    def value(self, code: str, comment: str = "") -> str:
        """A local name holding the value of ``code`` at this point of each call."""
        name = f"v{len(self.body)}_{len(self._info)}"
        self.body.append(f"    {name} = {code}" + (f"  # {' '.join(comment.split())}" if comment else ""))
        return name

    def note(self, ctx: Any, value: Any) -> None:
        """Keep what an op's prepared forward made for its prepared backward."""
        self._notes[id(ctx)] = value

    def noted(self, ctx: Any) -> Any:
        return self._notes.get(id(ctx))

    def ready(self, fn: Callable[..., Any], *args: str) -> str:
        """A name holding ``fn(*args)`` computed before the checks; every argument must be ready then."""
        if not all(a in self._ready for a in args):
            raise UnsupportedStepError("a check needs a value computed inside the step")
        name = f"r{len(self.prologue)}"
        self.prologue.append(f"    {name} = {self.expression(fn, *args)}")
        self._ready.add(name)
        return name

    def check(self, fn: Callable[..., Any], *args: Any, test: str = "") -> None:
        """Before anything runs: when ``fn(*args)`` (followed by ``test``) is true, take the general replay."""
        if not all(a in self._ready for a in args if isinstance(a, str)):
            raise UnsupportedStepError("a check needs a value computed inside the step")
        self.checks.append(f"    if {self.expression(fn, *args)}{' ' + test if test else ''}:\n"
                           "        return _FALLBACK")

    def guard(self, condition: str) -> None:
        """A condition that must hold for the plan to apply; when it fails the plan is rebuilt."""
        self.guards.append(condition)

    def transposed(self, name: str) -> str:
        """The transpose of array ``name``: made once for arrays allocated or bound once, else at each use."""
        if name not in self.bound:
            return f"{name}.T"
        if name not in self._transposes:
            array = self.bound[name]
            self._transposes[name] = self.constant(array.T, "tr")
        return self._transposes[name]

    def input(self, name: str, array: np.ndarray, source: str) -> None:
        """An argument's array, read at the start of each call into ``name``."""
        self.prologue.append(f"    {name} = _array({source})")
        self.describe(name, array)
        self._ready.add(name)
        self.guard(f"{name}.flags.c_contiguous" if array.flags.c_contiguous else f"not {name}.flags.c_contiguous")


class Plan:
    """A prepared step: ``run(args, kwargs)`` returns the step's arrays, :data:`FALLBACK` when this call
    must take the general replay, or None when the plan no longer applies (rebuild it)."""

    def __init__(self, template: str, namespace: dict[str, Any], title: str,
                 gradients: list[tuple[Any, str]], held: list[str]) -> None:
        self._unfinished: tuple[Any, ...] | None = (template, namespace, title, gradients, held)
        self.source = ""
        self.kernel_source = ""  # the whole-step kernel's source, when the plan is one kernel (see ``fused``)
        self.run: Callable[..., Any] | None = None

    def finish(self) -> None:
        """Compile the plan; called once the builder's own references to the gradient arrays are gone."""
        assert self._unfinished is not None
        template, namespace, title, gradients, held = self._unfinished
        self._unfinished = None
        # the recording's gradients are the eager step's: the plan's gradient arrays start with them
        for p, name in gradients:
            grad = namespace[name]
            grad._data[...] = p.grad.data if p.grad is not None else 0
            p._grad = grad
        del p, grad, name
        # how many references each gradient array has when only the plan and its parameter hold it
        counts = {name: sys.getrefcount(namespace[name]) for name in held}
        for name, value in counts.items():
            template = template.replace(f"<count of {name}>", str(value))
        self.source = template + (f"\n\n{self.kernel_source}" if self.kernel_source else "")
        filename = f"<tg.compile plan {next(_counter)}: {title}>"
        exec(compile(template, filename, "exec"), namespace)
        self.run = namespace.pop("planned")
        if "_whole_step" in namespace:
            namespace["_whole_step"] = _direct_after_first_call(namespace["_whole_step"], namespace)
        linecache.cache[filename] = (len(template), None, template.splitlines(keepends=True), filename)
        weakref.finalize(self.run, linecache.cache.pop, filename, None)


def _direct_after_first_call(kernel: Any, namespace: dict[str, Any]) -> Callable[..., Any]:
    """``kernel`` (a Numba dispatcher) for the first call; then its compiled entry point for those argument
    types, bound in its place in ``namespace``: that skips the dispatcher's typing of each argument (half a
    microsecond a call). Every later call passes arrays of the same dtypes and dimensions (the program's
    key), C-ordered and aligned (the plan's guards), so the same compiled code applies."""

    def first_call(*arguments: Any) -> Any:
        result = kernel(*arguments)
        try:
            entry = kernel.overloads[tuple(kernel.typeof_pyval(a) for a in arguments)].entry_point
        except (AttributeError, KeyError):  # not a Numba dispatcher (the JIT off), or not found: keep calling it
            entry = kernel
        namespace["_whole_step"] = entry
        return result

    return first_call


def build(inputs: list[tuple[int | str, list[Any]]], events: list[tuple[Any, ...]],
          outputs: tuple[type | None, list[tuple[str, Any, int]]] | None, title: str) -> Plan:
    """Prepare the recorded program; raise :class:`UnsupportedStepError` when it is not of the shape plans handle.

    On the Numba backend (JIT on), a step whose every op, and its optimizer, has a loop template
    becomes one whole-step kernel (:mod:`.fused`); any other runs the ops' prepared calls.

    ``inputs``, ``events`` and ``outputs`` are those of ``compile._Program``, which calls this when it
    records a step:

    >>> import numpy as np, tinygrad_vn as tg, tinygrad_vn.functional as F
    >>> model = tg.nn.mlp([4, 3, 2], "relu")
    >>> opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> @tg.compile
    ... def step(x, y):
    ...     opt.zero_grad()
    ...     loss = F.cross_entropy(model(x), y)
    ...     loss.backward()
    ...     opt.step()
    ...     return loss
    >>> loss = step(np.ones((5, 4), np.float32), np.zeros(5, np.int64))
    >>> next(iter(step.programs.values())).plan.source.splitlines()[0]
    'def planned(args, kwargs):  # prepared plan of step'
    """
    if fused_steps_enabled(backend.get_backend()):
        try:
            return _build(inputs, events, outputs, title, fused=True)
        except NoLoopFormError:
            pass
    return _build(inputs, events, outputs, title, fused=False)


def _build(inputs: list[tuple[int | str, list[Any]]], events: list[tuple[Any, ...]],
           outputs: tuple[type | None, list[tuple[str, Any, int]]] | None, title: str, fused: bool) -> Plan:
    """The plan of :func:`build`: one whole-step kernel when ``fused`` (or :class:`NoLoopFormError`), else op by op."""
    zero, ops, backward, _ = _split(events)
    opt = zero[2][0]
    root, params = backward[1], opt.params
    _check_parameters(ops, params, backward)
    plan = PlanBuilder()
    names: dict[int, str] = {}
    for where, tensors in inputs:
        source = f"args[{where}]" if isinstance(where, int) else f"kwargs[{where!r}]"
        name = f"a{len(names)}"
        plan.input(name, tensors[0].data, source)
        for tensor in tensors:
            names[id(tensor)] = name
    dtype = params[0].dtype
    plan.dtype_of_step = np.dtype(dtype)
    flat, views = _flat_parameters(opt, dtype)
    flat_name = plan.constant(flat, "P")
    for p, view in zip(params, views):
        names[id(p)] = name = plan.constant(view, "w")
        plan.guard(f"{plan.constant(p, 'p')}._data is {name}")
    grad_flat, grad_views = _flat_copy([np.zeros(p.shape, dtype) for p in params], dtype)
    grad_flat_name = plan.constant(grad_flat, "G")
    grad_names = {id(p): plan.constant(view, "g") for p, view in zip(params, grad_views)}
    grad_tensors = [Tensor._from_op(view, None) for view in grad_views]
    loop = LoopBuilder(plan, {flat_name: flat, grad_flat_name: grad_flat}) if fused else None
    plan.root_ctx = root._ctx
    prepared_forwards: set[int] = set()
    # forward
    for _, _, ctx, op_inputs, attrs, output in ops:
        arguments = []
        for tensor in op_inputs:
            if id(tensor) not in names:  # a constant or a closure tensor: read at each call, as the general replay does
                if loop is not None:
                    raise NoLoopFormError("a tensor read from the closure at each call")
                names[id(tensor)] = plan.local(_data_of, plan.constant(tensor, "t"))
                plan.describe(names[id(tensor)], tensor.data)
            arguments.append(names[id(tensor)])
        if loop is not None:
            names[id(output)] = _loop_forward(loop, ctx, arguments, attrs)
            continue
        plan.body.append(f"    # {' '.join(str(ctx.name).split())}")
        planned = getattr(ctx.fn, "plan_forward", None)
        result = planned(plan, ctx, arguments, attrs) if planned is not None else None
        if result is not None:
            prepared_forwards.add(id(ctx))
        else:
            forward = plan.constant(ctx.fn.forward, "f")
            call = ", ".join([plan.constant(ctx, "c"), *arguments, *([f"**{plan.constant(attrs, 'k')}"] if attrs
                                                                     else [])])
            result = plan.value(f"{forward}({call})", str(ctx.name))
        plan.describe(result, output.data)
        names[id(output)] = result
    # backward
    seed = np.empty(root.shape, root.dtype)
    seed.fill(1)
    grads: dict[int, str] = {id(root): plan.constant(seed, "s") if loop is None else
                             loop.buffer(seed.shape, seed.dtype, initial=seed)}
    order, facts = backward[4], backward[5]
    for tensor in reversed(order):
        if id(tensor) not in grads or tensor._ctx is None:
            continue
        ctx = tensor._ctx
        parents = next(event[3] for event in ops if event[2] is ctx)
        targets = []
        for parent, needed, fact in zip(parents, ctx.needs_input_grad, facts[id(tensor)]):
            if needed and fact is not None:
                if id(parent) in grads or fact is False:
                    raise UnsupportedStepError("gradients that meet, or a gradient that needs converting")
                targets.append(grad_names.get(id(parent), ""))
            else:
                targets.append(None)
        if loop is not None:
            made = _loop_backward(loop, ctx, [names[id(p)] for p in parents], names[id(tensor)], grads[id(tensor)],
                                  targets)
        else:
            plan.body.append(f"    # {' '.join(str(ctx.name).split())} backward")
            planned = getattr(ctx.fn, "plan_backward", None)
            made = planned(plan, ctx, [names[id(p)] for p in parents], names[id(tensor)], grads[id(tensor)],
                           targets) if planned is not None else None
        if made is None:
            if id(ctx) in prepared_forwards:  # its context holds nothing: the prepared forward saved nothing
                raise UnsupportedStepError(f"{ctx.name}: a prepared forward without a prepared backward")
            made = _general_backward(plan, ctx, grads[id(tensor)], targets)
        for parent, target, name in zip(parents, targets, made):
            if target is None:
                continue
            if target and name != target:
                if loop is not None:
                    loop.line(f"_loops.copy_into({loop.flat(name)}, {loop.flat(target)})")
                else:
                    plan.call(np.copyto, target, name)
                name = target
            grads[id(parent)] = name
    if any(id(p) not in grads for p in params):
        raise UnsupportedStepError("a parameter the optimizer updates gets no gradient")
    # the optimizer
    plan.body.append(f"    # {type(opt).__name__}.step")
    plan_step = getattr(opt, "plan_step", None)
    if plan_step is None or not plan_step(plan, flat_name, grad_flat_name, params, views, grad_views, loop=loop):
        if loop is not None:
            raise NoLoopFormError(f"{type(opt).__name__} with these settings has no loop form")
        raise UnsupportedStepError(f"{type(opt).__name__} with these settings has no prepared form")
    kernel_source = ""
    if loop is not None:
        kernel_source, call = loop.finish()
        plan.bound["_whole_step"] = whole_step.load(kernel_source, "whole_step", title)
        plan.body.append(f"    _whole_step({call})  # forward, backward and update: one kernel")
    returned = _returned(plan, outputs, names)
    grad_tensor_names = [plan.constant(t, "gt") for t in grad_tensors]
    for p, grad_tensor in zip(params, grad_tensor_names):
        plan.body.append(f"    {plan.constant(p, 'p')}._grad = {grad_tensor}")
    plan.call(bump_versions, plan.constant(tuple(params), "ps"))  # every parameter changed: one version each
    plan.body.append(f"    {plan.constant(opt, 'o')}._step_calls += 1")
    held = [*grad_tensor_names, *[grad_names[id(p)] for p in params], grad_flat_name]
    guards = [*plan.guards, *[f"_rc({name}) <= <count of {name}>" for name in held]]
    lines = [f"def planned(args, kwargs):  # prepared plan of {' '.join(str(title).split())}", *plan.prologue,
             "    if not (" + "\n            and ".join(guards) + "):", "        return None",
             *plan.checks, *plan.body, f"    return ({''.join(r + ', ' for r in returned)})"]
    plan_of_step = Plan("\n".join(lines) + "\n", {**plan.bound, "_rc": sys.getrefcount}, title,
                        list(zip(params, grad_tensor_names)), held)
    plan_of_step.kernel_source = kernel_source
    return plan_of_step


def _loop_forward(loop: LoopBuilder, ctx: Any, arguments: list[str], attrs: dict[str, Any]) -> str:
    template = getattr(ctx.fn, "loop_forward", None)
    start = len(loop.lines)
    result = template(loop, ctx, arguments, attrs) if template is not None else None
    if result is None:
        raise NoLoopFormError(f"{ctx.name} has no loop form for these arrays")
    loop.lines.insert(start, f"    # {' '.join(str(ctx.name).split())}")
    return result


def _loop_backward(loop: LoopBuilder, ctx: Any, inputs: list[str], output: str, grad: str,
                   targets: list[str | None]) -> list[str | None]:
    template = getattr(ctx.fn, "loop_backward", None)
    start = len(loop.lines)
    made = template(loop, ctx, inputs, output, grad, targets) if template is not None else None
    if made is None:
        raise NoLoopFormError(f"{ctx.name} has no loop form of its backward here")
    loop.lines.insert(start, f"    # {' '.join(str(ctx.name).split())} backward")
    return made


def _data_of(tensor: Any) -> np.ndarray:
    return tensor._data


def _split(events: list[tuple[Any, ...]]) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], tuple[Any, ...],
                                                   tuple[Any, ...]]:
    """The zero_grad call, the op events, the backward event and the step call; or UnsupportedStepError."""
    from .optim.optimizer import Optimizer

    if len(events) < 4 or events[0][0] != "call" or events[-1][0] != "call" or events[-2][0] != "backward":
        raise UnsupportedStepError("not zero_grad, ops, backward, step")
    zero, backward, step = events[0], events[-2], events[-1]
    ops = events[1:-2]
    if any(event[0] != "op" for event in ops) or not ops:
        raise UnsupportedStepError("something other than ops between zero_grad and backward")
    opt = zero[2][0] if zero[2] else None
    if (zero[1] is not Optimizer.zero_grad.__wrapped__ or not isinstance(opt, Optimizer) or len(zero[2]) != 1
            or zero[3] not in ({}, {"set_to_none": True})):
        raise UnsupportedStepError("the step does not start with optimizer.zero_grad()")
    if step[1] is not Optimizer.step.__wrapped__ or step[2] != (opt,) or step[3]:
        raise UnsupportedStepError("the step does not end with the same optimizer's step()")
    if backward[2] is not None or backward[3] or backward[1].data.size != 1 or backward[1] is not ops[-1][5]:
        raise UnsupportedStepError("backward is not from the last op's scalar result without arguments")
    return zero, ops, backward, step


def _check_parameters(ops: list[tuple[Any, ...]], params: list[Any], backward: tuple[Any, ...]) -> None:
    leaves = {id(t) for event in ops for t in event[3] if t._ctx is None and t.requires_grad}
    if leaves != {id(p) for p in params} or len(params) != len(leaves):
        raise UnsupportedStepError("the optimizer's parameters are not the step's trainable leaves")
    dtypes = {p.dtype for p in params}
    if len(dtypes) != 1 or next(iter(dtypes)) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise UnsupportedStepError("parameters of mixed or non-float dtypes")
    if any(p.data.size == 0 for p in params):
        raise UnsupportedStepError("an empty parameter")


def _flat_parameters(opt: Any, dtype: np.dtype) -> tuple[np.ndarray, list[np.ndarray]]:
    """The optimizer's flat parameter array and views, made (and the parameters moved into it) when needed."""
    params = opt.params
    known = _FLAT_PARAMS.get(opt)
    if known is not None and len(known[1]) == len(params) and all(
            p._data is view for p, view in zip(params, known[1])):
        return known
    flat, views = _flat_copy([p._data for p in params], dtype)
    for p, view in zip(params, views):
        p._data = view  # the same values in the same place for everyone: no version change
    _FLAT_PARAMS[opt] = (flat, views)
    return flat, views


def _general_backward(plan: PlanBuilder, ctx: Any, grad: str, targets: list[str | None]) -> list[str | None]:
    """An op without a prepared backward: its own ``backward``, its results named."""
    result = plan.local(ctx.fn.backward, plan.constant(ctx, "c"), grad)
    if len(targets) == 1:
        result = plan.local(_as_tuple, result)
    return [None if target is None else f"{result}[{i}]" for i, target in enumerate(targets)]


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return value if type(value) is tuple else (value,)


def _returned(plan: PlanBuilder, outputs: tuple[type | None, list[tuple[str, Any, int]]] | None,
              names: dict[int, str]) -> list[str]:
    """Code for each returned array: fresh where the plan would overwrite it on the next call."""
    if outputs is None:
        return []
    code = []
    for kind, tensor, _ in outputs[1]:
        name = names.get(id(tensor))
        if kind == "captured":
            raise UnsupportedStepError("a returned gradient")
        if kind == "copy" or name is None:
            code.append(f"{plan.constant(tensor, 't')}._data.copy()")
        elif name in plan.bound:  # a buffer of the plan (or a parameter view): the next call overwrites it
            code.append(f"{name}.copy()")
        else:
            code.append(name)
    return code
