"""Move a model to PyTorch and back: :func:`to_torch` and :func:`from_torch`.

The layers both frameworks have convert one to one (``Linear``, the activation modules, ``Softmax``,
``LogSoftmax``, ``Dropout``, ``Flatten``, ``Unflatten``, ``BatchNorm1d``, ``LayerNorm``, ``Embedding``,
nested ``Sequential``), with their settings, their parameters and buffers, and each module's training
mode. The one difference in the numbers is the layout of a Linear weight: tinygrad_vn keeps it (in, out),
as the course notes write Z = X·W + b, and PyTorch keeps it (out, in), computing x·Wᵀ + b; it is
transposed on the way. A square weight reads the same in both layouts, so a bare state dict whose
layout cannot be told is refused rather than loaded silently transposed.

PyTorch is optional: it is imported only when these functions run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import nn
from .nn.module import Module

__all__ = ["LAYOUTS", "from_torch", "to_torch"]

LAYOUTS = ("torch", "tinygrad_vn")
"""The layouts ``from_torch`` accepts: "torch" (Linear weights (out, in)) and "tinygrad_vn" ((in, out))."""


def _require_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError("tg.interop needs PyTorch, which is not installed: pip install torch (the CPU wheel is "
                          "enough)") from None
    return torch


def _array(value: Any) -> np.ndarray:
    """A NumPy copy of a torch tensor, a tinygrad_vn Tensor or an array."""
    if type(value).__module__.startswith("torch"):
        return value.detach().cpu().numpy().copy()
    return np.array(value.data if hasattr(value, "_data") else value)


def _copy_into(torch: Any, target: Any, array: np.ndarray) -> None:
    with torch.no_grad():
        target.copy_(torch.from_numpy(np.array(array, order="C")))


def _torch_dtype(torch: Any, dtype: np.dtype) -> Any:
    return torch.from_numpy(np.zeros(0, dtype=dtype)).dtype


# --- tinygrad_vn -> PyTorch -------------------------------------------------------------------------


def _linear_to_torch(torch: Any, m: nn.Linear) -> Any:
    layer = torch.nn.Linear(m.in_features, m.out_features, bias=m.bias is not None,
                            dtype=_torch_dtype(torch, m.weight.dtype))
    _copy_into(torch, layer.weight, m.weight.data.T)
    if m.bias is not None:
        _copy_into(torch, layer.bias, m.bias.data)
    return layer


def _batch_norm_to_torch(torch: Any, m: nn.BatchNorm1d) -> Any:
    dtype = (m.weight if m.weight is not None else m.running_mean)
    layer = torch.nn.BatchNorm1d(m.num_features, eps=m.eps, momentum=m.momentum, affine=m.affine,
                                 track_running_stats=m.track_running_stats,
                                 dtype=_torch_dtype(torch, dtype.dtype) if dtype is not None else None)
    _copy_state(torch, layer, m)
    return layer


def _layer_norm_to_torch(torch: Any, m: nn.LayerNorm) -> Any:
    dtype = None if m.weight is None else _torch_dtype(torch, m.weight.dtype)
    layer = torch.nn.LayerNorm(m.normalized_shape, eps=m.eps, elementwise_affine=m.elementwise_affine, dtype=dtype)
    _copy_state(torch, layer, m)
    return layer


def _embedding_to_torch(torch: Any, m: nn.Embedding) -> Any:
    layer = torch.nn.Embedding(m.num_embeddings, m.embedding_dim, padding_idx=m.padding_idx,
                               dtype=_torch_dtype(torch, m.weight.dtype))
    _copy_state(torch, layer, m)
    return layer


def _prelu_to_torch(torch: Any, m: nn.PReLU) -> Any:
    layer = torch.nn.PReLU(m.num_parameters, dtype=_torch_dtype(torch, m.weight.dtype))
    _copy_state(torch, layer, m)
    return layer


def _copy_state(torch: Any, layer: Any, m: Module) -> None:
    """Copy every entry of ``m.state_dict()`` into the torch layer's entry of the same name (same layout)."""
    targets = layer.state_dict(keep_vars=True)
    for name, value in m.state_dict().items():
        _copy_into(torch, targets[name], _array(value).astype(_array(targets[name]).dtype, copy=False))


_TO_TORCH: dict[type[Module], Callable[[Any, Any], Any]] = {
    nn.Linear: _linear_to_torch,
    nn.BatchNorm1d: _batch_norm_to_torch,
    nn.LayerNorm: _layer_norm_to_torch,
    nn.Embedding: _embedding_to_torch,
    nn.PReLU: _prelu_to_torch,
    nn.Identity: lambda torch, m: torch.nn.Identity(),
    nn.Sigmoid: lambda torch, m: torch.nn.Sigmoid(),
    nn.Tanh: lambda torch, m: torch.nn.Tanh(),
    nn.ReLU: lambda torch, m: torch.nn.ReLU(),
    nn.LeakyReLU: lambda torch, m: torch.nn.LeakyReLU(m.negative_slope),
    nn.ELU: lambda torch, m: torch.nn.ELU(m.alpha),
    nn.Swish: lambda torch, m: torch.nn.SiLU(),
    nn.GELU: lambda torch, m: torch.nn.GELU(approximate=m.approximate),
    nn.Softplus: lambda torch, m: torch.nn.Softplus(m.beta, m.threshold),
    nn.SELU: lambda torch, m: torch.nn.SELU(),
    nn.CELU: lambda torch, m: torch.nn.CELU(m.alpha),
    nn.Hardtanh: lambda torch, m: torch.nn.Hardtanh(m.min_val, m.max_val),
    nn.ReLU6: lambda torch, m: torch.nn.ReLU6(),
    nn.Softmax: lambda torch, m: torch.nn.Softmax(dim=m.dim),
    nn.LogSoftmax: lambda torch, m: torch.nn.LogSoftmax(dim=m.dim),
    nn.Dropout: lambda torch, m: torch.nn.Dropout(m.p),
    nn.Flatten: lambda torch, m: torch.nn.Flatten(m.start_dim, m.end_dim),
    nn.Unflatten: lambda torch, m: torch.nn.Unflatten(m.dim, m.unflattened_size),
}


def _layer_names(table: Mapping[type, Any]) -> str:
    return ", ".join(sorted({cls.__name__ for cls in table}))


def to_torch(model: Module) -> Any:
    """An equivalent ``torch.nn`` module: the same layers, settings, weights and training mode.

    Linear weights are transposed to PyTorch's (out, in) layout; everything else is copied as it is, in
    the same dtype. A ``Sequential`` becomes a ``torch.nn.Sequential`` with the same child names, so the
    two ``state_dict()`` have the same keys. A layer PyTorch has no equivalent for (``Maxout``, a module
    of your own) is refused with a TypeError naming it and where it sits.

    >>> import tinygrad_vn as tg
    >>> tg.interop.to_torch({"0.weight": [[1.0]]})
    Traceback (most recent call last):
    ...
    TypeError: to_torch: model must be a tinygrad_vn nn.Module, got dict
    """
    if not isinstance(model, Module):
        raise TypeError(f"to_torch: model must be a tinygrad_vn nn.Module, got {type(model).__name__}")
    return _module_to_torch(_require_torch(), model, "the model")


def _module_to_torch(torch: Any, m: Module, where: str) -> Any:
    if type(m) is nn.Sequential:
        converted = torch.nn.Sequential()
        for name, child in m.named_children():
            converted.add_module(name, _module_to_torch(torch, child, f"layer {name!r} of {where}"))
    else:
        convert = _TO_TORCH.get(type(m))
        if convert is None:
            raise TypeError(f"to_torch: {where} is a {type(m).__name__}, which has no PyTorch equivalent here; "
                            f"the layers that convert are Sequential, {_layer_names(_TO_TORCH)}")
        converted = convert(torch, m)
    converted.train(m.training)
    return converted


# --- PyTorch -> tinygrad_vn -------------------------------------------------------------------------


def _dtype_of(tensor: Any) -> np.dtype:
    return _array(tensor[:0] if tensor.ndim else tensor).dtype


def _linear_from_torch(layer: Any) -> nn.Linear:
    m = nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None, dtype=_dtype_of(layer.weight))
    m.load_state_dict(_state_in_tinygrad_layout(layer.state_dict(), {"weight"}))
    return m


def _same_state(make: Callable[[Any], Module]) -> Callable[[Any], Module]:
    """A converter that builds the layer with ``make`` and copies the torch layer's state as it is."""
    def convert(layer: Any) -> Module:
        m = make(layer)
        state = {name: _array(value) for name, value in layer.state_dict().items()}
        m.load_state_dict(state)
        return m
    return convert


def _weight_dtype(layer: Any) -> Any:
    weight = getattr(layer, "weight", None)
    if weight is not None:
        return _dtype_of(weight)
    running = getattr(layer, "running_mean", None)
    return np.float32 if running is None else _dtype_of(running)


def _softmax_dim(layer: Any, name: str) -> int:
    if layer.dim is None:
        raise ValueError(f"from_torch: torch.nn.{name}() without dim picks an axis from the input's rank (a "
                         "deprecated PyTorch behaviour); give it dim= before converting")
    return int(layer.dim)


def _from_torch_table(torch: Any) -> dict[type, Callable[[Any], Module]]:
    t = torch.nn
    return {
        t.Linear: _linear_from_torch,
        t.BatchNorm1d: _same_state(lambda layer: nn.BatchNorm1d(
            layer.num_features, layer.eps, layer.momentum, layer.affine, layer.track_running_stats,
            dtype=_weight_dtype(layer))),
        t.LayerNorm: _same_state(_layer_norm_from_torch),
        t.Embedding: _same_state(lambda layer: nn.Embedding(layer.num_embeddings, layer.embedding_dim,
                                                            layer.padding_idx, dtype=_weight_dtype(layer))),
        t.PReLU: _same_state(lambda layer: nn.PReLU(layer.num_parameters, dtype=_weight_dtype(layer))),
        t.Identity: lambda layer: nn.Identity(),
        t.Sigmoid: lambda layer: nn.Sigmoid(),
        t.Tanh: lambda layer: nn.Tanh(),
        t.ReLU: lambda layer: nn.ReLU(),
        t.LeakyReLU: lambda layer: nn.LeakyReLU(layer.negative_slope),
        t.ELU: lambda layer: nn.ELU(layer.alpha),
        t.SiLU: lambda layer: nn.Swish(),
        t.GELU: lambda layer: nn.GELU(layer.approximate),
        t.Softplus: lambda layer: nn.Softplus(layer.beta, layer.threshold),
        t.SELU: lambda layer: nn.SELU(),
        t.CELU: lambda layer: nn.CELU(layer.alpha),
        t.ReLU6: lambda layer: nn.ReLU6(),
        t.Hardtanh: lambda layer: nn.Hardtanh(layer.min_val, layer.max_val),
        t.Softmax: lambda layer: nn.Softmax(_softmax_dim(layer, "Softmax")),
        t.LogSoftmax: lambda layer: nn.LogSoftmax(_softmax_dim(layer, "LogSoftmax")),
        t.Dropout: lambda layer: nn.Dropout(layer.p),
        t.Flatten: lambda layer: nn.Flatten(layer.start_dim, layer.end_dim),
        t.Unflatten: lambda layer: nn.Unflatten(layer.dim, tuple(layer.unflattened_size)),
    }


def _layer_norm_from_torch(layer: Any) -> nn.LayerNorm:
    if layer.elementwise_affine and layer.bias is None:
        raise ValueError("from_torch: a torch.nn.LayerNorm with bias=False has no tinygrad_vn equivalent "
                         "(tinygrad_vn's LayerNorm learns a weight and a bias together)")
    return nn.LayerNorm(tuple(layer.normalized_shape), layer.eps, layer.elementwise_affine, dtype=_weight_dtype(layer))


def _module_from_torch(torch: Any, table: dict[type, Callable[[Any], Module]], layer: Any, where: str) -> Module:
    if type(layer) is torch.nn.Sequential:
        converted: Module = nn.Sequential(*[_module_from_torch(torch, table, child, f"layer {name!r} of {where}")
                                            for name, child in layer.named_children()])
        names = [name for name, _ in layer.named_children()]
        if names != [str(i) for i in range(len(names))]:
            raise ValueError(f"from_torch: {where} is a torch.nn.Sequential with named children ({', '.join(names)}); "
                             "tinygrad_vn's Sequential names them 0, 1, ...: rebuild it with numbered children")
    else:
        convert = table.get(type(layer))
        if convert is None:
            raise TypeError(f"from_torch: {where} is a {type(layer).__module__}.{type(layer).__name__}, which has no "
                            f"tinygrad_vn equivalent here; the layers that convert are Sequential, "
                            f"{_layer_names(table)}. Build the model in tinygrad_vn and load the weights with "
                            "from_torch(module.state_dict(), into=model)")
        converted = convert(layer)
    converted.train(layer.training)
    return converted


def _state_in_tinygrad_layout(state: Mapping[str, Any], transposed: set[str]) -> dict[str, np.ndarray]:
    """The state as NumPy arrays, the entries named in ``transposed`` transposed."""
    return {name: _array(value).T.copy() if name in transposed else _array(value) for name, value in state.items()}


def _undecidable(name: str, shape: tuple[int, ...], why: str) -> ValueError:
    return ValueError(
        f"from_torch: cannot tell the layout of {name!r} (shape {shape}): {why}. PyTorch keeps a Linear weight as "
        "(out, in) and tinygrad_vn as (in, out), and loading it in the wrong one would silently use its transpose. "
        "Pass into=MODEL (a tinygrad_vn model whose layers say which entries are Linear weights) or "
        "layout='torch' (every 2-D weight is a Linear weight in PyTorch's layout)")


def _linear_weights_by_shape(state: Mapping[str, Any]) -> set[str]:
    """The 2-D ``*.weight`` entries of a bare state dict that are in PyTorch's layout, told by their bias.

    A weight (out, in) beside a bias (out,) is PyTorch's; (in, out) beside (out,) already tinygrad_vn's;
    a square one, or one without a bias, cannot be told and is refused.
    """
    transposed = set()
    for name, value in state.items():
        prefix, _, attribute = name.rpartition(".")
        shape = tuple(value.shape) if hasattr(value, "shape") else np.shape(value)
        if attribute != "weight" or len(shape) != 2:
            continue
        bias = state.get(f"{prefix}.bias" if prefix else "bias")
        bias_shape = tuple(bias.shape) if hasattr(bias, "shape") else np.shape(bias)
        if bias is None or len(bias_shape) != 1:
            raise _undecidable(name, shape, "it has no bias beside it to say which axis is the output")
        (outputs,) = bias_shape
        if shape[0] == shape[1]:
            raise _undecidable(name, shape, "it is square, so both layouts give the same shape")
        if shape[0] == outputs:
            transposed.add(name)
        elif shape[1] != outputs:
            raise ValueError(f"from_torch: {name!r} has shape {shape} but its bias has {outputs} entries, so it is "
                             "not a Linear layer's weight in either layout")
    return transposed


def _linear_weights_of(model: Module) -> set[str]:
    """The state-dict names of ``model``'s Linear weights."""
    return {f"{name}.weight" if name else "weight" for name, m in model.named_modules() if isinstance(m, nn.Linear)}


def from_torch(source: Any, into: Module | None = None, layout: str | None = None,
               strict: bool = True) -> Module | dict[str, np.ndarray]:
    """A tinygrad_vn model from a ``torch.nn`` module, or a PyTorch state dict in tinygrad_vn's layout.

    - ``from_torch(torch_module)``: the equivalent tinygrad_vn module (the layers :func:`to_torch` knows,
      Linear weights transposed to (in, out), the same training mode). Any other layer is refused, naming it.
    - ``from_torch(state_dict, into=model)``: loads the state dict into the tinygrad_vn ``model``
      (``strict`` as in ``load_state_dict``), transposing exactly the entries that are ``model``'s Linear
      weights, and returns ``model``. ``layout="tinygrad_vn"`` says the dict is already in tinygrad_vn's
      layout (nothing is transposed).
    - ``from_torch(state_dict)``: the state dict as NumPy arrays in tinygrad_vn's layout. Each 2-D weight's
      layout is told from its bias; a square weight or one without a bias cannot be told and is refused
      with a ValueError, unless ``layout="torch"`` says every 2-D weight is a Linear weight in PyTorch's
      layout (an Embedding table is not: load such a dict with ``into=``).

    The state dict's values may be torch tensors or arrays.

    >>> import numpy as np
    >>> import tinygrad_vn as tg
    >>> state = {"0.weight": np.zeros((2, 3)), "0.bias": np.zeros(2)}   # PyTorch's Linear(3, 2)
    >>> tg.interop.from_torch(state)["0.weight"].shape
    (3, 2)
    >>> tg.interop.from_torch({"0.weight": np.eye(2), "0.bias": np.zeros(2)})
    Traceback (most recent call last):
    ...
    ValueError: from_torch: cannot tell the layout of '0.weight' (shape (2, 2)): it is square, ...
    """
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"from_torch: layout must be one of {', '.join(map(repr, LAYOUTS))} or None, got {layout!r}")
    if into is not None and not isinstance(into, Module):
        raise TypeError(f"from_torch: into must be a tinygrad_vn nn.Module, got {type(into).__name__}")
    if isinstance(source, Mapping):
        for name in source:
            if not isinstance(name, str):
                raise TypeError(f"from_torch: state dict keys must be strings, got {name!r}")
        if into is not None:
            transposed = set() if layout == "tinygrad_vn" else _linear_weights_of(into) & set(source)
            into.load_state_dict(_state_in_tinygrad_layout(source, transposed), strict=strict)
            return into
        if layout == "tinygrad_vn":
            transposed = set()
        elif layout == "torch":
            transposed = {n for n, v in source.items() if n.rpartition(".")[2] == "weight" and len(v.shape) == 2}
        else:
            transposed = _linear_weights_by_shape(source)
        return _state_in_tinygrad_layout(source, transposed)
    torch = _require_torch()
    if not isinstance(source, torch.nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module or a state dict (a mapping of names to tensors), "
                        f"got {type(source).__name__}")
    if into is not None or layout is not None:
        raise TypeError("from_torch: into= and layout= apply to a state dict; a torch.nn.Module is converted whole "
                        "(use from_torch(module.state_dict(), into=model) to load its weights into a model)")
    return _module_from_torch(torch, _from_torch_table(torch), source, "the module")
