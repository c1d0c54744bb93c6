"""Whole training steps (zero grad, forward, loss, backward, update) for the issue's five nets.

- 1-2-1, batch 1: seed 000's net, sigmoid hidden and output units, log loss, plain SGD (lr 0.1).
- 784-10-10 (batch 64), 784-128-10 (batch 64 and 256), 784-512-512-10 (batch 256): ReLU hidden
  layers, softmax cross-entropy on integer labels, SGD with momentum 0.9.

All timed side by side in the same interleaved rounds:

- tinygrad_vn through its public API (``nn.mlp``, ``F``, ``optim``), exactly as a user writes it, twice:
  eagerly, and with the step function wrapped in ``tg.compile`` (recorded on the first call, replayed after);
- "numpy": backprop written out by hand with the seeds' equations;
- "torch": the same model in PyTorch, eagerly, and with the model wrapped in ``torch.compile`` (full runs only);
- "jax": ``jax.jit`` of ``jax.value_and_grad`` of the loss plus the SGD update, parameters donated;
- "blas floor": only the step's matrix products, ``np.matmul(..., out=)`` into arrays allocated once. No
  framework on this BLAS can undercut it, so "floor ÷ tg.compile" says how close to the limit a step is.

All float32, the same initial weights for all.
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
    """A benchmark network: layer sizes, batch size, and issue 14's targets for it (1 thread).

    Each target is a minimum of "their time ÷ ours": ``eager_vs_torch`` for the eager step against PyTorch's
    eager one; ``compiled_vs_jax``, ``compiled_vs_numpy`` and ``floor_vs_compiled`` for the ``tg.compile``
    step against ``jax.jit``, hand-written NumPy and the BLAS floor (None: no target).
    """

    sizes: tuple[int, ...]
    batch: int
    eager_vs_torch: float | None = None
    compiled_vs_jax: float | None = None
    compiled_vs_numpy: float | None = None
    floor_vs_compiled: float | None = None

    @property
    def name(self) -> str:
        return f"{'-'.join(map(str, self.sizes))} batch {self.batch}"

    @property
    def seed000(self) -> bool:
        """The 1-2-1 sigmoid/log-loss net rather than a ReLU/softmax classifier."""
        return self.sizes[-1] == 1


NETS = (Net((1, 2, 1), 1, 5.0, 3.0, 5.0), Net((784, 10, 10), 64, 3.0, 2.0, 1.2),
        Net((784, 128, 10), 64, 2.0, 1.5, 1.05, 0.90), Net((784, 128, 10), 256, 1.4, 1.2, 1.05, 0.93),
        Net((784, 512, 512, 10), 256, 1.1, 1.0, 1.05, 0.97))
QUICK_NETS = (NETS[0], Net((32, 16, 10), 8))
"""What ``--quick`` times: the 1-2-1 net, and a tiny classifier standing in for the others (no targets)."""
LR, MOMENTUM = 0.1, 0.9

EAGER, COMPILED, TORCH_COMPILE, JAX, FLOOR = "tg eager", "tg.compile", "torch.compile", "jax", "blas floor"
COLUMNS = (EAGER, COMPILED, "torch", TORCH_COMPILE, JAX, "numpy", FLOOR)
"""The implementations of a training step, in the order the side-by-side table shows them."""


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


def _torch_model(torch: Any, net: Net, params: list[np.ndarray]) -> Any:
    layers: list[Any] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(net.sizes)):
        linear = torch.nn.Linear(n_in, n_out)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(params[2 * i].T.copy()))
            linear.bias.copy_(torch.from_numpy(params[2 * i + 1]))
        layers.append(linear)
        if i < len(net.sizes) - 2 or net.seed000:
            layers.append(torch.nn.Sigmoid() if net.seed000 else torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def _torch_step(torch: Any, net: Net, x: np.ndarray, y: np.ndarray, params: list[np.ndarray],
                compiled: bool = False) -> Callable[[], None]:
    """PyTorch's idiomatic step; ``compiled`` wraps the model in ``torch.compile`` (forward and backward)."""
    model = _torch_model(torch, net, params)
    forward = torch.compile(model) if compiled else model
    inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
    if net.seed000:
        opt = torch.optim.SGD(model.parameters(), lr=LR)
        loss_fn = torch.nn.functional.binary_cross_entropy
    else:
        opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
        loss_fn = torch.nn.functional.cross_entropy

    def step() -> None:
        opt.zero_grad()
        loss_fn(forward(inputs), targets).backward()
        opt.step()

    return step


def jax_step(jax: Any, net: Net, x: np.ndarray, y: np.ndarray, params: list[np.ndarray]) -> Callable[[], float]:
    """One ``jax.jit``-compiled function: ``value_and_grad`` of the loss, then the SGD (momentum) update.

    Parameters and velocities are donated, so XLA may update them in place; each call waits for the loss,
    which comes out of the same executable as the new parameters. Returns the step, which returns the loss.
    """
    jnp = jax.numpy
    layers = len(net.sizes) - 1

    def loss(weights: list[Any], inputs: Any, targets: Any) -> Any:
        a = inputs
        for i in range(layers):
            z = a @ weights[2 * i] + weights[2 * i + 1]
            a = jax.nn.sigmoid(z) if net.seed000 else (jax.nn.relu(z) if i < layers - 1 else z)
        if net.seed000:  # binary cross-entropy, logs clamped at -100 as PyTorch's and ours
            return -jnp.mean(targets * jnp.maximum(jnp.log(a), -100)
                             + (1 - targets) * jnp.maximum(jnp.log(1 - a), -100))
        picked = jnp.take_along_axis(jax.nn.log_softmax(a), targets[:, None], axis=1)
        return -jnp.mean(picked)

    def update(weights: list[Any], velocity: list[Any], inputs: Any, targets: Any) -> tuple[Any, Any, Any]:
        value, grads = jax.value_and_grad(loss)(weights, inputs, targets)
        if net.seed000:
            return [w - LR * g for w, g in zip(weights, grads)], velocity, value
        velocity = [MOMENTUM * v + g for v, g in zip(velocity, grads)]
        return [w - LR * v for w, v in zip(weights, velocity)], velocity, value

    compiled = jax.jit(update, donate_argnums=(0, 1))
    state = [[jnp.asarray(p) for p in params], [] if net.seed000 else [jnp.zeros(p.shape, p.dtype) for p in params]]
    inputs, targets = jnp.asarray(x), jnp.asarray(y)

    def step() -> float:
        state[0], state[1], value = compiled(state[0], state[1], inputs, targets)
        return float(value)

    return step


def floor_step(net: Net, x: np.ndarray) -> Callable[[], None]:
    """The BLAS floor: only the step's matrix products, into arrays allocated once.

    Forward ``a[i+1] = a[i] · W[i]`` for every layer; backward ``dW[i] = a[i]ᵀ · dZ[i+1]`` for every
    layer and ``dZ[i] = dZ[i+1] · W[i]ᵀ`` for all but the first. No bias, activation, loss or update.
    """
    rng = np.random.default_rng(2)
    pairs = list(itertools.pairwise(net.sizes))
    weights = [(rng.standard_normal(shape) / np.sqrt(shape[0])).astype(np.float32) for shape in pairs]
    activations = [x, *[np.empty((net.batch, n), np.float32) for n in net.sizes[1:]]]
    deltas = [np.empty((net.batch, n), np.float32) for n in net.sizes[:-1]]
    deltas.append(rng.standard_normal((net.batch, net.sizes[-1])).astype(np.float32))
    weight_grads = [np.empty(shape, np.float32) for shape in pairs]
    matmul = np.matmul

    def step() -> None:
        for i, w in enumerate(weights):
            matmul(activations[i], w, out=activations[i + 1])
        for i in range(len(weights) - 1, -1, -1):
            matmul(activations[i].T, deltas[i + 1], out=weight_grads[i])
            if i:
                matmul(deltas[i + 1], weights[i].T, out=deltas[i])

    return step


def _warmed(fn: Callable[[], object] | None, what: str, notes: list[str]) -> Callable[[], object] | None:
    """``fn`` after two calls (compiling it, for torch.compile and jax.jit), or None with a note if it failed."""
    if fn is None:
        return None
    try:
        fn()
        fn()
    except Exception as error:  # a rival's compiler failing here must not stop the suite
        notes.append(f"{what} failed: {type(error).__name__}: {str(error).splitlines()[0][:120] if str(error) else ''}")
        return None
    return fn


def _targets(net: Net, threads: int, compiled: bool) -> list[dict]:
    """Issue 14's targets for this net: they hold at 1 thread; other thread counts are reported without."""
    if threads != 1:
        return []
    wanted = ((JAX, net.compiled_vs_jax), ("numpy", net.compiled_vs_numpy), (FLOOR, net.floor_vs_compiled)) \
        if compiled else (("torch", net.eager_vs_torch),)
    return [{"vs": rival, "min": minimum} for rival, minimum in wanted if minimum is not None]


def training_steps(settings: Settings, threads: int, torch: Any, jax: Any = None) -> list[Row]:
    """Two rows per net from one set of interleaved rounds: the eager step and the ``tg.compile`` one.

    In each row "tinygrad_vn" is that row's step and the other columns (the other tinygrad_vn step among
    them) keep their names, so each row's ratios are every other column's time ÷ its own.
    """
    rows = []
    for net in QUICK_NETS if settings.quick else NETS:
        x, y = _data(net)
        eager, params = _tinygrad_step(net, x, y)
        notes: list[str] = []
        fns: dict[str, Callable | None] = {
            EAGER: eager, COMPILED: _tinygrad_step(net, x, y, compiled=True)[0],
            "torch": _torch_step(torch, net, x, y, params) if torch else None,
            TORCH_COMPILE: (_warmed(_torch_step(torch, net, x, y, params, compiled=True), "torch.compile", notes)
                            if torch and settings.torch_compile else None),
            JAX: _warmed(jax_step(jax, net, x, y, params), "jax.jit", notes) if jax else None,
            "numpy": _numpy_step(net, x, y, params), FLOOR: floor_step(net, x)}
        with np.errstate(over="ignore"):
            seconds = compare(fns, settings.rounds, settings.round_s)
        for group, ours in (("training step", EAGER), ("training step, tg.compile", COMPILED)):
            row_seconds = {"tinygrad_vn": seconds[ours], **{k: v for k, v in seconds.items() if k != ours}}
            rows.append(Row(group, net.name, threads, row_seconds, targets=_targets(net, threads, ours == COMPILED),
                            note="; ".join(notes)))
    return rows
