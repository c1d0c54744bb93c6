"""MNIST benchmark: tinygrad_vn against hand-written NumPy backprop, PyTorch and JAX, side by side.

    python -m benchmarks.mnist                       # everything, report on stdout
    python -m benchmarks.mnist --report benchmarks/MNIST_RESULTS.md --json runs/mnist_bench.json

1. Speed race: 784-128-10 ReLU, SGD (momentum 0.9, lr 0.1), batch 128, the same float32 data, the
   same initial weights and the same batch order for all four (data loading included: each cuts its
   batches from the arrays in memory; tinygrad_vn trains through ``tinygrad-vn train``'s ``train_epoch``,
   JAX through one ``jax.jit`` of ``value_and_grad`` plus the update). Epochs run round robin (epoch k of
   every framework, then epoch k + 1), so a busy machine slows them alike. Reports seconds per epoch
   (median, evaluation excluded), samples/s, accuracy after 3 epochs and the training time until the
   test accuracy first reaches 98%.
2. Accuracy targets: 784-128-10 ReLU, Adam 1e-3, batch 128, 10 epochs (PyTorch too, as a reference).
3. Seed 002's network: runs ``examples/mnist_from_scratch.py`` and reads its test accuracy.

Data: ``$TINYGRAD_VN_DATA/mnist/`` (or the user cache); ``--synthetic`` times the race on random data of
MNIST's shapes instead (speed only: its accuracies mean nothing). PyTorch and JAX parts are skipped when
they are not installed. ``run(args)`` returns the results as a dict, for a harness that wants to call it.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

HIDDEN = 128
BATCH_SIZE = 128
SGD_LR, SGD_MOMENTUM = 0.1, 0.9
ADAM_LR = 1e-3
TARGET_ACCURACY = 0.98
SPEEDUP_TARGET = 1.7
ROOT = Path(__file__).resolve().parent.parent

Data = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def load_data() -> Data:
    """MNIST as float32 (N, 784) pixels / 255 and int64 labels."""
    from tinygrad_vn.data import load_mnist
    from tinygrad_vn.train import flatten_images

    x_train, y_train, x_test, y_test = load_mnist(progress=False)
    return flatten_images(x_train), y_train, flatten_images(x_test), y_test


# --------------------------------------------------------------------------- the three trainers


def initial_weights(seed: int) -> list[np.ndarray]:
    """W1, b1, W2, b2 for 784-HIDDEN-10, uniform in ±1/√fan_in (PyTorch's default), laid out (in, out).

    All three frameworks start from these and visit the batches in the same order (the permutations of
    ``np.random.default_rng(seed)``, which is what ``DataLoader(seed=seed)`` draws), so they follow the
    same path up to rounding and time to 98% compares speed rather than luck.
    """
    rng = np.random.default_rng(seed)
    weights = []
    for n_in, n_out in ((784, HIDDEN), (HIDDEN, 10)):
        bound = 1 / np.sqrt(n_in)
        weights += [rng.uniform(-bound, bound, (n_in, n_out)).astype(np.float32),
                    rng.uniform(-bound, bound, n_out).astype(np.float32)]
    return weights


class TinygradTrainer:
    """tinygrad_vn through its public API: nn.Sequential, optim, F.cross_entropy, DataLoader."""

    name = "tinygrad_vn"

    def __init__(self, data: Data, optimizer: str, seed: int) -> None:
        import tinygrad_vn as tg
        from tinygrad_vn import nn
        from tinygrad_vn.data import DataLoader
        from tinygrad_vn.train import make_optimizer, train_epoch

        self._train_epoch = train_epoch
        x_train, y_train, self.x_test, self.y_test = data
        tg.manual_seed(seed)
        self.model = nn.Sequential(nn.Linear(784, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10))
        w1, b1, w2, b2 = initial_weights(seed)
        self.model.load_state_dict({"0.weight": w1, "0.bias": b1, "2.weight": w2, "2.bias": b2})
        lr = SGD_LR if optimizer == "sgd" else ADAM_LR
        self.optimizer = make_optimizer(optimizer, self.model.parameters(), lr, SGD_MOMENTUM)
        self.loader = DataLoader(x_train, y_train, BATCH_SIZE, shuffle=True, seed=seed)

    def train_epoch(self) -> None:
        self._train_epoch(self.model, self.loader, self.optimizer)

    def test_accuracy(self) -> float:
        from tinygrad_vn.train import evaluate

        return evaluate(self.model, self.x_test, self.y_test).accuracy


class NumpyTrainer:
    """Forward and backward written out by hand in NumPy (float32, SGD with momentum only)."""

    name = "numpy"

    def __init__(self, data: Data, optimizer: str, seed: int) -> None:
        if optimizer != "sgd":
            raise ValueError("the NumPy baseline implements SGD with momentum only")
        self.x_train, self.y_train, self.x_test, self.y_test = data
        self.rng = np.random.default_rng(seed)
        self.params = initial_weights(seed)
        self.velocity = [np.zeros_like(p) for p in self.params]

    def train_epoch(self) -> None:
        w1, b1, w2, b2 = self.params
        order = self.rng.permutation(len(self.x_train))
        for start in range(0, len(order), BATCH_SIZE):
            index = order[start : start + BATCH_SIZE]
            x, y = self.x_train[index], self.y_train[index]
            hidden = x @ w1
            hidden += b1
            np.maximum(hidden, 0, out=hidden)
            logits = hidden @ w2 + b2
            logits -= logits.max(axis=1, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=1, keepdims=True)
            probs[np.arange(len(y)), y] -= 1
            d_logits = probs / np.float32(len(y))
            d_hidden = d_logits @ w2.T
            d_hidden[hidden <= 0] = 0
            grads = (x.T @ d_hidden, d_hidden.sum(axis=0), hidden.T @ d_logits, d_logits.sum(axis=0))
            for param, velocity, grad in zip(self.params, self.velocity, grads):
                velocity *= np.float32(SGD_MOMENTUM)
                velocity += grad
                param -= np.float32(SGD_LR) * velocity

    def test_accuracy(self) -> float:
        w1, b1, w2, b2 = self.params
        logits = np.maximum(self.x_test @ w1 + b1, 0) @ w2 + b2
        return float((logits.argmax(axis=1) == self.y_test).mean())


class TorchTrainer:
    """PyTorch's idiomatic loop, batches cut from in-memory tensors by a random permutation.

    PyTorch stores a Linear weight as (out, in): the shared initial weights are transposed into it.
    """

    name = "pytorch"

    def __init__(self, data: Data, optimizer: str, seed: int) -> None:
        import torch

        self.torch = torch
        torch.manual_seed(seed)
        x_train, y_train, x_test, y_test = data
        self.x_train, self.y_train = torch.from_numpy(x_train), torch.from_numpy(y_train)
        self.x_test, self.y_test = torch.from_numpy(x_test), torch.from_numpy(y_test)
        self.model = torch.nn.Sequential(torch.nn.Linear(784, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 10))
        with torch.no_grad():
            for param, value in zip(self.model.parameters(), initial_weights(seed)):
                param.copy_(torch.from_numpy(np.ascontiguousarray(value.T)))
        if optimizer == "sgd":
            self.optimizer = torch.optim.SGD(self.model.parameters(), lr=SGD_LR, momentum=SGD_MOMENTUM)
        else:
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=ADAM_LR)
        self.rng = np.random.default_rng(seed)

    def train_epoch(self) -> None:
        torch = self.torch
        functional = torch.nn.functional
        order = torch.from_numpy(self.rng.permutation(len(self.x_train)))
        for index in order.split(BATCH_SIZE):
            loss = functional.cross_entropy(self.model(self.x_train[index]), self.y_train[index])
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()

    def test_accuracy(self) -> float:
        with self.torch.no_grad():
            predictions = self.model(self.x_test).argmax(dim=1)
        return float((predictions == self.y_test).float().mean())


class JaxTrainer:
    """JAX as its users write a training loop: one ``jax.jit`` of ``value_and_grad`` plus the SGD update.

    Batches are cut from the NumPy arrays by the same permutations as the others' and handed to the
    compiled step; parameters and velocities are donated so XLA may update them in place. The epoch waits
    for its last step (JAX dispatches asynchronously).
    """

    name = "jax"

    def __init__(self, data: Data, optimizer: str, seed: int) -> None:
        if optimizer != "sgd":
            raise ValueError("the JAX baseline implements SGD with momentum only")
        import jax

        self.jax, jnp = jax, jax.numpy
        self.x_train, self.y_train, self.x_test, self.y_test = data
        self.rng = np.random.default_rng(seed)
        self.params = [jnp.asarray(p) for p in initial_weights(seed)]
        self.velocity = [jnp.zeros_like(p) for p in self.params]

        def loss(params: list, x: object, y: object) -> object:
            w1, b1, w2, b2 = params
            logits = jax.nn.relu(x @ w1 + b1) @ w2 + b2
            return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))

        def step(params: list, velocity: list, x: object, y: object) -> tuple[list, list]:
            grads = jax.grad(loss)(params, x, y)
            velocity = [SGD_MOMENTUM * v + g for v, g in zip(velocity, grads)]
            return [p - SGD_LR * v for p, v in zip(params, velocity)], velocity

        self.step = jax.jit(step, donate_argnums=(0, 1))
        self.predict = jax.jit(lambda params, x: jnp.argmax(
            jax.nn.relu(x @ params[0] + params[1]) @ params[2] + params[3], axis=1))

    def train_epoch(self) -> None:
        order = self.rng.permutation(len(self.x_train))
        for start in range(0, len(order), BATCH_SIZE):
            index = order[start : start + BATCH_SIZE]
            self.params, self.velocity = self.step(self.params, self.velocity, self.x_train[index],
                                                   self.y_train[index])
        self.jax.block_until_ready(self.params)

    def test_accuracy(self) -> float:
        return float((np.asarray(self.predict(self.params, self.x_test)) == self.y_test).mean())


TRAINERS: dict[str, Callable[..., object]] = {
    "tinygrad_vn": TinygradTrainer, "numpy": NumpyTrainer, "pytorch": TorchTrainer, "jax": JaxTrainer,
}
SGD_ONLY = ("numpy", "jax")
"""Baselines written for the speed race's SGD only (not run in the Adam accuracy part)."""


# --------------------------------------------------------------------------- measuring


@dataclass
class Curve:
    """One framework's run: per-epoch training seconds and test accuracy."""

    name: str
    epoch_seconds: list[float] = field(default_factory=list)
    eval_seconds: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)

    def seconds_per_epoch(self) -> float:
        """Median training time of the epochs after the first (the first pays one-off warm-up costs)."""
        steady = self.epoch_seconds[1:] or self.epoch_seconds
        return statistics.median(steady)

    def accuracy_after(self, epochs: int) -> float | None:
        return self.accuracies[epochs - 1] if len(self.accuracies) >= epochs else None

    def epochs_to(self, target: float) -> int | None:
        return next((i + 1 for i, a in enumerate(self.accuracies) if a >= target), None)

    def time_to(self, target: float) -> float | None:
        """Training seconds (evaluation excluded) until the end of the first epoch reaching ``target``."""
        epochs = self.epochs_to(target)
        return None if epochs is None else sum(self.epoch_seconds[:epochs])


def race(trainers: list, max_epochs: int, min_epochs: int, stop_at: float | None,
         log: Callable[[str], None]) -> list[Curve]:
    """Train every trainer round robin, one epoch each in turn, until each reached ``stop_at`` (and
    ran ``min_epochs``) or ran ``max_epochs``."""
    curves = [Curve(t.name) for t in trainers]
    for epoch in range(1, max_epochs + 1):
        for trainer, curve in zip(trainers, curves):
            done = stop_at is not None and curve.epochs_to(stop_at) is not None
            if done and epoch > min_epochs:
                continue
            start = time.perf_counter()
            trainer.train_epoch()
            curve.epoch_seconds.append(time.perf_counter() - start)
            start = time.perf_counter()
            curve.accuracies.append(trainer.test_accuracy())
            curve.eval_seconds.append(time.perf_counter() - start)
            log(f"  {curve.name:<12} epoch {epoch:2d}: {curve.epoch_seconds[-1]:6.2f} s, "
                f"test accuracy {curve.accuracies[-1]:.2%}")
    return curves


def run_seed_network(log: Callable[[str], None]) -> dict:
    """Run examples/mnist_from_scratch.py and read its final test accuracy."""
    script = ROOT / "examples" / "mnist_from_scratch.py"
    start = time.perf_counter()
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    match = re.search(r"test accuracy after (\d+) iterations: ([\d.]+)%", result.stdout)
    if result.returncode != 0 or match is None:
        log(result.stdout + result.stderr)
        return {"error": f"{script.name} exited {result.returncode}", "seconds": seconds}
    return {"iterations": int(match.group(1)), "test_accuracy": float(match.group(2)) / 100, "seconds": seconds}


def set_threads(count: int) -> None:
    """Cap every framework at ``count`` threads: BLAS (NumPy and tinygrad_vn), XLA's and PyTorch's pools.

    XLA reads its count when JAX starts, so this runs before any trainer imports JAX.
    """
    from tinygrad_vn import set_num_threads

    from .runner import limit_jax_threads

    set_num_threads(count)
    limit_jax_threads(count)
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(count)


def available(names: list[str]) -> list[str]:
    """The requested frameworks that can run here (PyTorch and JAX only when installed)."""
    import importlib.util

    optional = {"pytorch": "torch", "jax": "jax"}
    return [n for n in names if n not in optional or importlib.util.find_spec(optional[n]) is not None]


def synthetic_data(seed: int = 0) -> Data:
    """Random data of MNIST's shapes and types (60,000 + 10,000 images of 784 pixels in [0, 1), labels 0-9)."""
    rng = np.random.default_rng(seed)
    return (rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000),
            rng.random((10000, 784), dtype=np.float32), rng.integers(0, 10, 10000))


def run(args: argparse.Namespace, log: Callable[[str], None] = print) -> dict:
    """Run the benchmark parts that ``args`` selects and return every measured number."""
    set_threads(args.threads)
    data = synthetic_data(args.seed) if args.synthetic else load_data()
    frameworks = available(args.frameworks)
    results: dict = {"machine": machine_info(args.threads), "frameworks": frameworks, "synthetic": args.synthetic}

    log(f"Speed race: 784-{HIDDEN}-10 ReLU, SGD momentum {SGD_MOMENTUM} lr {SGD_LR}, batch {BATCH_SIZE}")
    trainers = [TRAINERS[name](data, "sgd", args.seed) for name in frameworks]
    curves = race(trainers, args.max_epochs, 3, None if args.synthetic else TARGET_ACCURACY, log)
    results["race"] = [asdict(c) | summary(c) for c in curves]

    if not args.skip_targets and not args.synthetic:
        log(f"Accuracy targets: 784-{HIDDEN}-10 ReLU, Adam lr {ADAM_LR}, batch {BATCH_SIZE}, 10 epochs")
        names = [n for n in frameworks if n not in SGD_ONLY]
        trainers = [TRAINERS[name](data, "adam", args.seed) for name in names]
        results["adam"] = [asdict(c) | summary(c) for c in race(trainers, 10, 10, None, log)]

    if not args.skip_seed_network and not args.synthetic:
        log("Seed 002 network (examples/mnist_from_scratch.py): 784-10-10, full-batch GD, 500 iterations")
        results["seed_network"] = run_seed_network(log)
    return results


def summary(curve: Curve) -> dict:
    return {"seconds_per_epoch": curve.seconds_per_epoch(), "samples_per_second": 60000 / curve.seconds_per_epoch(),
            "accuracy_after_3": curve.accuracy_after(3), "epochs_to_98": curve.epochs_to(TARGET_ACCURACY),
            "seconds_to_98": curve.time_to(TARGET_ACCURACY), "best_accuracy": max(curve.accuracies)}


def machine_info(threads: int) -> dict:
    import numpy

    info = {"python": platform.python_version(), "numpy": numpy.__version__, "cpu": platform.processor() or
            platform.machine(), "threads": threads, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:
        info["torch"] = None
    from importlib import metadata

    try:
        info["jax"] = metadata.version("jax")
    except metadata.PackageNotFoundError:
        info["jax"] = None
    return info


# --------------------------------------------------------------------------- the report


def _fmt(value: float | None, pattern: str, missing: str = "not reached") -> str:
    return missing if value is None else pattern.format(value)


def report(results: dict) -> str:
    """The results as Markdown, with each target's verdict computed from the numbers."""
    m = results["machine"]
    lines = [
        "# MNIST benchmark results",
        "",
        f"Generated by `python -m benchmarks.mnist` on {m['date']}: Python {m['python']}, NumPy {m['numpy']}, "
        f"PyTorch {m['torch'] or 'not installed'}, JAX {m.get('jax') or 'not installed'}, {m['threads']} thread(s) "
        "per framework (BLAS for NumPy and tinygrad_vn, `torch.set_num_threads` for PyTorch, XLA's flags for JAX). "
        "Seconds count training only; the test-set evaluation after each epoch is timed apart and left out."
        + (" **Synthetic data** (random, MNIST's shapes): the speeds count, the accuracies do not."
           if results.get("synthetic") else ""),
        "",
        f"## Speed: 784-{HIDDEN}-10 ReLU, SGD momentum {SGD_MOMENTUM}, lr {SGD_LR}, batch {BATCH_SIZE}",
        "",
        "| framework | s/epoch (median) | first epoch s | samples/s | acc. after 3 epochs | epochs to 98% "
        "| training s to 98% | best acc. |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    race_rows = {r["name"]: r for r in results["race"]}
    for r in results["race"]:
        lines.append(
            f"| {r['name']} | {r['seconds_per_epoch']:.3f} | {r['epoch_seconds'][0]:.3f} | "
            f"{r['samples_per_second']:,.0f} | {_fmt(r['accuracy_after_3'], '{:.2%}', 'n/a')} | "
            f"{_fmt(r['epochs_to_98'], '{}')} | {_fmt(r['seconds_to_98'], '{:.2f}')} | {r['best_accuracy']:.2%} |")
    lines += ["", "Ratios (how many times faster tinygrad_vn is; above 1 means faster):", ""]
    ours = race_rows.get("tinygrad_vn")
    for other in ("pytorch", "numpy", "jax"):
        if ours is None or other not in race_rows:
            continue
        theirs = race_rows[other]
        speed = theirs["seconds_per_epoch"] / ours["seconds_per_epoch"]
        line = f"- vs {other}: {speed:.2f}× per epoch"
        if ours["seconds_to_98"] is not None and theirs["seconds_to_98"] is not None:
            line += f", {theirs['seconds_to_98'] / ours['seconds_to_98']:.2f}× in time to 98%"
        lines.append(line)
    lines += ["", "## Targets", ""]
    lines += verdicts(results)
    if "adam" in results:
        lines += ["", f"## Adam lr {ADAM_LR}, batch {BATCH_SIZE}, 784-{HIDDEN}-10 ReLU: test accuracy per epoch", "",
                  "| framework | " + " | ".join(str(e) for e in range(1, 11)) + " |",
                  "| --- |" + " --- |" * 10]
        for r in results["adam"]:
            lines.append(f"| {r['name']} | " + " | ".join(f"{a:.2%}" for a in r["accuracies"]) + " |")
    return "\n".join(lines) + "\n"


def verdicts(results: dict) -> list[str]:
    """One line per target of issue 5: met, unmet or not measured, with the number behind it."""
    def mark(ok: bool | None) -> str:
        return "not measured" if ok is None else ("met" if ok else "**unmet**")

    def reached(row: dict) -> str:
        if row["seconds_to_98"] is None:
            return f"not within {len(row['accuracies'])} epochs"
        return f"{row['seconds_to_98']:.2f} s, epoch {row['epochs_to_98']}"

    race_rows = {r["name"]: r for r in results["race"]}
    ours, torch_row = race_rows.get("tinygrad_vn"), race_rows.get("pytorch")
    lines = []
    for other, label, minimum in (("numpy", "hand-written NumPy", 1.05), ("jax", "JAX", 1.2)):
        if ours and other in race_rows:
            speed = race_rows[other]["seconds_per_epoch"] / ours["seconds_per_epoch"]
            lines.append(f"- SGD epoch ≥ {minimum}× faster than {label} (issue 14): {mark(speed >= minimum)} "
                         f"({speed:.2f}×)")
    if ours and torch_row:
        speed = torch_row["seconds_per_epoch"] / ours["seconds_per_epoch"]
        lines.append(f"- SGD epoch ≥ {SPEEDUP_TARGET}× faster than PyTorch: {mark(speed >= SPEEDUP_TARGET)} "
                     f"({speed:.2f}×)")
        mine, theirs = ours["seconds_to_98"], torch_row["seconds_to_98"]
        ok = mine is not None and (theirs is None or mine < theirs)
        lines.append(f"- 98% in less training time than PyTorch: {mark(ok)} (tinygrad_vn {reached(ours)}, "
                     f"PyTorch {reached(torch_row)})")
    adam = {r["name"]: r for r in results.get("adam", [])}.get("tinygrad_vn")
    if adam:
        after3 = adam["accuracy_after_3"]
        lines.append(f"- Adam ≥ 97.5% after 3 epochs: {mark(after3 >= 0.975)} ({after3:.2%})")
        lines.append(f"- Adam ≥ 98% within 10 epochs: {mark(adam['epochs_to_98'] is not None)} "
                     f"(best {adam['best_accuracy']:.2%}, epoch {_fmt(adam['epochs_to_98'], '{}')})")
    seed = results.get("seed_network")
    if seed and "test_accuracy" in seed:
        lines.append(f"- Seed 002 network ≥ 85% after 500 full-batch iterations: "
                     f"{mark(seed['test_accuracy'] >= 0.85)} ({seed['test_accuracy']:.2%}, {seed['seconds']:.0f} s)")
    return lines


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mnist", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--frameworks", nargs="+", choices=list(TRAINERS), default=list(TRAINERS))
    parser.add_argument("--max-epochs", type=int, default=15, help="cap on speed-race epochs per framework")
    parser.add_argument("--threads", type=int, default=1, help="threads each framework may use")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-targets", action="store_true", help="skip the 10-epoch Adam runs")
    parser.add_argument("--skip-seed-network", action="store_true", help="skip examples/mnist_from_scratch.py")
    parser.add_argument("--synthetic", action="store_true",
                        help="race on random data of MNIST's shapes (speed only) when the data set is not here")
    parser.add_argument("--report", type=Path, default=None, help="also write the Markdown report here")
    parser.add_argument("--json", type=Path, default=None, help="write every measured number here")
    parser.add_argument("--from-json", type=Path, default=None,
                        help="measure nothing: print (and --report) the report of a saved --json file")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    results = json.loads(args.from_json.read_text()) if args.from_json else run(args)
    text = report(results)
    print("\n" + text)
    if args.report:
        args.report.write_text(text)
    if args.json and not args.from_json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
