"""Anomaly mode and ``tg.lint``: find the op, and the user's line, where a loss turns NaN.

Inside ``with tg.detect_anomaly():`` (or with ``TINYGRAD_VN_ANOMALY=1`` in the environment) every op
remembers the file and line of the user's code that applied it (the first frame of the call stack
outside this package), and the first op whose forward or backward produces NaN or ±Inf raises an
:class:`AnomalyError` naming the op, that line, its input ranges and, when one is known, the stable
alternative (``log_softmax`` for a log of a softmax, ``binary_cross_entropy_with_logits`` for a
sigmoid then BCE, subtracting the max before an ``exp``, keeping a divisor away from 0). NumPy's
RuntimeWarnings inside ops are silenced meanwhile: the error says more than they do.

The forward check flags an output that holds NaN, or that holds ±Inf where no input did (an op that
only passes on an infinity it was given, such as a ``-inf`` attention mask through an add, is not an
anomaly). The backward check flags any gradient that holds NaN or ±Inf. Outside the mode ops pay one
check of a module global and NaN propagates as before.

:func:`lint` reads a recorded graph, running nothing, and reports the same known-unstable
compositions as :class:`Finding`\\ s, naming the user's line when the graph was recorded in anomaly
mode (``tg.detect_anomaly(check_nan=False)`` records lines without checking values).

A compiled step (``tg.compile``) replays kernels, not ops, so in anomaly mode it runs its function
eagerly instead, where every op is checked; outside the mode it replays as before.

Messages come from :mod:`tinygrad_vn.phrases` (``lang="vi"`` for Vietnamese, or ``TINYGRAD_VN_LANG``).
"""

from __future__ import annotations

import contextlib
import linecache
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .phrases import check_language, phrase

if TYPE_CHECKING:
    from .autograd import Context

__all__ = ["AnomalyError", "Finding", "LintReport", "Location", "detect_anomaly", "is_anomaly_enabled", "lint",
           "set_detect_anomaly"]

ENVIRONMENT_SWITCH = "TINYGRAD_VN_ANOMALY"
ENVIRONMENT_LANGUAGE = "TINYGRAD_VN_LANG"
_ON, _OFF = ("1", "true", "on", "yes"), ("", "0", "false", "off", "no")
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
# The library's layers, which are never the "user's line"; the package's own programs (train.py, seeds.py,
# the command line) are, when nothing outside the package applied the op.
_LAYERS = tuple(_PACKAGE_DIR + name for name in (
    "ops" + os.sep, "nn" + os.sep, "optim" + os.sep, "autograd.py", "tensor.py", "functional.py", "pointwise.py",
    "reductions.py", "factories.py", "compile.py", "codegen.py", "anomaly.py", "func.py", "backend.py"))

# Ops that pass a value on (summed, reshaped, selected) without changing whether it can be 0 or how large it is.
_PASS_THROUGH = frozenset(("Sum", "Mean", "Reshape", "Expand", "Transpose", "GetItem", "IndexBy", "Contiguous",
                           "Cast", "Copy", "Concatenate", "Repeat", "Flip", "Roll", "Pad"))
_CAN_BE_ZERO = frozenset(("ReLU", "Abs", "Sqrt", "Norm", "Var", "Std", "Pow"))
_MAXIMA = frozenset(("Max", "TakeAlongAxis", "LogSumExp"))
_LOGS = frozenset(("Log", "Log2"))
_DIVISIONS = {"Div": 1, "Reciprocal": 0, "Rsqrt": 0}  # op -> which input is the divisor


# ----------------------------------------------------------------------------- where an op was applied


@dataclass(frozen=True)
class Location:
    """The user's file, line and function that applied an op, as anomaly mode recorded it."""

    filename: str
    line: int
    function: str

    @property
    def code(self) -> str:
        """The source line itself, stripped ("" when the file cannot be read)."""
        return linecache.getline(self.filename, self.line).strip()

    def text(self, lang: str = "en", with_code: bool = True) -> str:
        """``file.py:12 in function: the line's code``, the file relative to the working folder when inside it."""
        shown = self.filename
        with contextlib.suppress(ValueError):  # another drive on Windows
            relative = os.path.relpath(self.filename)
            if not relative.startswith(os.pardir):
                shown = relative
        code = self.code if with_code else ""
        place = phrase("anomaly.location", lang, file=shown, line=self.line, function=self.function)
        return place + (f": {code}" if code else "")

    def __str__(self) -> str:
        return self.text()


def user_location() -> Location | None:
    """Where the code that called into tinygrad_vn is: the first frame on the stack outside the package.

    Python's own start-up frames (``<frozen runpy>``) do not count; when only they called the package
    (``tinygrad-vn train``), the innermost frame of the package's own programs is taken instead.

    >>> where = user_location()
    >>> where is None or where.line > 0
    True
    """
    frame = sys._getframe(1)
    program = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIR):
            if not filename.startswith("<frozen"):
                return Location(filename, frame.f_lineno, frame.f_code.co_name)
        elif program is None and not filename.startswith(_LAYERS):
            program = frame
        frame = frame.f_back
    if program is None:
        return None
    return Location(program.f_code.co_filename, program.f_lineno, program.f_code.co_name)


# ----------------------------------------------------------------------------- the known hazards


@dataclass(frozen=True)
class Hazard:
    """A known-unstable composition at one op: its rule (a phrase key part) and the op's operand behind it."""

    rule: str
    operand: Any = None
    source: str = ""  # the ops the operand came from, first to last ("ReLU → Sum")


def _source(tensor: Any) -> tuple[Any, list[str]]:
    """The op that made ``tensor``'s values, looking through pass-through ops, and the names on the way."""
    ctx = tensor._ctx
    passed: list[str] = []
    while ctx is not None and ctx.name in _PASS_THROUGH:
        passed.append(ctx.name)
        ctx = ctx.parents[0]._ctx
    return ctx, passed


def _chain(ctx: Any, passed: list[str]) -> str:
    return " → ".join([ctx.name, *reversed(passed)])


def _origin(tensor: Any, lang: str) -> str:
    """Which ops made ``tensor`` (``"ReLU → Sum, at model.py:7 ..."``), or that it is a leaf of the graph."""
    ctx, passed = _source(tensor)
    if ctx is None:
        return phrase("anomaly.source_leaf", lang)
    where = ctx.anomaly_where
    chain = _chain(ctx, passed)
    if where is None:
        return chain
    return phrase("anomaly.source_at", lang, ops=chain, place=where.text(lang, with_code=False))


def _made_by(tensor: Any, names: frozenset[str] | set[str]) -> bool:
    ctx, _ = _source(tensor)
    return ctx is not None and ctx.name in names


def _is_sigmoid_or_one_minus_it(tensor: Any) -> bool:
    ctx, _ = _source(tensor)
    if ctx is None:
        return False
    if ctx.name == "Sigmoid":
        return True
    return ctx.name == "Sub" and ctx.parents[0]._ctx is None and _made_by(ctx.parents[1], {"Sigmoid"})


def _is_softmax(tensor: Any) -> bool:
    """A softmax op, or one written by hand: an ``exp`` divided by something."""
    ctx, _ = _source(tensor)
    if ctx is None:
        return False
    return ctx.name == "Softmax" or (ctx.name == "Div" and _made_by(ctx.parents[0], {"Exp"}))


def _zero_source(tensor: Any) -> str | None:
    """The ops (first to last) that can make ``tensor`` exactly 0, e.g. ``"ReLU → Sum"``; None if none is known."""
    ctx, passed = _source(tensor)
    if ctx is None:
        return None
    squares = ctx.name == "Mul" and ctx.parents[0] is ctx.parents[1]
    if ctx.name in _CAN_BE_ZERO or squares:
        return _chain(ctx, passed)
    return None


def _is_shifted(tensor: Any) -> bool:
    """Whether an ``exp``'s input is known not to be large: x − max, a log-probability, or x − a constant."""
    ctx, _ = _source(tensor)
    if ctx is None:
        return False
    if ctx.name == "LogSoftmax":
        return True
    if ctx.name != "Sub":
        return False
    shift = ctx.parents[1]
    return _made_by(shift, _MAXIMA) or (shift._ctx is None and not shift.requires_grad)


def hazard_of(ctx: Context, consumers: Sequence[Any] = ()) -> Hazard | None:
    """The known-unstable composition that ``ctx``'s op completes, from the graph alone (None: none known).

    ``consumers`` are the contexts of the ops that use its output (``lint`` knows them; the forward
    check does not, which only matters for an ``exp`` that is summed or divided afterwards).

    >>> import tinygrad_vn as tg
    >>> h = tg.tensor([1.0, -2.0], requires_grad=True)
    >>> hazard_of((h / h.relu().sum())._ctx)
    Hazard(rule='division_by_zero', operand=..., source='ReLU → Sum')
    """
    name, parents = ctx.name, ctx.parents
    if name in _LOGS:
        operand = parents[0]
        if _is_softmax(operand):
            return Hazard("log_softmax", operand)
        if _is_sigmoid_or_one_minus_it(operand):
            return Hazard("log_sigmoid", operand)
        source = _zero_source(operand)
        return Hazard("log_of_zero", operand, source) if source else None
    if name == "BinaryCrossEntropy":
        return Hazard("bce_sigmoid", parents[0]) if _made_by(parents[0], {"Sigmoid"}) else None
    if name == "Exp":
        summed = any(c.name in ("Sum", "Mean", "Div") for c in consumers)  # a softmax or a logsumexp by hand
        return Hazard("exp_unshifted", parents[0]) if summed and not _is_shifted(parents[0]) else None
    if name in _DIVISIONS:
        operand = parents[_DIVISIONS[name]]
        source = _zero_source(operand)
        return Hazard("division_by_zero", operand, source) if source else None
    if name == "Sqrt":
        source = _zero_source(parents[0])
        return Hazard("sqrt_at_zero", parents[0], source) if source else None
    return None


# ----------------------------------------------------------------------------- what the values show


def _is_float(array: Any) -> bool:
    return isinstance(array, np.ndarray) and array.dtype.kind in "fc"


def _all_finite(array: np.ndarray) -> bool:
    """Whether every element is finite; one reduction first (a sum is finite only if every element is)."""
    if array.size == 0:
        return True
    with np.errstate(all="ignore"):
        if np.isfinite(np.add.reduce(array, axis=None)):
            return True
    return bool(np.isfinite(array).all())


def _number(value: float) -> str:
    return f"{value:.4g}"


def _describe_values(role: str, array: Any, lang: str) -> str:
    """``input 0 (2×3): min 0, max 1, already held NaN at 2 position(s)`` for one array."""
    from .dag import format_shape

    array = np.asarray(array)
    shape = format_shape(array.shape)
    if array.size == 0:
        return phrase("anomaly.range_empty", lang, role=role, shape=shape)
    if array.dtype.kind not in "fciub":
        return phrase("anomaly.range_empty", lang, role=role, shape=shape)
    values = array.astype(np.float64) if array.dtype.kind in "iub" else array
    if array.dtype.kind == "c":
        values = np.abs(array)
    nan = int(np.isnan(values).sum())
    if nan == values.size:
        return phrase("anomaly.range_all_nan", lang, role=role, shape=shape)
    with np.errstate(all="ignore"):
        low, high = np.nanmin(values), np.nanmax(values)
    text = phrase("anomaly.range", lang, role=role, shape=shape, low=_number(low), high=_number(high))
    marks = []
    if nan:
        marks.append(phrase("anomaly.held_nan", lang, count=nan))
    infinite = int(np.isinf(values).sum())
    if infinite:
        marks.append(phrase("anomaly.held_inf", lang, count=infinite))
    return ", ".join([text, *marks])


def _what(array: np.ndarray, lang: str) -> tuple[str, int]:
    """"NaN", "+Inf", "NaN and −Inf"..., and how many elements are not finite."""
    values = np.abs(array) if array.dtype.kind == "c" else array
    kinds = []
    if np.isnan(values).any():
        kinds.append("NaN")
    if np.isposinf(values).any():
        kinds.append("+Inf")
    if np.isneginf(values).any():
        kinds.append("−Inf")
    text = kinds[-1] if len(kinds) == 1 else phrase("anomaly.and", lang, first=", ".join(kinds[:-1]), second=kinds[-1])
    return text, int((~np.isfinite(values)).sum())


def _largest(dtype: np.dtype) -> float:
    return float(np.finfo(dtype).max)


def _place(ctx: Context, lang: str) -> str:
    where = ctx.anomaly_where
    return where.text(lang) if where is not None else phrase("anomaly.place_unknown", lang)


def _explanation(ctx: Context, arrays: Sequence[Any], hazard: Hazard | None, overflowed: bool,
                 lang: str) -> tuple[str | None, str, str | None]:
    """(rule, why, fix) for an op whose values turned non-finite, from what its inputs held and the graph."""
    name = ctx.name
    if any(_is_float(a) and not _all_finite(a) for a in arrays):
        return "from_outside", phrase("anomaly.from_outside.why", lang), phrase("anomaly.from_outside.fix", lang)
    if hazard is not None and hazard.rule in ("log_softmax", "log_sigmoid", "bce_sigmoid"):
        return hazard.rule, phrase(f"anomaly.{hazard.rule}.why", lang), phrase(f"anomaly.{hazard.rule}.fix", lang)
    if name == "Exp" and overflowed and arrays:
        high = np.nanmax(arrays[0]) if np.asarray(arrays[0]).size else 0.0
        dtype = np.asarray(arrays[0]).dtype if _is_float(arrays[0]) else np.dtype(np.float32)
        limit = _number(float(np.log(_largest(dtype))))
        return ("exp_overflow", phrase("anomaly.exp_overflow.why", lang, high=_number(high), dtype=dtype.name,
                                       limit=limit), phrase("anomaly.exp_fix", lang))
    zero_at = {**_DIVISIONS, "Log": 0, "Log2": 0, "Sqrt": 0}  # op -> the input whose zeros break it
    if name in zero_at and len(arrays) > zero_at[name]:
        operand = np.asarray(arrays[zero_at[name]])
        zeros = int((operand == 0).sum())
        negatives = int((operand < 0).sum()) if operand.dtype.kind != "c" else 0
        source = _origin(ctx.parents[zero_at[name]], lang)
        if name in _DIVISIONS and zeros:
            return ("division_by_zero", phrase("anomaly.division_by_zero.seen", lang, count=zeros, source=source),
                    phrase("anomaly.division_by_zero.fix", lang))
        if name in _LOGS and (zeros or negatives):
            return ("log_of_zero", phrase("anomaly.log_of_zero.seen", lang, count=zeros + negatives, source=source),
                    phrase("anomaly.log_of_zero.fix", lang))
        if name in ("Sqrt", "Rsqrt") and negatives:
            return ("sqrt_negative", phrase("anomaly.sqrt_negative.why", lang, count=negatives),
                    phrase("anomaly.sqrt_negative.fix", lang))
        if name in ("Sqrt", "Rsqrt") and zeros:
            return ("sqrt_at_zero", phrase("anomaly.sqrt_at_zero.seen", lang, count=zeros, source=source),
                    phrase("anomaly.sqrt_at_zero.fix", lang))
    if overflowed:
        floats = [np.asarray(a) for a in arrays if _is_float(a) and np.asarray(a).size]
        high = max((float(np.max(np.abs(a))) for a in floats), default=0.0)
        dtype = floats[0].dtype.name if floats else "float32"
        return ("overflow", phrase("anomaly.overflow.why", lang, dtype=dtype, high=_number(high)),
                phrase("anomaly.overflow.fix", lang))
    return None, "", None


# ----------------------------------------------------------------------------- the error


class AnomalyError(FloatingPointError, RuntimeError):
    """An op's forward or backward produced NaN or ±Inf in anomaly mode.

    A ``FloatingPointError`` as NumPy raises for a floating-point problem under ``np.seterr(all="raise")``,
    and a ``RuntimeError`` as PyTorch's anomaly mode raises, so that code catching either catches this.
    ``op`` is the op's name, ``phase`` ``"forward"`` or ``"backward"``, ``where`` the user's
    :class:`Location` (None when unknown), ``rule`` the known hazard (``"log_softmax"``...; None when
    none is known) and ``fix`` the stable alternative's text (None when none is known).

    >>> issubclass(AnomalyError, FloatingPointError) and issubclass(AnomalyError, RuntimeError)
    True
    """

    def __init__(self, lines: list[str], op: str, phase: str, where: Location | None, rule: str | None,
                 fix: str | None) -> None:
        super().__init__("\n".join(lines))
        self.lines, self.op, self.phase, self.where, self.rule, self.fix = lines, op, phase, where, rule, fix

    def __reduce__(self) -> tuple[Any, ...]:  # so that it crosses process boundaries whole
        return type(self), (self.lines, self.op, self.phase, self.where, self.rule, self.fix)

    @property
    def summary(self) -> str:
        """The message on one line (for the command line's single ``error:`` line)."""
        return "; ".join(line.strip() for line in self.lines)


def _raise(lang: str, headline: str, ctx: Context, place_key: str, ranges: list[str], rule: str | None,
           why: str, fix: str | None, phase: str, rule_text: str | None = None) -> None:
    lines = [f"{phrase('anomaly.title', lang)}: {headline}",
             "  " + phrase(place_key, lang, op=ctx.name, place=_place(ctx, lang))]
    if rule_text:
        lines.append("  " + phrase("anomaly.gradient_rule", lang, rule=rule_text))
    lines += ["  " + text for text in ranges]
    if why:
        lines.append("  " + phrase("anomaly.why", lang, text=why))
    lines.append("  " + (phrase("anomaly.fix", lang, text=fix) if fix else phrase("anomaly.no_fix", lang)))
    raise AnomalyError(lines, ctx.name, phase, ctx.anomaly_where, rule, fix)


def _input_arrays(ctx: Context) -> list[Any]:
    """The forward inputs' arrays (None for one whose values backward already freed)."""
    from .autograd import is_freed

    return [None if is_freed(p) else p._data for p in ctx.parents]


def _has_non_finite_constant(attrs: dict[str, Any]) -> bool:
    return any(isinstance(v, float) and not np.isfinite(v) for v in attrs.values())


class _AnomalyMode:
    """What ``Function.apply`` and the backward walk call instead of the op while anomaly mode is on."""

    __slots__ = ("check_nan", "lang")

    def __init__(self, check_nan: bool, lang: str) -> None:
        self.check_nan, self.lang = check_nan, lang

    def forward(self, fn: Any, ctx: Context, tensors: tuple[Any, ...], attrs: dict[str, Any]) -> Any:
        """Record where the op was applied, run its forward quietly, and raise if it made NaN or a new ±Inf."""
        ctx.anomaly_where = user_location()
        arrays = [t._data for t in tensors]
        if not self.check_nan:
            return fn.forward(ctx, *arrays, **attrs)
        with np.errstate(all="ignore"):
            out = fn.forward(ctx, *arrays, **attrs)
            if not _is_float(out) or _all_finite(out):
                return out
            self._forward_anomaly(ctx, arrays, attrs, out)
        return out

    def _forward_anomaly(self, ctx: Context, arrays: list[Any], attrs: dict[str, Any], out: np.ndarray) -> None:
        magnitudes = np.abs(out) if out.dtype.kind == "c" else out
        inputs_infinite = any(_is_float(a) and np.isinf(a).any() for a in arrays)
        if not np.isnan(magnitudes).any() and (inputs_infinite or _has_non_finite_constant(attrs)):
            return  # an infinity passed on from an input (a -inf mask), not made here
        lang = self.lang
        what, count = _what(out, lang)
        overflowed = bool(np.isinf(magnitudes).any())
        rule, why, fix = _explanation(ctx, arrays, hazard_of(ctx), overflowed, lang)
        ranges = [_describe_values(phrase("anomaly.role_input", lang, index=k), a, lang) for k, a in enumerate(arrays)]
        headline = phrase("anomaly.forward", lang, op=ctx.name, what=what, count=count, size=out.size)
        _raise(lang, headline, ctx, "anomaly.applied_at", ranges, rule, why, fix, "forward")

    def backward(self, ctx: Context, grad: np.ndarray) -> Any:
        """Run the op's backward quietly and raise if a gradient it returned holds NaN or ±Inf."""
        with np.errstate(all="ignore"):
            input_grads = ctx.fn.backward(ctx, grad)
            if not self.check_nan:
                return input_grads
            returned = input_grads if isinstance(input_grads, tuple) else (input_grads,)
            needs = ctx.needs_input_grad
            for k, g in enumerate(returned):
                if g is None or (k < len(needs) and not needs[k]):
                    continue
                array = g if isinstance(g, np.ndarray) else np.asarray(g)
                if _is_float(array) and not _all_finite(array):
                    self._backward_anomaly(ctx, grad, k, array)
        return input_grads

    def _backward_anomaly(self, ctx: Context, grad: np.ndarray, index: int, array: np.ndarray) -> None:
        from .rules import rule_of

        lang = self.lang
        arrays = _input_arrays(ctx)
        what, count = _what(array, lang)
        if _is_float(grad) and not _all_finite(grad):
            rule, why, fix = ("gradient_in", phrase("anomaly.gradient_in.why", lang),
                              phrase("anomaly.gradient_in.fix", lang))
        else:
            known = [a for a in arrays if a is not None]
            rule, why, fix = _explanation(ctx, known if len(known) == len(arrays) else [], hazard_of(ctx),
                                          bool(np.isinf(array).any()), lang)
        ranges = [_describe_values(phrase("anomaly.role_gradient", lang), grad, lang)]
        ranges += [_describe_values(phrase("anomaly.role_input", lang, index=k), a, lang)
                   for k, a in enumerate(arrays) if a is not None]
        stated = rule_of(ctx.fn)
        headline = phrase("anomaly.backward", lang, op=ctx.name, what=what, index=index, count=count,
                          size=array.size)
        _raise(lang, headline, ctx, "anomaly.created_at", ranges, rule, why, fix, "backward",
               stated.rule if stated is not None else None)


# ----------------------------------------------------------------------------- switching the mode


def _language(lang: str | None) -> str:
    if lang is None:
        lang = os.environ.get(ENVIRONMENT_LANGUAGE, "").strip() or "en"
    return check_language(lang)


def _install(mode: _AnomalyMode | None) -> _AnomalyMode | None:
    from . import autograd

    previous, autograd._anomaly = autograd._anomaly, mode
    return previous


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode is on (PyTorch's ``torch.is_anomaly_enabled``).

    >>> import tinygrad_vn as tg
    >>> with tg.detect_anomaly():
    ...     print(tg.is_anomaly_enabled())
    True
    """
    from . import autograd

    return autograd._anomaly is not None


def _checked_flag(value: Any, what: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} takes True or False, not {type(value).__name__} {value!r}")
    return bool(value)


class detect_anomaly(contextlib.ContextDecorator):
    """A block (or decorated function) in which the first op to produce NaN or ±Inf raises :class:`AnomalyError`.

    As PyTorch's ``torch.autograd.detect_anomaly``: each op records the user's line that applied it, and
    forward and backward results are checked. ``check_nan=False`` records the lines only (for
    :func:`lint` and for error messages), checking nothing. ``lang`` chooses the messages' language
    (default: ``$TINYGRAD_VN_LANG``, else English). The mode that was on before comes back at the end.

    >>> import tinygrad_vn as tg
    >>> x = tg.tensor([0.0, 1.0], requires_grad=True)
    >>> with tg.detect_anomaly():
    ...     x.log()
    Traceback (most recent call last):
    ...
    tinygrad_vn.anomaly.AnomalyError: anomaly: Log produced −Inf in the forward pass (1 of 2 values)
    ...
    """

    def __init__(self, check_nan: bool = True, lang: str | None = None) -> None:
        self.mode = _AnomalyMode(_checked_flag(check_nan, "detect_anomaly(check_nan=...)"), _language(lang))
        self.saved: list[_AnomalyMode | None] = []

    def __enter__(self) -> detect_anomaly:
        self.saved.append(_install(self.mode))
        return self

    def __exit__(self, *exc: object) -> None:
        _install(self.saved.pop())


class set_detect_anomaly:
    """Turn anomaly mode on or off at once (PyTorch's ``torch.autograd.set_detect_anomaly``).

    Called as a function the change lasts; used as a context manager the previous mode comes back
    when the block ends.

    >>> import tinygrad_vn as tg
    >>> with tg.set_detect_anomaly(True):
    ...     print(tg.is_anomaly_enabled())
    True
    >>> tg.is_anomaly_enabled()
    False
    """

    def __init__(self, mode: bool, check_nan: bool = True, lang: str | None = None) -> None:
        on = _checked_flag(mode, "set_detect_anomaly")
        new = _AnomalyMode(_checked_flag(check_nan, "set_detect_anomaly(check_nan=...)"), _language(lang)) \
            if on else None
        self.previous = _install(new)

    def __enter__(self) -> set_detect_anomaly:
        return self

    def __exit__(self, *exc: object) -> None:
        _install(self.previous)


def enable_from_environment(environ: dict[str, str] | None = None) -> bool:
    """Turn anomaly mode on when ``TINYGRAD_VN_ANOMALY`` says so (1/true/on/yes); return whether it did.

    Any other value than those or 0/false/off/no is refused with a ValueError naming the variable.

    >>> enable_from_environment({"TINYGRAD_VN_ANOMALY": "0"})
    False
    """
    value = (os.environ if environ is None else environ).get(ENVIRONMENT_SWITCH, "").strip().lower()
    if value in _OFF:
        return False
    if value not in _ON:
        raise ValueError(f"{ENVIRONMENT_SWITCH}={value!r}: use 1 to turn anomaly mode on, or 0 (or leave it unset)")
    set_detect_anomaly(True, lang=(environ or os.environ).get(ENVIRONMENT_LANGUAGE) or None)
    return True


# ----------------------------------------------------------------------------- lint


@dataclass(frozen=True)
class Finding:
    """One known-unstable composition in a graph: the op, its dag name and formula, where, why, and the fix."""

    op: str
    rule: str
    tensor: str
    formula: str | None
    where: Location | None
    why: str
    fix: str
    lang: str = "en"

    def __str__(self) -> str:
        head = f"{self.op}: {self.formula or self.tensor}"
        place = phrase("anomaly.lint.where", self.lang, place=self.where.text(self.lang)) if self.where is not None \
            else phrase("anomaly.lint.where_unknown", self.lang)
        return "\n".join([head, "   " + place, "   " + phrase("anomaly.why", self.lang, text=self.why),
                          "   " + phrase("anomaly.fix", self.lang, text=self.fix)])


class LintReport(list):  # type: ignore[type-arg]
    """The findings of :func:`lint` (a list, empty for a clean graph) with a readable text form (``str()``)."""

    def __init__(self, findings: Sequence[Finding], lang: str) -> None:
        super().__init__(findings)
        self.lang = lang

    @property
    def text(self) -> str:
        """Every finding, numbered, under a header that counts them (or one line for a clean graph)."""
        if not self:
            return phrase("anomaly.lint.clean", self.lang)
        lines = [phrase("anomaly.lint.header", self.lang, count=len(self))]
        for number, finding in enumerate(self, start=1):
            lines.append(f"{number}. {finding}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text


def _lint_why(hazard: Hazard, operand: str, lang: str) -> str:
    if hazard.rule in ("division_by_zero", "log_of_zero", "sqrt_at_zero"):
        return phrase(f"anomaly.{hazard.rule}.why", lang, operand=operand, source=hazard.source)
    return phrase(f"anomaly.{hazard.rule}.why", lang)


def _lint_fix(rule: str, lang: str) -> str:
    return phrase("anomaly.exp_fix" if rule == "exp_unshifted" else f"anomaly.{rule}.fix", lang)


def lint(loss: Any, lang: str | None = None) -> LintReport:
    """The known-unstable compositions in the graph recorded behind ``loss``, found without running anything.

    Flags a log of a softmax (use ``log_softmax``), a sigmoid fed to binary cross-entropy (use
    ``binary_cross_entropy_with_logits``), a log of a sigmoid, an ``exp`` summed or divided without
    subtracting the max first (a softmax by hand), and a division, log or square root of something
    that can be exactly 0 (a sum of ReLUs, an ``abs``, a square). Each :class:`Finding` names the
    op, the tensor by the names ``tg.explain`` uses, and the user's line when the graph was recorded
    in anomaly mode. Fused ops (``cross_entropy``, ``log_softmax``) are clean.

    >>> import tinygrad_vn as tg
    >>> z = tg.tensor([[1.0, 2.0]], requires_grad=True)
    >>> report = tg.lint(z.softmax(-1).log().sum())
    >>> [finding.rule for finding in report]
    ['log_softmax']
    >>> tg.lint(z.log_softmax(-1).sum())
    []
    """
    from .dag import build

    if not hasattr(type(loss), "_from_op"):
        raise TypeError(f"tg.lint needs a Tensor (a loss computed with requires_grad), got {type(loss).__name__}")
    lang = _language(lang)
    graph = build(loss)
    findings = []
    for op in graph.ops:
        hazard = hazard_of(op.ctx, [user.ctx for user in graph.consumers[id(op.output)]])
        if hazard is None:
            continue
        operand = graph.name(hazard.operand) if id(hazard.operand) in graph.position else "?"
        findings.append(Finding(op.name, hazard.rule, graph.name(op.output), graph.formula(op), op.ctx.anomaly_where,
                                _lint_why(hazard, operand, lang), _lint_fix(hazard.rule, lang), lang))
    return LintReport(findings, lang)

