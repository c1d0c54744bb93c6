"""Port of the quickstart tutorial "Build the Neural Network": a ``NeuralNetwork`` module (``nn.Flatten`` then a
``nn.Sequential`` stack of Linear and ReLU), ``model.to(device)``, ``print(model)``, class probabilities from
``nn.Softmax(dim=1)`` and the prediction from ``argmax(1)``, the layers one by one on a batch of three images,
and ``named_parameters()``.

Only the imports change, and the device line: the tutorial asks ``torch.accelerator`` for a GPU, which
tinygrad_vn does not have, so it says ``device = "cpu"``. Weights are (in, out) here, so the sizes that
``named_parameters()`` reports for the Linear weights are PyTorch's transposed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from porting import load_state, state_of

import tinygrad_vn as torch
from tinygrad_vn import nn


def neural_network(nn: Any) -> type:
    """The tutorial's model class, on ``nn.Module`` of either library."""

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(28*28, 512),
                nn.ReLU(),
                nn.Linear(512, 512),
                nn.ReLU(),
                nn.Linear(512, 10),
            )

        def forward(self, x):
            x = self.flatten(x)
            logits = self.linear_relu_stack(x)
            return logits

    return NeuralNetwork


def build_the_network(torch: Any, nn: Any, start: dict[str, np.ndarray] | None = None,
                      images: np.ndarray | None = None) -> dict[str, Any]:
    """The tutorial's script; ``start`` and ``images`` (the side-by-side run) fix the weights and the inputs."""
    device = "cpu"
    print(f"Using {device} device")

    NeuralNetwork = neural_network(nn)
    model = NeuralNetwork().to(device)
    if start is not None:
        load_state(model, start)
    print(model)

    X = torch.rand(1, 28, 28, device=device)
    if images is not None:
        X = torch.from_numpy(images[:1])
    logits = model(X)
    pred_probab = nn.Softmax(dim=1)(logits)
    y_pred = pred_probab.argmax(1)
    print(f"Predicted class: {y_pred}")

    # Model layers, one at a time, on a minibatch of 3 images of size 28x28.
    input_image = torch.rand(3,28,28)
    if images is not None:
        input_image = torch.from_numpy(images[1:])
    print(input_image.size())

    flatten = nn.Flatten()
    flat_image = flatten(input_image)
    print(flat_image.size())

    layer1 = nn.Linear(in_features=28*28, out_features=20)
    hidden1 = layer1(flat_image)
    print(hidden1.size())

    print(f"Before ReLU: {hidden1}\n\n")
    hidden1 = nn.ReLU()(hidden1)
    print(f"After ReLU: {hidden1}")

    seq_modules = nn.Sequential(
        flatten,
        layer1,
        nn.ReLU(),
        nn.Linear(20, 10)
    )
    logits_of_three = seq_modules(input_image)
    softmax = nn.Softmax(dim=1)
    pred_probab_of_three = softmax(logits_of_three)

    print(f"Model structure: {model}\n\n")
    sizes = {}
    for name, param in model.named_parameters():
        print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \n")
        sizes[name] = tuple(param.size())

    return {"start": state_of(model), "images": np.concatenate([X.numpy(), input_image.numpy()]),
            "logits": logits.detach().numpy(), "probabilities": pred_probab.detach().numpy(),
            "prediction": y_pred.numpy(), "shapes": (tuple(flat_image.size()), tuple(hidden1.size()),
                                                     tuple(pred_probab_of_three.size())),
            "three_sum_to_one": pred_probab_of_three.sum(1).detach().numpy(), "sizes": sizes,
            "hidden_nonnegative": bool((hidden1 >= 0).all()), "printed": repr(model)}


def test_the_network_gives_probabilities_and_a_class() -> None:
    torch.manual_seed(0)
    run = build_the_network(torch, nn)
    np.testing.assert_allclose(run["probabilities"].sum(), 1.0, rtol=1e-6)
    assert run["prediction"].tolist() == [int(np.argmax(run["logits"]))]
    assert run["shapes"] == ((3, 784), (3, 20), (3, 10))
    np.testing.assert_allclose(run["three_sum_to_one"], 1.0, rtol=1e-6)
    assert run["hidden_nonnegative"]
    assert run["sizes"] == {"linear_relu_stack.0.weight": (784, 512), "linear_relu_stack.0.bias": (512,),
                            "linear_relu_stack.2.weight": (512, 512), "linear_relu_stack.2.bias": (512,),
                            "linear_relu_stack.4.weight": (512, 10), "linear_relu_stack.4.bias": (10,)}
    assert "(linear_relu_stack): Sequential(" in run["printed"]
    assert "(0): Linear(in_features=784, out_features=512, bias=True)" in run["printed"]


def test_pytorch_gives_the_same_logits_names_and_printout(pytorch: Any) -> None:
    torch.manual_seed(1)
    ours = build_the_network(torch, nn)
    theirs = build_the_network(pytorch, pytorch.nn, start=ours["start"], images=ours["images"])
    np.testing.assert_allclose(ours["logits"], theirs["logits"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours["probabilities"], theirs["probabilities"], rtol=1e-4, atol=1e-7)
    assert ours["prediction"].tolist() == theirs["prediction"].tolist()
    transposed = {name: size[::-1] for name, size in theirs["sizes"].items()}  # (out, in) there, (in, out) here
    assert ours["sizes"] == transposed
    assert ours["printed"] == theirs["printed"]
