"""Every built-in op: its forward and its gradient rule side by side, on NumPy arrays, one file per family.

- :mod:`.elementwise`: ``+ − × ÷ **``, maximum, negation, exp, log, sqrt, abs, casts, clamp, comparisons
- :mod:`.activations`: sigmoid, tanh, ReLU, leaky ReLU, ELU, swish, softmax, log-softmax
- :mod:`.losses`: cross-entropy (softmax fused), binary cross-entropy (with logits), one-hot labels
- :mod:`.reductions`: sum, mean, max, min, argmax
- :mod:`.movement`: reshape, transpose, getitem, setitem, concatenate, detach, copy, expand, repeat, pad,
  flip, roll, gather, scatter, scatter-add, index_select, masked_fill
- :mod:`.einsum`: Einstein summation with its gradient derived from the equation
- :mod:`.matrix`: matmul and the fused Linear + activation node

Each class documents its rule in the notation of the course notes (``dX`` is the gradient of the
loss with respect to ``X``). The hot paths (matmul, activations, softmax and cross-entropy) call
``backend.kernels``; the rest is plain NumPy. Every op is reached as ``ops.Name``.
"""

from ..autograd import Context, Function
from .activations import ELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Swish, Tanh
from .einsum import Einsum
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
from .losses import (
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    CrossEntropy,
    OneHot,
    expand_reduced_gradient,
    reduce_losses,
)
from .matrix import FUSED_LINEAR, FusedLinear, MatMul
from .movement import (
    PAD_MODES,
    Concatenate,
    Copy,
    Detach,
    Expand,
    Flip,
    Gather,
    GetItem,
    IndexSelect,
    MaskedFill,
    Pad,
    Repeat,
    Reshape,
    Roll,
    Scatter,
    ScatterAdd,
    SetItem,
    Transpose,
    checked_dim,
)
from .reductions import ArgMax, Max, Mean, Min, Sum, normalize_axes

__all__ = [
    "ELU", "FUSED_LINEAR", "PAD_MODES", "Abs", "Add", "ArgMax", "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits",
    "Cast", "Clamp", "Compare", "Concatenate", "Context", "Copy", "CrossEntropy", "Detach", "Div", "Einsum", "Exp",
    "Expand", "Flip", "Function", "FusedLinear", "Gather", "GetItem", "IndexSelect", "LeakyReLU", "Log", "LogSoftmax",
    "MaskedFill", "MatMul", "Max", "Maximum", "Mean", "Min", "Mul", "Neg", "OneHot", "Pad", "Pow", "ReLU", "Repeat",
    "Reshape", "Roll", "Scatter", "ScatterAdd", "SetItem", "Sigmoid", "Softmax", "Sqrt", "Sub", "Sum", "Swish", "Tanh",
    "Transpose", "broadcasting", "checked_dim", "expand_reduced_gradient", "normalize_axes", "reduce_losses",
    "unbroadcast",
]
