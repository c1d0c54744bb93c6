"""Run the suite: every case at each thread count, then print, and write JSON and a PNG chart."""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
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
    parser.add_argument("--no-jax", action="store_true", help="leave JAX out even when it is installed")
    parser.add_argument("--torch-compile", action="store_true",
                        help="also time the training steps under torch.compile (about a minute of compiling per net)")
    return parser


def limit_jax_threads(threads: int) -> None:
    """Tell XLA (through ``XLA_FLAGS``) to use ``threads`` CPU threads, if JAX has not started yet."""
    if "jax" in sys.modules:
        return
    flags = os.environ.get("XLA_FLAGS", "")
    threading = "false" if threads == 1 else "true"
    os.environ["XLA_FLAGS"] = (f"{flags} --xla_cpu_multi_thread_eigen={threading} "
                               f"intra_op_parallelism_threads={threads}").strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")


def import_jax(threads: int, disabled: bool = False) -> Any:
    """JAX limited to ``threads`` CPU threads, or None when it is not installed (or ``disabled``).

    XLA reads its thread count once, when JAX starts its CPU backend, so this must run before anything
    else imports JAX; a process can time JAX at one thread count only (the suite runs one per count).
    """
    if disabled:
        return None
    limit_jax_threads(threads)
    try:
        import jax
    except ImportError:
        return None
    return jax


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


def _parsed(args: argparse.Namespace) -> tuple[list[int], list[str]]:
    threads = [int(t) for t in (args.threads or ("1" if args.quick else "1,2")).split(",")]
    groups = (args.only or ",".join([*GROUPS, "startup"])).split(",")
    unknown = set(groups) - {*GROUPS, "startup"}
    if unknown:
        raise SystemExit(f"unknown group(s): {', '.join(sorted(unknown))}")
    return threads, groups


def _child_rows(args: argparse.Namespace, threads: int, groups: list[str], log: Callable[[str], None]) -> list:
    """Run the timed ``groups`` at one thread count in a fresh process (JAX fixes its threads at import)."""
    from .timing import Row

    with tempfile.TemporaryDirectory(prefix="tinygrad_vn-bench-") as folder:
        command = [sys.executable, "-m", __package__, "--threads", str(threads), "--only", ",".join(groups),
                   "--out", folder, *(["--quick"] if args.quick else []), *(["--no-torch"] if args.no_torch else []),
                   *(["--no-jax"] if args.no_jax else []), *(["--torch-compile"] if args.torch_compile else [])]
        log(f"  {threads} thread(s): a fresh process")
        code = subprocess.run(command, stdout=subprocess.DEVNULL).returncode
        if code:
            raise SystemExit(f"error: the {threads}-thread benchmark process failed (exit status {code}); "
                             "its messages are above")
        saved = json.loads((Path(folder) / "bench.json").read_text())
    return [Row(**{k: v for k, v in row.items() if k != "ratios"}) for row in saved["rows"]]


def run(args: argparse.Namespace) -> int:
    """Run the suite with parsed ``args``; returns an exit code."""
    from . import cases, report, startup, training

    threads, groups = _parsed(args)
    timed = [name for name in groups if name in GROUPS]
    torch = _torch(args.no_torch)
    jax = import_jax(threads[0], args.no_jax) if len(threads) == 1 and "training" in timed else None
    settings = cases.Settings(quick=args.quick, rounds=5 if args.quick else 15, round_s=0.004 if args.quick else 0.02,
                              torch_compile=args.torch_compile)
    meta = report.manifest(threads, torch)
    if torch is None:
        print("PyTorch is not installed (or --no-torch): its columns stay empty.")
    if len(threads) == 1 and "training" in timed and jax is None:
        print("JAX is not installed (or --no-jax): its column stays empty (pip install 'tinygrad-vn[jax]').")
    functions = {**_group_functions(), "training": functools.partial(training.training_steps, jax=jax)}
    rows: list = []
    started = time.perf_counter()

    def log(line: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {line}", flush=True)

    for n in threads:
        if len(threads) > 1 and timed:
            rows.extend(_child_rows(args, n, timed, log))
            continue
        _set_threads(n, torch)
        for name in timed:
            log(f"{name}, {n} thread(s)")
            rows.extend(functions[name](settings, n, torch))
    if "startup" in groups:
        log("start-up (fresh processes)")
        rows.append(startup.import_time(settings, torch is not None))
        rows.extend(startup.first_step(settings))
    meta["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    meta["duration_s"] = round(time.perf_counter() - started, 1)
    print()
    if any(not report.is_training(row) for row in rows):
        print(report.markdown_table(rows))
    if any(report.is_training(row) for row in rows):
        print("\nTraining steps side by side (each ratio: their time ÷ ours; issue 14's target at 1 thread):\n")
        print(report.training_table(rows))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report.write_json(out / "bench.json", meta, rows)
    print(f"\nresults written to {out / 'bench.json'}")
    print(report.write_chart(out / "bench.png", rows))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m benchmarks``."""
    return run(build_parser().parse_args(argv))
