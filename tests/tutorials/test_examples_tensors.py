"""Port of "Learning PyTorch with Examples", part "PyTorch: Tensors": y = a + b x + c x² + d x³ fitted to sin(x)
with the gradients written by hand (no autograd). Only the import changes (``import tinygrad_vn as torch``).

The tutorial runs 2000 steps; 300 keep the test fast and still cut the loss by more than 10 times.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import tinygrad_vn as torch

STEPS = 300


def polynomial_with_tensors(torch: Any, steps: int, start: list[float] | None = None) -> dict[str, Any]:
    """The tutorial's script; ``start`` (the side-by-side run) replaces the random a, b, c, d."""
    dtype = torch.float
    device = torch.device("cpu")

    # Create random input and output data
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)

    # Randomly initialize weights
    a = torch.randn((), device=device, dtype=dtype)
    b = torch.randn((), device=device, dtype=dtype)
    c = torch.randn((), device=device, dtype=dtype)
    d = torch.randn((), device=device, dtype=dtype)
    if start is not None:
        a, b, c, d = (torch.tensor(value, device=device, dtype=dtype) for value in start)
    initial = [a.item(), b.item(), c.item(), d.item()]

    losses = []
    learning_rate = 1e-6
    for t in range(steps):
        # Forward pass: compute predicted y
        y_pred = a + b * x + c * x ** 2 + d * x ** 3

        # Compute and print loss
        loss = (y_pred - y).pow(2).sum().item()
        losses.append(loss)
        if t % 100 == 99:
            print(t, loss)

        # Backprop to compute gradients of a, b, c, d with respect to loss
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x ** 2).sum()
        grad_d = (grad_y_pred * x ** 3).sum()

        # Update weights using gradient descent
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d

    print(f'Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3')
    return {"initial": initial, "losses": losses, "final": [a.item(), b.item(), c.item(), d.item()],
            "dtype": y_pred.dtype}


def test_the_hand_written_gradients_fit_sin_and_keep_float32() -> None:
    torch.manual_seed(0)
    run = polynomial_with_tensors(torch, STEPS)
    assert run["dtype"] == torch.float32
    assert run["losses"][-1] < run["losses"][0] / 10


def test_pytorch_from_the_same_start_ends_at_the_same_coefficients(pytorch: Any) -> None:
    torch.manual_seed(1)
    ours = polynomial_with_tensors(torch, STEPS)
    theirs = polynomial_with_tensors(pytorch, STEPS, start=ours["initial"])
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-4)
    np.testing.assert_allclose(ours["final"], theirs["final"], rtol=1e-4, atol=1e-6)
