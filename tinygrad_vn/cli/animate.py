"""``tinygrad-vn animate``: an example's backward pass step by step, as one HTML page, PNG frames or a GIF.

The help text comes from the phrase table in the command line's language: ``--lang vi --help`` (or
``$TINYGRAD_VN_LANG=vi``) shows it in Vietnamese.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .arguments import help_language, translated_help
from .examples import add_example_arguments

FORMATS = ("html", "png", "gif")
DEFAULT_PRECISION = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``animate`` subcommand, its help in the command line's language (see ``help_language``)."""
    from tinygrad_vn.animate import DEFAULT_DELAY_MS, MAX_OPS
    from tinygrad_vn.phrases import phrase

    lang = help_language()

    def words(key: str, **fields: object) -> str:
        return phrase(f"animate.cli_{key}", lang, **fields)

    parser = translated_help(subparsers.add_parser("animate", help=words("help"), add_help=False,
                                                   description=words("description")), lang)
    add_example_arguments(parser, lang)
    parser.add_argument("--format", choices=FORMATS, default="html", help=words("format"))
    parser.add_argument("--out", default=".", help=words("out"))
    parser.add_argument("--lang", choices=("en", "vi"), default="en", help=words("lang"))
    parser.add_argument("--precision", type=int, default=DEFAULT_PRECISION,
                        help=words("precision", default=DEFAULT_PRECISION))
    parser.add_argument("--collapse", action="store_true", help=words("collapse", ops=MAX_OPS))
    parser.add_argument("--delay", type=int, default=DEFAULT_DELAY_MS, metavar="MS",
                        help=words("delay", default=DEFAULT_DELAY_MS))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the animation into ``--out`` and print the paths written; one ``error:`` line for a bad input."""
    from tinygrad_vn import viz
    from tinygrad_vn.animate import PillowNotFoundError, animate
    from tinygrad_vn.train import prepare_output_folder

    from ._user_errors import report_error
    from .examples import build_example

    prepare_output_folder(args.out, "--out")
    example = build_example(args.example, args.layers)
    path = Path(args.out) / f"{args.example}_backprop.{args.format}"
    try:
        written = animate(example.loss, path, model=example.model, lang=args.lang, precision=args.precision,
                          collapse="module" if args.collapse else None, delay_ms=args.delay)
    except (viz.GraphvizNotFoundError, PillowNotFoundError) as err:
        report_error("animate", err)
        return 1
    for name in written:
        print(name, file=sys.stdout)
    return 0
