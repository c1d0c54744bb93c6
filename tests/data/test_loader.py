"""DataLoader(dataset, ...) as torch.utils.data's: PyTorch's Datasets & DataLoaders tutorial ported, batches and
default collation compared with torch, seeded shuffling, the no-per-sample fast path, and clear errors."""

from __future__ import annotations

import collections

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_vn as tg
from tinygrad_vn.data import (
    ArrayPairLoader,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    default_convert,
    random_split,
)

N_IMAGES = 150


class NumberedImages(Dataset):
    """The tutorial's custom image dataset, with images made from the index instead of read from files."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int) -> tuple[np.ndarray, int]:
        image = np.full((1, 28, 28), idx, dtype=np.float32)
        return image, idx


def check_one_epoch(loader: DataLoader, n: int) -> list[int]:
    """Iterate once: batch shapes as the tutorial prints them; every sample exactly once. Returns the order."""
    seen = []
    for number, (features, labels) in enumerate(loader):
        expected = min(64, n - 64 * number)
        assert features.shape == (expected, 1, 28, 28) and labels.shape == (expected,)
        assert features.data.dtype == np.float32 and labels.data.dtype == np.int64
        np.testing.assert_array_equal(features.data[:, 0, 0, 0], labels.data)
        seen.extend(labels.data.tolist())
    assert len(seen) == n and sorted(seen) == list(range(n))
    return seen


@pytest.mark.parametrize("make", [NumberedImages, lambda n: TensorDataset(
    np.repeat(np.arange(n, dtype=np.float32), 28 * 28).reshape(n, 1, 28, 28), np.arange(n))],
    ids=["custom-dataset", "tensor-dataset"])
def test_tutorial_custom_dataset_batches_of_64_shuffled(make):
    dataset = make(N_IMAGES)
    tg.manual_seed(0)
    loader = DataLoader(dataset, batch_size=64, shuffle=True)
    assert loader.dataset is dataset and len(loader) == 3
    first = check_one_epoch(loader, N_IMAGES)
    second = check_one_epoch(loader, N_IMAGES)
    assert first != second and first != list(range(N_IMAGES))
    tg.manual_seed(0)
    assert check_one_epoch(loader, N_IMAGES) == first


def test_custom_dataset_and_tensor_dataset_shuffle_alike_under_one_seed():
    images = np.repeat(np.arange(N_IMAGES, dtype=np.float32), 28 * 28).reshape(N_IMAGES, 1, 28, 28)
    orders = []
    for dataset in (NumberedImages(N_IMAGES), TensorDataset(images, np.arange(N_IMAGES))):
        tg.manual_seed(5)
        orders.append(check_one_epoch(DataLoader(dataset, batch_size=64, shuffle=True), N_IMAGES))
    assert orders[0] == orders[1]


def test_the_order_is_drawn_from_the_global_generator_when_the_epoch_starts():
    loader = DataLoader(TensorDataset(np.arange(20)), batch_size=5, shuffle=True)
    tg.manual_seed(1)
    epoch = iter(loader)
    tg.manual_seed(2)  # reseeding after iter() does not change the epoch already started
    first = [b[0].data.tolist() for b in epoch]
    tg.manual_seed(1)
    assert [b[0].data.tolist() for b in loader] == first
    tg.manual_seed(1)
    state = tg.factories.generator().bit_generator.state
    iter(DataLoader(TensorDataset(np.arange(20)), batch_size=5, shuffle=False))
    assert tg.factories.generator().bit_generator.state == state


def test_a_given_generator_or_seed_gives_its_own_reproducible_orders():
    dataset = TensorDataset(np.arange(30))

    def epochs(**kwargs):
        loader = DataLoader(dataset, batch_size=30, shuffle=True, **kwargs)
        return [next(iter(loader))[0].data.tolist() for _ in range(3)]

    tg.manual_seed(0)
    state = tg.factories.generator().bit_generator.state
    assert epochs(generator=np.random.default_rng(4)) == epochs(generator=np.random.default_rng(4))
    assert epochs(seed=4) == epochs(generator=np.random.default_rng(4))
    assert epochs(seed=4) != epochs(seed=5)
    assert tg.factories.generator().bit_generator.state == state


def test_tensor_dataset_takes_the_fast_path_without_getitem(monkeypatch):
    x = np.arange(40, dtype=np.float32).reshape(20, 2)
    y = np.arange(20)
    dataset = TensorDataset(x, y)
    per_sample_loader = DataLoader(dataset, batch_size=6, collate_fn=default_collate)
    expected = [[t.data.copy() for t in batch] for batch in per_sample_loader]

    def per_sample(self, index):
        raise AssertionError("the fast path called __getitem__")

    monkeypatch.setattr(TensorDataset, "__getitem__", per_sample)
    for loader in (DataLoader(dataset, batch_size=6), DataLoader(Subset(dataset, list(range(20))), batch_size=6)):
        got = [[t.data for t in batch] for batch in loader]
        assert len(got) == len(expected)
        for got_batch, expected_batch in zip(got, expected):
            assert isinstance(got_batch, list) and len(got_batch) == 2
            for a, b in zip(got_batch, expected_batch):
                np.testing.assert_array_equal(a, b)
                assert a.dtype == b.dtype


def test_a_subclass_that_overrides_getitem_gets_its_own_samples():
    class Doubled(TensorDataset):
        def __getitem__(self, index):
            (value,) = super().__getitem__(index)
            return value * 2

    batches = [b.data.tolist() for b in DataLoader(Doubled(np.arange(5)), batch_size=2)]
    assert batches == [[0, 2], [4, 6], [8]]


def test_random_split_subsets_load_their_own_samples():
    tg.manual_seed(0)
    train, test = random_split(TensorDataset(np.arange(50), np.arange(50) * 10), [0.8, 0.2])
    for subset in (train, test):
        xs, ys = (np.concatenate(parts) for parts in
                  zip(*[(x.data, y.data) for x, y in DataLoader(subset, batch_size=16, shuffle=True)]))
        assert sorted(xs.tolist()) == sorted(subset.indices)
        np.testing.assert_array_equal(ys, xs * 10)


def test_batches_of_a_tensor_that_requires_grad_stay_in_the_graph():
    weights = tg.tensor(np.arange(6, dtype=np.float64), requires_grad=True)
    for batch in DataLoader(TensorDataset(weights), batch_size=4):
        (batch[0] * batch[0]).sum().backward()
    for batch in DataLoader(NumberedGradRows(weights), batch_size=4):
        batch.sum().backward()
    np.testing.assert_array_equal(weights.grad.data, 2 * np.arange(6) + 1)


class NumberedGradRows(Dataset):
    def __init__(self, source: tg.Tensor) -> None:
        self.source = source

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, index: int) -> tg.Tensor:
        return self.source[index]


def test_collate_fn_and_getitems_are_used():
    class Batched(NumberedImages):
        calls = 0

        def __getitems__(self, indices):
            Batched.calls += 1
            return [(idx, -idx) for idx in indices]

    seen = []
    loader = DataLoader(Batched(10), batch_size=4, collate_fn=lambda samples: seen.append(samples) or len(samples))
    assert list(loader) == [4, 4, 2] and Batched.calls == 3
    assert seen[-1] == [(8, -8), (9, -9)]


def test_batch_size_none_yields_converted_samples():
    loader = DataLoader(NumberedImages(3), batch_size=None)
    samples = list(loader)
    assert len(loader) == 3 and len(samples) == 3
    image, label = samples[2]
    assert isinstance(image, tg.Tensor) and image.shape == (1, 28, 28) and label == 2
    assert list(DataLoader(NumberedImages(2), batch_size=None, collate_fn=lambda s: s[1])) == [0, 1]


def test_array_pair_form_is_a_dataloader_with_a_dataset():
    x, y = np.zeros((10, 3), dtype=np.float32), np.arange(10)
    loader = DataLoader(x, y, 4, shuffle=False)
    assert isinstance(loader, ArrayPairLoader) and isinstance(loader, DataLoader)
    assert isinstance(loader.dataset, TensorDataset) and len(loader.dataset) == 10
    xb, yb = next(iter(loader))
    assert isinstance(xb, np.ndarray) and yb.tolist() == [0, 1, 2, 3]
    tensors = DataLoader(tg.tensor(x), tg.tensor(y), batch_size=10)
    assert next(iter(tensors))[0].shape == (10, 3)
    with pytest.raises(TypeError, match="x is a Dataset; pass a dataset alone"):
        DataLoader(TensorDataset(x), y)


def test_the_utils_data_path_holds_the_same_objects():
    import tinygrad_vn.utils.data as utils_data

    assert utils_data.DataLoader is DataLoader and utils_data.TensorDataset is TensorDataset
    assert utils_data.random_split is random_split and utils_data.Dataset is Dataset
    assert tg.utils.data.DataLoader is DataLoader


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"batch_size": 0}, ValueError, "batch_size must be a positive integer or None, got 0"),
    ({"batch_size": -2}, ValueError, "batch_size must be a positive integer or None, got -2"),
    ({"batch_size": 2.5}, ValueError, "batch_size must be a positive integer or None, got 2.5"),
    ({"batch_size": True}, ValueError, "batch_size must be a positive integer or None, got True"),
    ({"batch_size": None, "drop_last": True}, ValueError, "batch_size=None turns batching off"),
    ({"shuffle": "yes"}, TypeError, "shuffle must be True or False, got 'yes'"),
    ({"drop_last": 1}, TypeError, "drop_last must be True or False, got 1"),
    ({"collate_fn": 3}, TypeError, "collate_fn must be callable, got int"),
    ({"generator": 3}, TypeError, r"generator must be a numpy\.random\.Generator .* got int"),
    ({"generator": np.random.default_rng(0), "seed": 1}, ValueError, "either generator or seed, not both"),
])
def test_bad_arguments_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        DataLoader(NumberedImages(4), **kwargs)


def test_a_dataset_without_len_or_getitem_is_refused():
    for dataset in (iter(range(3)), 5, (i for i in range(3))):
        with pytest.raises(TypeError, match=r"dataset must be a map-style dataset .* got"):
            DataLoader(dataset)


def test_torch_generator_is_refused_clearly():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: a torch.Generator is needed")
    with pytest.raises(TypeError, match=r"generator must be a numpy\.random\.Generator .* got Generator"):
        DataLoader(NumberedImages(4), shuffle=True, generator=torch.Generator())


@pytest.mark.parametrize(("batch", "error", "message"), [
    ([np.zeros(2), np.zeros(3)], RuntimeError, r"arrays must all have one shape .* got \(2,\) for sample 0 and "
                                               r"\(3,\) for sample 1"),
    ([tg.zeros(2), np.zeros(2)], TypeError, "sample 0 is a Tensor but sample 1 is a ndarray"),
    ([(1, 2), (1,)], RuntimeError, "sample 0 has 2 and sample 1 has 1"),
    ([{"a": 1}, {"b": 1}], KeyError, r"sample 0 has keys \['a'\] but sample 1 has \['b'\]"),
    ([object()], TypeError, "found object"),
    ([np.array(["a"])], TypeError, "arrays of dtype <U1"),
    ([], TypeError, "non-empty list of samples"),
])
def test_default_collate_refuses_what_it_cannot_stack(batch, error, message):
    with pytest.raises(error, match=message):
        default_collate(batch)


# ---------------------------------------------------------------------------------------------- torch parity

Point = collections.namedtuple("Point", ["x", "y"])


class Mixed(Dataset):
    """Samples of every kind default_collate handles, nested."""

    def __init__(self, n: int, kind: str) -> None:
        self.n, self.kind = n, kind

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        row = np.arange(3, dtype=np.float64) + i
        if self.kind == "tuple":
            return row, i, float(i) / 2, np.int32(i), np.float32(i) * 2, f"s{i}", bool(i % 2)
        if self.kind == "dict":
            return {"image": row.astype(np.float32).reshape(1, 3), "label": i, "meta": {"w": float(i), "name": f"n{i}"}}
        if self.kind == "namedtuple":
            return Point(row, i)
        return [row.astype(np.uint8), [i, i + 1]]


def to_plain(batch, torch):
    """A batch as nested Python/NumPy values, tagging each array with its dtype name, for comparison."""
    if isinstance(batch, tg.Tensor):
        return ("tensor", batch.data.dtype.name, batch.data.tolist())
    if isinstance(batch, torch.Tensor):
        return ("tensor", str(batch.dtype).removeprefix("torch."), batch.tolist())
    if isinstance(batch, dict):
        return {key: to_plain(value, torch) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return (type(batch).__name__, [to_plain(value, torch) for value in batch])
    return batch


@pytest.mark.parametrize("kind", ["tuple", "dict", "namedtuple", "list"])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batches_equal_torchs(kind, drop_last):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: batches are compared with its DataLoader")
    dataset = Mixed(11, kind)
    ours = DataLoader(dataset, batch_size=4, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(dataset, batch_size=4, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert [to_plain(b, torch) for b in ours] == [to_plain(b, torch) for b in theirs]


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 30), batch_size=st.integers(1, 12), drop_last=st.booleans(), kind=st.sampled_from(
    ["tensor-dataset", "subset", "array"]))
def test_array_batches_equal_torchs(n, batch_size, drop_last, kind):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: batches are compared with its DataLoader")
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n) % 3
    keep = list(range(n))[::-1]
    if kind == "tensor-dataset":
        ours_ds, theirs_ds = TensorDataset(x, y), torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
    elif kind == "subset":
        ours_ds = Subset(TensorDataset(x, y), keep)
        theirs_ds = torch.utils.data.Subset(torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)), keep)
    else:
        ours_ds, theirs_ds = x, x
    ours = DataLoader(ours_ds, batch_size=batch_size, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(theirs_ds, batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert [to_plain(b, torch) for b in ours] == [to_plain(b, torch) for b in theirs]


@pytest.mark.parametrize("batch", [
    [np.float32(1), np.float32(2)], [1, 2.5], [True, False], [1, True], [np.int32(3), np.int32(4)], [1.0, 2],
    [np.array([1, 2], dtype=np.int16), np.array([3, 4], dtype=np.int16)], ["a", "b"], [b"a", b"b"],
    [(1, {"k": [2.0, np.uint8(3)]}), (4, {"k": [5.0, np.uint8(6)]})],
])
def test_default_collate_matches_torchs(batch):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: collation is compared with it")
    assert to_plain(default_collate(batch), torch) == to_plain(torch.utils.data.default_collate(batch), torch)


@pytest.mark.parametrize("kind", ["tuple", "dict", "namedtuple", "list"])
def test_batch_size_none_matches_torchs(kind):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: samples are compared with its DataLoader")
    dataset = Mixed(3, kind)
    ours = [to_plain(s, torch) for s in DataLoader(dataset, batch_size=None)]
    assert ours == [to_plain(s, torch) for s in torch.utils.data.DataLoader(dataset, batch_size=None)]
    assert to_plain(default_convert(dataset[1]), torch) == to_plain(
        torch.utils.data.default_convert(dataset[1]), torch)


def test_signatures_show_each_forms_parameters():
    import inspect

    assert list(inspect.signature(DataLoader).parameters)[:3] == ["dataset", "batch_size", "shuffle"]
    assert list(inspect.signature(ArrayPairLoader).parameters)[:3] == ["x", "y", "batch_size"]
