"""Shared test set-up: the kernel backend under test and hypothesis's settings.

Run the suite on one backend with ``pytest --backend numpy`` (or ``numba``); without the option the
backend comes from ``TINYGRAD_VN_BACKEND`` as in normal use (default ``numba``). Property tests run
25 examples each; ``HYPOTHESIS_PROFILE=thorough`` runs 300.
"""

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import tinygrad_vn as tg

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
