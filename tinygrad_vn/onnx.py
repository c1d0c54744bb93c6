"""Export a model to ONNX, for serving it with ONNX Runtime (or any other ONNX engine).

:func:`export` runs the model's forward once on an example input while recording every op it applies
(the recorder that ``tg.compile`` uses), then writes one ONNX node (or a few) for each recorded op:
``Linear`` becomes ``Gemm`` (the weight is already (in, out), so no transpose), the activations their
ONNX operators or a short composition (GELU through ``Erf``, softplus with its threshold), batch norm
``BatchNormalization`` with the running statistics, layer norm ``LayerNormalization``, ``Embedding``
``Gather``, ``Flatten`` a ``Reshape`` that keeps the batch axis. Parameters, buffers and constants become
initializers named as in ``state_dict()``; the first axis of the input and of every output that shares it
is the symbolic ``batch`` dimension, so the file serves any batch size. An op with no ONNX form here is
refused with an :class:`ExportError` naming it, never skipped.

The ``onnx`` package builds and checks the model (``pip install 'tinygrad-vn[onnx]'``); it is imported
only when :func:`export` runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import ops
from ._files import atomic_write
from .autograd import Tracer, no_grad, tracing
from .nn.module import Module
from .ops.reductions import normalize_axes
from .tensor import Tensor

__all__ = ["DEFAULT_OPSET", "MIN_OPSET", "ExportError", "export", "supported_ops"]

DEFAULT_OPSET = 17
MIN_OPSET = 13  # Softmax along one axis, ReduceSum's axes as an input, Clip's bounds as inputs
BATCH_DIM = "batch"
_SQRT_HALF = 0.7071067811865476
_SQRT_2_OVER_PI = 0.7978845608028654
_GELU_CUBIC = 0.044715


class ExportError(ValueError):
    """The model cannot be written as ONNX: an op without an ONNX form, an output that is not a tensor, ..."""


def _require_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError("tg.onnx.export needs the onnx package: pip install 'tinygrad-vn[onnx]' "
                          "(or pip install onnx)") from None
    return onnx


@dataclass
class _Builder:
    """The ONNX graph under construction: nodes, initializers and a name for every recorded tensor."""

    onnx: Any
    opset: int
    names: dict[int, str] = field(default_factory=dict)
    nodes: list[Any] = field(default_factory=list)
    initializers: list[Any] = field(default_factory=list)
    taken: set[str] = field(default_factory=set)
    stems: dict[int, str] = field(default_factory=dict)  # a parameter's or buffer's state_dict name, by id

    def fresh(self, stem: str) -> str:
        """A value name not used yet, made from ``stem``."""
        name, count = stem, 1
        while name in self.taken:
            count += 1
            name = f"{stem}_{count}"
        self.taken.add(name)
        return name

    def constant(self, array: np.ndarray, stem: str = "const") -> str:
        """An initializer holding ``array``; returns its name."""
        name = self.fresh(stem)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.array(array, order="C"), name))
        return name

    def leaf(self, tensor: Tensor) -> str:
        """The initializer of a tensor no recorded op made (a parameter, buffer or constant), made once."""
        if id(tensor) not in self.names:
            self.names[id(tensor)] = self.constant(np.asarray(tensor.data), self.stems.get(id(tensor), "const"))
        return self.names[id(tensor)]

    def node(self, op_type: str, inputs: list[str], stem: str = "", **attributes: Any) -> str:
        """Append one node with a single output; returns the output's name."""
        output = self.fresh(stem or op_type.lower())
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, [output], name=self.fresh(f"{op_type}_node"),
                                                     **attributes))
        return output

    def int64s(self, values: Any, stem: str) -> str:
        return self.constant(np.asarray(list(values), dtype=np.int64), stem)

    def reduce(self, op_type: str, x: str, axes: tuple[int, ...], keepdims: bool) -> str:
        """A reduction over ``axes``: given as an input from opset 18 (ReduceSum from 13), else an attribute."""
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.node(op_type, [x, self.int64s(axes, "axes")], keepdims=int(keepdims))
        return self.node(op_type, [x], axes=list(axes), keepdims=int(keepdims))

    def cast(self, x: str, from_dtype: np.dtype, to_dtype: np.dtype) -> str:
        if np.dtype(from_dtype) == np.dtype(to_dtype):
            return x
        return self.node("Cast", [x], to=self.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(to_dtype)))


@dataclass
class _Op:
    """One recorded op: the Function, its context (attributes the forward set), inputs and output."""

    fn: type
    ctx: Any
    inputs: tuple[Tensor, ...]
    attrs: dict[str, Any]
    output: Tensor


Emitter = Callable[[_Builder, _Op, list[str]], str]


def _scalar(value: float, dtype: np.dtype) -> np.ndarray:
    return np.asarray(value, dtype=dtype)


def _same_dtype_inputs(b: _Builder, op: _Op, names: list[str]) -> list[str]:
    """The inputs cast to the output's dtype where they differ (ONNX arithmetic wants one type)."""
    return [b.cast(n, t.dtype, op.output.dtype) for n, t in zip(names, op.inputs)]


def _binary(onnx_op: str) -> Emitter:
    def emit(b: _Builder, op: _Op, names: list[str]) -> str:
        return b.node(onnx_op, _same_dtype_inputs(b, op, names))
    return emit


def _unary(onnx_op: str, **attributes: Any) -> Emitter:
    def emit(b: _Builder, op: _Op, names: list[str]) -> str:
        return b.node(onnx_op, _same_dtype_inputs(b, op, names)[:1], **attributes)
    return emit


def _identity(b: _Builder, op: _Op, names: list[str]) -> str:
    return b.node("Identity", [b.cast(names[0], op.inputs[0].dtype, op.output.dtype)])


def _activation(b: _Builder, name: str, x: str) -> str:
    """The activation called ``name`` (an ``ops.FUSED_LINEAR`` name) applied to ``x``."""
    if name == "identity":
        return x
    return b.node({"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}[name], [x])


def _fused_linear(b: _Builder, op: _Op, names: list[str]) -> str:
    z = b.node("Gemm", names, stem="linear")
    return _activation(b, op.fn.activation, z)


def _leaky_relu(b: _Builder, op: _Op, names: list[str]) -> str:
    return b.node("LeakyRelu", names[:1], alpha=float(op.attrs.get("negative_slope", 0.01)))


def _elu(b: _Builder, op: _Op, names: list[str]) -> str:
    return b.node("Elu", names[:1], alpha=float(op.attrs.get("alpha", 1.0)))


def _swish(b: _Builder, op: _Op, names: list[str]) -> str:
    return b.node("Mul", [names[0], b.node("Sigmoid", names[:1])], stem="swish")


def _softmax(onnx_op: str) -> Emitter:
    def emit(b: _Builder, op: _Op, names: list[str]) -> str:
        return b.node(onnx_op, names[:1], axis=int(op.attrs.get("axis", -1)))
    return emit


def _gelu(b: _Builder, op: _Op, names: list[str]) -> str:
    x, dtype = names[0], op.output.dtype
    half, one = b.constant(_scalar(0.5, dtype), "half"), b.constant(_scalar(1.0, dtype), "one")
    if op.attrs.get("approximate", "none") == "tanh":
        cube = b.node("Mul", [b.node("Mul", [x, x]), x])
        inner = b.node("Add", [x, b.node("Mul", [cube, b.constant(_scalar(_GELU_CUBIC, dtype), "gelu_cubic")])])
        t = b.node("Tanh", [b.node("Mul", [inner, b.constant(_scalar(_SQRT_2_OVER_PI, dtype), "sqrt_2_over_pi")])])
        return b.node("Mul", [b.node("Mul", [half, x]), b.node("Add", [one, t])], stem="gelu")
    erf = b.node("Erf", [b.node("Mul", [x, b.constant(_scalar(_SQRT_HALF, dtype), "sqrt_half")])])
    cdf = b.node("Mul", [half, b.node("Add", [one, erf])])
    return b.node("Mul", [x, cdf], stem="gelu")


def _softplus(b: _Builder, op: _Op, names: list[str]) -> str:
    x, dtype = names[0], op.output.dtype
    beta, threshold = float(op.attrs.get("beta", 1.0)), float(op.attrs.get("threshold", 20.0))
    scaled = x if beta == 1 else b.node("Mul", [x, b.constant(_scalar(beta, dtype), "beta")])
    smooth = b.node("Softplus", [scaled])
    if beta != 1:
        smooth = b.node("Div", [smooth, b.constant(_scalar(beta, dtype), "beta")])
    linear = b.node("Greater", [scaled, b.constant(_scalar(threshold, dtype), "threshold")])
    return b.node("Where", [linear, x, smooth], stem="softplus")


def _clip(b: _Builder, op: _Op, names: list[str], low: Any, high: Any) -> str:
    dtype = op.output.dtype
    bounds = [b.constant(_scalar(v, dtype), "clip_bound") if v is not None else "" for v in (low, high)]
    while bounds and bounds[-1] == "":
        bounds.pop()
    return b.node("Clip", [names[0], *bounds])


def _hardtanh(b: _Builder, op: _Op, names: list[str]) -> str:
    return _clip(b, op, names, op.attrs.get("min_val", -1.0), op.attrs.get("max_val", 1.0))


def _clamp(b: _Builder, op: _Op, names: list[str]) -> str:
    return _clip(b, op, names, op.attrs.get("min"), op.attrs.get("max"))


def _prelu(b: _Builder, op: _Op, names: list[str]) -> str:
    x, weight = op.inputs
    channels = 1 if weight.size == 1 or x.ndim < 2 else weight.size
    shape = (channels,) + (1,) * max(x.ndim - 2, 0) if x.ndim >= 2 else (1,)
    slope = b.node("Reshape", [names[1], b.int64s(shape, "prelu_shape")])
    return b.node("PRelu", [names[0], slope])


def _normalize(b: _Builder, x: str, axes: tuple[int, ...], eps: float, dtype: np.dtype) -> str:
    """(X − mean) / √(var + ε) over ``axes`` (biased variance), in the order tinygrad_vn computes it."""
    centered = b.node("Sub", [x, b.reduce("ReduceMean", x, axes, True)])
    var = b.reduce("ReduceMean", b.node("Mul", [centered, centered]), axes, True)
    inv_std = b.node("Reciprocal", [b.node("Sqrt", [b.node("Add", [var, b.constant(_scalar(eps, dtype), "eps")])])])
    return b.node("Mul", [centered, inv_std], stem="normalized")


def _batch_norm(b: _Builder, op: _Op, names: list[str]) -> str:
    x = op.inputs[0]
    dtype, channels = x.dtype, x.shape[1]
    eps = float(op.attrs.get("eps", 1e-5))
    running = op.attrs.get("running")
    use_batch = op.attrs.get("training", True) or running is None
    affine = names[1:3]
    if not use_batch:
        scale = affine[0] if affine else b.constant(np.ones(channels, dtype), "bn_scale")
        shift = affine[1] if affine else b.constant(np.zeros(channels, dtype), "bn_shift")
        mean, var = b.leaf(running[0]), b.leaf(running[1])
        return b.node("BatchNormalization", [names[0], scale, shift, b.cast(mean, running[0].dtype, dtype),
                                             b.cast(var, running[1].dtype, dtype)], epsilon=eps, stem="batch_norm")
    axes = (0,) if x.ndim == 2 else (0, 2)
    out = _normalize(b, names[0], axes, eps, dtype)
    if affine:
        shape = b.int64s((channels,) if x.ndim == 2 else (channels, 1), "bn_shape")
        out = b.node("Add", [b.node("Mul", [out, b.node("Reshape", [affine[0], shape])]),
                             b.node("Reshape", [affine[1], shape])], stem="batch_norm")
    return out


def _layer_norm(b: _Builder, op: _Op, names: list[str]) -> str:
    x = op.inputs[0]
    dims, eps = int(op.attrs.get("dims", 1)), float(op.attrs.get("eps", 1e-5))
    axes = tuple(range(x.ndim - dims, x.ndim))
    if b.opset >= 17 and len(names) == 3:
        return b.node("LayerNormalization", names, axis=x.ndim - dims, epsilon=eps, stem="layer_norm")
    out = _normalize(b, names[0], axes, eps, x.dtype)
    if len(names) == 3:
        out = b.node("Add", [b.node("Mul", [out, names[1]]), names[2]], stem="layer_norm")
    return out


def _embedding(b: _Builder, op: _Op, names: list[str]) -> str:
    return b.node("Gather", [names[0], b.cast(names[1], op.inputs[1].dtype, np.int64)], axis=0, stem="embedding")


def _reshape(b: _Builder, op: _Op, names: list[str]) -> str:
    source, target = op.inputs[0].shape, op.output.shape
    if source and target and source[0] == target[0]:
        shape = (0, *target[1:])  # 0 copies the input's first axis: the batch stays symbolic
    elif source and target and target[0] % source[0] == 0 and int(np.prod(target[1:])) > 0:
        shape = (-1, *target[1:])  # the batch axis merged into the first one: inferred from the rest
    else:
        shape = target
    return b.node("Reshape", [names[0], b.int64s(shape, "shape")])


def _transpose(b: _Builder, op: _Op, names: list[str]) -> str:
    ndim = op.inputs[0].ndim
    axes = op.attrs.get("axes")
    perm = list(reversed(range(ndim))) if axes is None else [a % ndim for a in axes]
    return b.node("Transpose", names[:1], perm=perm)


def _reduction(onnx_op: str) -> Emitter:
    def emit(b: _Builder, op: _Op, names: list[str]) -> str:
        axes = normalize_axes(op.attrs.get("axis"), op.inputs[0].ndim)
        x = b.cast(names[0], op.inputs[0].dtype, op.output.dtype)
        return b.reduce(onnx_op, x, axes, bool(op.attrs.get("keepdims", False)))
    return emit


def _argmax(onnx_op: str) -> Emitter:
    def emit(b: _Builder, op: _Op, names: list[str]) -> str:
        axis, keepdims = op.attrs.get("axis"), bool(op.attrs.get("keepdims", False))
        x = names[0]
        if axis is None:
            x, axis = b.node("Reshape", [x, b.int64s((-1,), "flat")]), 0
        return b.node(onnx_op, [x], axis=int(axis), keepdims=int(keepdims))
    return emit


def _cast(b: _Builder, op: _Op, names: list[str]) -> str:
    return b.node("Identity", [b.cast(names[0], op.inputs[0].dtype, op.output.dtype)], stem="cast")


def _rsqrt(b: _Builder, op: _Op, names: list[str]) -> str:
    return b.node("Reciprocal", [b.node("Sqrt", _same_dtype_inputs(b, op, names))])


def _log1p(b: _Builder, op: _Op, names: list[str]) -> str:
    (x,) = _same_dtype_inputs(b, op, names)
    return b.node("Log", [b.node("Add", [x, b.constant(_scalar(1.0, op.output.dtype), "one")])])


def _expm1(b: _Builder, op: _Op, names: list[str]) -> str:
    (x,) = _same_dtype_inputs(b, op, names)
    return b.node("Sub", [b.node("Exp", [x]), b.constant(_scalar(1.0, op.output.dtype), "one")])


def _where(b: _Builder, op: _Op, names: list[str]) -> str:
    mask = b.cast(names[0], op.inputs[0].dtype, np.bool_)
    values = [b.cast(n, t.dtype, op.output.dtype) for n, t in zip(names[1:], op.inputs[1:])]
    return b.node("Where", [mask, *values])


def _expand(b: _Builder, op: _Op, names: list[str]) -> str:
    source, target = op.inputs[0].shape, op.output.shape
    padded = (1,) * (len(target) - len(source)) + tuple(source)
    shape = [1 if s == t else t for s, t in zip(padded, target)]  # Expand broadcasts both ways: 1 keeps an axis
    return b.node("Expand", [names[0], b.int64s(shape, "expand_shape")])


def _concatenate(b: _Builder, op: _Op, names: list[str]) -> str:
    return b.node("Concat", _same_dtype_inputs(b, op, names), axis=int(op.attrs.get("axis", 0)))


_EMITTERS: dict[type, Emitter] = {
    ops.Add: _binary("Add"), ops.Sub: _binary("Sub"), ops.Mul: _binary("Mul"), ops.Div: _binary("Div"),
    ops.Pow: _binary("Pow"), ops.Maximum: _binary("Max"), ops.Minimum: _binary("Min"),
    ops.MatMul: _binary("MatMul"), ops.Neg: _unary("Neg"), ops.Exp: _unary("Exp"), ops.Log: _unary("Log"),
    ops.Sqrt: _unary("Sqrt"), ops.Abs: _unary("Abs"), ops.Sign: _unary("Sign"), ops.Reciprocal: _unary("Reciprocal"),
    ops.Sin: _unary("Sin"), ops.Cos: _unary("Cos"), ops.Floor: _unary("Floor"), ops.Ceil: _unary("Ceil"),
    ops.Rsqrt: _rsqrt, ops.Log1p: _log1p, ops.Expm1: _expm1, ops.Where: _where, ops.Clamp: _clamp,
    ops.Cast: _cast, ops.Contiguous: _identity, ops.Copy: _identity, ops.Detach: _identity,
    ops.Sigmoid: _unary("Sigmoid"), ops.Tanh: _unary("Tanh"), ops.ReLU: _unary("Relu"), ops.LeakyReLU: _leaky_relu,
    ops.ELU: _elu, ops.Swish: _swish, ops.Softmax: _softmax("Softmax"), ops.LogSoftmax: _softmax("LogSoftmax"),
    ops.GELU: _gelu, ops.Softplus: _softplus, ops.Hardtanh: _hardtanh, ops.PReLU: _prelu,
    ops.BatchNorm: _batch_norm, ops.LayerNorm: _layer_norm, ops.Embedding: _embedding,
    ops.Reshape: _reshape, ops.Transpose: _transpose, ops.Expand: _expand, ops.Concatenate: _concatenate,
    ops.Sum: _reduction("ReduceSum"), ops.Mean: _reduction("ReduceMean"), ops.Max: _reduction("ReduceMax"),
    ops.Min: _reduction("ReduceMin"), ops.ArgMax: _argmax("ArgMax"), ops.ArgMin: _argmax("ArgMin"),
}


def _emitter(fn: type) -> Emitter | None:
    if issubclass(fn, ops.FusedLinear):
        return _fused_linear
    for cls in fn.__mro__:  # Min subclasses Max, ArgMin ArgMax: the most specific entry wins
        if cls in _EMITTERS:
            return _EMITTERS[cls]
    return None


def supported_ops() -> list[str]:
    """The names of the recorded ops that :func:`export` can write as ONNX.

    >>> "Linear+ReLU" in supported_ops() and "Softmax" in supported_ops()
    True
    """
    return sorted({fn.__name__ for fn in _EMITTERS} | {fn.__name__ for fn in ops.FUSED_LINEAR.values()})


def _trace(model: Module, x: Tensor) -> tuple[Tensor, list[_Op]]:
    """Run ``model(x)`` once, recording every op it applies (without building a backward graph)."""
    tracer = Tracer()
    with no_grad(), tracing(tracer):
        output = model(x)
    recorded = [_Op(event[1], event[2], event[3], event[4], event[5]) for event in tracer.events if event[0] == "op"]
    return output, recorded


def _needed(output: Tensor, recorded: list[_Op]) -> list[_Op]:
    """The recorded ops that ``output`` depends on, in the order they ran."""
    producer = {id(op.output): op for op in recorded}
    needed: set[int] = set()
    stack = [output]
    while stack:
        tensor = stack.pop()
        op = producer.get(id(tensor))
        if op is None or id(op) in needed:
            continue
        needed.add(id(op))
        stack.extend(op.inputs)
    return [op for op in recorded if id(op) in needed]


def _example_tensor(example_input: Any) -> Tensor:
    if isinstance(example_input, Tensor):
        array = example_input.data
    elif isinstance(example_input, np.ndarray):
        array = example_input
    else:
        raise TypeError(f"tg.onnx.export: example_input must be a Tensor or a NumPy array, got "
                        f"{type(example_input).__name__}")
    if array.ndim == 0:
        raise ValueError("tg.onnx.export: example_input must have a batch axis (at least one dimension), got a scalar")
    if array.dtype.kind not in "fiub":
        raise TypeError(f"tg.onnx.export: example_input holds {array.dtype}, not numbers")
    return Tensor._from_op(np.array(array), None)


def _value_info(onnx: Any, name: str, tensor: Tensor, batch: int | None) -> Any:
    dims: list[Any] = list(tensor.shape)
    if batch is not None and dims and dims[0] == batch:
        dims[0] = BATCH_DIM
    return onnx.helper.make_tensor_value_info(name, onnx.helper.np_dtype_to_tensor_dtype(tensor.dtype), dims)


def export(model: Module, example_input: Any, path: str | os.PathLike[str] | None = None, opset: int = DEFAULT_OPSET,
           input_name: str = "input", output_name: str = "output", dynamic_batch: bool = True,
           metadata: Mapping[str, Any] | None = None) -> Any:
    """Write ``model`` as an ONNX file at ``path`` (atomically) and return the checked ``onnx.ModelProto``.

    The model is exported in its evaluation form: it is switched to ``eval()`` for the trace (dropout is
    the identity, batch norm uses its running statistics) and each module's mode is put back afterwards,
    as ``torch.onnx.export`` does by default. ``example_input`` (a Tensor or array, batch axis first)
    fixes every shape but the batch axis, which is symbolic when ``dynamic_batch``. ``opset`` is the ONNX
    operator set version (13 or newer). ``metadata`` (names to strings, or to values written as JSON) goes
    into the model's ``metadata_props``, where a server can read how inputs must be scaled.
    ``path=None`` only builds and checks the model.

    >>> import tinygrad_vn as tg
    >>> from tinygrad_vn import nn
    >>> proto = tg.onnx.export(nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Softmax()), tg.zeros(4, 3), None)
    >>> [node.op_type for node in proto.graph.node]
    ['Gemm', 'Relu', 'Softmax']
    >>> proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param
    'batch'
    """
    if not isinstance(model, Module):
        raise TypeError(f"tg.onnx.export: model must be an nn.Module, got {type(model).__name__}")
    onnx = _require_onnx()
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise ValueError(f"tg.onnx.export: opset must be an integer from {MIN_OPSET} to {newest} (this onnx "
                         f"package's newest), got {opset!r}")
    if input_name == output_name:
        raise ValueError(f"tg.onnx.export: input_name and output_name must differ, both are {input_name!r}")
    x = _example_tensor(example_input)
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        output, recorded = _trace(model, x)
    finally:
        for module, mode in modes:
            module.training = mode
    if not isinstance(output, Tensor):
        raise ExportError(f"tg.onnx.export: the model returned a {type(output).__name__}; only a model that returns "
                          "one Tensor can be exported")
    needed = _needed(output, recorded)
    for op in needed:
        if _emitter(op.fn) is None:
            raise ExportError(f"tg.onnx.export: the op {op.fn.__name__} ({op.fn.__module__}.{op.fn.__qualname__}) "
                              f"has no ONNX form; the ops that export supports are: {', '.join(supported_ops())}")
    builder = _Builder(onnx, opset)
    builder.taken.update((input_name, output_name))
    builder.names[id(x)] = input_name
    produced = {id(op.output) for op in needed}
    builder.stems = {id(t): name for name, t in _named_tensors(model)}
    for op in needed:
        for tensor in op.inputs:
            if id(tensor) in builder.names or id(tensor) in produced:
                continue
            builder.names[id(tensor)] = builder.leaf(tensor)
    for op in needed:
        name = _emitter(op.fn)(builder, op, [builder.names[id(t)] for t in op.inputs])
        builder.names[id(op.output)] = name
    final = builder.names.get(id(output)) or builder.leaf(output)  # the input itself, or a constant
    if builder.nodes and builder.nodes[-1].output[0] == final:
        builder.nodes[-1].output[0] = output_name  # the last node writes the output (nothing reads it before)
    else:  # the output is the input itself or a constant
        builder.nodes.append(onnx.helper.make_node("Identity", [final], [output_name],
                                                   name=builder.fresh("output_node")))
    batch = x.shape[0] if dynamic_batch else None
    graph = onnx.helper.make_graph(
        builder.nodes, "tinygrad_vn", [_value_info(onnx, input_name, x, batch)],
        [_value_info(onnx, output_name, output, batch if output.shape[:1] == x.shape[:1] else None)],
        initializer=builder.initializers)
    opsets = [onnx.helper.make_opsetid("", opset)]
    proto = onnx.helper.make_model(graph, opset_imports=opsets, producer_name="tinygrad_vn",
                                   ir_version=onnx.helper.find_min_ir_version_for(opsets))
    for key, value in (metadata or {}).items():
        if not isinstance(key, str):
            raise TypeError(f"tg.onnx.export: metadata keys must be strings, got {key!r}")
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value if isinstance(value, str) else json.dumps(value)
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        with atomic_write(path) as f:
            f.write(proto.SerializeToString())
    return proto


def _named_tensors(model: Module) -> list[tuple[str, Tensor]]:
    """Every parameter and buffer of ``model`` with its ``state_dict`` name (initializers keep those names)."""
    named = list(model.named_parameters())
    if hasattr(model, "named_buffers"):
        named += [(n, t) for n, t in model.named_buffers() if t is not None]
    return named
