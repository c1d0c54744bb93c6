"""Map-style datasets as in ``torch.utils.data``: ``Dataset``, ``TensorDataset``, ``Subset``, ``random_split``.

A dataset is anything with ``__len__`` and ``__getitem__(index)`` returning one sample. ``TensorDataset``
and ``Subset`` over it also know how to cut a whole batch of indices out of their arrays at once, which
is what lets ``DataLoader`` serve them without a Python call per sample.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from .. import factories
from ..tensor import Tensor

__all__ = ["Dataset", "Subset", "TensorDataset", "batch_gatherer", "random_split"]

SampleType = TypeVar("SampleType")


class Dataset(Generic[SampleType]):
    """The base of map-style datasets: subclasses give ``__getitem__(index)`` (one sample) and ``__len__``.

    A custom dataset (files on disk, generated data, a transform applied per sample) subclasses this so
    that ``DataLoader`` can batch and shuffle it; ``Dataset[T]`` names the type of its samples.
    """

    def __getitem__(self, index: int) -> SampleType:
        raise NotImplementedError(f"{type(self).__name__} subclasses Dataset but does not define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} subclasses Dataset but does not define __len__")


def _as_tensor_column(value: Any, position: int) -> Tensor:
    """A TensorDataset column as a Tensor; an ndarray is wrapped without a copy (as ``torch.from_numpy``)."""
    if isinstance(value, Tensor):
        return value
    if not isinstance(value, np.ndarray):
        raise TypeError(f"TensorDataset: argument {position} must be a Tensor or an ndarray, "
                        f"got {type(value).__name__}")
    if value.dtype.kind not in "biuf":
        raise TypeError(f"TensorDataset: argument {position} has dtype {value.dtype}; only bool, integer and "
                        "float arrays can become Tensors")
    return Tensor._from_op(value, None)


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Samples are rows of the given tensors: ``dataset[i] == (t[i] for t in tensors)``, as a tuple.

    ``TensorDataset(images, labels)`` takes Tensors or ndarrays (wrapped as Tensors without copying, so
    they share memory with the array) that all have the same first dimension, the number of samples.
    """

    tensors: tuple[Tensor, ...]

    def __init__(self, *tensors: Tensor | np.ndarray) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        columns = tuple(_as_tensor_column(t, i) for i, t in enumerate(tensors))
        for i, column in enumerate(columns):
            if column.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is 0-d; every tensor needs a first dimension "
                                 "that counts the samples")
        sizes = [column.shape[0] for column in columns]
        if len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: every tensor must have the same first dimension (the number of "
                             f"samples), got first dimensions {sizes}")
        self.tensors = columns

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(_take(column, index) for column in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def _gather(self, indices: np.ndarray) -> list[Tensor]:
        """The default-collated batch for ``indices``: each tensor indexed once with the whole array."""
        return [_take(column, indices) for column in self.tensors]


def _take(column: Tensor, index: Any) -> Tensor:
    """``column[index]``; through the graph only when the column requires a gradient."""
    if column.requires_grad:
        return column[index]
    return Tensor._from_op(column._data[index], None)


class Subset(Dataset[SampleType]):
    """The samples of ``dataset`` at ``indices``, in that order: ``subset[i] == dataset[indices[i]]``."""

    dataset: Dataset[SampleType]
    indices: Sequence[int]

    def __init__(self, dataset: Dataset[SampleType], indices: Sequence[int]) -> None:
        index_array = np.asarray(indices)
        if index_array.ndim != 1 or (index_array.size and index_array.dtype.kind not in "iu"):
            raise TypeError(f"Subset: indices must be a sequence of integers, got {_describe(indices)}")
        if hasattr(dataset, "__len__") and index_array.size:
            n = len(dataset)
            low, high = int(index_array.min()), int(index_array.max())
            if low < -n or high >= n:
                bad = low if low < -n else high
                raise IndexError(f"Subset: index {bad} is out of range for a dataset of {n} samples")
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> SampleType:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]  # type: ignore[index]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def batch_gatherer(dataset: Any) -> Callable[[np.ndarray], Any] | None:
    """A function from an index array to the default-collated batch, for datasets that are arrays underneath.

    That is a ``TensorDataset``, a ``Subset`` of one (to any depth), a Tensor or a numeric ndarray; the
    batch is cut with one fancy-indexing call per array instead of one ``__getitem__`` per sample and
    equals what ``default_collate`` would build from the samples. None for any other dataset, and for
    subclasses that override ``__getitem__`` (their samples may differ from the rows).
    """
    if isinstance(dataset, TensorDataset) and type(dataset).__getitem__ is TensorDataset.__getitem__:
        return dataset._gather
    if isinstance(dataset, Subset) and type(dataset).__getitem__ is Subset.__getitem__:
        inner = batch_gatherer(dataset.dataset)
        if inner is None:
            return None
        positions = np.asarray(dataset.indices, dtype=np.int64)
        return lambda indices: inner(positions[indices])
    if isinstance(dataset, Tensor) and dataset.ndim > 0:
        return lambda indices: _take(dataset, indices)
    if type(dataset) is np.ndarray and dataset.ndim > 0 and dataset.dtype.kind in "biuf":
        return lambda indices: Tensor._from_op(dataset[indices], None)
    return None


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{type(value).__name__} {text[:57]}..."


def _split_lengths(lengths: Sequence[int | float], n: int) -> list[int]:
    """Lengths as counts: whole numbers summing to ``n``, or fractions summing to 1 (remainder dealt round-robin)."""
    values = list(lengths)
    if not values:
        raise ValueError("random_split: lengths is empty")
    for i, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"random_split: lengths[{i}] must be an int or a float fraction, got {value!r}")
    if all(isinstance(v, (int, np.integer)) for v in values) and sum(values) != 1:
        counts = [int(v) for v in values]
    elif math.isclose(sum(values), 1.0) and sum(values) <= 1.0:
        for i, fraction in enumerate(values):
            if not 0.0 <= fraction <= 1.0:
                raise ValueError(f"random_split: fraction lengths[{i}]={fraction} is not between 0 and 1")
        counts = [math.floor(n * fraction) for fraction in values]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"random_split: split {i} is empty ({values[i]} of {n} samples)", stacklevel=3)
    else:
        raise ValueError(f"random_split: lengths must be whole numbers summing to the dataset's length ({n}) or "
                         f"fractions summing to 1, got {values}")
    for i, count in enumerate(counts):
        if count < 0:
            raise ValueError(f"random_split: lengths[{i}]={count} is negative")
    if sum(counts) != n:
        raise ValueError(f"random_split: lengths sum to {sum(counts)} but the dataset has {n} samples")
    return counts


def check_generator(generator: Any, where: str) -> np.random.Generator | None:
    """``generator`` if it is a NumPy Generator or None; a clear TypeError otherwise."""
    if generator is None or isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"{where}: generator must be a numpy.random.Generator (e.g. np.random.default_rng(0)) or None "
                    f"for tinygrad_vn's global generator (seeded by tg.manual_seed), got {type(generator).__name__}")


def random_split(
    dataset: Dataset[SampleType],
    lengths: Sequence[int | float],
    generator: np.random.Generator | None = None,
) -> list[Subset[SampleType]]:
    """Split ``dataset`` at random into non-overlapping ``Subset``s of the given ``lengths``.

    ``lengths`` are sample counts summing to ``len(dataset)``, or fractions summing to 1 (each split gets
    ``floor(fraction * n)`` and the remainder goes one by one to the first splits, as in PyTorch 2.x).
    The permutation comes from ``generator`` (a ``numpy.random.Generator``) or, when None, from the global
    generator that ``tg.manual_seed`` seeds, so a seeded script splits the same way every run.
    """
    rng = check_generator(generator, "random_split") or factories.generator()
    counts = _split_lengths(lengths, len(dataset))
    order = rng.permutation(sum(counts)).tolist()
    return [Subset(dataset, order[end - count : end]) for end, count in zip(itertools.accumulate(counts), counts)]
