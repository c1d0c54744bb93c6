"""Neural-network building blocks: modules, containers, parameters, layers, activations, losses and initialisers."""

from . import init
from . import utils as utils  # re-exported as tg.nn.utils
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
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .module import Module, Sequential, UnregisteredModuleWarning
from .parameter import Parameter

__all__ = [
    "ACTIVATIONS", "ELU", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "HuberLoss", "Identity", "KLDivLoss",
    "L1Loss", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "Maxout", "Module", "ModuleDict", "ModuleList", "NLLLoss",
    "Parameter", "ParameterDict", "ParameterList", "ReLU", "Sequential", "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax",
    "Swish", "Tanh", "UnregisteredModuleWarning", "init", "mlp",
]
