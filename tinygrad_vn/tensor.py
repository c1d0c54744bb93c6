"""``Tensor``: an ndarray that remembers how it was computed, so that gradients can flow back.

Every operator and method here is a thin call to an op in :mod:`tinygrad_vn.ops`; the tensor
itself holds only its array, its gradient, and the context of the op that produced it.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from . import ops
from .autograd import (
    _MUTATIONS,
    _REBASED,
    Context,
    backward,
    bump_version,
    current_tracer,
    is_grad_enabled,
    replayed,
    version_of,
)

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)

Axis = int | tuple[int, ...] | None


def _as_array(data: Any, dtype: Any) -> np.ndarray:
    """Data as a fresh ndarray: Python floats become float32, ndarrays keep their dtype."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.array(data, dtype=dtype)
    if isinstance(data, (np.ndarray, np.generic)):
        return np.array(data)
    array = np.array(data)
    if array.dtype == np.float64:
        return array.astype(np.float32)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"cannot make a Tensor from data of dtype {array.dtype} ({type(data).__name__})")
    return array


class Tensor:
    """An n-dimensional array that records the ops applied to it, for reverse-mode autodiff.

    ``Tensor(data, requires_grad=False, dtype=None, name=None)``: ``data`` is a Python scalar, a
    nested list or an ndarray (copied). Python floats default to float32; float32/float64 arrays keep
    their dtype; integer data (labels) is allowed but cannot require a gradient.
    """

    __slots__ = ("__weakref__", "_ctx", "_data", "_grad", "_retains_grad", "_vc", "name", "requires_grad")

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> None:
        self._data = _as_array(data, dtype)
        self._vc = None
        self._grad: Tensor | None = None
        self._ctx: Context | None = None
        self._retains_grad = False
        self.name = name
        self.requires_grad = False
        tracer = current_tracer()
        if requires_grad:
            if tracer is not None:
                raise RuntimeError("tg.compile: a tensor made with requires_grad=True inside a compiled step would "
                                   "be made once, on the recording call; create parameters outside the step")
            self.requires_grad_(True)
        if tracer is not None and isinstance(data, Tensor):  # a compiled step copies each call's values
            attrs = {"dtype": dtype}
            tracer.record_op(ops.Copy, Context(ops.Copy, (data,), attrs), (data,), attrs, self)

    @classmethod
    def _from_op(cls, data: np.ndarray, ctx: Context | None) -> Tensor:
        """Wrap an op's output array without copying (used by the engine)."""
        out = cls.__new__(cls)
        out._data = data if isinstance(data, np.ndarray) else np.asarray(data)
        out._vc = None
        out._grad = None
        out._ctx = ctx
        out._retains_grad = False
        out.name = None
        out.requires_grad = ctx is not None
        return out

    @classmethod
    def _lift(cls, value: Any, like: Tensor) -> Tensor:
        """A constant operand (Python number or array) as a tensor of ``like``'s float dtype."""
        if isinstance(value, np.ndarray) or like.data.dtype.kind != "f":
            return cls._from_op(np.asarray(value), None)
        return cls._from_op(np.asarray(value, dtype=like.data.dtype), None)

    # ------------------------------------------------------------------ attributes

    def _set_data(self, value: Any) -> None:
        array = value._data if isinstance(value, Tensor) else value
        if not isinstance(array, np.ndarray):
            array = np.asarray(array)
            if array.dtype.kind not in "biuf":
                raise TypeError(f"Tensor.data must be numeric, got dtype {array.dtype}")
        old = self._data
        self._data = array
        bump_version(self, replaced=old)

    data = property(operator.attrgetter("_data"), _set_data, doc="""The ndarray behind this tensor (shared, not copied).

    Assigning ``tensor.data = array`` replaces it and counts as a change (the version goes up, so a
    backward that needs the old values refuses). Writing into the array itself (``t.data[0] = 1``,
    ``t.data -= lr * g``, NumPy calls with ``out=``) is not tracked, as with PyTorch's ``.data``:
    use the tensor's in-place methods (``t -= ...``, ``t.add_()``, ``t[0] = 1``) to have it counted.
    """)

    def _set_grad(self, value: Tensor | None) -> None:
        if value is None:
            if current_tracer() is not None:
                _clear_grad(self)  # recorded, so that a compiled step clears it on every call
            else:
                self._grad = None
            return
        if not isinstance(value, Tensor):
            raise TypeError(f"a .grad must be a Tensor or None, not {type(value).__name__}")
        if value.shape != self.shape:
            raise RuntimeError(f"assigned grad has shape {value.shape}, but the tensor has shape {self.shape}")
        if current_tracer() is not None:
            raise RuntimeError("tg.compile: assigning a tensor to .grad inside a compiled step would happen only on "
                               "the recording call; set gradients outside the step")
        self._grad = value

    grad = property(operator.attrgetter("_grad"), _set_grad, doc="""The gradient that backward accumulated here.

    ``None`` until a backward reaches this tensor (and after ``zero_grad()``); a later backward adds into
    the same tensor in place. Assign ``None`` to forget it, or a Tensor of this shape.
    """)

    @property
    def _version(self) -> int:
        """How many times this tensor (or a view sharing its memory) was changed through the Tensor API.

        >>> import tinygrad_vn as tg
        >>> t = tg.tensor([1.0, 2.0])
        >>> t += 1
        >>> t._version
        1
        """
        return 0 if self._vc is None else self._vc.value

    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    @property
    def size(self) -> int:
        """The number of elements."""
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        """The array's dtype."""
        return self._data.dtype

    @property
    def grad_fn(self) -> Context | None:
        """The op that produced this tensor (``None`` for leaves); ``grad_fn.name`` is its name."""
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by a recorded op."""
        return self._ctx is None

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (only on leaves, only for floating-point data)."""
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, not {self.data.dtype} "
                            "(convert with .float() first)")
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad can only be turned off on a leaf; use .detach() instead")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> Tensor:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        self._retains_grad = True
        return self

    # ------------------------------------------------------------------ conversion

    def numpy(self) -> np.ndarray:
        """The underlying ndarray (shared, not copied)."""
        return self.data

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        """The data as nested Python lists."""
        return self.data.tolist()

    def detach(self) -> Tensor:
        """A new leaf sharing this data, cut from the graph."""
        return ops.Detach.apply(self)

    def clone(self) -> Tensor:
        """A copy with its own memory that gradients flow through.

        >>> import tinygrad_vn as tg
        >>> a = tg.tensor([1.0], requires_grad=True)
        >>> b = a.clone(); b.sum().backward(); a.grad.tolist()
        [1.0]
        """
        return ops.Cast.apply(self, dtype=self._data.dtype)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Every element limited to [min, max]; the gradient passes where the input lies inside (NaN stays NaN).

        >>> import tinygrad_vn as tg
        >>> tg.tensor([-2.0, 0.5, 3.0]).clamp(0.0, 1.0).tolist()
        [0.0, 0.5, 1.0]
        """
        return ops.Clamp.apply(self, min=min, max=max)

    clip = clamp

    def astype(self, dtype: Any) -> Tensor:
        """A copy converted to ``dtype`` (differentiable between float types)."""
        return ops.Cast.apply(self, dtype=np.dtype(dtype))

    to = astype

    def float(self) -> Tensor:
        """Converted to float32."""
        return self.astype(np.float32)

    def double(self) -> Tensor:
        """Converted to float64."""
        return self.astype(np.float64)

    @replayed
    def zero_grad(self) -> None:
        """Forget the accumulated gradient."""
        self._grad = None

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (``grad`` defaults to 1 for scalars)."""
        backward(self, grad, retain_graph)

    def draw(self, mode: str = "forward", **options: Any) -> Any:
        """The graph that computed this tensor as a ``graphviz.Digraph``; see :func:`tinygrad_vn.viz.draw`."""
        from .viz import draw

        return draw(self, mode, **options)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        extras = [f"dtype={self.data.dtype}"]
        if self._ctx is not None:
            extras.append(f"grad_fn=<{self._ctx.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"Tensor({body}, {', '.join(extras)})"

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __bool__(self) -> bool:
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    __hash__ = object.__hash__

    # ------------------------------------------------------------------ arithmetic

    def __add__(self, other: Any) -> Tensor:
        return ops.Add.apply(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.Add.apply(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return ops.Pow.apply(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return ops.Pow.apply(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(other, self)

    def __neg__(self) -> Tensor:
        return ops.Neg.apply(self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.GetItem.apply(self, index=_plain_index(index))

    # ------------------------------------------------------------------ in-place (PyTorch's semantics)
    # The tensor keeps its identity and its array (views see the change) and its version goes up. On a
    # leaf that requires grad they are refused while recording (use tg.no_grad() for updates); on a tensor
    # in a graph they are recorded, so gradients stay right.

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace("+=", ops.Add, other)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace("-=", ops.Sub, other)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace("*=", ops.Mul, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace("/=", ops.Div, other)

    def __ipow__(self, other: Any) -> Tensor:
        return self._inplace("**=", ops.Pow, other)

    def add_(self, other: Any, alpha: float = 1) -> Tensor:
        """self += alpha · other, in place.

        >>> import tinygrad_vn as tg
        >>> t = tg.tensor([1.0, 2.0])
        >>> t.add_(tg.tensor([1.0, 1.0]), alpha=2).tolist()
        [3.0, 4.0]
        """
        return self._inplace("add_", ops.Add, other if alpha == 1 else other * alpha)

    def sub_(self, other: Any, alpha: float = 1) -> Tensor:
        """self −= alpha · other, in place.

        >>> import tinygrad_vn as tg
        >>> tg.tensor([3.0]).sub_(1.0).tolist()
        [2.0]
        """
        return self._inplace("sub_", ops.Sub, other if alpha == 1 else other * alpha)

    def mul_(self, other: Any) -> Tensor:
        """self ⊙= other, in place.

        >>> import tinygrad_vn as tg
        >>> tg.tensor([3.0]).mul_(2.0).tolist()
        [6.0]
        """
        return self._inplace("mul_", ops.Mul, other)

    def div_(self, other: Any) -> Tensor:
        """self /= other, in place.

        >>> import tinygrad_vn as tg
        >>> tg.tensor([3.0]).div_(2.0).tolist()
        [1.5]
        """
        return self._inplace("div_", ops.Div, other)

    def pow_(self, exponent: Any) -> Tensor:
        """self = self ** exponent, in place.

        >>> import tinygrad_vn as tg
        >>> tg.tensor([3.0]).pow_(2).tolist()
        [9.0]
        """
        return self._inplace("pow_", ops.Pow, exponent)

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Limit every element to [min, max] in place (NaN stays NaN).

        >>> import tinygrad_vn as tg
        >>> tg.tensor([-2.0, 0.5, 3.0]).clamp_(0.0, 1.0).tolist()
        [0.0, 0.5, 1.0]
        """
        return self._inplace("clamp_", ops.Clamp, min=min, max=max)

    def fill_(self, value: Any) -> Tensor:
        """Set every element to ``value`` in place.

        >>> import tinygrad_vn as tg
        >>> tg.zeros(2).fill_(7.0).tolist()
        [7.0, 7.0]
        """
        return self._inplace("fill_", ops.SetItem, value, index=Ellipsis)

    def zero_(self) -> Tensor:
        """Set every element to 0 in place.

        >>> import tinygrad_vn as tg
        >>> tg.ones(2).zero_().tolist()
        [0.0, 0.0]
        """
        return self._inplace("zero_", ops.SetItem, 0, index=Ellipsis)

    def copy_(self, source: Any) -> Tensor:
        """Copy ``source`` (broadcast to this shape, converted to this dtype) into this tensor, in place.

        >>> import tinygrad_vn as tg
        >>> tg.zeros(2, 2).copy_(tg.tensor([1.0, 2.0])).tolist()
        [[1.0, 2.0], [1.0, 2.0]]
        """
        return self._inplace("copy_", ops.SetItem, source, index=Ellipsis)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._inplace("setitem", ops.SetItem, value, index=_plain_index(index))

    def _inplace(self, name: str, fn: type[ops.Function], *others: Any, **attrs: Any) -> Tensor:
        """Apply ``fn`` to (self, *others) and write the result into self's array; see the section comment."""
        if current_tracer() is not None:
            raise RuntimeError(f"tg.compile: the in-place {name} inside a compiled step would run only on the "
                               "recording call; write it out of place (y = x + 1) or do it outside the step")
        operands = [o if isinstance(o, Tensor) else Tensor._lift(o, self) for o in others]
        tracked = is_grad_enabled() and (self.requires_grad or any(o.requires_grad for o in operands))
        if not tracked:
            if fn is ops.SetItem and self._data.flags.writeable:
                self._write_part(name, attrs["index"], operands[0]._data)
            else:
                ctx = Context(fn, (self, *operands), attrs)
                self._write(name, fn.forward(ctx, self._data, *[o._data for o in operands], **attrs))
            bump_version(self)
            return self
        if self._ctx is None and self.requires_grad:
            raise RuntimeError(
                f"a leaf Variable that requires grad is being used in an in-place operation ({name} on a "
                f"tensor of shape {self.shape}); update parameters inside `with tg.no_grad():`")
        if self._ctx is not None and self._ctx.fn.view:
            raise RuntimeError(
                f"{name}: changing in place a view ({self._ctx.name}) of a tensor that requires grad is not "
                "supported, its base would not see the change in backward; apply it to a .clone() instead")
        before = Tensor._from_op(self._data, self._ctx)  # the node this tensor was, now the op's first input
        before.name, before._vc = self.name, version_of(self)
        ctx = Context(fn, (before, *operands), attrs)
        ctx.needs_input_grad = tuple([t.requires_grad for t in ctx.parents])
        self._write(name, fn.forward(ctx, self._data.copy(), *[o._data for o in operands], **attrs))
        bump_version(self)
        ctx.epoch, ctx.inplace, _REBASED[0] = _MUTATIONS[0], True, True
        self._ctx, self.requires_grad = ctx, True
        return self

    def _write(self, name: str, result: np.ndarray) -> None:
        """Copy an in-place op's result into this tensor's own array, keeping its shape and dtype."""
        result = np.asarray(result)
        if result.shape != self._data.shape:
            raise RuntimeError(f"{name}: the result has shape {result.shape}, but an in-place op must keep the "
                               f"tensor's shape {self.shape} (the operand broadcasts it to a bigger one)")
        if not self._data.flags.writeable:
            raise RuntimeError(f"{name}: this tensor's array is read-only")
        try:
            np.copyto(self._data, result, casting="same_kind")
        except TypeError:
            raise RuntimeError(f"{name}: result type {result.dtype} can't be cast to the tensor's dtype "
                               f"{self.dtype} in place; convert it first (e.g. .float())") from None

    def _write_part(self, name: str, index: Any, value: np.ndarray) -> None:
        try:
            self._data[index] = value
        except IndexError as err:
            raise IndexError(f"{name}: {err} (tensor shape {self.shape})") from None
        except ValueError:
            raise ValueError(f"{name}: a value of shape {value.shape} cannot be written into "
                             f"{np.shape(self._data[index])} places of a tensor of shape {self.shape}") from None

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """NumPy meets a Tensor: ``ndarray -= tensor`` works on arrays; ``array + tensor`` gives a Tensor."""
        out = kwargs.pop("out", None)
        if method == "__call__" and out is not None and not kwargs:
            if not all(isinstance(o, np.ndarray) for o in out):
                raise TypeError(f"np.{ufunc.__name__}: write into a Tensor with its own in-place ops "
                                "(t += x, t.add_(x)), not with out=")
            if is_grad_enabled() and any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
                raise RuntimeError(f"np.{ufunc.__name__} into an ndarray would cut a tensor that requires grad "
                                   "from its graph; use .detach() or run it under tg.no_grad()")
            return ufunc(*[x._data if isinstance(x, Tensor) else x for x in inputs], out=out)
        op = _UFUNC_OPS.get(ufunc)
        if method != "__call__" or kwargs or out is not None or op is None:
            raise TypeError(f"NumPy's {ufunc.__name__}{'' if method == '__call__' else '.' + method} does not "
                            "take a tinygrad_vn Tensor; use the Tensor's own method, or .numpy() for its array")
        return op(*inputs)

    # ------------------------------------------------------------------ comparisons (no gradient)

    def _compare(self, other: Any, compare: Any) -> Tensor:
        return ops.Compare.apply(self, other, compare=compare)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    def argmax(self, axis: int | None = None) -> Tensor:
        """Indices of the maxima along ``axis`` (no gradient)."""
        return ops.ArgMax.apply(self, axis=axis)

    # ------------------------------------------------------------------ elementwise math

    def exp(self) -> Tensor:
        """eˣ elementwise."""
        return ops.Exp.apply(self)

    def log(self) -> Tensor:
        """Natural logarithm elementwise."""
        return ops.Log.apply(self)

    def sqrt(self) -> Tensor:
        """Square root elementwise."""
        return ops.Sqrt.apply(self)

    def abs(self) -> Tensor:
        """Absolute value elementwise."""
        return ops.Abs.apply(self)

    # ------------------------------------------------------------------ reductions

    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes by default)."""
        return ops.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (all axes by default)."""
        return ops.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis`` (all axes by default)."""
        return ops.Max.apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """Minimum over ``axis`` (all axes by default)."""
        return ops.Min.apply(self, axis=axis, keepdims=keepdims)

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        """The same data with a new shape: ``reshape(4, 3)`` or ``reshape((4, 3))``; -1 is inferred."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.Reshape.apply(self, shape=tuple(int(n) for n in shape))

    def transpose(self, *axes: int | Sequence[int], dim0: int | None = None, dim1: int | None = None) -> Tensor:
        """Swap two dims, PyTorch's ``transpose(dim0, dim1)``; or permute all axes, NumPy's ``transpose(axes)``.

        Exactly two integers (or ``dim0=``/``dim1=``) swap those two dims, on a tensor of any rank;
        a tuple or list, or any other number of integers, is a full permutation as in NumPy; no
        arguments reverse the axes. On a 2-D tensor ``transpose(0, 1)`` and ``transpose(1, 0)`` both
        swap the two axes (NumPy would read ``(0, 1)`` as "keep the order").

        >>> import tinygrad_vn as tg
        >>> x = tg.zeros(2, 3, 4)
        >>> x.transpose(0, 2).shape, x.transpose((1, 2, 0)).shape, x.transpose().shape
        ((4, 3, 2), (3, 4, 2), (4, 3, 2))
        """
        if dim0 is not None or dim1 is not None:
            if axes or dim0 is None or dim1 is None:
                raise TypeError("transpose: give both dim0= and dim1=, and no other dims")
            axes = (dim0, dim1)
        if len(axes) == 2 and all(isinstance(a, (int, np.integer)) for a in axes):
            first = ops.checked_dim("transpose", axes[0], self.ndim, "dim0")
            second = ops.checked_dim("transpose", axes[1], self.ndim, "dim1")
            order = list(range(self.ndim))
            order[first], order[second] = order[second], order[first]
            return ops.Transpose.apply(self, axes=tuple(order))
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return ops.Transpose.apply(self, axes=tuple(axes) if axes else None)

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed, on any rank; PyTorch deprecates ``.T`` beyond 2-D, NumPy does not)."""
        return self.transpose()

    def flatten(self, start_dim: int = 0, end_dim: int = -1, *, start_axis: int | None = None) -> Tensor:
        """Merge dims ``start_dim`` to ``end_dim`` (both included) into one; a 0-d tensor becomes 1-D.

        ``start_axis=`` is the older name of ``start_dim``.

        >>> import tinygrad_vn as tg
        >>> tg.zeros(2, 3, 4, 5).flatten(1, 2).shape
        (2, 12, 5)
        """
        if start_axis is not None:
            if start_dim != 0:
                raise TypeError("flatten: give start_dim or its older name start_axis, not both")
            start_dim = start_axis
        if self.ndim == 0:
            ops.checked_dim("flatten", start_dim, 0, "start_dim")
            ops.checked_dim("flatten", end_dim, 0, "end_dim")
            return ops.Reshape.apply(self, shape=(1,))
        start = ops.checked_dim("flatten", start_dim, self.ndim, "start_dim")
        end = ops.checked_dim("flatten", end_dim, self.ndim, "end_dim")
        if start > end:
            raise ValueError(f"flatten: start_dim={start_dim} comes after end_dim={end_dim} "
                             f"for a {self.ndim}-D tensor")
        merged = int(np.prod(self.shape[start:end + 1], dtype=np.int64))
        return ops.Reshape.apply(self, shape=(*self.shape[:start], merged, *self.shape[end + 1:]))

    # ------------------------------------------------------------------ parity: movement and indexing
    # PyTorch's names and signatures. Views (squeeze, unsqueeze, expand, permute, movedim, unflatten,
    # split, chunk, mT) share this tensor's memory and version counter; the rest copy, as PyTorch's do.

    def squeeze(self, dim: int | Sequence[int] | None = None) -> Tensor:
        """Drop dims of size 1: all of them, or only those of ``dim`` (an int or a tuple) that have size 1.

        >>> import tinygrad_vn as tg
        >>> tg.zeros(2, 1, 3, 1).squeeze().shape, tg.zeros(2, 1, 3, 1).squeeze(1).shape
        ((2, 3), (2, 3, 1))
        """
        if dim is None:
            dropped = {d for d, n in enumerate(self.shape) if n == 1}
        else:
            dims = _dims_arg("squeeze", dim, self.ndim)
            dropped = {d for d in dims if self.ndim and self.shape[d] == 1}
        return ops.Reshape.apply(self, shape=tuple(n for d, n in enumerate(self.shape) if d not in dropped))

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a dim of size 1 at ``dim`` (negative counts from the end of the result).

        >>> import tinygrad_vn as tg
        >>> tg.zeros(2, 3).unsqueeze(0).shape, tg.zeros(2, 3).unsqueeze(-1).shape
        ((1, 2, 3), (2, 3, 1))
        """
        at = ops.checked_dim("unsqueeze", dim, self.ndim, extra=1)
        return ops.Reshape.apply(self, shape=(*self.shape[:at], 1, *self.shape[at:]))

    def expand(self, *sizes: int | Sequence[int]) -> Tensor:
        """This tensor broadcast to ``sizes`` without copying (-1 keeps a dim; new dims go in front).

        The result is a read-only view; its gradient is summed back over the broadcast dims.

        >>> import tinygrad_vn as tg
        >>> tg.tensor([[1.0], [2.0]]).expand(2, 3).tolist()
        [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]
        """
        sizes = _sizes_arg("expand", sizes)
        if len(sizes) < self.ndim:
            raise ValueError(f"expand: {len(sizes)} sizes given for a {self.ndim}-D tensor of shape {self.shape}; "
                             "give at least one per dim")
        new = len(sizes) - self.ndim
        shape = []
        for d, n in enumerate(sizes):
            if n == -1:
                if d < new:
                    raise ValueError(f"expand: size -1 is not allowed for the new leading dim {d}")
                n = self.shape[d - new]
            elif n < 0:
                raise ValueError(f"expand: sizes must be non-negative or -1, got {n} at dim {d}")
            shape.append(n)
        return ops.Expand.apply(self, shape=tuple(shape))

    def broadcast_to(self, size: Sequence[int]) -> Tensor:
        """The same as ``expand(size)``."""
        return self.expand(size)

    def expand_as(self, other: Tensor) -> Tensor:
        """This tensor expanded to ``other``'s shape."""
        return self.expand(other.shape)

    def repeat(self, *sizes: int | Sequence[int]) -> Tensor:
        """The data tiled ``sizes[d]`` times along each dim (copied; extra leading sizes add dims).

        >>> import tinygrad_vn as tg
        >>> tg.tensor([1.0, 2.0]).repeat(2, 2).tolist()
        [[1.0, 2.0, 1.0, 2.0], [1.0, 2.0, 1.0, 2.0]]
        """
        sizes = _sizes_arg("repeat", sizes)
        if len(sizes) < self.ndim:
            raise ValueError(f"repeat: {len(sizes)} repeat counts for a {self.ndim}-D tensor; give at least one "
                             "per dim (tile() pads them with 1s)")
        if any(n < 0 for n in sizes):
            raise ValueError(f"repeat: repeat counts must be non-negative, got {tuple(sizes)}")
        return ops.Repeat.apply(self, repeats=tuple(sizes))

    def tile(self, *dims: int | Sequence[int]) -> Tensor:
        """``repeat``, with missing leading counts taken as 1.

        >>> import tinygrad_vn as tg
        >>> tg.zeros(2, 3).tile(2).shape
        (2, 6)
        """
        dims = _sizes_arg("tile", dims, allow_empty=True)
        return self.repeat((1,) * (self.ndim - len(dims)) + tuple(dims))

    def permute(self, *dims: int | Sequence[int]) -> Tensor:
        """The dims reordered: dim ``d`` of the result is dim ``dims[d]`` of this tensor (a view).

        >>> import tinygrad_vn as tg
        >>> tg.zeros(2, 3, 4).permute(2, 0, 1).shape
        (4, 2, 3)
        """
        dims = _sizes_arg("permute", dims, allow_empty=True)
        if len(dims) != self.ndim:
            raise ValueError(f"permute: {len(dims)} dims given for a {self.ndim}-D tensor; give each dim once")
        return ops.Transpose.apply(self, axes=_dims_arg("permute", dims, self.ndim))

    def movedim(self, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
        """Move dims ``source`` to positions ``destination``, the others keeping their order (a view).

        >>> import tinygrad_vn as tg
        >>> tg.zeros(2, 3, 4).movedim(0, -1).shape
        (3, 4, 2)
        """
        sources = _dims_arg("movedim", source, self.ndim, "source")
        targets = _dims_arg("movedim", destination, self.ndim, "destination")
        if len(sources) != len(targets):
            raise ValueError(f"movedim: source {source} and destination {destination} name different numbers "
                             "of dims")
        order = [d for d in range(self.ndim) if d not in sources]
        for target, moved in sorted(zip(targets, sources)):
            order.insert(target, moved)
        return ops.Transpose.apply(self, axes=tuple(order))

    moveaxis = movedim

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        """Swap two dims (PyTorch's and NumPy's ``swapaxes``; the same as ``transpose(axis0, axis1)``)."""
        return self.transpose(dim0=axis0, dim1=axis1)

    swapdims = swapaxes

    @property
    def mT(self) -> Tensor:
        """The last two dims swapped: the transpose of each matrix in a batch.

        >>> import tinygrad_vn as tg
        >>> tg.zeros(5, 2, 3).mT.shape
        (5, 3, 2)
        """
        if self.ndim < 2:
            raise ValueError(f"mT needs a matrix or a batch of matrices, not a {self.ndim}-D tensor")
        return self.transpose(-2, -1)

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Tensor:
        """Split dim ``dim`` into dims of ``sizes`` (one of them may be -1, inferred); a view.

        >>> import tinygrad_vn as tg
        >>> tg.zeros(2, 12).unflatten(1, (3, -1)).shape
        (2, 3, 4)
        """
        at = ops.checked_dim("unflatten", dim, self.ndim)
        sizes = _sizes_arg("unflatten", (sizes,))
        if not sizes:
            raise ValueError("unflatten: sizes must not be empty")
        side = self.shape[at] if self.ndim else 1
        known = int(np.prod([n for n in sizes if n != -1], dtype=np.int64))
        unknown = sizes.count(-1)
        if unknown > 1 or any(n < -1 for n in sizes):
            raise ValueError(f"unflatten: sizes {tuple(sizes)} may hold one -1 and otherwise non-negative sizes")
        if unknown and known and side % known == 0:
            sizes = [side // known if n == -1 else n for n in sizes]
        elif unknown or known != side:
            raise ValueError(f"unflatten: sizes {tuple(sizes)} do not multiply to the size {side} of dim {dim}")
        return ops.Reshape.apply(self, shape=(*self.shape[:at], *sizes, *self.shape[at + 1:]))

    def split(self, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
        """Views of consecutive pieces along ``dim``: of ``split_size`` each (the last may be smaller), or of
        the listed sizes (which must add up to the dim's size).

        >>> import tinygrad_vn as tg
        >>> [p.shape for p in tg.zeros(5, 2).split(2)]
        [(2, 2), (2, 2), (1, 2)]
        """
        if self.ndim == 0:
            raise ValueError("split: needs a tensor with at least one dim, not a 0-d one")
        at = ops.checked_dim("split", dim, self.ndim)
        side = self.shape[at]
        if isinstance(split_size_or_sections, (int, np.integer)) and not isinstance(split_size_or_sections, bool):
            size = int(split_size_or_sections)
            if size < 0 or (size == 0 and side):
                raise ValueError(f"split: split_size must be positive (0 only for an empty dim), got {size}")
            bounds = [*range(0, side, size), side] if side else [0, 0]
        else:
            sections = _sizes_arg("split", (split_size_or_sections,), allow_empty=True)
            if any(n < 0 for n in sections) or sum(sections) != side:
                raise ValueError(f"split: section sizes {tuple(sections)} must be non-negative and add up to "
                                 f"{side}, the size of dim {dim}")
            bounds = [0, *np.cumsum(sections).tolist()]
        lead = (slice(None),) * at
        return tuple(ops.GetItem.apply(self, index=(*lead, slice(start, stop)))
                     for start, stop in itertools.pairwise(bounds))

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """At most ``chunks`` views of equal size along ``dim`` (the last may be smaller), as PyTorch's.

        >>> import tinygrad_vn as tg
        >>> [p.shape for p in tg.zeros(10).chunk(4)]
        [(3,), (3,), (3,), (1,)]
        """
        if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks <= 0:
            raise ValueError(f"chunk: chunks must be a positive integer, got {chunks!r}")
        if self.ndim == 0:
            raise ValueError("chunk: needs a tensor with at least one dim, not a 0-d one")
        side = self.shape[ops.checked_dim("chunk", dim, self.ndim)]
        if side == 0:
            return self.split([0] * int(chunks), dim)
        return self.split(-(-side // int(chunks)), dim)

    def flip(self, *dims: int | Sequence[int]) -> Tensor:
        """A copy with the order of elements reversed along ``dims``.

        >>> import tinygrad_vn as tg
        >>> tg.tensor([[1.0, 2.0], [3.0, 4.0]]).flip(1).tolist()
        [[2.0, 1.0], [4.0, 3.0]]
        """
        axes = _dims_arg("flip", _sizes_arg("flip", dims, allow_empty=True), self.ndim)
        return ops.Flip.apply(self, dims=axes if self.ndim else ())

    def roll(self, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> Tensor:
        """A copy with elements shifted ``shifts`` places along ``dims`` (wrapping around); without
        ``dims``, along the flattened tensor.

        >>> import tinygrad_vn as tg
        >>> tg.tensor([1.0, 2.0, 3.0]).roll(1).tolist()
        [3.0, 1.0, 2.0]
        """
        steps = _sizes_arg("roll", (shifts,))
        if dims is None:
            if len(steps) != 1:
                raise ValueError(f"roll: {len(steps)} shifts need as many dims; without dims give one shift")
            return ops.Roll.apply(self, shifts=tuple(steps), dims=None)
        axes = _dims_arg("roll", dims, self.ndim, unique=False)
        if len(axes) != len(steps):
            raise ValueError(f"roll: {len(steps)} shifts for {len(axes)} dims; give one shift per dim")
        if self.ndim == 0:
            return ops.Roll.apply(self, shifts=(0,), dims=None)
        return ops.Roll.apply(self, shifts=tuple(steps), dims=axes)

    def gather(self, dim: int, index: Any) -> Tensor:
        """``out[i][j] = self[index[i][j]][j]`` for dim 0 (and so on): elements picked along ``dim``.

        ``index`` (integers in [0, size of dim)) has this tensor's number of dims, and is no bigger
        than it off ``dim``; the result has ``index``'s shape.

        >>> import tinygrad_vn as tg
        >>> tg.tensor([[1.0, 2.0], [3.0, 4.0]]).gather(1, tg.tensor([[1], [0]])).tolist()
        [[2.0], [3.0]]
        """
        index = _index_tensor("gather", index)
        if self.ndim == 0:
            ops.checked_dim("gather", dim, 0)
            flat = index.reshape(1) if index.ndim == 0 else index
            return ops.Gather.apply(self.reshape(1), flat, dim=0).reshape(index.shape)
        return ops.Gather.apply(self, index, dim=ops.checked_dim("gather", dim, self.ndim))

    def scatter(self, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
        """A copy with ``src`` (a tensor, or a number ``value``) written at ``index`` along ``dim``:
        ``out[index[i][j]][j] = src[i][j]`` for dim 0. Where ``index`` repeats a place, one write stays.

        >>> import tinygrad_vn as tg
        >>> tg.zeros(2, 3).scatter(1, tg.tensor([[2], [0]]), 5.0).tolist()
        [[0.0, 0.0, 5.0], [5.0, 0.0, 0.0]]
        """
        return self._scatter("scatter", ops.Scatter, dim, index, src, value)

    def scatter_(self, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
        """``scatter`` in place."""
        return self._scatter("scatter_", ops.Scatter, dim, index, src, value, inplace=True)

    def scatter_add(self, dim: int, index: Any, src: Any) -> Tensor:
        """A copy with ``src`` added at ``index`` along ``dim`` (repeated places add up).

        >>> import tinygrad_vn as tg
        >>> tg.zeros(3).scatter_add(0, tg.tensor([0, 0, 2]), tg.ones(3)).tolist()
        [2.0, 0.0, 1.0]
        """
        return self._scatter("scatter_add", ops.ScatterAdd, dim, index, src, None)

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Tensor:
        """``scatter_add`` in place."""
        return self._scatter("scatter_add_", ops.ScatterAdd, dim, index, src, None, inplace=True)

    def _scatter(self, name: str, fn: type[ops.Function], dim: int, index: Any, src: Any, value: Any,
                 inplace: bool = False) -> Tensor:
        if (src is None) == (value is None):
            raise TypeError(f"{name}: give src (a tensor or a number) or value=, exactly one of them")
        source = value if src is None else src
        if isinstance(source, np.ndarray):
            source = Tensor._from_op(source, None)
        index = _index_tensor(name, index)
        if self.ndim == 0:
            ops.checked_dim(name, dim, 0)
            if isinstance(source, Tensor) and source.ndim == 0 and src is not None:
                source = source.reshape(1)
            flat = self.reshape(1)._scatter(name, fn, 0, index.reshape(-1), source, None)
            return self.copy_(flat.reshape(())) if inplace else flat.reshape(())
        at = ops.checked_dim(name, dim, self.ndim)
        if inplace:
            return self._inplace(name, fn, source, index, dim=at)
        return fn.apply(self, source, index, dim=at)

    def index_select(self, dim: int, index: Any) -> Tensor:
        """The slices of this tensor along ``dim`` at the positions in the 1-D ``index``, in that order.

        >>> import tinygrad_vn as tg
        >>> tg.tensor([[1.0, 2.0, 3.0]]).index_select(1, tg.tensor([2, 0])).tolist()
        [[3.0, 1.0]]
        """
        index = _index_tensor("index_select", index)
        if self.ndim == 0:
            ops.checked_dim("index_select", dim, 0)
            if index.size != 1:
                raise ValueError(f"index_select: a 0-d tensor takes one index, got {index.size}")
            return ops.IndexSelect.apply(self.reshape(1), index.reshape(1), dim=0).reshape(())
        return ops.IndexSelect.apply(self, index, dim=ops.checked_dim("index_select", dim, self.ndim))

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """A copy with ``value`` (a number or a 0-d tensor) wherever the bool ``mask`` (broadcast) is true.

        >>> import tinygrad_vn as tg
        >>> x = tg.tensor([1.0, -2.0, 3.0])
        >>> x.masked_fill(x < 0, 0.0).tolist()
        [1.0, 0.0, 3.0]
        """
        return ops.MaskedFill.apply(self, value, _mask_tensor(mask))

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """``masked_fill`` in place (the mask must broadcast to this tensor's shape)."""
        return self._inplace("masked_fill_", ops.MaskedFill, value, _mask_tensor(mask))

    # ------------------------------------------------------------------ activations

    def sigmoid(self) -> Tensor:
        """σ(x) = 1 / (1 + e⁻ˣ), stable for any x."""
        return ops.Sigmoid.apply(self)

    def tanh(self) -> Tensor:
        """Hyperbolic tangent."""
        return ops.Tanh.apply(self)

    def relu(self) -> Tensor:
        """max(0, x)."""
        return ops.ReLU.apply(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        """x for x > 0, else negative_slope · x."""
        return ops.LeakyReLU.apply(self, negative_slope=negative_slope)

    def elu(self, alpha: float = 1.0) -> Tensor:
        """x for x > 0, else alpha (eˣ − 1)."""
        return ops.ELU.apply(self, alpha=alpha)

    def swish(self) -> Tensor:
        """x · σ(x)."""
        return ops.Swish.apply(self)

    silu = swish

    def softmax(self, axis: int = -1) -> Tensor:
        """eˣ / Σ eˣ along ``axis``."""
        return ops.Softmax.apply(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """log softmax along ``axis``, computed stably."""
        return ops.LogSoftmax.apply(self, axis=axis)


@replayed
def _clear_grad(tensor: Tensor) -> None:
    """``tensor.grad = None``, as an event that a compiled step repeats."""
    tensor._grad = None


_UFUNC_OPS: dict[Any, Any] = {
    np.add: ops.Add.apply, np.subtract: ops.Sub.apply, np.multiply: ops.Mul.apply, np.true_divide: ops.Div.apply,
    np.power: ops.Pow.apply, np.matmul: ops.MatMul.apply, np.maximum: ops.Maximum.apply,
    np.negative: ops.Neg.apply, np.exp: ops.Exp.apply, np.log: ops.Log.apply, np.sqrt: ops.Sqrt.apply,
    np.absolute: ops.Abs.apply,
    **{compare: (lambda c: lambda a, b: ops.Compare.apply(a, b, compare=c))(compare)
       for compare in (np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal)},
}
"""The NumPy ufuncs that, given a Tensor operand, run as the Tensor op (so ``array * tensor`` is recorded)."""


Tensor._op_base = Tensor  # what autograd.Function.apply builds outputs and lifts constants with


def _plain_index(index: Any) -> Any:
    """An index with tensors replaced by their arrays and lists by integer arrays."""
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _sizes_arg(op: str, sizes: tuple[Any, ...], allow_empty: bool = False) -> list[int]:
    """Sizes given as ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])`` (or a single int) as a list of Python ints."""
    if not sizes and not allow_empty:
        raise TypeError(f"{op}: needs at least one size (an empty tuple for none)")
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list, np.ndarray)):
        sizes = tuple(sizes[0])
    elif len(sizes) == 1 and isinstance(sizes[0], Tensor):
        sizes = tuple(sizes[0].tolist()) if sizes[0].ndim else (sizes[0].item(),)
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{op}: sizes must be integers, got {type(n).__name__} {n!r}")
    return [int(n) for n in sizes]


def _dims_arg(op: str, dims: Any, ndim: int, name: str = "dim", unique: bool = True) -> tuple[int, ...]:
    """An int or a sequence of ints as normalized dims, refusing repeats (unless ``unique`` is False)."""
    listed = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    normalized = tuple(ops.checked_dim(op, d, ndim, name) for d in listed)
    if unique and len(set(normalized)) != len(normalized):
        raise ValueError(f"{op}: {name} {tuple(listed)} names a dim more than once")
    return normalized


def _index_tensor(op: str, index: Any) -> Tensor:
    """``index`` (a tensor, array or nested list of integers) as an integer tensor, without copying tensors."""
    if not isinstance(index, Tensor):
        index = Tensor._from_op(np.asarray(index), None)
    if index.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must hold integers, got dtype {index.dtype}")
    return index


def _mask_tensor(mask: Any) -> Tensor:
    """``mask`` as a tensor (wrapped, not copied), checked to be boolean by the op."""
    return mask if isinstance(mask, Tensor) else Tensor._from_op(np.asarray(mask), None)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> Tensor:
    """Same as ``Tensor(...)``."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def _as_tensor(value: Any) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(value)


def concatenate(tensors: Iterable[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate needs at least one tensor")
    return ops.Concatenate.apply(*tensors, axis=axis)


def stack(tensors: Iterable[Any], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis."""
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack needs at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack needs tensors of one shape, got {sorted(shapes)}")
    new_axis = axis % (tensors[0].ndim + 1)
    expanded = [t.reshape(*t.shape[:new_axis], 1, *t.shape[new_axis:]) for t in tensors]
    return ops.Concatenate.apply(*expanded, axis=new_axis)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum of two tensors (or a tensor and a constant)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    return ops.Maximum.apply(a, b)


# ---------------------------------------------------------------------- parity: movement and indexing functions


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """``input`` with dims ``dim0`` and ``dim1`` swapped (PyTorch's ``torch.transpose``)."""
    return _as_tensor(input).transpose(dim0=dim0, dim1=dim1)


def broadcast_to(input: Any, size: Sequence[int]) -> Tensor:
    """``input`` expanded to ``size`` without copying (PyTorch's ``torch.broadcast_to``)."""
    return _as_tensor(input).expand(size)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation over any number of operands, as ``np.einsum`` computes it, with gradients.

    ``equation`` names every dim of every operand by a letter (``"bij,bjk->bik"``); letters left out
    of the output are summed; ``...`` stands for dims that broadcast. Operands may also come as one list
    (``tg.einsum("ij,jk", [a, b])``), as in PyTorch.

    >>> import tinygrad_vn as tg
    >>> a = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> tg.einsum("ii->", a).item(), tg.einsum("ij,j->i", a, tg.tensor([1.0, 1.0])).tolist()
    (5.0, [3.0, 7.0])
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: needs at least one operand after the equation")
    tensors = [o if isinstance(o, Tensor) else Tensor._from_op(np.asarray(o), None) for o in operands]
    return ops.Einsum.apply(*tensors, equation=equation)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """``input`` padded as PyTorch's ``F.pad``: ``pad`` lists (before, after) widths from the LAST dim
    backwards, so ``(1, 2)`` pads the last dim with 1 before and 2 after, ``(1, 1, 2, 2)`` also the one before it.

    ``mode`` is ``"constant"`` (fill with ``value``, default 0; negative widths crop), ``"reflect"``
    (mirror without repeating the edge), ``"replicate"`` (repeat the edge) or ``"circular"`` (wrap
    around). As in PyTorch, the last three pad the last 1, 2 or 3 dims of a tensor with one or two
    more dims in front (a batch, channels), take no ``value`` and no negative widths.

    >>> import tinygrad_vn as tg
    >>> tg.pad(tg.tensor([[1.0, 2.0]]), (1, 0), value=9.0).tolist()
    [[9.0, 1.0, 2.0]]
    >>> tg.pad(tg.tensor([[[1.0, 2.0, 3.0]]]), (2, 1), mode="reflect").tolist()
    [[[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]]
    """
    input = _as_tensor(input)
    widths_given = _sizes_arg("pad", (pad,), allow_empty=True)
    if len(widths_given) % 2:
        raise ValueError(f"pad: the pad sequence needs (before, after) pairs, got {len(widths_given)} numbers")
    pairs = len(widths_given) // 2
    if pairs > input.ndim:
        raise ValueError(f"pad: {pairs} (before, after) pairs for a {input.ndim}-D tensor; at most one per dim")
    if mode not in ops.PAD_MODES:
        raise ValueError(f"pad: mode must be one of {tuple(ops.PAD_MODES)}, got {mode!r}")
    widths = [(0, 0)] * (input.ndim - pairs) + [
        (widths_given[2 * k], widths_given[2 * k + 1]) for k in reversed(range(pairs))]
    if mode == "constant":
        for side, (before, after) in zip(input.shape, widths):
            if side + before + after < 0:
                raise ValueError(f"pad: widths ({before}, {after}) would leave a dim of size {side} with "
                                 f"{side + before + after} elements")
        return ops.Pad.apply(input, widths=tuple(widths), mode=mode, value=0.0 if value is None else value)
    if value is not None:
        raise ValueError(f"pad: mode {mode!r} takes no value (only mode='constant' fills with one)")
    if pairs not in (1, 2, 3) or input.ndim not in (pairs + 1, pairs + 2):
        raise ValueError(f"pad: mode {mode!r} pads the last 1, 2 or 3 dims of a tensor with 1 or 2 more dims in "
                         f"front; got {pairs} pair(s) for a {input.ndim}-D tensor")
    for side, (before, after) in zip(input.shape, widths):
        if before < 0 or after < 0:
            raise ValueError(f"pad: negative widths crop only in mode='constant', got ({before}, {after}) "
                             f"with mode {mode!r}")
        if mode == "reflect" and max(before, after) >= side:
            raise ValueError(f"pad: reflect widths must be smaller than the dim they pad, got ({before}, {after}) "
                             f"for a dim of size {side}")
        if mode == "circular" and max(before, after) > side:
            raise ValueError(f"pad: circular widths can be at most the size of the dim they pad (wrapping around "
                             f"once), got ({before}, {after}) for a dim of size {side}")
    return ops.Pad.apply(input, widths=tuple(widths), mode=mode)
