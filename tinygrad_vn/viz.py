"""Draw the graph behind a tensor with graphviz: the feedforward picture and the backpropagation picture.

    import tinygrad_vn as tg
    loss = F.binary_cross_entropy(model(x), y)
    tg.viz.draw(loss, model=model)                     # a graphviz.Digraph; Jupyter shows it inline
    tg.viz.draw(loss, mode="backward", model=model)    # gradient flow, each op with its rule
    tg.viz.render(loss, "net.png", model=model)        # writes the picture (needs the `dot` program)
    print(tg.viz.to_dot(loss))                         # DOT text, no `dot` program needed

``model`` (a Module) names parameters from ``named_parameters`` (``0.weight``, shown with the
notes' ``W(1)``) and groups each module's ops in a box named after it; ``names`` maps extra names to
tensors (``{"x": x}``); a tensor's own ``.name`` is used too. Other tensors are named as the notes
name them (``Z(1)``, ``A(1)``, ``ŷ``, the loss ``L``) or by a short expression (``(x·W(1))``).

Legend (colours and shapes):

- grey box: an input that needs no gradient (data ``x``, target ``y``); a small grey number: a constant
- blue box: a parameter (a leaf that needs a gradient), named ``0.weight (W(1))``
- white rounded box: a tensor computed by an op; orange box: the loss (the tensor drawn from)
- yellow ellipse: an op; forward it shows its formula (``Z(1) = (x·W(1)) + b(1)``), backward the
  gradient rule it applied (``dZ(1) = dA(1) ⊙ A(1) ⊙ (1 − A(1))``) and, after ``⇒``, the short form
  where factors cancel (sigmoid then binary cross-entropy: ``dZ(2) = (ŷ − y) ⊙ dℓ``)
- backward, pink box: a gradient ``dX`` = ∂L/∂X; blue box: a parameter's gradient; red arrows show
  the gradient flowing from the loss back to every leaf
- edge labels ``A``, ``B``: which argument of the op the tensor is (``a + a`` draws two edges)
- a grey frame: one module (``0: Linear``); with ``collapse="module"`` each module is a single box

Every tensor node shows its shape and dtype, and for tensors of at most ``max_elements`` elements
its value (forward) or its gradient's value (backward). Gradients are obtained by replaying the
backward pass with the engine's hook; every ``.grad`` is left as it was.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import dag, phrases
from .autograd import is_freed
from .rules import rule_of

if TYPE_CHECKING:
    import graphviz

MODES = ("forward", "backward", "both")
FORMATS = ("svg", "png", "pdf")
INSTALL_GRAPHVIZ = ("the graphviz `dot` program was not found on PATH; install it with "
                    "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) or "
                    "`conda install -c conda-forge graphviz`, or use to_dot() for the DOT text")

STYLE = {
    "input": 'shape=box style="filled" fillcolor="#e9ecef"',
    "constant": 'shape=plaintext fontsize=9 fontcolor="#868e96"',
    "parameter": 'shape=box style="filled" fillcolor="#cfe2ff"',
    "tensor": 'shape=box style="rounded,filled" fillcolor="#ffffff"',
    "loss": 'shape=box style="filled,bold" fillcolor="#ffd8a8"',
    "op": 'shape=ellipse style="filled" fillcolor="#fff3bf"',
    "gradient": 'shape=box style="rounded,filled" fillcolor="#ffe3e3"',
    "module": 'shape=box3d style="filled" fillcolor="#e6fcf5" margin="0.15,0.08"',
}
BACKWARD_EDGE = 'color="#c92a2a" fontcolor="#c92a2a"'
CLUSTER_STYLE = 'style="rounded,dashed" color="#868e96" fontcolor="#495057" labeljust=r labelloc=b'


FREED_NOTE = phrases.phrase("viz.freed")


class FreedValuesWarning(UserWarning):
    """A graph is drawn after backward() freed its values: the picture shows shapes only."""


class GraphvizNotFoundError(RuntimeError):
    """Raised when a picture is asked for but graphviz's ``dot`` program is not installed."""


def draw(root: Any, mode: str = "forward", *, model: Any = None, names: Mapping[str, Any] | None = None,
         show_values: bool = True, show_grads: bool = True, rankdir: str = "LR", collapse: str | None = None,
         max_elements: int = 8, lang: str = "en") -> graphviz.Digraph:
    """The graph behind ``root`` as a ``graphviz.Digraph`` (``mode``: "forward", "backward" or "both").

    ``collapse="module"`` draws each module of ``model`` as one box; ``lang="vi"`` writes every word of
    the picture (titles, rules' remarks, notes) in Vietnamese. The result shows itself inline in
    Jupyter (``_repr_svg_``, ``_repr_mimebundle_``). See the module docstring for the legend.

    >>> import tinygrad_vn as tg
    >>> x = tg.tensor([1.0, 2.0], requires_grad=True, name="x")
    >>> "Σ x theo trục" in draw(x.sum(), lang="vi").source
    True
    """
    phrases.check_language(lang)
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if collapse not in (None, "module"):
        raise ValueError(f"collapse must be None or 'module', got {collapse!r}")
    graph = dag.build(root, model=model, names=names)
    if graph.released:
        warnings.warn(FREED_NOTE, FreedValuesWarning, stacklevel=2)
    drawer = _Drawer(graph, show_values, show_grads, collapse == "module", max_elements, lang)
    pictures = []
    if mode in ("forward", "both"):
        pictures.append(drawer.forward("f", phrases.phrase("viz.feedforward", lang) if mode == "both" else None))
    if mode in ("backward", "both"):
        pictures.append(drawer.backward("b", phrases.phrase("viz.backpropagation", lang) if mode == "both" else None))
    if rankdir == "LR":  # dot places the first of two unconnected pictures at the bottom when drawing LR
        pictures.reverse()
    body = [line for picture in pictures for line in picture]
    note = {"label": phrases.phrase("viz.freed", lang), "labelloc": "t", "fontcolor": "#c92a2a"} \
        if graph.released else {}
    return _drawing_class()(
        "tinygrad_vn", body=body,
        graph_attr={"rankdir": rankdir, "nodesep": "0.25", "ranksep": "0.35", "fontname": "Helvetica", **note},
        node_attr={"fontname": "Helvetica", "fontsize": "11", "margin": "0.08,0.04", "height": "0.3"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.7"},
    )


def to_dot(root: Any, mode: str = "forward", **options: Any) -> str:
    """The DOT source of :func:`draw`'s graph; needs no graphviz program."""
    return draw(root, mode, **options).source


def render(root: Any, path: str | Path, format: str | None = None, mode: str = "forward", **options: Any) -> str:
    """Write the picture of :func:`draw`'s graph to ``path`` and return the path written.

    ``format`` ("svg", "png" or "pdf") defaults to the path's suffix, else SVG; a missing suffix is
    added. Raises :class:`GraphvizNotFoundError`, saying how to install graphviz, without ``dot``.
    """
    path = Path(path)
    format = (format or path.suffix.lstrip(".") or "svg").lower()
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
    if path.suffix.lower() != f".{format}":
        path = path.with_name(f"{path.name}.{format}")
    if shutil.which("dot") is None:
        raise GraphvizNotFoundError(INSTALL_GRAPHVIZ)
    digraph = draw(root, mode, **options)
    if format == "png":
        digraph.graph_attr["dpi"] = "144"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(digraph.pipe(format=format))
    return str(path)


def _quote(text: str) -> str:
    """A DOT string literal; ``text``'s newlines become centred line breaks."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _drawing_class() -> type:
    """``graphviz.Digraph`` that shows itself in Jupyter as SVG, or as its DOT text when ``dot`` is missing."""
    import graphviz

    class Drawing(graphviz.Digraph):
        """A drawn graph: a ``graphviz.Digraph`` that Jupyter shows inline."""

        def _repr_svg_(self) -> str | None:
            if shutil.which("dot") is None:
                return None
            return self.pipe(format="svg").decode("utf-8")

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, str]:
            svg = self._repr_svg_()
            if svg is None:
                return {"text/plain": f"{INSTALL_GRAPHVIZ}\n\n{self.source}"}
            return {"image/svg+xml": svg}

    return Drawing


def _shape_text(tensor: Any, lang: str) -> str:
    return dag.format_shape(tensor.shape) if tensor.shape else phrases.phrase("viz.scalar", lang)


class _Drawer:
    """Turns a :class:`dag.Graph` into DOT body lines, forward or backward, clustered or collapsed."""

    def __init__(self, graph: dag.Graph, show_values: bool, show_grads: bool, collapse: bool,
                 max_elements: int, lang: str = "en") -> None:
        self.lang = lang
        self.graph = graph
        self.show_values = show_values
        self.show_grads = show_grads
        self.collapse = collapse
        self.max_elements = max_elements
        self.grads: dict[int, np.ndarray] = {}
        self.module_of = self._tensor_modules()

    # ------------------------------------------------------------------ shared

    def _tensor_modules(self) -> dict[int, str]:
        """Each op output and parameter that lives inside a module, by ``id``."""
        owners = {id(op.output): op.module for op in self.graph.ops if op.module is not None}
        for pid, dotted in self.graph.parameter_names.items():
            if dag.module_of_parameter(dotted) in self.graph.modules:
                owners[pid] = dag.module_of_parameter(dotted)
        return owners

    def _kind(self, tensor: Any) -> str:
        if tensor is self.graph.root:
            return "loss"
        if tensor._ctx is not None:
            return "tensor"
        if tensor.requires_grad:
            return "parameter"
        if tensor.size == 1 and tensor.name is None and id(tensor) not in self.graph.parameter_names:
            return "constant"
        return "input"

    def _title(self, tensor: Any) -> str:
        dotted = self.graph.parameter_names.get(id(tensor))
        name = self.graph.name(tensor)
        return f"{dotted} ({name})" if dotted and dotted != name else name

    def _value(self, array: np.ndarray | None) -> list[str]:
        if array is None or array.size > self.max_elements:
            return []
        return [dag.format_array(np.asarray(array))]

    def _group(self, node_id: str, module: str | None, prefix: str) -> str:
        """The node that stands for ``node_id``: its module's box when collapsing."""
        return f"{prefix}m{self._module_index(module)}" if self.collapse and module is not None else node_id

    def _module_index(self, module: str) -> int:
        return list(self.graph.modules).index(module)

    def _emit(self, nodes: list[tuple[str, str | None, str]], edges: list[tuple[str, str, str, str]],
              prefix: str, title: str | None, module_label: Callable[[str], str]) -> list[str]:
        """DOT lines: nodes grouped into module clusters (or boxes), then edges, inside an optional frame."""
        lines: list[str] = []
        by_module: dict[str | None, list[str]] = {}
        for node_id, module, attrs in nodes:
            by_module.setdefault(module if not self.collapse else None, []).append(f"{node_id} [{attrs}]")
        if self.collapse:
            for module in self.graph.modules:
                label = _quote(module_label(module))
                lines.append(f"{prefix}m{self._module_index(module)} [label={label} {STYLE['module']}]")
        lines += by_module.pop(None, [])
        for module, members in by_module.items():
            module_type = type(self.graph.modules[module]).__name__
            lines.append(f"subgraph cluster_{prefix}{self._module_index(module)} {{")
            lines.append(f"label={_quote(f'{module}: {module_type}')} {CLUSTER_STYLE}")
            lines += members
            lines.append("}")
        seen: set[tuple[str, str]] = set()
        groups = f"{prefix}m"
        for tail, head, style, label in edges:
            if self.collapse:
                if tail == head or (tail, head) in seen:
                    continue
                seen.add((tail, head))
                label = "" if tail.startswith(groups) or head.startswith(groups) else label
            attrs = " ".join(a for a in (style, f"label={_quote(label)}" if label else "") if a)
            lines.append(f"{tail} -> {head}" + (f" [{attrs}]" if attrs else ""))
        if title is None:
            return [f"\t{line}\n" for line in lines]
        framed = [f"subgraph cluster_{prefix} {{", f"label={_quote(title)} fontsize=14", *lines, "}"]
        return [f"\t{line}\n" for line in framed]

    def _edge_label(self, op: dag.Op, k: int) -> str:
        """For an op of several inputs, which argument the edge feeds: its placeholder (``A``) or position."""
        if len(op.ctx.parents) < 2:
            return ""
        rule = rule_of(op.ctx.fn)
        return rule.inputs[k] if rule is not None and k < len(rule.inputs) else str(k)

    # ------------------------------------------------------------------ forward

    def forward(self, prefix: str, title: str | None) -> list[str]:
        """The feedforward picture: tensors and ops, edges in data-flow direction."""
        graph = self.graph
        nodes: list[tuple[str, str | None, str]] = []
        edges: list[tuple[str, str, str, str]] = []
        ids = {id(t): f"{prefix}t{i}" for i, t in enumerate(graph.tensors)}
        for tensor in graph.tensors:
            kind = self._kind(tensor)
            module = self.module_of.get(id(tensor))
            if kind == "constant":
                label = graph.name(tensor)
            else:
                label = "\n".join([self._title(tensor), f"{_shape_text(tensor, self.lang)} {tensor.dtype}",
                                   *(self._value(tensor.data) if self.show_values and not is_freed(tensor) else [])])
            node = self._group(ids[id(tensor)], module, prefix)
            if node == ids[id(tensor)]:
                nodes.append((node, module, f"label={_quote(label)} {STYLE[kind]}"))
        for op in graph.ops:
            op_id = self._group(f"{prefix}o{op.position}", op.module, prefix)
            if op_id == f"{prefix}o{op.position}":
                formula = [f for f in (graph.formula(op, self.lang),) if f]
                nodes.append((op_id, op.module, f"label={_quote(chr(10).join([op.name, *formula]))} {STYLE['op']}"))
            for k, parent in enumerate(op.ctx.parents):
                tail = self._group(ids[id(parent)], self.module_of.get(id(parent)), prefix)
                edges.append((tail, op_id, "", self._edge_label(op, k)))
            edges.append((op_id, self._group(ids[id(op.output)], op.module, prefix), "", ""))
        return self._emit(nodes, edges, prefix, title, self._forward_module_label)

    def _forward_module_label(self, module: str) -> str:
        graph = self.graph
        parameters = [f"{d} {_shape_text(graph.tensors[graph.position[pid]], self.lang)}"
                      for pid, d in graph.parameter_names.items() if dag.module_of_parameter(d) == module]
        outputs = [op.output for op in graph.ops if op.module == module]
        last = outputs[-1]
        return "\n".join([f"{module}: {type(graph.modules[module]).__name__}", *parameters,
                          f"→ {graph.name(last)} {_shape_text(last, self.lang)} {last.dtype}"])

    # ------------------------------------------------------------------ backward

    def backward(self, prefix: str, title: str | None) -> list[str]:
        """The backpropagation picture: gradients from the loss back to every leaf, ops with their rules."""
        graph = self.graph
        if self.show_grads and not graph.released and graph.root.requires_grad:
            _, self.grads = dag.run_backward(graph)
        elif self.show_grads:
            self.grads = {id(t): t.grad.data for t in graph.tensors if t.grad is not None}
        nodes: list[tuple[str, str | None, str]] = []
        edges: list[tuple[str, str, str, str]] = []
        ids = {id(t): f"{prefix}g{i}" for i, t in enumerate(graph.tensors)}
        for tensor in graph.tensors:
            if not tensor.requires_grad:
                continue
            kind = self._kind(tensor)
            module = self.module_of.get(id(tensor))
            grad = self.grads.get(id(tensor)) if self.show_grads else None
            dotted = graph.parameter_names.get(id(tensor))
            heading = f"d{graph.name(tensor)}" + (f" ({dotted})" if dotted else "")
            label = "\n".join([heading, _shape_text(tensor, self.lang), *self._value(grad)])
            style = STYLE["parameter" if kind == "parameter" else "loss" if kind == "loss" else "gradient"]
            node = self._group(ids[id(tensor)], module, prefix)
            if node == ids[id(tensor)]:
                nodes.append((node, module, f"label={_quote(label)} {style}"))
        for op in reversed(graph.ops):
            op_id = self._group(f"{prefix}o{op.position}", op.module, prefix)
            if op_id == f"{prefix}o{op.position}":
                label = "\n".join([op.name, *self._rule_lines(op)])
                nodes.append((op_id, op.module, f"label={_quote(label)} {STYLE['op']}"))
            edges.append((self._group(ids[id(op.output)], op.module, prefix), op_id, BACKWARD_EDGE, ""))
            for k, parent in enumerate(op.ctx.parents):
                if parent.requires_grad:
                    head = self._group(ids[id(parent)], self.module_of.get(id(parent)), prefix)
                    edges.append((op_id, head, BACKWARD_EDGE, self._edge_label(op, k)))
        return self._emit(nodes, edges, prefix, title, self._backward_module_label)

    def _rule_lines(self, op: dag.Op) -> list[str]:
        """The op's gradient rule with this graph's names, one line per input that needs a gradient."""
        rule = rule_of(op.ctx.fn, self.lang)
        if rule is None:
            return [phrases.phrase("viz.no_rule", self.lang)]
        if not rule.inputs:
            return [rule.rule]
        lines = [self.graph.gradient_equation(op, k, self.lang) for k, parent in enumerate(op.ctx.parents)
                 if parent.requires_grad and k < len(rule.inputs)]
        collapsed = dag.collapse(self.graph, op)
        return [*lines, f"⇒ {collapsed[1]}"] if collapsed and collapsed[1] else lines

    def _backward_module_label(self, module: str) -> str:
        graph = self.graph
        rules = [line for op in reversed(graph.ops) if op.module == module for line in self._rule_lines(op)]
        heading = phrases.phrase("viz.backward_module", self.lang, module=module,
                                 kind=type(graph.modules[module]).__name__)
        return "\n".join([heading, *rules])


def animate(root: Any, path: str | Path = "backprop.html", **options: Any) -> list[str]:
    """Backward step by step as a page, PNG frames or a GIF: see :func:`tinygrad_vn.animate.animate`."""
    from .animate import animate as write_animation

    return write_animation(root, path, **options)
