"""The runnable examples in docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["tinygrad_vn.animate", "tinygrad_vn.anomaly", "tinygrad_vn.autograd", "tinygrad_vn.cli.arguments",
           "tinygrad_vn.cli.examples", "tinygrad_vn.dag", "tinygrad_vn.exercise", "tinygrad_vn.explain",
           "tinygrad_vn.func", "tinygrad_vn.fused", "tinygrad_vn.interop", "tinygrad_vn.kernels.precompile",
           "tinygrad_vn.kernels.whole_step",
           "tinygrad_vn.nn.module", "tinygrad_vn.onnx", "tinygrad_vn.phrases", "tinygrad_vn.plan", "tinygrad_vn.rules",
           "tinygrad_vn.tensor", "tinygrad_vn.viz"]
NEEDS = {"tinygrad_vn.onnx": "onnx"}  # a module whose examples need an optional package


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name in NEEDS:
        pytest.importorskip(NEEDS[name], reason=f"{name}'s examples need the {NEEDS[name]} package")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no docstring examples"
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples in {name} failed"
