"""Neural-network building blocks: modules, containers, parameters, layers, activations and initialisers."""

from . import init
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList
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
from .module import Module, Sequential, UnregisteredModuleWarning
from .parameter import Parameter

__all__ = [
    "ACTIVATIONS", "ELU", "Identity", "LeakyReLU", "Linear", "LogSoftmax", "Maxout", "Module", "ModuleDict",
    "ModuleList", "Parameter", "ParameterDict", "ParameterList", "ReLU", "Sequential", "SiLU", "Sigmoid", "Softmax",
    "Swish", "Tanh", "UnregisteredModuleWarning", "init", "mlp",
]
