"""The Keras ``mnist_mlp`` recipe, trained by ``tinygrad-vn train``'s code path and by PyTorch, side by side.

    python -m benchmarks.recipes                  # 20 epochs, as the recipe says (a few minutes per framework)
    python -m benchmarks.recipes --epochs 2       # a shorter check
    python -m benchmarks.recipes --json runs/recipes.json

The recipe: 784-512-512-10 ReLU, Dropout(0.2) after each hidden activation, RMSprop lr 1e-3, batch 128,
cross-entropy, pixels / 255, 20 epochs. tinygrad_vn runs it through :func:`tinygrad_vn.train.fit` (what
``tinygrad-vn train --layers 784,512,512,10 --dropout 0.2 --optimizer rmsprop --lr 0.001 --schedule none
--no-standardize --epochs 20`` runs). PyTorch starts from the same initial weights (ours, copied into its
``nn.Linear`` layers with the weights transposed, as ours are laid out (in, out)) and visits the same
batches in the same order (drawn by the same DataLoader from a generator seeded as ``fit`` seeds its own).

RMSprop's settings are PyTorch's defaults on both sides (alpha 0.99, eps 1e-8, no momentum); Keras's own
RMSprop, which the original recipe used, decays its average with rho 0.9 and adds eps 1e-7. The dropout
masks cannot be the same in the two frameworks (each draws from its own generator), so the two runs
differ by that noise, which is why they are compared within a tolerance rather than bit for bit.

Verdicts: tinygrad_vn's test accuracy after epoch 20 is at least 98.2%, and it is within 0.2 points of
PyTorch's. With fewer ``--epochs`` the same comparisons are printed for the last epoch run, marked as a
shorter check. Data: ``--data``, else ``$TINYGRAD_VN_DATA/mnist/``, else the user cache.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

RECIPE_EPOCHS = 20
TARGET_ACCURACY = 0.982
TOLERANCE_POINTS = 0.2


@dataclass
class Trace:
    """One framework's run: test accuracy and training seconds per epoch."""

    framework: str
    accuracies: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def recipe_config(epochs: int, seed: int) -> Any:
    """The Keras mnist_mlp recipe as a :class:`tinygrad_vn.train.TrainConfig`."""
    from tinygrad_vn.train import TrainConfig

    return TrainConfig(dataset="mnist", layers=(784, 512, 512, 10), activation="relu", optimizer="rmsprop",
                       lr=1e-3, epochs=epochs, batch_size=128, seed=seed, standardize=False, dropout=0.2,
                       batchnorm=False, schedule="none", weight_decay=0.0)


def run_tinygrad_vn(config: Any, data_root: str | None, threads: int) -> Trace:
    """Train with ``tinygrad_vn.train.fit``, printing each epoch as ``train`` does."""
    from tinygrad_vn.train import fit

    _, history = fit(config, data_root=data_root, progress=False, threads=threads,
                     log=lambda line: print(f"  tinygrad_vn: {line}", flush=True))
    return Trace("tinygrad_vn", [m.test_accuracy for m in history], [m.seconds for m in history])


def run_torch(config: Any, data_root: str | None, threads: int) -> Trace:
    """Train the same network with PyTorch from tinygrad_vn's initial weights, on the same batches."""
    import torch

    from tinygrad_vn import nn as tg_nn
    from tinygrad_vn.data.loader import DataLoader
    from tinygrad_vn.train import initial_state, load_dataset

    torch.set_num_threads(threads)
    torch.manual_seed(config.seed)  # dropout masks; they cannot match ours
    x_train, y_train, x_test, y_test = load_dataset(config.dataset, data_root, config.limit_train, config.limit_test)
    ours, shuffle = initial_state(config)
    loader = DataLoader(x_train, y_train, config.batch_size, shuffle=True, seed=shuffle)
    sizes = config.layers
    stack: list[torch.nn.Module] = []
    for n_in, n_out in itertools.pairwise(sizes[:-1]):
        stack += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU(), torch.nn.Dropout(config.dropout)]
    stack.append(torch.nn.Linear(sizes[-2], sizes[-1]))
    model = torch.nn.Sequential(*stack)
    theirs = [m for m in model if isinstance(m, torch.nn.Linear)]
    mine = [m for m in ours.modules() if isinstance(m, tg_nn.Linear)]
    with torch.no_grad():
        for linear, source in zip(theirs, mine, strict=True):
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(source.weight.data.T)))
            linear.bias.copy_(torch.from_numpy(source.bias.data))
    optimizer = torch.optim.RMSprop(model.parameters(), lr=config.lr)  # alpha 0.99, eps 1e-8: torch's defaults
    loss_fn = torch.nn.CrossEntropyLoss()
    test_x, test_y = torch.from_numpy(x_test), torch.from_numpy(y_test.astype(np.int64))
    trace = Trace("pytorch")
    for epoch in range(1, config.epochs + 1):
        model.train()
        start = time.perf_counter()
        for x_batch, y_batch in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(torch.from_numpy(x_batch)), torch.from_numpy(y_batch.astype(np.int64)))
            loss.backward()
            optimizer.step()
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            accuracy = float((model(test_x).argmax(dim=1) == test_y).double().mean())
        trace.accuracies.append(accuracy)
        trace.seconds.append(seconds)
        print(f"  pytorch:     epoch {epoch}/{config.epochs}  test accuracy {accuracy:.2%}  ({seconds:.1f} s)",
              flush=True)
    return trace


def verdicts(ours: Trace, torch_trace: Trace | None, epochs: int) -> list[tuple[str, bool]]:
    """The recipe's two targets, judged on the last epoch run."""
    final = ours.accuracies[-1]
    results = [(f"tinygrad_vn after epoch {epochs}: {final:.2%} >= {TARGET_ACCURACY:.1%}", final >= TARGET_ACCURACY)]
    if torch_trace is not None:
        gap = 100 * (final - torch_trace.accuracies[-1])
        results.append((f"|tinygrad_vn - pytorch| after epoch {epochs}: {abs(gap):.2f} points <= "
                        f"{TOLERANCE_POINTS} (tinygrad_vn {gap:+.2f})", abs(gap) <= TOLERANCE_POINTS + 1e-9))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.recipes", description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=RECIPE_EPOCHS,
                        help=f"epochs to train (default {RECIPE_EPOCHS}, the recipe's; fewer for a shorter check)")
    parser.add_argument("--seed", type=int, default=0, help="seeds the initial weights and batch order (default 0)")
    parser.add_argument("--data", default=None, help="folder holding mnist/ (default $TINYGRAD_VN_DATA, the cache)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS / torch threads for both (default 1)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")
    config = recipe_config(args.epochs, args.seed)
    print(f"Keras mnist_mlp recipe: 784-512-512-10 relu, dropout 0.2, rmsprop lr 1e-3 (alpha 0.99, eps 1e-8), "
          f"batch 128, {args.epochs} epochs, seed {args.seed}", flush=True)
    ours = run_tinygrad_vn(config, args.data, args.threads)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("PyTorch is not installed: its side is skipped")
        torch_trace = None
    else:
        torch_trace = run_torch(config, args.data, args.threads)

    print("\nepoch  tinygrad_vn  pytorch  difference (points)")
    for index, accuracy in enumerate(ours.accuracies):
        theirs = torch_trace.accuracies[index] if torch_trace else None
        other = f"{theirs:8.2%}  {100 * (accuracy - theirs):+.2f}" if theirs is not None else "       -"
        print(f"{index + 1:5d}  {accuracy:11.2%}  {other}")
    if args.epochs != RECIPE_EPOCHS:
        print(f"\n(a shorter check: the targets are for epoch {RECIPE_EPOCHS})")
    judged = verdicts(ours, torch_trace, args.epochs)
    print()
    for text, passed in judged:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        record = {"epochs": args.epochs, "seed": args.seed, "python": platform.python_version(),
                  "tinygrad_vn": ours.__dict__, "pytorch": torch_trace.__dict__ if torch_trace else None,
                  "verdicts": [{"text": text, "passed": passed} for text, passed in judged]}
        args.json.write_text(json.dumps(record, indent=2) + "\n")
    return 0 if all(passed for _, passed in judged) else 1


if __name__ == "__main__":
    sys.exit(main())
