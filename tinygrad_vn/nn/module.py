"""``Module``: a container of parameters and sub-modules, and ``Sequential``.

A module's state is every ``Tensor`` attribute; its parameters are those that require a gradient.
Sub-modules are ``Module`` attributes, or lists/tuples of modules. Names are dotted paths in
attribute order, e.g. ``"0.weight"`` inside a ``Sequential``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from ..autograd import replayed
from ..tensor import Tensor


class Module:
    """Base class of layers and models: define ``forward`` and call the module like a function."""

    training = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        forward = getattr(self, "forward", None)
        if forward is None:
            raise TypeError(f"{type(self).__name__} defines no forward() method")
        return forward(*args, **kwargs)

    # ------------------------------------------------------------------ traversal

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct sub-modules with their attribute names."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Module) for v in value):
                for i, child in enumerate(value):
                    yield f"{name}.{i}", child

    def children(self) -> Iterator[Module]:
        """Direct sub-modules."""
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every sub-module, depth first, with dotted names ("" for this one)."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module."""
        for _, module in self.named_modules():
            yield module

    def named_tensors(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """Every tensor attribute of this module and its sub-modules, with dotted names."""
        for module_name, module in self.named_modules(prefix):
            for name, value in vars(module).items():
                if isinstance(value, Tensor):
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

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every tensor's array, by dotted name."""
        return {name: t.data.copy() for name, t in self.named_tensors()}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy arrays into this module's tensors; names and shapes must match (checked before any copy)."""
        own = dict(self.named_tensors())
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
        for name, array in arrays.items():
            own[name].data = array.astype(own[name].dtype, copy=True)

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


class Sequential(Module):
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
        self.layers = list(modules)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for i, module in enumerate(self.layers):
            yield str(i), module

    def forward(self, x: Any) -> Any:
        """Apply the layers in order; a layer with ``forward_fused`` (Linear) may absorb the next one."""
        layers, i = self.layers, 0
        while i < len(layers):
            fuse = getattr(layers[i], "forward_fused", None) if self.fuse else None
            result = fuse(x, layers[i + 1] if i + 1 < len(layers) else None) if fuse is not None else None
            if result is None:
                x, i = layers[i](x), i + 1
            else:
                x, absorbed = result
                i += 2 if absorbed else 1
        return x

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def append(self, module: Module) -> Sequential:
        """Add a module at the end."""
        self.layers.append(module)
        return self
