"""A small synthetic MNIST-shaped dataset on disk, so that runs can be trained, stopped and resumed
in seconds without the real files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SYNTHETIC_TRAIN, SYNTHETIC_TEST = 640, 160


def idx_file(array: np.ndarray) -> bytes:
    """The IDX encoding of a uint8 array (the format of the MNIST files)."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


def synthetic_split(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Noisy images of ten fixed patterns, with a sixth of the labels shuffled so accuracy stays below 100%."""
    patterns = np.random.default_rng(1).integers(0, 256, (10, 28, 28))
    labels = rng.integers(0, 10, n)
    images = np.clip(patterns[labels] * 0.4 + rng.integers(0, 160, (n, 28, 28)), 0, 255).astype(np.uint8)
    relabelled = rng.random(n) < 1 / 6
    labels[relabelled] = rng.integers(0, 10, int(relabelled.sum()))
    return images, labels.astype(np.uint8)


@pytest.fixture(scope="session")
def synthetic_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for ``--data`` / ``data_root`` holding ``mnist/`` with 640 training and 160 test images."""
    root = tmp_path_factory.mktemp("synthetic-data")
    folder = root / "mnist"
    folder.mkdir()
    rng = np.random.default_rng(0)
    x_train, y_train = synthetic_split(SYNTHETIC_TRAIN, rng)
    x_test, y_test = synthetic_split(SYNTHETIC_TEST, rng)
    for name, array in (("train-images-idx3-ubyte", x_train), ("train-labels-idx1-ubyte", y_train),
                        ("t10k-images-idx3-ubyte", x_test), ("t10k-labels-idx1-ubyte", y_test)):
        (folder / name).write_bytes(idx_file(array))
    return root
