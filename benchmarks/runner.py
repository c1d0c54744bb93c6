"""Run the suite: every case at each thread count, then print, and write JSON and a PNG chart."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

GROUPS = ("matmul", "activations", "softmax-ce", "training", "overhead", "new-ops")
"""The timed groups, run at each thread count; "startup" (fresh processes) runs once after them."""


def _group_functions() -> dict[str, Callable[..., list]]:
    from . import cases, training

    return {"matmul": cases.matmul, "activations": cases.activations, "softmax-ce": cases.softmax_cross_entropy,
            "training": training.training_steps, "overhead": cases.per_op_overhead,
            "new-ops": cases.new_op_overhead}


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The suite's options (also used by ``tinygrad-vn bench``)."""
    parser = parser or argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small, fast subset (for CI): seconds, not minutes")
    parser.add_argument("--threads", default=None,
                        help="comma-separated thread counts (default: 1,2 in a full run, 1 with --quick)")
    parser.add_argument("--only", default=None,
                        help=f"comma-separated groups to run, from: {', '.join(GROUPS)}, startup")
    parser.add_argument("--out", default="runs/bench", help="folder for bench.json and bench.png (default: runs/bench)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out even when it is installed")
    return parser


def _torch(disabled: bool) -> Any:
    if disabled:
        return None
    try:
        import torch
    except ImportError:
        return None
    return torch


def _set_threads(n: int, torch: Any) -> None:
    import tinygrad_vn as tg

    tg.set_num_threads(n)
    if torch is not None:
        torch.set_num_threads(n)


def run(args: argparse.Namespace) -> int:
    """Run the suite with parsed ``args``; returns an exit code."""
    from . import cases, report, startup

    torch = _torch(args.no_torch)
    threads = [int(t) for t in (args.threads or ("1" if args.quick else "1,2")).split(",")]
    groups = (args.only or ",".join([*GROUPS, "startup"])).split(",")
    unknown = set(groups) - {*GROUPS, "startup"}
    if unknown:
        raise SystemExit(f"unknown group(s): {', '.join(sorted(unknown))}")
    settings = cases.Settings(quick=args.quick, rounds=5 if args.quick else 15, round_s=0.004 if args.quick else 0.02)
    meta = report.manifest(threads, torch)
    if torch is None:
        print("PyTorch is not installed (or --no-torch): its column stays empty.")
    functions = _group_functions()
    rows: list = []
    started = time.perf_counter()
    for n in threads:
        _set_threads(n, torch)
        for name in groups:
            if name in GROUPS:
                print(f"[{time.perf_counter() - started:6.1f} s] {name}, {n} thread(s)", flush=True)
                rows.extend(functions[name](settings, n, torch))
    if "startup" in groups:
        print(f"[{time.perf_counter() - started:6.1f} s] start-up (fresh processes)", flush=True)
        rows.append(startup.import_time(settings, torch is not None))
        rows.extend(startup.first_step(settings))
    meta["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    meta["duration_s"] = round(time.perf_counter() - started, 1)
    print()
    print(report.markdown_table(rows))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report.write_json(out / "bench.json", meta, rows)
    print(f"\nresults written to {out / 'bench.json'}")
    print(report.write_chart(out / "bench.png", rows))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m benchmarks``."""
    return run(build_parser().parse_args(argv))
