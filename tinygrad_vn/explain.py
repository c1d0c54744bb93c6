"""``tg.explain(loss)``: the backprop equations the engine applied, written out as the course notes do.

The text has two parts. First, in the order backward ran, each op's gradient rule with this graph's
names and shapes (``dZ(1) = dA(1) ⊙ A(1) ⊙ (1 − A(1))``) and, for small tensors, the engine's numbers.
Second, for every element of each small parameter, the chain rule as seed 000 writes it by hand::

    ∂L/∂w11(1) = ∂L/∂ŷ · ∂ŷ/∂z(2) · ∂z(2)/∂a1(1) · ∂a1(1)/∂z1(1) · ∂z1(1)/∂w11(1)
               = ((ŷ − y) / (ŷ (1 − ŷ))) · ŷ · (1 − ŷ) · w11(2) · a1(1) · (1 − a1(1)) · x
               = (ŷ − y) · w11(2) · a1(1) · (1 − a1(1)) · x
               = (0.867 − 0.5) · 1 · 0.562 · (1 − 0.562) · 0.5
               = 0.367 · 1 · 0.246 · 0.5 = 0.0451

Nothing is derived here: the rules are the ops' own (:mod:`tinygrad_vn.rules`), the numbers come from
replaying backward with the engine's hook, and each chain factor ∂out/∂in is the op's own backward
applied to a unit gradient. Where the algebra collapses (sigmoid then binary cross-entropy gives
``ŷ − y``; softmax then cross-entropy ``o − y``, seeds 000 and 001) the text says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import dag, phrases
from .ops.matrix import FusedLinear
from .rules import _NAME_CHARS, fill_placeholders, rule_of

MAX_CHAIN_ELEMENTS = 12
FORMATS = ("text", "markdown", "latex")
NUMBERS_LIMIT = 4
# Words (phrases) are wrapped in these marks while a text is written, so that Markdown and LaTeX can
# tell words from formulas; plain text drops them.
_WORDS_ON, _WORDS_OFF = "\x01", "\x02"
MAX_PATHS = 4
MAX_LISTED_PATHS = 256
_WORDS = re.compile(r"[a-z]{3,} [a-z]{3,}")

# Ops whose rule reads well with the numbers put in, and ops whose differing input shapes are no broadcast.
_NUMBERED_OPS = ("Sigmoid", "Tanh", "ReLU", "Add", "Sub", "Mul", "Div", "MatMul", "Exp", "Log", "Neg",
                 "BinaryCrossEntropy")
_NOT_BROADCASTS = ("MatMul", "Einsum", "Embedding", "GetItem", "IndexBy", "CrossEntropy", "NegativeLogLikelihood",
                   "Concatenate", "SetItem", "Scatter", "ScatterAdd", "Gather", "TakeAlongAxis", "IndexSelect")

# Where two ops' factors cancel into a short form, written in the consumer op's placeholders.
COLLAPSES = {("BinaryCrossEntropy", "Sigmoid"): "ŷ − y"}


class Explanation(str):
    """The text of :func:`explain`; a ``str`` that also shows as itself at the interactive prompt."""

    def __repr__(self) -> str:
        return str(self)


def explain(loss: Any, params: Any = None, *, model: Any = None, names: Mapping[str, Any] | None = None,
            lang: str = "en", precision: int = 3, paths: bool = False, format: str = "text") -> Explanation:
    """The gradient equations backward applies to ``loss``, in order, then the chain rule per parameter element.

    ``params`` picks the parameters whose chains are written: a Module (which also names them, like
    ``model``), a tensor, or an iterable of tensors or dotted names (``"0.weight"``); by default every
    leaf that needs a gradient. Without a model, tensors are named from the graph's structure
    (``W(l)``, ``b(l)``, ``Z(l)``, ``A(l)``, ``ŷ``); ``names`` maps extra names to tensors and wins.
    ``lang`` is "en" or "vi"; ``precision`` the significant digits; ``paths=True`` lists, for each
    element, every path from the loss with its product beside ``.grad``; ``format`` is "text",
    "markdown" or "latex" (a body for a document with ``amsmath``). Leaves every ``.grad`` as it was.

    >>> import tinygrad_vn as tg
    >>> w = tg.tensor([[2.0]], requires_grad=True)
    >>> print(explain((tg.tensor([[3.0]]) @ w).sum()).splitlines()[-1].strip())
    = 1 · 3 = 3
    """
    phrases.check_language(lang)
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
    if model is None and hasattr(params, "named_parameters"):
        model, params = params, None
    graph = dag.build(loss, model=model, names=names)
    steps, grads = dag.run_backward(graph, jacobians=True)
    writer = _Writer(graph, lang, precision)
    lines = writer.header()
    for number, step in enumerate(steps, 1):
        lines += writer.step(number, step)
    chosen = _chosen_parameters(graph, params, model)
    lines += writer.chains(steps, grads, chosen)
    if paths:
        lines += writer.all_paths(steps, grads, chosen)
    return Explanation(_render(lines, format))


def describe_step(graph: dag.Graph, step: dag.Step, number: int = 1, *, lang: str = "en",
                  precision: int = 3) -> list[str]:
    """The lines :func:`explain` writes for one backward step: the op's formula and shapes, then each
    input's gradient rule with this graph's names and the engine's numbers, how each gradient's shape
    arises, and the numbers substituted where the tensors are small.

    The animation and the worksheets show a step with this, so a step reads the same everywhere.

    >>> import tinygrad_vn as tg
    >>> from tinygrad_vn import dag
    >>> x = tg.tensor([2.0], requires_grad=True)
    >>> graph = dag.build((x * 3).sum())
    >>> steps, _ = dag.run_backward(graph)
    >>> describe_step(graph, steps[-1], len(steps))[0].split(":")[0]
    ' 2. Mul'
    """
    phrases.check_language(lang)
    return [_plain(line) for line in _Writer(graph, lang, precision).step(number, step)]


@dataclass
class PathFactor:
    """One factor ∂upper/∂lower of a path and its value."""

    upper: str
    lower: str
    value: float


@dataclass
class Path:
    """One path from the loss down to a parameter element: its factors, loss first, and their product."""

    factors: list[PathFactor]

    @property
    def product(self) -> float:
        """The product of the path's local derivatives."""
        return float(np.prod([f.value for f in self.factors])) if self.factors else 1.0


@dataclass
class Paths:
    """Every path from a loss to one parameter element; ``total`` (their sum) equals ``grad`` (the engine's)."""

    loss: str
    element: str
    paths: list[Path]
    grad: float
    truncated: bool
    text: str
    lines: list[str] = field(default_factory=list, repr=False)

    @property
    def total(self) -> float:
        """The sum of the paths' products: the chain rule's value for this element."""
        return float(sum(path.product for path in self.paths))

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def paths(loss: Any, parameter: Any, index: int | tuple[int, ...] = 0, *, model: Any = None,
          names: Mapping[str, Any] | None = None, lang: str = "en", precision: int = 3,
          limit: int = MAX_LISTED_PATHS) -> Paths:
    """Every path from ``loss`` to element ``index`` of ``parameter``, each with the product of its local
    derivatives, and their sum beside the engine's gradient (``.grad``) for that element.

    ``index`` is a flat index or a tuple; ``limit`` caps the paths listed (``truncated`` says so).
    Leaves every ``.grad`` as it was.

    >>> import tinygrad_vn as tg
    >>> a = tg.tensor([1.0, 2.0], requires_grad=True)
    >>> found = paths((a * a).sum(), a, 1)
    >>> len(found.paths), found.total, found.grad
    (2, 4.0, 4.0)
    """
    phrases.check_language(lang)
    graph = dag.build(loss, model=model, names=names)
    if id(parameter) not in graph.position:
        raise ValueError("the parameter is not in the graph of this loss")
    if not parameter.requires_grad:
        raise ValueError("the parameter does not require a gradient, so no path carries one to it")
    flat = _flat_index(parameter, index)
    steps, grads = dag.run_backward(graph, jacobians=True)
    if any(step.jacobians is None for step in steps):
        raise ValueError(f"paths are traced only through tensors of at most {dag.JACOBIAN_LIMIT} elements")
    writer = _Writer(graph, lang, precision)
    return writer.paths_of(_element_edges(steps), parameter, flat, grads, limit)


def _flat_index(tensor: Any, index: int | tuple[int, ...]) -> int:
    """``index`` into ``tensor`` as a flat index, refused with its valid range when out of bounds."""
    size = tensor.data.size
    if isinstance(index, tuple):
        if len(index) != tensor.ndim or any(not 0 <= i < n for i, n in zip(index, tensor.shape)):
            raise IndexError(f"index {index} is outside the parameter's shape {tensor.shape}")
        return int(np.ravel_multi_index(index, tensor.shape))
    if not isinstance(index, (int, np.integer)) or not 0 <= index < size:
        raise IndexError(f"index {index!r} is outside the parameter's {size} elements (0 to {size - 1})")
    return int(index)


def _chosen_parameters(graph: dag.Graph, params: Any, model: Any) -> list[Any] | None:
    """The tensors whose chains to write (``None``: every leaf that needs a gradient)."""
    if params is None:
        return None
    if hasattr(params, "data"):
        return [params]
    by_name = dict(model.named_parameters()) if model is not None else {}
    chosen = []
    for item in params if isinstance(params, Iterable) else [params]:
        if isinstance(item, str):
            if item not in by_name:
                raise KeyError(f"no parameter named {item!r}; pass model= to name parameters "
                               f"(known: {', '.join(by_name) or 'none'})")
            item = by_name[item]
        chosen.append(item)
    return chosen


_Edge = tuple[dag.Step, int, int, int, float]
"""One element-level step of a chain: (op step, input k, output element j, input element i, ∂out[j]/∂in_k[i])."""


@dataclass
class _Factor:
    """One factor of a chain-rule product: ∂upper/∂lower, its value, and its form in names and in numbers."""

    upper: str
    lower: str
    value: float
    form: str | None
    numbers: str | None
    edges: tuple[_Edge, ...]


@dataclass
class _ChainPath:
    """One product of a chain: its edges (loss first) or, below a collapsed head factor such as
    ∂L/∂z_k = o_k − y_k, the edges from ``start`` (the head's lower element) down."""

    edges: list[_Edge]
    head: _Factor | None = None
    start: tuple[Any, int] | None = None


def _cut_at_heads(paths: list[list[_Edge]], heads: dict[tuple[int, int], _ChainPath]) -> list[_ChainPath]:
    """The paths with each one through a collapsed element cut there and topped by its head factor; paths
    that then read the same (they differed only above it, through the softmax) become one."""
    cut: dict[tuple[Any, ...], _ChainPath] = {}
    for path in paths:
        found = _ChainPath(path)
        for n, edge in enumerate(path):
            lower = edge[0].op.ctx.parents[edge[1]]
            head = heads.get((id(lower), edge[3]))
            if head is not None:
                found = _ChainPath(path[n + 1:], head.head, head.start)
                break
        key = (id(found.head), *((id(e[0]), e[1], e[2], e[3]) for e in found.edges))
        cut.setdefault(key, found)
    return list(cut.values())


def _uniform_scale(grad: np.ndarray, difference: np.ndarray) -> float | None:
    """``c`` when ``grad`` is ``c · difference`` throughout (``o − y`` times the loss's scale), else ``None``."""
    if not np.any(difference):
        return 1.0 if not np.any(grad) else None
    scale = float(np.vdot(grad, difference) / np.vdot(difference, difference))
    if not np.allclose(grad, scale * difference, rtol=1e-6, atol=1e-12 * max(1.0, float(np.abs(grad).max()))):
        return None
    return 1.0 if np.isclose(scale, 1.0, rtol=1e-9) else scale


class _Writer:
    """Writes the lines of an explanation for one graph, in one language (words wrapped in word marks)."""

    def __init__(self, graph: dag.Graph, lang: str, precision: int) -> None:
        self.graph = graph
        self.lang = lang
        self.precision = precision
        self.loss = graph.name(graph.root)

    def say(self, key: str, **fields: object) -> str:
        """The phrase ``explain.key`` in this language, marked as words; its fields stay formulas."""
        marked = {name: f"{_WORDS_OFF}{value}{_WORDS_ON}" for name, value in fields.items()}
        return f"{_WORDS_ON}{phrases.phrase('explain.' + key, self.lang, **marked)}{_WORDS_OFF}"

    def number(self, value: float) -> str:
        """``value`` with the chosen significant digits."""
        return dag.format_number(value, self.precision)

    def shape(self, tensor: Any) -> str:
        """A tensor's shape in the chosen language."""
        return dag.format_shape(tensor.shape) if tensor.shape else self.say("scalar")

    def header(self) -> list[str]:
        """Title, notation, and the parameters' names (beside the model's dotted names when there is one)."""
        graph = self.graph
        lines = [self.say("title", loss=self.loss), self.say("notation", loss=self.loss)]
        present = {id(t): t for t in graph.tensors}
        if graph.parameter_names:
            listed = ", ".join(f"{graph.name(present[pid])} = {dotted} ({self.shape(present[pid])})"
                               for pid, dotted in graph.parameter_names.items() if pid in present)
        else:
            leaves = [t for t in graph.tensors if dag.is_parameter(t)]
            layer_order = [t for layer in dag.layers(graph) for t in (layer.weight, layer.bias) if t is not None]
            ordered = _unique([*[t for t in layer_order if id(t) in present], *leaves])
            listed = ", ".join(f"{graph.name(t)} ({self.shape(t)})" for t in ordered)
        if listed:
            lines.append(f"{self.say('parameters')}: {listed}")
        return [*lines, ""]

    # ------------------------------------------------------------------ the equations, step by step

    def step(self, number: int, step: dag.Step) -> list[str]:
        """One op as backward applied it: its formula and shapes, each input's rule with the numbers."""
        graph, op = self.graph, step.op
        rule = rule_of(op.ctx.fn, self.lang)
        forward = graph.formula(op, self.lang) or \
            f"{graph.name(op.output)} = {op.name}({', '.join(graph.name(p) for p in op.ctx.parents)})"
        shapes = ", ".join(f"{graph.name(t)} {self.shape(t)}" for t in (*_unique(op.ctx.parents), op.output))
        lines = [f"{number:>2}. {_WORDS_ON}{op.name}{_WORDS_OFF}: {forward}    ({self.say('with')} {shapes})"]
        if rule is None:
            lines.append(f"      {self.say('no_rule')}")
        elif not rule.inputs:
            lines.append(f"      {rule.rule}")
        for k, (parent, grad) in enumerate(zip(op.ctx.parents, step.input_grads)):
            if grad is None or not parent.requires_grad:
                continue
            equation = graph.gradient_equation(op, k, self.lang) or f"d{graph.name(parent)}"
            lines.append(f"      {equation}    → {self.result(parent, grad)}")
            lines += [f"        {line}" for line in self.shape_lines(step, k)]
            lines += [f"        {line}" for line in self.number_lines(step, k, grad)]
        lines += self.collapse_notes(op)
        return lines

    def result(self, tensor: Any, grad: np.ndarray) -> str:
        """A gradient's shape and, when small, its value on one line."""
        if grad.size > MAX_CHAIN_ELEMENTS:
            return self.shape(tensor)
        return f"{self.shape(tensor)} {dag.format_array(grad, self.precision).replace(chr(10), '')}"

    def gradient_name(self, tensor: Any) -> str:
        """``dX`` for a tensor; a layer's ``x·W`` (whose gradient the bias Add passes on unchanged) as ``dZ(l)``."""
        graph = self.graph
        users = graph.consumers.get(id(tensor), [])
        if len(users) == 1 and users[0].name == "Add" and any(layer.output_op is users[0] for layer in
                                                                dag.layers(graph)):
            return f"d{graph.name(users[0].output)}"
        return f"d{graph.name(tensor)}"

    def shape_lines(self, step: dag.Step, k: int) -> list[str]:
        """How input ``k``'s gradient gets its shape: a matrix product's factors, or the sum over broadcast axes."""
        graph, op = self.graph, step.op
        parents, output = op.ctx.parents, op.output
        parent = parents[k]
        grad_out = self.gradient_name(output)
        if op.name == "MatMul" and len(parents) == 2 and all(t.ndim == 2 for t in parents):
            a, b = parents
            if k == 0:
                product = (f"d{graph.name(a)} ({self.shape(a)}) = {grad_out} ({self.shape(output)}) · "
                           f"{_transposed(graph.name(b))} ({dag.format_shape(b.shape[::-1])})")
            else:
                product = (f"d{graph.name(b)} ({self.shape(b)}) = {_transposed(graph.name(a))} "
                           f"({dag.format_shape(a.shape[::-1])}) · {grad_out} ({self.shape(output)})")
            return [self.say("shape_product", result=product)]
        if issubclass(op.ctx.fn, FusedLinear) and len(parents) == 3:
            x, w, b = parents
            z = graph.name(output).replace("A(", "Z(", 1)
            if k == 1:
                return [self.say("shape_product", result=f"d{graph.name(w)} ({self.shape(w)}) = "
                                 f"{_transposed(graph.name(x))} ({dag.format_shape(x.shape[::-1])}) · d{z} "
                                 f"({self.shape(output)})")]
            if k == 0:
                return [self.say("shape_product", result=f"d{graph.name(x)} ({self.shape(x)}) = d{z} "
                                 f"({self.shape(output)}) · {_transposed(graph.name(w))} "
                                 f"({dag.format_shape(w.shape[::-1])})")]
            return [self.broadcast_line(b, output, f"d{z}")]
        if parent.shape != output.shape and parent.ndim <= output.ndim and op.name not in _NOT_BROADCASTS \
                and rule_of(op.ctx.fn) is not None and len(parents) > 1:
            rule = rule_of(op.ctx.fn)
            upstream = (fill_placeholders(rule.gradients[k], graph.placeholders(op))
                        if k < len(rule.gradients) else grad_out)
            return [self.broadcast_line(parent, output, _grouped(upstream))]
        return []

    def broadcast_line(self, parent: Any, output: Any, upstream: str) -> str:
        """``db(1) (128) = Σ over the batch axis of dZ(1), because b(1) was broadcast over it``."""
        lead = output.ndim - parent.ndim
        axes = [*range(lead), *(lead + n for n, size in enumerate(parent.shape)
                               if size == 1 and output.shape[lead + n] > 1)]
        if not axes:
            return ""
        grad, name = f"d{self.graph.name(parent)}", self.graph.name(parent)
        if axes == [0] and output.ndim >= 2:
            return self.say("shape_broadcast_batch", grad=grad, shape=self.shape(parent), upstream=upstream, name=name)
        if len(axes) == 1:
            where, which = self.say("axis", axis=axes[0]), self.say("it")
        else:
            where, which = self.say("axes", axes=", ".join(map(str, axes))), self.say("them")
        return self.say("shape_broadcast", grad=grad, shape=self.shape(parent), axes=where, upstream=upstream,
                        name=name, which=which)

    def number_lines(self, step: dag.Step, k: int, grad: np.ndarray) -> list[str]:
        """Input ``k``'s rule with the numbers put in, for small tensors of the ops where that reads well."""
        op = step.op
        rule = rule_of(op.ctx.fn)
        if op.name not in _NUMBERED_OPS or rule is None or rule.output is None or k >= len(rule.gradients) \
                or rule.gradients[k] in (f"d{rule.output}", f"−d{rule.output}"):
            return []
        operands = {rule.output: op.output.data, f"d{rule.output}": step.grad_out,
                    **{ph: t.data for ph, t in zip(rule.inputs, op.ctx.parents)}}
        if any(np.asarray(v).size > NUMBERS_LIMIT for v in operands.values()):
            return []
        values = {ph: np.asarray(v) for ph, v in operands.items() if not ph.startswith("d")}
        pattern = re.compile(rf"(?<![{_NAME_CHARS}])(d?)({'|'.join(map(re.escape, values))})(ᵀ?)(?![{_NAME_CHARS}])")

        def put(match: re.Match[str]) -> str:
            d, ph, transposed = match.groups()
            if d and ph != rule.output:
                return match.group(0)
            value = step.grad_out if d else values[ph]
            return self.array(np.asarray(value).T if transposed else value)

        filled = pattern.sub(put, rule.gradients[k])
        if re.search(r"[A-Za-z]", filled.replace("ln", "")):
            return []
        return [self.say("numbers", numbers=f"{filled} = {self.array(grad)}")]

    def array(self, value: Any) -> str:
        """A small array on one line."""
        return dag.format_array(np.asarray(value), self.precision).replace("\n", "")

    def collapse_notes(self, op: dag.Op) -> list[str]:
        """A line saying where this op's factor cancels with the next one's (seeds 000 and 001)."""
        found = dag.collapse(self.graph, op)
        if found is None:
            return []
        kind, equation = found
        return [f"      ⇒ {self.say(kind)}" + (f": {equation}" if equation else "")]

    # ------------------------------------------------------------------ the chains, element by element

    def chains(self, steps: list[dag.Step], grads: dict[int, np.ndarray], chosen: list[Any] | None) -> list[str]:
        """The chain rule for every element of each chosen parameter, in the order backward reached them."""
        graph = self.graph
        order = [p for step in steps for p in step.op.ctx.parents if p._ctx is None and p.requires_grad]
        parameters = list({id(p): p for p in order if chosen is None or any(p is c for c in chosen)}.values())
        lines = ["", self.say("chains")]
        small = all(step.jacobians is not None and all(j is not None or not p.requires_grad for j, p in
                    zip(step.jacobians, step.op.ctx.parents)) for step in steps)
        if not small or any(p.data.size > MAX_CHAIN_ELEMENTS for p in parameters):
            return [*lines, self.say("no_chains", params=MAX_CHAIN_ELEMENTS, tensors=dag.JACOBIAN_LIMIT)]
        edges = _element_edges(steps)
        softmax_heads = self.collapsed_heads(grads, "softmax_ce")
        every_head = {**softmax_heads, **self.collapsed_heads(grads, "sigmoid_bce")}
        for parameter in parameters:
            for index in range(parameter.data.size):
                paths = _paths(edges, (id(parameter), index), (id(graph.root), 0))
                cut = _cut_at_heads(paths, softmax_heads)
                if len(cut) > 1:  # a single product shows σ + BCE cancelling in its own rows (see collapsed)
                    cut = _cut_at_heads(paths, every_head)
                lines += self.chain(parameter, index, cut, float(grads[id(parameter)].flat[index]))
        return lines

    def collapsed_heads(self, grads: dict[int, np.ndarray], kind: str) -> dict[tuple[int, int], _ChainPath]:
        """For each element ``z_k`` of logits met by softmax and cross-entropy (``kind`` "softmax_ce"), the one
        factor ∂L/∂z_k written ``o_k − y_k`` (times the loss's scale, ``/n`` for a mean), where the gradient
        that reached the logits is exactly that: the softmax's paths collapse into it (seed 001). With
        "sigmoid_bce", the same for a sigmoid and binary cross-entropy: ``ŷ_k − y_k`` (seed 004's δ(3))."""
        heads: dict[tuple[int, int], _ChainPath] = {}
        symbol = "o" if kind == "softmax_ce" else "ŷ"
        for found in dag.softmax_cross_entropies(self.graph):
            if found.kind != kind:
                continue
            logits = found.logits
            grad = grads.get(id(logits))
            if grad is None:
                continue
            difference = found.probabilities - found.targets
            scale = _uniform_scale(np.asarray(grad, dtype=np.float64), difference)
            if scale is None:
                continue
            for k in range(logits.data.size):
                o = self.labelled(found.probabilities_tensor, symbol, logits.shape, k)
                y = self.labelled(found.targets_tensor, "y", logits.shape, k)
                o_value, y_value = self.number(found.probabilities.flat[k]), self.number(found.targets.flat[k])
                form, numbers = f"{o} − {y}", f"{o_value} − {y_value}"
                if scale != 1:
                    count = 1 / scale
                    factor = f"/{round(count)}" if np.isclose(count, round(count)) else f" · {self.number(scale)}"
                    form, numbers = f"({form}){factor}", f"({numbers}){factor}"
                head = _Factor(self.loss, self.element(logits, k), float(grad.flat[k]), form, numbers, ())
                heads[(id(logits), k)] = _ChainPath([], head, (logits, k))
        return heads

    def labelled(self, tensor: Any, symbol: str, shape: tuple[int, ...], index: int) -> str:
        """Element ``index`` of ``o`` or ``y`` laid out as the logits: the tensor's own name when it has that
        shape, else ``symbol`` with the element's row and column (``y12`` of one-hot labels)."""
        if tensor is not None and tensor.shape == shape and id(tensor) in self.graph.position:
            return self.element(tensor, index)
        position = np.unravel_index(index, shape) if shape else ()
        digits = [str(int(p) + 1) for p, size in zip(position, shape) if size > 1]
        return symbol + ("".join(digits) if all(len(d) == 1 for d in digits) else ",".join(digits))

    def all_paths(self, steps: list[dag.Step], grads: dict[int, np.ndarray], chosen: list[Any] | None) -> list[str]:
        """For each chosen parameter element: every path from the loss, its product, and their sum beside .grad."""
        order = [p for step in steps for p in step.op.ctx.parents if dag.is_parameter(p)]
        parameters = list({id(p): p for p in order if chosen is None or any(p is c for c in chosen)}.values())
        if any(step.jacobians is None for step in steps) or any(p.data.size > MAX_CHAIN_ELEMENTS for p in parameters):
            return []
        edges = _element_edges(steps)
        lines: list[str] = []
        for parameter in parameters:
            for index in range(parameter.data.size):
                lines += ["", *self.paths_of(edges, parameter, index, grads, MAX_LISTED_PATHS).lines]
        return lines

    def paths_of(self, edges: dict[tuple[int, int], list[_Edge]], parameter: Any, index: int,
                 grads: dict[int, np.ndarray], limit: int) -> Paths:
        """The :class:`Paths` of one element, with its lines (marked) and its plain text."""
        graph = self.graph
        found = _paths(edges, (id(parameter), index), (id(graph.root), 0), limit + 1)
        truncated = len(found) > limit
        found = found[:limit]
        element = self.element(parameter, index)
        listed = [Path([PathFactor(f.upper, f.lower, f.value) for f in self.factors(path)]) for path in found]
        grad = float(grads[id(parameter)].flat[index]) if id(parameter) in grads else 0.0
        lines = [self.say("paths_title", loss=self.loss, element=element)]
        for number, path in enumerate(listed, 1):
            names = " · ".join(f"∂{f.upper}/∂{f.lower}" for f in path.factors)
            values = " · ".join(self.number(f.value) for f in path.factors)
            lines.append(f"  {self.say('path', number=number)}: {names} = {values} = {self.number(path.product)}")
        if truncated:
            lines.append("  " + self.say("too_many_paths", limit=limit))
        total = float(sum(path.product for path in listed))
        agree = self.say("paths_agree" if np.isclose(total, grad, rtol=1e-6, atol=1e-12) else "paths_differ")
        lines.append("  " + self.say("paths_sum", count=len(listed), total=self.number(total),
                                     grad_label=f"{graph.name(parameter)}.grad[{index}]",
                                     grad=self.number(grad)) + f" {agree}")
        result = Paths(self.loss, element, listed, grad, truncated, "\n".join(_plain(line) for line in lines) + "\n")
        result.lines = lines
        return result

    def chain(self, parameter: Any, index: int, paths: list[_ChainPath], value: float) -> list[str]:
        """The chain rule of one parameter element: one product, or the sum over its paths."""
        left = f"∂{self.loss}/∂{self.element(parameter, index)}"
        if not paths:
            return [f"{left} = 0    {self.say('no_path')}"]
        if len(paths) > 1:
            shown = [f"{left} = {self.say('paths', count=len(paths))}"]
            for path in paths[:MAX_PATHS]:
                factors = self.chain_factors(path)
                if len(factors) == 1 < len(path.edges):
                    factors = self.chain_factors(path, merge=False)
                names = (_grouped(f.form) if f is path.head and f.form else f"∂{f.upper}/∂{f.lower}" for f in factors)
                shown.append("    " + " · ".join(names) + " = " + " · ".join(self.number(f.value) for f in factors))
            if len(paths) > MAX_PATHS:
                shown.append("    " + self.say("more_paths", count=len(paths) - MAX_PATHS))
            return [*shown, f"    = {self.number(value)}"]
        factors = self.chain_factors(paths[0])
        collapsed = self.collapsed(factors)
        rows = [" · ".join(f"∂{f.upper}/∂{f.lower}" for f in factors)] if len(factors) > 1 else []
        if all(f.form is not None for f in factors):
            rows.append(" · ".join(_grouped(f.form) for f in factors))
        if collapsed is not factors and all(f.form is not None for f in collapsed):
            rows.append(" · ".join(_grouped(f.form) for f in collapsed))
        if all(f.numbers is not None for f in collapsed):
            rows.append(" · ".join(_grouped(f.numbers) for f in collapsed))
        products = " · ".join(self.number(f.value) for f in collapsed)
        rows.append(f"{products} = {self.number(value)}" if len(collapsed) > 1 else self.number(value))
        pad = " " * len(left)
        return [f"{left} = {rows[0]}", *(f"{pad} = {row}" for row in rows[1:])]

    def element(self, tensor: Any, index: int) -> str:
        return _element_name(self.graph, tensor, index)

    def chain_factors(self, path: _ChainPath, merge: bool = True) -> list[_Factor]:
        """A chain's factors: its collapsed head ∂L/∂z_k (if any), then those of its edges below it."""
        if path.head is None:
            return self.factors(path.edges, merge)
        return [path.head, *(self.factors(path.edges, merge, path.start) if path.edges else [])]

    def factors(self, path: list[_Edge], merge: bool = True, start: tuple[Any, int] | None = None) -> list[_Factor]:
        """The path's steps (loss first, or from ``start``) as chain factors, merged between tensors with
        primary names."""
        graph = self.graph
        factors: list[_Factor] = []
        upper = start or (graph.root, 0)
        pending: list[_Edge] = []
        for edge in path:
            step, k, _, i, _ = edge
            pending.append(edge)
            lower = step.op.ctx.parents[k]
            if not merge or graph.is_primary(lower) or edge is path[-1]:
                factors.append(self.factor(upper, (lower, i), pending))
                upper, pending = (lower, i), []
        return factors

    def factor(self, upper: tuple[Any, int], lower: tuple[Any, int], edges: list[_Edge]) -> _Factor:
        """One chain factor from consecutive edges; steps that multiply by exactly 1 drop out of its form."""
        value = float(np.prod([edge[4] for edge in edges]))
        forms = [self.edge_form(*edge) for edge in edges]
        kept = [f for f, edge in zip(forms, edges) if f != ("1", "1") and not (f is None and edge[4] == 1)]
        form: tuple[str, str] | None = None
        if not kept:
            form = ("1", "1")
        elif len(kept) == 1:
            form = kept[0]
        elif all(f is not None for f in kept):
            form = (" · ".join(_grouped(f[0]) for f in kept), " · ".join(_grouped(f[1]) for f in kept))
        return _Factor(self.element(*upper), self.element(*lower), value,
                       form[0] if form else None, form[1] if form else None, tuple(edges))

    def edge_form(self, step: dag.Step, k: int, j: int, i: int, value: float) -> tuple[str, str] | None:
        """∂out[j]/∂in_k[i] in element names and in numbers, read off the op's rule; ``None`` if it can't be."""
        op = step.op
        rule = rule_of(op.ctx.fn)
        if rule is None or rule.output is None or k >= len(rule.gradients):
            return None
        expression = _local_factor(rule.gradients[k], f"d{rule.output}")
        if expression is not None and not _is_formula(expression):
            return None
        if expression is None or expression in ("1", "−1"):
            return (expression, expression) if expression else None
        operands = {rule.output: op.output, **dict(zip(rule.inputs, op.ctx.parents))}
        operand = operands.get(expression.removesuffix("ᵀ"))
        if operand is not None:
            matches = np.flatnonzero(operand.data.ravel() == value)
            return (self.element(operand, int(matches[0])), self.number(value)) if len(matches) == 1 else None
        size = op.output.data.size
        elementwise = op.ctx.parents[k].data.size == size and i == j
        if not elementwise or any(t.data.size not in (1, size) for t in operands.values()):
            return None
        at = {ph: (t, j if t.data.size == size else 0) for ph, t in operands.items()}
        scalar = expression.replace(" ⊙ ", " · ")
        return (fill_placeholders(scalar, {ph: self.element(*ti) for ph, ti in at.items()}),
                fill_placeholders(scalar, {ph: self.number(t.data.flat[n]) for ph, (t, n) in at.items()}))

    def collapsed(self, factors: list[_Factor]) -> list[_Factor]:
        """``factors`` with a cancelling pair (sigmoid then binary cross-entropy) replaced by its short form."""
        for n in range(len(factors) - 1):
            first, second = factors[n], factors[n + 1]
            if not first.edges:
                continue
            consumer_step, k, _, i, _ = first.edges[-1]
            consumer = consumer_step.op
            if k != 0 or len(second.edges) != 1 or second.edges[0][0].op.output is not consumer.ctx.parents[0]:
                continue
            template = COLLAPSES.get((consumer.name, second.edges[0][0].op.name))
            rule = rule_of(consumer.ctx.fn)
            if template is None or rule is None:
                continue
            at = {ph: (t, i if t.data.size > 1 else 0) for ph, t in zip(rule.inputs, consumer.ctx.parents)}
            form = fill_placeholders(template, {ph: self.element(*ti) for ph, ti in at.items()})
            numbers = fill_placeholders(template, {ph: self.number(t.data.flat[m]) for ph, (t, m) in at.items()})
            merged = _Factor(first.upper, second.lower, first.value * second.value, form, numbers,
                             first.edges + second.edges)
            return [*factors[:n], merged, *factors[n + 2:]]
        return factors


def _unique(tensors: Iterable[Any]) -> list[Any]:
    return list({id(t): t for t in tensors}.values())


def _grouped(form: str) -> str:
    """A factor's form, parenthesised when a sum, difference or quotient stands outside all brackets."""
    depth = 0
    for n, char in enumerate(form):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and form[n:n + 3] in (" + ", " − ", " / "):
            return f"({form})"
    return form


def _local_factor(gradient: str, d_output: str) -> str | None:
    """The factor multiplying ``d_output`` in a rule's right-hand side (``dA ⊙ A ⊙ (1 − A)`` → ``A ⊙ (1 − A)``)."""
    if gradient == d_output:
        return "1"
    if gradient == f"−{d_output}":
        return "−1"
    for sep in (" ⊙ ", " · "):
        if gradient.startswith(d_output + sep):
            return gradient[len(d_output + sep):]
        if gradient.startswith(f"−{d_output}{sep}"):
            return "−" + gradient[len(d_output + sep) + 1:]
        if gradient.endswith(sep + d_output):
            return gradient[:-len(sep + d_output)]
    if gradient.startswith(f"{d_output} / "):
        return f"1 / {gradient[len(d_output) + 3:]}"
    return None


def _is_formula(text: str) -> bool:
    """False for a rule written in words (``dM / n broadcast back over the averaged axes``)."""
    return _WORDS.search(text) is None


def _element_name(graph: dag.Graph, tensor: Any, index: int) -> str:
    """The notes' name of one element: ``w11(1)`` of W(1), ``a2(1)`` of A(1) (batch axis of 1 dropped), ``ŷ``."""
    name = graph.name(tensor)
    base, tag = name, ""
    if "(" in name and name.endswith(")") and name[0].isalpha() and name.index("(") == 1:
        base, tag = name[0].lower(), name[1:]
    is_parameter = id(tensor) in graph.parameter_names or (tensor._ctx is None and tensor.requires_grad)
    shape = tensor.shape
    position = np.unravel_index(index, shape) if shape else ()
    axes = [n for n, size in enumerate(shape) if is_parameter or size > 1]
    if not axes:
        return f"{base}{tag}"
    digits = [str(int(position[a]) + 1) for a in axes]
    if len(base) == 1:
        return f"{base}{''.join(digits) if all(len(d) == 1 for d in digits) else ','.join(digits)}{tag}"
    return f"{name}[{','.join(digits)}]"


def _element_edges(steps: list[dag.Step]) -> dict[tuple[int, int], list[_Edge]]:
    """For each (tensor, element) the ops' outputs it feeds, with the local derivative ∂out[j]/∂in[i]."""
    edges: dict[tuple[int, int], list[_Edge]] = {}
    for step in steps:
        for k, (parent, jacobian) in enumerate(zip(step.op.ctx.parents, step.jacobians or ())):
            if jacobian is None or not parent.requires_grad:
                continue
            for j, i in zip(*np.nonzero(jacobian)):
                edges.setdefault((id(parent), int(i)), []).append((step, k, int(j), int(i), float(jacobian[j, i])))
    return edges


def _paths(edges: dict[tuple[int, int], list[_Edge]],
           start: tuple[int, int], goal: tuple[int, int], limit: int = 65) -> list[list[_Edge]]:
    """Every path of non-zero local derivatives from ``start`` up to ``goal`` (at most ``limit``), goal first."""
    found: list[list[_Edge]] = []
    stack: list[tuple[tuple[int, int], list[_Edge]]] = [(start, [])]
    while stack and len(found) < limit:
        node, path = stack.pop()
        if node == goal:
            found.append(path)
            continue
        for edge in reversed(edges.get(node, [])):
            stack.append(((id(edge[0].op.output), edge[2]), [edge, *path]))
    return found


def _transposed(name: str) -> str:
    """``Xᵀ``, or ``(x·W(1))ᵀ`` for a name that is an expression."""
    return f"{name}ᵀ"


def _plain(line: str) -> str:
    """A written line as plain text: the word marks dropped."""
    return line.replace(_WORDS_ON, "").replace(_WORDS_OFF, "")


def _render(lines: list[str], format: str) -> str:
    """The explanation's lines as plain text, Markdown or a LaTeX body."""
    if format == "text":
        return "\n".join(_plain(line) for line in lines) + "\n"
    if format == "markdown":
        return _markdown(lines)
    return _latex(lines)


def _segments(line: str) -> list[tuple[bool, str]]:
    """A line cut into (is_words, text) pieces at the word marks."""
    pieces: list[tuple[bool, str]] = []
    words = False
    for part in re.split(f"([{_WORDS_ON}{_WORDS_OFF}])", line):
        if part == _WORDS_ON:
            words = True
        elif part == _WORDS_OFF:
            words = False
        elif part:
            pieces.append((words, part))
    return pieces


def _markdown(lines: list[str]) -> str:
    """Title as a heading, words as text, formulas as code spans; chains in one fenced block."""
    out: list[str] = []
    in_chains = False
    for n, line in enumerate(lines):
        if n == 0:
            out += [f"## {_plain(line)}", ""]
            continue
        if not in_chains and line.startswith(f"{_WORDS_ON}") and _plain(line) == _plain(line).strip() \
                and n > 2 and not line.strip().startswith(_WORDS_ON + "(") and out and out[-1] == "":
            out += [f"### {_plain(line)}", "", "```"]
            in_chains = True
            continue
        if in_chains:
            out.append(_plain(line))
            continue
        if not line.strip():
            out.append("")
            continue
        indent = len(line) - len(line.lstrip(" "))
        number, _, rest = line.strip().partition(". ")
        lead = f"{number}. " if number.isdigit() else ""
        body = lead + "".join(text if words else _code_span(text)
                              for words, text in _segments(rest if lead else line.strip()))
        out.append(("- " if indent >= 6 else "") + ("  " if indent >= 8 else "") + body + "  ")
    if in_chains:
        out.append("```")
    return "\n".join(out) + "\n"


def _code_span(text: str) -> str:
    """A formula as a Markdown code span, the spaces around it kept outside."""
    core = text.lstrip(" :,;)").rstrip(" :,;(")
    if not core:
        return text
    start = text.index(core)
    return f"{text[:start]}`{core}`{text[start + len(core):]}"


def _latex(lines: list[str]) -> str:
    """A LaTeX body (``amsmath``): words as text, formulas in math mode, chains as ``align*`` rows."""
    out: list[str] = []
    for line in lines:
        if not line.strip():
            out.append("")
            continue
        body = "".join(_latex_text(text) if words else (f"${_latex_math(text.strip())}$" if text.strip() else " ")
                       for words, text in _segments(line.strip()))
        out.append(body.replace("$$", "") + r" \\")
    text = "\n".join(out)
    return text.replace(r" \\" + "\n\n", "\n\n") + "\n"


_LATEX_SYMBOLS = {
    "⊙": r"\odot ", "·": r"\cdot ", "ᵀ": r"^{\mathsf{T}}", "−": "-", "∂": r"\partial ", "σ": r"\sigma ",
    "Σ": r"\sum ", "Π": r"\prod ", "→": r"\rightarrow ", "⇒": r"\Rightarrow ", "×": r"\times ", "ℓ": r"\ell ",
    "…": r"\dots ", "²": "^{2}", "³": "^{3}", "≤": r"\le ", "≥": r"\ge ", "½": r"\tfrac{1}{2}", "√": r"\sqrt ",
    "ε": r"\varepsilon ", "μ": r"\mu ", "γ": r"\gamma ", "β": r"\beta ", "δ": r"\delta ", "α": r"\alpha ",
    "‖": r"\| ", "⌊": r"\lfloor ", "⌋": r"\rfloor ", "⌈": r"\lceil ", "⌉": r"\rceil ", "ₚ": "_{p}", "ᵢ": "_{i}",
    "₁": "_{1}", "₂": "_{2}", "ᶻ": "^{z}", "ᴬ": "^{A}", "φ": r"\phi ", "Φ": r"\Phi ", "≠": r"\neq ",
    "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&", "#": r"\#", "_": r"\_", "~": r"\sim ", "^": r"\hat{}",
    "|": r"\vert ", "ŷ": r"\hat{y}", "⁻": "^{-}", "ᴺ": "^{N}", "ε̂": r"\hat{\varepsilon}", "X̂": r"\hat{X}",
}
_LATEX_FUNCTIONS = {"ln": r"\ln", "log": r"\log", "max": r"\max", "min": r"\min", "exp": r"\exp", "tanh": r"\tanh",
                    "sin": r"\sin", "cos": r"\cos"}
_LATEX_TOKEN = re.compile(
    r"(?P<layer>(?<![^\W_])(?P<dl>d?)(?:ŷ|[A-Za-z])(?P<sub>\d*)\((?P<num>\d+)\))"
    r"|(?P<indexed>(?<![^\W_])(?P<di>d?)(?:ŷ|[A-Za-z])(?P<digits>\d+)(?![\d(]))"
    r"|(?P<gradient>(?<![^\W_])d(?P<of>ℓ|ŷ|[A-Za-z])(?![^\W_]))"
    r"|(?P<word>[^\W\d_]{2,})"
    r"|(?P<char>.)", re.DOTALL)


def _latex_math(text: str) -> str:
    """A formula of the notes' notation in LaTeX math: ``w11(1)`` → ``w_{11}^{(1)}``, ``⊙`` → ``\\odot``."""
    import unicodedata

    def base(token: str) -> str:
        return r"\hat{y}" if token.startswith("ŷ") else token[0]

    def gradient(d: str) -> str:
        return r"\mathrm{d}" if d else ""

    def convert(match: re.Match[str]) -> str:
        if match.group("layer"):
            sub, d = match.group("sub"), match.group("dl")
            return gradient(d) + "{" + base(match.group("layer")[len(d):]) + (f"_{{{sub}}}" if sub else "") + \
                f"^{{({match.group('num')})}}}}"
        if match.group("indexed"):
            d = match.group("di")
            return f"{gradient(d)}{{{base(match.group('indexed')[len(d):])}_{{{match.group('digits')}}}}}"
        if match.group("gradient"):
            return r"\mathrm{d}" + _LATEX_SYMBOLS.get(match.group("of"), match.group("of"))
        if match.group("word"):
            word = match.group("word")
            if word in _LATEX_FUNCTIONS:
                return _LATEX_FUNCTIONS[word] + " "
            return rf"\text{{{_latex_text(word)}}}" if word != "softmax" else r"\operatorname{softmax}"
        char = match.group("char")
        if char == " ":
            return r"\ "
        return _LATEX_SYMBOLS.get(char, char)

    return _LATEX_TOKEN.sub(convert, unicodedata.normalize("NFC", text))


def _latex_text(text: str) -> str:
    """Words in LaTeX text mode: special characters escaped, math symbols in ``$…$``."""
    out = []
    for char in text:
        if char in "\\":
            out.append(r"\textbackslash{}")
        elif char in "{}%&#_$":
            out.append("\\" + char)
        elif char in "~^":
            out.append(r"\textasciitilde{}" if char == "~" else r"\textasciicircum{}")
        elif char in _LATEX_SYMBOLS and char not in "|":
            out.append(f"${_LATEX_SYMBOLS[char]}$")
        else:
            out.append(char)
    return "".join(out)
