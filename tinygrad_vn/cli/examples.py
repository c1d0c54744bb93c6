"""The example models that ``tinygrad-vn graph`` and ``tinygrad-vn explain`` draw and explain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .arguments import layer_sizes, parse_layer_sizes

EXAMPLES = ("seed000", "mlp")
DEFAULT_LAYERS = "784,128,10"


@dataclass
class Example:
    """A loss not yet backpropagated, and the model whose parameters name its graph."""

    loss: Any
    model: Any


def add_example_arguments(parser: Any) -> None:
    """The ``--example`` and ``--layers`` options shared by the commands that use an example."""
    parser.add_argument("--example", choices=EXAMPLES, default="seed000",
                        help="seed000: the note's 1-2-1 sigmoid network on x = 0.5, y = 0.5; "
                             "mlp: a ReLU MLP with cross-entropy (default seed000)")
    parser.add_argument("--layers", type=layer_sizes, default=DEFAULT_LAYERS,
                        help=f"the MLP's layer sizes, comma-separated (default {DEFAULT_LAYERS})")


def build_example(name: str, layers: str | Sequence[int] = DEFAULT_LAYERS, batch: int = 4) -> Example:
    """Seed 000's network on its second record with the BCE loss, or an MLP on a random batch.

    ``layers`` (the MLP's sizes, as a sequence or as text like "784,128,10") is checked before anything
    is built: a ValueError says what is wrong with it.
    """
    from tinygrad_vn import Tensor, manual_seed, nn, seeds
    from tinygrad_vn import functional as F

    if name == "seed000":
        model = seeds.seed000_network()
        x = Tensor(np.array([[0.5]]), name="x")
        y = Tensor(np.array([[0.5]]), name="y")
        return Example(F.binary_cross_entropy(model(x), y), model)
    if name != "mlp":
        raise ValueError(f"unknown example {name!r}; choose one of {', '.join(EXAMPLES)}")
    sizes = list(parse_layer_sizes(layers) if isinstance(layers, str) else layers)
    manual_seed(0)
    model = nn.mlp(sizes, activation="relu")
    model.fuse = False  # draw and explain every layer's own ops
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(batch, sizes[0])).astype(np.float32), name="x")
    labels = Tensor(rng.integers(0, sizes[-1], size=batch), name="y")
    return Example(F.cross_entropy(model(x), labels), model)
