"""The one table of phrases that the teaching features write, English and Vietnamese side by side.

Every word that :func:`tinygrad_vn.explain`, the drawings, the animation, the worksheets, anomaly
messages and the teaching commands' help show comes from here, so a translation is complete when this
table is. Each entry maps a key to ``(English, Vietnamese)``; ``{name}`` fields are filled in by
:func:`phrase`. A teacher adds another language with :func:`add_language`, which refuses a table that
misses a key or a field.

>>> phrase("phrases.example", "vi", count=3)
'3 ví dụ'
>>> phrase("phrases.example", count=1)
'1 example'
"""

from __future__ import annotations

import string
from collections.abc import Mapping

# Each feature keeps its phrases in its own block; PHRASES below is their union.
_GENERAL: dict[str, tuple[str, str]] = {
    "phrases.example": ("{count} example", "{count} ví dụ"),
}

_EXPLAIN: dict[str, tuple[str, str]] = {
}

_DRAWINGS: dict[str, tuple[str, str]] = {
}

_ANIMATION: dict[str, tuple[str, str]] = {
}

_WORKSHEETS: dict[str, tuple[str, str]] = {
}

_ANOMALY: dict[str, tuple[str, str]] = {
}

_COMMANDS: dict[str, tuple[str, str]] = {
}

_BLOCKS = (_GENERAL, _EXPLAIN, _DRAWINGS, _ANIMATION, _WORKSHEETS, _ANOMALY, _COMMANDS)

BUILT_IN_LANGUAGES = ("en", "vi")


def _union(blocks: tuple[dict[str, tuple[str, str]], ...]) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for block in blocks:
        for key, texts in block.items():
            if key in table:
                raise RuntimeError(f"phrase key {key!r} is defined twice")
            table[key] = dict(zip(BUILT_IN_LANGUAGES, texts, strict=True))
    return table


PHRASES: dict[str, dict[str, str]] = _union(_BLOCKS)
"""key -> {language code -> text}; English and Vietnamese for every key, other languages as added."""


def languages() -> tuple[str, ...]:
    """The language codes every phrase has: the built-in ones and any added with :func:`add_language`.

    >>> languages()[:2]
    ('en', 'vi')
    """
    codes = set.intersection(*(set(texts) for texts in PHRASES.values()))
    return tuple(sorted(codes, key=lambda code: (code not in BUILT_IN_LANGUAGES, code)))


def check_language(lang: str) -> str:
    """``lang`` itself when every phrase has it, else a ValueError naming the languages there are.

    >>> check_language("vi")
    'vi'
    """
    if lang not in languages():
        raise ValueError(f"lang must be one of {', '.join(map(repr, languages()))}, got {lang!r}")
    return lang


def phrase(key: str, lang: str = "en", **fields: object) -> str:
    """The phrase ``key`` in ``lang`` with its ``{fields}`` filled in.

    >>> phrase("phrases.example", "en", count=2)
    '2 example'
    """
    check_language(lang)
    if key not in PHRASES:
        raise KeyError(f"no phrase {key!r} in the phrase table")
    text = PHRASES[key][lang]
    try:
        return text.format(**fields)
    except KeyError as missing:
        raise KeyError(f"phrase {key!r} needs the field {missing.args[0]!r}") from None


def _fields_of(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def missing_translations(lang: str) -> list[str]:
    """The keys that have no text in ``lang`` (empty when the language is complete).

    >>> missing_translations("vi")
    []
    """
    return sorted(key for key, texts in PHRASES.items() if not texts.get(lang))


def add_language(lang: str, translations: Mapping[str, str]) -> None:
    """Add the language ``lang`` from a mapping of every key to its text, with the same ``{fields}``.

    Refuses, naming them, keys that are missing or unknown and texts whose fields differ from English.

    >>> add_language("xx", {key: texts["en"] + "!" for key, texts in PHRASES.items()})
    >>> phrase("phrases.example", "xx", count=4)
    '4 example!'
    >>> remove_language("xx")
    """
    if not isinstance(lang, str) or not lang.isidentifier() or lang in BUILT_IN_LANGUAGES:
        raise ValueError(f"a new language needs a code such as 'fr' that is not built in, got {lang!r}")
    missing = sorted(set(PHRASES) - set(translations))
    unknown = sorted(set(translations) - set(PHRASES))
    if missing or unknown:
        raise ValueError(f"language {lang!r}: missing keys {missing[:5]}{' …' if len(missing) > 5 else ''}; "
                         f"unknown keys {unknown[:5]}{' …' if len(unknown) > 5 else ''}")
    mismatched = [key for key, text in translations.items()
                  if not isinstance(text, str) or _fields_of(text) != _fields_of(PHRASES[key]["en"])]
    if mismatched:
        raise ValueError(f"language {lang!r}: these texts must be strings with the same {{fields}} as the "
                         f"English: {mismatched[:5]}")
    for key, text in translations.items():
        PHRASES[key][lang] = text


def remove_language(lang: str) -> None:
    """Take back a language added with :func:`add_language` (the built-in ones stay).

    >>> remove_language("en")
    Traceback (most recent call last):
    ...
    ValueError: 'en' is built in and cannot be removed
    """
    if lang in BUILT_IN_LANGUAGES:
        raise ValueError(f"{lang!r} is built in and cannot be removed")
    for texts in PHRASES.values():
        texts.pop(lang, None)


def english_left_in(text: str, lang: str) -> list[str]:
    """The English phrases of the table (of three words or more) that appear in ``text``.

    A ``lang="vi"`` output should give ``[]``; the tests use this to find untranslated words.

    >>> english_left_in("3 ví dụ", "vi")
    []
    """
    check_language(lang)
    if lang == "en":
        return []
    found = []
    for texts in PHRASES.values():
        for piece in _literal_pieces(texts["en"]):
            if len(piece.split()) >= 3 and piece not in texts[lang] and piece in text:
                found.append(piece)
    return sorted(set(found))


def _literal_pieces(text: str) -> list[str]:
    return [literal.strip() for literal, _, _, _ in string.Formatter().parse(text) if literal.strip()]
