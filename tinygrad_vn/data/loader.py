"""Mini-batches as ``torch.utils.data.DataLoader`` gives them, with no per-sample Python for array data.

Two forms:

- ``DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, collate_fn=None, generator=None)``,
  PyTorch's: any map-style dataset (``__len__`` and ``__getitem__``), batches built by ``default_collate``
  (samples stacked into Tensors, tuples and dicts collated field by field). A ``TensorDataset``, a
  ``Subset`` of one, a Tensor or an ndarray is cut with one fancy-indexing call per array and batch.
- ``DataLoader(x, y, batch_size=32, shuffle=True, seed=None, drop_last=False)``, the original array form:
  ``(x_batch, y_batch)`` NumPy pairs, in the order a generator seeded with ``seed`` gives.
"""

from __future__ import annotations

import collections.abc
import copy
import inspect
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .. import factories
from ..tensor import Tensor, stack
from .dataset import Dataset, TensorDataset, batch_gatherer, check_generator

__all__ = ["DataLoader", "default_collate", "default_convert"]


# ---------------------------------------------------------------------------------------------- collation

def _array_tensor(array: np.ndarray) -> Tensor:
    return Tensor._from_op(array, None)


def _refuse_mixed(batch: Sequence[Any], kind: type | tuple[type, ...], what: str) -> None:
    for i, sample in enumerate(batch):
        if not isinstance(sample, kind):
            raise TypeError(f"default_collate: sample 0 is {what} but sample {i} is a {type(sample).__name__}")


def _refuse_unequal_shapes(shapes: list[tuple[int, ...]], what: str) -> None:
    for i, shape in enumerate(shapes):
        if shape != shapes[0]:
            raise RuntimeError(f"default_collate: {what} must all have one shape to be stacked, got {shapes[0]} "
                               f"for sample 0 and {shape} for sample {i}")


def _numeric_array(value: np.ndarray) -> bool:
    return value.dtype.kind in "biuf"


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of samples into one batch, as ``torch.utils.data.default_collate`` does.

    Tensors and numeric ndarrays are stacked along a new first dimension into one Tensor (dtype kept);
    Python floats become a float64 Tensor, ints an int64 one (bools a bool one), NumPy scalars a Tensor of
    their dtype; strings and bytes stay a list. A dict gives a dict of collated fields, a namedtuple the
    same namedtuple, and a tuple or list a list with one collated entry per position.
    """
    if not isinstance(batch, collections.abc.Sequence) or not batch:
        raise TypeError(f"default_collate: batch must be a non-empty list of samples, got {type(batch).__name__}")
    first = batch[0]
    if isinstance(first, Tensor):
        _refuse_mixed(batch, Tensor, "a Tensor")
        _refuse_unequal_shapes([t.shape for t in batch], "tensors")
        if any(t.requires_grad for t in batch):
            return stack(batch)
        return _array_tensor(np.stack([t._data for t in batch]))
    if isinstance(first, np.ndarray):
        _refuse_mixed(batch, np.ndarray, "an ndarray")
        if not _numeric_array(first):
            raise TypeError(f"default_collate: cannot make a Tensor from arrays of dtype {first.dtype}")
        _refuse_unequal_shapes([a.shape for a in batch], "arrays")
        return _array_tensor(np.stack(batch))
    if isinstance(first, (np.bool_, np.number)):
        return _array_tensor(np.asarray(batch))
    if isinstance(first, float):
        return _array_tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(first, int):
        values = np.asarray(batch)
        if values.dtype.kind == "f":  # an int first and a float later: torch gives its default float dtype
            return _array_tensor(values.astype(np.float32))
        return _array_tensor(values if values.dtype.kind == "b" else values.astype(np.int64))
    if isinstance(first, (str, bytes)):
        return batch
    if isinstance(first, collections.abc.Mapping):
        return _collate_mapping(batch)
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(default_collate(field) for field in _transpose(batch)))
    if isinstance(first, collections.abc.Sequence):
        fields = [default_collate(field) for field in _transpose(batch)]
        if isinstance(first, tuple):
            return fields
        if isinstance(first, collections.abc.MutableSequence):
            clone = copy.copy(first)
            clone[:] = fields
            return clone
        try:
            return type(first)(fields)
        except TypeError:
            return fields
    raise TypeError(f"default_collate: samples must be Tensors, numpy arrays, numbers, strings, dicts or "
                    f"sequences of those; found {type(first).__name__}")


def _transpose(batch: Sequence[Any]) -> list[tuple[Any, ...]]:
    size = len(batch[0])
    for i, sample in enumerate(batch):
        if not isinstance(sample, collections.abc.Sequence) or len(sample) != size:
            got = len(sample) if isinstance(sample, collections.abc.Sized) else type(sample).__name__
            raise RuntimeError(f"default_collate: every sample must have the same number of fields; sample 0 has "
                               f"{size} and sample {i} has {got}")
    return list(zip(*batch))


def _collate_mapping(batch: Sequence[Any]) -> Any:
    first = batch[0]
    for i, sample in enumerate(batch):
        if not isinstance(sample, collections.abc.Mapping) or sample.keys() != first.keys():
            keys = sorted(map(str, sample.keys())) if isinstance(sample, collections.abc.Mapping) else None
            raise KeyError(f"default_collate: sample 0 has keys {sorted(map(str, first.keys()))} but sample {i} "
                           f"has {keys if keys is not None else 'a ' + type(sample).__name__}")
    fields = {key: default_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, collections.abc.MutableMapping):
        clone = copy.copy(first)
        clone.update(fields)
        return clone
    try:
        return type(first)(fields)
    except TypeError:
        return fields


def default_convert(sample: Any) -> Any:
    """One sample with its numeric ndarrays and NumPy scalars made Tensors (what ``batch_size=None`` yields).

    Tuples become lists, dicts and other sequences keep their type, anything else is returned as is, as
    ``torch.utils.data.default_convert`` does.
    """
    if isinstance(sample, Tensor):
        return sample
    if isinstance(sample, np.ndarray):
        return _array_tensor(sample) if _numeric_array(sample) else sample
    if isinstance(sample, (np.bool_, np.number)):
        return _array_tensor(np.asarray(sample))
    if isinstance(sample, collections.abc.Mapping):
        fields = {key: default_convert(value) for key, value in sample.items()}
        if isinstance(sample, collections.abc.MutableMapping):
            clone = copy.copy(sample)
            clone.update(fields)
            return clone
        try:
            return type(sample)(fields)
        except TypeError:
            return fields
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_convert(value) for value in sample))
    if isinstance(sample, tuple):
        return [default_convert(value) for value in sample]
    if isinstance(sample, collections.abc.Sequence) and not isinstance(sample, (str, bytes)):
        converted = [default_convert(value) for value in sample]
        if isinstance(sample, collections.abc.MutableSequence):
            clone = copy.copy(sample)
            clone[:] = converted
            return clone
        try:
            return type(sample)(converted)
        except TypeError:
            return converted
    return sample


# ---------------------------------------------------------------------------------------------- loaders

def _is_array_pair_call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether ``DataLoader(...)`` was called in the ``(x, y, ...)`` form: a second operand that is data."""
    if "y" in kwargs:
        return True
    if not args:
        return False
    second = args[0]
    return isinstance(second, (np.ndarray, Tensor)) or (
        isinstance(second, collections.abc.Sequence) and not isinstance(second, (str, bytes)))


def _check_batch_size(batch_size: Any, allow_none: bool) -> int | None:
    if batch_size is None and allow_none:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        allowed = "a positive integer or None" if allow_none else "a positive integer"
        raise ValueError(f"batch_size must be {allowed}, got {batch_size!r}")
    return int(batch_size)


def _check_flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"DataLoader: {name} must be True or False, got {value!r}")
    return bool(value)


class DataLoader:
    """Iterate over ``dataset`` in batches, as ``torch.utils.data.DataLoader`` (single process).

    ``len(loader)`` is the number of batches per epoch and ``loader.dataset`` the dataset. Each batch is
    ``collate_fn(list of samples)``, ``default_collate`` unless given. With ``shuffle=True`` every epoch
    (every ``iter(loader)``) draws a fresh permutation when it starts, from ``generator`` (a
    ``numpy.random.Generator``), from a generator seeded once with ``seed``, or, by default, from the
    global generator that ``tg.manual_seed`` seeds (PyTorch draws from its default generator the same
    way). ``drop_last`` leaves out a final batch smaller than ``batch_size``; ``batch_size=None``
    turns batching off and yields each sample through ``collate_fn`` (``default_convert`` by default).

    A ``TensorDataset`` (or a ``Subset`` of one, a Tensor, an ndarray) with the default collation is cut
    with one fancy-indexing call per array and batch, without a ``__getitem__`` per sample.

    Called as ``DataLoader(x, y, batch_size=32, shuffle=True, seed=None, drop_last=False)`` (arrays, not
    a dataset) it is the original form, which yields ``(x_batch, y_batch)`` NumPy pairs; see
    ``ArrayPairLoader``.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> DataLoader:
        if cls is DataLoader and _is_array_pair_call(args[1:], kwargs):
            return super().__new__(ArrayPairLoader)
        return super().__new__(cls)

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        drop_last: bool = False,
        collate_fn: Callable[[Any], Any] | None = None,
        generator: np.random.Generator | None = None,
        *,
        seed: int | None = None,
    ) -> None:
        if isinstance(dataset, collections.abc.Iterator) or not (
                hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"DataLoader: dataset must be a map-style dataset (with __len__ and __getitem__), got "
                            f"{type(dataset).__name__}")
        self.batch_size = _check_batch_size(batch_size, allow_none=True)
        self.shuffle = _check_flag(False if shuffle is None else shuffle, "shuffle")
        self.drop_last = _check_flag(drop_last, "drop_last")
        if self.batch_size is None and self.drop_last:
            raise ValueError("DataLoader: batch_size=None turns batching off, so drop_last=True has no batch to drop")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {type(collate_fn).__name__}")
        generator = check_generator(generator, "DataLoader")
        if seed is not None:
            if generator is not None:
                raise ValueError("DataLoader: give either generator or seed, not both")
            generator = np.random.default_rng(seed)
        self.dataset = dataset
        self.collate_fn = collate_fn
        self.generator = generator

    @property
    def num_samples(self) -> int:
        """How many samples one epoch visits (all of them, less the dropped last batch)."""
        if self.batch_size is not None and self.drop_last:
            return len(self) * self.batch_size
        return len(self.dataset)

    def __len__(self) -> int:
        """The number of batches in one epoch (of samples, when batching is off)."""
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _epoch_order(self) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        rng = self.generator if self.generator is not None else factories.generator()
        return rng.permutation(n)

    def __iter__(self) -> Iterator[Any]:
        """One epoch; the shuffled order is drawn here, when the epoch starts."""
        order = self._epoch_order()
        if self.batch_size is None:
            return self._samples(order)
        gather = batch_gatherer(self.dataset) if self.collate_fn is None else None
        if gather is not None:
            return self._gathered_batches(order, gather)
        return self._collated_batches(order, self.collate_fn or default_collate)

    def _samples(self, order: np.ndarray) -> Iterator[Any]:
        convert = self.collate_fn or default_convert
        for index in order.tolist():
            yield convert(self.dataset[index])

    def _batch_starts(self) -> range:
        return range(0, len(self) * self.batch_size, self.batch_size)  # type: ignore[operator]

    def _gathered_batches(self, order: np.ndarray, gather: Callable[[np.ndarray], Any]) -> Iterator[Any]:
        for start in self._batch_starts():
            yield gather(order[start : start + self.batch_size])  # type: ignore[operator]

    def _collated_batches(self, order: np.ndarray, collate: Callable[[Any], Any]) -> Iterator[Any]:
        dataset = self.dataset
        fetch_many = getattr(dataset, "__getitems__", None)
        for start in self._batch_starts():
            indices = order[start : start + self.batch_size].tolist()  # type: ignore[operator]
            samples = fetch_many(indices) if fetch_many is not None else [dataset[i] for i in indices]
            yield collate(samples)


class ArrayPairLoader(DataLoader):
    """``DataLoader(x, y, batch_size=32, shuffle=True, seed=None, drop_last=False)``: ``(x_batch, y_batch)`` pairs.

    The original array form, kept as the fastest path: NumPy pairs cut from the first axis of ``x`` and
    ``y`` with one fancy-indexing call each (so they are contiguous copies, safe to modify). Each epoch
    visits every sample once, in a fresh order when ``shuffle`` is true; the orders come from one
    generator seeded with ``seed``, so the same seed gives the same sequence of epochs.
    ``loader.dataset`` is a ``TensorDataset`` over the same arrays (sharing their memory).
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
        if isinstance(x, Dataset):
            raise TypeError("DataLoader(x, y, ...): x is a Dataset; pass a dataset alone, "
                            "DataLoader(dataset, batch_size, ...), or two arrays x and y")
        x, y = (v._data if isinstance(v, Tensor) else np.asarray(v) for v in (x, y))
        if len(x) != len(y):
            raise ValueError(f"x and y must hold the same number of samples, got {len(x)} and {len(y)}")
        self.x, self.y = x, y
        self.batch_size = _check_batch_size(batch_size, allow_none=False)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = None
        self.generator = self._rng = np.random.default_rng(seed)

    @property
    def dataset(self) -> TensorDataset:  # type: ignore[override]
        """The arrays as a ``TensorDataset`` (no copy)."""
        return TensorDataset(self.x, self.y)

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        n = len(self.x)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)  # type: ignore[operator]

    @property
    def num_samples(self) -> int:
        """How many samples one epoch visits (all of them, less the dropped last batch)."""
        return len(self) * self.batch_size if self.drop_last else len(self.x)  # type: ignore[operator]

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n = len(self.x)
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        return self._pairs(order)

    def _pairs(self, order: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for start in self._batch_starts():
            index = order[start : start + self.batch_size]  # type: ignore[operator]
            yield self.x[index], self.y[index]


def _show_init_signature(cls: type) -> None:
    """Make ``inspect.signature(cls)`` (help(), IDEs) show ``__init__``'s parameters, not ``__new__``'s catch-all."""
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    cls.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]


_show_init_signature(DataLoader)
_show_init_signature(ArrayPairLoader)
