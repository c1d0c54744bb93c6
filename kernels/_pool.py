"""How many threads the Numba kernels use, and the small pool that runs their chunks.

Kernels are compiled serial (``nogil=True``) and parallelised here by splitting their flat or row
range into one chunk per thread. That keeps Numba's own threading layers out of the process: its
default ``omp`` layer, alternating with OpenBLAS, slowed NumPy matmul 10-15× on this machine, and
``workqueue`` costs about 113 µs per launch. Handing a chunk to this pool costs about 30 µs, so
arrays below :data:`PARALLEL_MIN_ELEMENTS` run on the calling thread alone.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

PARALLEL_MIN_ELEMENTS = 1 << 17
"""Below this many elements a kernel runs serially (measured: see benchmarks/RESULTS.md)."""

def _available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


_state: dict = {"threads": _available_cores(), "pool": None, "pool_size": 0}


def get_threads() -> int:
    """Threads the kernels split their work across."""
    return _state["threads"]


def set_threads(n: int) -> None:
    """Use ``n`` threads (≥ 1) for the kernels."""
    if n < 1:
        raise ValueError(f"thread count must be at least 1, got {n}")
    _state["threads"] = int(n)


def _pool(workers: int) -> ThreadPoolExecutor:
    if _state["pool_size"] < workers:
        if _state["pool"] is not None:
            _state["pool"].shutdown(wait=False)
        _state["pool"] = ThreadPoolExecutor(workers, thread_name_prefix="tinygrad_vn-kernel")
        _state["pool_size"] = workers
    return _state["pool"]


def run_split(kernel: Callable[..., None], arrays: tuple[np.ndarray, ...], params: tuple = (),
              work: int | None = None) -> None:
    """Run ``kernel(*arrays, *params)``, split along axis 0 of every array across the threads.

    ``work`` is the element count that decides whether splitting pays (default: ``len(arrays[0])``).
    Every array must have the same length along axis 0; each chunk must be independent of the others.
    """
    rows = len(arrays[0])
    threads = min(_state["threads"], rows)
    if threads <= 1 or (rows if work is None else work) < PARALLEL_MIN_ELEMENTS:
        kernel(*arrays, *params)
        return
    bounds = np.linspace(0, rows, threads + 1).astype(np.int64)
    pool = _pool(threads - 1)
    futures = [
        pool.submit(kernel, *(a[lo:hi] for a in arrays), *params)
        for lo, hi in itertools.pairwise(bounds[1:])
    ]
    kernel(*(a[: bounds[1]] for a in arrays), *params)
    for future in futures:
        future.result()
