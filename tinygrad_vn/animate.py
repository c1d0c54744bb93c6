"""Backward, step by step: the backward graph filled in one op at a time, as a page, PNG frames or a GIF.

    import tinygrad_vn as tg
    loss = F.binary_cross_entropy(model(x), y)
    tg.viz.animate(loss, "backprop.html", model=model)           # one self-contained page
    tg.viz.animate(loss, "frames/backprop.png", model=model)     # backprop_000.png, backprop_001.png, ...
    tg.viz.animate(loss, "backprop.gif", model=model, lang="vi") # an animated GIF (needs Pillow)

Frame 0 shows the seed: only the loss's own gradient, ``dL = ∂L/∂L = 1``, is known. Frame k (from 1
to the number of backward steps) shows the op that backward applied at step k highlighted, every
gradient computed so far filled in with its value (a gradient that several ops feed is a partial sum
until its last contribution arrives, and is drawn dashed until then), and the step's rule with its
numbers as :func:`tinygrad_vn.explain` writes it. The page has previous, next and play buttons, the
arrow keys and a slider, and can show the forward graph with its values beside the backward one.

The page draws the backward graph once (graphviz's ``dot``, as :mod:`tinygrad_vn.viz` does) and its
script changes classes and texts from one frame to the next, so it stays small for a few hundred
ops. A graph of more than :data:`MAX_OPS` ops is drawn with each module as one box when a ``model``
is given, and refused otherwise. Every word shown comes from :mod:`tinygrad_vn.phrases`.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import dag, viz
from .explain import describe_step
from .phrases import check_language, phrase

MAX_OPS = 300
"""The most ops (or boxes, once collapsed) an animation draws."""
FORMATS = ("html", "png", "gif")
DEFAULT_DELAY_MS = 1200
PNG_DPI = "110"
CAPTION_FONT_SIZE = 12
CAPTION_CHAR_WIDTH = 0.62 * CAPTION_FONT_SIZE  # points per character of the frame's caption, generously
CAPTION_LINE_HEIGHT = 1.3 * CAPTION_FONT_SIZE
INSTALL_PILLOW = ("an animated GIF needs the Pillow package: install it with `pip install 'tinygrad-vn[gif]'` "
                  "(or `pip install pillow`); --format png writes the same frames without it")

# How each state looks in a PNG frame; the page's style sheet below draws the same states.
CURRENT_OP = 'fillcolor="#ff922b" color="#d9480f" penwidth=3'
WAITING = 'fillcolor="#f8f9fa" color="#ced4da" fontcolor="#adb5bd"'
FRESH_GRADIENT = 'color="#2f9e44" penwidth=3'
CURRENT_EDGE = "penwidth=2.5"
WAITING_EDGE = 'color="#dee2e6" fontcolor="#ced4da"'


class PillowNotFoundError(RuntimeError):
    """Raised when an animated GIF is asked for but Pillow is not installed."""


@dataclass
class Frame:
    """One picture of the animation: its title and caption lines, and the backward step it shows (none at 0)."""

    number: int
    step: dag.Step | None
    title: str
    lines: list[str]


@dataclass
class _Gradient:
    """A drawn gradient node: its heading lines and, frame by frame, its state and value lines."""

    node: str
    heading: list[str]
    history: list[tuple[int, str, list[str]]] = field(default_factory=list)

    def at(self, frame: int) -> tuple[int, str, list[str]] | None:
        """The last change at or before ``frame``: (frame it happened, state, value lines); None if none yet."""
        entry = None
        for change in self.history:
            if change[0] > frame:
                break
            entry = change
        return entry


@dataclass
class _Edge:
    edge_id: str
    tail: str
    head: str
    label: str
    steps: list[int]


class Animation:
    """The frames of one backward pass, and the drawings that show them (see the module docstring).

    Build one with :func:`build`; :func:`animate` writes it. ``frames`` are its frames in order.
    """

    def __init__(self, graph: dag.Graph, steps: list[dag.Step], *, lang: str, precision: int, collapse: bool,
                 max_elements: int, rankdir: str, delay_ms: int) -> None:
        self.graph = graph
        self.steps = steps
        self.lang = lang
        self.precision = precision
        self.collapsed = collapse
        self.rankdir = rankdir
        self.delay_ms = delay_ms
        self.max_elements = max_elements
        self.drawer = viz._Drawer(graph, True, True, collapse, max_elements, lang)
        self.loss = graph.name(graph.root)
        self.op_steps: dict[str, list[int]] = {}
        for number, step in enumerate(steps, 1):
            self.op_steps.setdefault(self._op_node(step.op, "b"), []).append(number)
        self.gradients = self._gradients()
        self.edges = self._edges()
        self.frames = self._frames()

    @property
    def frame_count(self) -> int:
        """The number of frames: one per backward step, plus frame 0 (the seed).

        >>> import tinygrad_vn as tg
        >>> x = tg.tensor([1.0, 2.0], requires_grad=True)
        >>> build((x * x).sum()).frame_count
        3
        """
        return len(self.frames)

    # ------------------------------------------------------------------ what each frame shows

    def _op_node(self, op: dag.Op, prefix: str) -> str:
        return self.drawer._group(f"{prefix}o{op.position}", op.module, prefix)

    def _tensor_node(self, tensor: Any) -> str:
        node = f"bg{self.graph.position[id(tensor)]}"
        return self.drawer._group(node, self.drawer.module_of.get(id(tensor)), "b")

    def _values(self, grad: np.ndarray) -> list[str]:
        if grad.size > self.max_elements:
            return []
        return dag.format_array(np.asarray(grad), self.precision).split("\n")

    def _shape(self, tensor: Any) -> str:
        return dag.format_shape(tensor.shape) if tensor.shape else phrase("animate.scalar", self.lang)

    def _gradients(self) -> dict[int, _Gradient]:
        """Each drawn gradient node's history: the seed at frame 0, then every step that adds to it."""
        graph = self.graph
        gradients: dict[int, _Gradient] = {}
        for tensor in graph.tensors:
            node = f"bg{graph.position[id(tensor)]}"
            if tensor.requires_grad and self._tensor_node(tensor) == node:
                dotted = graph.parameter_names.get(id(tensor))
                heading = f"d{graph.name(tensor)}" + (f" ({dotted})" if dotted else "")
                gradients[id(tensor)] = _Gradient(node, [heading, self._shape(tensor)])
        sums: dict[int, np.ndarray] = {id(graph.root): np.ones_like(graph.root.data)}
        if id(graph.root) in gradients:
            gradients[id(graph.root)].history.append((0, "complete", self._values(sums[id(graph.root)])))
        totals, received = self._contribution_counts(), {}
        for number, step in enumerate(self.steps, 1):
            for parent, grad in self._contributions(step):
                key = id(parent)
                sums[key] = sums[key] + grad if key in sums else np.asarray(grad)
                received[key] = received.get(key, 0) + 1
                if key in gradients:
                    state = "complete" if received[key] == totals[key] else "partial"
                    gradients[key].history.append((number, state, self._values(sums[key])))
        return gradients

    def _contributions(self, step: dag.Step) -> list[tuple[Any, np.ndarray]]:
        """The (input, gradient) pairs that ``step`` sent back, as the engine sums them."""
        ctx = step.op.ctx
        return [(parent, np.asarray(grad)) for parent, grad, needed in
                zip(ctx.parents, step.input_grads, ctx.needs_input_grad)
                if needed and grad is not None and parent.requires_grad]

    def _contribution_counts(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for step in self.steps:
            for parent, _ in self._contributions(step):
                counts[id(parent)] = counts.get(id(parent), 0) + 1
        return counts

    def _edges(self) -> list[_Edge]:
        """The backward picture's edges with the steps that use them; merged per pair of boxes when collapsed."""
        edges: dict[tuple[str, str, int], _Edge] = {}
        for number, step in enumerate(self.steps, 1):
            op = step.op
            op_node = self._op_node(op, "b")
            pairs = [(self._tensor_node(op.output), op_node, "")]
            pairs += [(op_node, self._tensor_node(parent), self.drawer._edge_label(op, k))
                      for k, parent in enumerate(op.ctx.parents) if parent.requires_grad]
            for n, (tail, head, label) in enumerate(pairs):
                if self.collapsed and tail == head:
                    continue
                boxed = tail.startswith("bm") or head.startswith("bm")
                key = (tail, head, -1) if self.collapsed else (tail, head, len(edges) + n)
                if key not in edges:
                    edges[key] = _Edge(f"be{len(edges)}", tail, head, "" if self.collapsed and boxed else label, [])
                edges[key].steps.append(number)
        return list(edges.values())

    def _frames(self) -> list[Frame]:
        last = len(self.steps)
        first_op = self.steps[0].op.name if self.steps else ""
        seed = [phrase("animate.frame_seed", self.lang, loss=self.loss)]
        if self.steps:
            seed.append(phrase("animate.frame_next", self.lang, op=first_op))
        if self.collapsed:
            seed.append(phrase("animate.collapsed", self.lang, ops=len(self.graph.ops)))
        frames = [Frame(0, None, phrase("animate.frame_seed_title", self.lang, last=last), seed)]
        totals, received = self._contribution_counts(), {}
        for number, step in enumerate(self.steps, 1):
            lines = describe_step(self.graph, step, number, lang=self.lang, precision=self.precision)
            for parent, _ in self._contributions(step):
                key = id(parent)
                received[key] = received.get(key, 0) + 1
                if totals[key] > 1:
                    name = self.graph.name(parent)
                    lines.append("      " + (
                        phrase("animate.complete_sum", self.lang, name=name, total=totals[key])
                        if received[key] == totals[key] else
                        phrase("animate.partial_sum", self.lang, name=name, count=received[key], total=totals[key])))
            if number == last:
                lines.append(phrase("animate.finished", self.lang))
            title = phrase("animate.frame_step_title", self.lang, step=number, last=last, op=step.op.name)
            frames.append(Frame(number, step, title, lines))
        return frames

    # ------------------------------------------------------------------ DOT

    def _node_attrs(self, node: str, frame: int | None) -> str:
        """A node's extra DOT attributes in ``frame`` (None: the page's drawing, styled by its script)."""
        if frame is None:
            return ""
        steps = self.op_steps.get(node, [])
        if frame in steps:
            return CURRENT_OP
        return "" if any(s < frame for s in steps) else WAITING

    def _gradient_label(self, gradient: _Gradient, frame: int | None) -> tuple[str, str]:
        """The node's label and extra attributes in ``frame``; for the page, the widest text of every frame."""
        if frame is None:
            rows = [values for _, _, values in gradient.history] + [["?"]]
            width = max((len(r) for r in rows), default=0)
            widest = [max((r[n] for r in rows if n < len(r)), key=len) for n in range(width)]
            return "\n".join([*gradient.heading, *widest]), ""
        entry = gradient.at(frame)
        if entry is None:
            values = ["?"] if gradient.history and gradient.history[-1][2] else []
            return "\n".join([*gradient.heading, *values]), WAITING
        changed, state, values = entry
        attrs = FRESH_GRADIENT if changed == frame else ""
        if state == "partial":
            attrs += ' style="rounded,filled,dashed"'
        return "\n".join([*gradient.heading, *values]), attrs

    def dot(self, frame: int | None = None, sizes: Mapping[str, tuple[float, float]] | None = None) -> str:
        """The DOT text of the backward picture at ``frame``, or (None) the page's one drawing of every frame.

        ``sizes`` (inches, from a first layout) fixes each node's size so that every frame's picture
        has the same layout. Needs no graphviz program.

        >>> import tinygrad_vn as tg
        >>> x = tg.tensor([2.0], requires_grad=True)
        >>> print(build((x * 3).sum()).dot(1).splitlines()[0])
        digraph backprop {
        """
        graph, drawer = self.graph, self.drawer
        nodes: list[tuple[str, str | None, str]] = []
        for tensor in graph.tensors:
            gradient = self.gradients.get(id(tensor))
            if gradient is None:
                continue
            kind = drawer._kind(tensor)
            style = viz.STYLE["parameter" if kind == "parameter" else "loss" if kind == "loss" else "gradient"]
            label, attrs = self._gradient_label(gradient, frame)
            nodes.append((gradient.node, drawer.module_of.get(id(tensor)),
                          f'id="{gradient.node}" class="gradient" label={viz._quote(label)} {style} {attrs}'))
        for op in reversed(graph.ops):
            node = self._op_node(op, "b")
            if node == f"bo{op.position}":
                label = "\n".join([op.name, *drawer._rule_lines(op)])
                nodes.append((node, op.module, f'id="{node}" class="op" label={viz._quote(label)} '
                                               f'{viz.STYLE["op"]} {self._node_attrs(node, frame)}'))
        if sizes is not None:
            nodes = [(n, m, f"{a} width={sizes[n][0]} height={sizes[n][1]} fixedsize=true") for n, m, a in nodes]
        edges = []
        for edge in self.edges:
            state = "" if frame is None else CURRENT_EDGE if frame in edge.steps else \
                "" if any(s < frame for s in edge.steps) else WAITING_EDGE
            edges.append((edge.tail, edge.head, f'{viz.BACKWARD_EDGE} id="{edge.edge_id}" {state}'.strip(),
                          edge.label))
        body = drawer._emit(nodes, edges, "b", None, self._module_label)
        if self.collapsed:
            body = [self._box_line(line, frame, sizes) for line in body]
        graph_attrs = [f"rankdir={self.rankdir}", "nodesep=0.25", "ranksep=0.35", "fontname=Helvetica"]
        if frame is not None:
            graph_attrs += [f"label={self._caption(frame)}", "labelloc=t", "labeljust=l"]
        return "\n".join([
            "digraph backprop {",
            f"\tgraph [{' '.join(graph_attrs)}]",
            '\tnode [fontname=Helvetica fontsize=11 margin="0.08,0.04" height=0.3]',
            "\tedge [fontname=Helvetica fontsize=9 arrowsize=0.7]",
            *(line.rstrip("\n") for line in body), "}", ""])

    def _box_line(self, line: str, frame: int | None, sizes: Mapping[str, tuple[float, float]] | None) -> str:
        """A collapsed module box's DOT line with its id, and its state and fixed size in a frame."""
        found = re.match(r"\t(bm\d+) \[", line)
        if found is None:
            return line
        node = found.group(1)
        extra = f'id="{node}" class="op" {self._node_attrs(node, frame)}'.strip()
        if sizes is not None:
            extra += f" width={sizes[node][0]} height={sizes[node][1]} fixedsize=true"
        return line[:line.rindex("]")] + f" {extra}]\n"

    def _module_label(self, module: str) -> str:
        graph = self.graph
        rules = [line for op in reversed(graph.ops) if op.module == module for line in self.drawer._rule_lines(op)]
        heading = phrase("animate.module_box", self.lang, module=module, kind=type(graph.modules[module]).__name__)
        return "\n".join([heading, *rules])

    def _caption(self, frame: int) -> str:
        """The frame's title and lines as a fixed-size HTML-like label, the same size in every frame."""
        lines_needed = max(len(f.lines) for f in self.frames) + 1
        widest = max(len(text) for f in self.frames for text in (f.title, *f.lines))
        width = int(widest * CAPTION_CHAR_WIDTH) + 16
        height = int(lines_needed * CAPTION_LINE_HEIGHT) + 12
        shown = self.frames[frame]
        rows = "".join(f'{_html_label_text(line)}<BR ALIGN="LEFT"/>' for line in shown.lines)
        return (f'<<TABLE BORDER="0" CELLPADDING="4" FIXEDSIZE="TRUE" WIDTH="{width}" HEIGHT="{height}">'
                f'<TR><TD ALIGN="LEFT" BALIGN="LEFT" VALIGN="TOP"><B>{_html_label_text(shown.title)}</B>'
                f'<BR ALIGN="LEFT"/>{rows}</TD></TR></TABLE>>')

    def _forward_dot(self) -> str:
        """The DOT text of the forward picture with values, in this animation's language."""
        scalar = phrase("animate.scalar", self.lang)
        body = [line.replace("\\nscalar ", f"\\n{scalar} ") for line in self.drawer.forward("f", None)]
        return "\n".join([
            "digraph forward {",
            f"\tgraph [rankdir={self.rankdir} nodesep=0.25 ranksep=0.35 fontname=Helvetica]",
            '\tnode [fontname=Helvetica fontsize=11 margin="0.08,0.04" height=0.3]',
            "\tedge [fontname=Helvetica fontsize=9 arrowsize=0.7]",
            *(line.rstrip("\n") for line in body), "}", ""])

    # ------------------------------------------------------------------ writing

    def _page(self) -> str:
        """The self-contained page: inline SVG, style and script, no address outside it. Needs ``dot``."""
        lang = self.lang
        data = {
            "frames": [{"title": f.title, "lines": f.lines} for f in self.frames],
            "ops": self.op_steps,
            "forward": {node: self._forward_twin(node) for node in self.op_steps},
            "edges": {edge.edge_id: edge.steps for edge in self.edges},
            "gradients": {g.node: [[n, state, values] for n, state, values in g.history]
                          for g in self.gradients.values()},
            "delay": self.delay_ms,
            "play": phrase("animate.play", lang),
            "pause": phrase("animate.pause", lang),
        }
        words = {key: html.escape(phrase(f"animate.{key}", lang, loss=self.loss)) for key in (
            "page_title", "previous", "next", "play", "slider", "show_forward", "backward_graph", "forward_graph",
            "keys", "legend_current", "legend_fresh", "legend_partial", "legend_pending", "no_script")}
        return PAGE.format(
            lang=lang, **words, last=len(self.steps),
            backward_svg=_inline_svg(_run_dot(self.dot(), "svg").decode("utf-8"), ""),
            forward_svg=_inline_svg(_run_dot(self._forward_dot(), "svg").decode("utf-8"), "fwd-"),
            data=json.dumps(data, ensure_ascii=False).replace("</", "<\\/"),
            style=STYLE_SHEET, script=SCRIPT)

    def _forward_twin(self, backward_node: str) -> str:
        """The forward picture's node for a backward op node (``bo3`` → ``fo3``, ``bm1`` → ``fm1``)."""
        return "f" + backward_node[1:]

    def _write_html(self, path: str | Path) -> str:
        """Write :meth:`html` to ``path`` and return the path written."""
        page = self._page()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
        return str(path)

    def _png_frames(self) -> list[bytes]:
        """Every frame as PNG bytes, all laid out alike (node sizes fixed from one first layout)."""
        sizes = _node_sizes(_run_dot(self.dot(), "plain").decode("utf-8"))
        return [_run_dot(self.dot(n, sizes), "png", dpi=PNG_DPI) for n in range(self.frame_count)]

    def _write_png(self, path: str | Path) -> list[str]:
        """Write the frames as ``STEM_000.png``, ``STEM_001.png``, ... beside ``path``; return their paths."""
        path = Path(path)
        pictures = self._png_frames()
        digits = max(3, len(str(len(pictures) - 1)))
        path.parent.mkdir(parents=True, exist_ok=True)
        written = []
        for number, picture in enumerate(pictures):
            frame_path = path.with_name(f"{path.stem}_{number:0{digits}d}.png")
            frame_path.write_bytes(picture)
            written.append(str(frame_path))
        return written

    def _write_gif(self, path: str | Path) -> str:
        """Write the frames as one looping GIF, ``delay_ms`` per frame (the last one shown three times as long)."""
        try:
            from PIL import Image
        except ImportError:
            raise PillowNotFoundError(INSTALL_PILLOW) from None
        import io

        images = [Image.open(io.BytesIO(picture)).convert("RGB") for picture in self._png_frames()]
        width = max(image.width for image in images)
        height = max(image.height for image in images)
        canvases = []
        for image in images:
            canvas = Image.new("RGB", (width, height), "white")
            canvas.paste(image, (0, 0))
            canvases.append(canvas.convert("P", palette=Image.Palette.ADAPTIVE))
        durations = [self.delay_ms] * (len(canvases) - 1) + [3 * self.delay_ms]
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        canvases[0].save(path, format="GIF", save_all=True, append_images=canvases[1:], duration=durations,
                         loop=0, disposal=1)
        return str(path)


def build(loss: Any, *, model: Any = None, names: Mapping[str, Any] | None = None, lang: str = "en",
          precision: int = 3, collapse: str | None = None, max_elements: int = 8, rankdir: str = "TB",
          delay_ms: int = DEFAULT_DELAY_MS) -> Animation:
    """The frames of ``loss``'s backward pass (no picture drawn yet, so no graphviz program is needed).

    ``model`` names parameters and modules; ``collapse="module"`` draws each module as one box (done by
    itself above :data:`MAX_OPS` ops when a model is given). ``lang`` is "en" or "vi", ``precision``
    the significant digits, ``max_elements`` the largest gradient whose values are written out,
    ``delay_ms`` the time per frame when playing. Leaves every ``.grad`` as it was.

    >>> import tinygrad_vn as tg
    >>> x = tg.tensor([2.0], requires_grad=True)
    >>> animation = build((x * 3).sum())
    >>> animation.frame_count, animation.frames[1].title
    (3, 'Step 1 of 2: Sum')
    """
    check_language(lang)
    if collapse not in (None, "module"):
        raise ValueError(f"collapse must be None or 'module', got {collapse!r}")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"rankdir must be 'TB' or 'LR', got {rankdir!r}")
    if not isinstance(precision, int) or precision < 1:
        raise ValueError(f"precision must be a positive whole number of significant digits, got {precision!r}")
    if not isinstance(delay_ms, int) or delay_ms < 20:
        raise ValueError(f"delay_ms must be a whole number of milliseconds, at least 20, got {delay_ms!r}")
    if not getattr(loss, "requires_grad", False):
        raise ValueError("the loss needs a gradient to animate: no input with requires_grad=True went into it")
    graph = dag.build(loss, model=model, names=names)
    if collapse == "module" and model is None:
        raise ValueError("collapse='module' needs model= (the Module whose modules become the boxes)")
    if len(graph.ops) > MAX_OPS and collapse is None:
        if model is None:
            raise ValueError(f"the graph has {len(graph.ops)} ops, more than the {MAX_OPS} an animation draws one "
                             "by one: pass model= (the Module that made it) and each module is drawn as one box "
                             "(collapse='module'), or animate a smaller piece")
        collapse = "module"
    steps, _ = dag.run_backward(graph)
    animation = Animation(graph, steps, lang=lang, precision=precision, collapse=collapse == "module",
                          max_elements=max_elements, rankdir=rankdir, delay_ms=delay_ms)
    drawn = len(animation.op_steps)
    if drawn > MAX_OPS:
        raise ValueError(f"even with each module as one box the graph has {drawn} ops and boxes to draw, more than "
                         f"the {MAX_OPS} an animation draws; animate a smaller piece of it")
    return animation


def animate(loss: Any, path: str | Path = "backprop.html", *, format: str | None = None,
            **options: Any) -> list[str]:
    """Write ``loss``'s backward pass step by step to ``path`` and return the files written.

    ``format`` is "html" (one self-contained page), "png" (``STEM_000.png``, ... beside ``path``, one
    per frame) or "gif" (needs Pillow); by default the path's suffix, else html (the suffix is added).
    ``options`` are :func:`build`'s (``model=``, ``lang=``, ``collapse=``, ...). Needs graphviz's ``dot``
    (a :class:`tinygrad_vn.viz.GraphvizNotFoundError` says how to install it).

    >>> import tinygrad_vn as tg
    >>> x = tg.tensor([2.0], requires_grad=True)
    >>> animate((x * 3).sum(), "steps.mp4")
    Traceback (most recent call last):
    ...
    ValueError: format must be one of ('html', 'png', 'gif'), got 'mp4'
    """
    path = Path(path)
    suffix = path.suffix.lstrip(".").lower()
    format = (format or {"htm": "html"}.get(suffix, suffix) or "html").lower()
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
    if path.suffix.lower() not in (f".{format}", ".htm" if format == "html" else f".{format}"):
        path = path.with_name(f"{path.name}.{format}")
    if format == "gif":
        _require_pillow()
    if shutil.which("dot") is None:
        raise viz.GraphvizNotFoundError(viz.INSTALL_GRAPHVIZ)
    animation = build(loss, **options)
    if format == "html":
        return [animation._write_html(path)]
    if format == "png":
        return animation._write_png(path)
    return [animation._write_gif(path)]


def _require_pillow() -> None:
    try:
        import PIL  # noqa: F401
    except ImportError:
        raise PillowNotFoundError(INSTALL_PILLOW) from None


def _run_dot(source: str, fmt: str, dpi: str | None = None) -> bytes:
    """``dot -Tfmt`` on ``source``; a GraphvizNotFoundError without the program."""
    if shutil.which("dot") is None:
        raise viz.GraphvizNotFoundError(viz.INSTALL_GRAPHVIZ)
    command = ["dot", f"-T{fmt}", *([f"-Gdpi={dpi}"] if dpi else [])]
    done = subprocess.run(command, input=source.encode("utf-8"), capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"graphviz's dot failed on the animation's picture: {done.stderr.decode(errors='replace')}")
    return done.stdout


def _node_sizes(plain: str) -> dict[str, tuple[float, float]]:
    """Each node's (width, height) in inches from ``dot -Tplain`` output."""
    sizes = {}
    for line in plain.splitlines():
        parts = line.split()
        if parts and parts[0] == "node":
            sizes[parts[1].strip('"')] = (float(parts[4]), float(parts[5]))
    return sizes


def _html_label_text(text: str) -> str:
    """Text for a graphviz HTML-like label: escaped, with its leading spaces kept."""
    stripped = text.lstrip(" ")
    return "&#160;" * (len(text) - len(stripped)) + html.escape(stripped, quote=False)


def _inline_svg(svg: str, id_prefix: str) -> str:
    """Graphviz's SVG made fit to sit inside a page: no XML prolog, doctype, comments or namespace URLs."""
    start = svg.index("<svg")
    body = re.sub(r"<!--.*?-->\n?", "", svg[start:], flags=re.S)
    body = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", body)
    if id_prefix:
        body = body.replace(' id="', f' id="{id_prefix}')
    return body.strip()


STYLE_SHEET = """
body { font-family: Helvetica, Arial, sans-serif; margin: 0; color: #212529; }
header { position: sticky; top: 0; background: #f8f9fa; border-bottom: 1px solid #dee2e6; padding: 8px 16px;
         z-index: 1; }
h1 { font-size: 18px; margin: 0 0 6px 0; }
.controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.controls button { font-size: 14px; padding: 3px 10px; }
#step-slider { width: 320px; }
#caption { padding: 8px 16px; border-bottom: 1px solid #dee2e6; }
#frame-title { font-size: 16px; margin: 0 0 4px 0; }
#frame-lines { margin: 0; font-size: 13px; white-space: pre-wrap; }
#graphs { display: flex; gap: 16px; align-items: flex-start; padding: 8px 16px; overflow-x: auto; }
figure { margin: 0; }
figcaption { font-weight: bold; margin-bottom: 4px; }
footer { padding: 8px 16px; font-size: 12px; color: #495057; }
footer span { margin-right: 16px; }
.node.op.current ellipse, .node.op.current polygon { fill: #ff922b; stroke: #d9480f; stroke-width: 3px; }
.node.waiting ellipse, .node.waiting polygon, .node.waiting path { fill: #f8f9fa; stroke: #ced4da; }
.node.waiting text { fill: #adb5bd; }
.node.gradient.fresh polygon, .node.gradient.fresh path { stroke: #2f9e44; stroke-width: 3px; }
.node.gradient.partial polygon, .node.gradient.partial path { stroke-dasharray: 5 3; }
.edge.current path { stroke-width: 2.5px; }
.edge.waiting path, .edge.waiting polygon { stroke: #dee2e6; fill: #dee2e6; }
.edge.waiting text { fill: #ced4da; }
#forward .node.current ellipse, #forward .node.current polygon { fill: #ff922b; stroke: #d9480f;
                                                                 stroke-width: 3px; }
.swatch { display: inline-block; width: 12px; height: 12px; vertical-align: middle; margin-right: 4px;
          border: 2px solid #868e96; }
"""

SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("animation-data").textContent);
  var last = data.frames.length - 1;
  var slider = document.getElementById("step-slider");
  var playButton = document.getElementById("play");
  var counter = document.getElementById("counter");
  var titleBox = document.getElementById("frame-title");
  var linesBox = document.getElementById("frame-lines");
  var forwardByTitle = {};
  document.querySelectorAll("#forward g.node").forEach(function (g) {
    var title = g.querySelector("title");
    if (title) { forwardByTitle[title.textContent] = g; }
  });
  var ops = Object.keys(data.ops).map(function (id) {
    return [document.getElementById(id), data.ops[id], forwardByTitle[data.forward[id]]];
  });
  var edges = Object.keys(data.edges).map(function (id) { return [document.getElementById(id), data.edges[id]]; });
  var gradients = Object.keys(data.gradients).map(function (id) {
    return [document.getElementById(id), data.gradients[id]];
  });
  var frame = 0;
  var timer = null;

  function classify(element, steps, k) {
    if (!element) { return; }
    var current = steps.indexOf(k) >= 0;
    var done = !current && steps.some(function (s) { return s < k; });
    element.classList.toggle("current", current);
    element.classList.toggle("done", done);
    element.classList.toggle("waiting", !current && !done);
  }

  function fill(element, history, k) {
    var entry = null;
    for (var n = 0; n < history.length && history[n][0] <= k; n++) { entry = history[n]; }
    var texts = element.querySelectorAll("text");
    var values = entry ? entry[2] : ["?"];
    for (var i = 2; i < texts.length; i++) { texts[i].textContent = values[i - 2] || ""; }
    element.classList.toggle("waiting", entry === null);
    element.classList.toggle("fresh", entry !== null && entry[0] === k);
    element.classList.toggle("partial", entry !== null && entry[1] === "partial");
    element.classList.toggle("complete", entry !== null && entry[1] === "complete");
  }

  function show(k) {
    frame = Math.max(0, Math.min(last, k));
    document.body.setAttribute("data-frame", String(frame));
    slider.value = String(frame);
    counter.textContent = frame + " / " + last;
    ops.forEach(function (op) {
      classify(op[0], op[1], frame);
      if (op[2]) { op[2].classList.toggle("current", op[1].indexOf(frame) >= 0); }
    });
    edges.forEach(function (edge) { classify(edge[0], edge[1], frame); });
    gradients.forEach(function (gradient) { if (gradient[0]) { fill(gradient[0], gradient[1], frame); } });
    titleBox.textContent = data.frames[frame].title;
    linesBox.textContent = data.frames[frame].lines.join("\\n");
  }

  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    playButton.textContent = data.play;
  }

  function play() {
    if (timer !== null) { stop(); return; }
    if (frame >= last) { show(0); }
    playButton.textContent = data.pause;
    timer = setInterval(function () { if (frame >= last) { stop(); } else { show(frame + 1); } }, data.delay);
  }

  document.getElementById("previous").addEventListener("click", function () { stop(); show(frame - 1); });
  document.getElementById("next").addEventListener("click", function () { stop(); show(frame + 1); });
  playButton.addEventListener("click", play);
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  document.getElementById("show-forward").addEventListener("change", function (event) {
    document.getElementById("forward").hidden = !event.target.checked;
  });
  document.addEventListener("keydown", function (event) {
    if (event.target === slider || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var moves = {ArrowRight: frame + 1, ArrowDown: frame + 1, ArrowLeft: frame - 1, ArrowUp: frame - 1,
                 Home: 0, End: last};
    if (event.key in moves) { stop(); show(moves[event.key]); event.preventDefault(); }
    else if (event.key === " ") { play(); event.preventDefault(); }
  });
  show(0);
})();
"""

PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{page_title}</title>
<style>{style}</style>
</head>
<body data-frame="0">
<header>
<h1>{page_title}</h1>
<div class="controls">
<button type="button" id="previous">{previous}</button>
<button type="button" id="play">{play}</button>
<button type="button" id="next">{next}</button>
<label for="step-slider">{slider}</label>
<input type="range" id="step-slider" min="0" max="{last}" step="1" value="0">
<span id="counter">0 / {last}</span>
<label><input type="checkbox" id="show-forward"> {show_forward}</label>
</div>
<noscript>{no_script}</noscript>
</header>
<section id="caption">
<h2 id="frame-title"></h2>
<pre id="frame-lines"></pre>
</section>
<div id="graphs">
<figure id="backward"><figcaption>{backward_graph}</figcaption>
{backward_svg}
</figure>
<figure id="forward" hidden><figcaption>{forward_graph}</figcaption>
{forward_svg}
</figure>
</div>
<footer>
<span><i class="swatch" style="background:#ff922b;border-color:#d9480f"></i>{legend_current}</span>
<span><i class="swatch" style="border-color:#2f9e44"></i>{legend_fresh}</span>
<span><i class="swatch" style="border-style:dashed"></i>{legend_partial}</span>
<span><i class="swatch" style="background:#f8f9fa;border-color:#ced4da"></i>{legend_pending}</span>
<p>{keys}</p>
</footer>
<script type="application/json" id="animation-data">{data}</script>
<script>{script}</script>
</body>
</html>
"""
