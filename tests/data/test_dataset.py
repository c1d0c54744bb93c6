"""Dataset, TensorDataset, Subset and random_split: samples, sizes, errors, reproducible splits."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_vn as tg
from tinygrad_vn.data import Dataset, Subset, TensorDataset, random_split


def test_dataset_base_names_the_subclass_that_lacks_a_method():
    class Half(Dataset):
        def __len__(self) -> int:
            return 3

    with pytest.raises(NotImplementedError, match="Half subclasses Dataset but does not define __getitem__"):
        Half()[0]
    with pytest.raises(NotImplementedError, match="does not define __len__"):
        len(Dataset())


def test_tensor_dataset_rows_from_tensors_and_arrays():
    images = np.arange(24, dtype=np.float32).reshape(6, 2, 2)
    labels = tg.tensor(np.arange(6, dtype=np.int64))
    dataset = TensorDataset(images, labels)
    assert len(dataset) == 6 and len(dataset.tensors) == 2
    image, label = dataset[-2]
    np.testing.assert_array_equal(image.data, images[4])
    assert label.shape == () and int(label.data) == 4 and label.data.dtype == np.int64
    assert image.data.dtype == np.float32
    assert isinstance(dataset[0], tuple)


def test_tensor_dataset_shares_the_arrays_memory():
    images = np.zeros((3, 2), dtype=np.float32)
    dataset = TensorDataset(images)
    images[1] = 7.0
    assert float(dataset[1][0].data.sum()) == 14.0


def test_tensor_dataset_refuses_bad_columns():
    with pytest.raises(ValueError, match=r"same first dimension .* got first dimensions \[4, 3\]"):
        TensorDataset(np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(ValueError, match="argument 1 is 0-d"):
        TensorDataset(np.zeros(2), np.array(1.0))
    with pytest.raises(TypeError, match="argument 1 must be a Tensor or an ndarray, got list"):
        TensorDataset(np.zeros(2), [1, 2])
    with pytest.raises(TypeError, match="argument 0 has dtype <U1"):
        TensorDataset(np.array(["a", "b"]))


def test_subset_maps_indices_in_order():
    dataset = TensorDataset(np.arange(10))
    subset = Subset(dataset, [7, 2, 9])
    assert len(subset) == 3
    assert [int(subset[i][0].data) for i in range(3)] == [7, 2, 9]
    assert int(subset[-1][0].data) == 9
    (rows,) = subset[[0, 2]]
    assert rows.data.tolist() == [7, 9]


def test_subset_refuses_bad_indices():
    dataset = TensorDataset(np.arange(5))
    with pytest.raises(IndexError, match="index 5 is out of range for a dataset of 5 samples"):
        Subset(dataset, [0, 5])
    with pytest.raises(IndexError, match="index -6 is out of range"):
        Subset(dataset, [-6])
    with pytest.raises(TypeError, match="indices must be a sequence of integers"):
        Subset(dataset, [0.5, 1.0])


def test_random_split_is_a_partition_reproducible_under_manual_seed():
    dataset = TensorDataset(np.arange(10))
    tg.manual_seed(3)
    first = [s.indices for s in random_split(dataset, [3, 7])]
    tg.manual_seed(3)
    again = [s.indices for s in random_split(dataset, [3, 7])]
    assert first == again
    assert [len(s) for s in first] == [3, 7]
    assert sorted(first[0] + first[1]) == list(range(10))
    tg.manual_seed(4)
    assert [s.indices for s in random_split(dataset, [3, 7])] != first


def test_random_split_with_a_generator_leaves_the_global_one_alone():
    dataset = TensorDataset(np.arange(20))
    tg.manual_seed(0)
    state = tg.factories.generator().bit_generator.state
    a = random_split(dataset, [5, 15], generator=np.random.default_rng(8))
    b = random_split(dataset, [5, 15], generator=np.random.default_rng(8))
    assert [s.indices for s in a] == [s.indices for s in b]
    assert tg.factories.generator().bit_generator.state == state
    with pytest.raises(TypeError, match=r"generator must be a numpy\.random\.Generator"):
        random_split(dataset, [5, 15], generator=8)


@pytest.mark.parametrize(("n", "fractions"), [(10, [0.3, 0.3, 0.4]), (11, [0.5, 0.5]), (7, [0.1, 0.2, 0.7]),
                                               (100, [0.8, 0.2]), (3, [1 / 3, 1 / 3, 1 / 3])])
def test_random_split_fractions_give_torchs_lengths(n, fractions):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: the split sizes are compared with it")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = [len(s) for s in torch.utils.data.random_split(range(n), fractions)]
        got = [len(s) for s in random_split(TensorDataset(np.arange(n)), fractions)]
    assert got == expected and sum(got) == n


def test_random_split_warns_of_an_empty_split():
    with pytest.warns(UserWarning, match="split 1 is empty"):
        random_split(TensorDataset(np.arange(2)), [0.9, 0.1])


@pytest.mark.parametrize(("lengths", "error", "message"), [
    ([3, 3], ValueError, "lengths sum to 6 but the dataset has 10 samples"),
    ([12, -2], ValueError, r"lengths\[1\]=-2 is negative"),
    ([1.5, -0.5], ValueError, r"fraction lengths\[0\]=1.5 is not between 0 and 1"),
    ([0.5, 0.3], ValueError, "whole numbers summing to the dataset's length"),
    ([5, 5.0], ValueError, "whole numbers summing to the dataset's length"),
    ([True, 9], TypeError, r"lengths\[0\] must be an int or a float fraction"),
    ([], ValueError, "lengths is empty"),
])
def test_random_split_refuses_bad_lengths(lengths, error, message):
    with pytest.raises(error, match=message):
        random_split(TensorDataset(np.arange(10)), lengths)
