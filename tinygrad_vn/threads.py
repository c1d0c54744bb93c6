"""How many threads the BLAS library (behind every large matmul) may use.

A small network's matrices are too small for several BLAS threads to pay off, and on a busy
machine threads that spin waiting for a core slow each matmul down several times over.
"""

from __future__ import annotations

__all__ = ["get_num_threads", "set_num_threads"]


def set_num_threads(count: int) -> None:
    """Let BLAS use at most ``count`` threads from now on (like ``torch.set_num_threads``)."""
    from threadpoolctl import threadpool_limits

    if count < 1:
        raise ValueError(f"the number of threads must be at least 1, got {count}")
    threadpool_limits(limits=count, user_api="blas")


def get_num_threads() -> int:
    """The largest thread count of the loaded BLAS libraries (1 if none is loaded)."""
    from threadpoolctl import threadpool_info

    return max((pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"), default=1)
