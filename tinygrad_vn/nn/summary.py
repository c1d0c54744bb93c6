"""``nn.summary(model, input_shape)``: a table of a model's layers, their output shapes and parameter counts.

The output shapes come from running a batch of zeros through the model once, in evaluation mode and
under ``no_grad`` (so batch norm's running statistics and the random generator are left as they were).
To see every layer's output, each sub-module's ``forward`` is wrapped for that one run by an instance
attribute that notes the shape it returns, then removed; ``Sequential`` fusion is switched off for the
run so that a Linear layer and its activation are each called. No hooks are registered and nothing of
the model changes.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor
from .module import Module, Sequential
from .parameter import Parameter


@dataclass
class SummaryRow:
    """One call of a sub-module during the summary's run: its dotted name, class, output shape and own parameters."""

    name: str
    kind: str
    output_shape: tuple[int, ...] | None
    parameters: int


@dataclass
class Summary:
    """What ``nn.summary`` found: the rows in call order and the totals; ``str()`` gives the printed table."""

    rows: list[SummaryRow] = field(default_factory=list)
    input_shape: tuple[int, ...] = ()
    output_shape: tuple[int, ...] | None = None
    trainable_parameters: int = 0
    frozen_parameters: int = 0

    @property
    def total_parameters(self) -> int:
        """Trainable and frozen parameters together."""
        return self.trainable_parameters + self.frozen_parameters

    def __str__(self) -> str:
        headers = ("Layer", "Type", "Output shape", "Param #")
        body = [(row.name, row.kind, _shape_text(row.output_shape), f"{row.parameters:,}") for row in self.rows]
        widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)]
        rule = "-" * (sum(widths) + 3 * (len(widths) - 1))

        def line(cells: Sequence[str]) -> str:
            return "   ".join([*(c.ljust(w) for c, w in zip(cells[:-1], widths)), cells[-1].rjust(widths[-1])])

        lines = [rule, line(headers), "=" * len(rule), *(line(r) for r in body), "=" * len(rule),
                 f"Input shape: {_shape_text(self.input_shape)}", f"Output shape: {_shape_text(self.output_shape)}",
                 f"Total params: {self.total_parameters:,}", f"Trainable params: {self.trainable_parameters:,}",
                 f"Non-trainable params: {self.frozen_parameters:,}", rule]
        return "\n".join(lines)


def _shape_text(shape: tuple[int, ...] | None) -> str:
    return "-" if shape is None else str(list(shape))


def _output_shape(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, (Tensor, np.ndarray)):
        return tuple(value.shape)
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], (Tensor, np.ndarray)):
        return tuple(value[0].shape)
    return None


def _own_parameter_count(module: Module, counted: set[int]) -> int:
    """Elements in ``module``'s own parameters (not its sub-modules'), each tensor counted once overall."""
    total = 0
    for name, tensor in module._named_own_tensors():
        if id(tensor) in counted or not _is_parameter(module, name, tensor):
            continue
        counted.add(id(tensor))
        total += tensor.size
    return total


def _is_parameter(module: Module, name: str, tensor: Tensor) -> bool:
    """A trainable tensor, an nn.Parameter, or a tensor that ``requires_grad_(False)`` froze."""
    return tensor.requires_grad or isinstance(tensor, Parameter) or name in vars(module).get("_frozen_parameters", ())


def summary(model: Module, input_shape: Sequence[int], dtype: Any = None, print_table: bool = True) -> Summary:
    """Run a zero batch of ``input_shape`` (batch axis included, e.g. ``(1, 784)``) through ``model`` and
    print a table of each layer called: name, type, output shape and parameter count, then the totals.

    ``dtype`` is the input's (by default the model's first floating-point tensor's, else float32; pass
    an integer dtype for a model that starts with an Embedding). Returns the :class:`Summary`.
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: model must be an nn.Module, got {type(model).__name__}")
    if isinstance(input_shape, (int, np.integer)):
        input_shape = (int(input_shape),)
    shape = tuple(input_shape)
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise ValueError(f"summary: input_shape must be a sequence of non-negative integers, got {input_shape!r}")
    if dtype is None:
        floats = [t.dtype for _, t in model.named_tensors() if t.dtype.kind == "f"]
        dtype = floats[0] if floats else np.float32
    names = {id(module): name for name, module in model.named_modules()}
    alone = not any(True for _ in model.children())  # a single layer is its own only row
    if alone:
        names[id(model)] = type(model).__name__
    result = Summary(input_shape=shape)
    counted: set[int] = set()
    for module in model.modules():
        for tensor_name, tensor in module._named_own_tensors():
            if id(tensor) not in counted and _is_parameter(module, tensor_name, tensor):
                counted.add(id(tensor))
                if tensor.requires_grad:
                    result.trainable_parameters += tensor.size
                else:
                    result.frozen_parameters += tensor.size
    counted.clear()

    def watched(module: Module, forward: Any) -> Any:
        @functools.wraps(forward)
        def run(*args: Any, **kwargs: Any) -> Any:
            row = SummaryRow(names[id(module)], type(module).__name__, None, _own_parameter_count(module, counted))
            result.rows.append(row)
            out = forward(*args, **kwargs)
            row.output_shape = _output_shape(out)
            return out

        return run

    modes = [(module, module.training) for module in model.modules()]
    fusing = [(module, vars(module).get("fuse")) for module in model.modules() if isinstance(module, Sequential)]
    wrapped = []
    try:
        for module in model.modules():
            if (module is model and not alone) or getattr(module, "forward", None) is None:
                continue
            if "forward" in vars(module):
                raise ValueError(f"summary: sub-module {names[id(module)]!r} has its own forward attribute; "
                                 "summary needs to wrap it")
            object.__setattr__(module, "forward", watched(module, module.forward))
            wrapped.append(module)
        for module, _ in fusing:
            object.__setattr__(module, "fuse", False)
        model.eval()
        with no_grad():
            out = model(Tensor(np.zeros(shape, dtype=dtype)))
        result.output_shape = _output_shape(out)
    finally:
        for module in wrapped:
            object.__delattr__(module, "forward")
        for module, fuse in fusing:
            if fuse is None:
                object.__delattr__(module, "fuse")
            else:
                object.__setattr__(module, "fuse", fuse)
        for module, training in modes:
            module.training = training
    if print_table:
        print(result)
    return result
