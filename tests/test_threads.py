"""``tg.set_num_threads`` sets the kernel threads and the BLAS threads together."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_info

import tinygrad_vn as tg


def _blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


@pytest.fixture
def restore_threads():
    kernel_threads, blas = tg.get_num_threads(), _blas_threads()
    yield
    tg.set_num_threads(kernel_threads)
    if blas:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=max(blas), user_api="blas")


@pytest.mark.parametrize("n", [1, 2])
def test_set_num_threads_sets_kernels_and_blas(n: int, restore_threads: None) -> None:
    tg.set_num_threads(n)
    assert tg.get_num_threads() == n
    assert _blas_threads() in (set(), {n})


def test_set_num_threads_rejects_zero(restore_threads: None) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        tg.set_num_threads(0)


def test_import_pays_for_neither_numba_nor_threadpoolctl() -> None:
    import subprocess
    import sys

    code = ("import sys, tinygrad_vn; "
            "print(sorted(m for m in ('numba', 'llvmlite', 'threadpoolctl') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
