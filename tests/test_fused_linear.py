"""A Linear layer and the activation after it run as one fused node inside ``nn.Sequential``."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import Tensor, nn


@pytest.fixture(params=["numba", "numpy"])
def backend(request: pytest.FixtureRequest):
    previous = tg.get_backend()
    tg.set_backend(request.param)
    yield request.param
    tg.set_backend(previous)


def _loss_and_grads(model: nn.Sequential, x: Tensor, y: np.ndarray, fused: bool) -> list[np.ndarray]:
    for p in model.parameters():
        p.grad = None
    x.grad = None
    h = x
    if fused:
        h = model(h)
    else:
        for layer in model.layers:
            h = layer(h)
    loss = F.cross_entropy(h, y)
    loss.backward()
    return [loss.numpy(), x.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "elu"])
def test_fused_sequential_matches_layer_by_layer(activation: str, backend: str) -> None:
    tg.manual_seed(0)
    model = nn.mlp([5, 7, 6, 3], activation, dtype=np.float64)
    x = Tensor(np.random.default_rng(1).standard_normal((4, 5)), requires_grad=True)
    y = np.array([0, 2, 1, 1])
    for fused, plain in zip(_loss_and_grads(model, x, y, True), _loss_and_grads(model, x, y, False), strict=True):
        np.testing.assert_allclose(fused, plain, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("activation", "name"), [(nn.ReLU, "Linear+ReLU"), (nn.Sigmoid, "Linear+Sigmoid"),
                                                  (nn.Tanh, "Linear+Tanh"), (nn.ELU, "ELU")])
def test_fused_node_says_what_it_fused(activation: type, name: str, backend: str) -> None:
    model = nn.Sequential(nn.Linear(3, 2), activation())
    out = model(Tensor(np.ones((2, 3), np.float32), requires_grad=True))
    assert out.grad_fn.name == name
    if name == "ELU":
        assert out.grad_fn.parents[0].grad_fn.name == "Linear"


def test_layers_that_cannot_fuse_run_unfused(backend: str) -> None:
    model = nn.Sequential(nn.Linear(3, 2, bias=False), nn.ReLU())
    out = model(Tensor(np.ones((2, 3), np.float32)))
    assert out.grad_fn.name == "ReLU" and out.grad_fn.parents[0].grad_fn.name == "MatMul"
    batched = nn.Sequential(nn.Linear(3, 2), nn.ReLU())(Tensor(np.ones((4, 2, 3), np.float32)))
    assert batched.shape == (4, 2, 2) and batched.grad_fn.name == "ReLU"


def test_fused_linear_passes_gradcheck(backend: str) -> None:
    tg.manual_seed(0)
    layer = nn.Linear(4, 3, dtype=np.float64)
    x = Tensor(np.random.default_rng(2).standard_normal((5, 4)), requires_grad=True)
    for activation in ("identity", "relu", "sigmoid", "tanh"):
        assert tg.gradcheck(lambda a, w, b, act=activation: F.linear_activation(a, w, b, act),
                            (x, layer.weight, layer.bias))


def test_fuse_false_records_every_layer(backend: str) -> None:
    model = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid())
    model.fuse = False
    out = model(Tensor(np.ones((2, 3), np.float32)))
    assert out.grad_fn.name == "Sigmoid" and out.grad_fn.parents[0].grad_fn.name == "Add"


def test_explain_states_the_fused_rule(backend: str) -> None:
    model = nn.mlp([3, 4, 2], "tanh")
    loss = F.cross_entropy(model(Tensor(np.ones((2, 3), np.float32))), np.array([0, 1]))
    text = tg.explain(loss)
    assert "Linear+Tanh" in text and "(1 − " in text and "no gradient rule" not in text


def test_a_linear_subclass_with_its_own_forward_is_not_fused_away(backend: str) -> None:
    class Doubled(nn.Linear):
        def forward(self, x: Tensor) -> Tensor:
            return super().forward(x) * 2

    model = nn.Sequential(Doubled(3, 2), nn.ReLU())
    x = Tensor(np.ones((2, 3), np.float32))
    expected = np.maximum(2 * (x.numpy() @ model[0].weight.numpy() + model[0].bias.numpy()), 0)
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-6)
