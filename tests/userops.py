"""Ops a user might define with ``tg.Function``: one without a stated rule, one with."""

from __future__ import annotations

from tinygrad_vn import Function


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        return 3 * ctx.saved[0] ** 2 * grad


class Square(Function):
    """Y = X²; dX = dY ⊙ 2 X."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        return 2 * ctx.saved[0] * grad
