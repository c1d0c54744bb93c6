"""``set_num_threads``: one knob for the kernel threads and the BLAS threads behind matmul.

The Numba kernels are compiled serial and split across a small pool of threads
(``tinygrad_vn.kernels._pool``), so their thread count is ours to set without starting any Numba
threading layer. BLAS is reached through threadpoolctl, which knows OpenBLAS, MKL and BLIS. A small
network's matrices are too small for several BLAS threads to pay off, and on a busy machine threads
that spin waiting for a core slow each matmul down several times over: measure before raising it.
"""

from __future__ import annotations

__all__ = ["get_num_threads", "set_num_threads"]


def set_num_threads(count: int) -> None:
    """Run kernels on ``count`` threads and let BLAS (matmul) use at most ``count`` threads too."""
    from threadpoolctl import threadpool_limits

    from .kernels import _pool

    if count < 1:
        raise ValueError(f"the number of threads must be at least 1, got {count}")
    _pool.set_threads(count)
    threadpool_limits(limits=count, user_api="blas")


def get_num_threads() -> int:
    """Threads the kernels use (BLAS follows it once :func:`set_num_threads` has been called)."""
    from .kernels import _pool

    return _pool.get_threads()
