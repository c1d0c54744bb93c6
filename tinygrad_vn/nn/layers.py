"""Layers: ``Linear`` (Z = X·W + b), ``Maxout`` and the activation modules."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from .. import functional as F
from ..factories import zeros
from ..tensor import Tensor
from . import init
from .module import Module, Sequential


class Linear(Module):
    """Z = X · W + b, with ``weight`` of shape (in_features, out_features) and ``bias`` (out_features,).

    The layout is the course notes' (seed 004: W⁽¹⁾ is 2 × 3 for 2 inputs and 3 hidden units), so
    ``forward`` is literally ``x @ W + b``. Default initialisation, as in PyTorch: weight and bias
    uniform in ±1/√in_features, which keeps the first pre-activations of order one.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = np.float32) -> None:
        if in_features <= 0 or out_features <= 0:
            raise ValueError(f"Linear needs positive sizes, got ({in_features}, {out_features})")
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / math.sqrt(in_features)
        self.weight = init.uniform_(zeros(in_features, out_features, dtype=dtype), -bound, bound)
        self.weight.requires_grad_()
        self.bias = init.uniform_(zeros(out_features, dtype=dtype), -bound, bound).requires_grad_() if bias else None

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
        activation = _FUSABLE.get(type(following), "identity")
        return F.linear_activation(x, self.weight, self.bias, activation), activation != "identity"

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
        self.weight = init.uniform_(zeros(pieces, in_features, out_features, dtype=dtype), -bound, bound)
        self.bias = init.uniform_(zeros(pieces, 1, out_features, dtype=dtype), -bound, bound)
        self.weight.requires_grad_()
        self.bias.requires_grad_()

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(f"Maxout({self.in_features}, {self.out_features}) got input of shape {x.shape}: "
                             f"its last axis must be {self.in_features}")
        rows = x.reshape(-1, self.in_features)
        pieces = rows @ self.weight + self.bias
        return pieces.max(axis=0).reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, pieces={self.pieces}"


class Identity(Module):
    """Returns its input (the linear activation f(x) = x)."""

    def forward(self, x: Tensor) -> Tensor:
        return x


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e⁻ˣ)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Tanh(Module):
    """tanh(x)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class ReLU(Module):
    """max(0, x)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class LeakyReLU(Module):
    """x for x > 0, else negative_slope · x."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return x.leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """x for x > 0, else alpha (eˣ − 1)."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def forward(self, x: Tensor) -> Tensor:
        return x.elu(self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Swish(Module):
    """x · σ(x) (also known as SiLU)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.swish()


SiLU = Swish


class Softmax(Module):
    """eˣ / Σ eˣ along ``axis``."""

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return x.softmax(self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LogSoftmax(Module):
    """log softmax along ``axis``."""

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return x.log_softmax(self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


_FUSABLE: dict[type[Module], str] = {ReLU: "relu", Sigmoid: "sigmoid", Tanh: "tanh"}

ACTIVATIONS: dict[str, type[Module]] = {
    "sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU, "elu": ELU,
    "swish": Swish, "silu": Swish, "identity": Identity, "softmax": Softmax,
}


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
