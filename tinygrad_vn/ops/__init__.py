"""Every built-in op: its forward and its gradient rule side by side, on NumPy arrays, one file per family.

- :mod:`.elementwise`: ``+ − × ÷ **``, maximum, negation, exp, log, sqrt, abs, casts, clamp, comparisons
- :mod:`.activations`: sigmoid, tanh, ReLU, leaky ReLU, ELU, swish, softmax, log-softmax
- :mod:`.losses`: cross-entropy (softmax fused), binary cross-entropy (with logits), one-hot labels
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
    Bitwise,
    Cast,
    Ceil,
    Clamp,
    Compare,
    Contiguous,
    Cos,
    Div,
    Exp,
    Expm1,
    Floor,
    Log,
    Log1p,
    Log2,
    Logical,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    Reciprocal,
    Round,
    Rsqrt,
    Sign,
    Sin,
    Sqrt,
    Sub,
    Where,
    broadcasting,
    floating,
    promote,
    result_dtype,
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
from .reductions import ArgMax, Max, Mean, Min, Sum, normalize_axes

__all__ = [
    "ELU", "FUSED_LINEAR", "Abs", "Add", "ArgMax", "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits", "Bitwise",
    "Cast", "Ceil", "Clamp", "Compare", "Concatenate", "Context", "Contiguous", "Copy", "Cos", "CrossEntropy", "Detach",
    "Div", "Exp", "Expm1", "Floor", "Function", "FusedLinear", "GetItem", "LeakyReLU", "Log", "Log1p", "Log2",
    "LogSoftmax", "Logical", "MatMul", "Max", "Maximum", "Mean", "Min", "Minimum", "Mul", "Neg", "OneHot", "Pow",
    "ReLU", "Reciprocal", "Reshape", "Round", "Rsqrt", "SetItem", "Sigmoid", "Sign", "Sin", "Softmax", "Sqrt", "Sub",
    "Sum", "Swish", "Tanh", "Transpose", "Where", "broadcasting", "expand_reduced_gradient", "floating",
    "normalize_axes", "promote", "reduce_losses", "result_dtype", "unbroadcast",
]
