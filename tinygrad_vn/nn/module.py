"""``Module``: a container of parameters and sub-modules, and ``Sequential``.

A module's state is every ``Tensor`` attribute; its parameters are those that require a gradient.
Sub-modules are ``Module`` attributes, including the containers ``ModuleList`` and ``ModuleDict``
(and ``ParameterList`` / ``ParameterDict`` for tensors). Names are dotted paths in attribute order,
e.g. ``"0.weight"`` inside a ``Sequential`` or ``"layers.0.weight"`` for a ModuleList ``layers``.

A plain list, tuple or dict that holds modules or parameters, assigned as an attribute, gives an
``UnregisteredModuleWarning``: PyTorch ignores such containers. A list or tuple holding only modules
is still registered here (as ``blocks.0``, ``blocks.1``, … like a ModuleList), so older models keep
their names; a dict, or a list mixing modules with other values, is not. The check runs on assignment:
a container filled afterwards (``self.heads = {}``, then ``self.heads["cls"] = Linear(...)``) is not
seen, so start with the nn containers.
"""

from __future__ import annotations

import functools
import itertools
import operator
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from ..autograd import (
    Context,
    Function,
    RemovableHandle,
    add_gradient_hook,
    current_tracer,
    is_grad_enabled,
    no_grad,
    replayed,
    tracing,
)
from ..serialization import ForeignStateDict
from ..tensor import Tensor, _to_arguments, as_dtype
from .parameter import Parameter


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` returns: the model's names the state lacked, and the state's names the model lacks."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _refuse_foreign_layout(state: Mapping[str, Any]) -> None:
    """Refuse a state dict whose Linear weights may be in PyTorch's (out, in) layout: torch tensors, or a
    safetensors file another tool wrote. A square weight would otherwise load silently transposed."""
    source = state.source if isinstance(state, ForeignStateDict) else None
    torch_keys = [k for k, v in state.items() if type(v).__module__.partition(".")[0] == "torch"]
    if source is None and not torch_keys:
        return
    origin = (f"{source} was not written by tinygrad_vn" if source is not None
              else f"{torch_keys[0]!r} is a torch tensor")
    raise ValueError(f"load_state_dict: {origin}, so its Linear weights may be in PyTorch's (out, in) layout, not "
                     "tinygrad_vn's (in, out), and a square one would load silently transposed. Use "
                     "tg.interop.from_torch(state, into=model), which transposes exactly the Linear weights, or "
                     "pass a dict of NumPy arrays already in tinygrad_vn's layout")


def _buffer_table(module: Module) -> dict[str, bool]:
    """``module``'s registered buffer names, each with whether it is persistent (saved by ``state_dict``)."""
    return vars(module).get("_buffers", {})


class UnregisteredModuleWarning(UserWarning):
    """A Module attribute is a plain list, tuple or dict holding modules or parameters.

    Use ``nn.ModuleList`` / ``nn.ModuleDict`` (``nn.ParameterList`` / ``nn.ParameterDict`` for
    parameters) so that they train, are saved and follow ``train()``, ``eval()`` and ``to()``.
    """


def _holds_only_modules(value: Any) -> bool:
    """True for a non-empty list or tuple of modules: the form that ``named_children`` registers."""
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(v, Module) for v in value)


def _unregistered_message(owner: str, name: str, value: list[Any] | tuple[Any, ...] | dict[Any, Any]) -> str | None:
    """The warning for assigning ``value`` to ``owner.name``, or None when it holds no module or parameter."""
    items = list(value.values()) if isinstance(value, dict) else value
    modules = any(isinstance(v, Module) for v in items)
    parameters = any(isinstance(v, Parameter) or (isinstance(v, Tensor) and v.requires_grad and v.is_leaf)
                     for v in items)
    if not modules and not parameters:
        return None
    kind = type(value).__name__
    if _holds_only_modules(value):
        return (f"{owner}.{name} is a plain {kind} of modules: it is registered (as {name}.0, {name}.1, …) for "
                f"compatibility, but PyTorch ignores a plain {kind}; use nn.ModuleList instead")
    list_like = not isinstance(value, dict)
    holding = []
    fixes = []
    if modules:
        holding.append("modules")
        fixes.append("nn.ModuleList" if list_like else "nn.ModuleDict")
    if parameters:
        holding.append("parameters")
        fixes.append("nn.ParameterList" if list_like else "nn.ParameterDict")
    return (f"{owner}.{name} is a plain {kind} holding {' and '.join(holding)}: they are not registered, so they "
            f"do not train, are not saved by state_dict() and do not follow train(), eval() or to(); "
            f"use {' / '.join(fixes)} instead")


class Module:
    """Base class of layers and models: define ``forward`` and call the module like a function."""

    training = True
    _storage_attribute: str | None = None  # a container's own registered list or dict: never warned about
    _module_hooks: _ModuleHooks | None = None  # made by the first register_*_hook; None again once all are removed

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._module_hooks is not None:
            return _call_with_hooks(self, args, kwargs)
        forward = getattr(self, "forward", None)
        if forward is None:
            raise TypeError(f"{type(self).__name__} defines no forward() method")
        return forward(*args, **kwargs)

    # ------------------------------------------------------------------ hooks (as PyTorch's)

    def register_forward_pre_hook(self, hook: Callable[[Module, tuple[Any, ...]], Any]) -> RemovableHandle:
        """Call ``hook(module, args)`` before each forward; a returned value replaces the positional arguments
        (a tuple as it is, anything else as the only argument). Returns a handle with ``remove()``.

        >>> import tinygrad_vn as tg
        >>> layer = tg.nn.Identity()
        >>> handle = layer.register_forward_pre_hook(lambda module, args: (args[0] * 2,))
        >>> layer(tg.tensor([1.0])).tolist()
        [2.0]
        >>> handle.remove(); layer(tg.tensor([1.0])).tolist()
        [1.0]
        """
        return self._add_hook("forward_pre", hook)

    def register_forward_hook(self, hook: Callable[[Module, tuple[Any, ...], Any], Any]) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each forward; a returned value replaces the output.

        >>> import tinygrad_vn as tg
        >>> seen = []
        >>> layer = tg.nn.ReLU()
        >>> handle = layer.register_forward_hook(lambda module, args, output: seen.append(output.tolist()))
        >>> _ = layer(tg.tensor([-1.0, 2.0])); seen
        [[0.0, 2.0]]
        """
        return self._add_hook("forward", hook)

    def register_full_backward_hook(self, hook: Callable[[Module, tuple[Any, ...], tuple[Any, ...]], Any]
                                    ) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` when backward has computed the gradients with respect
        to this module's inputs; a returned tuple replaces ``grad_input``.

        ``grad_input`` has one entry per positional argument of the call: the gradient (a read-only Tensor)
        for a tensor that requires grad, else None; ``grad_output`` one per output tensor. When no input
        requires grad (a first layer fed data) the hook runs once the output gradients are known, with
        ``grad_input`` all None.

        >>> import tinygrad_vn as tg
        >>> layer = tg.nn.Tanh()
        >>> handle = layer.register_full_backward_hook(lambda m, gi, go: print(gi[0].tolist(), go[0].tolist()))
        >>> layer(tg.tensor([0.0], requires_grad=True)).sum().backward()
        [1.0] [1.0]
        """
        return self._add_hook("backward", hook)

    def _add_hook(self, kind: str, hook: Callable[..., Any]) -> RemovableHandle:
        if not callable(hook):
            raise TypeError(f"{type(self).__name__}.register_{kind}_hook needs a function, got a {type(hook).__name__}")
        hooks = self._module_hooks
        if hooks is None:
            hooks = self._module_hooks = _ModuleHooks()
        table = getattr(hooks, kind)
        number = next(_hook_numbers)
        table[number] = hook
        return RemovableHandle(table, number, _HookRemover(self, hooks))

    def __setattr__(self, name: str, value: Any) -> None:
        """Set an attribute; warn when it is a plain container holding modules or parameters.

        A property's setter decides itself where the value goes, so assigning to a property never warns.
        """
        if (isinstance(value, (list, tuple, dict)) and value and name != self._storage_attribute
                and not isinstance(getattr(type(self), name, None), property)):
            message = _unregistered_message(type(self).__name__, name, value)
            if message is not None:
                warnings.warn(message, UnregisteredModuleWarning, stacklevel=2)
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ traversal

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct sub-modules with their attribute names (a plain list of modules gives ``name.i``)."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif _holds_only_modules(value):
                for i, child in enumerate(value):
                    yield f"{name}.{i}", child

    def children(self) -> Iterator[Module]:
        """Direct sub-modules."""
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """This module and every sub-module, depth first, with dotted names ("" for this one).

        A module reachable twice is listed once, under its first name, as in PyTorch (``remove_duplicate``).
        """
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in seen:
                    continue
                seen.add(id(module))
            yield name, module
            children = [(f"{name}.{child_name}" if name else child_name, child)
                        for child_name, child in module.named_children()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module."""
        for _, module in self.named_modules():
            yield module

    def _named_own_tensors(self) -> Iterator[tuple[str, Tensor]]:
        """This module's own tensors (not its sub-modules'): its Tensor attributes."""
        for name, value in vars(self).items():
            if isinstance(value, Tensor):
                yield name, value

    def named_tensors(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """Every tensor attribute of this module and its sub-modules, with dotted names."""
        for module_name, module in self.named_modules(prefix, remove_duplicate=False):
            for name, value in module._named_own_tensors():
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """Tensors that require a gradient, with dotted names such as ``"0.weight"``.

        A tensor reachable twice (a module used in two places) is listed once, under its first name,
        so that an optimizer updates it once per step.
        """
        seen: set[int] = set()
        for name, t in self.named_tensors(prefix):
            if t.requires_grad and id(t) not in seen:
                seen.add(id(t))
                yield name, t

    def parameters(self) -> list[Tensor]:
        """The trainable tensors, in a stable order."""
        return [t for _, t in self.named_parameters()]

    # ------------------------------------------------------------------ state

    @replayed
    def zero_grad(self) -> None:
        """Forget every parameter's gradient."""
        for t in self.parameters():
            t.grad = None

    def train(self, mode: bool = True) -> Module:
        """Put this module and its sub-modules in training (or evaluation) mode."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def _named_state(self) -> Iterator[tuple[str, Tensor]]:
        """The tensors that ``state_dict`` saves: every tensor attribute but the non-persistent buffers."""
        for module_name, module in self.named_modules(remove_duplicate=False):
            transient = {name for name, persistent in _buffer_table(module).items() if not persistent}
            for name, value in module._named_own_tensors():
                if name not in transient:
                    yield (f"{module_name}.{name}" if module_name else name), value

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every tensor's array (parameters and persistent buffers), by dotted name."""
        return {name: t.data.copy() for name, t in self._named_state()}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy arrays into this module's tensors, in place; returns ``(missing_keys, unexpected_keys)``.

        With ``strict`` (the default) the names must match exactly, else a KeyError lists the differences
        and nothing is copied; with ``strict=False`` the matching names are loaded and the rest reported.
        Shapes must match either way (checked before any copy).
        """
        _refuse_foreign_layout(state)
        own = dict(self._named_state())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing keys: {', '.join(missing)}")
            if unexpected:
                parts.append(f"unexpected keys: {', '.join(unexpected)}")
            raise KeyError(f"load_state_dict for {type(self).__name__}: {'; '.join(parts)}")
        arrays = {}
        for name, t in own.items():
            if name not in state:
                continue
            value = state[name]
            array = np.asarray(value.data if isinstance(value, Tensor) else value)
            if array.shape != t.shape:
                raise ValueError(f"load_state_dict: {name!r} has shape {array.shape} in the state dict "
                                 f"but {t.shape} in the model")
            arrays[name] = array
        with no_grad():
            for name, array in arrays.items():
                target = own[name]
                if target.data.flags.writeable:
                    target.copy_(array.astype(target.dtype, copy=False))
                else:
                    target.data = array.astype(target.dtype, copy=True)
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ buffers, apply, requires_grad_

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: state that is not trained (a running mean, a mask), kept as attribute ``name``.

        Buffers are listed by ``buffers()``, saved by ``state_dict()`` when ``persistent`` and converted by
        ``to(dtype)``, but never returned by ``parameters()``. ``tensor`` may be None (a buffer not yet set,
        which is not saved); assigning the attribute later keeps it a buffer.
        """
        if not isinstance(name, str):
            raise TypeError(f"register_buffer: the buffer name must be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"register_buffer: the buffer name must be non-empty and contain no '.', got {name!r}")
        if name not in _buffer_table(self) and (name in vars(self) or hasattr(type(self), name)):
            raise KeyError(f"register_buffer: attribute {name!r} already exists on {type(self).__name__}")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: buffer {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        if tensor is not None and tensor.requires_grad:
            raise ValueError(f"register_buffer: buffer {name!r} requires grad, but buffers are not trained; register "
                             "tensor.detach(), or make it an nn.Parameter")
        if "_buffers" not in vars(self):
            object.__setattr__(self, "_buffers", {})
        vars(self)["_buffers"][name] = bool(persistent)
        object.__setattr__(self, name, tensor)

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """The buffers of this module (and of its sub-modules, with ``recurse``), with dotted names."""
        seen: set[int] = set()
        modules = self.named_modules(prefix, remove_duplicate) if recurse else iter([(prefix, self)])
        for module_name, module in modules:
            for name in _buffer_table(module):
                value = vars(module).get(name)
                if not isinstance(value, Tensor) or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_name}.{name}" if module_name else name), value

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """The buffers of this module (and of its sub-modules, with ``recurse``)."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module, children before their parent, then on this module; returns it.

        The usual use is initialisation: ``model.apply(init_weights)`` with a function that checks the
        module's type.
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Turn training of every parameter on or off (freezing layers for fine-tuning); returns this module.

        A parameter here is a tensor that requires a gradient, so a frozen one is remembered: a later
        ``requires_grad_(True)`` turns on every ``nn.Parameter`` and every tensor this method froze,
        never a buffer or a constant attribute.
        """
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"requires_grad_ takes True or False, not {type(requires_grad).__name__}")
        for module in self.modules():
            buffers = _buffer_table(module)
            frozen = vars(module).get("_frozen_parameters", set())
            for name, tensor in module._named_own_tensors():
                if name in buffers or tensor.dtype.kind != "f" or not tensor.is_leaf:
                    continue
                if requires_grad and (isinstance(tensor, Parameter) or name in frozen):
                    tensor.requires_grad_(True)
                    frozen.discard(name)
                elif not requires_grad and tensor.requires_grad:
                    tensor.requires_grad_(False)
                    if not isinstance(tensor, Parameter):
                        frozen.add(name)
            if frozen:
                object.__setattr__(module, "_frozen_parameters", frozen)
            elif "_frozen_parameters" in vars(module):
                object.__delattr__(module, "_frozen_parameters")
        return self

    def to(self, *args: Any, dtype: Any = None, device: Any = None) -> Module:
        """Convert every floating-point tensor of the module to a dtype in place, as PyTorch's ``Module.to``.

        Takes ``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(tensor)`` (its dtype); the CPU
        is the only device, so ``to("cpu")`` changes nothing and any other device raises.
        """
        dtype = _to_arguments("Module.to", args, dtype, device)
        if dtype is None:
            return self
        dtype = as_dtype(dtype)
        for _, t in self.named_tensors():
            if t.data.dtype.kind == "f":
                t.data = t.data.astype(dtype)
                t.grad = None
        return self

    def extra_repr(self) -> str:
        """Details shown inside the parentheses of ``repr``."""
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


class _ItemList(Module):
    """Items in order, registered under their positions "0", "1", …: the list behind ``Sequential``,
    ``ModuleList`` and ``ParameterList``.

    Indexing (negative indices and slices too), ``len``, iteration, ``append``, ``extend``,
    ``insert``, ``pop``, ``del`` and ``+`` / ``+=`` work as on a list; ``_checked`` says what an
    element may be. Positions are renumbered after an insert or a deletion, as in PyTorch.
    """

    __slots__ = ("_items",)
    _items: list[Any]
    _storage_attribute = "_items"

    def __init__(self, items: Iterable[Any] = ()) -> None:
        checked = [self._checked(f"element {i}", item) for i, item in enumerate(items)]
        self._items = checked

    def _checked(self, where: str, value: Any) -> Any:
        """``value`` as stored, or a TypeError naming ``where`` it was given (override in a subclass)."""
        raise TypeError(f"{type(self).__name__} defines no element check")

    def _new(self, items: Iterable[Any]) -> _ItemList:
        """A container of this kind holding ``items`` (what a slice or ``+`` returns)."""
        return type(self)(items)

    def _position(self, index: Any) -> int:
        position = operator.index(index)
        if not -len(self._items) <= position < len(self._items):
            raise IndexError(f"index {position} is out of range for a {type(self).__name__} "
                             f"of length {len(self._items)}")
        return position

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return self._new(self._items[index])
        return self._items[self._position(index)]

    def __setitem__(self, index: int, value: Any) -> None:
        if isinstance(index, slice):
            raise TypeError(f"{type(self).__name__} does not support slice assignment; assign one index at a time")
        position = self._position(index)
        self._items[position] = self._checked(f"item {position}", value)

    def __delitem__(self, index: int | slice) -> None:
        if isinstance(index, slice):
            del self._items[index]
        else:
            del self._items[self._position(index)]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def append(self, value: Any) -> _ItemList:
        """Add an element at the end; returns this container."""
        self._items.append(self._checked("append() argument", value))
        return self

    def extend(self, values: Iterable[Any]) -> _ItemList:
        """Add elements at the end, in order (all checked before any is added); returns this container."""
        checked = [self._checked(f"extend() element {i}", value) for i, value in enumerate(values)]
        self._items.extend(checked)
        return self

    def insert(self, index: int, value: Any) -> None:
        """Insert an element before ``index``, as ``list.insert`` does."""
        self._items.insert(operator.index(index), self._checked("insert() argument", value))

    def pop(self, index: int = -1) -> Any:
        """Remove and return the element at ``index`` (the last by default)."""
        return self._items.pop(self._position(index))

    def __add__(self, other: Iterable[Any]) -> _ItemList:
        return self._new(self._items).extend(other)

    def __iadd__(self, other: Iterable[Any]) -> _ItemList:
        return self.extend(other)


class _ModuleSequence(_ItemList):
    """An item list of modules, registered as children "0", "1", …"""

    __slots__ = ()

    def _checked(self, where: str, value: Any) -> Module:
        if not isinstance(value, Module):
            raise TypeError(f"{type(self).__name__} {where} is a {type(value).__name__}, not a Module")
        return value

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for i, module in enumerate(self._items):
            yield str(i), module
        yield from super().named_children()


class Sequential(_ModuleSequence):
    """Modules applied one after another; indexable, with children named "0", "1", …

    With ``fuse`` true (the default), a Linear layer and the ReLU, Sigmoid or Tanh after it run as one
    fused node (``ops.FusedLinear``, drawn and explained as ``Linear+ReLU``): the same numbers, faster.
    Set ``model.fuse = False`` to record every layer as its own ops, as the course notes draw them.
    """

    fuse = True

    def __init__(self, *modules: Module) -> None:
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential argument {i} is a {type(module).__name__}, not a Module")
        super().__init__(modules)

    def _new(self, items: Iterable[Module]) -> Sequential:
        return Sequential(*items)

    @property
    def layers(self) -> list[Module]:
        """The modules in order (the live list: changing it changes the model)."""
        return self._items

    @layers.setter
    def layers(self, modules: Iterable[Module]) -> None:
        self._items = [self._checked(f"layers element {i}", m) for i, m in enumerate(modules)]

    def forward(self, x: Any) -> Any:
        """Apply the layers in order; a layer with ``forward_fused`` (Linear) may absorb the next one.

        A layer with hooks is never fused (nor absorbed), so that its hooks run.
        """
        layers, i = self._items, 0
        while i < len(layers):
            fuse = getattr(layers[i], "forward_fused", None) if self.fuse else None
            result = None
            if fuse is not None and layers[i]._module_hooks is None:
                following = layers[i + 1] if i + 1 < len(layers) else None
                result = fuse(x, following if following is None or following._module_hooks is None else None)
            if result is None:
                x, i = layers[i](x), i + 1
            else:
                x, absorbed = result
                i += 2 if absorbed else 1
        return x


# ----------------------------------------------------------------------------- module hooks
# A module with hooks is called through ``_call_with_hooks``; one without pays a single attribute check
# in ``Module.__call__``. Full backward hooks mark the module's tensor inputs and outputs in the graph:
# each input that requires grad passes through a ``_HookTap`` whose gradient goes to one ``_HookJunction``
# (the op that takes all those inputs), so the walk reaches the junction only when every input's gradient
# inside the module is known, calls the hooks there, and hands the (maybe replaced) gradients on from it.
# Outputs get the same pair, which collects the output gradients.

_hook_numbers = itertools.count()


class _ModuleHooks:
    """A module's hooks by kind, each a dict ordered by registration."""

    __slots__ = ("backward", "forward", "forward_pre")

    def __init__(self) -> None:
        self.forward_pre: dict[int, Callable[..., Any]] = {}
        self.forward: dict[int, Callable[..., Any]] = {}
        self.backward: dict[int, Callable[..., Any]] = {}

    def __bool__(self) -> bool:
        return bool(self.forward_pre or self.forward or self.backward)


class _HookRemover:
    """After a handle's removal: a module left with no hooks goes back to the plain (and fusable) call."""

    __slots__ = ("hooks", "module")

    def __init__(self, module: Module, hooks: _ModuleHooks) -> None:
        self.module = weakref.ref(module)
        self.hooks = hooks

    def __call__(self) -> None:
        module = self.module()
        if module is not None and module._module_hooks is self.hooks and not self.hooks:
            module._module_hooks = None


class _BackwardHookCall:
    """One call of a module with full backward hooks: the gradients its taps collect for the hooks."""

    __slots__ = ("grad_inputs", "grad_outputs", "hooks", "input_positions", "module", "n_args", "outputs_only")

    def __init__(self, module: Module, hooks: dict[int, Callable[..., Any]], n_args: int,
                 input_positions: list[int]) -> None:
        self.module, self.hooks, self.n_args, self.input_positions = module, hooks, n_args, input_positions
        self.grad_inputs: list[np.ndarray | None] = [None] * len(input_positions)
        self.grad_outputs: list[np.ndarray | None] = []
        self.outputs_only = not input_positions

    def fire(self, _grad: np.ndarray) -> None:
        """Run the module's backward hooks on the collected gradients (a junction's gradient hook)."""
        grad_input: list[Any] = [None] * self.n_args
        for k, position in enumerate(self.input_positions):
            grad_input[position] = _shown(self.grad_inputs[k])
        grad_output = tuple([_shown(g) for g in self.grad_outputs])
        name = type(self.module).__name__
        for hook in list(self.hooks.values()):
            result = hook(self.module, tuple(grad_input), grad_output)
            if result is None:
                continue
            result = result if isinstance(result, (tuple, list)) else (result,)
            if len(result) != self.n_args:
                raise RuntimeError(f"a full backward hook of {name} returned {len(result)} gradients, but the module "
                                   f"was called with {self.n_args} positional arguments (give None for those "
                                   "without one)")
            for position, (old, new) in enumerate(zip(grad_input, result)):
                if new is not None and not isinstance(new, Tensor):
                    raise TypeError(f"a full backward hook of {name} returned a {type(new).__name__} for input "
                                    f"{position}; give a Tensor or None")
                if new is not None and (old is None or new.shape != old.shape):
                    expected = "no gradient" if old is None else f"shape {old.shape}"
                    raise RuntimeError(f"a full backward hook of {name} returned a gradient of shape {new.shape} for "
                                       f"input {position}, which has {expected}")
            grad_input = list(result)
        self.grad_inputs = [None if grad_input[p] is None else np.array(grad_input[p].data)
                            for p in self.input_positions]


def _shown(grad: np.ndarray | None) -> Tensor | None:
    """A gradient as the read-only Tensor a hook receives."""
    if grad is None:
        return None
    view = grad.view()
    view.flags.writeable = False
    return Tensor._from_op(view, None)


class _HookJunction(Function):
    """J = the module's marked tensors, gathered (a placeholder); dA = the gradients collected for the hooks.

    Internal to full backward hooks: its output is a 0-d placeholder that every ``_HookTap`` of one call
    sends a zero to, so that backward reaches it after all of them; its inputs' gradients are those the
    taps collected, after the hooks ran (for the inputs) or as they were (for the outputs).
    """

    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, call: _BackwardHookCall | None = None,
                side: str = "inputs") -> np.ndarray:
        ctx.call, ctx.side = call, side
        return np.zeros(())

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        call = ctx.call
        if ctx.side == "inputs":  # the hooks ran: forget this pass's gradients (a retained graph collects anew)
            grads = call.grad_inputs
            call.grad_inputs, call.grad_outputs = [None] * len(grads), [None] * len(call.grad_outputs)
            return tuple(grads)
        grads = call.grad_outputs
        if call.outputs_only:
            call.grad_outputs = [None] * len(grads)
        return tuple(grads)


class _HookTap(Function):
    """B = A, marked for the module's backward hook; dA = dB, handed on by the hook junction J (dJ = 0).

    Internal to full backward hooks: the output is a view of A; its gradient is collected by a
    gradient hook and reaches A through the junction, not directly.
    """

    view = True

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, junction: np.ndarray) -> np.ndarray:
        return a.view()

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[None, np.ndarray]:
        return None, np.zeros(())


def _collect(call: _BackwardHookCall, side: str, k: int, grad: np.ndarray) -> None:
    """A tap's gradient hook: keep the gradient of marked tensor ``k`` for the hooks (passing it on unchanged)."""
    (call.grad_inputs if side == "inputs" else call.grad_outputs)[k] = grad


def _marked(tensors: list[Tensor], call: _BackwardHookCall, side: str) -> list[Tensor]:
    """``tensors`` passed through taps into one junction, whose gradients feed ``call``'s hooks."""
    label = f"a full backward hook of {type(call.module).__name__}"
    junction = _HookJunction.apply(*tensors, call=call, side=side)
    taps = []
    for k, tensor in enumerate(tensors):
        tap = _HookTap.apply(tensor, junction)
        add_gradient_hook(tap, functools.partial(_collect, call, side, k), label)
        taps.append(tap)
    if side == "inputs" or call.outputs_only:
        add_gradient_hook(junction, call.fire, label)
    return taps


def _mark_outputs(output: Any, call: _BackwardHookCall) -> Any:
    """The module's output with each tensor that requires grad passed through a tap."""
    single = isinstance(output, Tensor)
    items = [output] if single else list(output) if isinstance(output, (tuple, list)) else []
    positions = [k for k, item in enumerate(items) if isinstance(item, Tensor) and item.requires_grad]
    if not positions:
        return output
    call.grad_outputs = [None] * len(positions)
    taps = _marked([items[k] for k in positions], call, "outputs")
    for k, tap in zip(positions, taps):
        items[k] = tap
    if single:
        return items[0]
    return type(output)(items) if not hasattr(output, "_make") else output._make(items)


def _replay_forward_pre_hook(hook: Callable[..., Any], module: Module, args: tuple[Any, ...]) -> None:
    """A forward pre-hook as a compiled step repeats it (it returned nothing when recorded)."""
    if hook(module, args) is not None:
        raise RuntimeError(f"tg.compile: a forward pre-hook of {type(module).__name__} returned new arguments on "
                           "a replay, but returned none when the step was recorded; a replay cannot use them")


def _replay_forward_hook(hook: Callable[..., Any], module: Module, args: tuple[Any, ...], output: Any) -> None:
    """A forward hook as a compiled step repeats it (it returned nothing when recorded)."""
    if hook(module, args, output) is not None:
        raise RuntimeError(f"tg.compile: a forward hook of {type(module).__name__} returned a new output on a "
                           "replay, but returned none when the step was recorded; a replay cannot use it")


def _traced_hook(tracer: Any, replay: Callable[..., None], kind: str, module: Module, hook: Callable[..., Any],
                 *hook_args: Any) -> None:
    """Run a forward (pre-)hook while ``tg.compile`` records a step: as a call that every replay repeats.

    A hook that returns a replacement is refused: the replacement would be computed outside the record.
    """
    with tracing(None):
        result = hook(module, *hook_args)
    if result is not None:
        what = "new arguments" if kind == "pre-hook" else "a new output"
        raise RuntimeError(f"tg.compile: a forward {kind} of {type(module).__name__} returned {what}, which a compiled "
                           "step cannot replay (only hooks that return None, such as ones that record "
                           "activations, are repeated on each call); make the change in forward(), or do not "
                           "compile this step")
    tracer.events.append(("call", replay, (hook, module, *hook_args), {}))


def _call_with_hooks(module: Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``module(*args, **kwargs)`` with its forward pre-hooks, forward hooks and full backward hooks."""
    hooks = module._module_hooks
    forward = getattr(module, "forward", None)
    if forward is None:
        raise TypeError(f"{type(module).__name__} defines no forward() method")
    tracer = current_tracer()
    if tracer is not None and hooks.backward:
        raise RuntimeError(f"tg.compile: {type(module).__name__} has a full backward hook, which a compiled step "
                           "cannot replay (replays run backward without hooks); remove it (handle.remove()) "
                           "or do not compile this step")
    for hook in list(hooks.forward_pre.values()):
        if tracer is not None:
            _traced_hook(tracer, _replay_forward_pre_hook, "pre-hook", module, hook, args)
            continue
        result = hook(module, args)
        if result is not None:
            args = result if isinstance(result, tuple) else (result,)
    call = None
    if hooks.backward and is_grad_enabled():
        positions = [k for k, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        call = _BackwardHookCall(module, hooks.backward, len(args), positions)
        if positions:
            args = list(args)
            for k, tap in zip(positions, _marked([args[k] for k in positions], call, "inputs")):
                args[k] = tap
            args = tuple(args)
    output = forward(*args, **kwargs)
    for hook in list(hooks.forward.values()):
        if tracer is not None:
            _traced_hook(tracer, _replay_forward_hook, "hook", module, hook, args, output)
            continue
        result = hook(module, args, output)
        if result is not None:
            output = result
    if call is not None:
        output = _mark_outputs(output, call)
    return output
