"""Whole training steps (zero grad, forward, loss, backward, update) for the issue's five nets.

- 1-2-1, batch 1: seed 000's net, sigmoid hidden and output units, log loss, plain SGD (lr 0.1).
- 784-10-10 (batch 64), 784-128-10 (batch 64 and 256), 784-512-512-10 (batch 256): ReLU hidden
  layers, softmax cross-entropy on integer labels, SGD with momentum 0.9.

tinygrad_vn runs through its public API (``nn.mlp``, ``F``, ``optim``), exactly as a user writes
it, twice: eagerly, and with the step function wrapped in ``tg.compile`` (recorded on the first call,
replayed after); "numpy" is backprop written out by hand with the seeds' equations; "torch" the same model in
PyTorch. All float32, the same initial weights for all three.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import nn, optim

from .cases import Settings
from .timing import Row, compare


@dataclass(frozen=True)
class Net:
    """A benchmark network: layer sizes, batch size, and the issue's speed-up target over PyTorch."""

    sizes: tuple[int, ...]
    batch: int
    torch_target: float

    @property
    def name(self) -> str:
        return f"{'-'.join(map(str, self.sizes))} batch {self.batch}"

    @property
    def seed000(self) -> bool:
        """The 1-2-1 sigmoid/log-loss net rather than a ReLU/softmax classifier."""
        return self.sizes[-1] == 1


NETS = (Net((1, 2, 1), 1, 5.0), Net((784, 10, 10), 64, 3.0), Net((784, 128, 10), 64, 2.0),
        Net((784, 128, 10), 256, 1.4), Net((784, 512, 512, 10), 256, 1.0))
QUICK_NETS = (NETS[0], NETS[2])
LR, MOMENTUM = 0.1, 0.9


def _data(net: Net) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.random((net.batch, net.sizes[0]), dtype=np.float32)
    if net.seed000:
        return x, rng.random((net.batch, 1), dtype=np.float32)
    return x, rng.integers(0, net.sizes[-1], net.batch)


def _tinygrad_step(net: Net, x: np.ndarray, y: np.ndarray,
                   compiled: bool = False) -> tuple[Callable[[], None], list[np.ndarray]]:
    """The step as a user writes it; ``compiled`` wraps it in ``tg.compile`` (recorded once, then replayed)."""
    tg.manual_seed(0)
    if net.seed000:
        model = nn.mlp(list(net.sizes), "sigmoid", output_activation="sigmoid")
        opt = optim.SGD(model.parameters(), lr=LR)
        loss_fn: Callable = F.binary_cross_entropy
    else:
        model = nn.mlp(list(net.sizes), "relu")
        opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
        loss_fn = F.cross_entropy
    inputs, targets = tg.Tensor(x), (tg.Tensor(y) if net.seed000 else y)

    def step(x: tg.Tensor, y: Any) -> None:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    run = tg.compile(step) if compiled else step
    return lambda: run(inputs, targets), [p.data.copy() for p in model.parameters()]


def _numpy_step(net: Net, x: np.ndarray, y: np.ndarray, params: list[np.ndarray]) -> Callable[[], None]:
    """Backprop by hand: z = a·W + b, a = f(z); dZ = dA ⊙ f'(z), dW = aᵀ·dZ, db = Σ dZ, dA = dZ·Wᵀ."""
    weights, biases = [p.copy() for p in params[0::2]], [p.copy() for p in params[1::2]]
    velocity = [np.zeros_like(p) for p in itertools.chain(weights, biases)]
    rows = np.arange(net.batch)

    def step() -> None:
        activations = [x]
        for w, b in zip(weights[:-1], biases[:-1]):
            z = activations[-1] @ w + b
            activations.append(1 / (1 + np.exp(-z)) if net.seed000 else np.maximum(z, 0))
        z = activations[-1] @ weights[-1] + biases[-1]
        if net.seed000:
            y_hat = 1 / (1 + np.exp(-z))
            grad_z = (y_hat - y) / y.size  # log loss through a sigmoid: ŷ − y
        else:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            grad_z = e / e.sum(axis=1, keepdims=True)  # softmax cross-entropy: o − y
            grad_z[rows, y] -= 1
            grad_z /= net.batch
        grads_w, grads_b = [], []
        for layer in range(len(weights) - 1, -1, -1):
            a = activations[layer]
            grads_w.append(a.T @ grad_z)
            grads_b.append(grad_z.sum(axis=0))
            if layer:
                grad_a = grad_z @ weights[layer].T
                grad_z = grad_a * a * (1 - a) if net.seed000 else grad_a * (a > 0)
        for param, grad, v in zip(itertools.chain(weights, biases),
                                  itertools.chain(reversed(grads_w), reversed(grads_b)), velocity):
            if net.seed000:
                param -= LR * grad
            else:
                v *= MOMENTUM
                v += grad
                param -= LR * v

    return step


def _torch_step(torch: Any, net: Net, x: np.ndarray, y: np.ndarray, params: list[np.ndarray]) -> Callable[[], None]:
    layers: list[Any] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(net.sizes)):
        linear = torch.nn.Linear(n_in, n_out)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(params[2 * i].T.copy()))
            linear.bias.copy_(torch.from_numpy(params[2 * i + 1]))
        layers.append(linear)
        if i < len(net.sizes) - 2 or net.seed000:
            layers.append(torch.nn.Sigmoid() if net.seed000 else torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
    if net.seed000:
        opt = torch.optim.SGD(model.parameters(), lr=LR)
        loss_fn = torch.nn.functional.binary_cross_entropy
    else:
        opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
        loss_fn = torch.nn.functional.cross_entropy

    def step() -> None:
        opt.zero_grad()
        loss_fn(model(inputs), targets).backward()
        opt.step()

    return step


COMPILED = "compiled"
"""The extra implementation timed in the same rounds: tinygrad_vn's step under ``tg.compile``."""


def training_steps(settings: Settings, threads: int, torch: Any) -> list[Row]:
    """Two rows per net, timed in the same interleaved rounds: the eager step and the ``tg.compile`` one."""
    rows = []
    for net in QUICK_NETS if settings.quick else NETS:
        x, y = _data(net)
        ours, params = _tinygrad_step(net, x, y)
        fns: dict[str, Callable | None] = {"tinygrad_vn": ours, COMPILED: _tinygrad_step(net, x, y, compiled=True)[0],
                                           "numpy": _numpy_step(net, x, y, params),
                                           "torch": _torch_step(torch, net, x, y, params) if torch else None}
        with np.errstate(over="ignore"):
            seconds = compare(fns, settings.rounds, settings.round_s)
        compiled = seconds.pop(COMPILED)
        for group, ours_seconds in (("training step", seconds["tinygrad_vn"]),
                                    ("training step, tg.compile", compiled)):
            targets = [{"vs": "torch", "min": net.torch_target}]
            if net.batch >= 64:
                targets.append({"vs": "numpy", "min": 1.0})
            rows.append(Row(group, net.name, threads, {**seconds, "tinygrad_vn": ours_seconds}, targets=targets))
    return rows
