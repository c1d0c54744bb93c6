"""``tinygrad-vn graph``: draw an example's feedforward and backward graphs to SVG, PNG, PDF or DOT files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .examples import add_example_arguments

FORMATS = ("svg", "png", "pdf", "dot")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``graph`` subcommand."""
    parser = subparsers.add_parser(
        "graph", help="draw an example's forward and backward graphs (graphviz)",
        description="Write EXAMPLE_forward.FORMAT and EXAMPLE_backward.FORMAT into --out. The pictures "
                    "need graphviz's `dot` program; --format dot writes the DOT text without it.")
    add_example_arguments(parser)
    parser.add_argument("--format", choices=FORMATS, default="svg", help="picture format (default svg)")
    parser.add_argument("--out", default=".", help="folder to write into (default: the current one)")
    parser.add_argument("--rankdir", choices=("TB", "LR"), default="TB",
                        help="TB draws top to bottom, which reads best in a file; LR left to right (default TB)")
    parser.add_argument("--collapse", action="store_true", help="draw each module as one box")
    parser.add_argument("--lang", choices=("en", "vi"), default="en", help="language of the labels (default en)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write both pictures and print their paths; exit 1 with install advice if `dot` is missing.

    ``--out`` is created and checked writable first (a user error otherwise).
    """
    from tinygrad_vn import viz
    from tinygrad_vn.train import prepare_output_folder

    prepare_output_folder(args.out, "--out")
    try:
        paths = write_graphs(args.example, args.layers, args.format, Path(args.out), args.rankdir, args.collapse,
                             args.lang)
    except viz.GraphvizNotFoundError as err:
        print(f"tinygrad-vn graph: {err}", file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    return 0


def write_graphs(example_name: str, layers: str | Sequence[int], fmt: str, out: Path, rankdir: str = "TB",
                 collapse: bool = False, lang: str = "en") -> list[Path]:
    """Draw an example's forward and backward graphs into ``out``; returns the two paths.

    Raises ``viz.GraphvizNotFoundError`` when a picture format is asked for and `dot` is missing.
    """
    from tinygrad_vn import viz

    from .examples import build_example

    options = {"rankdir": rankdir, "collapse": "module" if collapse else None, "lang": lang}
    paths = []
    for mode in ("forward", "backward"):
        example = build_example(example_name, layers)
        path = out / f"{example_name}_{mode}.{fmt}"
        if fmt == "dot":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(viz.to_dot(example.loss, mode, model=example.model, **options), encoding="utf-8")
        else:
            viz.render(example.loss, path, fmt, mode, model=example.model, **options)
        paths.append(path)
    return paths
