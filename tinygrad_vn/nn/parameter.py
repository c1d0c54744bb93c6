"""``Parameter``: a tensor marked as a module's trainable weight.

Any tensor attribute of a Module that requires a gradient is a parameter; ``Parameter`` says so at
the point of creation (``requires_grad`` defaults to true) and is what ``ParameterList`` and
``ParameterDict`` hold. Ops applied to a Parameter give plain tensors, as in PyTorch, so an
activation computed from a weight is never mistaken for a weight itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import version_of
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
        source = data if isinstance(data, Tensor) else None
        super().__init__(np.empty(0, np.float32) if source is not None else data)
        if source is not None:  # the same memory, so the same version counter
            self._data, self._vc = source._data, version_of(source)
        self.requires_grad_(requires_grad)

    @classmethod
    def _from_op(cls, data: np.ndarray, ctx: Any) -> Tensor:
        """A Parameter's gradient (and any op output) is a plain Tensor, never a Parameter."""
        return Tensor._from_op(data, ctx)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
