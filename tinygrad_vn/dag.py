"""The recorded graph behind a tensor, walked once and named: what ``viz`` draws and ``explain`` writes.

:func:`build` collects every tensor that went into ``root`` (inputs before the ops that use them),
gives each a counter-based position and a readable name, and, given a model, says which module each
op belongs to. Names follow the course notes where they can: parameters ``W(l)`` and ``b(l)`` for
layer ``l``, a layer's output ``Z(l)``, an activation's ``A(l)``, the model's last activation ``ŷ``,
the loss ``L``. :func:`run_backward` replays the backward pass with the engine's hook to record the
gradient of every tensor, leaving every ``.grad`` as it found it.

Modules are found from parameters, after the fact, so forward pays nothing: an op that consumes a
module's parameter belongs to that module, and an op that follows a module and is named like the
parameter-free module next to it in a ``Sequential`` (``Sigmoid`` after ``"0"`` → ``"1": Sigmoid``)
belongs to that one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .autograd import Context, backward, topological_order
from .ops.matrix import FusedLinear
from .rules import fill_placeholders, rule_of

ACTIVATION_OPS = ("Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "Swish", "Softmax", "LogSoftmax")
PARAMETER_SYMBOLS = {"weight": "W", "bias": "b"}
REDUCTION_OPS = ("Mean", "Sum")
LONGEST_DERIVED_NAME = 14
JACOBIAN_LIMIT = 64
_OPERATOR_SPACES = re.compile(r" ?([·⊙+−/*]) ?")


@dataclass(frozen=True)
class Name:
    """A tensor's display name; ``primary`` names (given, parameters, layers) stay in chain-rule products."""

    text: str
    primary: bool


@dataclass
class Op:
    """One recorded op: its position in the graph, its context and its output tensor."""

    position: int
    ctx: Context
    output: Any
    module: str | None = None

    @property
    def name(self) -> str:
        """The op's name, e.g. ``"MatMul"``."""
        return self.ctx.name


@dataclass
class Graph:
    """Every tensor behind ``root`` in topological order, its ops, names and modules."""

    root: Any
    tensors: list[Any]
    ops: list[Op]
    names: list[Name]
    position: dict[int, int]
    producer: dict[int, Op]
    consumers: dict[int, list[Op]]
    parameter_names: dict[int, str] = field(default_factory=dict)
    modules: dict[str, Any] = field(default_factory=dict)

    def name(self, tensor: Any) -> str:
        """The display name of a tensor of this graph."""
        return self.names[self.position[id(tensor)]].text

    def is_primary(self, tensor: Any) -> bool:
        """Whether the tensor's name was given or found from a parameter or a layer (not derived)."""
        return self.names[self.position[id(tensor)]].primary

    def placeholders(self, op: Op) -> dict[str, str]:
        """This graph's name for each placeholder of ``op``'s rule (``{"Z": "Z(1)", "A": "A(1)"}``)."""
        rule = rule_of(op.ctx.fn)
        if rule is None:
            return {}
        names = {ph: self.name(p) for ph, p in zip(rule.inputs, op.ctx.parents)}
        if rule.output:
            names[rule.output] = self.name(op.output)
        return names

    def formula(self, op: Op, lang: str = "en") -> str | None:
        """``op``'s forward formula with this graph's names (``A(1) = σ(Z(1))``), if its docstring states one."""
        rule = rule_of(op.ctx.fn, lang)
        return fill_placeholders(rule.forward, self.placeholders(op)) if rule is not None else None

    def gradient_equation(self, op: Op, k: int, lang: str = "en") -> str | None:
        """The rule ``op`` applies to input ``k``, with this graph's names (``dW(2) = A(1)ᵀ · dZ(2)``)."""
        rule = rule_of(op.ctx.fn, lang)
        if rule is None or k >= len(rule.inputs):
            return None
        return fill_placeholders(f"d{rule.inputs[k]} = {rule.gradients[k]}", self.placeholders(op))

    @property
    def released(self) -> bool:
        """True when an earlier backward freed the saved buffers, so no gradient can be replayed."""
        return any(op.ctx.released for op in self.ops)


def build(root: Any, model: Any = None, names: Mapping[str, Any] | None = None) -> Graph:
    """The graph behind ``root``; ``model`` (a Module) names parameters and clusters, ``names`` maps name → tensor."""
    tensors = topological_order(root, every_input=True)
    position = {id(t): i for i, t in enumerate(tensors)}
    ops: list[Op] = []
    producer: dict[int, Op] = {}
    consumers: dict[int, list[Op]] = {id(t): [] for t in tensors}
    for tensor in tensors:
        if tensor._ctx is None:
            continue
        op = Op(len(ops), tensor._ctx, tensor)
        ops.append(op)
        producer[id(tensor)] = op
        for parent in tensor._ctx.parents:
            consumers[id(parent)].append(op)
    graph = Graph(root, tensors, ops, [], position, producer, consumers)
    layer_numbers: dict[str, int] = {}
    if model is not None:
        graph.parameter_names = {id(p): n for n, p in model.named_parameters()}
        layer_numbers = _assign_modules(graph, dict(model.named_modules()))
    graph.names = _name_tensors(graph, layer_numbers, names or {}, structural=model is None)
    return graph


def module_of_parameter(dotted: str) -> str:
    """The module that owns a parameter: ``"0"`` for ``"0.weight"`` (``""`` for the model itself)."""
    return dotted.rpartition(".")[0]


def _assign_modules(graph: Graph, modules: dict[str, Any]) -> dict[str, int]:
    """Set ``op.module`` where it can be told; return each parameter-owning module's layer number."""
    owner = {pid: module_of_parameter(n) for pid, n in graph.parameter_names.items()}
    layer_numbers: dict[str, int] = {}
    for module_name in owner.values():
        layer_numbers.setdefault(module_name, len(layer_numbers) + 1)
    for op in graph.ops:
        owners = {owner[id(p)] for p in op.ctx.parents if id(p) in owner}
        if len(owners) == 1:
            op.module = owners.pop()
        elif not owners:
            op.module = _following_module(graph, op, modules)
    graph.modules = {op.module: modules[op.module] for op in graph.ops if op.module is not None}
    return layer_numbers


def _following_module(graph: Graph, op: Op, modules: dict[str, Any]) -> str | None:
    """The parameter-free sibling after the module that made ``op``'s first input, if named like ``op``."""
    source = graph.producer.get(id(op.ctx.parents[0]))
    if source is None or source.module is None:
        return None
    parent, _, last = source.module.rpartition(".")
    if not last.isdigit():
        return None
    candidate = f"{parent}.{int(last) + 1}" if parent else str(int(last) + 1)
    module = modules.get(candidate)
    if module is None or next(iter(module.named_parameters()), None) is not None:
        return None
    return candidate if type(module).__name__ == op.name else None


def _is_activation(op_name: str) -> bool:
    return op_name.endswith(ACTIVATION_OPS)


def _module_outputs(graph: Graph) -> list[Op]:
    """Ops whose output leaves their module (used outside it, or is the root)."""
    outputs = []
    for op in graph.ops:
        if op.module is None:
            continue
        users = graph.consumers[id(op.output)]
        if not users or any(user.module != op.module for user in users):
            outputs.append(op)
    return outputs


def _name_tensors(graph: Graph, layer_numbers: dict[str, int], given: Mapping[str, Any],
                  structural: bool) -> list[Name]:
    names: dict[int, Name] = {id(t): Name(n, True) for n, t in given.items()}
    for tensor in graph.tensors:
        if id(tensor) not in names and tensor.name:
            names[id(tensor)] = Name(tensor.name, True)
    for pid, dotted in graph.parameter_names.items():
        module_name, _, attr = dotted.rpartition(".")
        symbol = PARAMETER_SYMBOLS.get(attr, attr)
        names.setdefault(pid, Name(f"{symbol}({layer_numbers[module_name]})", True))
    names.setdefault(id(graph.root), Name("L", True))
    if structural:
        _name_by_structure(graph, names)
    else:
        _name_layer_outputs(graph, layer_numbers, names)
    _name_data(graph, names)
    root_op = graph.producer.get(id(graph.root))
    if root_op is not None and root_op.name in REDUCTION_OPS:
        names.setdefault(id(root_op.ctx.parents[0]), Name("ℓ", False))
    generic = 0
    for tensor in graph.tensors:
        if id(tensor) in names:
            continue
        derived = _derived_name(graph, tensor, names)
        if derived is None:
            generic += 1
            derived = f"t{generic}"
        names[id(tensor)] = Name(derived, False)
    return [names[id(t)] for t in graph.tensors]


def _name_layer_outputs(graph: Graph, layer_numbers: dict[str, int], names: dict[int, Name]) -> None:
    """``Z(l)`` for a layer's output, ``A(l)`` for an activation's, ``ŷ`` for the model's last activation."""
    last: Op | None = None
    for op in _module_outputs(graph):
        if id(op.output) in names:
            continue
        layer = layer_numbers.get(op.module)
        if layer is None:
            source = graph.producer.get(id(op.ctx.parents[0]))
            layer = layer_numbers.get(source.module) if source is not None and source.module else None
        symbol = "A" if layer is None or _is_activation(op.name) or op.module not in layer_numbers else "Z"
        names[id(op.output)] = Name(f"{symbol}({layer})" if layer is not None else symbol, True)
        last = op
    if last is not None and names[id(last.output)].text.startswith("A"):
        names[id(last.output)] = Name(_output_symbol(last), True)


def _output_symbol(op: Op) -> str:
    """The network's last activation: ``o`` after a softmax (seed 001's name), ``ŷ`` otherwise (seeds 000, 004)."""
    return "o" if op.name.endswith("Softmax") and not op.name.endswith("LogSoftmax") else "ŷ"


@dataclass(frozen=True)
class Layer:
    """One ``X·W + b`` found in a graph: its input, weight, bias (or None), and the op that made ``Z``
    (``A`` when the op is a fused Linear + activation)."""

    number: int
    input: Any
    weight: Any
    bias: Any
    output_op: Op
    fused_activation: bool


def is_parameter(tensor: Any) -> bool:
    """A leaf that needs a gradient: what an optimizer updates."""
    return tensor._ctx is None and tensor.requires_grad


def layers(graph: Graph) -> list[Layer]:
    """Every ``X·W + b`` of the graph in forward order: a MatMul by a parameter, then the Add of a
    parameter if one follows, or a fused Linear op; the ``l``-th is layer ``l`` of the notes."""
    found: list[Layer] = []
    for op in graph.ops:
        parents = op.ctx.parents
        if issubclass(op.ctx.fn, FusedLinear):
            found.append(Layer(len(found) + 1, parents[0], parents[1], parents[2], op,
                               op.ctx.fn.activation != "identity"))
        elif op.name == "MatMul" and is_parameter(parents[1]) and not is_parameter(parents[0]):
            users = graph.consumers[id(op.output)]
            bias_op = users[0] if len(users) == 1 and users[0].name == "Add" else None
            bias = None
            if bias_op is not None:
                others = [p for p in bias_op.ctx.parents if p is not op.output]
                bias = others[0] if len(others) == 1 and is_parameter(others[0]) else None
            output_op = bias_op if bias is not None else op
            found.append(Layer(len(found) + 1, parents[0], parents[1], bias, output_op, False))
    return found


def _name_by_structure(graph: Graph, names: dict[int, Name]) -> None:
    """Without a model: ``W(l)``, ``b(l)``, ``Z(l)`` and ``A(l)`` for the ``l``-th ``X·W + b``, ``ŷ`` (or
    ``o``) for the last activation, ``x``/``X`` for the first layer's input. Names already set stay."""
    found = layers(graph)
    last_activation: Op | None = None
    for layer in found:
        n = layer.number
        names.setdefault(id(layer.weight), Name(f"W({n})", True))
        if layer.bias is not None:
            names.setdefault(id(layer.bias), Name(f"b({n})", True))
        output = layer.output_op.output
        names.setdefault(id(output), Name(f"{'A' if layer.fused_activation else 'Z'}({n})", True))
        activation = layer.output_op if layer.fused_activation else None
        users = graph.consumers[id(output)]
        if activation is None and len(users) == 1 and _is_activation(users[0].name):
            activation = users[0]
            names.setdefault(id(activation.output), Name(f"A({n})", True))
        last_activation = activation if activation is not None and n == len(found) else None
    if last_activation is not None and names[id(last_activation.output)].text.startswith("A("):
        names[id(last_activation.output)] = Name(_output_symbol(last_activation), True)


def _name_data(graph: Graph, names: dict[int, Name]) -> None:
    """``x`` (one sample) or ``X`` (a batch) for the first layer's input; ``y`` for a target: a leaf
    without gradient (not a constant) that meets the network's output after the last layer, e.g. in the loss."""
    found = layers(graph)
    if found and not found[0].input.requires_grad and found[0].input._ctx is None:
        data = found[0].input
        batch = data.ndim > 1 and data.shape[0] > 1
        names.setdefault(id(data), Name("X" if batch else "x", True))
    named_output = next((t for t in reversed(graph.tensors) if id(t) in names
                         and names[id(t)].text in ("ŷ", "o")), None)
    start = named_output
    if start is None:
        start = found[-1].output_op.output if found else None
    if start is None:
        return
    downstream = {id(start)}
    for op in graph.ops[graph.producer[id(start)].position + 1:]:
        if not any(id(p) in downstream for p in op.ctx.parents):
            continue
        downstream.add(id(op.output))
        for parent in op.ctx.parents:
            if parent._ctx is None and not parent.requires_grad and parent.ndim > 0 and id(parent) not in names:
                names[id(parent)] = Name("y", True)
                return


def _derived_name(graph: Graph, tensor: Any, names: dict[int, Name]) -> str | None:
    """A short expression for an unnamed tensor (``(x·W(1))``), or a constant's value; ``None`` if too long."""
    op = graph.producer.get(id(tensor))
    if op is None:
        if tensor.requires_grad or tensor.size != 1:
            return None
        return format_number(tensor.data.item())
    rule = rule_of(op.ctx.fn)
    parents = op.ctx.parents
    if rule is None or len(rule.inputs) != len(parents) or any(id(p) not in names for p in parents):
        return None
    expression = rule.forward.split(" = ", 1)[1]
    filled = fill_placeholders(expression, {ph: names[id(p)].text for ph, p in zip(rule.inputs, parents)})
    compact = _OPERATOR_SPACES.sub(r"\1", filled)
    return f"({compact})" if len(compact) <= LONGEST_DERIVED_NAME else None


@dataclass(frozen=True)
class SoftmaxCrossEntropy:
    """A softmax met by a cross-entropy: the logits ``Z``, ``o = softmax(Z)`` and the targets ``y`` as arrays
    of Z's shape (one-hot for class labels), with the tensors (or ``None``) that hold ``o`` and ``y``. A
    sigmoid met by binary cross-entropy has ``kind`` "sigmoid_bce" and ``ŷ = σ(Z)`` in place of ``o``.

    Where each row of ``y`` sums to 1, ``dZ = (o − y) · dL``: the softmax's Jacobian and the log's
    ``1 / o`` cancel (seed 001). Whether they did in a given graph is for the caller to check against
    the gradient that reached ``Z``.
    """

    logits: Any
    probabilities: np.ndarray
    targets: np.ndarray
    probabilities_tensor: Any
    targets_tensor: Any
    kind: str = "softmax_ce"


def softmax_cross_entropies(graph: Graph) -> list[SoftmaxCrossEntropy]:
    """Every softmax then cross-entropy of the graph, fused (``CrossEntropy``) or written out
    (``softmax`` then ``log`` then ``× y``; ``log_softmax`` then ``× y`` or ``NegativeLogLikelihood``), and
    every sigmoid then binary cross-entropy (``kind`` "sigmoid_bce", ``o`` standing for ``ŷ``).

    >>> import numpy as np, tinygrad_vn as tg
    >>> z = tg.tensor([[1.0, 2.0]], requires_grad=True)
    >>> found = softmax_cross_entropies(build(tg.functional.cross_entropy(z, np.array([1]))))
    >>> found[0].logits is z, found[0].targets.tolist()
    (True, [[0.0, 1.0]])
    """
    found = []
    for op in graph.ops:
        parents = op.ctx.parents
        if op.name == "CrossEntropy":
            logits = parents[0]
            shifted = np.exp(logits.data - logits.data.max(axis=-1, keepdims=True))
            found.append(SoftmaxCrossEntropy(logits, shifted / shifted.sum(axis=-1, keepdims=True),
                                             _one_hot(parents[1].data, logits.shape), None, parents[1]))
            continue
        if op.name not in ("Softmax", "LogSoftmax"):
            found += _sigmoid_cross_entropy(graph, op)
            continue
        logits, output = parents[0], op.output
        probabilities = output.data if op.name == "Softmax" else np.exp(output.data)
        logs = output
        if op.name == "Softmax":
            logs = next((u.output for u in graph.consumers[id(output)] if u.name == "Log"), None)
            if logs is None:
                continue
        target = _target_of(graph, logs)
        if target is not None:
            targets = np.broadcast_to(np.asarray(target.data, dtype=np.float64), logits.shape)
        else:
            nll = next((u for u in graph.consumers[id(logs)] if u.name == "NegativeLogLikelihood"), None)
            if nll is None or op.name != "LogSoftmax" or len(nll.ctx.parents) > 2 \
                    or getattr(nll.ctx, "label_smoothing", 0):
                continue  # class weights or smoothed labels: the gradient is no longer o − y
            target, targets = nll.ctx.parents[1], _one_hot(nll.ctx.parents[1].data, logits.shape)
        found.append(SoftmaxCrossEntropy(logits, probabilities, targets,
                                         output if op.name == "Softmax" else None, target))
    return found


def _sigmoid_cross_entropy(graph: Graph, op: Op) -> list[SoftmaxCrossEntropy]:
    """A sigmoid met by binary cross-entropy (or the fused op), as the same record: ``o`` is ``ŷ = σ(Z)``,
    and ``dZ = (ŷ − y) · dL`` (seed 000, and seed 004's ``δ(3) = A(3) − Y``)."""
    parents = op.ctx.parents
    if op.name == "BinaryCrossEntropyWithLogits":
        logits, target = parents[0], parents[1]
        return [SoftmaxCrossEntropy(logits, 1 / (1 + np.exp(-logits.data)),
                                    np.broadcast_to(np.asarray(target.data, dtype=np.float64), logits.shape),
                                    None, target, "sigmoid_bce")]
    if op.name != "Sigmoid":
        return []
    loss = next((u for u in graph.consumers[id(op.output)] if u.name == "BinaryCrossEntropy"
                 and u.ctx.parents[0] is op.output), None)
    if loss is None:
        return []
    target = loss.ctx.parents[1]
    return [SoftmaxCrossEntropy(parents[0], op.output.data,
                                np.broadcast_to(np.asarray(target.data, dtype=np.float64), op.output.shape),
                                op.output, target, "sigmoid_bce")]


def _target_of(graph: Graph, logs: Any) -> Any:
    """The tensor that multiplies ``logs`` (the ``y`` of ``y ⊙ ln o``), if one does."""
    return next((p for u in graph.consumers[id(logs)] if u.name == "Mul" for p in u.ctx.parents
                 if p is not logs), None)


def _one_hot(labels: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Class labels as rows of ``shape``; a label outside the classes (an ignored one) gives a row of 0."""
    flat = np.asarray(labels).reshape(-1)
    rows = np.zeros((flat.size, shape[-1]))
    counted = (flat >= 0) & (flat < shape[-1])
    rows[np.flatnonzero(counted), flat[counted].astype(np.int64)] = 1.0
    return rows.reshape(shape)


def collapse(graph: Graph, op: Op) -> tuple[str, str] | None:
    """Where ``op``'s gradient collapses with its consumer's: ``(kind, equation)`` with this graph's names.

    Sigmoid then binary cross-entropy: the factors ŷ (1 − ŷ) cancel, ``dZ = (ŷ − y) ⊙ dℓ`` (seed 000).
    Softmax then log (cross-entropy written out): ``dZ = (o − y) · dL`` (seed 001). The fused
    ``CrossEntropy`` op computes that collapse itself (no equation: its rule already reads ``O − Y``).
    """
    users = graph.consumers[id(op.output)]
    if op.name == "Sigmoid":
        loss = next((u for u in users if u.name == "BinaryCrossEntropy" and u.ctx.parents[0] is op.output), None)
        if loss is not None:
            z, y_hat, y = (graph.name(t) for t in (op.ctx.parents[0], op.output, loss.ctx.parents[1]))
            return "sigmoid_bce", f"d{z} = ({y_hat} − {y}) ⊙ d{graph.name(loss.output)}"
    if op.name == "Softmax" and any(u.name == "Log" for u in users):
        z, o = graph.name(op.ctx.parents[0]), graph.name(op.output)
        log = next(u for u in users if u.name == "Log")
        target = _target_of(graph, log.output)
        y = graph.name(target) if target is not None else "y"
        where = "" if o == "o" else f", o = softmax({z})"
        return "softmax_ce", f"d{z} = (o − {y}) · d{graph.name(graph.root)}{where}"
    if op.name == "LogSoftmax" and any(u.name == "NegativeLogLikelihood" for u in users):
        z = graph.name(op.ctx.parents[0])
        return "softmax_ce", f"d{z} = (o − y) · d{graph.name(graph.root)}, o = softmax({z})"
    if op.name == "CrossEntropy":
        return "fused_ce", ""
    return None


def format_number(value: float, precision: int = 3) -> str:
    """A number with ``precision`` significant digits, without trailing zeros (``0.367``, ``1``, ``-0.0043``)."""
    text = f"{value:.{precision}g}"
    return f"{value:.0f}" if "e+" in text else text


def format_shape(shape: tuple[int, ...]) -> str:
    """A shape as the notes write it: ``1×2``, ``2``, or ``scalar``."""
    return "×".join(map(str, shape)) if shape else "scalar"


def format_array(array: np.ndarray, precision: int = 3) -> str:
    """A small array as nested lists of :func:`format_number`, a row a line (a scalar as a plain number)."""
    if array.ndim == 0:
        return format_number(array.item(), precision)

    def nested(values: list[Any], depth: int) -> str:
        parts = [nested(v, depth + 1) if isinstance(v, list) else format_number(v, precision) for v in values]
        return "[" + (",\n" + " " * (depth + 1) if depth == 0 and array.ndim > 1 else ", ").join(parts) + "]"

    return nested(array.tolist(), 0)


@dataclass
class Step:
    """One op as backward applied it: the gradient that reached its output and those it sent to its inputs.

    ``jacobians[k]``, for small tensors, is ∂output/∂input k as an (output size, input size) matrix,
    obtained by running the op's own backward on each unit gradient.
    """

    op: Op
    grad_out: np.ndarray
    input_grads: tuple[np.ndarray | None, ...]
    jacobians: tuple[np.ndarray | None, ...] | None = None


def run_backward(graph: Graph, jacobians: bool = False) -> tuple[list[Step], dict[int, np.ndarray]]:
    """Replay backward from the root with the engine's hook; return its steps and every tensor's gradient.

    Every ``.grad`` is restored afterwards and the graph is retained, so this can run before or after
    the user's own ``backward()`` (as long as that one passed ``retain_graph=True``). A non-scalar root
    is seeded with ones, as if summed.
    """
    if graph.released:
        raise RuntimeError("the graph's saved buffers were freed by an earlier backward(); build the loss "
                           "again, or call backward(retain_graph=True) before drawing or explaining it")
    steps: list[Step] = []
    grads: dict[int, np.ndarray] = {}

    def record(tensor: Any, grad_out: np.ndarray, input_grads: tuple[Any, ...]) -> None:
        op = graph.producer[id(tensor)]
        grads[id(tensor)] = grad_out
        steps.append(Step(op, grad_out, input_grads, _jacobians(op, grad_out) if jacobians else None))

    kept = [(t, t.grad) for t in graph.tensors]
    try:
        for tensor in graph.tensors:
            tensor.grad = None
        backward(graph.root, np.ones_like(graph.root.data), retain_graph=True, hook=record)
        grads.update({id(t): t.grad.data for t in graph.tensors if t._ctx is None and t.grad is not None})
    finally:
        for tensor, grad in kept:
            tensor.grad = grad
    return steps, grads


def _jacobians(op: Op, grad_out: np.ndarray) -> tuple[np.ndarray | None, ...] | None:
    parents = op.ctx.parents
    if grad_out.size > JACOBIAN_LIMIT or any(p.data.size > JACOBIAN_LIMIT for p in parents):
        return None
    rows: list[list[np.ndarray | None]] = [[] for _ in parents]
    for j in range(grad_out.size):
        unit = np.zeros_like(grad_out)
        unit.flat[j] = 1
        grads = op.ctx.fn.backward(op.ctx, unit)
        grads = grads if isinstance(grads, tuple) else (grads,)
        for k, grad in enumerate(grads):
            rows[k].append(None if grad is None else np.asarray(grad, dtype=np.float64).ravel())
    return tuple(None if any(r is None for r in row) else np.stack(row) for row in rows)
