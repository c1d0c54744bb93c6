"""Layers: ``Linear`` (Z = X·W + b), ``Maxout``, ``Flatten``/``Unflatten``, ``Dropout`` and ``Embedding``, and ``mlp``.

The activation modules live in :mod:`.activations` and the normalisation layers in :mod:`.normalization`.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from .. import functional as F
from .. import ops
from ..factories import generator
from ..tensor import Tensor
from .activations import ACTIVATIONS, FUSABLE
from .module import Module, Sequential
from .parameter import Parameter


def _uniform(shape: tuple[int, ...], bound: float, dtype: Any) -> np.ndarray:
    """A new layer's initial values: uniform in ±bound from the global generator (what ``init.uniform_`` draws)."""
    return generator().uniform(-bound, bound, shape).astype(dtype)


def _normal(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """A new layer's initial values: standard normal from the global generator (what ``init.normal_`` draws)."""
    return generator().normal(0.0, 1.0, shape).astype(dtype)


class Linear(Module):
    """Z = X · W + b, with ``weight`` of shape (in_features, out_features) and ``bias`` (out_features,).

    The layout is the course notes' (seed 004: W⁽¹⁾ is 2 × 3 for 2 inputs and 3 hidden units), so
    ``forward`` is literally ``x @ W + b``. Default initialisation, as in PyTorch: weight and bias
    uniform in ±1/√in_features, which keeps the first pre-activations of order one. Both are
    ``nn.Parameter`` instances.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = np.float32) -> None:
        if in_features <= 0 or out_features <= 0:
            raise ValueError(f"Linear needs positive sizes, got ({in_features}, {out_features})")
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / math.sqrt(in_features)
        self.weight = Parameter(_uniform((in_features, out_features), bound, dtype))
        self.bias = Parameter(_uniform((out_features,), bound, dtype)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}) got input of shape {x.shape}: "
                             f"its last axis must be {self.in_features}")
        return F.linear(x, self.weight, self.bias)

    def forward_fused(self, x: Tensor | np.ndarray, following: Module | None) -> tuple[Tensor, bool] | None:
        """This layer as one fused node (``ops.FusedLinear``), absorbing ``following`` when it is a
        ReLU, Sigmoid or Tanh module: ``(output, absorbed)``, or None when it cannot fuse (no bias,
        input not 2-D, or a subclass with its own ``forward``). ``Sequential`` calls it; the values are
        those of the unfused layers. A NumPy batch is wrapped (not copied) and fused like a Tensor, so
        an eager step and a compiled one (which sees every array argument as a Tensor) run the same
        kernels and agree bit for bit."""
        if isinstance(x, np.ndarray):
            x = Tensor._from_op(x, None)
        if (type(self).forward is not Linear.forward or self.bias is None or not isinstance(x, Tensor)
                or x.ndim != 2 or x.shape[1] != self.in_features):
            return None
        activation = FUSABLE.get(type(following), "identity")
        # F.linear_activation's own body, without its call: this runs once per layer per step
        return ops.FUSED_LINEAR[activation].apply(x, self.weight, self.bias), activation != "identity"

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Maxout(Module):
    """max(X·W₁ + b₁, X·W₂ + b₂, …) over ``pieces`` linear pieces (the lecture's Maxout unit).

    Like ``Linear`` it takes inputs of shape (…, in_features) and returns (…, out_features).
    """

    def __init__(self, in_features: int, out_features: int, pieces: int = 2, dtype: Any = np.float32) -> None:
        if pieces < 1:
            raise ValueError(f"Maxout needs at least one piece, got {pieces}")
        self.in_features, self.out_features, self.pieces = in_features, out_features, pieces
        bound = 1.0 / math.sqrt(in_features)
        self.weight = Parameter(_uniform((pieces, in_features, out_features), bound, dtype))
        self.bias = Parameter(_uniform((pieces, 1, out_features), bound, dtype))

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(f"Maxout({self.in_features}, {self.out_features}) got input of shape {x.shape}: "
                             f"its last axis must be {self.in_features}")
        rows = x.reshape(-1, self.in_features)
        pieces = rows @ self.weight + self.bias
        return pieces.max(axis=0).reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, pieces={self.pieces}"


class Flatten(Module):
    """Merges the axes from ``start_dim`` to ``end_dim`` (inclusive) into one; by default all but the batch axis."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 0:
            return x.reshape(1)
        start, end = (_axis(d, x.ndim, "Flatten", name) for d, name in ((self.start_dim, "start_dim"),
                                                                          (self.end_dim, "end_dim")))
        if start > end:
            raise ValueError(f"Flatten: start_dim ({self.start_dim}) comes after end_dim ({self.end_dim}) "
                             f"for an input of shape {x.shape}")
        merged = int(np.prod(x.shape[start:end + 1], dtype=np.int64))
        return x.reshape(*x.shape[:start], merged, *x.shape[end + 1:])

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Splits axis ``dim`` into ``unflattened_size`` (one entry may be -1, inferred): the inverse of Flatten."""

    def __init__(self, dim: int, unflattened_size: tuple[int, ...] | list[int]) -> None:
        sizes = tuple(unflattened_size)
        if not sizes or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in sizes):
            raise TypeError(f"Unflatten: unflattened_size must be a non-empty tuple of integers, got "
                            f"{unflattened_size!r}")
        if sum(1 for n in sizes if n == -1) > 1 or any(n < -1 for n in sizes):
            raise ValueError(f"Unflatten: unflattened_size {sizes} may hold one -1 and otherwise non-negative sizes")
        self.dim, self.unflattened_size = dim, sizes

    def forward(self, x: Tensor) -> Tensor:
        dim = _axis(self.dim, x.ndim, "Unflatten", "dim")
        sizes, length = self.unflattened_size, x.shape[dim]
        known = int(np.prod([n for n in sizes if n != -1], dtype=np.int64))
        if (-1 in sizes and (known == 0 or length % known)) or (-1 not in sizes and known != length):
            raise ValueError(f"Unflatten: sizes {sizes} do not multiply to {length}, the length of axis {self.dim} "
                             f"of an input of shape {x.shape}")
        sizes = tuple(length // known if n == -1 else n for n in sizes)
        return x.reshape(*x.shape[:dim], *sizes, *x.shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


def _axis(dim: int, ndim: int, layer: str, name: str) -> int:
    """``dim`` as an axis in [0, ndim), negative ones counted from the end; an IndexError naming it otherwise."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{layer}: {name} must be an integer, got {dim!r}")
    if not -ndim <= dim < ndim:
        raise IndexError(f"{layer}: {name}={dim} is out of range for an input with {ndim} axes "
                         f"(expected {-ndim} to {ndim - 1})")
    return int(dim) % ndim


class Dropout(Module):
    """Inverted dropout: in training, zeroes each element with probability ``p`` and scales the rest by 1/(1 − p).

    The identity in ``eval()`` mode, so nothing needs rescaling at test time. The mask comes from the
    global generator (``tg.manual_seed`` makes it reproducible) and a compiled step draws a fresh one
    on each call. A compiled step keeps the mode it was recorded in: compile separate steps for
    training and evaluation.
    """

    def __init__(self, p: float = 0.5) -> None:
        self.p = F._checked_probability(p, "Dropout")

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Embedding(Module):
    """A lookup table: integer indices of any shape give the rows of ``weight`` (num_embeddings, embedding_dim).

    ``weight`` starts as standard normal samples, as in PyTorch. Row ``padding_idx`` (when given; negative
    counts from the end) starts at zero and gets no gradient, so it stays what it is set to.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 dtype: Any = np.float32) -> None:
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Embedding: {name} must be a positive integer, got {value!r}")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = None if padding_idx is None else F._checked_padding_idx(padding_idx, self.num_embeddings)
        table = _normal((self.num_embeddings, self.embedding_dim), dtype)
        if self.padding_idx is not None:
            table[self.padding_idx] = 0
        self.weight = Parameter(table)

    def forward(self, indices: Any) -> Tensor:
        return F.embedding(indices, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"


def mlp(sizes: list[int] | tuple[int, ...], activation: str = "relu", output_activation: str | None = None,
        dtype: Any = np.float32) -> Module:
    """A Sequential MLP: Linear layers of ``sizes`` with ``activation`` between them.

    ``mlp([784, 128, 10])`` is Linear(784, 128), ReLU, Linear(128, 10).
    """
    if len(sizes) < 2:
        raise ValueError(f"an MLP needs at least an input and an output size, got {list(sizes)}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    layers: list[Module] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(Linear(n_in, n_out, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    if output_activation is not None:
        if output_activation not in ACTIVATIONS:
            raise ValueError(f"unknown output activation {output_activation!r}")
        layers.append(ACTIVATIONS[output_activation]())
    return Sequential(*layers)
