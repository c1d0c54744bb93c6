"""Seed 000, "Neural network calculates by hand", recomputed by the engine.

The note builds a 1-2-1 network (one input, two sigmoid hidden units, one sigmoid output), scales
three (height, weight) records with min-max scaling, and works one record through by hand:
feedforward, the seven gradients of the log loss, and one gradient-descent step with lr 0.1.
Here the same network is written imperatively; ``loss.backward()`` derives every gradient.

Run: python examples/seed000_by_hand.py
"""

import numpy as np

import tinygrad_vn.functional as F
from tinygrad_vn import Tensor, nn, optim
from tinygrad_vn.data import MinMaxScaler
from tinygrad_vn.seeds import SEED000_PRINTED

# The data set: heights H(x) and weights W(y), scaled to [0, 1] as the note does.
heights = np.array([[160.0], [165.0], [170.0]])
weights = np.array([[62.0], [64.0], [66.0]])
x_scaled = MinMaxScaler().fit_transform(heights)
y_scaled = MinMaxScaler().fit_transform(weights)
print("nth  H(x)  W(y)  x_scaling  y_scaling")
for i in range(3):
    print(f"{i:<4} {heights[i, 0]:<5.0f} {weights[i, 0]:<5.0f} {x_scaled[i, 0]:<10g} {y_scaled[i, 0]:g}")

# The network with the note's initial weights. W is laid out (inputs, outputs): z = x·W + b.
hidden = nn.Linear(1, 2, dtype=np.float64)
output = nn.Linear(2, 1, dtype=np.float64)
hidden.load_state_dict({"weight": np.array([[0.5, 1.0]]), "bias": np.array([0.0, 0.0])})
output.load_state_dict({"weight": np.array([[1.0], [0.5]]), "bias": np.array([1.0])})

# Feedforward on the second record, x = 0.5, y = 0.5.
x = Tensor(np.array([[0.5]]), name="x")
y = Tensor(np.array([[0.5]]), name="y")
z1 = hidden(x)
a1 = z1.sigmoid()
z2 = output(a1)
y_hat = z2.sigmoid()
loss = F.binary_cross_entropy(y_hat, y)  # L = -(y ln ŷ + (1 - y) ln(1 - ŷ))

print("\nFeedforward")
print(f"z1(1) = x*w11(1) + b1(1) = {z1.data[0, 0]:.3f}      z2(1) = x*w12(1) + b2(1) = {z1.data[0, 1]:.3f}")
print(f"a1(1) = σ(z1(1)) ≈ {a1.data[0, 0]:.3f}             a2(1) = σ(z2(1)) ≈ {a1.data[0, 1]:.3f}")
print(f"z1(2) = a1(1)*w11(2) + a2(1)*w21(2) + b1(2) = {z2.data[0, 0]:.3f}")
print(f"ŷ = σ(z1(2)) ≈ {y_hat.data[0, 0]:.3f}")

# Backpropagation: one call instead of a page of chain rule.
loss.backward()
gradients = {
    "∂L/∂b1(2)": output.bias.grad.data[0], "∂L/∂w11(2)": output.weight.grad.data[0, 0],
    "∂L/∂w21(2)": output.weight.grad.data[1, 0], "∂L/∂b1(1)": hidden.bias.grad.data[0],
    "∂L/∂b2(1)": hidden.bias.grad.data[1], "∂L/∂w11(1)": hidden.weight.grad.data[0, 0],
    "∂L/∂w12(1)": hidden.weight.grad.data[0, 1],
}
print("\nBackpropagation (engine / note)")
for name, value in gradients.items():
    print(f"{name:<11} = {value:.4f}   (note: {SEED000_PRINTED[name]:g})")

# Gradient descent: w = w - learning_rate * dL/dw.
optim.SGD([*hidden.parameters(), *output.parameters()], lr=0.1).step()
print("\nAfter one step with learning rate 0.1")
print("w11(1)    w12(1)    b1(1)     b2(1)     w11(2)    w21(2)    b1(2)")
updated = [hidden.weight.data[0, 0], hidden.weight.data[0, 1], hidden.bias.data[0], hidden.bias.data[1],
           output.weight.data[0, 0], output.weight.data[1, 0], output.bias.data[0]]
print(" ".join(f"{w:<9.5f}" for w in updated))
