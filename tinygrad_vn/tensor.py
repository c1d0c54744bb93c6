"""``Tensor``: an ndarray that remembers how it was computed, so that gradients can flow back.

Every operator and method here is a thin call to an op in :mod:`tinygrad_vn.ops`; the tensor
itself holds only its array, its gradient, and the context of the op that produced it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from . import ops
from .autograd import (
    _MUTATIONS,
    _REBASED,
    _TENSOR_HOOKS,
    Context,
    RemovableHandle,
    backward,
    bump_version,
    current_tracer,
    is_grad_enabled,
    move_gradient_hooks,
    register_hook,
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

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        """Permute the axes (NumPy-style); with no arguments, reverse them."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return ops.Transpose.apply(self, axes=tuple(axes) if axes else None)

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed)."""
        return self.transpose()

    def flatten(self, start_axis: int = 0) -> Tensor:
        """Merge the axes from ``start_axis`` on into one."""
        start = start_axis % max(self.ndim, 1)
        return self.reshape(*self.shape[:start], -1)

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
