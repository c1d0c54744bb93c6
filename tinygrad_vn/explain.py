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
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import dag
from .rules import fill_placeholders, rule_of

LANGUAGES = ("en", "vi")
MAX_CHAIN_ELEMENTS = 8
MAX_PATHS = 4
_WORDS = re.compile(r"[a-z]{3,} [a-z]{3,}")

TEXT = {
    "en": {
        "title": "Backpropagation of {loss}: the gradient equations the engine applied, in order",
        "notation": "Notation: dX = ∂{loss}/∂X, of X's shape; ⊙ elementwise product, · matrix product, ᵀ transpose",
        "parameters": "Parameters",
        "with": "with",
        "scalar": "scalar",
        "no_rule": "(this op states no gradient rule; the engine's numbers are shown)",
        "sigmoid_bce": "sigmoid then binary cross-entropy, the factors ŷ (1 − ŷ) cancel",
        "softmax_ce": "softmax then cross-entropy, when each row of y sums to 1",
        "fused_ce": "softmax and cross-entropy collapse to o − y (seed 001); this op computes them fused",
        "chains": "Chain rule for each parameter element (as the notes write it by hand, with the engine's numbers)",
        "no_chains": "(chains are written out only for parameters of at most {params} elements and other "
                     "tensors of at most {tensors})",
        "more_paths": "… and {count} more paths",
        "paths": "sum over {count} paths:",
        "no_path": "(no path carries a gradient here: one of its factors is 0)",
    },
    "vi": {
        "title": "Lan truyền ngược (backpropagation) của {loss}: các phương trình đạo hàm engine đã áp dụng, "
                 "theo thứ tự",
        "notation": "Ký hiệu: dX = ∂{loss}/∂X, cùng kích thước với X; ⊙ nhân từng phần tử, · nhân ma trận, ᵀ chuyển vị",
        "parameters": "Tham số (trọng số và hệ số bias)",
        "with": "với",
        "scalar": "vô hướng",
        "no_rule": "(phép toán này không nêu quy tắc đạo hàm; chỉ hiện các giá trị engine tính được)",
        "sigmoid_bce": "sigmoid rồi binary cross-entropy, các thừa số ŷ (1 − ŷ) triệt tiêu nhau",
        "softmax_ce": "softmax rồi cross-entropy, khi mỗi hàng của y có tổng bằng 1",
        "fused_ce": "softmax và cross-entropy rút gọn thành o − y (seed 001); phép toán này tính gộp cả hai",
        "chains": "Quy tắc chuỗi (chain rule) cho từng phần tử của trọng số (như ghi chú tính tay, với số của engine)",
        "no_chains": "(chỉ viết quy tắc chuỗi cho tham số có tối đa {params} phần tử và các tensor khác tối đa "
                     "{tensors} phần tử)",
        "more_paths": "… và {count} đường khác",
        "paths": "tổng trên {count} đường:",
        "no_path": "(không có đường nào truyền đạo hàm tới đây: một thừa số bằng 0)",
    },
}

# Where two ops' factors cancel into a short form, written in the consumer op's placeholders.
COLLAPSES = {("BinaryCrossEntropy", "Sigmoid"): "ŷ − y"}


class Explanation(str):
    """The text of :func:`explain`; a ``str`` that also shows as itself at the interactive prompt."""

    def __repr__(self) -> str:
        return str(self)


def explain(loss: Any, params: Any = None, *, model: Any = None, names: Mapping[str, Any] | None = None,
            lang: str = "en", precision: int = 3) -> Explanation:
    """The gradient equations backward applies to ``loss``, in order, then the chain rule per parameter element.

    ``params`` picks the parameters whose chains are written: a Module (which also names them, like
    ``model``), a tensor, or an iterable of tensors or dotted names (``"0.weight"``); by default every
    leaf that needs a gradient. ``names`` maps extra names to tensors. ``lang`` is "en" or "vi";
    ``precision`` the significant digits of the numbers. Leaves every ``.grad`` as it was.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    if model is None and hasattr(params, "named_parameters"):
        model, params = params, None
    graph = dag.build(loss, model=model, names=names)
    steps, grads = dag.run_backward(graph, jacobians=True)
    writer = _Writer(graph, TEXT[lang], precision)
    lines = writer.header()
    for number, step in enumerate(steps, 1):
        lines += writer.step(number, step)
    lines += writer.chains(steps, grads, _chosen_parameters(graph, params, model))
    return Explanation("\n".join(lines) + "\n")


def describe_step(graph: dag.Graph, step: dag.Step, number: int = 1, *, lang: str = "en",
                  precision: int = 3) -> list[str]:
    """The lines :func:`explain` writes for one backward step: the op's formula and shapes, then each
    input's gradient rule with this graph's names and the engine's numbers.

    The animation and the worksheets show a step with this, so a step reads the same everywhere.

    >>> import tinygrad_vn as tg
    >>> from tinygrad_vn import dag
    >>> x = tg.tensor([2.0], requires_grad=True)
    >>> graph = dag.build((x * 3).sum())
    >>> steps, _ = dag.run_backward(graph)
    >>> describe_step(graph, steps[-1], len(steps))[0].split(":")[0]
    ' 2. Mul'
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    return _Writer(graph, TEXT[lang], precision).step(number, step)


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


class _Writer:
    """Writes the lines of an explanation for one graph, in one language."""

    def __init__(self, graph: dag.Graph, text: dict[str, str], precision: int) -> None:
        self.graph = graph
        self.text = text
        self.precision = precision
        self.loss = graph.name(graph.root)

    def number(self, value: float) -> str:
        """``value`` with the chosen significant digits."""
        return dag.format_number(value, self.precision)

    def shape(self, tensor: Any) -> str:
        """A tensor's shape in the chosen language."""
        return dag.format_shape(tensor.shape) if tensor.shape else self.text["scalar"]

    def header(self) -> list[str]:
        """Title, notation, and the parameters' notes-names beside their dotted names."""
        graph = self.graph
        lines = [self.text["title"].format(loss=self.loss), self.text["notation"].format(loss=self.loss)]
        if graph.parameter_names:
            present = {id(t): t for t in graph.tensors}
            listed = ", ".join(f"{graph.name(present[pid])} = {dotted} ({self.shape(present[pid])})"
                               for pid, dotted in graph.parameter_names.items() if pid in present)
            lines.append(f"{self.text['parameters']}: {listed}")
        return [*lines, ""]

    # ------------------------------------------------------------------ the equations, step by step

    def step(self, number: int, step: dag.Step) -> list[str]:
        """One op as backward applied it: its formula and shapes, each input's rule with the numbers."""
        graph, op = self.graph, step.op
        rule = rule_of(op.ctx.fn)
        forward = graph.formula(op) or \
            f"{graph.name(op.output)} = {op.name}({', '.join(graph.name(p) for p in op.ctx.parents)})"
        shapes = ", ".join(f"{graph.name(t)} {self.shape(t)}" for t in (*_unique(op.ctx.parents), op.output))
        lines = [f"{number:>2}. {op.name}: {forward}    ({self.text['with']} {shapes})"]
        if rule is None:
            lines.append(f"      {self.text['no_rule']}")
        elif not rule.inputs:
            lines.append(f"      {rule.rule}")
        for k, (parent, grad) in enumerate(zip(op.ctx.parents, step.input_grads)):
            if grad is None or not parent.requires_grad:
                continue
            equation = graph.gradient_equation(op, k) or f"d{graph.name(parent)}"
            lines.append(f"      {equation}    → {self.result(parent, grad)}")
        lines += self.collapse_notes(op)
        return lines

    def result(self, tensor: Any, grad: np.ndarray) -> str:
        """A gradient's shape and, when small, its value on one line."""
        if grad.size > MAX_CHAIN_ELEMENTS:
            return self.shape(tensor)
        return f"{self.shape(tensor)} {dag.format_array(grad, self.precision).replace(chr(10), '')}"

    def collapse_notes(self, op: dag.Op) -> list[str]:
        """A line saying where this op's factor cancels with the next one's (seeds 000 and 001)."""
        found = dag.collapse(self.graph, op)
        if found is None:
            return []
        kind, equation = found
        return [f"      ⇒ {self.text[kind]}" + (f": {equation}" if equation else "")]

    # ------------------------------------------------------------------ the chains, element by element

    def chains(self, steps: list[dag.Step], grads: dict[int, np.ndarray], chosen: list[Any] | None) -> list[str]:
        """The chain rule for every element of each chosen parameter, in the order backward reached them."""
        graph = self.graph
        order = [p for step in steps for p in step.op.ctx.parents if p._ctx is None and p.requires_grad]
        parameters = list({id(p): p for p in order if chosen is None or any(p is c for c in chosen)}.values())
        lines = ["", self.text["chains"]]
        small = all(step.jacobians is not None and all(j is not None or not p.requires_grad for j, p in
                    zip(step.jacobians, step.op.ctx.parents)) for step in steps)
        if not small or any(p.data.size > MAX_CHAIN_ELEMENTS for p in parameters):
            return [*lines, self.text["no_chains"].format(params=MAX_CHAIN_ELEMENTS, tensors=dag.JACOBIAN_LIMIT)]
        edges = _element_edges(steps)
        for parameter in parameters:
            for index in range(parameter.data.size):
                paths = _paths(edges, (id(parameter), index), (id(graph.root), 0))
                lines += self.chain(parameter, index, paths, float(grads[id(parameter)].flat[index]))
        return lines

    def chain(self, parameter: Any, index: int, paths: list[list[_Edge]],
              value: float) -> list[str]:
        left = f"∂{self.loss}/∂{self.element(parameter, index)}"
        if not paths:
            return [f"{left} = 0    {self.text['no_path']}"]
        if len(paths) > 1:
            shown = [f"{left} = {self.text['paths'].format(count=len(paths))}"]
            for path in paths[:MAX_PATHS]:
                factors = self.factors(path)
                if len(factors) == 1 < len(path):
                    factors = self.factors(path, merge=False)
                shown.append("    " + " · ".join(f"∂{f.upper}/∂{f.lower}" for f in factors) + " = "
                             + " · ".join(self.number(f.value) for f in factors))
            if len(paths) > MAX_PATHS:
                shown.append("    " + self.text["more_paths"].format(count=len(paths) - MAX_PATHS))
            return [*shown, f"    = {self.number(value)}"]
        factors = self.factors(paths[0])
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

    def factors(self, path: list[_Edge], merge: bool = True) -> list[_Factor]:
        """The path's steps (loss first) as chain factors, merged between tensors with primary names."""
        graph = self.graph
        factors: list[_Factor] = []
        upper = (graph.root, 0)
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
           start: tuple[int, int], goal: tuple[int, int]) -> list[list[_Edge]]:
    """Every path of non-zero local derivatives from ``start`` up to ``goal``, each listed goal first."""
    found: list[list[_Edge]] = []
    stack: list[tuple[tuple[int, int], list[_Edge]]] = [(start, [])]
    while stack and len(found) <= 64:
        node, path = stack.pop()
        if node == goal:
            found.append(path)
            continue
        for edge in reversed(edges.get(node, [])):
            stack.append(((id(edge[0].op.output), edge[2]), [edge, *path]))
    return found
