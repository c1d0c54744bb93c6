"""Port of "Learning PyTorch with Examples", part "PyTorch: Custom nn Modules": the cubic as a ``torch.nn.Module``
subclass with four ``nn.Parameter`` scalars, a ``string()`` method, ``nn.MSELoss(reduction='sum')`` and
``torch.optim.SGD(model.parameters(), lr=1e-6)``.

Only the import changes. The tutorial runs 2000 steps; 300 keep the test fast and still cut the loss by more
than 10 times.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from porting import load_state, state_of

import tinygrad_vn as torch

STEPS = 300


def polynomial3(torch: Any) -> type:
    """The tutorial's module class, on ``torch.nn.Module`` of either library."""

    class Polynomial3(torch.nn.Module):
        def __init__(self):
            """Four parameters, registered as the module's own because they are nn.Parameter."""
            super().__init__()
            self.a = torch.nn.Parameter(torch.randn(()))
            self.b = torch.nn.Parameter(torch.randn(()))
            self.c = torch.nn.Parameter(torch.randn(()))
            self.d = torch.nn.Parameter(torch.randn(()))

        def forward(self, x):
            """The prediction for input x, from the parameters and any operations on tensors."""
            return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

        def string(self):
            """Like any Python class, a module may have methods of its own."""
            return f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3'

    return Polynomial3


def polynomial_as_module(torch: Any, steps: int, start: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """The tutorial's script; ``start`` (the side-by-side run) replaces the module's random parameters."""
    Polynomial3 = polynomial3(torch)

    # Create Tensors to hold input and outputs.
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)

    # Construct our model by instantiating the class defined above
    model = Polynomial3()
    if start is not None:
        load_state(model, start)
    initial = state_of(model)

    # The loss function and an Optimizer; model.parameters() holds the module's nn.Parameter members.
    criterion = torch.nn.MSELoss(reduction='sum')
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
    losses = []
    for t in range(steps):
        # Forward pass: Compute predicted y by passing x to the model
        y_pred = model(x)

        # Compute and print loss
        loss = criterion(y_pred, y)
        losses.append(loss.item())
        if t % 100 == 99:
            print(t, loss.item())

        # Zero gradients, perform a backward pass, and update the weights.
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    print(f'Result: {model.string()}')
    return {"initial": initial, "losses": losses, "final": state_of(model), "string": model.string(),
            "names": [name for name, _ in model.named_parameters()]}


def test_the_module_registers_its_parameters_and_fits_sin() -> None:
    torch.manual_seed(0)
    run = polynomial_as_module(torch, STEPS)
    assert run["names"] == ["a", "b", "c", "d"]
    assert run["losses"][-1] < run["losses"][0] / 10
    assert run["string"].startswith("y = ") and run["string"].endswith(" x^3")


def test_pytorch_from_the_same_parameters_ends_at_the_same_ones(pytorch: Any) -> None:
    torch.manual_seed(1)
    ours = polynomial_as_module(torch, STEPS)
    theirs = polynomial_as_module(pytorch, STEPS, start=ours["initial"])
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-4)
    for name in "abcd":
        np.testing.assert_allclose(ours["final"][name], theirs["final"][name], rtol=1e-4, atol=1e-6)
