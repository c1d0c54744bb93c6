"""Hypothesis strategies for tensors: shapes that broadcast together, and float64 leaves on them."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_vn as tg

MAX_SIDE = 4


def shapes(min_dims: int = 0, max_dims: int = 3) -> st.SearchStrategy[tuple[int, ...]]:
    """Small array shapes (every side at least 1)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=MAX_SIDE)


@st.composite
def broadcastable_shapes(draw: st.DrawFn, count: int = 2, max_dims: int = 3) -> list[tuple[int, ...]]:
    """``count`` shapes that broadcast together: each may drop leading axes and squash sides to 1."""
    full = draw(shapes(0, max_dims))
    out = []
    for _ in range(count):
        dropped = draw(st.integers(0, len(full)))
        kept = full[dropped:]
        out.append(tuple(1 if draw(st.booleans()) else n for n in kept))
    return out


@st.composite
def arrays(draw: st.DrawFn, shape: tuple[int, ...], low: float = -2.0, high: float = 2.0,
           layout: bool = True) -> np.ndarray:
    """A float64 array of ``shape`` with values in [low, high]; C-ordered, Fortran-ordered or a strided view."""
    seed = draw(st.integers(0, 2**32 - 1))
    data = np.random.default_rng(seed).uniform(low, high, shape)
    kind = draw(st.sampled_from(["C", "F", "reversed"])) if layout and data.ndim else "C"
    if kind == "F":
        return np.asfortranarray(data)
    if kind == "reversed":
        return np.ascontiguousarray(data[::-1])[::-1]
    return data


def leaf(array: np.ndarray, requires_grad: bool = True) -> tg.Tensor:
    """A float64 leaf tensor over ``array``."""
    return tg.Tensor(array, requires_grad=requires_grad, dtype=np.float64)


def away_from(array: np.ndarray, points: tuple[float, ...], margin: float = 1e-3) -> np.ndarray:
    """``array`` with values within ``margin`` of a kink (e.g. 0 for ReLU) pushed off it."""
    out = array.copy()
    for p in points:
        near = np.abs(out - p) < margin
        out[near] = p + np.where(out[near] >= p, margin, -margin) * 2
    return out
