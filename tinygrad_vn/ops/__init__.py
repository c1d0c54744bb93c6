"""Every built-in op: its forward and its gradient rule side by side, on NumPy arrays, one file per family.

- :mod:`.elementwise`: ``+ − × ÷ **``, maximum, negation, exp, log, sqrt, abs, casts, clamp, comparisons
- :mod:`.activations`: sigmoid, tanh, ReLU, leaky ReLU, ELU, swish, softmax, log-softmax
- :mod:`.losses`: cross-entropy (softmax fused), binary cross-entropy (with logits), one-hot labels
- :mod:`.reductions`: sum, mean, max, min, logsumexp, var, std, prod, norm, any, all, cumsum, argmax, argmin,
  sorting and taking values at indices
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
    CrossEntropy,
    OneHot,
    expand_reduced_gradient,
    reduce_losses,
)
from .matrix import FUSED_LINEAR, FusedLinear, MatMul
from .movement import Concatenate, Copy, Detach, GetItem, Reshape, SetItem, Transpose
from .reductions import (
    AllTrue,
    AnyTrue,
    ArgMax,
    ArgMin,
    ArgSort,
    CumSum,
    LogSumExp,
    Max,
    Mean,
    Min,
    Norm,
    Prod,
    Std,
    Sum,
    TakeAlongAxis,
    Var,
    either_spelling,
    normalize_axes,
    single_axis,
)

__all__ = [
    "ELU", "FUSED_LINEAR", "Abs", "Add", "AllTrue", "AnyTrue", "ArgMax", "ArgMin", "ArgSort", "BinaryCrossEntropy",
    "BinaryCrossEntropyWithLogits", "Cast", "Clamp", "Compare", "Concatenate", "Context", "Copy", "CrossEntropy",
    "CumSum", "Detach", "Div", "Exp", "Function", "FusedLinear", "GetItem", "LeakyReLU", "Log", "LogSoftmax",
    "LogSumExp", "MatMul", "Max", "Maximum", "Mean", "Min", "Mul", "Neg", "Norm", "OneHot", "Pow", "Prod", "ReLU",
    "Reshape", "SetItem", "Sigmoid", "Softmax", "Sqrt", "Std", "Sub", "Sum", "Swish", "TakeAlongAxis", "Tanh",
    "Transpose", "Var", "broadcasting", "either_spelling", "expand_reduced_gradient", "normalize_axes",
    "reduce_losses", "single_axis", "unbroadcast",
]
