"""The run's manifest, the printed table, the JSON file and the PNG chart of ratios."""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from .timing import IMPLEMENTATIONS, Row


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def kernel_cache_state() -> dict[str, Any]:
    """Where Numba caches the kernels and how many cached kernel indexes are there now."""
    from tinygrad_vn.kernels import __path__ as kernel_path

    configured = os.environ.get("NUMBA_CACHE_DIR")
    folder = Path(configured) if configured else Path(kernel_path[0]) / "__pycache__"
    count = len(list(folder.rglob("*.nbi"))) if folder.is_dir() else 0
    return {"dir": str(folder), "cached_kernel_indexes": count, "state": "warm" if count else "cold"}


def manifest(threads: list[int], torch: Any) -> dict[str, Any]:
    """Everything needed to interpret the numbers: versions, machine, threads, cache, load."""
    from threadpoolctl import threadpool_info

    import tinygrad_vn as tg

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "python": sys.version.split()[0],
        "versions": {name: _version(name) for name in ("tinygrad-vn", "numpy", "numba", "llvmlite", "torch",
                                                       "jax", "jaxlib", "threadpoolctl")},
        "backend": tg.get_backend(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "threads_measured": threads,
        "blas": [{k: pool.get(k) for k in ("internal_api", "version", "threading_layer", "num_threads")}
                 for pool in threadpool_info() if pool.get("user_api") == "blas"],
        "kernel_threading": "serial Numba kernels (nogil) split over a Python thread pool; no Numba threading layer",
        "numba_threading_layer_env": os.environ.get("NUMBA_THREADING_LAYER"),
        "torch_threads": torch.get_num_threads() if torch is not None else None,
        "kernel_cache": kernel_cache_state(),
        "load_average_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def _format_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.1f} µs"


def _format_targets(row: Row) -> str:
    parts = []
    for target in row.targets:
        met = {True: "met", False: "NOT met", None: "n/a"}[target.get("met")]
        if "limit_s" in target:
            parts.append(f"≤ {target['limit_s']} s: {met}")
        else:
            parts.append(f"vs {target['vs']} ≥ {target['min']:.2g}×: {met}")
    return "; ".join(parts)


def is_training(row: Row) -> bool:
    """Whether ``row`` is a training step (shown side by side by :func:`training_table`)."""
    return row.group.startswith("training step")


def markdown_table(rows: list[Row]) -> str:
    """The rows other than training steps as a Markdown table: medians, ratios (their time ÷ ours), targets."""
    lines = ["| group | case | threads | tinygrad_vn | numpy | torch | numpy ÷ tg | torch ÷ tg | target |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        if is_training(row):
            continue
        ratios = [f"{row.ratios[name]:.2f}×" if row.ratios.get(name) else "-" for name in IMPLEMENTATIONS[1:]]
        seconds = [_format_seconds(row.seconds.get(name)) for name in IMPLEMENTATIONS]
        lines.append(f"| {row.group} | {row.case} | {row.threads} | {' | '.join(seconds)} | "
                     f"{' | '.join(ratios)} | {_format_targets(row)} |")
    return "\n".join(lines)


TRAINING_COLUMNS = (("tg eager", "tg eager"), ("tinygrad_vn", "tg.compile"), ("torch", "PyTorch eager"),
                    ("torch.compile", "torch.compile"), ("jax", "JAX jit"), ("numpy", "hand NumPy"),
                    ("blas floor", "BLAS floor"))
"""(key in a compiled row's ``seconds``, heading) of each implementation in the side-by-side table."""

TRAINING_RATIOS = (("compiled", "jax", "tg.compile vs JAX"), ("compiled", "numpy", "tg.compile vs NumPy"),
                   ("compiled", "blas floor", "floor ÷ tg.compile"), ("eager", "torch", "eager vs PyTorch"))
"""(which tinygrad_vn step, rival, heading): each ratio is the rival's time ÷ that step's."""


def _ratio_cell(row: Row, rival: str) -> str:
    ratio = row.ratios.get(rival)
    if ratio is None:
        return "-"
    target = next((t for t in row.targets if t.get("vs") == rival), None)
    if target is None:
        return f"{ratio:.2f}×"
    return f"{ratio:.2f}× (≥ {target['min']:.3g}: {'met' if target['met'] else '**NOT met**'})"


def training_table(rows: list[Row]) -> str:
    """The training steps side by side, one line per net and thread count: every implementation's median,
    then tg.compile against JAX, NumPy and the BLAS floor and the eager step against PyTorch, each ratio
    with its target's verdict where issue 14 sets one (at 1 thread)."""
    pairs: dict[tuple[str, int], dict[str, Row]] = {}
    for row in rows:
        if is_training(row):
            kind = "compiled" if row.group.endswith("tg.compile") else "eager"
            pairs.setdefault((row.case, row.threads), {})[kind] = row
    headings = [heading for _, heading in TRAINING_COLUMNS] + [heading for *_, heading in TRAINING_RATIOS]
    lines = ["| step | threads | " + " | ".join(headings) + " |", "|---|---|" + "---|" * len(headings)]
    for (case, threads), pair in pairs.items():
        compiled, eager = pair.get("compiled"), pair.get("eager")
        if compiled is None or eager is None:
            continue
        seconds = [_format_seconds(compiled.seconds.get(key)) for key, _ in TRAINING_COLUMNS]
        ratios = [_ratio_cell(compiled if kind == "compiled" else eager, rival) for kind, rival, _ in TRAINING_RATIOS]
        lines.append(f"| {case} | {threads} | {' | '.join(seconds)} | {' | '.join(ratios)} |")
    return "\n".join(lines)


def write_json(path: Path, meta: dict[str, Any], rows: list[Row]) -> None:
    """Manifest and rows as JSON."""
    path.write_text(json.dumps({"manifest": meta, "rows": [asdict(row) for row in rows]}, indent=2) + "\n")


def write_chart(path: Path, rows: list[Row]) -> str:
    """A horizontal bar chart of the ratios (log scale, 1 = parity); says why when it cannot."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed: no PNG chart (pip install matplotlib, or the 'plot' extra)"
    charted = [row for row in rows if any(row.ratios.get(name) for name in IMPLEMENTATIONS[1:])]
    if not charted:
        return "no ratios to chart"
    labels = [_chart_label(row) for row in charted]
    fig, ax = plt.subplots(figsize=(10, 0.28 * len(charted) + 1.5))
    height = 0.4
    for offset, name, colour in ((-height / 2, "numpy", "tab:blue"), (height / 2, "torch", "tab:orange")):
        values = [row.ratios.get(name) or 0 for row in charted]
        ax.barh([i + offset for i in range(len(charted))], values, height, label=f"{name} time ÷ tinygrad_vn time",
                color=colour)
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_yticks(range(len(charted)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("speed-up of tinygrad_vn (> 1: tinygrad_vn is faster)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"chart written to {path}"


def _chart_label(row: Row) -> str:
    """The case, the group's qualifier when it has one ("tg.compile"), and the thread count."""
    qualifier = row.group.partition(", ")[2]
    return f"{row.case}{f' ({qualifier})' if qualifier else ''} [{row.threads}t]"
