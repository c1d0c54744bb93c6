"""``tinygrad-vn graph``: draw an example's feedforward and backward graphs to SVG, PNG, PDF or DOT files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .arguments import help_language, translated_help
from .examples import add_example_arguments

FORMATS = ("svg", "png", "pdf", "dot")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``graph`` subcommand, its help in the command line's language (see ``help_language``)."""
    from tinygrad_vn.phrases import phrase

    lang = help_language()

    def words(key: str) -> str:
        return phrase(f"commands.{key}", lang)

    parser = translated_help(subparsers.add_parser("graph", help=words("graph.help"), add_help=False,
                                                   description=words("graph.description")), lang)
    add_example_arguments(parser, lang)
    parser.add_argument("--format", choices=FORMATS, default="svg", help=words("graph.format"))
    parser.add_argument("--out", default=".", help=words("graph.out"))
    parser.add_argument("--rankdir", choices=("TB", "LR"), default="TB", help=words("graph.rankdir"))
    parser.add_argument("--collapse", action="store_true", help=words("graph.collapse"))
    parser.add_argument("--lang", choices=("en", "vi"), default="en", help=words("lang"))
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
