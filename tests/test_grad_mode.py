"""Grad-mode switches with PyTorch's API: set_grad_enabled (function, context manager, decorator), enable_grad,
inference_mode, no_grad."""

from __future__ import annotations

import pytest

import tinygrad_vn as tg


def test_set_grad_enabled_as_a_context_manager_restores_the_mode():
    with tg.set_grad_enabled(False):
        assert not tg.is_grad_enabled()
        assert not (tg.tensor([1.0], requires_grad=True) * 2).requires_grad
    assert tg.is_grad_enabled()


def test_set_grad_enabled_restores_after_an_exception():
    with pytest.raises(KeyError), tg.set_grad_enabled(False):
        raise KeyError("boom")
    assert tg.is_grad_enabled()


def test_set_grad_enabled_as_a_function_switches_for_good():
    tg.set_grad_enabled(False)
    assert not tg.is_grad_enabled()
    tg.set_grad_enabled(True)
    assert tg.is_grad_enabled()


def test_set_grad_enabled_as_a_decorator_applies_during_calls_only():
    @tg.set_grad_enabled(False)
    def evaluate():
        return tg.is_grad_enabled()

    assert tg.is_grad_enabled()
    assert evaluate() is False
    assert tg.is_grad_enabled()


def test_set_grad_enabled_refuses_a_non_boolean():
    with pytest.raises(TypeError, match="True or False"):
        tg.set_grad_enabled("no")
    assert tg.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    with tg.no_grad():
        with tg.enable_grad():
            assert (tg.tensor([1.0], requires_grad=True) * 2).requires_grad
        assert not tg.is_grad_enabled()

    @tg.enable_grad()
    def recorded():
        return tg.is_grad_enabled()

    with tg.no_grad():
        assert recorded() is True


def test_inference_mode_is_no_grad_and_can_be_turned_off():
    with tg.inference_mode():
        assert not tg.is_grad_enabled()
    with tg.inference_mode(False):
        assert tg.is_grad_enabled()

    @tg.inference_mode()
    def predict():
        return tg.is_grad_enabled()

    assert predict() is False and tg.is_grad_enabled()


def test_nested_mixed_blocks_unwind_in_order():
    with tg.no_grad():
        with tg.set_grad_enabled(True):
            assert tg.is_grad_enabled()
            with tg.inference_mode():
                assert not tg.is_grad_enabled()
            assert tg.is_grad_enabled()
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()
