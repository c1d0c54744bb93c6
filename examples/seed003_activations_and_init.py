"""Seed 003, the lecture on activations and initialisation.

1. The derivative table: the engine's gradient of each activation at z = 10, −10 and 0, beside the
   lecture's g'(z) formulas.
2. Why not initialise with zeros: with W = 0 every hidden unit computes the same thing, receives
   the same gradient, and stays identical however long you train; W = randn·0.01 breaks the symmetry.

Run: python examples/seed003_activations_and_init.py
"""

import numpy as np

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import Tensor, nn, optim


def derivative(activation, z: float) -> float:
    """g'(z), found by the engine rather than by hand."""
    t = Tensor(np.array(z), requires_grad=True, dtype=np.float64)
    activation(t).backward()
    return float(t.grad.item())


print("z      sigmoid g(z)  g'(z)    tanh g(z)  g'(z)    relu g'(z)  leaky_relu g'(z)")
for z in (10.0, -10.0, 0.0):
    sig = Tensor(z, dtype=np.float64).sigmoid().item()
    tanh = Tensor(z, dtype=np.float64).tanh().item()
    print(f"{z:<6g} {sig:<13.4f} {derivative(F.sigmoid, z):<8.4f} {tanh:<10.4f} {derivative(F.tanh, z):<8.4f} "
          f"{derivative(F.relu, z):<11g} {derivative(F.leaky_relu, z):g}")
print("(the lecture: σ' = σ(1 − σ) = 0.25 at 0; tanh' = 1 − tanh² = 1 at 0; ReLU' and LeakyReLU' at exactly 0")
print(" are a convention: tinygrad_vn, like PyTorch, uses the left-hand slope)")


def train_hidden_weights(initialise) -> np.ndarray:
    """Train a 2-2-1 sigmoid network on a small data set; return the hidden layer's weights."""
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
    for layer in (model[0], model[2]):
        initialise(layer.weight)
        nn.init.zeros_(layer.bias)
    x = Tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = Tensor([[0.0], [1.0], [1.0], [1.0]])
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    for _ in range(200):
        loss = F.binary_cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model[0].weight.data


print("\nHidden weights after 200 steps (one column per hidden unit):")
zero = train_hidden_weights(nn.init.zeros_)
small = train_hidden_weights(lambda w: nn.init.normal_(w, std=0.01))
for label, w in (("W = 0", zero), ("W = randn·0.01", small)):
    shown = np.array2string(w, precision=4, separator=", ").replace("\n", "")
    print(f"{label + ' init:':<21}{shown}  units identical: {np.allclose(w[:, 0], w[:, 1])}")
