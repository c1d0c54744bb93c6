"""tinygrad_vn: a small, fast, readable autodiff framework that explains its own backward pass.

    import tinygrad_vn as tg
    from tinygrad_vn import Tensor, nn, optim
    import tinygrad_vn.functional as F

``tg.viz.draw(loss)`` draws the graph (graphviz is imported only then) and ``tg.explain(loss)`` writes
out the backprop equations the engine applied.
"""

from . import data, functional, nn, optim, viz
from .autograd import Context, Function, enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .backend import get_backend, set_backend
from .compile import CompiledStep, compile
from .explain import explain
from .factories import (
    arange,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    manual_seed,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    uniform,
    zeros,
    zeros_like,
)
from .gradcheck import GradcheckError, gradcheck
from .pointwise import abs as abs
from .pointwise import (
    ceil,
    cos,
    eq,
    exp,
    expm1,
    floor,
    ge,
    gt,
    le,
    log,
    log1p,
    log2,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    ne,
    reciprocal,
    rsqrt,
    sign,
    sin,
    sqrt,
    square,
)
from .pointwise import pow as pow
from .pointwise import round as round
from .serialization import CheckpointError, load, save
from .tensor import (
    Tensor,
    bool_,
    concatenate,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    maximum,
    minimum,
    stack,
    tensor,
    uint8,
    where,
)
from .threads import get_num_threads, set_num_threads

# PyTorch's other names for the dtypes. They are left out of __all__ (as are abs, pow and round), so that
# ``from tinygrad_vn import *`` does not replace Python's float, int and bool.
float = float32
double = float64
half = float16
long = int64
int = int32
short = int16
bool = bool_

__version__ = "0.1.0"

__all__ = [
    "CheckpointError",
    "CompiledStep",
    "Context",
    "Function",
    "GradcheckError",
    "Tensor",
    "arange",
    "ceil",
    "compile",
    "concatenate",
    "cos",
    "data",
    "enable_grad",
    "eq",
    "exp",
    "explain",
    "expm1",
    "eye",
    "float16",
    "float32",
    "float64",
    "floor",
    "from_numpy",
    "full",
    "full_like",
    "functional",
    "ge",
    "get_backend",
    "get_num_threads",
    "gradcheck",
    "gt",
    "inference_mode",
    "int8",
    "int16",
    "int32",
    "int64",
    "is_grad_enabled",
    "le",
    "linspace",
    "load",
    "log",
    "log1p",
    "log2",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "lt",
    "manual_seed",
    "maximum",
    "minimum",
    "ne",
    "nn",
    "no_grad",
    "normal",
    "ones",
    "ones_like",
    "optim",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "reciprocal",
    "rsqrt",
    "save",
    "set_backend",
    "set_grad_enabled",
    "set_num_threads",
    "sign",
    "sin",
    "sqrt",
    "square",
    "stack",
    "tensor",
    "uint8",
    "uniform",
    "viz",
    "where",
    "zeros",
    "zeros_like",
]
