"""``set_num_threads``: one knob for the kernel threads and the BLAS threads behind matmul.

The Numba kernels are compiled serial and split across a small pool of threads
(``tinygrad_vn.kernels._pool``), so their thread count is ours to set without starting any Numba
threading layer. BLAS is reached through threadpoolctl, which knows OpenBLAS, MKL and BLIS.
Neither import happens until this is called.
"""

from __future__ import annotations


def set_num_threads(n: int) -> None:
    """Run kernels on ``n`` threads and limit BLAS (matmul) to ``n`` threads too."""
    from threadpoolctl import threadpool_limits

    from .kernels import _pool

    _pool.set_threads(n)
    threadpool_limits(limits=n, user_api="blas")


def get_num_threads() -> int:
    """Threads the kernels use (BLAS follows it once :func:`set_num_threads` has been called)."""
    from .kernels import _pool

    return _pool.get_threads()
