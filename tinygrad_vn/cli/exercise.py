"""``tinygrad-vn exercise`` writes a worksheet with numbered blanks; ``tinygrad-vn check`` marks its answers.

The help text comes from the phrase table in the command line's language: its ``--lang`` (``--lang vi
--help``), else ``$TINYGRAD_VN_LANG``, else English (see :func:`.arguments.help_language`). ``check``
exits 0 when every blank is right and 1 when some are wrong or unanswered (or on a user error, reported as
one ``error:`` line).
"""

from __future__ import annotations

import argparse
import sys

from tinygrad_vn.phrases import phrase

from .arguments import help_language, non_negative_float, non_negative_int, positive_int, translated_help
from .examples import add_example_arguments

BLANK_KINDS = ("gradients", "values", "both")
FORMATS = ("svg", "png", "pdf")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``exercise`` and ``check`` subcommands."""
    lang = help_language()

    def words(key: str) -> str:
        return phrase(f"worksheet.help.{key}", lang)

    sheet = translated_help(subparsers.add_parser("exercise", help=words("exercise"), add_help=False,
                                                  description=words("exercise_description")), lang)
    add_example_arguments(sheet, lang)
    sheet.add_argument("--blank", choices=BLANK_KINDS, default="gradients", help=words("blank"))
    sheet.add_argument("--out", default=".", help=words("out"))
    sheet.add_argument("--seed", type=non_negative_int, default=0, help=words("seed"))
    sheet.add_argument("--lang", choices=("en", "vi"), default="en", help=words("lang"))
    sheet.add_argument("--format", choices=FORMATS, default="svg", help=words("format"))
    sheet.add_argument("--precision", type=positive_int, default=3, help=words("precision"))
    sheet.set_defaults(func=run_exercise)

    check = translated_help(subparsers.add_parser("check", help=words("check"), add_help=False,
                                                  description=words("check_description")), lang)
    add_example_arguments(check, lang)
    check.set_defaults(example=None, layers=None)  # taken from --key when it is given
    check.add_argument("--answers", required=True, metavar="FILE", help=words("answers"))
    check.add_argument("--key", metavar="FILE", help=words("key"))
    check.add_argument("--blank", choices=BLANK_KINDS, help=words("check_blank"))
    check.add_argument("--seed", type=non_negative_int, help=words("check_seed"))
    check.add_argument("--tolerance", type=non_negative_float, default=0.01, metavar="T",
                       help=words("tolerance"))
    check.add_argument("--absolute", type=non_negative_float, default=0.001, metavar="A",
                       help=words("absolute"))
    check.add_argument("--lang", choices=("en", "vi"), default="en", help=words("lang"))
    check.add_argument("--precision", type=positive_int, default=3, help=words("precision"))
    check.set_defaults(func=run_check)


def run_exercise(args: argparse.Namespace) -> int:
    """Write the worksheet's files and print their paths; exit 1 with install advice if `dot` is missing."""
    from tinygrad_vn import viz
    from tinygrad_vn.exercise import exercise
    from tinygrad_vn.train import prepare_output_folder

    prepare_output_folder(args.out, "--out")
    try:
        sheet = exercise(args.example, args.blank, args.out, seed=args.seed, lang=args.lang, format=args.format,
                         precision=args.precision, layers=args.layers)
    except viz.GraphvizNotFoundError as err:
        print(f"tinygrad-vn exercise: error: {err}", file=sys.stderr)
        return 1
    for path in sheet.files.values():
        print(path)
    return 0


def run_check(args: argparse.Namespace) -> int:
    """Print the marking; 0 when every blank is right, 1 otherwise."""
    from tinygrad_vn.exercise import check_answers

    example = args.example if args.example is not None or args.key is not None else "seed000"
    marking = check_answers(example, args.answers, args.blank, seed=args.seed, key=args.key,
                            tolerance=args.tolerance, absolute=args.absolute, lang=args.lang,
                            precision=args.precision, layers=args.layers)
    print(marking, end="")
    return 0 if marking.all_right else 1
