"""The course notes' worked examples as ready-made models and data (``../shared/seeds/``).

- Seed 000: a 1-2-1 sigmoid network computed by hand, with its initial weights, its three
  height/weight records, and every number the note prints for the second record.
- Seed 004: a 2-3-4-1 sigmoid network on a Learn/Sleep → Is_Pass data set. The note gives no data,
  so :func:`seed004_dataset` makes a plausible one: hours studied and slept, pass when a student
  studied enough and slept enough, with some noise.

The demo command, the examples and the tests all build on these, so each lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import functional as F
from . import nn, optim
from .data import MinMaxScaler, StandardScaler
from .tensor import Tensor

SEED000_HEIGHTS = np.array([160.0, 165.0, 170.0])
SEED000_WEIGHTS = np.array([62.0, 64.0, 66.0])
SEED000_LEARNING_RATE = 0.1

# What seed 000 prints for its second record (x = 0.5, y = 0.5), rounded as the note rounds.
SEED000_PRINTED: dict[str, float] = {
    "z1(1)": 0.25, "z2(1)": 0.5, "a1(1)": 0.562, "a2(1)": 0.622, "z1(2)": 1.873, "ŷ": 0.867,
    "∂L/∂b1(2)": 0.367, "∂L/∂w11(2)": 0.206, "∂L/∂w21(2)": 0.228,
    "∂L/∂b1(1)": 0.090, "∂L/∂b2(1)": 0.043, "∂L/∂w11(1)": 0.045, "∂L/∂w12(1)": 0.0215,
    "w11(1)'": 0.4955, "w12(1)'": 0.99785, "b1(1)'": -0.009, "b2(1)'": -0.0043,
    "w11(2)'": 0.9794, "w21(2)'": 0.4772, "b1(2)'": 0.9633,
}


def seed000_network(dtype: type = np.float64) -> nn.Sequential:
    """The 1-2-1 sigmoid network with the note's initial weights.

    Parameter names follow ``Sequential``: ``0.weight`` = [w11(1), w12(1)], ``0.bias`` = [b1(1), b2(1)],
    ``2.weight`` = [w11(2), w21(2)]ᵀ, ``2.bias`` = [b1(2)].
    """
    model = nn.Sequential(nn.Linear(1, 2, dtype=dtype), nn.Sigmoid(), nn.Linear(2, 1, dtype=dtype), nn.Sigmoid())
    model.load_state_dict({
        "0.weight": np.array([[0.5, 1.0]]), "0.bias": np.array([0.0, 0.0]),
        "2.weight": np.array([[1.0], [0.5]]), "2.bias": np.array([1.0]),
    })
    return model


def seed000_records() -> tuple[np.ndarray, np.ndarray]:
    """The three (height, weight) records min-max scaled, as (3, 1) float64 arrays x and y."""
    x = MinMaxScaler().fit_transform(SEED000_HEIGHTS[:, None].astype(np.float64))
    y = MinMaxScaler().fit_transform(SEED000_WEIGHTS[:, None].astype(np.float64))
    return x, y


@dataclass
class Seed000Step:
    """One forward/backward/SGD step of seed 000 on one record, as the engine computed it."""

    values: dict[str, float]
    loss: float


def seed000_step(model: nn.Sequential, x: float, y: float, lr: float = SEED000_LEARNING_RATE) -> Seed000Step:
    """Feed one record through ``model``, backpropagate the BCE loss, and take one SGD step.

    Returns every quantity seed 000 prints, under the note's names, computed by the engine.
    """
    first, second = model[0], model[2]
    xt = Tensor(np.array([[x]], dtype=first.weight.dtype), name="x")
    yt = Tensor(np.array([[y]], dtype=first.weight.dtype), name="y")
    z1 = first(xt)
    a1 = model[1](z1)
    z2 = second(a1)
    y_hat = model[3](z2)
    loss = F.binary_cross_entropy(y_hat, yt)
    model.zero_grad()
    loss.backward()
    values = {
        "z1(1)": z1.data[0, 0], "z2(1)": z1.data[0, 1], "a1(1)": a1.data[0, 0], "a2(1)": a1.data[0, 1],
        "z1(2)": z2.data[0, 0], "ŷ": y_hat.data[0, 0],
        "∂L/∂b1(2)": second.bias.grad.data[0], "∂L/∂w11(2)": second.weight.grad.data[0, 0],
        "∂L/∂w21(2)": second.weight.grad.data[1, 0], "∂L/∂b1(1)": first.bias.grad.data[0],
        "∂L/∂b2(1)": first.bias.grad.data[1], "∂L/∂w11(1)": first.weight.grad.data[0, 0],
        "∂L/∂w12(1)": first.weight.grad.data[0, 1],
    }
    optim.SGD(model.parameters(), lr=lr).step()
    values.update({
        "w11(1)'": first.weight.data[0, 0], "w12(1)'": first.weight.data[0, 1], "b1(1)'": first.bias.data[0],
        "b2(1)'": first.bias.data[1], "w11(2)'": second.weight.data[0, 0], "w21(2)'": second.weight.data[1, 0],
        "b1(2)'": second.bias.data[0],
    })
    return Seed000Step({k: float(v) for k, v in values.items()}, float(loss.item()))


def seed000_mean_loss(model: nn.Sequential) -> float:
    """The mean BCE loss J of ``model`` over the three scaled records."""
    x, y = seed000_records()
    return float(F.binary_cross_entropy(model(Tensor(x)), Tensor(y)).item())


def seed004_dataset(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A Learn/Sleep → Is_Pass data set: (n, 2) hours [learn, sleep] and (n, 1) labels 0/1.

    A student passes when 0.8·learn + 0.5·sleep plus a little noise exceeds 7.5: studying matters
    most, and too little sleep hurts.
    """
    rng = np.random.default_rng(seed)
    learn = rng.uniform(0, 10, n)
    sleep = rng.uniform(3, 10, n)
    score = 0.8 * learn + 0.5 * sleep + rng.normal(0, 0.3, n)
    x = np.stack([learn, sleep], axis=1)
    y = (score > 7.5).astype(np.float64)[:, None]
    return x, y


def seed004_network(dtype: type = np.float32) -> nn.Sequential:
    """The note's 2-3-4-1 network: sigmoid on every layer. W⁽¹⁾ is 2×3, W⁽²⁾ 3×4, W⁽³⁾ 4×1."""
    return nn.mlp([2, 3, 4, 1], activation="sigmoid", output_activation="sigmoid", dtype=dtype)


@dataclass
class Seed004Run:
    """The losses and the final accuracy of a seed 004 training run."""

    losses: list[float]
    accuracy: float


def train_seed004(epochs: int = 2000, lr: float = 0.5, n: int = 200, seed: int = 0) -> Seed004Run:
    """Train the 2-3-4-1 network on standardised Learn/Sleep data with full-batch SGD and BCE."""
    from .factories import manual_seed

    manual_seed(seed)
    x, y = seed004_dataset(n, seed)
    xt, yt = Tensor(StandardScaler().fit_transform(x)), Tensor(y.astype(np.float32))
    model = seed004_network()
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = []
    for _ in range(epochs):
        loss = F.binary_cross_entropy(model(xt), yt)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.item()))
    accuracy = float(((model(xt).data > 0.5) == (y > 0.5)).mean())
    return Seed004Run(losses, accuracy)
