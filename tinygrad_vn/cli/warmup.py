"""``tinygrad-vn warmup``: compile every Numba kernel into the on-disk cache ahead of time."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``warmup`` subcommand."""
    parser = subparsers.add_parser(
        "warmup", help="compile all kernels into the cache now, so the first training step does not wait",
        description="Compile every Numba kernel (float32 and float64) into Numba's on-disk cache.")
    parser.add_argument("--clear", action="store_true", help="delete the cached kernels first and recompile")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import time

    start = time.perf_counter()
    from tinygrad_vn.kernels import precompile

    if args.clear:
        print(f"removed {precompile.clear_cache()} cached kernel files")
    for dtype, seconds in precompile.precompile().items():
        print(f"{dtype}: kernels ready in {seconds:.2f} s")
    print(f"cache: {precompile.cache_dir()} ({time.perf_counter() - start:.2f} s in all)")
    return 0
