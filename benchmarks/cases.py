"""Kernel-level cases: matmul, activations forward+backward, softmax cross-entropy, per-op overhead.

tinygrad_vn is always driven through its public Tensor API; "numpy" is what a NumPy user writes by
hand (the seeds' equations); "torch" is PyTorch's CPU path, when it is installed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import tinygrad_vn as tg
import tinygrad_vn.functional as F
from tinygrad_vn import backend

from .timing import Row, compare


@dataclass
class Settings:
    """How long to measure: ``rounds`` interleaved rounds of about ``round_s`` seconds each.

    ``torch_compile``: also time steps under ``torch.compile`` (it compiles for seconds per net, so not in quick runs).
    """

    quick: bool
    rounds: int
    round_s: float
    torch_compile: bool = False


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


def matmul(settings: Settings, threads: int, torch: Any) -> list[Row]:
    """C = A @ B, forward only, square sizes and the MLP's shapes."""
    shapes = [(256, 256, 256), (64, 784, 128)] if settings.quick else [
        (256, 256, 256), (512, 512, 512), (1024, 1024, 1024),
        (64, 784, 10), (64, 784, 128), (256, 784, 128), (256, 784, 512), (256, 512, 512), (256, 512, 10)]
    rows = []
    for m, k, n in shapes:
        a = _rng().standard_normal((m, k)).astype(np.float32)
        b = _rng().standard_normal((k, n)).astype(np.float32)
        ta, tb = tg.Tensor(a), tg.Tensor(b)
        fns: dict[str, Callable | None] = {"tinygrad_vn": lambda ta=ta, tb=tb: ta @ tb,
                                           "numpy": lambda a=a, b=b: a @ b, "torch": None}
        if torch is not None:
            xa, xb = torch.from_numpy(a), torch.from_numpy(b)
            fns["torch"] = lambda xa=xa, xb=xb: xa @ xb
        seconds = compare(fns, settings.rounds, settings.round_s)
        rows.append(Row("matmul", f"{m}x{k} @ {k}x{n}", threads, seconds,
                        targets=[{"vs": "numpy", "min": 0.9}]))
    return rows


SLOPE, ALPHA = 0.01, 1.0


def _sigmoid_by_hand(x: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = 1 / (1 + np.exp(-x))
    return y, g * y * (1 - y)


def _tanh_by_hand(x: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.tanh(x)
    return y, g * (1 - y * y)


def _relu_by_hand(x: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.maximum(x, 0), g * (x > 0)


def _leaky_relu_by_hand(x: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.where(x > 0, x, SLOPE * x), np.where(x > 0, g, SLOPE * g)


def _elu_by_hand(x: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.where(x > 0, x, ALPHA * (np.exp(x) - 1))
    return y, np.where(x > 0, g, g * (y + ALPHA))


def _swish_by_hand(x: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    s = 1 / (1 + np.exp(-x))
    return x * s, g * (s + x * s * (1 - s))


BY_HAND = {"sigmoid": _sigmoid_by_hand, "tanh": _tanh_by_hand, "relu": _relu_by_hand,
           "leaky_relu": _leaky_relu_by_hand, "elu": _elu_by_hand, "swish": _swish_by_hand}
"""Each activation's forward and backward as a NumPy user writes them: returns (y, dx)."""


ACTIVATIONS = tuple(BY_HAND)


def activations(settings: Settings, threads: int, torch: Any) -> list[Row]:
    """Each activation, forward and backward, on 1e5 / 1e6 / 1e7 float32 elements."""
    sizes = [10**5] if settings.quick else [10**5, 10**6, 10**7]
    rows = []
    for size in sizes:
        x = _rng().standard_normal(size).astype(np.float32)
        g = _rng().standard_normal(size).astype(np.float32)
        rounds = settings.rounds if size < 10**7 else max(3, settings.rounds // 2)
        for name in ACTIVATIONS if not settings.quick else ("sigmoid", "relu"):
            targets = [{"vs": "numpy", "min": 2.0}, {"vs": "torch", "min": 1.5}] if size >= 10**6 else []
            with np.errstate(over="ignore"):
                seconds = compare(_activation_functions(torch, name, x, g), rounds, settings.round_s)
            rows.append(Row("activation fwd+bwd", f"{name} {size:.0e}", threads, seconds, targets=targets))
        rows.append(_relu_versus_copy(settings, threads, x, rounds))
    return rows


def _activation_functions(torch: Any, name: str, x: np.ndarray, g: np.ndarray) -> dict[str, Callable | None]:
    tx = tg.Tensor(x, requires_grad=True)
    by_hand = BY_HAND[name]

    def ours() -> None:
        (tx.leaky_relu(SLOPE) if name == "leaky_relu" else getattr(tx, name)()).backward(g)
        tx.grad = None

    return {"tinygrad_vn": ours, "numpy": lambda: by_hand(x, g),
            "torch": _torch_activation(torch, name, x, g) if torch is not None else None}


def _relu_versus_copy(settings: Settings, threads: int, x: np.ndarray, rounds: int) -> Row:
    tx = tg.Tensor(x)
    seconds = compare({"tinygrad_vn": tx.relu, "numpy": x.copy}, rounds, settings.round_s)
    return Row("activation fwd+bwd", f"relu forward vs a plain copy {x.size:.0e}", threads, seconds,
               targets=[{"vs": "numpy", "min": 1 / 1.5}], note="numpy column: np.copy of the same array")


def _torch_activation(torch: Any, name: str, x: np.ndarray, g: np.ndarray) -> Callable[[], None]:
    functional = torch.nn.functional
    forward = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
               "leaky_relu": lambda t: functional.leaky_relu(t, SLOPE), "elu": functional.elu,
               "swish": functional.silu}[name]
    tx, tgrad = torch.from_numpy(x).requires_grad_(), torch.from_numpy(g)

    def run() -> None:
        forward(tx).backward(tgrad)
        tx.grad = None

    return run


def _cross_entropy_by_hand(z: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy and its gradient, as a NumPy user writes them (seed 001's o − y)."""
    rows = np.arange(z.shape[0])
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(p[rows, labels]).mean()
    p[rows, labels] -= 1
    return loss, p / z.shape[0]


def _cross_entropy_kernels(z: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """The same through tinygrad_vn's kernels directly, without the Tensor API around them."""
    kernels = backend.kernels
    losses, probs = kernels.cross_entropy(z, labels)
    return losses.mean(), kernels.cross_entropy_backward(probs, labels, np.full(z.shape[0], 1 / z.shape[0], z.dtype))


def _cross_entropy_api(z: np.ndarray, labels: np.ndarray) -> Callable[[], None]:
    tz = tg.Tensor(z, requires_grad=True)

    def run() -> None:
        F.cross_entropy(tz, labels).backward()
        tz.grad = None

    return run


def _cross_entropy_torch(torch: Any, z: np.ndarray, labels: np.ndarray) -> Callable[[], None]:
    xz, xl = torch.from_numpy(z).requires_grad_(), torch.from_numpy(labels)

    def run() -> None:
        torch.nn.functional.cross_entropy(xz, xl).backward()
        xz.grad = None

    return run


def softmax_cross_entropy(settings: Settings, threads: int, torch: Any) -> list[Row]:
    """Softmax cross-entropy (mean over rows) forward and backward, with integer labels: through the
    public API, and through the kernels alone (what the issue's kernel-level figures measured)."""
    rows = []
    for n, c, target in ((256, 10, ("numpy", 3.0)), (4096, 1000, ("torch", 1.0)))[: 1 if settings.quick else 2]:
        z = (_rng().standard_normal((n, c)) * 3).astype(np.float32)
        labels = _rng().integers(0, c, n)
        by_hand = {"numpy": lambda z=z, labels=labels: _cross_entropy_by_hand(z, labels),
                   "torch": _cross_entropy_torch(torch, z, labels) if torch is not None else None}
        api = compare({"tinygrad_vn": _cross_entropy_api(z, labels), **by_hand}, settings.rounds, settings.round_s)
        rows.append(Row("softmax-CE fwd+bwd", f"({n}, {c}) public API", threads, api,
                        targets=[{"vs": target[0], "min": target[1]}]))
        kernels = compare({"tinygrad_vn": lambda z=z, labels=labels: _cross_entropy_kernels(z, labels), **by_hand},
                          settings.rounds, settings.round_s)
        rows.append(Row("softmax-CE fwd+bwd", f"({n}, {c}) kernels only", threads, kernels,
                        targets=[{"vs": target[0], "min": target[1]}]))
    return rows


def per_op_overhead(settings: Settings, threads: int, torch: Any) -> list[Row]:
    """The fixed cost of one tiny op with grad, and of one backward of a one-op graph."""
    a, b = np.ones(1, np.float32), np.full(1, 2.0, np.float32)
    ta, tb = tg.Tensor(a, requires_grad=True), tg.Tensor(b, requires_grad=True)

    def backward_one_op() -> None:
        (ta * tb).backward(np.ones(1, np.float32))
        ta.grad = tb.grad = None

    op = {"tinygrad_vn": lambda: ta * tb, "numpy": lambda: a * b, "torch": None}
    backward = {"tinygrad_vn": backward_one_op, "numpy": lambda: (a * b, np.ones(1) * b, np.ones(1) * a),
                "torch": None}
    if torch is not None:
        xa, xb = torch.ones(1, requires_grad=True), torch.full((1,), 2.0, requires_grad=True)
        seed = torch.ones(1)
        op["torch"] = lambda: xa * xb

        def torch_backward() -> None:
            (xa * xb).backward(seed)
            xa.grad = xb.grad = None

        backward["torch"] = torch_backward
    return [
        Row("per-op overhead", "one tiny op (1 element, with grad)", threads,
            compare(op, settings.rounds, settings.round_s), note="numpy column: the bare ndarray op"),
        Row("per-op overhead", "forward + backward of a 1-op graph", threads,
            compare(backward, settings.rounds, settings.round_s), note="numpy column: the three bare products"),
    ]


def new_op_overhead(settings: Settings, threads: int, torch: Any) -> list[Row]:
    """Forward + backward of the parity ops and layers on a small batch (32 × 64 float32), next to PyTorch.

    The numpy column is the forward alone written by hand, as a floor for what the array work costs.
    """
    from tinygrad_vn import nn

    x = _rng().standard_normal((32, 64)).astype(np.float32)
    seed = np.ones_like(x)
    tg.manual_seed(0)
    dropout, batchnorm, layernorm = nn.Dropout(0.2), nn.BatchNorm1d(64), nn.LayerNorm(64)
    ours: dict[str, Callable[[tg.Tensor], tg.Tensor]] = {
        "where": lambda t: tg.where(t > 0, t, t * 0.1),
        "clamp": lambda t: t.clamp(-0.5, 0.5),
        "var": lambda t: t.var(dim=1, keepdim=True).expand(32, 64),
        "Dropout(0.2)": dropout,
        "BatchNorm1d(64)": batchnorm,
        "LayerNorm(64)": layernorm,
    }
    by_hand: dict[str, Callable[[], object]] = {
        "where": lambda: np.where(x > 0, x, x * 0.1),
        "clamp": lambda: np.clip(x, -0.5, 0.5),
        "var": lambda: x.var(axis=1, ddof=1, keepdims=True),
        "Dropout(0.2)": lambda: x * (np.random.default_rng(0).random(x.shape) >= 0.2) / 0.8,
        "BatchNorm1d(64)": lambda: (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5),
        "LayerNorm(64)": lambda: (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5),
    }
    theirs: dict[str, Any] = {}
    if torch is not None:
        tdrop, tbn, tln = torch.nn.Dropout(0.2), torch.nn.BatchNorm1d(64), torch.nn.LayerNorm(64)
        theirs = {
            "where": lambda t: torch.where(t > 0, t, t * 0.1),
            "clamp": lambda t: t.clamp(-0.5, 0.5),
            "var": lambda t: t.var(dim=1, keepdim=True).expand(32, 64),
            "Dropout(0.2)": tdrop, "BatchNorm1d(64)": tbn, "LayerNorm(64)": tln,
        }
    rows = []
    for name, layer in ours.items():
        leaf = tg.Tensor(x, requires_grad=True)

        def step(layer: Callable[[tg.Tensor], tg.Tensor] = layer, leaf: tg.Tensor = leaf) -> None:
            layer(leaf).backward(seed)
            leaf.grad = None

        fns: dict[str, Callable[[], object] | None] = {"tinygrad_vn": step, "numpy": by_hand[name], "torch": None}
        if torch is not None:
            tleaf, tseed = torch.tensor(x, requires_grad=True), torch.from_numpy(seed)

            def torch_step(layer: Any = theirs[name], tleaf: Any = tleaf, tseed: Any = tseed) -> None:
                layer(tleaf).backward(tseed)
                tleaf.grad = None

            fns["torch"] = torch_step
        rows.append(Row("new ops", f"{name}, 32×64, forward+backward", threads,
                        compare(fns, settings.rounds, settings.round_s),
                        note="numpy column: the forward alone, by hand"))
    return rows
