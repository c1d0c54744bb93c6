"""Feature scaling, the two the course notes use before training (seed 000).

Both work column-wise on (n_samples, n_features) data (1-D data is one feature) and return the same
kind of object they get: an ndarray for an ndarray, a Tensor for a Tensor.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor


def _as_2d(x: Any) -> tuple[np.ndarray, bool]:
    data = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float64)
    if data.ndim == 1:
        return data[:, None], True
    if data.ndim != 2:
        raise ValueError(f"scalers take (n_samples, n_features) data, got shape {data.shape}")
    return data, False


class _Scaler:
    """Shared fit/transform plumbing: subclasses compute ``offset`` and ``scale`` in ``_fit``."""

    offset: np.ndarray | None = None
    scale: np.ndarray | None = None

    def fit(self, x: Any) -> _Scaler:
        data, _ = _as_2d(x)
        if data.shape[0] == 0:
            raise ValueError("cannot fit a scaler on zero samples")
        self._fit(data)
        return self

    def _fit(self, data: np.ndarray) -> None:
        raise TypeError(f"{type(self).__name__} defines no _fit")

    def _check(self, data: np.ndarray) -> None:
        if self.offset is None or self.scale is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted yet: call fit() first")
        if data.shape[1] != self.offset.shape[0]:
            raise ValueError(f"{type(self).__name__} was fitted on {self.offset.shape[0]} features, "
                             f"got data with {data.shape[1]}")

    def _apply(self, x: Any, forward: bool) -> Any:
        data, was_1d = _as_2d(x)
        self._check(data)
        out = (data - self.offset) / self.scale if forward else data * self.scale + self.offset
        out = out[:, 0] if was_1d else out
        dtype = x.dtype if hasattr(x, "dtype") and np.dtype(x.dtype).kind == "f" else np.float32
        out = out.astype(dtype)
        return Tensor(out) if isinstance(x, Tensor) else out

    def transform(self, x: Any) -> Any:
        """Scale ``x`` with the fitted statistics."""
        return self._apply(x, forward=True)

    def inverse_transform(self, x: Any) -> Any:
        """Undo :meth:`transform`."""
        return self._apply(x, forward=False)

    def fit_transform(self, x: Any) -> Any:
        """``fit(x)`` then ``transform(x)``."""
        return self.fit(x).transform(x)


class MinMaxScaler(_Scaler):
    """x' = (x − min) / (max − min), mapping each feature onto [0, 1] (or ``feature_range``).

    A constant feature maps to the low end of the range instead of dividing by zero.
    """

    def __init__(self, feature_range: tuple[float, float] = (0.0, 1.0)) -> None:
        low, high = feature_range
        if not low < high:
            raise ValueError(f"feature_range must be increasing, got {feature_range}")
        self.feature_range = (float(low), float(high))

    def _fit(self, data: np.ndarray) -> None:
        low, high = self.feature_range
        self.data_min, self.data_max = data.min(axis=0), data.max(axis=0)
        span = self.data_max - self.data_min
        span = np.where(span == 0, 1.0, span)
        self.scale = span / (high - low)
        self.offset = self.data_min - low * self.scale


class StandardScaler(_Scaler):
    """x' = (x − mean) / std (z-score); a constant feature keeps std 1."""

    def _fit(self, data: np.ndarray) -> None:
        self.mean, std = data.mean(axis=0), data.std(axis=0)
        self.std = np.where(std == 0, 1.0, std)
        self.offset, self.scale = self.mean, self.std
