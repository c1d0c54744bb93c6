"""Einstein summation: ``np.einsum`` forward, and each operand's gradient derived from the equation.

An equation names every axis of every operand with a letter (``"bij,bjk->bik"``); letters in the
output stay, the others are summed. The gradient of one operand is again an einsum: the output's
gradient contracted with the other operands, onto that operand's letters. Two cases need more than
that: a letter that appears in no other operand nor the output (``"ij->"``) was summed over inside the
operand alone, so its gradient is the same for every position along it (broadcast back); and a letter
repeated within one operand (``"ii->i"``) reads a diagonal, so the gradient lands on that diagonal and
is zero elsewhere. Size-1 sides broadcast against bigger ones, as in NumPy, and their gradients are
summed back.
"""

from __future__ import annotations

import string
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from ..autograd import Context, Function

LETTERS = string.ascii_letters
ELLIPSIS = "..."


class Equation(NamedTuple):
    """A parsed einsum equation: every operand's letters (ellipses written out) and the output's."""

    inputs: tuple[str, ...]
    output: str
    sizes: dict[str, int]

    @property
    def text(self) -> str:
        """The explicit equation that ``np.einsum`` runs."""
        return f"{','.join(self.inputs)}->{self.output}"


@lru_cache(maxsize=512)
def parse_equation(equation: str, shapes: tuple[tuple[int, ...], ...]) -> Equation:
    """Check ``equation`` against the operands' shapes and write it out in plain letters, PyTorch's rules.

    Spaces are ignored; without ``->`` the output is the ellipsis axes, then the letters used once, in
    alphabetical order (capitals first).
    """
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation must be a string, got {type(equation).__name__}")
    compact = equation.replace(" ", "")
    left, arrow, right = compact.partition("->")
    terms = left.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: the equation {equation!r} names {len(terms)} operand(s) but "
                         f"{len(shapes)} were given")
    parsed = [_split_term(equation, term, f"operand {k}") for k, term in enumerate(terms)]
    used = set(compact) & set(LETTERS)
    widest = 0
    for k, ((letters, has_ellipsis), shape) in enumerate(zip(parsed, shapes)):
        if len(letters) > len(shape) or (not has_ellipsis and len(letters) != len(shape)):
            raise ValueError(f"einsum: operand {k} has {len(shape)} dimensions but its subscripts "
                             f"{terms[k]!r} name {len(letters)}" + ("" if has_ellipsis else " and no '...' is given"))
        if has_ellipsis:
            widest = max(widest, len(shape) - len(letters))
    spare = [c for c in LETTERS if c not in used]
    if widest > len(spare):
        raise ValueError(f"einsum: the equation {equation!r} needs more than {len(LETTERS)} distinct axes")
    broadcast = "".join(spare[:widest])
    inputs = tuple(_written_out(letters, has_ellipsis, len(shape), broadcast)
                   for (letters, has_ellipsis), shape in zip(parsed, shapes))
    if arrow:
        out_letters, out_ellipsis = _split_term(equation, right, "the output")
        output = _written_out(out_letters, out_ellipsis, len(out_letters) + widest, broadcast)
        for c in output:
            if output.count(c) > 1:
                raise ValueError(f"einsum: output subscript {c!r} appears more than once in {equation!r}")
            if not any(c in term for term in inputs):
                raise ValueError(f"einsum: output subscript {c!r} appears in no operand of {equation!r}")
    else:
        counts = "".join(inputs)
        output = broadcast + "".join(sorted(c for c in set(counts) if c not in broadcast and counts.count(c) == 1))
    return Equation(inputs, output, _sizes(inputs, shapes))


def _split_term(equation: str, term: str, what: str) -> tuple[str, bool]:
    """A term's letters without its ellipsis, and whether it had one; refuse anything but letters and one '...'."""
    letters, found, rest = term.partition(ELLIPSIS)
    if ELLIPSIS in rest:
        raise ValueError(f"einsum: {what} in {equation!r} has more than one '...'")
    letters += rest
    for c in letters:
        if c not in LETTERS:
            raise ValueError(f"einsum: invalid subscript {c!r} for {what} in {equation!r}; subscripts are letters "
                             "a-z, A-Z, and one '...' per term")
    return letters, bool(found)


def _written_out(letters: str, has_ellipsis: bool, ndim: int, broadcast: str) -> str:
    """A term with its ellipsis replaced by the letters of the axes it covers (the last ones of ``broadcast``)."""
    if not has_ellipsis:
        return letters
    return broadcast[len(broadcast) - (ndim - len(letters)):] + letters


def _sizes(inputs: tuple[str, ...], shapes: tuple[tuple[int, ...], ...]) -> dict[str, int]:
    """Each letter's size over all operands; sides of 1 broadcast, other disagreements are refused."""
    sizes: dict[str, int] = {}
    for k, (term, shape) in enumerate(zip(inputs, shapes)):
        own: dict[str, int] = {}
        for c, n in zip(term, shape):
            if own.setdefault(c, n) != n:
                raise ValueError(f"einsum: subscript {c!r} is repeated in operand {k} over sides of different "
                                 f"sizes {own[c]} and {n}")
            seen = sizes.get(c)
            if seen is None or seen == 1:
                sizes[c] = n
            elif n not in (1, seen):
                raise ValueError(f"einsum: subscript {c!r} has size {n} in operand {k} but {seen} in an earlier "
                                 "operand (sizes must agree or be 1)")
    return sizes


def _contract(text: str, *arrays: np.ndarray) -> np.ndarray:
    """``np.einsum``, letting NumPy pick a BLAS-friendly contraction order when there are several operands."""
    return np.einsum(text, *arrays, optimize=len(arrays) > 1)


def operand_gradient(equation: Equation, grad: np.ndarray, arrays: tuple[np.ndarray, ...], k: int) -> np.ndarray:
    """The gradient of operand ``k`` from the output's gradient ``grad``, following the module docstring."""
    term, shape = equation.inputs[k], arrays[k].shape
    others = [j for j in range(len(arrays)) if j != k]
    elsewhere = set(equation.output).union(*[equation.inputs[j] for j in others])
    unique = list(dict.fromkeys(term))
    own_size = {c: shape[term.index(c)] for c in unique}
    kept = [c for c in unique if c in elsewhere and own_size[c] == equation.sizes[c]]
    text = ",".join([equation.output, *[equation.inputs[j] for j in others]]) + "->" + "".join(kept)
    part = _contract(text, grad, *[arrays[j] for j in others])
    unique_shape = tuple(own_size[c] for c in unique)
    if part.shape != unique_shape:  # summed-away letters, or sides that only size-1 operands had, spread back
        part = part.reshape([part.shape[kept.index(c)] if c in kept else 1 for c in unique])
        part = np.array(np.broadcast_to(part, unique_shape))
    if len(unique) == len(term):
        return part
    out = np.zeros(shape, dtype=part.dtype)
    positions = np.indices(unique_shape, sparse=True)
    out[tuple(positions[unique.index(c)] for c in term)] = part
    return out


class Einsum(Function):
    """Y = einsum(equation, A, B, …); dA = dY contracted with the other operands onto A's subscripts,
    dB = dY contracted with the other operands onto B's subscripts,
    dC = dY contracted with the other operands onto C's subscripts.

    Diagonals (a letter repeated in one operand) get the gradient on the diagonal, letters summed
    inside one operand alone get it spread back along them.

    Operands after the third follow the same rule.
    """

    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, equation: str = "") -> np.ndarray:
        parsed = parse_equation(equation, tuple(a.shape for a in arrays))
        ctx.equation = parsed
        if ctx.needs_input_grad:
            ctx.save_for_backward(*arrays)
        return np.asarray(_contract(parsed.text, *arrays))

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        arrays = ctx.saved
        return tuple([operand_gradient(ctx.equation, grad, arrays, k) if needed else None
                      for k, needed in enumerate(ctx.needs_input_grad)])
