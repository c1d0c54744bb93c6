"""Port of "A Gentle Introduction to torch.autograd" (Deep Learning with PyTorch: A 60 Minute Blitz).

Only the imports change, and the model: the tutorial loads a pretrained ``torchvision`` ResNet-18, which has no
counterpart here, so a small MLP with the same interface stands in for it (an ``fc`` head to replace, images in,
1000 scores out). Covered: one training step (forward, ``loss.backward()``, ``optim.step()``); the gradient of a
vector output through ``Q.backward(gradient=external_grad)`` checked against the hand-derived 9a² and -2b;
``requires_grad`` spreading through ``+``; and fine-tuning by freezing every parameter and swapping the head.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from porting import load_state, state_of

import tinygrad_vn as torch
from tinygrad_vn import nn, optim


def small_resnet_stand_in(torch: Any, nn: Any) -> Any:
    """An MLP with ResNet-18's interface: (N, 3, 64, 64) images in, 1000 scores out, a 512-wide ``fc`` head."""

    class StandIn(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Flatten(), nn.Linear(3 * 64 * 64, 64), nn.ReLU(), nn.Linear(64, 512),
                                      nn.ReLU())
            self.fc = nn.Linear(512, 1000)

        def forward(self, x):
            return self.fc(self.body(x))

    return StandIn()


def one_training_step(torch: Any, start: dict[str, np.ndarray] | None = None,
                      batch: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, Any]:
    """The tutorial's "Usage in PyTorch" step; ``start`` and ``batch`` (the side-by-side run) fix weights and data."""
    model = small_resnet_stand_in(torch, torch.nn)
    if start is not None:
        load_state(model, start)
    initial = state_of(model)
    data = torch.rand(1, 3, 64, 64)
    labels = torch.rand(1, 1000)
    if batch is not None:
        data, labels = torch.from_numpy(batch[0]), torch.from_numpy(batch[1])

    prediction = model(data)  # forward pass
    loss = (prediction - labels).sum()
    loss.backward()  # backward pass

    optim = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    optim.step()  # gradient descent
    return {"initial": initial, "batch": (data.numpy(), labels.numpy()), "loss": loss.item(),
            "final": state_of(model)}


def test_one_step_moves_every_parameter_against_its_gradient() -> None:
    torch.manual_seed(0)
    run = one_training_step(torch)
    for name, before in run["initial"].items():
        assert not np.array_equal(before, run["final"][name]), name
    # d(sum of scores)/d(fc.bias) is 1 for each score, so one SGD step takes lr = 1e-2 off every bias.
    np.testing.assert_allclose(run["initial"]["fc.bias"] - run["final"]["fc.bias"], 1e-2, rtol=1e-4)


def test_pytorch_takes_the_same_step(pytorch: Any) -> None:
    torch.manual_seed(1)
    ours = one_training_step(torch)
    theirs = one_training_step(pytorch, start=ours["initial"], batch=ours["batch"])
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-5)
    for name, value in ours["final"].items():
        np.testing.assert_allclose(value, theirs["final"][name], rtol=1e-5, atol=1e-6, err_msg=name)


def differentiation_in_autograd(torch: Any) -> dict[str, Any]:
    """The tutorial's "Differentiation in Autograd" section: Q = 3a³ - b² and its gradient for a vector Q."""
    a = torch.tensor([2., 3.], requires_grad=True)
    b = torch.tensor([6., 4.], requires_grad=True)
    Q = 3*a**3 - b**2

    # Q is a vector: backward needs the gradient of Q with respect to itself, here all ones.
    external_grad = torch.tensor([1., 1.])
    Q.backward(gradient=external_grad)

    # The gradients equal the hand-derived ones.
    print(9*a**2 == a.grad)
    print(-2*b == b.grad)
    return {"a": (9*a**2 == a.grad).tolist(), "b": (-2*b == b.grad).tolist(), "grads": (a.grad.tolist(),
                                                                                        b.grad.tolist())}


def test_a_vector_output_backpropagates_the_given_gradient() -> None:
    run = differentiation_in_autograd(torch)
    assert run["a"] == [True, True] and run["b"] == [True, True]
    assert run["grads"] == ([36.0, 81.0], [-12.0, -8.0])


def test_pytorch_gives_the_same_vector_gradients(pytorch: Any) -> None:
    assert differentiation_in_autograd(torch) == differentiation_in_autograd(pytorch)


def exclusion_from_the_dag(torch: Any) -> tuple[bool, bool]:
    """The tutorial's "Exclusion from the DAG": an op's output requires grad when any input does."""
    x = torch.rand(5, 5)
    y = torch.rand(5, 5)
    z = torch.rand((5, 5), requires_grad=True)

    a = x + y
    print(f"Does `a` require gradients?: {a.requires_grad}")
    b = x + z
    print(f"Does `b` require gradients?: {b.requires_grad}")
    return a.requires_grad, b.requires_grad


def test_requires_grad_spreads_only_from_inputs_that_have_it() -> None:
    assert exclusion_from_the_dag(torch) == (False, True)


def finetune(torch: Any, nn: Any, optim: Any) -> dict[str, Any]:
    """The tutorial's fine-tuning recipe: freeze the network, replace its head, optimize the head only."""
    model = small_resnet_stand_in(torch, nn)

    # Freeze all the parameters in the network
    for param in model.parameters():
        param.requires_grad = False
    frozen = state_of(model)

    model.fc = nn.Linear(512, 10)

    # Optimize only the classifier
    optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)

    loss = model(torch.rand(4, 3, 64, 64)).pow(2).sum()
    loss.backward()
    optimizer.step()
    after = state_of(model)
    return {"frozen": {name: np.array_equal(value, after[name]) for name, value in frozen.items()
                       if not name.startswith("fc.")},
            "trainable": sorted(name for name, p in model.named_parameters() if p.requires_grad),
            "head_grads": model.fc.weight.grad is not None and model.fc.bias.grad is not None}


def test_finetuning_changes_the_new_head_only() -> None:
    torch.manual_seed(0)
    run = finetune(torch, nn, optim)
    assert run["frozen"] == {"body.1.weight": True, "body.1.bias": True, "body.3.weight": True, "body.3.bias": True}
    assert run["trainable"] == ["fc.bias", "fc.weight"]
    assert run["head_grads"]


def test_pytorch_freezes_and_trains_the_same_parameters(pytorch: Any) -> None:
    torch.manual_seed(0)
    ours = finetune(torch, nn, optim)
    theirs = finetune(pytorch, pytorch.nn, pytorch.optim)
    assert ours == theirs
