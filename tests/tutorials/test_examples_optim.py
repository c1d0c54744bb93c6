"""Port of "Learning PyTorch with Examples", part "PyTorch: optim": the ``nn.Sequential`` cubic trained by an
optimizer (``optimizer.zero_grad()``, ``loss.backward()``, ``optimizer.step()``) instead of a hand-written update.

The optimizer is the tutorial's ``torch.optim.RMSprop(model.parameters(), lr=1e-3)``. Only the import
changes. The tutorial runs 2000 steps; 500 keep the test fast and still cut the loss by more than 10 times.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from porting import load_state, state_of

import tinygrad_vn as torch

STEPS = 500


def polynomial_with_optim(torch: Any, steps: int, start: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """The tutorial's script; ``start`` (the side-by-side run) replaces the Linear layer's random initial weights."""
    # Prepare the input tensor (x, x^2, x^3).
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)

    # Use the nn package to define our model and loss function.
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 1),
        torch.nn.Flatten(0, 1)
    )
    if start is not None:
        load_state(model, start)
    initial = state_of(model)
    loss_fn = torch.nn.MSELoss(reduction='sum')

    # Use the optim package to define an Optimizer that will update the weights of the model for us.
    learning_rate = 1e-3
    optimizer = torch.optim.RMSprop(model.parameters(), lr=learning_rate)
    losses = []
    for t in range(steps):
        # Forward pass: compute predicted y by passing x to the model.
        y_pred = model(xx)

        # Compute and print loss.
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        if t % 100 == 99:
            print(t, loss.item())

        # Before the backward pass, zero the gradients of the variables the optimizer will update.
        optimizer.zero_grad()

        # Backward pass: compute gradient of the loss with respect to model parameters
        loss.backward()

        # Calling the step function on an Optimizer makes an update to its parameters
        optimizer.step()

    return {"initial": initial, "losses": losses, "final": state_of(model)}


def test_the_optimizer_fits_sin() -> None:
    torch.manual_seed(0)
    run = polynomial_with_optim(torch, STEPS)
    assert run["losses"][-1] < run["losses"][0] / 10


def test_pytorch_with_the_same_optimizer_ends_at_the_same_weights(pytorch: Any) -> None:
    torch.manual_seed(1)
    ours = polynomial_with_optim(torch, STEPS)
    theirs = polynomial_with_optim(pytorch, STEPS, start=ours["initial"])
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-4)
    for name in ("0.weight", "0.bias"):
        np.testing.assert_allclose(ours["final"][name], theirs["final"][name], rtol=1e-4, atol=1e-6)
