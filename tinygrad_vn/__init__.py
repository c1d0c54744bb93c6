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
from .factories import arange, manual_seed, ones, ones_like, rand, randn, zeros, zeros_like
from .gradcheck import GradcheckError, gradcheck
from .serialization import CheckpointError, load, save
from .tensor import (
    Tensor,
    broadcast_to,
    concatenate,
    einsum,
    float32,
    float64,
    int64,
    maximum,
    pad,
    stack,
    tensor,
    transpose,
)
from .threads import get_num_threads, set_num_threads

__version__ = "0.1.0"

__all__ = [
    "CheckpointError",
    "CompiledStep",
    "Context",
    "Function",
    "GradcheckError",
    "Tensor",
    "arange",
    "broadcast_to",
    "compile",
    "concatenate",
    "data",
    "einsum",
    "enable_grad",
    "explain",
    "float32",
    "float64",
    "functional",
    "get_backend",
    "get_num_threads",
    "gradcheck",
    "inference_mode",
    "int64",
    "is_grad_enabled",
    "load",
    "manual_seed",
    "maximum",
    "nn",
    "no_grad",
    "ones",
    "ones_like",
    "optim",
    "pad",
    "rand",
    "randn",
    "save",
    "set_backend",
    "set_grad_enabled",
    "set_num_threads",
    "stack",
    "tensor",
    "transpose",
    "viz",
    "zeros",
    "zeros_like",
]
