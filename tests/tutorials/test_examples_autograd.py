"""Port of "Learning PyTorch with Examples", part "PyTorch: Tensors and autograd": the same cubic fitted to sin(x),
the gradients from ``loss.backward()``, the update under ``torch.no_grad()`` and ``a.grad = None`` after it.

The tutorial runs 2000 steps; 300 keep the test fast and still cut the loss by more than 10 times.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import tinygrad_vn as torch

STEPS = 300


def polynomial_with_autograd(torch: Any, steps: int, start: list[float] | None = None) -> dict[str, Any]:
    """The tutorial's script; ``start`` (the side-by-side run) replaces the random a, b, c, d."""
    dtype = torch.float
    device = torch.device("cpu")

    # Create Tensors to hold input and outputs; no gradients are needed with respect to them.
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)

    # Create random Tensors for weights, and record operations on them for backward.
    a = torch.randn((), device=device, dtype=dtype, requires_grad=True)
    b = torch.randn((), device=device, dtype=dtype, requires_grad=True)
    c = torch.randn((), device=device, dtype=dtype, requires_grad=True)
    d = torch.randn((), device=device, dtype=dtype, requires_grad=True)
    if start is not None:
        a, b, c, d = (torch.tensor(value, device=device, dtype=dtype, requires_grad=True) for value in start)
    initial = [a.item(), b.item(), c.item(), d.item()]

    losses = []
    learning_rate = 1e-6
    for t in range(steps):
        # Forward pass: compute predicted y using operations on Tensors.
        y_pred = a + b * x + c * x ** 2 + d * x ** 3

        # Compute and print loss; loss is a Tensor of shape ().
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        if t % 100 == 99:
            print(t, loss.item())

        # The backward pass fills a.grad, b.grad, c.grad and d.grad.
        loss.backward()

        # Update the weights by hand, outside the graph.
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad

            # Manually zero the gradients after updating weights
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None

    print(f'Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3')
    return {"initial": initial, "losses": losses, "final": [a.item(), b.item(), c.item(), d.item()],
            "leaves": [t.is_leaf and t.requires_grad and t.grad is None for t in (a, b, c, d)]}


def test_autograd_fits_sin_and_the_weights_stay_trainable_leaves() -> None:
    torch.manual_seed(0)
    run = polynomial_with_autograd(torch, STEPS)
    assert run["losses"][-1] < run["losses"][0] / 10
    assert run["leaves"] == [True] * 4


def test_pytorch_from_the_same_start_ends_at_the_same_coefficients(pytorch: Any) -> None:
    torch.manual_seed(1)
    ours = polynomial_with_autograd(torch, STEPS)
    theirs = polynomial_with_autograd(pytorch, STEPS, start=ours["initial"])
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-4)
    np.testing.assert_allclose(ours["final"], theirs["final"], rtol=1e-4, atol=1e-6)
