"""Port of "Learning PyTorch with Examples", part "PyTorch: Control Flow + Weight Sharing": a module whose forward
picks at random, on every call, whether to add 0, 1 or 2 more terms e x⁴, e x⁵ (a Python loop, the same
parameter e reused by each term), trained by ``torch.optim.SGD(lr=1e-8, momentum=0.9)``.

Only the import changes. The graph differs from call to call, so this checks that a graph is built afresh on
every forward. Both runs seed Python's ``random`` alike, so they draw the same sequence of depths. The
tutorial runs 30000 steps; 300 keep the test fast and still cut the loss by more than 10 times.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
from porting import load_state, state_of

import tinygrad_vn as torch

STEPS = 300


def dynamic_net(torch: Any) -> type:
    """The tutorial's module class, on ``torch.nn.Module`` of either library."""

    class DynamicNet(torch.nn.Module):
        def __init__(self):
            """Five parameters, the fifth (e) shared by every higher-order term."""
            super().__init__()
            self.a = torch.nn.Parameter(torch.randn(()))
            self.b = torch.nn.Parameter(torch.randn(()))
            self.c = torch.nn.Parameter(torch.randn(()))
            self.d = torch.nn.Parameter(torch.randn(()))
            self.e = torch.nn.Parameter(torch.randn(()))

        def forward(self, x):
            """A third, fourth or fifth order polynomial, chosen at random, reusing e for every extra term."""
            y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
            for exp in range(4, random.randint(4, 6)):
                y = y + self.e * x ** exp
            return y

        def string(self):
            """The fitted polynomial, as text."""
            return (f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3 + '
                    f'{self.e.item()} x^4 ? + {self.e.item()} x^5 ?')

    return DynamicNet


def fit_dynamic_net(torch: Any, steps: int, start: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """The tutorial's script; ``start`` (the side-by-side run) replaces the module's random parameters."""
    DynamicNet = dynamic_net(torch)
    random.seed(12)

    # Create Tensors to hold input and outputs.
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)

    # Construct our model by instantiating the class defined above
    model = DynamicNet()
    if start is not None:
        load_state(model, start)
    initial = state_of(model)

    # Training this strange model with vanilla stochastic gradient descent is tough, so we use momentum
    criterion = torch.nn.MSELoss(reduction='sum')
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
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
    return {"initial": initial, "losses": losses, "final": state_of(model)}


def test_the_dynamic_graph_trains_the_shared_weight() -> None:
    torch.manual_seed(0)
    run = fit_dynamic_net(torch, STEPS)
    assert run["final"]["e"] != run["initial"]["e"]
    assert min(run["losses"][-10:]) < run["losses"][0] / 10


def test_pytorch_drawing_the_same_depths_ends_at_the_same_parameters(pytorch: Any) -> None:
    torch.manual_seed(1)
    ours = fit_dynamic_net(torch, STEPS)
    theirs = fit_dynamic_net(pytorch, STEPS, start=ours["initial"])
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-4)
    for name in "abcde":
        np.testing.assert_allclose(ours["final"][name], theirs["final"][name], rtol=1e-4, atol=1e-6)
