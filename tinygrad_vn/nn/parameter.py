"""``Parameter``: a tensor marked as a module's trainable weight.

Any tensor attribute of a Module that requires a gradient is a parameter; ``Parameter`` says so at
the point of creation (``requires_grad`` defaults to true) and is what ``ParameterList`` and
``ParameterDict`` hold. Ops applied to a Parameter give plain tensors, as in PyTorch, so an
activation computed from a weight is never mistaken for a weight itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor


class Parameter(Tensor):
    """``Parameter(data=None, requires_grad=True)``: a leaf tensor that a Module registers as a parameter.

    ``data`` is what ``Tensor`` accepts; a Tensor's array is shared, not copied (PyTorch's
    ``nn.Parameter(t)`` shares ``t``'s storage too), and the Parameter is a new leaf cut from any graph.
    With no data it is an empty float32 tensor. A Parameter whose ``requires_grad`` is false is
    kept in ``state_dict()`` but not listed by ``parameters()``, which holds what an optimizer updates.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=np.float32)
        shared = data.data if isinstance(data, Tensor) else None
        super().__init__(data if shared is None else shared)
        if shared is not None:
            self.data = shared
        self.requires_grad_(requires_grad)

    @classmethod
    def _from_op(cls, data: np.ndarray, ctx: Any) -> Tensor:
        """An op's output is a plain Tensor, never a Parameter."""
        return Tensor._from_op(data, ctx)

    @classmethod
    def _lift(cls, value: Any, like: Tensor) -> Tensor:
        """Another operand of an op whose first input is a Parameter: a Tensor as it is, a constant as a Tensor."""
        if isinstance(value, Tensor):
            return value
        return Tensor._lift(value, like)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
