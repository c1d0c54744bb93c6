"""The autodiff engine: how ops are recorded and how the backward pass walks them.

An op is a :class:`Function` subclass with a static ``forward(ctx, *arrays, **attrs)`` and
``backward(ctx, grad)`` written side by side on NumPy arrays. ``MyOp.apply(*tensors)`` runs the
forward and, when gradients are wanted, records a :class:`Context` on the output that remembers the
op, its inputs (in order, with repeats) and what the forward saved. :func:`backward` walks those
contexts from the output back to the leaves in reverse topological order, iteratively, so graph
depth is limited only by memory.

This module knows nothing of the concrete ``Tensor`` class: ``apply`` builds its output with the
type of its first tensor argument, which must provide ``_from_op`` and ``_lift``.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from .anomaly import detect_anomaly as detect_anomaly
from .anomaly import is_anomaly_enabled as is_anomaly_enabled
from .anomaly import set_detect_anomaly as set_detect_anomaly


class _GradMode(threading.local):
    """This thread's recording mode, and the stack of modes that open ``no_grad`` blocks will restore."""

    enabled = True  # a class default: reading it costs no failed lookup on threads that never set it
    tracer: Tracer | None = None  # set while ``tg.compile`` runs a step once to record it

    def __init__(self) -> None:
        self.saved: list[bool] = []


_state = _GradMode()


def is_grad_enabled() -> bool:
    """Whether ops run now are recorded for backward."""
    return _state.enabled


class set_grad_enabled:
    """Turn recording of ops for backward on or off for this thread, as PyTorch's ``set_grad_enabled``.

    Called as a function it switches the mode at once and for good; used as a context manager the
    mode it replaced comes back when the block ends (even on an exception); used as a decorator the
    mode applies during each call of the function only.

    >>> import tinygrad_vn as tg
    >>> with tg.set_grad_enabled(False):
    ...     print(tg.is_grad_enabled())
    False
    >>> tg.is_grad_enabled()
    True
    """

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"set_grad_enabled takes True or False, not {type(mode).__name__} {mode!r}")
        self.mode = bool(mode)
        self.previous = _state.enabled
        _state.enabled = self.mode

    def __enter__(self) -> set_grad_enabled:
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc: object) -> None:
        _state.enabled = self.previous

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        _state.enabled = self.previous  # decorating must not change the mode of the code that decorates
        return _with_grad_mode(function, self.mode)


def _with_grad_mode(function: Callable[..., Any], mode: bool) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        previous, _state.enabled = _state.enabled, mode
        try:
            return function(*args, **kwargs)
        finally:
            _state.enabled = previous

    return wrapper


class _GradModeBlock(contextlib.ContextDecorator):
    """A block (or decorated function) that runs with recording set to ``mode``, then restores the previous one.

    One instance may be entered again before it exits (a decorated recursive function, threads):
    the mode to restore lives on a per-thread stack, not on the instance.
    """

    mode = False

    def __enter__(self) -> _GradModeBlock:
        _state.saved.append(_state.enabled)
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc: object) -> None:
        _state.enabled = _state.saved.pop()


class no_grad(_GradModeBlock):
    """Context manager and decorator under which no op is recorded (evaluation, manual updates).

    >>> import tinygrad_vn as tg
    >>> w = tg.tensor([1.0, 2.0], requires_grad=True)
    >>> with tg.no_grad():
    ...     (w * 2).requires_grad
    False
    """

    mode = False


class enable_grad(_GradModeBlock):
    """Context manager and decorator that turns recording back on inside a ``no_grad`` block.

    >>> import tinygrad_vn as tg
    >>> with tg.no_grad(), tg.enable_grad():
    ...     tg.is_grad_enabled()
    True
    """

    mode = True


class inference_mode(_GradModeBlock):
    """PyTorch's ``inference_mode``: here the same as :class:`no_grad` (``inference_mode(False)`` records).

    >>> import tinygrad_vn as tg
    >>> with tg.inference_mode():
    ...     tg.is_grad_enabled()
    False
    """

    def __init__(self, mode: bool = True) -> None:
        self.mode = not mode


# ----------------------------------------------------------------------------- version counters
# Every change made to a tensor through the Tensor API bumps its version. A recorded op remembers the
# global count of such changes when it ran (``Context.epoch``); while that count has not moved, nothing
# it saved can have changed and backward checks nothing more. Tensors that share memory (a view and
# its base, a detached copy) share one counter, as in PyTorch.

_MUTATIONS = [0]  # changes made so far in this process, through any tensor
_HISTORY = 16  # how many past changes each counter remembers, to report the version an op saw


class Version:
    """A tensor's version counter: ``value`` changes made to it, ``epochs`` when the last ones happened."""

    __slots__ = ("epochs", "replaced", "value")

    def __init__(self) -> None:
        self.value = 0
        self.epochs: list[int] = []
        self.replaced: tuple[int, int] = (0, 0)  # (id of an array swapped out by ``.data =``, when)

    def at(self, epoch: int) -> int:
        """The version this counter had at ``epoch`` (as well as the remembered history allows)."""
        return self.value - sum(1 for e in self.epochs if e > epoch)

    def changed_since(self, epoch: int) -> bool:
        """Whether the tensor changed after ``epoch``."""
        return bool(self.epochs) and self.epochs[-1] > epoch


def version_of(tensor: Any) -> Version:
    """``tensor``'s counter, made on first use (most tensors never change and never need one)."""
    counter = tensor._vc
    if counter is None:
        counter = tensor._vc = Version()
    return counter


def bump_version(tensor: Any, replaced: np.ndarray | None = None) -> None:
    """Record one change to ``tensor`` (``replaced``: the array that ``.data =`` swapped out)."""
    counter = tensor._vc
    if counter is None:
        counter = tensor._vc = Version()
    _MUTATIONS[0] += 1
    counter.value += 1
    counter.epochs.append(_MUTATIONS[0])
    if len(counter.epochs) > _HISTORY:
        del counter.epochs[0]
    if replaced is not None:
        counter.replaced = (id(replaced), _MUTATIONS[0])


def bump_versions(tensors: Sequence[Any]) -> None:
    """Record one change to each of ``tensors``, in order, as one :func:`bump_version` call each would:
    a compiled step's update moves every parameter's version with one call instead of one per parameter.

    >>> import tinygrad_vn as tg
    >>> a, b = tg.tensor([1.0]), tg.tensor([2.0])
    >>> bump_versions([a, b, a])
    >>> a._version, b._version
    (2, 1)
    """
    mutations = _MUTATIONS[0]
    for tensor in tensors:
        counter = tensor._vc
        if counter is None:
            counter = tensor._vc = Version()
        mutations += 1
        counter.value += 1
        epochs = counter.epochs
        epochs.append(mutations)
        if len(epochs) > _HISTORY:
            del epochs[0]
    _MUTATIONS[0] = mutations


_REBASED = [False]  # set once any tracked in-place op has moved a tensor onto a new node
_anomaly: Any = None  # while anomaly mode is on, what runs each op's forward and backward (see anomaly.py)


class Tracer:
    """What a step does while :func:`tinygrad_vn.compile` runs it once to record it.

    ``events`` lists, in call order: ``("op", fn, ctx, inputs, attrs, output)`` for every op applied,
    ``("backward", root, grad, retain_graph, order, facts)`` for every backward pass (with the
    topological order it walked, and for each op it went through, by the ``id`` of its output, what
    its backward returned for each input: None for no gradient, True for an array of the input's
    shape, False for anything that had to be converted), and ``("call", method, args, kwargs)``
    for every :func:`replayed` method called (an optimizer's ``step``, a ``zero_grad``). Nothing
    else a step does is seen. ``leaf_copies`` keeps each trainable leaf's array as the first op read
    it, and ``gradients`` the leaves' gradients as the last backward pass left them, so that edits
    made behind the tracer's back can be found.
    """

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.leaf_copies: dict[int, tuple[Any, np.ndarray]] = {}
        self.gradients: list[tuple[Any, Any, np.ndarray]] = []

    def note_gradients(self, order: list[Any]) -> None:
        """Remember the gradients that a backward pass over ``order`` left in its leaves."""
        self.gradients = [(t, t.grad, t.grad.data.copy()) for t in order if t._ctx is None and t.grad is not None]

    def check_gradients(self, before: str) -> None:
        """Raise if a noted gradient was replaced or changed in place since: a replay would not repeat that."""
        for tensor, grad, copy in self.gradients:
            if tensor.grad is not grad or not np.array_equal(grad.data, copy, equal_nan=True):
                raise RuntimeError(
                    f"tg.compile: the gradient of a parameter of shape {tensor.shape} was changed between "
                    f"backward() and {before}. Edits to .grad (clipping, scaling, resetting by hand) would "
                    "run only on the recording call; do them outside the compiled step")
        self.gradients = []

    def record_op(self, fn: type[Function], ctx: Context, inputs: tuple[Any, ...], attrs: dict[str, Any],
                  output: Any) -> None:
        """Note one applied op."""
        for _, grad, _ in self.gradients:
            if any(tensor is grad for tensor in inputs):
                raise RuntimeError(f"tg.compile: {fn.__name__} reads a parameter's .grad, which a replay would not "
                                   "see change (each backward makes new gradient tensors); compute from "
                                   "gradients outside the compiled step")
        for tensor in inputs:
            if tensor.requires_grad and tensor._ctx is None and id(tensor) not in self.leaf_copies:
                self.leaf_copies[id(tensor)] = (tensor, tensor.data.copy())
        self.events.append(("op", fn, ctx, inputs, attrs, output))


def current_tracer() -> Tracer | None:
    """The tracer recording this thread's ops while ``tg.compile`` records a step, else None."""
    return _state.tracer


@contextlib.contextmanager
def tracing(tracer: Tracer | None) -> Any:
    """Record ops, backward passes and replayed calls into ``tracer`` (None: record nothing) meanwhile."""
    previous, _state.tracer = _state.tracer, tracer
    try:
        yield tracer
    finally:
        _state.tracer = previous


Method = TypeVar("Method", bound=Callable[..., Any])


def replayed(method: Method) -> Method:
    """Mark a method whose effect a compiled step must repeat each call (an optimizer's ``step``).

    While a step is traced the call is recorded as one event, and whatever it does inside is not.
    """

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        tracer = _state.tracer
        if tracer is None:
            return method(*args, **kwargs)
        tracer.check_gradients(f"{method.__qualname__}()")
        tracer.events.append(("call", method, args, kwargs))
        with tracing(None):
            return method(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class Context:
    """What one application of a Function remembers for its backward pass.

    ``parents`` are the input tensors in call order; ``needs_input_grad`` says which of them want a
    gradient; ``saved`` holds what the forward passed to :meth:`save_for_backward`. Forward code may
    also set plain attributes (an axis, a slope) on the context.
    """

    needs_input_grad: tuple[bool, ...] = ()
    saved: tuple[Any, ...] = ()
    released = False
    epoch = 0  # the count of tensor changes when the op was recorded (see ``bump_version``)
    inplace = False  # an in-place op: parents[0] is the node its tensor held before the change
    anomaly_where = None  # in anomaly mode: the user's file and line that applied the op (anomaly.Location)

    def __init__(self, fn: type[Function], parents: tuple[Any, ...], attrs: dict[str, Any]) -> None:
        self.fn = fn
        self.parents = parents
        self.attrs = attrs

    @property
    def name(self) -> str:
        """The op's name, e.g. ``"Sigmoid"``."""
        return self.fn.__name__

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays the backward will need; they are freed after backward unless retained."""
        self.saved = arrays

    def release(self) -> None:
        """Drop the saved buffers; a later backward through this node raises a clear error."""
        self.saved = ()
        self.released = True

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """What the forward saved (PyTorch's name for :attr:`saved`)."""
        return self.saved

    def __repr__(self) -> str:
        return f"<{self.name}>"


class Function:
    """Base class of every op: subclass it with static ``forward`` and ``backward``.

    ``forward(ctx, *arrays, **attrs)`` receives the inputs' arrays and returns the output array.
    ``backward(ctx, grad)`` receives the output's gradient and returns one gradient per input (or
    ``None`` for an input that needs none), each of that input's shape. An op with
    ``differentiable = False`` (a comparison, an argmax) is never recorded for backward: its output
    is a constant to autodiff, but ``tg.compile`` still replays it.
    """

    differentiable = True
    view = False  # the output shares the first input's memory (and so its version counter)

    @classmethod
    def apply(cls, *inputs: Any, **attrs: Any) -> Any:
        """Run the op on ``inputs`` (tensors, or constants lifted to tensors) and record it."""
        # The hot path of every op, written out for one, two or three inputs (no comprehensions, no
        # ``*map``, no ``Context.__init__`` frame): a 1-element op with grad costs a third less this way.
        tensors = inputs  # the common case: every input is already a tensor
        base = getattr(type(inputs[0]), "_op_base", None) if inputs else None
        if base is None:
            tensors = _lifted(cls, inputs)
            base = tensors[0]._op_base
        else:
            for x in inputs:
                if not isinstance(x, base):
                    tensors = _lifted(cls, inputs)
                    break
        ctx = _new_context(Context)
        ctx.fn, ctx.parents, ctx.attrs = cls, tensors, attrs
        recorded = None
        count = len(tensors)
        if _state.enabled and cls.differentiable:
            if count == 2:
                first, second = tensors
                needs: tuple[bool, ...] = (first.requires_grad, second.requires_grad)
            elif count == 1:
                needs = (tensors[0].requires_grad,)
            else:
                needs = tuple([t.requires_grad for t in tensors])
            if True in needs:  # set before the forward, which may save only what those gradients need
                ctx.needs_input_grad = needs
                ctx.epoch = _MUTATIONS[0]
                recorded = ctx
        if _anomaly is not None:
            out = _anomaly.forward(cls, ctx, tensors, attrs)
        elif attrs:
            if count == 1:  # a reduction, a reshape: one tensor and its settings
                out = cls.forward(ctx, tensors[0]._data, **attrs)
            else:
                out = cls.forward(ctx, *[t._data for t in tensors], **attrs)
        elif count == 2:
            out = cls.forward(ctx, tensors[0]._data, tensors[1]._data)
        elif count == 1:
            out = cls.forward(ctx, tensors[0]._data)
        elif count == 3:
            out = cls.forward(ctx, tensors[0]._data, tensors[1]._data, tensors[2]._data)
        else:
            out = cls.forward(ctx, *[t._data for t in tensors])
        result = base._from_op(out, recorded)
        if cls.view and np.may_share_memory(result._data, tensors[0]._data):
            result._vc = version_of(tensors[0])
        tracer = _state.tracer
        if tracer is not None:
            tracer.record_op(cls, ctx, tensors, attrs, result)
        return result

    @staticmethod
    def forward(ctx: Context, *arrays: Any, **attrs: Any) -> np.ndarray:
        """Compute the output array (override in a subclass)."""
        raise TypeError("Function subclasses must define a static forward(ctx, *arrays)")

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Any:
        """Return the inputs' gradients (override in a subclass)."""
        raise TypeError(f"{ctx.name} defines no backward(ctx, grad)")


_new_context = object.__new__  # ``Function.apply`` builds its Context without running ``__init__``


def _lifted(fn: type[Function], inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    """``inputs`` with constants lifted to tensors of the first tensor's base class (a subclass's first
    input must not make others constants)."""
    like = next((x for x in inputs if hasattr(type(x), "_from_op")), None)
    if like is None:
        raise TypeError(f"{fn.__name__}.apply needs at least one Tensor argument")
    tensor_type = type(like)._op_base
    return tuple([x if isinstance(x, tensor_type) else tensor_type._lift(x, like) for x in inputs])


BackwardHook = Callable[[Any, np.ndarray, tuple[Any, ...]], None]


def backward(root: Any, grad: np.ndarray | None = None, retain_graph: bool = False,
             hook: BackwardHook | None = None) -> None:
    """Backpropagate from ``root``, accumulating gradients into the leaves' ``.grad``.

    ``hook(tensor, grad_out, input_grads)``, when given, is called for every op in the order the
    backward pass applies them (this is how ``tg.explain`` learns what was computed).
    """
    if not root.requires_grad:
        raise RuntimeError("backward() called on a tensor that does not require grad: "
                           "no input with requires_grad=True contributed to it")
    order = topological_order(root)
    seed = seed_gradient(root, grad)
    tracer = _state.tracer
    if tracer is None:
        walk_backward(root, seed, order, retain_graph, hook)
        return
    tracer.check_gradients("the next backward()")
    if _TENSOR_HOOKS:
        refuse_hooks_in_compiled_step(order)
    facts: dict[int, tuple[Any, ...]] = {}

    def note(tensor: Any, grad_out: np.ndarray, input_grads: tuple[Any, ...]) -> None:
        facts[id(tensor)] = tuple([(None if g is None else type(g) is np.ndarray and g.shape == p.data.shape)
                                   for p, g in zip(tensor._ctx.parents, input_grads)])
        if hook is not None:
            hook(tensor, grad_out, input_grads)

    tracer.events.append(("backward", root, grad, retain_graph, order, facts))
    with tracing(None):
        walk_backward(root, seed, order, True, note)  # a compiled step keeps its recorded graph whole
    if not retain_graph:
        for tensor in order:
            if tensor._ctx is not None:
                tensor._ctx.release()
    tracer.note_gradients(order)


def walk_backward(root: Any, seed: np.ndarray, order: list[Any], retain_graph: bool = False,
                  hook: BackwardHook | None = None, accumulate: Callable[..., None] | None = None,
                  more_roots: Sequence[tuple[Any, np.ndarray]] = ()) -> None:
    """The backward pass proper: ``seed`` flows from ``root`` along ``order`` (``topological_order(root)``).

    Each tensor's gradient, once complete, goes through its gradient hooks (``register_hook``), then
    into ``.grad`` for leaves and tensors that retain it, through ``accumulate`` (default: summed into
    ``.grad``; :func:`grad` passes one that does nothing). ``more_roots`` seeds further outputs.
    """
    grads: dict[int, np.ndarray] = {id(root): seed}
    handed_out = {id(seed)}  # arrays that a caller or a .grad already holds
    for other, other_seed in more_roots:
        key = id(other)
        grads[key] = grads[key] + other_seed if key in grads else other_seed
        handed_out.add(id(other_seed))
    if accumulate is None:
        accumulate = _accumulate_into_grad
    hooked = _TENSOR_HOOKS  # empty (false) unless some tensor has a gradient hook
    anomaly = _anomaly
    for tensor in reversed(order):
        g = grads.pop(id(tensor), None)
        if g is None:
            continue
        if hooked and id(tensor) in hooked:
            g = _run_gradient_hooks(hooked[id(tensor)], g)
        ctx = tensor._ctx
        if ctx is None:
            accumulate(tensor, g, handed_out)
            continue
        if tensor._retains_grad:
            accumulate(tensor, g, handed_out)
        if ctx.released:
            raise RuntimeError(
                f"Trying to backward through the graph a second time (at {ctx.name}): its saved "
                "buffers were freed by the first backward. Pass retain_graph=True to the first "
                "backward() if you need to call it again.")
        if ctx.epoch != _MUTATIONS[0]:
            check_saved_versions(tensor, ctx)
        input_grads = ctx.fn.backward(ctx, g) if anomaly is None else anomaly.backward(ctx, g)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        if len(input_grads) != len(ctx.parents):
            raise RuntimeError(f"{ctx.name}.backward returned {len(input_grads)} gradients "
                               f"for {len(ctx.parents)} inputs")
        if hook is not None:
            hook(tensor, g, input_grads)
        for parent, parent_grad, needed in zip(ctx.parents, input_grads, ctx.needs_input_grad):
            if not needed or parent_grad is None:
                continue
            if type(parent_grad) is not np.ndarray or parent_grad.shape != parent._data.shape:
                parent_grad = _checked_gradient(ctx, parent, parent_grad)
            key = id(parent)
            grads[key] = grads[key] + parent_grad if key in grads else parent_grad
    if not retain_graph:
        free_graph(order)


def seed_gradient(root: Any, grad: Any) -> np.ndarray:
    """The gradient that starts a backward pass from ``root``: ones for a scalar, else ``grad`` checked."""
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(f"backward() without a grad argument needs a scalar output, but this "
                               f"tensor has shape {root.shape}; pass grad= of that shape (e.g. "
                               "ones) or reduce it first (e.g. .sum() or .mean())")
        seed = np.empty(root.data.shape, root.data.dtype)
        seed.fill(1)  # half the cost of np.ones_like, which a compiled step pays on every call
        return seed
    if type(grad) is not np.ndarray and hasattr(type(grad), "_from_op"):  # arrays skip a failing (slow) hasattr
        grad = grad.data
    seed = np.asarray(grad, dtype=root._data.dtype)
    if seed.shape != root._data.shape:
        raise RuntimeError(f"backward(): grad has shape {seed.shape} but the tensor has shape {root.shape}")
    return seed


def topological_order(root: Any, every_input: bool = False) -> list[Any]:
    """Tensors that need a gradient, inputs before the ops that use them (iterative DFS).

    With ``every_input`` the walk also takes inputs that need no gradient (data, targets, constants),
    as the graph drawer wants.
    """
    ctx = root._ctx
    if ctx is None:
        return [root]
    rebased = _REBASED[0]  # point each op at the nodes it read, before later in-place ops moved its inputs
    if rebased:
        ctx.parents = tuple([node_seen_by(p, ctx) for p in ctx.parents])
    order: list[Any] = []
    visited = {id(root)}
    # Depth first, each op's inputs taken last first; a leaf goes into the order as soon as it is met, an
    # op once all its inputs are in. Each stack entry is an op and the iterator over its inputs not yet seen.
    stack: list[tuple[Any, Any]] = [(root, reversed(ctx.parents))]
    while stack:
        tensor, parents = stack[-1]
        for parent in parents:
            key = id(parent)
            if key in visited or not (every_input or parent.requires_grad):
                continue
            visited.add(key)
            ctx = parent._ctx
            if ctx is None:
                order.append(parent)
                continue
            if rebased:
                ctx.parents = tuple([node_seen_by(p, ctx) for p in ctx.parents])
            stack.append((parent, reversed(ctx.parents)))
            break
        else:
            stack.pop()
            order.append(tensor)
    return order


def node_seen_by(parent: Any, ctx: Context) -> Any:
    """The node that ``ctx``'s op read: ``parent`` as it was then, before any later in-place op moved it.

    An in-place op gives its tensor a new node and keeps the old one as its first parent, so ops that
    read the tensor earlier must follow the chain back to the node they saw.
    """
    while parent._ctx is not None and parent._ctx.inplace and parent._ctx.epoch > ctx.epoch:
        parent = parent._ctx.parents[0]
    return parent


def check_saved_versions(output: Any, ctx: Context) -> None:
    """Raise if a tensor whose array ``ctx``'s op saved for backward was changed since its forward."""
    candidates = [("output", output), *[(f"input {k}", parent) for k, parent in enumerate(ctx.parents)]]
    saved = [a for a in ctx.saved if isinstance(a, np.ndarray)]
    for role, tensor in candidates:
        counter = tensor._vc
        if counter is None or not counter.changed_since(ctx.epoch) or isinstance(tensor, FreedTensor):
            continue
        replaced, when = counter.replaced
        uses = any(a is tensor._data or np.may_share_memory(a, tensor._data) or (id(a) == replaced and when > ctx.epoch)
                   for a in saved)
        if uses or (ctx.fn.view and role == "output"):
            what = f"{tensor.name!r}, shape {tensor.shape}" if tensor.name else f"shape {tensor.shape}"
            raise RuntimeError(
                f"one of the tensors needed for gradient computation was modified by an in-place operation: "
                f"{ctx.name}'s {role} ({what}) is at version {counter.value}, but {ctx.name} saw version "
                f"{counter.at(ctx.epoch)} in the forward pass. Change it after backward() (an optimizer's step "
                "goes after loss.backward()), or give the op a copy (.clone())")


def _checked_gradient(ctx: Context, parent: Any, grad: Any) -> np.ndarray:
    if not isinstance(grad, np.ndarray):
        grad = np.asarray(grad, dtype=parent.data.dtype)
    if grad.shape != parent.shape:
        raise RuntimeError(f"{ctx.name}.backward returned a gradient of shape {grad.shape} "
                           f"for an input of shape {parent.shape}")
    return grad


def _accumulate_into_grad(tensor: Any, grad: np.ndarray, handed_out: set[int]) -> None:
    held = tensor._grad
    if held is None:
        # .grad must own its array: ops may pass one array to several inputs, and the user may change
        # .grad in place. A fresh array that nobody else holds is kept as it is (copying every
        # gradient cost up to a third of a 784-128-10 training step).
        dtype, flags = tensor._data.dtype, grad.flags
        if id(grad) in handed_out or grad.dtype != dtype or not (flags.owndata and flags.writeable):
            grad = np.array(grad, dtype=dtype)
        handed_out.add(id(grad))
        tensor._grad = tensor._op_base._from_op(grad, None)  # a plain Tensor, as Parameter._from_op makes
    else:
        existing = held._data
        if existing.flags.writeable and existing.shape == grad.shape:
            np.add(existing, grad, out=existing, casting="unsafe")  # in place, as PyTorch: a held .grad sees the sum
            bump_version(tensor.grad)
        else:
            tensor._grad = type(tensor)._from_op(existing + grad.astype(tensor.data.dtype, copy=False), None)


def _no_accumulation(tensor: Any, grad: np.ndarray, handed_out: set[int]) -> None:
    """What :func:`grad` accumulates into ``.grad``: nothing."""


class FreedTensor:
    """What a graph keeps of an intermediate tensor after backward freed its values: shape, dtype, name, node.

    After ``backward()`` without ``retain_graph``, each op's intermediate inputs are replaced by these,
    so that a loss kept in a list does not pin every activation (as PyTorch frees its graphs). The
    graph can still be drawn; its values cannot be read.
    """

    __slots__ = ("_ctx", "_vc", "dtype", "grad", "name", "requires_grad", "shape")

    def __init__(self, tensor: Any) -> None:
        self._ctx, self._vc, self.name, self.requires_grad = tensor._ctx, tensor._vc, tensor.name, tensor.requires_grad
        self.shape, self.dtype, self.grad = tensor._data.shape, tensor._data.dtype, None

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return len(self.shape)

    @property
    def size(self) -> int:
        """The number of elements."""
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def _retains_grad(self) -> bool:
        return False

    @property
    def data(self) -> np.ndarray:
        """Not available: raises, saying how to keep the values."""
        raise RuntimeError(
            f"the values of this intermediate tensor (shape {self.shape}) were freed by backward(); "
            "call backward(retain_graph=True), or draw/inspect the graph before backward")

    _data = data

    def __repr__(self) -> str:
        return f"<freed tensor shape={self.shape} dtype={self.dtype}>"


_KEEP_BYTES = 512  # arrays this small stay after backward: a stand-in would cost more than it frees


def free_graph(order: list[Any]) -> None:
    """Release every op of a graph walked by backward and drop the values it alone kept (keep its shape).

    Intermediate tensors and the data fed in (inputs, labels: leaves without a gradient) whose arrays
    are bigger than ``_KEEP_BYTES`` are replaced by :class:`FreedTensor`; parameters and small values
    stay (so a drawing of a small teaching network still shows them).
    """
    stand_ins: dict[int, Any] = {}
    for tensor in order:
        ctx = tensor._ctx
        if ctx is None:
            continue
        ctx.saved, ctx.released = (), True  # ctx.release(), without the call
        parents = ctx.parents
        for p in parents:
            if type(p) is not FreedTensor and (p._ctx is not None or not p.requires_grad) \
                    and p._data.nbytes > _KEEP_BYTES:
                break
        else:
            continue  # nothing worth freeing here: keep the tuple as it is
        kept = []
        for p in parents:
            stand_in = stand_ins.get(id(p))
            if stand_in is None and type(p) is not FreedTensor and (p._ctx is not None or not p.requires_grad) \
                    and p._data.nbytes > _KEEP_BYTES:
                stand_in = stand_ins[id(p)] = FreedTensor(p)
            kept.append(p if stand_in is None else stand_in)
        ctx.parents = tuple(kept)


def is_freed(tensor: Any) -> bool:
    """Whether ``tensor`` is a stand-in whose values backward freed."""
    return isinstance(tensor, FreedTensor)


# ----------------------------------------------------------------------------- gradient hooks
# A hook on a tensor's gradient runs when the backward walk has summed that gradient, before it goes
# into a leaf's .grad or on through the op that made the tensor. Hooks live in one table keyed by the
# tensor's id (so tensors pay nothing, and the walk checks one empty dict, until a hook exists); a
# finalizer drops a tensor's entry when the tensor goes away.

GradientHook = Callable[[np.ndarray], "np.ndarray | None"]


class _HookTable(dict):  # type: ignore[type-arg]
    """One tensor's gradient hooks, by handle number: ``(hook on arrays, what registered it)``."""

    __slots__ = ("finalizer", "key")


_TENSOR_HOOKS: dict[int, _HookTable] = {}
_hook_numbers = itertools.count()


class RemovableHandle:
    """What registering a hook returns: ``handle.remove()`` takes the hook off (a second call does nothing).

    It is also a context manager that removes the hook when the block ends, as PyTorch's is.
    """

    __slots__ = ("_after_remove", "_hooks", "_number")

    def __init__(self, hooks: dict[int, Any], number: int, after_remove: Callable[[], None] | None = None) -> None:
        self._hooks: dict[int, Any] | None = hooks
        self._number = number
        self._after_remove = after_remove

    def remove(self) -> None:
        """Take the hook off; later backward passes or calls no longer run it."""
        hooks, self._hooks = self._hooks, None
        if hooks is not None:
            hooks.pop(self._number, None)
            if self._after_remove is not None:
                self._after_remove()

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def add_gradient_hook(tensor: Any, hook: GradientHook, label: str, lasting: bool = True) -> RemovableHandle:
    """Run ``hook(gradient array)`` each time backward computes ``tensor``'s gradient; a returned array replaces it.

    ``label`` says what registered it (for error messages). With ``lasting`` false the caller promises
    to remove it before ``tensor`` goes away, and no finalizer is set up.
    """
    key = id(tensor)
    table = _TENSOR_HOOKS.get(key)
    if table is None:
        table = _TENSOR_HOOKS[key] = _HookTable()
        table.key = key
        table.finalizer = weakref.finalize(tensor, _forget_hooks, table) if lasting else None
    elif lasting and table.finalizer is None:
        table.finalizer = weakref.finalize(tensor, _forget_hooks, table)
    number = next(_hook_numbers)
    table[number] = (hook, label)
    return RemovableHandle(table, number, functools.partial(_tidy_hooks, table))


def _forget_hooks(table: _HookTable) -> None:
    if _TENSOR_HOOKS.get(table.key) is table:
        del _TENSOR_HOOKS[table.key]


def _tidy_hooks(table: _HookTable) -> None:
    """After a removal: drop a table left empty, so that the walk sees no hooks again."""
    if not table:
        _forget_hooks(table)
        if table.finalizer is not None:
            table.finalizer.detach()
            table.finalizer = None


def move_gradient_hooks(source: Any, target: Any) -> None:
    """Give ``source``'s hooks to ``target``: an in-place op keeps them on the node the tensor was before it
    (they see the gradient with respect to the old values, as in PyTorch)."""
    table = _TENSOR_HOOKS.pop(id(source), None)
    if table is None:
        return
    if table.finalizer is not None:
        table.finalizer.detach()
        table.finalizer = weakref.finalize(target, _forget_hooks, table)
    table.key = id(target)
    _TENSOR_HOOKS[table.key] = table


def _run_gradient_hooks(table: _HookTable, grad: np.ndarray) -> np.ndarray:
    for hook, _ in list(table.values()):
        replaced = hook(grad)
        if replaced is not None:
            grad = replaced
    return grad


def register_hook(tensor: Any, hook: Callable[[Any], Any]) -> RemovableHandle:
    """``tensor.register_hook(hook)``: ``hook(grad)`` gets the gradient as a read-only Tensor and may return
    a Tensor of the same shape and dtype to use instead (see ``Tensor.register_hook``)."""
    if not callable(hook):
        raise TypeError(f"register_hook needs a function hook(grad), got a {type(hook).__name__}")
    if not tensor.requires_grad:
        raise RuntimeError(f"cannot register a hook on a tensor that does not require grad (shape {tensor.shape}); "
                           "create it with requires_grad=True, or hook a tensor computed from one")
    tensor_type = type(tensor)._op_base
    name = getattr(hook, "__qualname__", type(hook).__name__)

    def run(grad: np.ndarray) -> np.ndarray | None:
        shown = grad.view()
        shown.flags.writeable = False  # one array may be several tensors' gradient: a hook must not edit it
        given = tensor_type._from_op(shown, None)
        result = hook(given)
        if result is None or result is given:
            return None
        if not isinstance(result, tensor_type):
            raise TypeError(f"gradient hook {name!r} returned a {type(result).__name__}; it must return a Tensor "
                            "(the new gradient) or None")
        if result.shape != grad.shape:
            raise RuntimeError(f"gradient hook {name!r} changed the gradient's shape from {grad.shape} to "
                               f"{result.shape}")
        if result.dtype != grad.dtype:
            raise RuntimeError(f"gradient hook {name!r} changed the gradient's dtype from {grad.dtype} to "
                               f"{result.dtype}; convert it back (e.g. .astype(grad.dtype))")
        return np.array(result._data)  # its own copy: the hook's tensor may live on elsewhere

    return add_gradient_hook(tensor, run, f"a gradient hook ({name}) on a tensor of shape {tensor.shape}")


def refuse_hooks_in_compiled_step(order: list[Any]) -> None:
    """Raise if a tensor on a backward pass that ``tg.compile`` records has a gradient hook: replays run none."""
    for tensor in order:
        table = _TENSOR_HOOKS.get(id(tensor))
        if table:
            label = next(iter(table.values()))[1]
            raise RuntimeError(f"tg.compile: {label} is on this backward pass, but a compiled step's replays "
                               "run backward without hooks; remove the hook (handle.remove()) or do not "
                               "compile this step")


# ----------------------------------------------------------------------------- grad()


def _tensor_tuple(value: Any, what: str) -> tuple[Any, ...]:
    items = (value,) if hasattr(type(value), "_from_op") else value
    try:
        items = tuple(items)
    except TypeError:
        raise TypeError(f"tg.autograd.grad: {what} must be a Tensor or a sequence of Tensors, "
                        f"not {type(value).__name__}") from None
    if not items:
        raise ValueError(f"tg.autograd.grad: {what} is empty; give at least one Tensor")
    for k, item in enumerate(items):
        if not hasattr(type(item), "_from_op"):
            raise TypeError(f"tg.autograd.grad: {what}[{k}] is a {type(item).__name__}, not a Tensor")
    return items


def _output_seeds(outputs: tuple[Any, ...], grad_outputs: Any) -> list[np.ndarray]:
    if grad_outputs is None:
        given: tuple[Any, ...] = (None,) * len(outputs)
    elif hasattr(type(grad_outputs), "_from_op") or isinstance(grad_outputs, np.ndarray):
        given = (grad_outputs,)
    else:
        given = tuple(grad_outputs)
    if len(given) != len(outputs):
        raise ValueError(f"tg.autograd.grad: grad_outputs has {len(given)} entries for {len(outputs)} outputs")
    seeds = []
    for k, (output, seed) in enumerate(zip(outputs, given)):
        if not output.requires_grad:
            raise RuntimeError(f"tg.autograd.grad: outputs[{k}] does not require grad: no input with "
                               "requires_grad=True contributed to it (was it computed under no_grad?)")
        if seed is None:
            if output.size != 1:
                raise RuntimeError(f"tg.autograd.grad: outputs[{k}] has shape {output.shape}; a gradient can be "
                                   f"implied only for a one-element output, so pass grad_outputs[{k}] of that "
                                   "shape (e.g. ones)")
        else:
            shape = tuple(np.shape(seed.data if hasattr(type(seed), "_from_op") else seed))
            if shape != output.shape:
                raise RuntimeError(f"tg.autograd.grad: grad_outputs[{k}] has shape {shape} but outputs[{k}] has "
                                   f"shape {output.shape}")
        seeds.append(seed_gradient(output, seed))
    return seeds


def _combined_order(roots: tuple[Any, ...]) -> list[Any]:
    """One topological order over the graphs of several roots (each tensor once)."""
    order = topological_order(roots[0])
    seen = {id(t) for t in order}
    for root in roots[1:]:
        for tensor in topological_order(root):
            if id(tensor) not in seen:
                seen.add(id(tensor))
                order.append(tensor)
    return order


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None,
         materialize_grads: bool = False) -> tuple[Any, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, returned instead of accumulated (PyTorch's
    ``torch.autograd.grad``): no tensor's ``.grad`` changes.

    ``outputs`` and ``inputs`` are Tensors or sequences of them; inputs may be intermediate tensors.
    ``grad_outputs`` gives one gradient per output (None: ones, for a one-element output); several
    outputs contribute the sum. The graph is freed afterwards unless ``retain_graph`` is true. An input
    the outputs do not depend on raises, unless ``allow_unused`` (its gradient is then None) or
    ``materialize_grads`` (zeros). Higher-order gradients (``create_graph=True``) are not supported.

    >>> import tinygrad_vn as tg
    >>> x = tg.tensor([1.0, 2.0], requires_grad=True)
    >>> h = x * x
    >>> y = (3 * h).sum()
    >>> dx, dh = tg.autograd.grad(y, [x, h])
    >>> dx.tolist(), dh.tolist(), x.grad
    ([6.0, 12.0], [3.0, 3.0], None)
    """
    if create_graph:
        raise NotImplementedError("tg.autograd.grad: create_graph=True is not supported: backward rules run on "
                                  "NumPy arrays and record no graph, so gradients of gradients cannot be taken")
    if _state.tracer is not None:
        raise RuntimeError("tg.compile: tg.autograd.grad (and tg.func.grad) inside a compiled step would run only "
                           "on the recording call; call loss.backward() in the step, or do not compile it")
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("tg.autograd.grad: materialize_grads=True gives zeros for unused inputs, which "
                         "contradicts allow_unused=False; leave allow_unused unset")
    outputs = _tensor_tuple(outputs, "outputs")
    inputs = _tensor_tuple(inputs, "inputs")
    for k, tensor in enumerate(inputs):
        if not tensor.requires_grad:
            raise RuntimeError(f"tg.autograd.grad: inputs[{k}] (shape {tensor.shape}) does not require grad, so "
                               "no gradient flows to it; create it with requires_grad=True")
    seeds = _output_seeds(outputs, grad_outputs)
    order = _combined_order(outputs)
    wanted = {id(t) for t in inputs}
    needed: set[int] = set()  # tensors on a path to an input: the only ones the walk must go through
    ends = []  # intermediate inputs with no input below them: the walk stops there, as at a leaf
    for tensor in order:
        ctx = tensor._ctx
        through = ctx is not None and any(id(p) in needed for p in ctx.parents)
        if through or id(tensor) in wanted:
            needed.add(id(tensor))
            if ctx is not None and not through:
                ends.append((tensor, ctx))
    if not allow_unused:
        for k, tensor in enumerate(inputs):
            if id(tensor) not in needed:
                raise RuntimeError(f"tg.autograd.grad: inputs[{k}] (shape {tensor.shape}) was not used to compute "
                                   "the outputs; pass allow_unused=True to get None for it (or "
                                   "materialize_grads=True for zeros)")
    captured: dict[int, np.ndarray] = {}
    handles = [add_gradient_hook(tensor, functools.partial(captured.__setitem__, id(tensor)), "tg.autograd.grad",
                                 lasting=False) for tensor in {id(t): t for t in inputs}.values()]
    try:
        for tensor, _ in ends:
            tensor._ctx = None
        walk_backward(outputs[0], seeds[0], [t for t in order if id(t) in needed], bool(retain_graph),
                      accumulate=_no_accumulation, more_roots=list(zip(outputs[1:], seeds[1:])))
    finally:
        for tensor, ctx in ends:
            tensor._ctx = ctx
        for handle in handles:
            handle.remove()
    results: list[Any] = []
    given_out = {id(seed) for seed in seeds}
    for k, tensor in enumerate(inputs):
        found = captured.get(id(tensor))
        if found is None:
            if not allow_unused:
                raise RuntimeError(f"tg.autograd.grad: no gradient reached inputs[{k}] (shape {tensor.shape}): "
                                   "the ops between it and the outputs pass none; pass allow_unused=True")
            zeros = np.zeros_like(tensor.data) if materialize_grads else None
            results.append(None if zeros is None else type(tensor)._op_base._from_op(zeros, None))
            continue
        flags = found.flags
        if (id(found) in given_out or found.dtype != tensor.dtype or not (flags.owndata and flags.writeable)):
            found = np.array(found, dtype=tensor.dtype)
        given_out.add(id(found))
        results.append(type(tensor)._op_base._from_op(found, None))
    return tuple(results)
