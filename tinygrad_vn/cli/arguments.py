"""Argument types shared by the subcommands (each turns bad text into argparse's one-line error), and the
language of the teaching commands' help.

The help of ``explain``, ``graph``, ``animate``, ``exercise`` and ``check`` comes from the phrase table in
one language, chosen before the parser is built: the ``--lang`` on the command line (``tinygrad-vn explain
--lang vi --help``), else ``$TINYGRAD_VN_LANG``, else English. :func:`translated_help` sets a parser's
``usage:``, ``options`` and ``-h`` in that language.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

LANGUAGE_VARIABLE = "TINYGRAD_VN_LANG"
_COMMAND_LINE: ContextVar[Sequence[str] | None] = ContextVar("command_line", default=None)


@contextmanager
def command_line(argv: Sequence[str] | None) -> Iterator[None]:
    """While parsers are built, :func:`help_language` reads its ``--lang`` from ``argv``.

    >>> with command_line(["explain", "--lang", "vi", "--help"]):
    ...     help_language()
    'vi'
    """
    token = _COMMAND_LINE.set(list(argv) if argv is not None else None)
    try:
        yield
    finally:
        _COMMAND_LINE.reset(token)


def help_language(argv: Sequence[str] | None = None) -> str:
    """The language of the teaching commands' help: the value of ``--lang`` in ``argv`` (by default the command
    line being parsed, see :func:`command_line`) when the phrase table has it, else ``$TINYGRAD_VN_LANG``
    when the table has that, else English.

    >>> help_language(["graph", "--lang=vi"])
    'vi'
    >>> help_language(["graph", "--lang", "fr"]) == help_language([])
    True
    """
    from tinygrad_vn.phrases import languages

    words = list(argv) if argv is not None else list(_COMMAND_LINE.get() or ())
    known = languages()
    for n, word in enumerate(words):
        if word == "--":
            break
        value = words[n + 1] if word == "--lang" and n + 1 < len(words) else word.partition("=")[2] \
            if word.startswith("--lang=") else None
        if value in known:
            return value
    wanted = os.environ.get(LANGUAGE_VARIABLE, "en")
    return wanted if wanted in known else "en"


def translated_help(parser: argparse.ArgumentParser, lang: str) -> argparse.ArgumentParser:
    """``parser`` with argparse's own words in ``lang``: the ``usage:`` prefix, the ``options`` heading, and a
    ``-h, --help`` option whose help is the phrase table's (make the parser with ``add_help=False``).

    >>> import argparse
    >>> parser = translated_help(argparse.ArgumentParser(prog="x", add_help=False), "vi")
    >>> parser.format_help().splitlines()[0]
    'cách dùng: x [-h]'
    """
    from tinygrad_vn.phrases import phrase

    usage_prefix = phrase("commands.usage", lang)

    class Formatter(argparse.HelpFormatter):
        def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
            super().add_usage(usage, actions, groups, usage_prefix)

    parser.formatter_class = Formatter
    parser._optionals.title = phrase("commands.options", lang)
    parser._positionals.title = phrase("commands.positionals", lang)
    parser.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help=phrase("commands.help", lang))
    return parser


def positive_int(text: str) -> int:
    """An integer of at least 1, or an argparse error that says so."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def non_negative_int(text: str) -> int:
    """An integer of at least 0 (a seed), or an argparse error that says so."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer of at least 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer of at least 0, got {text}")
    return value


def _finite_float(text: str, wanted: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text}")
    return value


def positive_float(text: str) -> float:
    """A finite number above 0 (a learning rate); NaN and infinity are refused."""
    value = _finite_float(text, "a finite number above 0")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite number above 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """A finite number of at least 0 (a weight decay); NaN, infinity and negatives are refused."""
    value = _finite_float(text, "a finite number of at least 0")
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a finite number of at least 0, got {text}")
    return value


def unit_interval_float(text: str) -> float:
    """A finite number in [0, 1) (a momentum, a dropout probability); NaN, infinity and 1 or more are refused."""
    value = _finite_float(text, "a number in [0, 1)")
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text}")
    return value


def parse_layer_sizes(text: str) -> tuple[int, ...]:
    """``"784,128,10"`` as ``(784, 128, 10)``; a ValueError when it is not a sane MLP (see
    :func:`tinygrad_vn.train.check_layer_sizes` for the limits)."""
    from tinygrad_vn.train import check_layer_sizes

    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"layer sizes must be integers separated by commas, like 784,128,10; got {text!r}") from None
    return check_layer_sizes(sizes, "layer sizes")


def layer_sizes(text: str) -> tuple[int, ...]:
    """:func:`parse_layer_sizes` as an argparse type."""
    try:
        return parse_layer_sizes(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
