"""Activation modules: each wraps one function of ``tinygrad_vn.functional`` (or a Tensor method).

``PReLU`` is the one with a parameter (its learnable slope). ``ACTIVATIONS`` maps the names that
``nn.mlp`` and the CLI accept to these classes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter


class Identity(Module):
    """Returns its input (the linear activation f(x) = x)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Arguments are accepted and ignored, as PyTorch's ``Identity`` does."""

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


class GELU(Module):
    """x · Φ(x) (Φ the standard normal CDF); ``approximate="tanh"`` for the tanh formula."""

    def __init__(self, approximate: str = "none") -> None:
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """ln(1 + e^(βx)) / β, linear where βx > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        if not beta:
            raise ValueError(f"Softplus: beta must be non-zero, got {beta!r}")
        self.beta, self.threshold = beta, threshold

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class SELU(Module):
    """scale · ELU(x, alpha) with the self-normalising constants."""

    def forward(self, x: Tensor) -> Tensor:
        return F.selu(x)


class CELU(Module):
    """x for x > 0, else alpha (e^(x/alpha) − 1)."""

    def __init__(self, alpha: float = 1.0) -> None:
        if not alpha:
            raise ValueError(f"CELU: alpha must be non-zero, got {alpha!r}")
        self.alpha = alpha

    def forward(self, x: Tensor) -> Tensor:
        return F.celu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Hardtanh(Module):
    """x limited to [min_val, max_val]."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        if min_val >= max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) must be less than max_val ({max_val})")
        self.min_val, self.max_val = min_val, max_val

    def forward(self, x: Tensor) -> Tensor:
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class ReLU6(Hardtanh):
    """min(max(0, x), 6)."""

    def __init__(self) -> None:
        super().__init__(0.0, 6.0)

    def extra_repr(self) -> str:
        return ""


class PReLU(Module):
    """x for x > 0, else a · x with a learnable slope ``weight``: one for all channels or one per channel (axis 1)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype: Any = np.float32) -> None:
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, (int, np.integer)) or num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive integer, got {num_parameters!r}")
        self.num_parameters = int(num_parameters)
        self.weight = Parameter(np.full(self.num_parameters, init, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        return F.prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


def _checked_dim(dim: int | None, axis: int | None, layer: str) -> int:
    """The axis a softmax layer works on: ``dim`` (PyTorch's name) or ``axis``; the last one by default."""
    if dim is not None and axis is not None:
        raise TypeError(f"{layer}: give dim or axis, not both (they are the same argument)")
    chosen = dim if dim is not None else axis
    if chosen is None:
        return -1
    if isinstance(chosen, bool) or not isinstance(chosen, (int, np.integer)):
        raise TypeError(f"{layer}: dim must be an integer, got {chosen!r}")
    return int(chosen)


class Softmax(Module):
    """eˣ / Σ eˣ along ``dim`` (the last axis when not given; ``axis`` is accepted as another name)."""

    def __init__(self, dim: int | None = None, *, axis: int | None = None) -> None:
        self.dim = _checked_dim(dim, axis, "Softmax")

    @property
    def axis(self) -> int:
        """The same as ``dim``."""
        return self.dim

    def forward(self, x: Tensor) -> Tensor:
        return x.softmax(self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log softmax along ``dim`` (the last axis when not given; ``axis`` is accepted as another name)."""

    def __init__(self, dim: int | None = None, *, axis: int | None = None) -> None:
        self.dim = _checked_dim(dim, axis, "LogSoftmax")

    @property
    def axis(self) -> int:
        """The same as ``dim``."""
        return self.dim

    def forward(self, x: Tensor) -> Tensor:
        return x.log_softmax(self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


FUSABLE: dict[type[Module], str] = {ReLU: "relu", Sigmoid: "sigmoid", Tanh: "tanh"}
"""The activation modules that ``Linear.forward_fused`` absorbs, with their ``ops.FUSED_LINEAR`` names."""

ACTIVATIONS: dict[str, type[Module]] = {
    "sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU, "elu": ELU,
    "swish": Swish, "silu": Swish, "identity": Identity, "softmax": Softmax, "gelu": GELU, "softplus": Softplus,
    "selu": SELU, "celu": CELU, "hardtanh": Hardtanh, "relu6": ReLU6, "prelu": PReLU,
}
"""Activation modules by the names that ``nn.mlp`` (and the CLI) accept."""
