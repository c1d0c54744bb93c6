"""Every built-in op: its forward and its gradient rule side by side, on NumPy arrays, one file per family.

- :mod:`.elementwise`: ``+ − × ÷ **``, maximum, negation, exp, log, sqrt, abs, casts, clamp, comparisons
- :mod:`.activations`: sigmoid, tanh, ReLU, leaky ReLU, ELU, swish, GELU, softplus, hardtanh, PReLU,
  softmax, log-softmax
- :mod:`.layers`: batch norm (with its running statistics), layer norm, embedding lookup
- :mod:`.losses`: cross-entropy (softmax fused), binary cross-entropy (with logits), one-hot labels
- :mod:`.reductions`: sum, mean, max, min, argmax
- :mod:`.movement`: reshape, transpose, getitem, setitem, concatenate, detach, copy
- :mod:`.matrix`: matmul and the fused Linear + activation node

Each class documents its rule in the notation of the course notes (``dX`` is the gradient of the
loss with respect to ``X``). The hot paths (matmul, activations, softmax and cross-entropy) call
``backend.kernels``; the rest is plain NumPy. Every op is reached as ``ops.Name``.
"""

from ..autograd import Context, Function
from .activations import (
    ELU,
    GELU,
    Hardtanh,
    LeakyReLU,
    LogSoftmax,
    PReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Swish,
    Tanh,
)
from .elementwise import (
    Abs,
    Add,
    Cast,
    Clamp,
    Compare,
    Div,
    Exp,
    Log,
    Maximum,
    Mul,
    Neg,
    Pow,
    Sqrt,
    Sub,
    broadcasting,
    unbroadcast,
)
from .layers import BatchNorm, Embedding, LayerNorm
from .losses import (
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    CrossEntropy,
    OneHot,
    expand_reduced_gradient,
    reduce_losses,
)
from .matrix import FUSED_LINEAR, FusedLinear, MatMul
from .movement import Concatenate, Copy, Detach, GetItem, Reshape, SetItem, Transpose
from .reductions import ArgMax, Max, Mean, Min, Sum, normalize_axes

__all__ = [
    "ELU", "FUSED_LINEAR", "GELU", "Abs", "Add", "ArgMax", "BatchNorm", "BinaryCrossEntropy",
    "BinaryCrossEntropyWithLogits", "Cast", "Clamp", "Compare", "Concatenate", "Context", "Copy", "CrossEntropy",
    "Detach", "Div", "Embedding", "Exp", "Function", "FusedLinear", "GetItem", "Hardtanh", "LayerNorm", "LeakyReLU",
    "Log", "LogSoftmax", "MatMul", "Max", "Maximum", "Mean", "Min", "Mul", "Neg", "OneHot", "PReLU", "Pow", "ReLU",
    "Reshape", "SetItem", "Sigmoid", "Softmax", "Softplus", "Sqrt", "Sub", "Sum", "Swish", "Tanh", "Transpose",
    "broadcasting", "expand_reduced_gradient", "normalize_axes", "reduce_losses", "unbroadcast",
]
