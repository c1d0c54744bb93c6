"""Reused output buffers for large kernel outputs.

Writing into a freshly allocated multi-megabyte array costs page faults on every call (1.7-9× the
time of writing into a reused one, measured on this machine); NumPy returns large blocks to the OS
when they are freed, so a training loop pays that on every step. :func:`empty` keeps a few large
arrays and hands one out again once nothing else refers to it (``sys.getrefcount`` sees only this
cache): a view, a ``.grad``, a saved tensor or a user's variable all keep it out of reuse.
"""

from __future__ import annotations

import math
import sys

import numpy as np

MIN_BYTES = 1 << 20
"""Smaller outputs come from ``np.empty``: the allocator already reuses small blocks."""

MAX_BYTES = 1 << 28
"""The most memory the cache keeps alive (256 MiB); ``clear()`` lets it all go."""

_cache: dict[tuple[tuple[int, ...], np.dtype], list[np.ndarray]] = {}
_held = {"bytes": 0}


def _free_refcount() -> int:
    """What ``sys.getrefcount`` reports, in :func:`empty`'s loop, for an array only the cache holds
    (3 on CPython 3.10-3.12: the list, the loop variable, the call's argument); measured, not assumed."""
    probe = [np.empty(0)]
    for array in probe:
        return sys.getrefcount(array)
    raise AssertionError("unreachable")


_FREE_REFCOUNT = _free_refcount()


def empty(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An uninitialised C-ordered array, reused from an earlier call when one is free."""
    if not isinstance(dtype, np.dtype):
        dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < MIN_BYTES:
        return np.empty(shape, dtype)
    arrays = _cache.setdefault((tuple(shape), dtype), [])
    for array in arrays:
        if sys.getrefcount(array) == _FREE_REFCOUNT:
            return array
    array = np.empty(shape, dtype)
    if _held["bytes"] + nbytes <= MAX_BYTES:
        arrays.append(array)
        _held["bytes"] += nbytes
    return array


def empty_like(array: np.ndarray) -> np.ndarray:
    """An uninitialised C-ordered array of ``array``'s shape and dtype; see :func:`empty`."""
    if array.nbytes < MIN_BYTES:
        return np.empty(array.shape, array.dtype)
    return empty(array.shape, array.dtype)


def clear() -> None:
    """Forget every cached buffer."""
    _cache.clear()
    _held["bytes"] = 0
