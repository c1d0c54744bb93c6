"""Every built-in op: its forward and its gradient rule side by side, on NumPy arrays, one file per family.

- :mod:`.elementwise`: ``+ − × ÷ **``, maximum, negation, exp, log, sqrt, abs, casts, clamp, comparisons
- :mod:`.activations`: sigmoid, tanh, ReLU, leaky ReLU, ELU, swish, softmax, log-softmax
- :mod:`.losses`: cross-entropy (softmax fused), negative log-likelihood, binary cross-entropy (with logits,
  pos_weight), Huber, smooth L1, KL divergence, one-hot labels
- :mod:`.reductions`: sum, mean, max, min, argmax
- :mod:`.movement`: reshape, transpose, getitem, setitem, concatenate, detach, copy
- :mod:`.matrix`: matmul and the fused Linear + activation node

Each class documents its rule in the notation of the course notes (``dX`` is the gradient of the
loss with respect to ``X``). The hot paths (matmul, activations, softmax and cross-entropy) call
``backend.kernels``; the rest is plain NumPy. Every op is reached as ``ops.Name``.
"""

from ..autograd import Context, Function
from .activations import ELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Swish, Tanh
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
    BinaryCrossEntropyWithLogitsPosWeight,
    CrossEntropy,
    Huber,
    KLDivergence,
    NegativeLogLikelihood,
    OneHot,
    SmoothL1,
    check_class_indices,
    expand_reduced_gradient,
    reduce_losses,
)
from .matrix import FUSED_LINEAR, FusedLinear, MatMul
from .movement import Concatenate, Copy, Detach, GetItem, Reshape, SetItem, Transpose
from .reductions import ArgMax, Max, Mean, Min, Sum, normalize_axes

__all__ = [
    "ELU", "FUSED_LINEAR", "Abs", "Add", "ArgMax", "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits",
    "BinaryCrossEntropyWithLogitsPosWeight", "Cast", "Clamp", "Compare", "Concatenate", "Context", "Copy",
    "CrossEntropy", "Detach", "Div", "Exp", "Function", "FusedLinear", "GetItem", "Huber", "KLDivergence", "LeakyReLU",
    "Log", "LogSoftmax", "MatMul", "Max", "Maximum", "Mean", "Min", "Mul", "Neg", "NegativeLogLikelihood", "OneHot",
    "Pow", "ReLU", "Reshape", "SetItem", "Sigmoid", "SmoothL1", "Softmax", "Sqrt", "Sub", "Sum", "Swish", "Tanh",
    "Transpose", "broadcasting", "check_class_indices", "expand_reduced_gradient", "normalize_axes", "reduce_losses",
    "unbroadcast",
]
