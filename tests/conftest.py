"""Shared test set-up: the kernel backend under test, hypothesis's settings, the real MNIST files.

Run the suite on one backend with ``pytest --backend numpy`` (or ``numba``); without the option the
backend comes from ``TINYGRAD_VN_BACKEND`` as in normal use (default ``numba``). Property tests run
25 examples each; ``HYPOTHESIS_PROFILE=thorough`` runs 300. The real MNIST and Fashion-MNIST files are
found through ``TINYGRAD_VN_DATA`` (``$TINYGRAD_VN_DATA/mnist/``, ``$TINYGRAD_VN_DATA/fashion-mnist/``);
tests that need them skip, saying so, where they are absent.
"""

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import tinygrad_vn as tg
from tinygrad_vn.data.mnist import DatasetNotFoundError, load_mnist

settings.register_profile("tinygrad_vn", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "tinygrad_vn"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backend", choices=tg.backend.BACKENDS, default=None,
                     help="kernel backend to run the suite on (default: $TINYGRAD_VN_BACKEND, else numba)")


def pytest_configure(config: pytest.Config) -> None:
    name = config.getoption("--backend")
    if name is not None:
        os.environ["TINYGRAD_VN_BACKEND"] = name
        tg.set_backend(name)


def pytest_report_header(config: pytest.Config) -> str:
    return f"tinygrad_vn backend: {tg.get_backend()}"


@pytest.fixture(autouse=True)
def _grad_mode_restored():
    """Every test starts with gradients recorded, and a test that leaves them off fails loudly."""
    tg.set_grad_enabled(True)
    yield
    assert tg.is_grad_enabled(), "the test left gradient recording switched off"


@pytest.fixture
def warnings_are_errors():
    """Any NumPy floating-point problem (but underflow to 0) or warning fails the test."""
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        yield


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
