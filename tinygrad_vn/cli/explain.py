"""``tinygrad-vn explain``: print the backprop equations the engine applied to an example."""

from __future__ import annotations

import argparse

from .arguments import help_language, translated_help
from .examples import add_example_arguments

DEFAULT_PRECISION = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``explain`` subcommand, its help in the command line's language (see ``help_language``)."""
    from tinygrad_vn.phrases import phrase

    lang = help_language()

    def words(key: str, **fields: object) -> str:
        return phrase(f"commands.{key}", lang, **fields)

    parser = translated_help(subparsers.add_parser("explain", help=words("explain.help"), add_help=False,
                                                   description=words("explain.description")), lang)
    add_example_arguments(parser, lang)
    parser.add_argument("--lang", choices=("en", "vi"), default="en", help=words("lang"))
    parser.add_argument("--precision", type=int, default=DEFAULT_PRECISION,
                        help=words("explain.precision", default=DEFAULT_PRECISION))
    parser.add_argument("--format", choices=("text", "markdown", "latex"), default="text",
                        help=words("explain.format"))
    parser.add_argument("--paths", action="store_true", help=words("explain.paths"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the explanation."""
    from tinygrad_vn import explain

    from .examples import build_example

    example = build_example(args.example, args.layers)
    print(explain(example.loss, example.model, lang=args.lang, precision=args.precision, paths=args.paths,
                  format=args.format), end="")
    return 0
