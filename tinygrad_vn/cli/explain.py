"""``tinygrad-vn explain``: print the backprop equations the engine applied to an example."""

from __future__ import annotations

import argparse

from .examples import add_example_arguments


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``explain`` subcommand."""
    parser = subparsers.add_parser(
        "explain", help="print the gradient equations backward applied, and each parameter's chain rule",
        description="Print, in the order backward ran, each op's gradient rule with the example's names, "
                    "shapes and numbers, then the chain rule for every parameter element (as seed 000).")
    add_example_arguments(parser)
    parser.add_argument("--lang", choices=("en", "vi"), default="en", help="language of the text (default en)")
    parser.add_argument("--precision", type=int, default=3, help="significant digits (default 3)")
    parser.add_argument("--format", choices=("text", "markdown", "latex"), default="text",
                        help="text, Markdown, or a LaTeX body for a document with amsmath (default text)")
    parser.add_argument("--paths", action="store_true",
                        help="also list every path from the loss to each parameter element, beside .grad")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the explanation."""
    from tinygrad_vn import explain

    from .examples import build_example

    example = build_example(args.example, args.layers)
    print(explain(example.loss, example.model, lang=args.lang, precision=args.precision, paths=args.paths,
                  format=args.format), end="")
    return 0
