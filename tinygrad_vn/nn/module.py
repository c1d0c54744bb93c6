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

import operator
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from ..autograd import no_grad, replayed
from ..tensor import Tensor
from .parameter import Parameter


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` returns: the model's names the state lacked, and the state's names the model lacks."""

    missing_keys: list[str]
    unexpected_keys: list[str]


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

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        forward = getattr(self, "forward", None)
        if forward is None:
            raise TypeError(f"{type(self).__name__} defines no forward() method")
        return forward(*args, **kwargs)

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

    def to(self, dtype: Any) -> Module:
        """Convert every floating-point tensor of the module to ``dtype`` in place."""
        dtype = np.dtype(dtype)
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
        """Apply the layers in order; a layer with ``forward_fused`` (Linear) may absorb the next one."""
        layers, i = self._items, 0
        while i < len(layers):
            fuse = getattr(layers[i], "forward_fused", None) if self.fuse else None
            result = fuse(x, layers[i + 1] if i + 1 < len(layers) else None) if fuse is not None else None
            if result is None:
                x, i = layers[i](x), i + 1
            else:
                x, absorbed = result
                i += 2 if absorbed else 1
        return x
