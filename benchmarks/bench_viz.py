"""How long drawing takes: DOT export of a 10,000-op chain, and of the 784-128-10 MLP, best of 3.

    python benchmarks/bench_viz.py

The target is under a second for 10,000 op nodes (tests/test_viz.py checks only a generous bound).
"""

from __future__ import annotations

import time

import numpy as np

import tinygrad_vn as tg
from tinygrad_vn.cli.examples import build_example


def chain(ops: int) -> tg.Tensor:
    """A chain of ``ops`` elementwise ops (alternating add and multiply) on a 3-element tensor, summed."""
    y = tg.Tensor(np.ones(3), requires_grad=True, name="x")
    for i in range(ops):
        y = y * 1.0001 if i % 2 else y + 0.5
    return y.sum()


def best_of(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    loss = chain(10_000)
    mlp = build_example("mlp")
    for label, work in [
        ("to_dot forward, 10,001 ops", lambda: tg.viz.to_dot(loss)),
        ("to_dot backward, 10,001 ops", lambda: tg.viz.to_dot(loss, "backward")),
        ("to_dot both, MLP 784-128-10", lambda: tg.viz.to_dot(mlp.loss, "both", model=mlp.model)),
        ("explain, MLP 784-128-10", lambda: tg.explain(mlp.loss, mlp.model)),
    ]:
        print(f"{label:<32}{best_of(3, work) * 1000:>9.1f} ms")


if __name__ == "__main__":
    main()
