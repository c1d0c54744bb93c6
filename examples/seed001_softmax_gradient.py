"""Seed 001: a ReLU → sigmoid → softmax network, and why dL/dz_k = o_k − y_k.

The note derives, case by case (k = l and k ≠ l), that the softmax followed by the cross-entropy
L = −Σ y_k ln o_k has the gradient o − y with respect to the output layer's z. Here the network is
built with an explicit softmax and an explicit −Σ y ln o, so the engine has to chain the two
Jacobians itself; the gradient it finds at z is compared with o − y.

Run: python examples/seed001_softmax_gradient.py
"""

import numpy as np

import tinygrad_vn as tg
from tinygrad_vn import Tensor, nn

tg.manual_seed(1)
hidden1 = nn.Linear(3, 4, dtype=np.float64)  # zh1 = Σ x_i w_h1 + b → a1 = ReLU(zh1)
hidden2 = nn.Linear(4, 3, dtype=np.float64)  # zh2 = Σ a1 w_h2 + b → a2 = sigmoid(zh2)
out = nn.Linear(3, 3, dtype=np.float64)  # z_k = Σ a2 w_ok + b → o_k = softmax(z_k)

x = Tensor(np.array([[0.5, -1.0, 2.0]]), name="x")
y = Tensor(np.array([[0.0, 1.0, 0.0]]), name="y")  # the true class is 1

a1 = hidden1(x).relu()
a2 = hidden2(a1).sigmoid()
z = out(a2).retain_grad()  # keep dL/dz so that we can print it
o = z.softmax()
loss = -(y * o.log()).sum()  # L = -Σ y_k ln(o_k)
loss.backward()

print(f"o = softmax(z)      = {np.round(o.data[0], 4)}")
print(f"dL/dz (engine)      = {np.round(z.grad.data[0], 4)}")
print(f"o - y (the note)    = {np.round(o.data[0] - y.data[0], 4)}")
print(f"equal: {np.allclose(z.grad.data, o.data - y.data)}")
print(f"dL/dw_ok = (o_k - y_k)·a2: {np.allclose(out.weight.grad.data, a2.data.T @ (o.data - y.data))}")
