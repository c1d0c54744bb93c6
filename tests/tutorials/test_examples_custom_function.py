"""Port of "Learning PyTorch with Examples", part "PyTorch: Defining new autograd functions": the cubic written as
y = a + b P3(c + d x) with P3 the Legendre polynomial ½(5x³ - 3x), as a ``torch.autograd.Function`` subclass
whose forward saves its input with ``ctx.save_for_backward`` and whose backward reads ``ctx.saved_tensors``.

Only the import changes. tinygrad_vn's Function receives and returns NumPy arrays where PyTorch's receives
tensors; the tutorial's forward and backward are arithmetic only, so the same text runs on both. The tutorial
runs 2000 steps; 1000 keep the test fast and still cut the loss by more than 10 times.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import tinygrad_vn as torch

STEPS = 1000


def legendre_polynomial3(torch: Any) -> type:
    """The tutorial's custom autograd function, defined on ``torch.autograd.Function`` of either library."""

    class LegendrePolynomial3(torch.autograd.Function):
        """P3(x) = ½(5x³ - 3x), with its derivative P3'(x) = (3/2)(5x² - 1) written by hand."""

        @staticmethod
        def forward(ctx, input):
            # ctx is a context object: keep what backward will need with ctx.save_for_backward.
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            # The gradient of the loss with respect to the input, from the one with respect to the output.
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    return LegendrePolynomial3


def polynomial_with_custom_function(torch: Any, steps: int) -> dict[str, Any]:
    """The tutorial's script (its starting weights are fixed numbers, so both runs start alike)."""
    LegendrePolynomial3 = legendre_polynomial3(torch)
    dtype = torch.float
    device = torch.device("cpu")

    # Create Tensors to hold input and outputs.
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)

    # Weights close enough to the result for convergence (the tutorial's choice).
    a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)

    losses = []
    learning_rate = 5e-6
    for t in range(steps):
        # To apply our Function, we use Function.apply and alias it as P3.
        P3 = LegendrePolynomial3.apply

        # Forward pass: compute predicted y using operations; we compute P3 using our custom autograd operation.
        y_pred = a + b * P3(c + d * x)

        # Compute and print loss
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        if t % 100 == 99:
            print(t, loss.item())

        # Use autograd to compute the backward pass.
        loss.backward()

        # Update weights using gradient descent
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

    print(f'Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)')
    return {"losses": losses, "final": [a.item(), b.item(), c.item(), d.item()], "grad_fn": type(y_pred.grad_fn)}


def test_the_custom_function_trains_the_legendre_form() -> None:
    run = polynomial_with_custom_function(torch, STEPS)
    assert run["losses"][-1] < run["losses"][0] / 10


def test_the_custom_function_has_the_gradient_of_p3() -> None:
    P3 = legendre_polynomial3(torch).apply
    x = torch.tensor([-0.7, 0.1, 0.9], dtype=torch.float64, requires_grad=True)
    assert torch.gradcheck(P3, [x])
    P3(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1.5 * (5 * x.detach().numpy() ** 2 - 1))


def test_pytorch_runs_the_same_function_to_the_same_coefficients(pytorch: Any) -> None:
    ours = polynomial_with_custom_function(torch, STEPS)
    theirs = polynomial_with_custom_function(pytorch, STEPS)
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-4)
    np.testing.assert_allclose(ours["final"], theirs["final"], rtol=1e-4, atol=1e-6)
