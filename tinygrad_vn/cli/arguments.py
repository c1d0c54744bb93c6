"""Argument types shared by the subcommands: each turns bad text into argparse's one-line error."""

from __future__ import annotations

import argparse
import math


def positive_int(text: str) -> int:
    """An integer of at least 1, or an argparse error that says so."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def non_negative_int(text: str) -> int:
    """An integer of at least 0 (a seed), or an argparse error that says so."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer of at least 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer of at least 0, got {text}")
    return value


def _finite_float(text: str, wanted: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text}")
    return value


def positive_float(text: str) -> float:
    """A finite number above 0 (a learning rate); NaN and infinity are refused."""
    value = _finite_float(text, "a finite number above 0")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite number above 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """A finite number of at least 0 (a weight decay); NaN, infinity and negatives are refused."""
    value = _finite_float(text, "a finite number of at least 0")
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a finite number of at least 0, got {text}")
    return value


def unit_interval_float(text: str) -> float:
    """A finite number in [0, 1) (a momentum, a dropout probability); NaN, infinity and 1 or more are refused."""
    value = _finite_float(text, "a number in [0, 1)")
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text}")
    return value


def parse_layer_sizes(text: str) -> tuple[int, ...]:
    """``"784,128,10"`` as ``(784, 128, 10)``; a ValueError when it is not a sane MLP (see
    :func:`tinygrad_vn.train.check_layer_sizes` for the limits)."""
    from tinygrad_vn.train import check_layer_sizes

    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"layer sizes must be integers separated by commas, like 784,128,10; got {text!r}") from None
    return check_layer_sizes(sizes, "layer sizes")


def layer_sizes(text: str) -> tuple[int, ...]:
    """:func:`parse_layer_sizes` as an argparse type."""
    try:
        return parse_layer_sizes(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
