"""Shared fixtures: the real MNIST files, found through ``TINYGRAD_VN_DATA``."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tinygrad_vn.data.mnist import DatasetNotFoundError, load_mnist


def _load_real_or_skip(kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The real dataset from ``$TINYGRAD_VN_DATA/<kind>/``, or a skip that says how to provide it."""
    root = os.environ.get("TINYGRAD_VN_DATA")
    if not root:
        pytest.skip(f"real {kind} files needed: set TINYGRAD_VN_DATA to a folder with a '{kind}' subfolder")
    try:
        return load_mnist(kind=kind, download=False, progress=False)
    except DatasetNotFoundError:
        pytest.skip(f"real {kind} files needed: none in $TINYGRAD_VN_DATA/{kind} ({root}/{kind})")


@pytest.fixture(scope="session")
def mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Real MNIST as ``(x_train, y_train, x_test, y_test)``, loaded once per test session."""
    return _load_real_or_skip("mnist")


@pytest.fixture(scope="session")
def fashion_mnist() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Real Fashion-MNIST as ``(x_train, y_train, x_test, y_test)``, loaded once per test session."""
    return _load_real_or_skip("fashion-mnist")
