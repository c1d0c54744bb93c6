"""Seed 002's network, 784-10-10 ReLU/softmax, trained as the note trains it, through tinygrad_vn.

    python examples/mnist_from_scratch.py

The note (after "Building a neural network FROM SCRATCH, just numpy & math") scales pixels to
[0, 1] by dividing by 255, starts every weight and bias uniform in [-0.5, 0.5), and runs 500
iterations of full-batch gradient descent with learning rate α = 0.1:

    Z1 = W1·X + b1,  A1 = ReLU(Z1),  Z2 = W2·A1 + b2,  A2 = softmax(Z2)
    dZ2 = A2 − Y,  dW2 = dZ2·A1ᵀ / m,  db2 = Σ dZ2 / m,  dZ1 = W2ᵀ·dZ2 ⊙ g'(Z1),  …
    W := W − α·dW,  b := b − α·db

Here images are rows, not columns, so every matrix is the transpose of the note's (X is m × 784,
W1 is 784 × 10). The backward formulas above are exactly what ``loss.backward()`` computes for the
mean softmax cross-entropy: no gradient is written by hand. Prints test accuracy (≥ 85% expected).
"""

import time

import numpy as np

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import Tensor, optim
from tinygrad_vn.data import load_mnist

ITERATIONS = 500
LEARNING_RATE = 0.1

tg.set_num_threads(1)  # one BLAS thread: no time lost to threads fighting over a busy machine's cores
rng = np.random.default_rng(0)

x_train, y_train, x_test, y_test = load_mnist()
X = Tensor(x_train.reshape(-1, 784).astype(np.float32) / 255)
X_test = Tensor(x_test.reshape(-1, 784).astype(np.float32) / 255)


def parameter(*shape: int) -> Tensor:
    """A weight or bias uniform in [-0.5, 0.5), as the note's ``np.random.rand(...) - 0.5``."""
    return Tensor(rng.random(shape, dtype=np.float32) - 0.5, requires_grad=True)


W1, b1 = parameter(784, 10), parameter(10)
W2, b2 = parameter(10, 10), parameter(10)
optimizer = optim.SGD([W1, b1, W2, b2], lr=LEARNING_RATE)


def logits_of(images: Tensor) -> Tensor:
    """Forward propagation up to Z2; softmax is folded into the loss."""
    A1 = (images @ W1 + b1).relu()
    return A1 @ W2 + b2


start = time.perf_counter()
for iteration in range(ITERATIONS + 1):
    Z2 = logits_of(X)
    if iteration % 50 == 0:
        accuracy = (Z2.argmax(axis=1).numpy() == y_train).mean()
        print(f"iteration {iteration:3d}: train accuracy {accuracy:.2%}")
    if iteration == ITERATIONS:
        break
    loss = F.cross_entropy(Z2, y_train)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

with tg.no_grad():
    test_accuracy = (logits_of(X_test).argmax(axis=1).numpy() == y_test).mean()
print(f"test accuracy after {ITERATIONS} iterations: {test_accuracy:.2%} ({time.perf_counter() - start:.0f} s)")
