"""The ``tinygrad-vn`` command line.

Each subcommand lives in its own module of this package and exposes ``register(subparsers)``, which
adds its parser and sets ``func`` (called with the parsed arguments, returning an exit code).
Command modules import heavy things inside ``func`` so that ``--help`` stays fast. A user error
raised by any command (see ``_user_errors``) ends as one ``error:`` line and exit 1, Ctrl-C as one
line and exit 130; never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ._user_errors import run_reporting_errors
from .arguments import command_line

SUBCOMMANDS = ("demo", "graph", "explain", "train", "eval", "export", "warmup", "bench", "exercise", "animate")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered; the teaching commands' help is in the language
    of the ``--lang`` in ``argv`` (else ``$TINYGRAD_VN_LANG``, else English)."""
    with command_line(argv):
        return _build_parser()


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-vn",
        description="tinygrad_vn: a small autodiff framework that explains its own backward pass.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``tinygrad-vn`` and ``python -m tinygrad_vn``."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    return run_reporting_errors(args.command, lambda: int(args.func(args) or 0))
