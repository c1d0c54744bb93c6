"""``tinygrad-vn bench``: the benchmark suite (tinygrad_vn vs hand-written NumPy, PyTorch, JAX and the BLAS floor)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``bench`` subcommand."""
    parser = subparsers.add_parser("bench", help="time tinygrad_vn against NumPy, PyTorch and JAX (--quick for CI)",
                                   description="Run the benchmark suite; writes bench.json and bench.png.")
    _add_suite_options(parser)
    parser.set_defaults(func=_run)


def _add_suite_options(parser: argparse.ArgumentParser) -> None:
    from tinygrad_vn.benchmarks.runner import build_parser

    build_parser(parser)


def _run(args: argparse.Namespace) -> int:
    """Check that ``--out`` can take the results before spending minutes on the suite, then run it."""
    from tinygrad_vn.benchmarks.runner import run
    from tinygrad_vn.train import prepare_output_folder

    prepare_output_folder(args.out, "--out")
    return run(args)
