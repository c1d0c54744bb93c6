"""``Tensor``: an ndarray that remembers how it was computed, so that gradients can flow back.

Every operator and method here is a thin call to an op in :mod:`tinygrad_vn.ops`; the tensor
itself holds only its array, its gradient, and the context of the op that produced it.
"""

from __future__ import annotations

import builtins
import itertools
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from . import ops
from .autograd import (
    _MUTATIONS,
    _REBASED,
    _TENSOR_HOOKS,
    Context,
    RemovableHandle,
    _state,
    backward,
    bump_version,
    current_tracer,
    is_grad_enabled,
    move_gradient_hooks,
    register_hook,
    replayed,
    version_of,
)

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

DTYPE_NAMES: dict[str, np.dtype] = {
    "float16": float16, "half": float16, "float32": float32, "float": float32, "float64": float64,
    "double": float64, "int8": int8, "int16": int16, "short": int16, "int32": int32, "int": int32,
    "int64": int64, "long": int64, "uint8": uint8, "bool": bool_,
}
"""The dtype names a ``dtype=`` argument accepts as strings, with PyTorch's meanings ("float" is float32)."""


def as_dtype(dtype: Any) -> np.dtype:
    """``dtype`` (a tg/NumPy dtype, a Python type or a name in :data:`DTYPE_NAMES`) as a NumPy dtype.

    Only bool, integer and floating-point dtypes are accepted; anything else raises a TypeError
    naming it.
    """
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        return dtype
    if isinstance(dtype, str):
        named = DTYPE_NAMES.get(dtype)
        if named is None:
            raise TypeError(f"unknown dtype name {dtype!r}; use one of {', '.join(DTYPE_NAMES)} "
                            "(or tg.float32, tg.int64, ...)")
        return named
    try:
        resolved = np.dtype(dtype) if dtype is not None else None
    except TypeError:
        resolved = None
    if resolved is None or resolved.kind not in "biuf":
        raise TypeError(f"dtype must be a bool, integer or floating-point type (tg.float32, tg.int64, tg.bool, "
                        f"or a name such as 'float32'), not {dtype!r}")
    return resolved


Axis = int | tuple[int, ...] | None


def _as_array(data: Any, dtype: Any) -> np.ndarray:
    """Data as a fresh ndarray: Python floats become float32, ndarrays keep their dtype."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.array(data, dtype=as_dtype(dtype))
    if isinstance(data, (np.ndarray, np.generic)):
        return np.array(data)
    array = np.array(data)
    if array.dtype == np.float64:
        return array.astype(np.float32)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"cannot make a Tensor from data of dtype {array.dtype} ({type(data).__name__})")
    return array


class ElementCount(int):
    """What ``tensor.size`` gives: the element count as an int (NumPy's ``size``) that, called, gives the shape.

    ``t.size`` is NumPy's spelling and ``t.size()``/``t.size(dim)`` PyTorch's; being both keeps code
    written either way right, where a method alone would make ``t.size == 1`` silently false.
    """

    def __new__(cls, count: int, shape: tuple[int, ...]) -> ElementCount:
        size = super().__new__(cls, count)
        size.shape = shape
        return size

    def __call__(self, dim: int | None = None) -> Any:
        """The shape (PyTorch's ``size()``), or the length of dimension ``dim`` (negative counts from the end)."""
        if dim is None:
            return self.shape
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"size(dim): dim must be an integer, not {type(dim).__name__} {dim!r}")
        ndim = len(self.shape)
        if ndim == 0:
            raise IndexError(f"size({dim}): a 0-d tensor has no dimensions")
        if not -ndim <= dim < ndim:
            raise IndexError(f"size({dim}): dimension out of range for a tensor of shape {self.shape} "
                             f"(expected {-ndim} to {ndim - 1})")
        return self.shape[dim]


_new_object = object.__new__  # what ``Tensor._from_op`` builds with, looked up once


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
        out = _new_object(cls)
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
        """A constant operand as a tensor, typed as PyTorch types a Python number next to ``like``.

        Arrays keep their dtype. A number takes ``like``'s dtype when that is a float (``x32 * 2.5``
        stays float32) or when both are integers (``int32 + 1`` stays int32); a float next to an
        integer or bool tensor becomes float32 (PyTorch's default dtype); an integer next to a bool
        tensor becomes int64.
        """
        if isinstance(value, np.ndarray):
            return cls._from_op(value, None)
        if value is None or isinstance(value, (str, bytes)):
            raise _unusable_operand(value)
        dtype = like._data.dtype
        if dtype.kind == "f":
            try:
                return cls._from_op(np.asarray(value, dtype=dtype), None)
            except (TypeError, ValueError):
                raise _unusable_operand(value) from None
        array = np.asarray(value)
        kind = array.dtype.kind
        if kind == "f":
            array = array.astype(np.float32)
        elif kind in "iu" and dtype.kind in "iu":
            array = np.asarray(value, dtype=dtype)
        elif kind not in "biu":
            raise _unusable_operand(value)
        return cls._from_op(array, None)

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
            if _state.tracer is not None:  # current_tracer(), without a call: ``t.grad = None`` is on a hot path
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
    def size(self) -> ElementCount:
        """The number of elements (NumPy's ``size``), also callable as PyTorch's ``size()``/``size(dim)``.

        >>> import tinygrad_vn as tg
        >>> t = tg.zeros(2, 3)
        >>> t.size, t.size(), t.size(-1)
        (6, (2, 3), 3)
        """
        return ElementCount(self._data.size, self._data.shape)

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
        """A copy converted to ``dtype``: differentiable between float types; an integer or bool result is a constant.

        >>> import tinygrad_vn as tg
        >>> w = tg.tensor([1.7, -2.2], requires_grad=True)
        >>> w.astype(tg.int64).tolist(), w.astype(tg.int64).requires_grad
        ([1, -2], False)
        """
        dtype = as_dtype(dtype)
        if dtype.kind != "f" and self.requires_grad:
            return ops.Cast.apply(ops.Detach.apply(self), dtype=dtype)
        return ops.Cast.apply(self, dtype=dtype)

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

    def backward(self, gradient: Any = None, retain_graph: bool | None = None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``gradient`` (PyTorch's name) is d(loss)/d(self), of this tensor's shape; it defaults to 1 for a
        scalar and must be given for any other shape. ``retain_graph=True`` keeps the graph for another
        backward (None, PyTorch's default, means False).
        """
        backward(self, gradient, bool(retain_graph))

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

    # ------------------------------------------------------------------ parity: autograd

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` whenever backward computes this tensor's gradient; a returned Tensor replaces it.

        ``grad`` is a read-only Tensor; the replacement must keep its shape and dtype. On a leaf the hook
        runs before the gradient is added into ``.grad``; on an intermediate tensor, before it flows on
        to the inputs. Returns a handle whose ``remove()`` takes the hook off (as PyTorch's).

        >>> import tinygrad_vn as tg
        >>> w = tg.tensor([1.0, 2.0], requires_grad=True)
        >>> handle = w.register_hook(lambda g: g * 10)
        >>> (w * w).sum().backward()
        >>> w.grad.tolist()
        [20.0, 40.0]
        >>> handle.remove()
        """
        return register_hook(self, hook)

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
        if isinstance(index, Tensor):  # the index is an input, so a compiled step reads each call's
            return ops.IndexBy.apply(self, index)
        if current_tracer() is not None and isinstance(index, tuple) and any(isinstance(i, Tensor) for i in index):
            raise RuntimeError("tg.compile: indexing with a tuple that holds tensors would replay the recording "
                               "call's index; index with one tensor (t[mask]), or use gather / index_select")
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
        if _TENSOR_HOOKS:
            move_gradient_hooks(self, before)  # hooks registered so far see the gradient of the old values
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

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """The tensor's array for NumPy (``np.asarray(t)`` shares it; ``np.array(t)`` copies), as ``.numpy()``."""
        if copy is False and dtype is not None and np.dtype(dtype) != self._data.dtype:
            raise ValueError(f"np.asarray(copy=False): converting a {self.dtype} tensor to {np.dtype(dtype)} "
                             "needs a copy")
        array = self._data if dtype is None else self._data.astype(dtype, copy=False)
        return array.copy() if copy else array

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """NumPy meets a Tensor: as with PyTorch's tensors, NumPy functions give arrays and operators give Tensors.

        ``array * tensor`` (any Python operator with an array on the left) is the Tensor op, recorded
        as ``tensor * array`` would be; ``array -= tensor`` writes into the array; any other ufunc
        (``np.sin(t)``, ``np.maximum(a, t)``) runs on the tensors' arrays and gives an array. While
        gradients are recorded, a tensor that requires grad is refused by the last two, which would cut
        it from its graph without a word.
        """
        out = kwargs.get("out")
        op = _UFUNC_OPS.get(ufunc)
        if op is not None and method == "__call__" and not kwargs:
            return op(*inputs)
        if out is not None and not all(isinstance(o, np.ndarray) for o in out):
            raise TypeError(f"np.{ufunc.__name__}: write into a Tensor with its own in-place ops "
                            "(t += x, t.add_(x)), not with out=")
        name = f"np.{ufunc.__name__}{'' if method == '__call__' else '.' + method}"
        if is_grad_enabled() and any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
            what = "into an ndarray " if out is not None else ""
            raise RuntimeError(f"{name} {what}would cut a tensor that requires grad from its graph: use the "
                               "Tensor's own method (t.sin(), t.maximum(u), ...) to keep the gradient, or "
                               ".detach() / tg.no_grad() to get plain arrays")
        arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
        return getattr(ufunc, method)(*arrays, **kwargs)

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

    def argmax(self, dim: int | None = None, keepdim: bool | None = None, *, axis: int | None = None,
               keepdims: bool | None = None) -> Tensor:
        """Indices (int64) of the maxima along ``dim``, or into the flattened tensor without one (no gradient).

        The first one wins on ties. ``axis``/``keepdims`` are NumPy's spellings of ``dim``/``keepdim``.

        >>> import tinygrad_vn as tg
        >>> tg.tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(dim=1).tolist()
        [1, 0]
        """
        dim, keep = _reduce_args("argmax", dim, keepdim, axis, keepdims)
        return ops.ArgMax.apply(self, axis=dim, keepdims=keep)

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

    # ------------------------------------------------------------------ parity: elementwise, conversion and creation
    # PyTorch's names for conversions, shapes, elementwise math, comparisons, logic and in-place sampling.

    def long(self) -> Tensor:
        """Converted to int64 (a constant to autodiff, as every integer tensor)."""
        return self.astype(int64)

    def int(self) -> Tensor:
        """Converted to int32 (a constant to autodiff)."""
        return self.astype(int32)

    def bool(self) -> Tensor:
        """Converted to bool: nonzero becomes True (a constant to autodiff)."""
        return self.astype(bool_)

    def half(self) -> Tensor:
        """Converted to float16."""
        return self.astype(float16)

    def to(self, *args: Any, dtype: Any = None, device: Any = None, copy: bool = False,
           non_blocking: bool = False) -> Tensor:
        """Converted as PyTorch's ``to``: ``to(dtype)``, ``to("cpu")``, ``to(other)`` (its dtype), ``to("cpu", dtype)``.

        Gives the tensor itself when nothing changes, unless ``copy=True``. The CPU is the only device;
        any other raises. ``non_blocking`` is accepted and changes nothing.

        >>> import tinygrad_vn as tg
        >>> t = tg.tensor([1.5])
        >>> t.to("cpu") is t, t.to(tg.float64).dtype, t.to(tg.tensor([1])).tolist()
        (True, dtype('float64'), [1])
        """
        dtype = _to_arguments("to", args, dtype, device)
        target = self._data.dtype if dtype is None else as_dtype(dtype)
        if target == self._data.dtype:
            return self.clone() if copy else self
        return self.astype(target)

    def view(self, *shape: int | Sequence[int]) -> Tensor:
        """The same memory seen with a new shape (one -1 is inferred); changes show through both.

        Refused when the tensor's layout (a transpose, a strided slice) would need a copy: use
        :meth:`reshape`, which copies then, or ``.contiguous().view(...)``.

        >>> import tinygrad_vn as tg
        >>> tg.arange(6).view(2, -1).tolist()
        [[0, 1, 2], [3, 4, 5]]
        """
        dims = _dims("view", shape)
        try:
            probe = self._data.reshape(dims)
        except ValueError:
            raise RuntimeError(f"view: shape {list(dims)} is invalid for a tensor of {self._data.size} elements "
                               f"(shape {self.shape})") from None
        if self._data.size and not np.may_share_memory(probe, self._data):
            raise RuntimeError(f"view: a tensor of shape {self.shape} laid out with strides {self._data.strides} "
                               f"(bytes) cannot be seen as shape {dims} without copying, because a dimension would "
                               "span separate parts of its memory; use .reshape(...) instead (or .contiguous())")
        return ops.Reshape.apply(self, shape=dims)

    def view_as(self, other: Any) -> Tensor:
        """:meth:`view` with ``other``'s shape."""
        return self.view(other.shape)

    def reshape_as(self, other: Any) -> Tensor:
        """:meth:`reshape` to ``other``'s shape."""
        return self.reshape(other.shape)

    def numel(self) -> int:
        """The number of elements."""
        return int(self._data.size)

    def dim(self) -> int:
        """The number of dimensions (``ndim``)."""
        return self._data.ndim

    def element_size(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    def is_contiguous(self) -> bool:
        """Whether the elements lie in memory in row-major (C) order without gaps."""
        return bool(self._data.flags.c_contiguous)

    def contiguous(self) -> Tensor:
        """This tensor if its memory is in row-major order, else a row-major copy that gradients flow through."""
        return self if self._data.flags.c_contiguous else ops.Contiguous.apply(self)

    def sign(self) -> Tensor:
        """−1, 0 or 1 elementwise (gradient 0; NaN stays NaN, where PyTorch gives 0)."""
        return ops.Sign.apply(self)

    def square(self) -> Tensor:
        """x² elementwise (``x * x``)."""
        return ops.Mul.apply(self, self)

    def reciprocal(self) -> Tensor:
        """1 / x elementwise (integers give float32)."""
        return ops.Reciprocal.apply(self)

    def rsqrt(self) -> Tensor:
        """1 / √x elementwise."""
        return ops.Rsqrt.apply(self)

    def sin(self) -> Tensor:
        """Sine elementwise."""
        return ops.Sin.apply(self)

    def cos(self) -> Tensor:
        """Cosine elementwise."""
        return ops.Cos.apply(self)

    def log1p(self) -> Tensor:
        """ln(1 + x) elementwise, accurate for small x."""
        return ops.Log1p.apply(self)

    def expm1(self) -> Tensor:
        """eˣ − 1 elementwise, accurate for small x."""
        return ops.Expm1.apply(self)

    def log2(self) -> Tensor:
        """Base-2 logarithm elementwise."""
        return ops.Log2.apply(self)

    def floor(self) -> Tensor:
        """Round down elementwise (gradient 0)."""
        return ops.Floor.apply(self)

    def ceil(self) -> Tensor:
        """Round up elementwise (gradient 0)."""
        return ops.Ceil.apply(self)

    def round(self, decimals: int = 0) -> Tensor:
        """Round to ``decimals`` places, halves to even as PyTorch (gradient 0)."""
        if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
            raise TypeError(f"round: decimals must be an integer, not {type(decimals).__name__} {decimals!r}")
        return ops.Round.apply(self, decimals=int(decimals))

    def pow(self, exponent: Any) -> Tensor:
        """self ** exponent elementwise."""
        return ops.Pow.apply(self, exponent)

    def maximum(self, other: Any) -> Tensor:
        """Elementwise maximum with ``other`` (NaN wins, as in PyTorch)."""
        return ops.Maximum.apply(self, other)

    def minimum(self, other: Any) -> Tensor:
        """Elementwise minimum with ``other`` (NaN wins, as in PyTorch)."""
        return ops.Minimum.apply(self, other)

    def where(self, condition: Any, other: Any) -> Tensor:
        """Where ``condition`` holds this tensor's elements, else ``other``'s (``tg.where(condition, self, other)``)."""
        return where(condition, self, other)

    def eq(self, other: Any) -> Tensor:
        """self == other elementwise (bool, no gradient)."""
        return self._compare(other, np.equal)

    def ne(self, other: Any) -> Tensor:
        """self != other elementwise (bool, no gradient)."""
        return self._compare(other, np.not_equal)

    def lt(self, other: Any) -> Tensor:
        """self < other elementwise (bool, no gradient)."""
        return self._compare(other, np.less)

    def le(self, other: Any) -> Tensor:
        """self <= other elementwise (bool, no gradient)."""
        return self._compare(other, np.less_equal)

    def gt(self, other: Any) -> Tensor:
        """self > other elementwise (bool, no gradient)."""
        return self._compare(other, np.greater)

    def ge(self, other: Any) -> Tensor:
        """self >= other elementwise (bool, no gradient)."""
        return self._compare(other, np.greater_equal)

    def __and__(self, other: Any) -> Tensor:
        return ops.Bitwise.apply(self, other, operation=np.bitwise_and)

    def __rand__(self, other: Any) -> Tensor:
        return ops.Bitwise.apply(other, self, operation=np.bitwise_and)

    def __or__(self, other: Any) -> Tensor:
        return ops.Bitwise.apply(self, other, operation=np.bitwise_or)

    def __ror__(self, other: Any) -> Tensor:
        return ops.Bitwise.apply(other, self, operation=np.bitwise_or)

    def __xor__(self, other: Any) -> Tensor:
        return ops.Bitwise.apply(self, other, operation=np.bitwise_xor)

    def __rxor__(self, other: Any) -> Tensor:
        return ops.Bitwise.apply(other, self, operation=np.bitwise_xor)

    def __invert__(self) -> Tensor:
        return ops.Bitwise.apply(self, operation=np.invert)

    def __iand__(self, other: Any) -> Tensor:
        return self._inplace("&=", ops.Bitwise, other, operation=np.bitwise_and)

    def __ior__(self, other: Any) -> Tensor:
        return self._inplace("|=", ops.Bitwise, other, operation=np.bitwise_or)

    def __ixor__(self, other: Any) -> Tensor:
        return self._inplace("^=", ops.Bitwise, other, operation=np.bitwise_xor)

    def logical_and(self, other: Any) -> Tensor:
        """Elementwise logical and: nonzero counts as true; the result is bool."""
        return ops.Logical.apply(self, other, operation=np.logical_and)

    def logical_or(self, other: Any) -> Tensor:
        """Elementwise logical or (bool result)."""
        return ops.Logical.apply(self, other, operation=np.logical_or)

    def logical_xor(self, other: Any) -> Tensor:
        """Elementwise logical exclusive or (bool result)."""
        return ops.Logical.apply(self, other, operation=np.logical_xor)

    def logical_not(self) -> Tensor:
        """Elementwise logical not: True where the element is zero."""
        return ops.Logical.apply(self, operation=np.logical_not)

    def uniform_(self, low: float = 0.0, high: float = 1.0) -> Tensor:
        """Fill in place with uniform samples in [low, high) from the global generator (parameters: under no_grad).

        >>> import tinygrad_vn as tg
        >>> t = tg.zeros(3).uniform_(2.0, 3.0)
        >>> 2.0 <= t.min().item() and t.max().item() < 3.0
        True
        """
        from .factories import uniform

        return self._inplace("uniform_", ops.SetItem, uniform(low, high, self.shape, dtype=self.dtype),
                             index=Ellipsis)

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        """Fill in place with normal samples of ``mean`` and ``std`` from the global generator (parameters: no_grad)."""
        from .factories import normal

        return self._inplace("normal_", ops.SetItem, normal(mean, std, self.shape, dtype=self.dtype),
                             index=Ellipsis)

    # ------------------------------------------------------------------ reductions

    # Every reduction takes PyTorch's ``dim``/``keepdim`` (positionally too) and NumPy's ``axis``/``keepdims``
    # (by keyword); giving both spellings of one argument is an error.

    def sum(self, dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
            keepdims: bool | None = None) -> Tensor:
        """Sum over ``dim`` (an int or a tuple; all dims by default).

        >>> import tinygrad_vn as tg
        >>> tg.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=0).tolist()
        [4.0, 6.0]
        """
        if axis is not None or keepdims is not None:  # NumPy's spelling (checked only where both could clash)
            dim, keepdim = (axis, keepdims) if dim is None and keepdim is None else _reduce_args(
                "sum", dim, keepdim, axis, keepdims)
        return ops.Sum.apply(self, axis=dim, keepdims=keepdim or False)

    def mean(self, dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
             keepdims: bool | None = None) -> Tensor:
        """Mean over ``dim`` (an int or a tuple; all dims by default)."""
        if axis is not None or keepdims is not None:  # NumPy's spelling (checked only where both could clash)
            dim, keepdim = (axis, keepdims) if dim is None and keepdim is None else _reduce_args(
                "mean", dim, keepdim, axis, keepdims)
        return ops.Mean.apply(self, axis=dim, keepdims=keepdim or False)

    def max(self, dim: int | None = None, keepdim: bool | None = None, *, axis: Axis = None,
            keepdims: bool | None = None) -> Any:
        """The maximum: with PyTorch's ``dim`` (by name or position), ``(values, indices)``; else the values.

        ``x.max()`` and ``x.max(axis=...)`` (NumPy's spelling; an int or a tuple) return the maxima, and
        their gradient is split evenly among tied elements. ``x.max(1)`` or ``x.max(dim=1)`` return a
        :class:`ValuesIndices` named tuple as PyTorch does: ``values`` and the int64 ``indices`` of the
        first maximum of each row, which alone receives the gradient. :meth:`amax` is the values-only form.

        >>> import tinygrad_vn as tg
        >>> x = tg.tensor([[1.0, 5.0], [7.0, 2.0]])
        >>> x.max(axis=1).tolist(), x.max(1).indices.tolist()
        ([5.0, 7.0], [1, 0])
        """
        return self._extreme("max", ops.Max, ops.ArgMax, dim, keepdim, axis, keepdims)

    def min(self, dim: int | None = None, keepdim: bool | None = None, *, axis: Axis = None,
            keepdims: bool | None = None) -> Any:
        """The minimum: with PyTorch's ``dim`` (by name or position), ``(values, indices)``; else the values.

        As :meth:`max`: ``x.min()`` and ``x.min(axis=...)`` give the minima (the gradient split evenly among
        ties), ``x.min(1)`` / ``x.min(dim=1)`` a :class:`ValuesIndices` named tuple; :meth:`amin` gives values only.
        """
        return self._extreme("min", ops.Min, ops.ArgMin, dim, keepdim, axis, keepdims)

    def _extreme(self, op: str, values_op: type[ops.Function], index_op: type[ops.Function], dim: Any,
                 keepdim: bool | None, axis: Axis, keepdims: bool | None) -> Any:
        """max/min: values over ``axis`` (NumPy's form), or PyTorch's (values, indices) along ``dim``."""
        if isinstance(dim, Tensor):
            raise TypeError(f"{op}(other), the elementwise form, is not a method here: use tg.{op}imum(a, b)")
        keep = bool(ops.either_spelling(op, ("keepdim", "keepdims"), keepdim, keepdims, False))
        if dim is None:
            return values_op.apply(self, axis=axis, keepdims=keep)
        if axis is not None:
            ops.either_spelling(op, ("dim", "axis"), dim, axis)
        if isinstance(dim, (tuple, list)):
            raise TypeError(f"{op}(dim={dim!r}): with dim, {op} takes one int and returns (values, indices), as in "
                            f"PyTorch; for the {op}ima over several dims use a{op}(dim={tuple(dim)!r}) "
                            f"or {op}(axis={tuple(dim)!r})")
        ops.single_axis(op, dim, self.ndim)
        indices = index_op.apply(self, axis=dim, keepdims=keep)
        return ValuesIndices(_take_along(self, indices, dim, squeeze=not keep), indices)

    # ------------------------------------------------------------------ parity: reductions and sorting
    # PyTorch's names and signatures (dim/keepdim, also spelled axis/keepdims); values carry gradients,
    # indices (int64) and truth values (bool) do not.

    def amax(self, dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
             keepdims: bool | None = None) -> Tensor:
        """The maxima over ``dim`` (an int or a tuple; all dims by default), values only; ties share the gradient.

        >>> import tinygrad_vn as tg
        >>> tg.tensor([[1.0, 5.0], [7.0, 2.0]]).amax(dim=0).tolist()
        [7.0, 5.0]
        """
        dim, keep = _reduce_args("amax", dim, keepdim, axis, keepdims)
        return ops.Max.apply(self, axis=dim, keepdims=keep)

    def amin(self, dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
             keepdims: bool | None = None) -> Tensor:
        """The minima over ``dim`` (an int or a tuple; all dims by default), values only; ties share the gradient."""
        dim, keep = _reduce_args("amin", dim, keepdim, axis, keepdims)
        return ops.Min.apply(self, axis=dim, keepdims=keep)

    def argmin(self, dim: int | None = None, keepdim: bool | None = None, *, axis: int | None = None,
               keepdims: bool | None = None) -> Tensor:
        """Indices (int64) of the minima along ``dim``, or into the flattened tensor without one (no gradient)."""
        dim, keep = _reduce_args("argmin", dim, keepdim, axis, keepdims)
        return ops.ArgMin.apply(self, axis=dim, keepdims=keep)

    def logsumexp(self, dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
                  keepdims: bool | None = None) -> Tensor:
        """log Σ eˣ over ``dim`` (all dims by default), without overflow for large x.

        >>> import tinygrad_vn as tg
        >>> round(tg.tensor([1000.0, 1000.0]).logsumexp(0).item(), 3)
        1000.693
        """
        dim, keep = _reduce_args("logsumexp", dim, keepdim, axis, keepdims)
        return ops.LogSumExp.apply(self, axis=dim, keepdims=keep)

    def var(self, dim: Axis | bool = None, unbiased: bool | None = None, keepdim: bool | None = None, *,
            correction: float | None = None, axis: Axis = None, keepdims: bool | None = None) -> Tensor:
        """Variance over ``dim``: Σ (x − mean)² / (n − correction), with correction 1 by default, as PyTorch.

        ``unbiased=False`` is the older spelling of ``correction=0`` (and ``x.var(False)`` of
        ``x.var(unbiased=False)``); with n − correction ≤ 0 the result is NaN or ∞, with a warning.

        >>> import tinygrad_vn as tg
        >>> x = tg.tensor([1.0, 2.0, 3.0, 4.0])
        >>> x.var().item(), x.var(correction=0).item()
        (1.6666666269302368, 1.25)
        """
        return self._spread("var", ops.Var, dim, unbiased, keepdim, correction, axis, keepdims)

    def std(self, dim: Axis | bool = None, unbiased: bool | None = None, keepdim: bool | None = None, *,
            correction: float | None = None, axis: Axis = None, keepdims: bool | None = None) -> Tensor:
        """Standard deviation over ``dim``: √var, with :meth:`var`'s arguments; its gradient is 0 where it is 0."""
        return self._spread("std", ops.Std, dim, unbiased, keepdim, correction, axis, keepdims)

    def _spread(self, op: str, fn: type[ops.Function], dim: Any, unbiased: bool | None, keepdim: bool | None,
                correction: float | None, axis: Axis, keepdims: bool | None) -> Tensor:
        """var/std: sort out PyTorch's overloads (``var(unbiased)``, ``var(dim, unbiased, keepdim)``)."""
        if isinstance(dim, (bool, np.bool_)):
            if unbiased is not None:
                raise TypeError(f"{op}() got unbiased twice: {dim!r} in the place of dim, and unbiased={unbiased!r}")
            dim, unbiased = None, bool(dim)
        dim, keep = _reduce_args(op, dim, keepdim, axis, keepdims)
        if unbiased is not None:
            if correction is not None:
                raise TypeError(f"{op}() got both unbiased={unbiased!r} and correction={correction!r}; give only "
                                "correction (unbiased=True is correction=1, unbiased=False is correction=0)")
            if not isinstance(unbiased, (bool, np.bool_)):
                raise TypeError(f"{op}(): unbiased must be True or False, not {unbiased!r}")
            correction = 1 if unbiased else 0
        elif correction is None:
            correction = 1
        elif isinstance(correction, (bool, np.bool_)) or not isinstance(correction, (int, float, np.number)) \
                or not np.isfinite(correction):
            raise TypeError(f"{op}(): correction must be a finite number, not {correction!r}")
        return fn.apply(self, axis=dim, correction=correction, keepdims=keep)

    def prod(self, dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
             keepdims: bool | None = None) -> Tensor:
        """Product over ``dim`` (all dims by default); integer and bool tensors give int64, as PyTorch.

        The gradient of each element is the product of the others, exact also where there are zeros.

        >>> import tinygrad_vn as tg
        >>> tg.tensor([[1.0, 2.0], [3.0, 4.0]]).prod(dim=1).tolist()
        [2.0, 12.0]
        """
        dim, keep = _reduce_args("prod", dim, keepdim, axis, keepdims)
        return ops.Prod.apply(self, axis=dim, keepdims=keep)

    def norm(self, p: float | str = "fro", dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
             keepdims: bool | None = None) -> Tensor:
        """The vector p-norm over ``dim`` (all dims by default, as one vector).

        ``p`` is ``"fro"`` or 2 (the default: √Σ x²), 1, ``float("inf")`` (max |x|), ``-float("inf")``,
        0 (the count of non-zeros) or any other number ((Σ |x|ᵖ)^(1/p)); the nuclear norm is not supported.
        The gradient at 0 is 0, as PyTorch's.

        >>> import tinygrad_vn as tg
        >>> tg.tensor([3.0, -4.0]).norm().item(), tg.tensor([3.0, -4.0]).norm(p=1).item()
        (5.0, 7.0)
        """
        dim, keep = _reduce_args("norm", dim, keepdim, axis, keepdims)
        return ops.Norm.apply(self, p=_norm_order(p), axis=dim, keepdims=keep)

    def any(self, dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
            keepdims: bool | None = None) -> Tensor:
        """Whether any element over ``dim`` (all dims by default) is non-zero, as a bool tensor (no gradient).

        >>> import tinygrad_vn as tg
        >>> tg.tensor([[0.0, 1.0], [0.0, 0.0]]).any(dim=1).tolist()
        [True, False]
        """
        dim, keep = _reduce_args("any", dim, keepdim, axis, keepdims)
        return ops.AnyTrue.apply(self, axis=dim, keepdims=keep)

    def all(self, dim: Axis = None, keepdim: bool | None = None, *, axis: Axis = None,
            keepdims: bool | None = None) -> Tensor:
        """Whether every element over ``dim`` (all dims by default) is non-zero, as a bool tensor (no gradient)."""
        dim, keep = _reduce_args("all", dim, keepdim, axis, keepdims)
        return ops.AllTrue.apply(self, axis=dim, keepdims=keep)

    def cumsum(self, dim: int | None = None, *, axis: int | None = None) -> Tensor:
        """Running sums along ``dim`` (required, as in PyTorch); integer and bool tensors give int64.

        >>> import tinygrad_vn as tg
        >>> tg.tensor([1.0, 2.0, 3.0]).cumsum(0).tolist()
        [1.0, 3.0, 6.0]
        """
        dim = ops.either_spelling("cumsum", ("dim", "axis"), dim, axis)
        if dim is None:
            raise TypeError("cumsum() needs dim, the dimension to sum along (as in PyTorch)")
        return ops.CumSum.apply(self, axis=dim)

    def sort(self, dim: int | None = None, descending: bool = False, stable: bool = False, *,
             axis: int | None = None) -> ValuesIndices:
        """Sorted along ``dim`` (the last by default): ``(values, indices)`` as PyTorch's ``sort``.

        The sort is always stable (``stable`` is accepted for PyTorch's signature) and NaN sorts as the
        largest value. ``values`` carries the gradient back to where each value came from.

        >>> import tinygrad_vn as tg
        >>> values, indices = tg.tensor([3.0, 1.0, 2.0]).sort(descending=True)
        >>> values.tolist(), indices.tolist()
        ([3.0, 2.0, 1.0], [0, 2, 1])
        """
        dim = _sort_dim("sort", dim, axis, self.ndim)
        _check_flag("sort", "descending", descending)
        _check_flag("sort", "stable", stable)
        indices = ops.ArgSort.apply(self, axis=dim, descending=bool(descending))
        return ValuesIndices(_take_along(self, indices, dim), indices)

    def argsort(self, dim: int | None = None, descending: bool = False, stable: bool = False, *,
                axis: int | None = None) -> Tensor:
        """The int64 indices that sort along ``dim`` (the last by default); stable, NaN as the largest."""
        dim = _sort_dim("argsort", dim, axis, self.ndim)
        _check_flag("argsort", "descending", descending)
        _check_flag("argsort", "stable", stable)
        return ops.ArgSort.apply(self, axis=dim, descending=bool(descending))

    def topk(self, k: int, dim: int | None = None, largest: bool = True, sorted: bool = True, *,
             axis: int | None = None) -> ValuesIndices:
        """The ``k`` largest (or, with ``largest=False``, smallest) along ``dim`` (the last by default).

        Returns ``(values, indices)`` as PyTorch's ``topk``, always in sorted order (``sorted=False``
        allows any order, so this order is one of them); equal values keep their original order.

        >>> import tinygrad_vn as tg
        >>> tg.tensor([1.0, 4.0, 2.0, 8.0]).topk(2).indices.tolist()
        [3, 1]
        """
        dim = _sort_dim("topk", dim, axis, self.ndim)
        _check_flag("topk", "largest", largest)
        _check_flag("topk", "sorted", sorted)
        length = self.shape[dim] if self.ndim else 1
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"topk(): k must be an int, not {type(k).__name__} {k!r}")
        if not 0 <= k <= length:
            raise IndexError(f"topk(): k={k} is out of range for dim {dim} of size {length} (shape {self.shape})")
        indices = ops.ArgSort.apply(self, axis=dim, descending=bool(largest), count=int(k))
        return ValuesIndices(_take_along(self, indices, dim), indices)

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
        if self.ndim == 1 and index.ndim == 0:  # PyTorch reads a 0-d index on a 1-d tensor as one place
            index = index.reshape(1)
            if isinstance(source, Tensor) and source.ndim == 0:
                source = source.reshape(1)
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

    # ------------------------------------------------------------------ parity: tutorial ports

    @property
    def device(self) -> device:
        """Where the tensor lives: always ``device(type='cpu')`` (PyTorch's ``Tensor.device``)."""
        return _CPU

    def t(self) -> Tensor:
        """The transpose of a matrix; a 0-D or 1-D tensor is returned as it is (PyTorch's ``Tensor.t``).

        >>> import tinygrad_vn as tg
        >>> tg.zeros(2, 3).t().shape, tg.zeros(3).t().shape
        ((3, 2), (3,))
        """
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor of at most 2 dims, but this one has {self.ndim} "
                             f"(shape {self.shape}); use transpose(dim0, dim1), permute or mT")
        return self.transpose() if self.ndim == 2 else self

    def type(self, dtype: Any = None) -> Tensor | str:
        """Converted to ``dtype`` (the tensor itself when it has it already), as PyTorch's ``Tensor.type``.

        Without ``dtype``, the name of the tensor's type in PyTorch's legacy spelling, e.g.
        ``"tinygrad_vn.FloatTensor"``.

        >>> import tinygrad_vn as tg
        >>> tg.tensor([True, False]).type(tg.float).tolist(), tg.tensor([1.5]).type()
        ([1.0, 0.0], 'tinygrad_vn.FloatTensor')
        """
        if dtype is None:
            return f"tinygrad_vn.{_LEGACY_TYPE_NAMES.get(self._data.dtype.name, 'Unknown')}Tensor"
        target = as_dtype(dtype)
        return self if target == self._data.dtype else self.astype(target)

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

    def softmax(self, dim: int | None = None, *, axis: int | None = None) -> Tensor:
        """eˣ / Σ eˣ along ``dim`` (``axis`` is NumPy's spelling; the last dim by default)."""
        if axis is not None:
            dim = ops.either_spelling("softmax", ("dim", "axis"), dim, axis)
        return ops.Softmax.apply(self, axis=-1 if dim is None else dim)

    def log_softmax(self, dim: int | None = None, *, axis: int | None = None) -> Tensor:
        """log softmax along ``dim`` (``axis`` is NumPy's spelling; the last dim by default), computed stably."""
        if axis is not None:
            dim = ops.either_spelling("log_softmax", ("dim", "axis"), dim, axis)
        return ops.LogSoftmax.apply(self, axis=-1 if dim is None else dim)


@replayed
def _clear_grad(tensor: Tensor) -> None:
    """``tensor.grad = None``, as an event that a compiled step repeats."""
    tensor._grad = None


_UFUNC_OPS: dict[Any, Any] = {
    np.add: ops.Add.apply, np.subtract: ops.Sub.apply, np.multiply: ops.Mul.apply, np.true_divide: ops.Div.apply,
    np.power: ops.Pow.apply, np.matmul: ops.MatMul.apply,
    **{compare: (lambda c: lambda a, b: ops.Compare.apply(a, b, compare=c))(compare)
       for compare in (np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal)},
    **{operation: (lambda o: lambda a, b: ops.Bitwise.apply(a, b, operation=o))(operation)
       for operation in (np.bitwise_and, np.bitwise_or, np.bitwise_xor)},
}
"""The ufuncs behind Python's operators: with an array on the left and a Tensor on the right they run as the
Tensor op, so that ``array * tensor`` is recorded as ``tensor * array`` is."""


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


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None, *,
           device: Any = None) -> Tensor:
    """Same as ``Tensor(...)``; ``device`` may only name the CPU (as ``"cpu"`` or ``tg.device("cpu")``)."""
    if device is not None:
        _check_device(device, "tensor")
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def _as_tensor(value: Any) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(value)


def concatenate(tensors: Iterable[Any], dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """Join tensors along an existing dim (``dim``, or NumPy's ``axis``; 0 by default). ``tg.cat`` is PyTorch's name.

    >>> import tinygrad_vn as tg
    >>> tg.cat([tg.ones(1, 2), tg.zeros(1, 2)], dim=1).shape
    (1, 4)
    """
    dim = ops.either_spelling("concatenate", ("dim", "axis"), dim, axis, 0)
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate needs at least one tensor")
    return ops.Concatenate.apply(*tensors, axis=dim)


cat = concatenate


def stack(tensors: Iterable[Any], dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """Join same-shaped tensors along a new dim (``dim``, or NumPy's ``axis``; 0 by default)."""
    dim = ops.either_spelling("stack", ("dim", "axis"), dim, axis, 0)
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack needs at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack needs tensors of one shape, got {sorted(shapes)}")
    new_axis = dim % (tensors[0].ndim + 1)
    expanded = [t.reshape(*t.shape[:new_axis], 1, *t.shape[new_axis:]) for t in tensors]
    return ops.Concatenate.apply(*expanded, axis=new_axis)


class ValuesIndices(NamedTuple):
    """What ``max(dim)``, ``min(dim)``, ``sort`` and ``topk`` return, as PyTorch's: values (differentiable) and
    their int64 indices along the dim."""

    values: Tensor
    indices: Tensor


def _reduce_args(op: str, dim: Any, keepdim: bool | None, axis: Any, keepdims: bool | None) -> tuple[Any, bool]:
    """A reduction's (dims, keepdim) from PyTorch's or NumPy's spelling of each (both at once is an error)."""
    dims = ops.either_spelling(op, ("dim", "axis"), dim, axis)
    return dims, bool(ops.either_spelling(op, ("keepdim", "keepdims"), keepdim, keepdims, False))


def _sort_dim(op: str, dim: int | None, axis: int | None, ndim: int) -> int:
    """The one dim that sort, argsort and topk work along (the last by default), checked."""
    return ops.single_axis(op, ops.either_spelling(op, ("dim", "axis"), dim, axis, -1), ndim)


def _check_flag(op: str, name: str, value: Any) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}(): {name} must be True or False, not {value!r}")


def _take_along(source: Tensor, indices: Tensor, dim: int, squeeze: bool = False) -> Tensor:
    """The values of ``source`` at ``indices`` along ``dim`` (a 0-d tensor is treated as one element)."""
    if source.ndim == 0:
        return ops.TakeAlongAxis.apply(source.reshape(1), indices.reshape(1), axis=0).reshape(())
    return ops.TakeAlongAxis.apply(source, indices, axis=dim, squeeze=squeeze)


_NORM_NAMES = {"fro": 2.0}


def _norm_order(p: Any) -> float:
    """``norm``'s ``p`` as a number: "fro" is 2; the nuclear norm and non-numbers are refused."""
    if isinstance(p, str):
        if p not in _NORM_NAMES:
            raise ValueError(f"norm(): p={p!r} is not supported; use 'fro', or a number such as 1, 2 or "
                             "float('inf') (the nuclear norm 'nuc' is not implemented)")
        return _NORM_NAMES[p]
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.number)) or np.isnan(p):
        raise TypeError(f"norm(): p must be a number or 'fro', not {p!r}")
    return float(p)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum of two tensors (or a tensor and a constant)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    return ops.Maximum.apply(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum of two tensors (or a tensor and a constant); NaN wins, as in PyTorch."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    return ops.Minimum.apply(a, b)


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """``input``'s elements where the bool ``condition`` is true, else ``other``'s (all three broadcast together).

    ``input`` and ``other`` may be tensors or numbers; a number takes its type from the tensor beside
    it, as in PyTorch (``tg.where(x > 0, x, 0.0)`` keeps x's dtype). The gradient flows to ``input``
    where the condition holds and to ``other`` elsewhere.

    >>> import tinygrad_vn as tg
    >>> x = tg.tensor([-1.0, 2.0])
    >>> tg.where(x > 0, x, 0.0).tolist()
    [0.0, 2.0]
    """
    condition = _as_tensor(condition)
    if not isinstance(input, Tensor):
        input = Tensor._lift(input, other) if isinstance(other, Tensor) else Tensor(input)
    if not isinstance(other, Tensor):
        other = Tensor._lift(other, input)
    return ops.Where.apply(condition, input, other)


def _unusable_operand(value: Any) -> TypeError:
    return TypeError(f"cannot combine a tensor with {type(value).__name__} {value!r}: use numbers, arrays or "
                     "tensors of bool, integer or floating-point values")


def _dims(name: str, shape: tuple[Any, ...]) -> tuple[int, ...]:
    """``f(2, 3)`` or ``f((2, 3))`` arguments as a tuple of ints, refusing anything else by ``name``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{name}: sizes must be integers, got {type(n).__name__} {n!r} in {shape}")
    return tuple(int(n) for n in shape)


def _check_device(device: Any, caller: str = "to") -> None:
    """Accept the CPU (``"cpu"``, ``"cpu:0"``, a device of type cpu); raise for any other device, naming ``caller``."""
    kind = getattr(device, "type", device)
    if not isinstance(kind, str):
        raise TypeError(f"{caller}(): a device must be a string such as 'cpu', not {type(device).__name__} "
                        f"{device!r}")
    if kind.split(":")[0] != "cpu":
        raise RuntimeError(f"{caller}({str(device)!r}): tinygrad_vn runs on the CPU only (NumPy and Numba); use "
                           "'cpu' or leave the device out")


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


# ---------------------------------------------------------------------- parity: tutorial ports


def _to_arguments(caller: str, args: tuple[Any, ...], dtype: Any, device: Any) -> Any:
    """The dtype asked for by ``to(*args, dtype=, device=)`` (None: keep it), after checking that any device is the CPU.

    ``args`` may hold a device (a string that is not a dtype name, or a ``device``), a dtype, or a
    tensor whose dtype to take, as PyTorch's ``Tensor.to`` and ``Module.to`` accept.
    """
    if len(args) > 2:
        raise TypeError(f"{caller}() takes at most a device and a dtype, got {len(args)} positional arguments")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype if dtype is None else dtype
        elif (isinstance(arg, str) and arg not in DTYPE_NAMES) or (hasattr(arg, "type") and hasattr(arg, "index")):
            device = arg
        elif arg is not None:
            dtype = arg
    if device is not None:
        _check_device(device, caller)
    return dtype


class device:
    """PyTorch's ``torch.device`` for the one device there is: ``tg.device("cpu")``, ``"cpu:0"`` or ``("cpu", 0)``.

    It lets ``device = torch.device("cpu")`` and ``device=device`` port unchanged; any other device
    type is refused, naming it.

    >>> import tinygrad_vn as tg
    >>> tg.device("cpu"), str(tg.device("cpu", 0)), tg.zeros(2, device=tg.device("cpu")).device
    (device(type='cpu'), 'cpu:0', device(type='cpu'))
    """

    __slots__ = ("index", "type")

    def __init__(self, type: str | device, index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise TypeError(f"device(): the device type must be a string such as 'cpu', not "
                            f"{builtins.type(type).__name__} {type!r}")
        kind, colon, number = type.partition(":")
        _check_device(type, "device")
        if colon:
            if index is not None or not number.isdigit():
                raise ValueError(f"device({type!r}): write 'cpu' or 'cpu:N' with N a non-negative integer, "
                                 "and give the index once")
            index = int(number)
        if index is not None and (not isinstance(index, (int, np.integer)) or isinstance(index, bool) or index < 0):
            raise ValueError(f"device(): index must be a non-negative integer, not {index!r}")
        self.type = kind
        self.index = None if index is None else int(index)

    def __repr__(self) -> str:
        extra = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{extra})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


_CPU = device("cpu")

# PyTorch's legacy type names (``torch.FloatTensor``), which ``Tensor.type()`` gives without a dtype.
_LEGACY_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                      "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def matmul(input: Any, other: Any) -> Tensor:
    """The matrix product ``input @ other`` (PyTorch's ``torch.matmul``: 1-D operands are vectors, batches broadcast).

    >>> import tinygrad_vn as tg
    >>> tg.matmul(tg.ones(2), tg.ones(2, 3)).tolist()
    [2.0, 2.0, 2.0]
    """
    return _as_tensor(input) @ other


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """``input`` with dims ``start_dim`` to ``end_dim`` merged into one (PyTorch's ``torch.flatten``).

    >>> import tinygrad_vn as tg
    >>> tg.flatten(tg.zeros(8, 1, 28, 28), 1).shape
    (8, 784)
    """
    return _as_tensor(input).flatten(start_dim, end_dim)
