"""DataLoader: every sample once per epoch, drop_last, seeded order, shapes and dtypes."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_vn.data.loader import DataLoader


def numbered(n: int) -> tuple[np.ndarray, np.ndarray]:
    """x rows whose first feature is the sample's index, and y equal to the index, so pairs can be checked."""
    x = np.repeat(np.arange(n, dtype=np.float32)[:, None], 3, axis=1)
    return x, np.arange(n, dtype=np.int64)


@pytest.mark.parametrize(("n", "batch_size"), [(10, 3), (12, 4), (5, 8), (1, 1)])
@pytest.mark.parametrize("shuffle", [True, False])
def test_every_sample_once_per_epoch_with_pairs_kept(n, batch_size, shuffle):
    x, y = numbered(n)
    loader = DataLoader(x, y, batch_size=batch_size, shuffle=shuffle, seed=0)
    for _ in range(3):
        batches = list(loader)
        assert len(batches) == len(loader) == -(-n // batch_size)
        assert [len(b[1]) for b in batches[:-1]] == [batch_size] * (len(batches) - 1)
        seen = np.concatenate([b[1] for b in batches])
        assert sorted(seen.tolist()) == list(range(n))
        for xb, yb in batches:
            np.testing.assert_array_equal(xb[:, 0], yb)
            assert xb.shape == (len(yb), 3) and xb.dtype == np.float32 and yb.dtype == np.int64
        assert loader.num_samples == n


def test_no_shuffle_keeps_the_order():
    x, y = numbered(7)
    assert np.concatenate([yb for _, yb in DataLoader(x, y, 3, shuffle=False)]).tolist() == list(range(7))


def test_shuffle_changes_order_between_epochs():
    x, y = numbered(100)
    loader = DataLoader(x, y, 100, seed=1)
    first, second = (next(iter(loader))[1] for _ in range(2))
    assert first.tolist() != list(range(100)) and first.tolist() != second.tolist()


def test_drop_last_leaves_out_the_short_batch():
    x, y = numbered(10)
    loader = DataLoader(x, y, batch_size=4, drop_last=True, seed=0)
    batches = list(loader)
    assert len(loader) == len(batches) == 2 and loader.num_samples == 8
    assert all(len(yb) == 4 for _, yb in batches)
    assert len(set(np.concatenate([yb for _, yb in batches]).tolist())) == 8
    assert list(DataLoader(x, y, batch_size=11, drop_last=True)) == []


def test_same_seed_same_epochs_other_seed_other_epochs():
    x, y = numbered(50)

    def epochs(seed):
        loader = DataLoader(x, y, 8, seed=seed)
        return [np.concatenate([yb for _, yb in loader]).tolist() for _ in range(3)]

    assert epochs(123) == epochs(123)
    assert epochs(123) != epochs(124)


def test_multi_dimensional_samples_keep_their_shape():
    x = np.zeros((9, 28, 28), dtype=np.uint8)
    xb, _ = next(iter(DataLoader(x, np.zeros(9, dtype=np.int64), 4)))
    assert xb.shape == (4, 28, 28) and xb.dtype == np.uint8


def test_batches_are_copies():
    x, y = numbered(4)
    xb, _ = next(iter(DataLoader(x, y, 4, shuffle=False)))
    xb[:] = -1
    assert x.min() == 0


def test_bad_arguments_are_refused():
    x, y = numbered(4)
    with pytest.raises(ValueError, match="same number of samples, got 4 and 3"):
        DataLoader(x, y[:3])
    for bad in (0, -1, 2.5):
        with pytest.raises(ValueError, match="batch_size must be a positive integer"):
            DataLoader(x, y, batch_size=bad)
