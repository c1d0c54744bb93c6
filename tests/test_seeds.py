"""The course notes' worked examples (../shared/seeds/), recomputed by the engine."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import Tensor, nn, optim, seeds

# ----------------------------------------------------------------------------- seed 000: the 1-2-1 network by hand

PRINTED = {
    "z1(1)": 0.25, "z2(1)": 0.5, "a1(1)": 0.562, "a2(1)": 0.622, "z1(2)": 1.873, "ŷ": 0.867,
    "∂L/∂b1(2)": 0.367, "∂L/∂w11(2)": 0.206, "∂L/∂w21(2)": 0.228, "∂L/∂b1(1)": 0.090, "∂L/∂b2(1)": 0.043,
    "∂L/∂w11(1)": 0.045, "∂L/∂w12(1)": 0.0215,
    "w11(1)'": 0.4955, "w12(1)'": 0.99785, "b1(1)'": -0.009, "b2(1)'": -0.0043, "w11(2)'": 0.9794,
    "w21(2)'": 0.4772, "b1(2)'": 0.9633,
}
INITIAL = {"w11(1)": 0.5, "w12(1)": 1.0, "b1(1)": 0.0, "b2(1)": 0.0, "w11(2)": 1.0, "w21(2)": 0.5, "b1(2)": 1.0}


def seed000_by_hand(dtype=np.float64):
    """The seed's network written with raw tensors, exactly as the note lays it out."""
    w1 = Tensor([[INITIAL["w11(1)"], INITIAL["w12(1)"]]], dtype=dtype, requires_grad=True)
    b1 = Tensor([INITIAL["b1(1)"], INITIAL["b2(1)"]], dtype=dtype, requires_grad=True)
    w2 = Tensor([[INITIAL["w11(2)"]], [INITIAL["w21(2)"]]], dtype=dtype, requires_grad=True)
    b2 = Tensor([INITIAL["b1(2)"]], dtype=dtype, requires_grad=True)
    return w1, b1, w2, b2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_seed000_every_printed_number_to_3_decimals(dtype) -> None:
    w1, b1, w2, b2 = seed000_by_hand(dtype)
    x, y = Tensor([[0.5]], dtype=dtype), Tensor([[0.5]], dtype=dtype)
    z1 = x @ w1 + b1
    a1 = z1.sigmoid()
    z2 = a1 @ w2 + b2
    y_hat = z2.sigmoid()
    loss = F.binary_cross_entropy(y_hat, y)
    loss.backward()
    engine = {
        "z1(1)": z1.data[0, 0], "z2(1)": z1.data[0, 1], "a1(1)": a1.data[0, 0], "a2(1)": a1.data[0, 1],
        "z1(2)": z2.data[0, 0], "ŷ": y_hat.data[0, 0],
        "∂L/∂b1(2)": b2.grad.data[0], "∂L/∂w11(2)": w2.grad.data[0, 0], "∂L/∂w21(2)": w2.grad.data[1, 0],
        "∂L/∂b1(1)": b1.grad.data[0], "∂L/∂b2(1)": b1.grad.data[1],
        "∂L/∂w11(1)": w1.grad.data[0, 0], "∂L/∂w12(1)": w1.grad.data[0, 1],
    }
    optim.SGD([w1, b1, w2, b2], lr=0.1).step()
    engine.update({"w11(1)'": w1.data[0, 0], "w12(1)'": w1.data[0, 1], "b1(1)'": b1.data[0], "b2(1)'": b1.data[1],
                   "w11(2)'": w2.data[0, 0], "w21(2)'": w2.data[1, 0], "b1(2)'": b2.data[0]})
    assert set(engine) == set(PRINTED)
    for name, printed in PRINTED.items():
        assert abs(engine[name] - printed) <= 5e-4, (name, engine[name], printed)
    assert y_hat.grad_fn.name == "Sigmoid"


def test_seed000_module_version_prints_the_same() -> None:
    assert seeds.SEED000_PRINTED == PRINTED
    step = seeds.seed000_step(seeds.seed000_network(), 0.5, 0.5)
    for name, printed in PRINTED.items():
        assert abs(step.values[name] - printed) <= 5e-4, name
    model = seeds.seed000_network()
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    np.testing.assert_array_equal(model[0].weight.data, [[0.5, 1.0]])
    np.testing.assert_array_equal(model[2].weight.data, [[1.0], [0.5]])


def numpy_seed000_epoch(x: np.ndarray, y: np.ndarray, lr: float = 0.1) -> dict[str, np.ndarray]:
    """One epoch of per-record SGD written from the seed's equations, no autodiff."""
    w1 = np.array([INITIAL["w11(1)"], INITIAL["w12(1)"]])
    b1 = np.array([INITIAL["b1(1)"], INITIAL["b2(1)"]])
    w2 = np.array([INITIAL["w11(2)"], INITIAL["w21(2)"]])
    b2 = INITIAL["b1(2)"]
    sigma = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    for xi, yi in zip(x, y):
        a1 = sigma(xi * w1 + b1)
        y_hat = sigma(a1 @ w2 + b2)
        d_out = y_hat - yi                     # ∂L/∂z(2) = ŷ − y
        d_w2, d_b2 = d_out * a1, d_out
        d_hidden = d_out * w2 * a1 * (1 - a1)  # (ŷ − y) · w(2) · a(1 − a)
        d_w1, d_b1 = d_hidden * xi, d_hidden
        w1, b1, w2, b2 = w1 - lr * d_w1, b1 - lr * d_b1, w2 - lr * d_w2, b2 - lr * d_b2
    return {"0.weight": w1[None, :], "0.bias": b1, "2.weight": w2[:, None], "2.bias": np.array([b2])}


def test_seed000_records_are_min_max_scaled() -> None:
    x, y = seeds.seed000_records()
    np.testing.assert_allclose(x[:, 0], [0.0, 0.5, 1.0])
    np.testing.assert_allclose(y[:, 0], [0.0, 0.5, 1.0])


def test_seed000_one_full_epoch_matches_a_numpy_backprop() -> None:
    x, y = seeds.seed000_records()
    expected = numpy_seed000_epoch(x[:, 0], y[:, 0])
    model = seeds.seed000_network()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    before = F.binary_cross_entropy(model(Tensor(x)), Tensor(y)).item()
    for xi, yi in zip(x, y):
        loss = F.binary_cross_entropy(model(Tensor(xi[None, :])), Tensor(yi[None, :]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(value, expected[name], rtol=1e-12, err_msg=name)
    assert F.binary_cross_entropy(model(Tensor(x)), Tensor(y)).item() < before
    model2 = seeds.seed000_network()
    for xi, yi in zip(x[:, 0], y[:, 0]):
        seeds.seed000_step(model2, float(xi), float(yi))
    for name, value in model2.state_dict().items():
        np.testing.assert_allclose(value, expected[name], rtol=1e-12, err_msg=name)


# ----------------------------------------------------------------------------- seed 001: ReLU → sigmoid → softmax


def seed001_network() -> tuple[nn.Sequential, np.ndarray, np.ndarray]:
    tg.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 5, dtype=np.float64), nn.ReLU(), nn.Linear(5, 4, dtype=np.float64),
                          nn.Sigmoid(), nn.Linear(4, 3, dtype=np.float64))
    x = np.random.default_rng(1).normal(size=(6, 3))
    y = np.eye(3)[[0, 2, 1, 1, 0, 2]]
    return model, x, y


@pytest.mark.parametrize("loss_form", ["composed", "cross_entropy_int", "cross_entropy_onehot"])
def test_seed001_output_gradient_is_o_minus_y(loss_form: str) -> None:
    model, x, y = seed001_network()
    z = model(Tensor(x)).retain_grad()
    o = z.softmax(axis=-1)
    if loss_form == "composed":
        loss = -(Tensor(y) * o.log()).sum()          # L = −Σ y_k ln o_k, summed over the samples
    elif loss_form == "cross_entropy_int":
        loss = F.cross_entropy(z, y.argmax(axis=1), reduction="sum")
    else:
        loss = F.cross_entropy(z, y, reduction="sum")
    loss.backward()
    np.testing.assert_allclose(z.grad.data, o.data - y, atol=1e-12)


def test_seed001_weight_gradients_follow_the_notes_chain_rule() -> None:
    model, x, y = seed001_network()
    loss = F.cross_entropy(model(Tensor(x)), y, reduction="sum")
    loss.backward()
    w1, b1, w2, b2, w3, b3 = (p.data for p in model.parameters())
    z_h1 = x @ w1 + b1
    a1 = np.maximum(z_h1, 0)
    a2 = 1 / (1 + np.exp(-(a1 @ w2 + b2)))
    z = a2 @ w3 + b3
    o = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    dz = o - y                                    # output: ∂L/∂z_k = o_k − y_k
    d_h2 = (dz @ w3.T) * a2 * (1 - a2)            # hidden 2: Σ (o_k − y_k) w_ok · a2 (1 − a2)
    d_h1 = (d_h2 @ w2.T) * (z_h1 > 0)             # hidden 1: ReLU passes where z_h1 > 0
    assert (z_h1 <= 0).any() and (z_h1 > 0).any()
    expected = [x.T @ d_h1, d_h1.sum(0), a1.T @ d_h2, d_h2.sum(0), a2.T @ dz, dz.sum(0)]
    for p, e in zip(model.parameters(), expected):
        np.testing.assert_allclose(p.grad.data, e, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- seed 003: activations and initialisation


def derivative(op: str, z: float, **kwargs) -> float:
    t = Tensor([z], dtype=np.float64, requires_grad=True)
    getattr(t, op)(**kwargs).sum().backward()
    return t.grad.item()


def test_seed003_activation_derivative_table() -> None:
    assert derivative("sigmoid", 0.0) == 0.25
    assert derivative("sigmoid", 10.0) == pytest.approx(0.0, abs=5e-5)
    assert derivative("sigmoid", -10.0) == pytest.approx(0.0, abs=5e-5)
    assert Tensor([10.0, -10.0, 0.0]).sigmoid().data.round(3).tolist() == [1.0, 0.0, 0.5]
    assert derivative("tanh", 0.0) == 1.0
    assert derivative("tanh", 10.0) == pytest.approx(0.0, abs=1e-8)
    assert derivative("tanh", -10.0) == pytest.approx(0.0, abs=1e-8)
    assert derivative("relu", -2.0) == 0.0 and derivative("relu", 3.0) == 1.0
    assert derivative("leaky_relu", -2.0) == pytest.approx(0.01) and derivative("leaky_relu", 3.0) == 1.0
    assert derivative("leaky_relu", -2.0, negative_slope=0.1) == pytest.approx(0.1)
    assert derivative("elu", -1.0) == pytest.approx(np.exp(-1.0)) and derivative("elu", 2.0) == 1.0


def train_two_layer(init) -> nn.Sequential:
    """The lecture's 3-4-1 sigmoid network trained a few steps on m points, weights from ``init``."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.Sigmoid(), nn.Linear(4, 1, dtype=np.float64),
                          nn.Sigmoid())
    for layer in (model[0], model[2]):
        init(layer.weight)
        nn.init.zeros_(layer.bias)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3))
    y = (x.sum(axis=1, keepdims=True) > 0).astype(np.float64)
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    for _ in range(20):
        loss = F.binary_cross_entropy(model(Tensor(x)), Tensor(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def test_seed003_zero_initialisation_keeps_hidden_units_identical() -> None:
    model = train_two_layer(nn.init.zeros_)
    w1, b1, w2 = model[0].weight.data, model[0].bias.data, model[2].weight.data
    assert np.abs(w2).max() > 1e-3, "the output layer did learn"
    for unit in range(1, 4):
        np.testing.assert_allclose(w1[:, unit], w1[:, 0], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(b1[unit], b1[0], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(w2[unit], w2[0], rtol=1e-9, atol=1e-12)


def test_seed003_small_random_initialisation_breaks_the_symmetry() -> None:
    model = train_two_layer(lambda w: nn.init.normal_(w, std=0.01))
    w1, w2 = model[0].weight.data, model[2].weight.data
    for unit in range(1, 4):
        assert np.abs(w1[:, unit] - w1[:, 0]).max() > 1e-3
        assert np.abs(w2[unit] - w2[0]).max() > 1e-3


# ----------------------------------------------------------------------------- seed 004: the 2-3-4-1 network


def test_seed004_matrix_shapes_are_the_notes() -> None:
    model = seeds.seed004_network()
    shapes = [p.shape for p in model.parameters()]
    assert shapes == [(2, 3), (3,), (3, 4), (4,), (4, 1), (1,)]
    x, _ = seeds.seed004_dataset(n=7)
    n = len(x)
    z1 = model[0](Tensor(x.astype(np.float32)))
    z2 = model[2](model[1](z1))
    z3 = model[4](model[3](z2))
    assert (z1.shape, z2.shape, z3.shape) == ((n, 3), (n, 4), (n, 1))
    assert model(Tensor(x.astype(np.float32))).shape == (n, 1)


def test_seed004_gradients_are_the_notes_delta_equations() -> None:
    tg.manual_seed(4)
    model = seeds.seed004_network(dtype=np.float64)
    x, y = seeds.seed004_dataset(n=12)
    x = tg.data.StandardScaler().fit_transform(x)
    F.binary_cross_entropy(model(Tensor(x)), Tensor(y), reduction="sum").backward()
    w1, b1, w2, b2, w3, b3 = (p.data for p in model.parameters())
    sigma = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    a1 = sigma(x @ w1 + b1)
    a2 = sigma(a1 @ w2 + b2)
    a3 = sigma(a2 @ w3 + b3)
    d3 = a3 - y                          # δ(3) = A(3) − Y
    d2 = (d3 @ w3.T) * a2 * (1 - a2)     # δ(2) = (δ(3) W(3)ᵀ) ⊙ σ'(Z(2))
    d1 = (d2 @ w2.T) * a1 * (1 - a1)     # δ(1) = (δ(2) W(2)ᵀ) ⊙ σ'(Z(1))
    expected = [x.T @ d1, d1.sum(0), a1.T @ d2, d2.sum(0), a2.T @ d3, d3.sum(0)]
    for p, e in zip(model.parameters(), expected):
        np.testing.assert_allclose(p.grad.data, e, rtol=1e-10, atol=1e-12)


def test_seed004_dataset_is_plausible() -> None:
    x, y = seeds.seed004_dataset()
    assert x.shape == (200, 2) and y.shape == (200, 1)
    assert x[:, 0].min() >= 0 and x[:, 0].max() <= 10 and x[:, 1].min() >= 3 and x[:, 1].max() <= 10
    assert 0.2 < y.mean() < 0.8
    assert x[y[:, 0] == 1, 0].mean() > x[y[:, 0] == 0, 0].mean()


def test_seed004_network_learns_learn_sleep_to_pass() -> None:
    run = seeds.train_seed004(epochs=300)
    assert len(run.losses) == 300
    assert run.losses[-1] < 0.3 * run.losses[0]
    assert np.mean(run.losses[-10:]) < np.mean(run.losses[:10])
    assert run.accuracy >= 0.9
