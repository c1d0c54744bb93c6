"""Port of the quickstart tutorial "Automatic Differentiation with torch.autograd": a one-layer logistic model,
``grad_fn``, ``w.grad`` and ``b.grad``, switching tracking off (``torch.no_grad()``, ``detach()``), and the
Jacobian-vector product ``out.backward(torch.ones_like(out), retain_graph=True)`` accumulating across calls
until ``inp.grad.zero_()``. Also ``retain_grad()`` on a non-leaf (from PyTorch's autograd notes).

Only the imports change.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_vn as torch


def one_layer_network(torch: Any, start: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, Any]:
    """The tutorial's "Tensors, Functions and Computational graph" and "Computing Gradients" sections."""
    x = torch.ones(5)  # input tensor
    y = torch.zeros(3)  # expected output
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    if start is not None:
        w, b = (torch.tensor(value, requires_grad=True) for value in start)
    z = torch.matmul(x, w)+b
    z.retain_grad()
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)

    print(f"Gradient function for z = {z.grad_fn}")
    print(f"Gradient function for loss = {loss.grad_fn}")

    loss.backward()
    print(w.grad)
    print(b.grad)
    return {"start": (w.detach().numpy().copy(), b.detach().numpy().copy()), "loss": loss.item(),
            "w.grad": w.grad.numpy(), "b.grad": b.grad.numpy(), "z.grad": z.grad.numpy(),
            "z": z.detach().numpy(), "grad_fns": (z.grad_fn is not None, loss.grad_fn is not None)}


def test_the_gradients_are_those_of_the_logistic_loss() -> None:
    torch.manual_seed(0)
    run = one_layer_network(torch)
    assert run["grad_fns"] == (True, True)
    dz = 1 / (1 + np.exp(-run["z"])) / 3  # d(mean BCE with target 0)/dz = sigmoid(z) / 3
    np.testing.assert_allclose(run["z.grad"], dz, rtol=1e-5)
    np.testing.assert_allclose(run["b.grad"], dz, rtol=1e-5)
    np.testing.assert_allclose(run["w.grad"], np.tile(dz, (5, 1)), rtol=1e-5)  # x is all ones


def test_pytorch_gives_the_same_loss_and_gradients(pytorch: Any) -> None:
    torch.manual_seed(1)
    ours = one_layer_network(torch)
    theirs = one_layer_network(pytorch, start=ours["start"])
    for key in ("loss", "w.grad", "b.grad", "z.grad"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, err_msg=key)


def disabling_gradient_tracking(torch: Any) -> tuple[bool, bool, bool]:
    """The tutorial's "Disabling Gradient Tracking" section."""
    x = torch.ones(5)
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    z = torch.matmul(x, w)+b
    tracked = z.requires_grad

    with torch.no_grad():
        z = torch.matmul(x, w)+b
    under_no_grad = z.requires_grad

    z = torch.matmul(x, w)+b
    z_det = z.detach()
    return tracked, under_no_grad, z_det.requires_grad


def test_no_grad_and_detach_stop_tracking() -> None:
    assert disabling_gradient_tracking(torch) == (True, False, False)


def jacobian_vector_products(torch: Any) -> list[np.ndarray]:
    """The tutorial's "Optional Reading: Tensor Gradients and Jacobian Products" section."""
    inp = torch.eye(4, 5, requires_grad=True)
    out = (inp+1).pow(2).t()
    out.backward(torch.ones_like(out), retain_graph=True)
    print(f"First call\n{inp.grad}")
    first = inp.grad.numpy().copy()
    out.backward(torch.ones_like(out), retain_graph=True)
    print(f"\nSecond call\n{inp.grad}")
    second = inp.grad.numpy().copy()
    inp.grad.zero_()
    out.backward(torch.ones_like(out), retain_graph=True)
    print(f"\nCall after zeroing gradients\n{inp.grad}")
    return [first, second, inp.grad.numpy().copy()]


def test_backward_accumulates_until_the_gradient_is_zeroed() -> None:
    first, second, after_zeroing = jacobian_vector_products(torch)
    expected = 2 * (np.eye(4, 5) + 1)  # d(sum (inp + 1)²)/d inp
    np.testing.assert_array_equal(first, expected)
    np.testing.assert_array_equal(second, 2 * expected)
    np.testing.assert_array_equal(after_zeroing, expected)


def test_pytorch_accumulates_the_same_way(pytorch: Any) -> None:
    for ours, theirs in zip(jacobian_vector_products(torch), jacobian_vector_products(pytorch), strict=True):
        np.testing.assert_array_equal(ours, theirs)
