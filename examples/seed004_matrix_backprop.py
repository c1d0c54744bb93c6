"""Seed 004: the 2-3-4-1 network in matrix form, and the engine's gradients beside the note's formulas.

The note's data are pairs (Learn, Sleep) with a label Is_Pass; it gives no numbers, so
``seed004_dataset`` makes a plausible set. The note writes, for Z = X·W + b and A = σ(Z):
δ(3) = A(3) − Y, δ(2) = (δ(3)·W(3)ᵀ) ⊙ σ'(Z(2)), δ(1) = (δ(2)·W(2)ᵀ) ⊙ σ'(Z(1)),
∂J/∂W(i) = A(i−1)ᵀ·δ(i), ∂J/∂b(i) = Σ δ(i). The engine derives the same from the forward code.

Run: python examples/seed004_matrix_backprop.py
"""

import numpy as np

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import Tensor
from tinygrad_vn.data import StandardScaler
from tinygrad_vn.seeds import seed004_dataset, seed004_network, train_seed004

tg.manual_seed(0)
x_raw, y = seed004_dataset(n=8)
x = Tensor(StandardScaler().fit_transform(x_raw), name="X")
model = seed004_network()
lin1, lin2, lin3 = model[0], model[2], model[4]

# Feedforward, layer by layer, keeping every Z and A.
z1 = lin1(x)
a1 = z1.sigmoid()
z2 = lin2(a1)
a2 = z2.sigmoid()
z3 = lin3(a2)
a3 = z3.sigmoid()
loss = F.binary_cross_entropy(a3, Tensor(y.astype(np.float32)), reduction="sum")
loss.backward()

print("Shapes (n = 8 samples):")
for name, t in [("W(1)", lin1.weight), ("b(1)", lin1.bias), ("Z(1)", z1), ("A(1)", a1), ("W(2)", lin2.weight),
                ("b(2)", lin2.bias), ("Z(2)", z2), ("A(2)", a2), ("W(3)", lin3.weight), ("b(3)", lin3.bias),
                ("Z(3)", z3), ("A(3)", a3)]:
    print(f"  {name:<5} {' x '.join(str(n) for n in t.shape)}")

# The note's matrix-form backprop, by hand, with the same arrays.
delta3 = a3.data - y
delta2 = (delta3 @ lin3.weight.data.T) * a2.data * (1 - a2.data)
delta1 = (delta2 @ lin2.weight.data.T) * a1.data * (1 - a1.data)
by_hand = {"W(3)": a2.data.T @ delta3, "W(2)": a1.data.T @ delta2, "W(1)": x.data.T @ delta1,
           "b(3)": delta3.sum(0), "b(2)": delta2.sum(0), "b(1)": delta1.sum(0)}
engine = {"W(3)": lin3.weight.grad, "W(2)": lin2.weight.grad, "W(1)": lin1.weight.grad,
          "b(3)": lin3.bias.grad, "b(2)": lin2.bias.grad, "b(1)": lin1.bias.grad}
print("\n∂J/∂W and ∂J/∂b: engine equals the note's formulas?")
for name, expected in by_hand.items():
    print(f"  {name:<5} {np.allclose(engine[name].data, expected, atol=1e-5)}")

print("\nTraining on 200 students with full-batch gradient descent:")
run = train_seed004(epochs=1500)
for epoch in (0, 99, 499, 1499):
    print(f"  epoch {epoch + 1:>5}: J = {run.losses[epoch]:.4f}")
print(f"  accuracy on the training set: {run.accuracy:.1%}")
