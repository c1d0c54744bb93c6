"""The example networks that ``tinygrad-vn`` explains, draws, animates and makes worksheets of.

- ``seed000``: seed 000's 1-2-1 sigmoid network on its second record, binary cross-entropy.
- ``seed001``: seed 001's network, ReLU then sigmoid then softmax, on one sample of three classes with
  the note's loss ``L = −Σ y_k ln o_k`` written out, so its softmax and log meet in the graph. The note
  derives the gradients by letter and gives no numbers; these weights (:data:`SEED001_PARAMETERS`)
  are round ones chosen so that one ReLU unit is off (``z ≤ 0``), the note's second case.
- ``seed004``: seed 004's 2-3-4-1 sigmoid network on the first four records of its Learn/Sleep data
  (standardised), with the loss whose gradient the note writes ``δ(3) = A(3) − Y``: binary
  cross-entropy summed over the samples (the note's updates carry no 1/n).
- ``mlp``: a ReLU MLP of ``--layers`` with cross-entropy on a random batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .arguments import help_language, layer_sizes, parse_layer_sizes

EXAMPLES = ("seed000", "seed001", "seed004", "mlp")
DEFAULT_LAYERS = "784,128,10"
SEED004_BATCH = 4

# Seed 001's weights as a Sequential names them: x (1×2) → Linear 2→3, ReLU → Linear 3→2, sigmoid →
# Linear 2→3, softmax; the sample x and its one-hot class y (the third).
SEED001_PARAMETERS: dict[str, list[Any]] = {
    "0.weight": [[0.2, -0.4, 0.6], [0.5, 0.6, -0.8]], "0.bias": [0.1, -0.2, 0.0],
    "2.weight": [[0.4, -0.6], [0.9, 0.3], [-0.5, 0.7]], "2.bias": [0.0, 0.1],
    "4.weight": [[0.3, -0.2, 0.5], [-0.4, 0.6, 0.1]], "4.bias": [0.0, 0.1, -0.1],
}
SEED001_X = [[0.5, 1.0]]
SEED001_Y = [[0.0, 0.0, 1.0]]


@dataclass
class Example:
    """A loss not yet backpropagated, and the model whose parameters name its graph."""

    loss: Any
    model: Any


def add_example_arguments(parser: Any, lang: str | None = None) -> None:
    """The ``--example`` and ``--layers`` options shared by the commands that use an example, their help in
    ``lang`` (by default the command line's, see :func:`~tinygrad_vn.cli.arguments.help_language`)."""
    from tinygrad_vn.phrases import phrase

    lang = lang or help_language()
    parser.add_argument("--example", choices=EXAMPLES, default="seed000",
                        help=phrase("commands.example", lang, default="seed000"))
    parser.add_argument("--layers", type=layer_sizes, default=DEFAULT_LAYERS,
                        help=phrase("commands.layers", lang, default=DEFAULT_LAYERS))


def build_example(name: str, layers: str | Sequence[int] = DEFAULT_LAYERS, batch: int = 4) -> Example:
    """The example ``name`` (one of :data:`EXAMPLES`) as a loss and its model.

    ``layers`` (the MLP's sizes, as a sequence or as text like "784,128,10") is checked before anything
    is built: a ValueError says what is wrong with it.

    >>> example = build_example("seed001")
    >>> round(example.loss.item(), 4)
    1.0207
    """
    from tinygrad_vn import Tensor, manual_seed, nn, seeds
    from tinygrad_vn import functional as F

    if name == "seed000":
        model = seeds.seed000_network()
        x = Tensor(np.array([[0.5]]), name="x")
        y = Tensor(np.array([[0.5]]), name="y")
        return Example(F.binary_cross_entropy(model(x), y), model)
    if name == "seed001":
        model = seed001_network()
        o = model(Tensor(np.array(SEED001_X), name="x"))
        return Example(-(Tensor(np.array(SEED001_Y), name="y") * o.log()).sum(), model)
    if name == "seed004":
        x, y = seed004_batch()
        manual_seed(0)
        model = seeds.seed004_network(np.float64)
        model.fuse = False  # every Z(l) and A(l) of the note stays a node of its own
        return Example(F.binary_cross_entropy(model(Tensor(x, name="X")), Tensor(y, name="y"), reduction="sum"),
                       model)
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


def seed001_network() -> Any:
    """Seed 001's network with :data:`SEED001_PARAMETERS`: ReLU, sigmoid, then softmax, every op its own node.

    >>> seed001_network()[5]
    Softmax(dim=-1)
    """
    from tinygrad_vn import nn

    model = nn.Sequential(nn.Linear(2, 3, dtype=np.float64), nn.ReLU(), nn.Linear(3, 2, dtype=np.float64),
                          nn.Sigmoid(), nn.Linear(2, 3, dtype=np.float64), nn.Softmax())
    model.fuse = False
    model.load_state_dict({key: np.array(value) for key, value in SEED001_PARAMETERS.items()})
    return model


def seed004_batch(size: int = SEED004_BATCH) -> tuple[np.ndarray, np.ndarray]:
    """The first ``size`` Learn/Sleep records of seed 004, standardised with the whole data set's mean and
    standard deviation (as :func:`tinygrad_vn.seeds.train_seed004` trains), and their Is_Pass labels.

    >>> x, y = seed004_batch()
    >>> x.shape, y[:, 0].tolist()
    ((4, 2), [1.0, 0.0, 0.0, 0.0])
    """
    from tinygrad_vn import seeds

    x, y = seeds.seed004_dataset()
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return x[:size], y[:size]
