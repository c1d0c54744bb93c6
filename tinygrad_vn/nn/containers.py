"""Containers that register what they hold: ``ModuleList``, ``ModuleDict``, ``ParameterList``, ``ParameterDict``.

A plain list or dict attribute is invisible to ``parameters()`` and ``state_dict()`` (PyTorch ignores
it too); these containers are Modules whose elements are named by position or key, so a ModuleList
``layers`` gives ``"layers.0.weight"`` and a ModuleDict ``blocks`` gives ``"blocks.enc.weight"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..tensor import Tensor
from .module import Module, _ItemList, _ModuleSequence
from .parameter import Parameter


class ModuleList(_ModuleSequence):
    """``ModuleList(modules=None)``: a list of modules registered as children "0", "1", …

    Use it for layers built in a loop. It has no ``forward``: iterate over it in the owner's.
    """

    __slots__ = ()

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__(() if modules is None else modules)


def _as_parameter(owner: str, where: str, value: Any) -> Parameter:
    """A Parameter as it is; another Tensor wrapped in a Parameter sharing its array (as PyTorch does)."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(f"{owner} {where} is a {type(value).__name__}, not a Tensor or Parameter")


def _parameter_line(name: str, parameter: Tensor) -> str:
    frozen = "" if parameter.requires_grad else ", requires_grad=False"
    return f"  ({name}): Parameter of shape {parameter.shape}, {parameter.dtype}{frozen}"


class ParameterList(_ItemList):
    """``ParameterList(parameters=None)``: parameters registered under their positions "0", "1", …

    A Tensor that is not a Parameter is wrapped in one (sharing its array, requiring a gradient).
    """

    __slots__ = ()

    def __init__(self, parameters: Iterable[Tensor] | None = None) -> None:
        super().__init__(() if parameters is None else parameters)

    def _checked(self, where: str, value: Any) -> Parameter:
        return _as_parameter(type(self).__name__, where, value)

    def _named_own_tensors(self) -> Iterator[tuple[str, Tensor]]:
        for i, parameter in enumerate(self._items):
            yield str(i), parameter
        yield from super()._named_own_tensors()

    def __repr__(self) -> str:
        lines = [_parameter_line(str(i), p) for i, p in enumerate(self._items)]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)" if lines else f"{type(self).__name__}()"


def _checked_key(owner: str, key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"{owner} keys must be strings, got the {type(key).__name__} {key!r}")
    if not key:
        raise KeyError(f"{owner} keys cannot be empty: a key is part of dotted names such as 'blocks.KEY.weight'")
    if "." in key:
        raise KeyError(f"{owner} key {key!r} contains '.': a key is one part of a dotted name such as "
                       "'blocks.KEY.weight'")
    return key


class _ItemDict(Module):
    """Items by string key, in insertion order: the dict behind ``ModuleDict`` and ``ParameterDict``.

    Indexing, ``del``, ``in``, ``len``, iteration over the keys, ``keys``/``values``/``items``,
    ``update``, ``pop`` and ``clear`` work as on a dict. A key may not be empty or contain ".".
    """

    __slots__ = ("_entries",)
    _entries: dict[str, Any]
    _storage_attribute = "_entries"

    def __init__(self, entries: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None) -> None:
        self._entries = {}
        if entries is not None:
            self.update(entries)

    def _checked(self, where: str, value: Any) -> Any:
        """``value`` as stored, or a TypeError naming ``where`` it was given (override in a subclass)."""
        raise TypeError(f"{type(self).__name__} defines no value check")

    def __getitem__(self, key: str) -> Any:
        try:
            return self._entries[key]
        except KeyError:
            keys = ", ".join(self._entries) or "none"
            raise KeyError(f"{key!r} is not a key of this {type(self).__name__} (its keys: {keys})") from None

    def __setitem__(self, key: str, value: Any) -> None:
        key = _checked_key(type(self).__name__, key)
        self._entries[key] = self._checked(f"value for key {key!r}", value)

    def __delitem__(self, key: str) -> None:
        self.pop(key)

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def keys(self) -> Iterable[str]:
        """The keys, in insertion order."""
        return self._entries.keys()

    def values(self) -> Iterable[Any]:
        """The values, in insertion order."""
        return self._entries.values()

    def items(self) -> Iterable[tuple[str, Any]]:
        """(key, value) pairs, in insertion order."""
        return self._entries.items()

    def update(self, entries: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """Add or replace entries from a mapping or from (key, value) pairs, in their order; all are
        checked before any is stored."""
        owner = type(self).__name__
        if isinstance(entries, (Mapping, _ItemDict)):
            pairs = list(entries.items())
        elif isinstance(entries, (str, bytes)) or not isinstance(entries, Iterable):
            raise TypeError(f"{owner}.update takes a mapping or (key, value) pairs, not a {type(entries).__name__}")
        else:
            pairs = []
            for i, pair in enumerate(entries):
                if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                    raise TypeError(f"{owner}.update element {i} is a {type(pair).__name__}, not a (key, value) pair")
                pairs.append(tuple(pair))
        checked = {}
        for key, value in pairs:
            key = _checked_key(owner, key)
            checked[key] = self._checked(f"value for key {key!r}", value)
        self._entries.update(checked)

    def pop(self, key: str) -> Any:
        """Remove the entry ``key`` and return its value."""
        value = self[key]
        del self._entries[key]
        return value

    def clear(self) -> None:
        """Remove every entry."""
        self._entries.clear()


class ModuleDict(_ItemDict):
    """``ModuleDict(modules=None)``: modules by string key, registered as children named by their keys.

    ``modules`` is a mapping or (key, module) pairs; insertion order is kept, so a ModuleDict ``blocks``
    with keys "enc" and "dec" gives ``"blocks.enc.weight"`` before ``"blocks.dec.weight"``.
    """

    __slots__ = ()

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None) -> None:
        super().__init__(modules)

    def _checked(self, where: str, value: Any) -> Module:
        if not isinstance(value, Module):
            raise TypeError(f"{type(self).__name__} {where} is a {type(value).__name__}, not a Module")
        return value

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._entries.items()
        yield from super().named_children()


class ParameterDict(_ItemDict):
    """``ParameterDict(parameters=None)``: parameters by string key, registered under their keys.

    A Tensor that is not a Parameter is wrapped in one (sharing its array, requiring a gradient).
    Insertion order is kept (PyTorch sorts the keys of a plain dict given to it).
    """

    __slots__ = ()

    def __init__(self, parameters: Mapping[str, Tensor] | Iterable[tuple[str, Tensor]] | None = None) -> None:
        super().__init__(parameters)

    def _checked(self, where: str, value: Any) -> Parameter:
        return _as_parameter(type(self).__name__, where, value)

    def _named_own_tensors(self) -> Iterator[tuple[str, Tensor]]:
        yield from self._entries.items()
        yield from super()._named_own_tensors()

    def __repr__(self) -> str:
        lines = [_parameter_line(key, p) for key, p in self._entries.items()]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)" if lines else f"{type(self).__name__}()"
