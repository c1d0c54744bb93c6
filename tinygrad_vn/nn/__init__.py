"""Neural-network building blocks: modules, containers, parameters, layers, activations, normalisation,
initialisers and ``summary``."""

from . import init
from .activations import (
    ACTIVATIONS,
    CELU,
    ELU,
    GELU,
    SELU,
    Hardtanh,
    Identity,
    LeakyReLU,
    LogSoftmax,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Swish,
    Tanh,
)
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList
from .layers import Dropout, Embedding, Flatten, Linear, Maxout, Unflatten, mlp
from .module import IncompatibleKeys, Module, Sequential, UnregisteredModuleWarning
from .normalization import BatchNorm1d, LayerNorm
from .parameter import Parameter
from .summary import Summary, SummaryRow, summary

__all__ = [
    "ACTIVATIONS", "CELU", "ELU", "GELU", "SELU", "BatchNorm1d", "Dropout", "Embedding", "Flatten", "Hardtanh",
    "Identity", "IncompatibleKeys", "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "Maxout", "Module",
    "ModuleDict", "ModuleList", "PReLU", "Parameter", "ParameterDict", "ParameterList", "ReLU", "ReLU6",
    "Sequential", "SiLU", "Sigmoid", "Softmax", "Softplus", "Summary", "SummaryRow", "Swish", "Tanh", "Unflatten",
    "UnregisteredModuleWarning", "init", "mlp", "summary",
]
