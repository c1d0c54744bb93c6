"""Port of "Learning PyTorch with Examples", part "PyTorch: nn": the cubic as ``nn.Sequential(nn.Linear(3, 1),
nn.Flatten(0, 1))`` on the features (x, x², x³) made by ``x.unsqueeze(-1).pow(p)``, ``nn.MSELoss(reduction='sum')``
and a hand-written update over ``model.parameters()`` under ``torch.no_grad()``.

Only the import changes, and the one line that reads the fitted coefficients out of ``nn.Linear``'s weight:
tinygrad_vn stores it (in, out) = (3, 1), so the tutorial's ``weight[:, k]`` is ``weight[k, :]`` here. The
tutorial runs 2000 steps; 300 keep the test fast and still cut the loss by more than 10 times.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from porting import is_tinygrad, load_state, state_of

import tinygrad_vn as torch

STEPS = 300


def polynomial_with_nn(torch: Any, steps: int, start: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """The tutorial's script; ``start`` (the side-by-side run) replaces the Linear layer's random initial weights."""
    # Create Tensors to hold input and outputs.
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)

    # The output y is a linear function of (x, x^2, x^3), so we treat it as a linear layer network.
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)

    # A Linear layer, then Flatten(0, 1) to turn its (2000, 1) output into the (2000,) shape of y.
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 1),
        torch.nn.Flatten(0, 1)
    )
    if start is not None:
        load_state(model, start)
    initial = state_of(model)

    # The loss function: mean squared error, summed instead of averaged.
    loss_fn = torch.nn.MSELoss(reduction='sum')

    losses = []
    learning_rate = 1e-6
    for t in range(steps):
        # Forward pass: compute predicted y by passing x to the model.
        y_pred = model(xx)

        # Compute and print loss.
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        if t % 100 == 99:
            print(t, loss.item())

        # Zero the gradients before running the backward pass.
        model.zero_grad()

        # Backward pass: the gradient of the loss with respect to all the learnable parameters of the model.
        loss.backward()

        # Update the weights using gradient descent; each parameter is a Tensor.
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad

    # You can access the first layer of `model` like accessing the first item of a list
    linear_layer = model[0]

    # For linear layer, its parameters are stored as `weight` and `bias`; the layout is the one change.
    weight = linear_layer.weight if is_tinygrad(torch) else linear_layer.weight.T
    print(f'Result: y = {linear_layer.bias.item()} + {weight[0, :].item()} x + {weight[1, :].item()} x^2 + '
          f'{weight[2, :].item()} x^3')
    return {"initial": initial, "losses": losses, "final": state_of(model), "features": (xx.dtype, tuple(xx.shape)),
            "output": tuple(y_pred.shape)}


def test_the_sequential_model_fits_sin_on_float32_features() -> None:
    torch.manual_seed(0)
    run = polynomial_with_nn(torch, STEPS)
    assert run["features"] == (torch.float32, (2000, 3))  # float32 ** int64 stays float32, as in PyTorch
    assert run["output"] == (2000,)
    assert run["losses"][-1] < run["losses"][0] / 10


def test_pytorch_from_the_same_weights_ends_at_the_same_weights(pytorch: Any) -> None:
    torch.manual_seed(1)
    ours = polynomial_with_nn(torch, STEPS)
    theirs = polynomial_with_nn(pytorch, STEPS, start=ours["initial"])
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-4)
    for name in ("0.weight", "0.bias"):
        np.testing.assert_allclose(ours["final"][name], theirs["final"][name], rtol=1e-4, atol=1e-6)
