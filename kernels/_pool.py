"""How many threads the Numba kernels use, and the small pool that runs their chunks.

Kernels are compiled serial (``nogil=True``) and parallelised here by splitting their flat or row
range into one chunk per thread. That keeps Numba's own threading layers out of the process: its
default ``omp`` layer, alternating with OpenBLAS, slowed NumPy matmul 10-15× on this machine, and
``workqueue`` costs about 113 µs per launch. Handing a chunk to this pool costs 30 µs on an idle
machine and about 200 µs on this shared 2-core one (the other core is often busy), so only work of at
least :data:`PARALLEL_MIN_WORK` is split; below it the calling thread runs the kernel alone.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

PARALLEL_MIN_WORK = 1 << 21
"""Work (elements × ``EXP_COST`` for kernels that evaluate exp, elements otherwise) below which a kernel
runs serially. Measured here with both threads against one: sigmoid (exp) broke even near 2¹⁸ elements,
relu's backward (a memory-bound select) near 2²¹."""

EXP_COST = 8
"""How many plain elementwise operations one exp-based element counts for, in ``work``."""

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

    ``work`` decides whether splitting pays (default: ``len(arrays[0])``; see :data:`PARALLEL_MIN_WORK`).
    Every array must have the same length along axis 0; each chunk must be independent of the others.
    """
    threads = _state["threads"]
    rows = len(arrays[0]) if threads > 1 else 1
    threads = min(threads, rows)
    if threads <= 1 or (rows if work is None else work) < PARALLEL_MIN_WORK:
        kernel(*(arrays + params))  # one tuple: a call spelled f(*a, *b) cost a Numba kernel 1 µs more here
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
