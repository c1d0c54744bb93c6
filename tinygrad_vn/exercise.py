"""Worksheets that mark themselves: :func:`exercise` writes one, :func:`check_answers` marks it.

A worksheet is the graph of a small network with numbered blanks ``[1]``, ``[2]``, … in place of the
values its ops compute (``blank="values"``), the gradients backward computes (``"gradients"``) or both.
It is written as a picture (graphviz: SVG, PNG or PDF), as a printable HTML page (the picture, the
given numbers, a box for each blank) and as an answer key (JSON: blank number → tensor, quantity,
value, shape). Values are numbered in the order the forward pass computes them, gradients in the
order backward finishes them.

``seed`` gives each student other numbers for the same network: the inputs, weights and targets are
drawn from the seed and rounded to one decimal, so the sheet stays practical by hand (seed 0 keeps the
example's own numbers, the notes' where it has them). Marking re-derives the key from the example and
the seed, so a student's sheet never carries its answers; a key file is accepted too.

An answer is right when every element ``a`` of it is within ``tolerance · |v| + absolute`` of the
engine's value ``v``: 1% relative plus 0.001 absolute by default, so ``0.867`` for 0.8670 and
``0.004`` for 0.0043 are right and ``0.86`` for 0.8707 is not. For each wrong answer the marking
shows the step that gives the right value: a value's op formula with its inputs' numbers, a
gradient's backward step as :func:`tinygrad_vn.explain.describe_step` writes it.

Answers are a JSON object (``{"1": 0.25, "2": [0.5, 1]}``) or ``k = value`` lines (``# comments``;
``[1] = 0.25`` works too; a list in brackets for a tensor of several elements, row after row or
flat; a decimal comma, ``0,25``, is read as a decimal point, and inside a list with ``;`` between the
numbers). An empty value leaves the blank unanswered.
"""

from __future__ import annotations

import copy
import html
import json
import math
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import dag, viz
from .autograd import no_grad
from .phrases import check_language, phrase
from .rules import fill_placeholders, rule_of

BLANK_KINDS = ("gradients", "values", "both")
FORMATS = ("svg", "png", "pdf")
MAX_OPS = 40
MAX_ELEMENTS = 16
DEFAULT_TOLERANCE = 0.01
DEFAULT_ABSOLUTE = 0.001
KEY_FORMAT = "tinygrad_vn answer key"
KEY_VERSION = 1
PICTURE_NAME = "worksheet"
PAGE_NAME = "worksheet.html"
KEY_NAME = "answer_key.json"
KINKED_OPS = ("ReLU", "LeakyReLU", "Abs")  # a drawn variant avoids inputs exactly at their kink (no derivative)
MAX_REDRAWS = 100
BLANK_STYLE = 'shape=box style="rounded,filled,dashed,bold" fillcolor="#fff9db" color="#e67700"'
_BLANK_KEY = re.compile(r"^\[?\s*(\d+)\s*\]?$")


@dataclass(frozen=True)
class Blank:
    """One numbered blank: the tensor it stands for, ``"value"`` or ``"gradient"``, and the right numbers."""

    number: int
    tensor: str
    quantity: str
    value: np.ndarray

    @property
    def label(self) -> str:
        """How the blank is written on the sheet: ``[3]``."""
        return f"[{self.number}]"


@dataclass
class Worksheet:
    """A worksheet made by :func:`exercise`: its graph, the blanks and where its files were written."""

    graph: dag.Graph
    steps: list[dag.Step]
    grads: dict[int, np.ndarray]
    kind: str
    blanks: list[Blank]
    targets: dict[int, Any]
    example: str | None = None
    layers: tuple[int, ...] | None = None
    seed: int = 0
    lang: str = "en"
    precision: int = 3
    files: dict[str, Path] = field(default_factory=dict)

    def key(self) -> dict[str, Any]:
        """The answer key as JSON-ready data: which sheet it belongs to, then blank number → what and how much.

        >>> exercise("seed000", "values").key()["blanks"]["1"]["quantity"]
        'value'
        """
        return {
            "format": KEY_FORMAT, "version": KEY_VERSION, "example": self.example,
            "layers": list(self.layers) if self.layers is not None else None, "seed": self.seed, "blank": self.kind,
            "blanks": {str(b.number): {"tensor": b.tensor, "quantity": b.quantity, "value": _rounded(b.value),
                                       "shape": list(b.value.shape)} for b in self.blanks},
        }

    def write(self, out: str | Path, format: str = "svg") -> dict[str, Path]:
        """Write the picture (``worksheet.FORMAT``), the printable page and the answer key into ``out``.

        Needs graphviz's ``dot`` for the pictures (:class:`tinygrad_vn.viz.GraphvizNotFoundError` otherwise).

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     sorted(exercise("seed000").write(folder, "pdf"))
        ['key', 'page', 'picture']
        """
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
        if shutil.which("dot") is None:
            raise viz.GraphvizNotFoundError(viz.INSTALL_GRAPHVIZ)
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        digraph = self.digraph()
        svg = digraph.pipe(format="svg").decode("utf-8")
        picture = folder / f"{PICTURE_NAME}.{format}"
        if format == "svg":
            picture.write_text(svg, encoding="utf-8")
        else:
            if format == "png":
                digraph.graph_attr["dpi"] = "144"
            picture.write_bytes(digraph.pipe(format=format))
        page = folder / PAGE_NAME
        page.write_text(self.page(svg), encoding="utf-8")
        key = folder / KEY_NAME
        key.write_text(_key_text(self.key()), encoding="utf-8")
        self.files = {"picture": picture, "page": page, "key": key}
        return self.files

    # ------------------------------------------------------------------ the picture

    def digraph(self) -> Any:
        """The sheet's graph as a ``graphviz.Digraph``: the forward pass, and the backward pass for gradients.

        >>> "[1]" in exercise("seed000").digraph().source
        True
        """
        import graphviz

        body = self._forward_lines()
        if self.kind != "values":
            body += self._backward_lines()
        return graphviz.Digraph(
            "worksheet", body=[f"\t{line}\n" for line in body],
            graph_attr={"rankdir": "TB", "nodesep": "0.3", "ranksep": "0.35", "fontname": "Helvetica",
                        "label": self.title(), "labelloc": "t", "fontsize": "16"},
            node_attr={"fontname": "Helvetica", "fontsize": "11", "margin": "0.08,0.04", "height": "0.3"},
            edge_attr={"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.7"},
        )

    def _blank_of(self, tensor: Any, quantity: str) -> Blank | None:
        for blank in self.blanks:
            if blank.quantity == quantity and self.targets[blank.number] is tensor:
                return blank
        return None

    def _numbers(self, array: np.ndarray) -> str:
        return dag.format_array(np.asarray(array), self.precision)

    def _forward_lines(self) -> list[str]:
        graph = self.graph
        lines = ["subgraph cluster_forward {", f"label={_quote(phrase('worksheet.feedforward', self.lang))}"]
        for i, tensor in enumerate(graph.tensors):
            if _is_constant(graph, tensor):
                lines.append(f"t{i} [label={_quote(graph.name(tensor))} {viz.STYLE['constant']}]")
                continue
            blank = self._blank_of(tensor, "value")
            shape = _shape_text(tensor.shape, self.lang)
            content = blank.label if blank is not None else self._numbers(tensor.data)
            style = BLANK_STYLE if blank is not None else viz.STYLE[_kind(graph, tensor)]
            lines.append(f"t{i} [label={_quote(chr(10).join([graph.name(tensor), shape, content]))} {style}]")
        for op in graph.ops:
            formula = graph.formula(op, self.lang)
            label = "\n".join([op.name, *([formula] if formula else [])])
            lines.append(f"o{op.position} [label={_quote(label)} {viz.STYLE['op']}]")
            for k, parent in enumerate(op.ctx.parents):
                edge_label = _argument(op, k)
                attrs = f" [label={_quote(edge_label)}]" if edge_label else ""
                lines.append(f"t{graph.position[id(parent)]} -> o{op.position}{attrs}")
            lines.append(f"o{op.position} -> t{graph.position[id(op.output)]}")
        return [*lines, "}"]

    def _backward_lines(self) -> list[str]:
        graph = self.graph
        lines = ["subgraph cluster_backward {", f"label={_quote(phrase('worksheet.backpropagation', self.lang))}"]
        for i, tensor in enumerate(graph.tensors):
            if not tensor.requires_grad or (id(tensor) not in self.grads and tensor is not graph.root):
                continue
            blank = self._blank_of(tensor, "gradient")
            if tensor is graph.root:
                content, style = "1", viz.STYLE["loss"]
            elif blank is not None:
                content, style = blank.label, BLANK_STYLE
            else:
                content, style = self._numbers(self.grads[id(tensor)]), viz.STYLE["gradient"]
            label = "\n".join([f"d{graph.name(tensor)}", _shape_text(tensor.shape, self.lang), content])
            lines.append(f"g{i} [label={_quote(label)} {style}]")
        for op in reversed(graph.ops):
            rule = rule_of(op.ctx.fn, self.lang)
            rules = [graph.gradient_equation(op, k, self.lang) for k, p in enumerate(op.ctx.parents)
                     if p.requires_grad and rule is not None and k < len(rule.inputs)]
            collapsed = dag.collapse(graph, op)
            if collapsed and collapsed[1]:
                rules.append(f"⇒ {collapsed[1]}")
            label = "\n".join([op.name, *(r for r in rules if r)])
            lines.append(f"b{op.position} [label={_quote(label)} {viz.STYLE['op']}]")
            lines.append(f"g{graph.position[id(op.output)]} -> b{op.position} [{viz.BACKWARD_EDGE}]")
            for k, parent in enumerate(op.ctx.parents):
                if parent.requires_grad:
                    edge_label = _argument(op, k)
                    extra = f" label={_quote(edge_label)}" if edge_label else ""
                    lines.append(f"b{op.position} -> g{graph.position[id(parent)]} [{viz.BACKWARD_EDGE}{extra}]")
        return [*lines, "}"]

    # ------------------------------------------------------------------ the printable page

    def title(self) -> str:
        """The sheet's title in its language, with the example and the variant.

        >>> exercise("seed000", "values", lang="vi").title()
        'Phiếu bài tập: lan truyền xuôi của seed000 (số liệu của bài giảng)'
        """
        name = self.example or phrase("worksheet.your_network", self.lang)
        return phrase(f"worksheet.title.{self.kind}", self.lang, example=name, variant=self.variant())

    def variant(self) -> str:
        """Which numbers the sheet uses: ``variant 3``, or the notes' own.

        >>> exercise("seed000", seed=3).variant()
        'variant 3'
        """
        return phrase("worksheet.variant", self.lang, seed=self.seed) if self.seed else \
            phrase("worksheet.own_numbers", self.lang)

    def check_command(self) -> str:
        """How a student marks this sheet: the ``tinygrad-vn check`` command, or the Python call.

        >>> exercise("seed000", seed=4).check_command()
        'tinygrad-vn check --example seed000 --blank gradients --seed 4 --answers answers.txt'
        """
        if self.example is None:
            return f"tg.check_answers(loss, 'answers.txt', blank={self.kind!r}, seed={self.seed})"
        layers = f" --layers {','.join(map(str, self.layers))}" if self.layers is not None else ""
        return (f"tinygrad-vn check --example {self.example}{layers} --blank {self.kind} --seed {self.seed} "
                "--answers answers.txt")

    def page(self, svg: str) -> str:
        """The printable HTML page around the picture ``svg``: title, instructions, given numbers, answer boxes.

        >>> "[1]" in exercise("seed000").page("<svg></svg>")
        True
        """
        graph, lang = self.graph, self.lang
        loss = graph.name(graph.root)
        text = {key: html.escape(phrase(f"worksheet.{key}", lang)) for key in (
            "student", "class", "given", "blanks", "number", "quantity", "shape", "answer", "tensor", "value")}
        instructions = phrase(f"worksheet.instructions.{self.kind}", lang, loss=loss)
        rounding = phrase("worksheet.rounding", lang, relative=f"{DEFAULT_TOLERANCE:.0%}", absolute=DEFAULT_ABSOLUTE)
        answers_hint = phrase("worksheet.answers_file", lang)
        how = phrase("worksheet.how_to_check", lang, command=self.check_command())
        given_rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{html.escape(shape)}</td><td><pre>{html.escape(value)}</pre></td></tr>"
            for name, shape, value in self._given())
        blank_rows = "".join(
            f'<tr><td class="number">{b.label}</td><td>{html.escape(self._quantity(b))}</td>'
            f"<td>{html.escape(_shape_text(b.value.shape, lang))}</td><td class=\"box\"></td></tr>"
            for b in self.blanks)
        picture = svg[svg.find("<svg"):] if "<svg" in svg else svg
        return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{html.escape(self.title())}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 60em; color: #212529; }}
h1 {{ font-size: 1.4em; margin-bottom: 0.3em; }}
h2 {{ font-size: 1.1em; margin: 1.2em 0 0.4em; }}
.student {{ display: flex; gap: 3em; margin: 0.6em 0 1em; }}
.student span {{ border-bottom: 1px solid #495057; min-width: 14em; display: inline-block; }}
.graph svg {{ max-width: 100%; height: auto; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #adb5bd; padding: 0.3em 0.5em; text-align: left; vertical-align: top; }}
td pre {{ margin: 0; font-family: inherit; }}
td.number {{ font-weight: bold; white-space: nowrap; }}
td.box {{ width: 40%; height: 2.4em; }}
.hint {{ color: #495057; font-size: 0.9em; }}
@page {{ size: A4; margin: 14mm; }}
@media print {{
  body {{ margin: 0; max-width: none; font-size: 10.5pt; }}
  .graph {{ page-break-after: always; }}
  tr, .graph svg {{ page-break-inside: avoid; }}
  .hint {{ color: #000; }}
}}
</style>
</head>
<body>
<h1>{html.escape(self.title())}</h1>
<div class="student"><div>{text["student"]}: <span></span></div><div>{text["class"]}: <span></span></div></div>
<p>{html.escape(instructions)}</p>
<p>{html.escape(rounding)}</p>
<div class="graph">{picture}</div>
<h2>{text["given"]}</h2>
<table><tr><th>{text["tensor"]}</th><th>{text["shape"]}</th><th>{text["value"]}</th></tr>{given_rows}</table>
<h2>{text["blanks"]}</h2>
<table><tr><th>{text["number"]}</th><th>{text["quantity"]}</th><th>{text["shape"]}</th><th>{text["answer"]}</th></tr>
{blank_rows}</table>
<p class="hint">{html.escape(answers_hint)}</p>
<p class="hint">{html.escape(how)}</p>
</body>
</html>
"""

    def _quantity(self, blank: Blank) -> str:
        if blank.quantity == "value":
            return phrase("worksheet.value_of", self.lang, tensor=blank.tensor)
        return phrase("worksheet.gradient_of", self.lang, tensor=blank.tensor,
                      loss=self.graph.name(self.graph.root))

    def _given(self) -> list[tuple[str, str, str]]:
        """(name, shape, numbers) of every value the sheet gives: the leaves, and the forward pass for gradients."""
        graph, rows = self.graph, []
        first_use: dict[int, tuple[int, int]] = {}
        for op in reversed(graph.ops):
            for k, parent in enumerate(op.ctx.parents):
                first_use[id(parent)] = (op.position, k)
        leaves = sorted((t for t in graph.tensors if t._ctx is None), key=lambda t: first_use.get(id(t), (-1, 0)))
        computed = [op.output for op in graph.ops] if self.kind == "gradients" else []
        for tensor in [*leaves, *computed]:
            if not _is_constant(graph, tensor):
                rows.append((graph.name(tensor), _shape_text(tensor.shape, self.lang), self._numbers(tensor.data)))
        if self.kind != "values":
            rows.append((f"d{graph.name(graph.root)}", _shape_text(graph.root.shape, self.lang),
                         self._numbers(np.ones_like(graph.root.data))))
        return rows

    # ------------------------------------------------------------------ how to get a blank's value

    def chain(self, number: int) -> list[str]:
        """The lines that give blank ``number``'s right value: its op's formula with the numbers, or its
        backward step(s) as :func:`tinygrad_vn.explain.describe_step` writes them.

        >>> exercise("seed000", "values").chain(2)[-1]
        'Z(1) = [[0.25, 0.5]]'
        """
        if number not in self.targets:
            raise KeyError(f"this sheet has no blank [{number}]")
        blank = self.blanks[number - 1]
        tensor = self.targets[number]
        if blank.quantity == "value":
            return value_chain(self.graph, self.graph.producer[id(tensor)], self.lang, self.precision)
        return self._gradient_chain(tensor)

    def _gradient_chain(self, tensor: Any) -> list[str]:
        from .explain import describe_step

        graph, lang = self.graph, self.lang
        lines: list[str] = []
        used = [(n, step) for n, step in enumerate(self.steps, 1) if any(p is tensor for p in step.op.ctx.parents)]
        for n, step in used:
            upstream = step.op.output
            fields = {"gradient": f"d{graph.name(upstream)}", "value": _inline(step.grad_out, self.precision)}
            source = self._blank_of(upstream, "gradient")
            lines.append(phrase("worksheet.starts_from_blank", lang, number=source.number, **fields)
                         if source is not None else phrase("worksheet.starts_from", lang, **fields))
            lines += describe_step(graph, step, n, lang=lang, precision=self.precision)
        if len(used) > 1:
            lines.append(phrase("worksheet.sum_of_steps", lang, gradient=f"d{graph.name(tensor)}", count=len(used),
                                total=_inline(self.grads[id(tensor)], self.precision)))
        return lines


def value_chain(graph: dag.Graph, op: dag.Op, lang: str = "en", precision: int = 3) -> list[str]:
    """How ``op``'s output value is computed: its forward formula, its inputs' numbers, the formula with them
    put in (when its rule names every input) and the result.

    >>> import tinygrad_vn as tg
    >>> graph = dag.build(tg.tensor([2.0], requires_grad=True, name="a") * tg.tensor([3.0], name="b"))
    >>> value_chain(graph, graph.ops[0])
    ['L = a ⊙ b', 'with a = [2], b = [3]', 'L = [2] ⊙ [3]', 'L = [6]']
    """
    output = graph.name(op.output)
    parents = op.ctx.parents
    formula = graph.formula(op, lang) or f"{output} = {op.name}({', '.join(graph.name(p) for p in parents)})"
    unique = list({id(p): p for p in parents}.values())
    inputs = ", ".join(f"{graph.name(p)} = {_inline(p.data, precision)}" for p in unique)
    lines = [formula, phrase("worksheet.with_inputs", lang, inputs=inputs)]
    rule = rule_of(op.ctx.fn, lang)
    if rule is not None and len(rule.inputs) == len(parents) and " = " in rule.forward:
        right_side = rule.forward.split(" = ", 1)[1]
        numbers = {ph: _inline(p.data, precision) for ph, p in zip(rule.inputs, parents)}
        lines.append(f"{output} = {fill_placeholders(right_side, numbers)}")
    lines.append(f"{output} = {_inline(op.output.data, precision)}")
    return lines


# ---------------------------------------------------------------------- making a worksheet


def exercise(loss_or_example: Any, blank: str = "gradients", out: str | Path | None = None, *, model: Any = None,
             seed: int | None = 0, lang: str = "en", format: str = "svg", precision: int = 3,
             layers: str | tuple[int, ...] | None = None) -> Worksheet:
    """A worksheet for a loss (with its ``model`` for the names) or for a named example (``"seed000"``).

    ``blank`` is "gradients", "values" or "both"; ``seed`` 0 keeps the example's own numbers, any other
    draws new inputs, weights and targets (one decimal); ``out``, when given, is the folder the picture
    (``worksheet.FORMAT``), the printable page (``worksheet.html``) and the key (``answer_key.json``) are
    written into. ``layers`` sizes the ``mlp`` example. Graphs of more than 40 ops or with a tensor of more
    than 16 elements are refused: their sheets would not be readable.

    >>> sheet = exercise("seed000", "both")
    >>> len(sheet.blanks), sheet.blanks[0].label, sheet.blanks[-1].quantity
    (19, '[1]', 'gradient')
    """
    if blank not in BLANK_KINDS:
        raise ValueError(f"blank must be one of {', '.join(BLANK_KINDS)}, got {blank!r}")
    check_language(lang)
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    if isinstance(precision, bool) or not isinstance(precision, int) or precision < 1:
        raise ValueError(f"precision must be a whole number of significant digits of at least 1, got {precision!r}")
    seed = _check_seed(seed)
    loss, model, example, layers = _resolve(loss_or_example, model, layers)
    graph = dag.build(loss, model=model)
    _check_size(graph)
    if seed:
        graph = _variant(graph, model, seed)
    if not graph.root.requires_grad:
        raise ValueError("the loss does not require a gradient: nothing in its graph is a parameter")
    if graph.root.data.size != 1:
        raise ValueError(f"a worksheet starts from a scalar loss; this one has shape {tuple(graph.root.shape)}")
    steps, grads = dag.run_backward(graph)
    targets = _targets(graph, steps, grads, blank)
    blanks = [Blank(n, graph.name(t), quantity,
                    np.array(t.data if quantity == "value" else grads[id(t)], dtype=np.float64))
              for n, (quantity, t) in enumerate(targets, 1)]
    sheet = Worksheet(graph, steps, grads, blank, blanks, {n: t for n, (_, t) in enumerate(targets, 1)},
                      example, layers, seed, lang, precision)
    if out is not None:
        sheet.write(out, format)
    return sheet


def _check_seed(seed: Any) -> int:
    if seed is None:
        return 0
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number of at least 0, got {seed!r}")
    return int(seed)


def _resolve(loss_or_example: Any, model: Any, layers: Any) -> tuple[Any, Any, str | None, tuple[int, ...] | None]:
    """(loss, model, example name, the mlp's layers) from a loss, an example name or an example object."""
    if isinstance(loss_or_example, str):
        # The examples live with the command line, which builds on this module; imported only here.
        from .cli.arguments import parse_layer_sizes
        from .cli.examples import DEFAULT_LAYERS, EXAMPLES, build_example

        if loss_or_example not in EXAMPLES:
            raise ValueError(f"unknown example {loss_or_example!r}; choose one of {', '.join(EXAMPLES)}")
        sizes: tuple[int, ...] | None = None
        if loss_or_example == "mlp":
            given = DEFAULT_LAYERS if layers is None else layers
            sizes = parse_layer_sizes(given) if isinstance(given, str) else tuple(int(s) for s in given)
        built = build_example(loss_or_example, sizes if sizes is not None else DEFAULT_LAYERS)
        return built.loss, built.model, loss_or_example, sizes
    if hasattr(loss_or_example, "loss") and hasattr(loss_or_example, "model"):
        return loss_or_example.loss, model if model is not None else loss_or_example.model, None, None
    if not hasattr(loss_or_example, "_ctx"):
        raise TypeError(f"exercise needs a loss Tensor or an example name, got {type(loss_or_example).__name__}")
    return loss_or_example, model, None, None


def _check_size(graph: dag.Graph) -> None:
    if graph.released:
        raise ValueError("backward() already freed this graph's values; build the loss again, or call "
                         "backward(retain_graph=True), before making a worksheet of it")
    if len(graph.ops) > MAX_OPS:
        raise ValueError(f"this graph has {len(graph.ops)} ops; a worksheet stays readable up to {MAX_OPS}: "
                         "take a smaller network (for the mlp example, --layers 2,3,2)")
    for tensor in graph.tensors:
        if tensor.data.size > MAX_ELEMENTS:
            raise ValueError(f"tensor {graph.name(tensor)} has {tensor.data.size} elements; a worksheet keeps "
                             f"every tensor to at most {MAX_ELEMENTS} so it can be computed by hand: take a "
                             "smaller network or batch (for the mlp example, --layers 2,3,2)")


def _targets(graph: dag.Graph, steps: list[dag.Step], grads: dict[int, np.ndarray],
             kind: str) -> list[tuple[str, Any]]:
    """The tensors behind the blanks, in order: op outputs as forward computes them, then gradients as
    backward finishes them (when the last op that uses a tensor has sent its share)."""
    targets: list[tuple[str, Any]] = []
    if kind in ("values", "both"):
        targets += [("value", op.output) for op in graph.ops]
    if kind in ("gradients", "both"):
        last_use: dict[int, int] = {}
        for n, step in enumerate(steps):
            for parent in step.op.ctx.parents:
                last_use[id(parent)] = n
        done: set[int] = set()
        for n, step in enumerate(steps):
            for parent in step.op.ctx.parents:
                finished = last_use[id(parent)] == n and id(parent) in grads
                if parent.requires_grad and finished and id(parent) not in done:
                    done.add(id(parent))
                    targets.append(("gradient", parent))
    return targets


# ---------------------------------------------------------------------- seeded variants


def _variant(graph: dag.Graph, model: Any, seed: int) -> dag.Graph:
    """The same network with inputs, weights and targets drawn from ``seed`` (one decimal), replayed op by op.

    The model is copied, never changed. A draw that puts an input of a ReLU exactly at 0 (where it has no
    derivative) is drawn again, from the same generator, so a seed always gives the same sheet.
    """
    for op in graph.ops:
        if op.ctx.inplace:
            raise ValueError(f"a seeded variant replays every op, and {op.name} changed a tensor in place; "
                             "use seed 0 for this graph")
    rng = np.random.default_rng(seed)
    copied = copy.deepcopy(model) if model is not None else None
    parameters = dict(copied.named_parameters()) if copied is not None else {}
    for _ in range(MAX_REDRAWS):
        leaves: dict[int, Any] = {}
        for tensor in graph.tensors:
            if tensor._ctx is None:
                leaves[id(tensor)] = _drawn_leaf(graph, tensor, rng, parameters)
        replayed = _replay(graph, leaves)
        new_graph = dag.build(replayed, model=copied)
        if not _at_a_kink(new_graph):
            return new_graph
    raise ValueError(f"seed {seed}: could not draw numbers that keep every ReLU input away from 0")


def _drawn_leaf(graph: dag.Graph, tensor: Any, rng: np.random.Generator, parameters: dict[str, Any]) -> Any:
    from .tensor import Tensor

    data = tensor.data
    if _is_constant(graph, tensor) or data.dtype == np.bool_:
        return tensor
    if np.issubdtype(data.dtype, np.integer):
        drawn = rng.integers(int(data.min()), int(data.max()) + 1, size=data.shape).astype(data.dtype)
    else:
        if tensor.requires_grad:
            low, high = -1.0, 1.0
        elif data.min() >= 0 and data.max() <= 1:
            low, high = 0.0, 1.0
        else:
            low, high = math.floor(float(data.min())), math.ceil(float(data.max()))
        drawn = np.round(rng.uniform(low, high, size=data.shape), 1).astype(data.dtype)
    dotted = graph.parameter_names.get(id(tensor))
    if dotted is not None and dotted in parameters:
        parameter = parameters[dotted]
        with no_grad():
            parameter.copy_(Tensor(drawn))
        return parameter
    return Tensor(drawn, requires_grad=tensor.requires_grad, name=tensor.name)


def _replay(graph: dag.Graph, leaves: dict[int, Any]) -> Any:
    """Run the graph's ops again, in order, on new leaves; returns the new root."""
    new = dict(leaves)
    for op in graph.ops:
        output = op.ctx.fn.apply(*[new[id(p)] for p in op.ctx.parents], **op.ctx.attrs)
        output.name = op.output.name
        new[id(op.output)] = output
    return new[id(graph.root)]


def _at_a_kink(graph: dag.Graph) -> bool:
    return any(op.name in KINKED_OPS and bool(np.any(np.abs(op.ctx.parents[0].data) < 1e-9)) for op in graph.ops)


# ---------------------------------------------------------------------- reading answers


@dataclass(frozen=True)
class Answer:
    """One blank's answer as read: its numbers, or why they could not be read (``None`` and ``[]``: empty)."""

    numbers: np.ndarray | None
    problem: tuple[str, dict[str, Any]] | None = None
    source: str = ""


def parse_answers(text: str, source: str = "answers") -> dict[int, Answer]:
    """Blank number → answer, from a JSON object or ``k = value`` lines (see the module docstring).

    A value that cannot be read becomes an :class:`Answer` saying why, so the rest still gets marked;
    a line that is not ``k = value`` or a blank answered twice is a ValueError naming the line.

    >>> answers = parse_answers("1 = 0.25\\n[2] = [0,5; 1]\\n3 =\\n")
    >>> answers[1].numbers.tolist(), answers[2].numbers.tolist(), answers[3].numbers
    ([0.25], [0.5, 1.0], None)
    """
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            loaded = json.loads(stripped)
        except json.JSONDecodeError as err:
            raise ValueError(f"{source}: not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})") from None
        if not isinstance(loaded, dict):
            raise ValueError(f"{source}: a JSON answers file is one object, blank number → value")
        items = [(str(k), v, f"{source}: key {k!r}") for k, v in loaded.items()]
    else:
        items = []
        for n, line in enumerate(text.splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if "=" not in line:
                raise ValueError(f"{source} line {n}: expected 'number = value', like '3 = 0.367', got {line!r}")
            k, _, v = line.partition("=")
            items.append((k.strip(), v.strip(), f"{source} line {n}"))
    answers: dict[int, Answer] = {}
    seen: dict[int, str] = {}
    for k, v, where in items:
        match = _BLANK_KEY.match(k.strip())
        if match is None:
            raise ValueError(f"{where}: {k!r} is not a blank number; write 3 or [3]")
        number = int(match.group(1))
        if number in seen:
            raise ValueError(f"{where}: blank [{number}] is answered twice (also in {seen[number]})")
        seen[number] = where
        answers[number] = _read_value(v, where)
    return answers


def read_answers(path: str | Path) -> dict[int, Answer]:
    """:func:`parse_answers` of a file, with a clear error when it is missing or not UTF-8 text.

    >>> read_answers("no/such/answers.txt")
    Traceback (most recent call last):
    ...
    FileNotFoundError: answers file no/such/answers.txt does not exist
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"answers file {path} does not exist" if not path.exists()
                                else f"answers file {path} is not a file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"answers file {path} is not UTF-8 text") from None
    return parse_answers(text, str(path))


def _read_value(value: Any, where: str) -> Answer:
    if value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, list) and not value):
        return Answer(None, source=where)
    if isinstance(value, str):
        text = value.strip().replace("−", "-")
        if text.startswith("["):
            text = text.replace(",", ".").replace(";", ",") if ";" in text else text
        elif re.fullmatch(r"[-+]?\d+,\d+", text):
            text = text.replace(",", ".")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return Answer(None, ("worksheet.unreadable_text", {"text": value.strip()}), where)
    unreadable = Answer(None, ("worksheet.unreadable_text", {"text": json.dumps(value, ensure_ascii=False)}), where)
    if not _only_numbers(value):
        return unreadable
    try:
        numbers = np.array(value, dtype=np.float64)
    except ValueError:  # ragged lists
        return unreadable
    if not np.all(np.isfinite(numbers)):
        return Answer(None, ("worksheet.not_finite", {"text": json.dumps(value, ensure_ascii=False)}), where)
    return Answer(numbers.ravel(), source=where)


def _only_numbers(value: Any) -> bool:
    """True for a number or (nested) lists of numbers; booleans and text are not numbers."""
    if isinstance(value, list):
        return all(_only_numbers(v) for v in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# ---------------------------------------------------------------------- marking


@dataclass(frozen=True)
class Mark:
    """How one blank was marked: ``"right"``, ``"wrong"``, ``"unanswered"`` or ``"unreadable"``."""

    blank: Blank
    status: str
    answer: np.ndarray | None
    lines: tuple[str, ...]


@dataclass
class Marking:
    """The result of :func:`check_answers`: a mark per blank, the numbers answered that are not on the
    sheet, and the report text (``str(marking)``)."""

    marks: list[Mark]
    ignored: list[int]
    text: str

    @property
    def right(self) -> int:
        """How many blanks were answered right."""
        return sum(mark.status == "right" for mark in self.marks)

    @property
    def all_right(self) -> bool:
        """True when every blank was answered right."""
        return self.right == len(self.marks)

    def status(self, number: int) -> str:
        """The mark of blank ``number``."""
        return self.marks[number - 1].status

    def __str__(self) -> str:
        return self.text


def check_answers(loss_or_example: Any = None, answers: Any = None, blank: str | None = None, *, model: Any = None,
                  seed: int | None = None, key: Any = None, tolerance: float = DEFAULT_TOLERANCE,
                  absolute: float = DEFAULT_ABSOLUTE, lang: str = "en", precision: int = 3,
                  layers: str | tuple[int, ...] | None = None) -> Marking:
    """Mark ``answers`` (a file path, or a mapping blank number → value) on the sheet
    :func:`exercise` makes from the same loss or example, ``blank`` kind and ``seed``.

    The key is re-derived from those; ``key`` (a path or the mapping :meth:`Worksheet.key` gives) is used
    instead when given, and fills in the example, blank kind and seed left out. An answer is right when
    each element is within ``tolerance · |right| + absolute``; a wrong one gets the lines that give the
    right value. An empty or missing answer is marked unanswered, one that cannot be read unreadable.

    >>> key = exercise("seed000", seed=2).key()
    >>> right = {int(n): b["value"] for n, b in key["blanks"].items()}
    >>> check_answers("seed000", right, seed=2).all_right
    True
    >>> marking = check_answers("seed000", {**right, 3: 0.5}, seed=2)
    >>> [m.status for m in marking.marks].count("wrong"), marking.status(3)
    (1, 'wrong')
    """
    check_language(lang)
    for name, number in (("tolerance", tolerance), ("absolute", absolute)):
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number) or number < 0:
            raise ValueError(f"{name} must be a finite number of at least 0, got {number!r}")
    key_data = _load_key(key) if key is not None else None
    if key_data is not None:
        loss_or_example, blank, seed, layers = _from_key(key_data, loss_or_example, blank, seed, layers)
    if loss_or_example is None:
        raise ValueError("say which sheet to mark: an example name or a loss (or an answer key that names its example)")
    sheet = exercise(loss_or_example, blank or "gradients", model=model, seed=seed, lang=lang, precision=precision,
                     layers=layers)
    rights = {b.number: b.value for b in sheet.blanks}
    if key_data is not None:
        rights = _key_values(key_data, sheet)
    if answers is None:
        raise ValueError("no answers given: pass a file path or a mapping blank number → value")
    if isinstance(answers, Mapping):
        read = {}
        for k, v in answers.items():
            match = _BLANK_KEY.match(str(k).strip())
            if match is None:
                raise ValueError(f"answers: {k!r} is not a blank number; write 3 or [3]")
            read[int(match.group(1))] = _read_value(v, f"answers[{k!r}]")
    else:
        read = read_answers(answers)
    return _mark(sheet, rights, read, tolerance, absolute)


def _load_key(key: Any) -> dict[str, Any]:
    if isinstance(key, Mapping):
        data = dict(key)
        where = "the answer key"
    else:
        path = Path(key)
        where = f"answer key {path}"
        if not path.is_file():
            raise FileNotFoundError(f"{where} does not exist" if not path.exists() else f"{where} is not a file")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ValueError(f"{where} is not a JSON answer key written by tinygrad-vn exercise") from None
    if not isinstance(data, dict) or data.get("format") != KEY_FORMAT or not isinstance(data.get("blanks"), dict):
        raise ValueError(f"{where} is not an answer key written by tinygrad-vn exercise")
    if data.get("version") != KEY_VERSION:
        raise ValueError(f"{where} has version {data.get('version')!r}; this tinygrad_vn reads version {KEY_VERSION}")
    return data


def _from_key(data: dict[str, Any], loss_or_example: Any, blank: str | None, seed: int | None,
              layers: Any) -> tuple[Any, str, int, Any]:
    """The sheet's example, blank kind, seed and layers, from the key where not given, refusing a mismatch."""
    given = {"example": loss_or_example if isinstance(loss_or_example, str) or loss_or_example is None else None,
             "blank": blank, "seed": seed}
    for name, value in given.items():
        if value is not None and data.get(name) is not None and value != data[name]:
            raise ValueError(f"the answer key is for {name} {data[name]!r}, not {value!r}")
    key_layers = tuple(data["layers"]) if data.get("layers") else None
    if layers is not None and key_layers is not None:
        from .cli.arguments import parse_layer_sizes

        sizes = parse_layer_sizes(layers) if isinstance(layers, str) else tuple(layers)
        if sizes != key_layers:
            raise ValueError(f"the answer key is for layers {key_layers}, not {sizes}")
    if loss_or_example is None:
        loss_or_example = data.get("example")
        if loss_or_example is None:
            raise ValueError("the answer key was made from a loss in Python, not an example: pass that loss too")
    return loss_or_example, blank or data.get("blank"), seed if seed is not None else data.get("seed", 0), \
        layers if layers is not None else key_layers


def _key_values(data: dict[str, Any], sheet: Worksheet) -> dict[int, np.ndarray]:
    """The key's right values, after checking that its blanks are this sheet's."""
    blanks = data["blanks"]
    if sorted(blanks, key=str) != sorted((str(b.number) for b in sheet.blanks), key=str):
        raise ValueError(f"the answer key has {len(blanks)} blanks, this sheet {len(sheet.blanks)}: "
                         "it is another sheet's key")
    values = {}
    for b in sheet.blanks:
        entry = blanks[str(b.number)]
        if not isinstance(entry, dict) or entry.get("tensor") != b.tensor or entry.get("quantity") != b.quantity:
            raise ValueError(f"the answer key's blank [{b.number}] is not this sheet's {b.quantity} of {b.tensor}")
        try:
            value = np.array(entry["value"], dtype=np.float64)
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"the answer key's blank [{b.number}] has no readable value") from None
        if value.size != b.value.size:
            raise ValueError(f"the answer key's blank [{b.number}] has {value.size} numbers, the sheet {b.value.size}")
        values[b.number] = value
    return values


def _mark(sheet: Worksheet, rights: dict[int, np.ndarray], answers: dict[int, Answer], tolerance: float,
          absolute: float) -> Marking:
    lang, precision = sheet.lang, sheet.precision
    kind = phrase(f"worksheet.kind.{sheet.kind}", lang)
    name = sheet.example or phrase("worksheet.your_network", lang)
    lines = [phrase("worksheet.marking", lang, example=name, variant=sheet.variant(), count=len(sheet.blanks),
                    kind=kind, relative=_percent(tolerance), absolute=dag.format_number(absolute, precision))]
    last = len(sheet.blanks)
    ignored = sorted(n for n in answers if not 1 <= n <= last)
    for n in ignored:
        lines.append(phrase("worksheet.unknown_blank", lang, number=n, last=last))
    marks = []
    for blank in sheet.blanks:
        right = rights[blank.number]
        answer = answers.get(blank.number)
        head = f"{blank.label} {sheet._quantity(blank)}: "
        shown_right = _inline(right.reshape(blank.value.shape), precision)
        if answer is None or (answer.numbers is None and answer.problem is None):
            status, detail, chain = "unanswered", "", []
        elif answer.problem is not None:
            status, chain = "unreadable", []
            detail = phrase(answer.problem[0], lang, **answer.problem[1])
        elif answer.numbers.size != right.size:
            status, chain = "wrong", sheet.chain(blank.number)
            detail = phrase("worksheet.size_mismatch", lang, given=answer.numbers.size, expected=right.size,
                            value=shown_right)
        elif np.all(np.abs(answer.numbers - right.ravel()) <= tolerance * np.abs(right.ravel()) + absolute):
            status, detail, chain = "right", "", []
        else:
            status, chain = "wrong", sheet.chain(blank.number)
            written = _inline(answer.numbers.reshape(right.shape) if answer.numbers.size > 1 else answer.numbers[0],
                              precision)
            detail = phrase("worksheet.you_wrote", lang, answer=written, value=shown_right)
        mark_word = phrase(f"worksheet.mark.{status}", lang)
        lines.append(head + mark_word + (f" ({detail})" if detail else ""))
        if chain:
            lines.append("    " + phrase("worksheet.how_to_get_it", lang))
            lines += [f"    {line}" for line in chain]
        marks.append(Mark(blank, status, None if answer is None else answer.numbers, tuple(chain)))
    right_count = sum(m.status == "right" for m in marks)
    counts = {status: sum(m.status == status for m in marks) for status in ("wrong", "unanswered", "unreadable")}
    lines.append("")
    lines.append(phrase("worksheet.score", lang, right=right_count, total=last, **counts))
    if right_count == last:
        lines.append(phrase("worksheet.all_right", lang))
    return Marking(marks, ignored, "\n".join(lines) + "\n")


# ---------------------------------------------------------------------- small helpers


def _rounded(array: np.ndarray) -> Any:
    """``array`` as nested lists of floats with 12 significant digits (no ``0.48999999999999994`` in a key)."""
    return np.vectorize(lambda v: float(f"{v:.12g}"), otypes=[np.float64])(array).tolist()


def _key_text(key: dict[str, Any]) -> str:
    """The key as JSON, one line per field and per blank, so a teacher can read it."""
    fields = [f" {json.dumps(name)}: {json.dumps(value, ensure_ascii=False)}" for name, value in key.items()
              if name != "blanks"]
    blanks = [f"  {json.dumps(n)}: {json.dumps(entry, ensure_ascii=False)}" for n, entry in key["blanks"].items()]
    return "{\n" + ",\n".join([*fields, ' "blanks": {\n' + ",\n".join(blanks) + "\n }"]) + "\n}\n"


def _percent(fraction: float) -> str:
    return f"{dag.format_number(fraction * 100, 3)}%"


def _inline(array: Any, precision: int) -> str:
    """A small array on one line (``[[0.5, 1], [2, 3]]``), a number as itself."""
    return re.sub(r",\s+", ", ", dag.format_array(np.asarray(array, dtype=np.float64), precision))


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _shape_text(shape: tuple[int, ...], lang: str) -> str:
    return dag.format_shape(tuple(shape)) if shape else phrase("worksheet.scalar", lang)


def _is_constant(graph: dag.Graph, tensor: Any) -> bool:
    """A number written into the formula (``1 − x``'s 1): unnamed, one element, needs no gradient."""
    return (tensor._ctx is None and not tensor.requires_grad and tensor.data.size == 1 and tensor.name is None
            and id(tensor) not in graph.parameter_names and tensor is not graph.root)


def _kind(graph: dag.Graph, tensor: Any) -> str:
    if tensor is graph.root:
        return "loss"
    if tensor._ctx is not None:
        return "tensor"
    return "parameter" if tensor.requires_grad else "input"


def _argument(op: dag.Op, k: int) -> str:
    """Which argument of a several-input op an edge feeds: its placeholder (``A``) or its position."""
    if len(op.ctx.parents) < 2:
        return ""
    rule = rule_of(op.ctx.fn)
    return rule.inputs[k] if rule is not None and k < len(rule.inputs) else str(k)
