"""The NumPy reference kernels give what PyTorch gives at NaN and ±inf, forward and backward.

The reference defines what every Numba kernel computes (``test_nonfinite`` holds them equal), so
checking it here checks both backends.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from test_nonfinite import assert_same
from tinygrad_vn.kernels import reference

torch = pytest.importorskip("torch")
functional = torch.nn.functional

ACTIVATIONS_TORCH: dict[str, tuple[Callable, Callable, Callable]] = {
    # name: (torch function, reference forward, reference backward(x, y, grad))
    "relu": (torch.relu, reference.relu, lambda x, y, g: reference.relu_backward(x, g)),
    "sigmoid": (torch.sigmoid, reference.sigmoid, lambda x, y, g: reference.sigmoid_backward(y, g)),
    "tanh": (torch.tanh, reference.tanh, lambda x, y, g: reference.tanh_backward(y, g)),
    "swish": (functional.silu, reference.swish, lambda x, y, g: reference.swish_backward(x, g)),
    "leaky_relu": (lambda t: functional.leaky_relu(t, 0.02), lambda x: reference.leaky_relu(x, 0.02),
                   lambda x, y, g: reference.leaky_relu_backward(x, g, 0.02)),
    "elu": (lambda t: functional.elu(t, 0.7), lambda x: reference.elu(x, 0.7),
            lambda x, y, g: reference.elu_backward(x, y, g, 0.7)),
}
EDGES = [np.nan, np.inf, -np.inf, 0.0, -0.0, -1.5, 2.5, -95.0, 95.0, -800.0, 800.0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS_TORCH))
def test_reference_activations_match_pytorch_at_non_finite_inputs(name: str, dtype: type) -> None:
    torch_fn, forward, backward = ACTIVATIONS_TORCH[name]
    x = np.array(EDGES, dtype)
    grad = np.linspace(0.5, 3.0, x.size).astype(dtype)
    grad[-1] = np.nan
    with np.errstate(all="ignore"):
        y = forward(x)
        dx = backward(x, y, grad)
    t = torch.tensor(x, requires_grad=True)
    out = torch_fn(t)
    out.backward(torch.tensor(grad))
    assert_same(y, out.detach().numpy(), dtype)
    # elu's y + alpha cancels to alpha eˣ: absolute precision relative to alpha · |grad| only.
    assert_same(dx, t.grad.numpy(), dtype, 3.0 if name == "elu" else 0.0)


ROWS = [[np.nan, 1.0, 2.0], [1.0, np.inf, 2.0], [-np.inf, 1.0, 2.0], [-np.inf, -np.inf, -np.inf], [np.inf, np.inf, 0.0],
        [3.0, -np.inf, np.inf], [1.0, 2.0, 3.0]]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reference_softmax_and_cross_entropy_match_pytorch_on_non_finite_rows(dtype: type) -> None:
    logits = np.array(ROWS, dtype)
    grad = np.tile(np.array([1.0, -2.0, 0.5], dtype), (len(ROWS), 1))
    target = np.array([0, 1, 0, 2, 1, 2, 1])
    with np.errstate(all="ignore"):
        for ours, theirs, backward in (
                (reference.softmax, functional.softmax, reference.softmax_backward),
                (reference.log_softmax, functional.log_softmax, reference.log_softmax_backward)):
            t = torch.tensor(logits, requires_grad=True)
            out = theirs(t, dim=-1)
            out.backward(torch.tensor(grad))
            y = ours(logits, -1)
            assert_same(y, out.detach().numpy(), dtype)
            assert_same(backward(y, grad, -1), t.grad.numpy(), dtype, 3.0)
        t = torch.tensor(logits, requires_grad=True)
        losses = functional.cross_entropy(t, torch.tensor(target), reduction="none")
        losses.backward(torch.ones(len(ROWS), dtype=t.dtype))
        ref_losses, probs = reference.cross_entropy(logits, target)
        assert_same(ref_losses, losses.detach().numpy(), dtype, 3.0)
        assert_same(reference.cross_entropy_backward(probs, target, np.ones(len(ROWS), dtype)), t.grad.numpy(), dtype)
