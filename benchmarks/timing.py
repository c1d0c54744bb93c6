"""Timing: interleaved rounds, medians, and the row every benchmark case produces.

Each implementation of a case (tinygrad_vn, hand-written NumPy, PyTorch) is timed in rounds that
alternate between them, in a shuffled order, so background load on a shared machine and the threads
another library leaves spinning hit all of them alike. A round runs
the function enough times to last ``round_s``; the reported figure is the median over rounds of the
time per call.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

IMPLEMENTATIONS = ("tinygrad_vn", "numpy", "torch")


@dataclass
class Row:
    """One benchmark case at one thread count: median seconds per call and speed-up ratios.

    ``ratios[name]`` is ``seconds[name] / seconds["tinygrad_vn"]``: above 1 means tinygrad_vn is faster.
    ``target`` is the issue's threshold on one ratio (e.g. ``{"vs": "torch", "min": 2.0}``), if any.
    """

    group: str
    case: str
    threads: int
    seconds: dict[str, float | None]
    ratios: dict[str, float | None] = field(default_factory=dict)
    targets: list[dict] = field(default_factory=list)
    note: str = ""

    def __post_init__(self) -> None:
        ours = self.seconds.get("tinygrad_vn")
        for name, value in self.seconds.items():
            if name != "tinygrad_vn":
                self.ratios[name] = value / ours if value and ours else None
        for target in self.targets:
            ratio = self.ratios.get(target["vs"])
            target["met"] = None if ratio is None else ratio >= target["min"]


def _calls_per_round(fn: Callable[[], object], round_s: float) -> int:
    start = time.perf_counter()
    fn()
    once = time.perf_counter() - start
    return max(1, min(10_000, int(round_s / max(once, 1e-7))))


def compare(functions: dict[str, Callable[[], object] | None], rounds: int, round_s: float,
            warmup: int = 2) -> dict[str, float | None]:
    """Median seconds per call of each function (None where the function is None), interleaved."""
    live = {name: fn for name, fn in functions.items() if fn is not None}
    for fn in live.values():
        for _ in range(warmup):
            fn()
    calls = {name: _calls_per_round(fn, round_s) for name, fn in live.items()}
    samples: dict[str, list[float]] = {name: [] for name in live}
    order, shuffler = list(live), random.Random(0)
    for _ in range(rounds):
        # A new order each round: a library's worker threads still spinning after its turn (PyTorch's
        # OpenMP, OpenBLAS) slow whoever runs next, so no implementation may always follow the same one.
        shuffler.shuffle(order)
        for name in order:
            fn, n = live[name], calls[name]
            start = time.perf_counter()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter() - start) / n)
    return {name: (_median(samples[name]) if name in samples else None) for name in functions}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
