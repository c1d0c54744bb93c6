"""Neural-network building blocks: modules, layers, activations and initialisers."""

from . import init
from .layers import (
    ACTIVATIONS,
    ELU,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    Maxout,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Swish,
    Tanh,
    mlp,
)
from .module import Module, Sequential

__all__ = [
    "ACTIVATIONS", "ELU", "Identity", "LeakyReLU", "Linear", "LogSoftmax", "Maxout", "Module", "ReLU",
    "Sequential", "SiLU", "Sigmoid", "Softmax", "Swish", "Tanh", "init", "mlp",
]
