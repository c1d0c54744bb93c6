"""``tinygrad-vn animate``: an example's backward pass step by step, as one HTML page, PNG frames or a GIF.

The help text comes from the phrase table; ``--lang vi --help`` shows it in Vietnamese.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .examples import DEFAULT_LAYERS, EXAMPLES, add_example_arguments

FORMATS = ("html", "png", "gif")
DEFAULT_PRECISION = 3


def _help_texts(lang: str) -> dict[str, str]:
    """The help of each option (by its destination) and of the command, in ``lang``."""
    from tinygrad_vn.animate import DEFAULT_DELAY_MS, MAX_OPS
    from tinygrad_vn.phrases import phrase

    return {
        "command": phrase("animate.cli_help", lang),
        "description": phrase("animate.cli_description", lang),
        "help": phrase("animate.cli_help_option", lang),
        "usage": phrase("animate.cli_usage", lang),
        "options": phrase("animate.cli_options", lang),
        "example": phrase("animate.cli_example", lang, choices=", ".join(EXAMPLES), default=EXAMPLES[0]),
        "layers": phrase("animate.cli_layers", lang, default=DEFAULT_LAYERS),
        "format": phrase("animate.cli_format", lang),
        "out": phrase("animate.cli_out", lang),
        "lang": phrase("animate.cli_lang", lang),
        "precision": phrase("animate.cli_precision", lang, default=DEFAULT_PRECISION),
        "collapse": phrase("animate.cli_collapse", lang, ops=MAX_OPS),
        "delay": phrase("animate.cli_delay", lang, default=DEFAULT_DELAY_MS),
    }


class _HelpInLanguage(argparse.Action):
    """``--help`` that writes the help in the language of a ``--lang`` given before it."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        _translate(parser, getattr(namespace, "lang", "en"))
        parser.print_help()
        parser.exit()


def _translate(parser: argparse.ArgumentParser, lang: str) -> None:
    texts = _help_texts(lang)
    parser.description = texts["description"]
    parser._optionals.title = texts["options"]
    usage_prefix = texts["usage"]

    class Formatter(argparse.HelpFormatter):
        def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
            super().add_usage(usage, actions, groups, usage_prefix)

    parser.formatter_class = Formatter
    for action in parser._actions:
        if action.dest in texts:
            action.help = texts[action.dest]
        elif isinstance(action, _HelpInLanguage):
            action.help = texts["help"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``animate`` subcommand."""
    from tinygrad_vn.animate import DEFAULT_DELAY_MS

    texts = _help_texts("en")
    parser = subparsers.add_parser("animate", help=texts["command"], add_help=False)
    parser.add_argument("-h", "--help", action=_HelpInLanguage)
    add_example_arguments(parser)
    parser.add_argument("--format", choices=FORMATS, default="html")
    parser.add_argument("--out", default=".")
    parser.add_argument("--lang", choices=("en", "vi"), default="en")
    parser.add_argument("--precision", type=int, default=DEFAULT_PRECISION)
    parser.add_argument("--collapse", action="store_true")
    parser.add_argument("--delay", type=int, default=DEFAULT_DELAY_MS, metavar="MS")
    _translate(parser, "en")
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
