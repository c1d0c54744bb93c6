"""Mini-batches over in-memory arrays, cut by index arrays (no per-sample Python work)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

__all__ = ["DataLoader"]


class DataLoader:
    """Iterate ``(x_batch, y_batch)`` NumPy pairs over the first axis of ``x`` and ``y``.

    Each pass (epoch) visits every sample exactly once, in a fresh random order when ``shuffle`` is
    true. The orders come from one generator seeded with ``seed``, so the same seed gives the same
    sequence of epochs. ``drop_last`` leaves out the final batch when it is smaller than ``batch_size``.
    Batches are copies gathered with one fancy-indexing call each, so they are contiguous and safe
    to modify.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int = 32,
        shuffle: bool = True,
        seed: int | None = None,
        drop_last: bool = False,
    ) -> None:
        x, y = np.asarray(x), np.asarray(y)
        if len(x) != len(y):
            raise ValueError(f"x and y must hold the same number of samples, got {len(x)} and {len(y)}")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.x, self.y = x, y
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self._rng = np.random.default_rng(seed)

    @property
    def num_samples(self) -> int:
        """How many samples one epoch visits (all of them, less the dropped last batch)."""
        if self.drop_last:
            return len(self) * self.batch_size
        return len(self.x)

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        if self.drop_last:
            return len(self.x) // self.batch_size
        return math.ceil(len(self.x) / self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n = len(self.x)
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            index = order[start : start + self.batch_size]
            yield self.x[index], self.y[index]
