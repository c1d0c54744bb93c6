"""The side-by-side half of the tutorial ports needs PyTorch; without it that half is skipped, saying why."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def pytorch() -> Any:
    """The real ``torch`` module, or a skip of the side-by-side run where PyTorch is not installed."""
    return pytest.importorskip("torch", reason="PyTorch is not installed: the side-by-side run with it is skipped")
