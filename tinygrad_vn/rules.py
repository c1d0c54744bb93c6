"""Each op's formulas, read from the one place they are written: the first line of its docstring.

Every op in :mod:`tinygrad_vn.ops` opens its docstring with ``forward; gradient rule`` in the course
notes' notation, e.g. ``"A = σ(Z); dZ = dA ⊙ A ⊙ (1 − A)."`` or ``"C = A · B; dA = dC · Bᵀ, dB = Aᵀ · dC."``.
The letters are placeholders: the left side of the forward names the output, and each ``dX = …``
part of the rule names one input, in argument order. :mod:`tinygrad_vn.viz` and
:mod:`tinygrad_vn.explain` show these rules with the graph's own names filled in, so the math is
never written a second time. An op that states no rule this way (a user's ``Function`` without such
a docstring, or any op under ``python -OO``) still draws and explains, with a generic label.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from . import phrases

REMARK_PREFIX = "explain.rule."

# Characters that continue a name: a placeholder is only replaced where none stands beside it.
_NAME_CHARS = r"A-Za-z0-9_\u00C0-\u024F\u0300-\u036F\u0370-\u03FF"
_RULE_PART_START = re.compile(r",\s+(?=d\S+ = )")
_RULE_PART = re.compile(r"^d(\S+) = (.+)$")
_REMARK = re.compile(r"\s+\((?:[A-Za-z]+ )+[A-Za-z][^()]*\)$")
_RST_LITERAL = re.compile(r"``([^`]*)``")


@dataclass(frozen=True)
class OpRule:
    """An op's forward formula and gradient rule, with its placeholders.

    ``forward`` is the formula without remarks (``"C = A · B"``); ``rule`` the rule as written;
    ``output`` is the output's placeholder (``"A"`` for Sigmoid); ``inputs`` holds one placeholder per
    input that the rule covers, in argument order; ``gradients`` the right-hand side of each of their
    ``dX = …`` parts (without trailing remarks such as "(summed over broadcast axes)").
    """

    forward: str
    rule: str
    output: str | None
    inputs: tuple[str, ...]
    gradients: tuple[str, ...]


@cache
def rule_of(fn: type, lang: str = "en") -> OpRule | None:
    """The formulas stated by ``fn``'s docstring, or ``None`` when it states none.

    With ``lang`` other than "en", the docstring's words (``over axis``, ``broadcast back over the
    averaged axes``) are translated through the phrase table; the symbols stay.

    >>> from tinygrad_vn.ops import Mean
    >>> rule_of(Mean).rule
    'dA = dM / n broadcast back over the averaged axes'
    >>> rule_of(Mean, "vi").forward
    'M = Σ A / n theo trục'
    """
    if lang != "en":
        english = rule_of(fn)
        if english is None:
            return None
        return OpRule(translate(english.forward, lang), translate(english.rule, lang), english.output,
                      english.inputs, tuple(translate(g, lang) for g in english.gradients))
    doc = fn.__dict__.get("__doc__")
    if not doc:
        return None
    first_line = " ".join(doc.strip().split("\n\n")[0].split())
    first_line = _RST_LITERAL.sub(r"\1", first_line).rstrip(".")
    forward, sep, rule = first_line.partition("; ")
    if not sep or " = " not in forward:
        return None
    forward = _REMARK.sub("", forward)
    output = forward.split(" = ", 1)[0].strip()
    inputs, gradients = [], []
    for part in _RULE_PART_START.split(rule):
        match = _RULE_PART.match(part.strip())
        if match is None:
            break
        inputs.append(match.group(1))
        gradients.append(_REMARK.sub("", match.group(2)).strip())
    return OpRule(forward, rule, output if " " not in output else None, tuple(inputs), tuple(gradients))


def fill_placeholders(text: str, names: Mapping[str, str]) -> str:
    """Replace whole-word placeholders in ``text`` (``X`` and its gradient ``dX``) in one pass."""
    if not names:
        return text
    return _placeholder_pattern(tuple(sorted(names, key=len, reverse=True))).sub(
        lambda m: m.group(1) + names[m.group(2)], text)


@cache
def _placeholder_pattern(placeholders: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(map(re.escape, placeholders))
    return re.compile(rf"(?<![{_NAME_CHARS}])(d?)({alternatives})(?![{_NAME_CHARS}])")


def translate(text: str, lang: str) -> str:
    """``text`` (an op's rule) with each English remark of the phrase table replaced by its ``lang`` text.

    >>> translate("S = Σ A over axis", "vi")
    'S = Σ A theo trục'
    """
    if lang == "en":
        return text
    for english, translated in _remarks(lang):
        if english in text:
            text = text.replace(english, translated)
    return text


@cache
def _remarks(lang: str) -> tuple[tuple[str, str], ...]:
    phrases.check_language(lang)
    pairs = [(texts["en"], texts[lang]) for key, texts in phrases.PHRASES.items() if key.startswith(REMARK_PREFIX)]
    return tuple(sorted(pairs, key=lambda pair: len(pair[0]), reverse=True))
