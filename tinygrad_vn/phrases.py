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
    "animate.page_title": ("Backward, step by step: {loss}", "Lan truyền ngược từng bước: {loss}"),
    "animate.previous": ("◀ Previous", "◀ Bước trước"),
    "animate.next": ("Next ▶", "Bước sau ▶"),
    "animate.play": ("▶ Play", "▶ Chạy"),
    "animate.pause": ("❚❚ Pause", "❚❚ Tạm dừng"),
    "animate.slider": ("Step", "Bước"),
    "animate.show_forward": ("show the forward graph with its values beside it",
                             "hiện đồ thị lan truyền xuôi kèm các giá trị bên cạnh"),
    "animate.backward_graph": ("Backward: the gradients dX = ∂{loss}/∂X",
                               "Lan truyền ngược: các đạo hàm dX = ∂{loss}/∂X"),
    "animate.forward_graph": ("Forward: the values", "Lan truyền xuôi: các giá trị"),
    "animate.keys": ("Keys: ← and → go one step back and forward, Home and End go to the first and the last "
                     "frame, the space bar plays and pauses.",
                     "Phím: ← và → lùi và tiến một bước, Home và End về khung đầu và khung cuối, "
                     "phím cách để chạy hoặc tạm dừng."),
    "animate.legend_current": ("orange: the op applied at this step",
                               "màu cam: phép toán được áp dụng ở bước này"),
    "animate.legend_fresh": ("green border: a gradient this step computed",
                             "viền xanh lá: đạo hàm vừa tính ở bước này"),
    "animate.legend_partial": ("dashed border: a partial sum, more contributions are still to come",
                               "viền nét đứt: mới là tổng một phần, còn những phần đóng góp chưa cộng vào"),
    "animate.legend_pending": ("grey, with ?: not computed yet", "màu xám, có dấu ?: chưa được tính"),
    "animate.no_script": ("This page needs JavaScript to step through its frames.",
                          "Trang này cần JavaScript để xem lần lượt từng khung hình."),
    "animate.frame_seed_title": ("Frame 0 of {last}: the seed", "Khung 0/{last}: giá trị khởi đầu"),
    "animate.frame_seed": ("Nothing is computed yet. Backward starts at the loss with the seed "
                           "d{loss} = ∂{loss}/∂{loss} = 1.",
                           "Chưa có gì được tính. Lan truyền ngược bắt đầu từ hàm mất mát với giá trị khởi đầu "
                           "d{loss} = ∂{loss}/∂{loss} = 1."),
    "animate.frame_next": ("Next: step 1 applies {op}.", "Tiếp theo: bước 1 áp dụng {op}."),
    "animate.frame_step_title": ("Step {step} of {last}: {op}", "Bước {step}/{last}: {op}"),
    "animate.partial_sum": ("d{name} so far: the sum of {count} of its {total} contributions",
                            "d{name} đến lúc này: tổng của {count} trong {total} phần đóng góp"),
    "animate.complete_sum": ("d{name} is complete: the sum of all {total} contributions",
                             "d{name} đã đủ: tổng của cả {total} phần đóng góp"),
    "animate.finished": ("Backward is done: every gradient is computed.",
                         "Lan truyền ngược đã xong: mọi đạo hàm đều đã được tính."),
    "animate.collapsed": ("The graph has {ops} ops, so each module is drawn as one box.",
                          "Đồ thị có {ops} phép toán nên mỗi module được vẽ thành một khối."),
    "animate.module_box": ("{module}: {kind} (backward)", "{module}: {kind} (lan truyền ngược)"),
    "animate.scalar": ("scalar", "vô hướng"),
    "animate.cli_help": ("step through backward: an HTML page, numbered PNG frames or an animated GIF",
                         "xem lan truyền ngược từng bước: một trang HTML, các khung PNG đánh số hoặc một ảnh GIF động"),
    "animate.cli_description": (
        "Show an example's backward pass one step per frame (frame 0 is the seed dL = 1): the op applied "
        "highlighted, the gradients computed so far with their values, and the step's rule with its numbers. "
        "html writes one self-contained page (previous, next and play buttons, the arrow keys, a slider), png "
        "the numbered frames EXAMPLE_backprop_000.png, ..., gif one animated GIF (needs Pillow). The pictures "
        "need graphviz's `dot` program.",
        "Trình bày lan truyền ngược của một ví dụ, mỗi khung hình một bước (khung 0 là giá trị khởi đầu dL = 1): "
        "phép toán đang áp dụng được tô đậm, các đạo hàm đã tính kèm giá trị, và quy tắc của bước đó với các con "
        "số cụ thể. html ghi một trang độc lập (nút lùi, tiến, chạy, phím mũi tên, thanh trượt), png ghi các "
        "khung đánh số EXAMPLE_backprop_000.png, ..., gif ghi một ảnh GIF động (cần Pillow). Các hình vẽ cần "
        "chương trình `dot` của graphviz."),
    "animate.cli_example": ("the example network: {choices} (default {default})",
                            "mạng ví dụ: {choices} (mặc định {default})"),
    "animate.cli_layers": ("the MLP's layer sizes, comma-separated (default {default})",
                           "kích thước các lớp của MLP, cách nhau bởi dấu phẩy (mặc định {default})"),
    "animate.cli_format": ("what to write: html, png or gif (default html)",
                           "định dạng cần ghi: html, png hoặc gif (mặc định html)"),
    "animate.cli_out": ("the folder to write into (default: the current one)",
                        "thư mục để ghi vào (mặc định: thư mục hiện tại)"),
    "animate.cli_lang": ("the language of the frames and of this help, en or vi (default en); put it before "
                         "--help to read this help in that language",
                         "ngôn ngữ của các khung hình và của phần trợ giúp này, en hoặc vi (mặc định en); đặt nó "
                         "trước --help để đọc trợ giúp bằng ngôn ngữ đó"),
    "animate.cli_precision": ("significant digits of the numbers (default {default})",
                              "số chữ số có nghĩa của các con số (mặc định {default})"),
    "animate.cli_collapse": ("draw each module as one box (a network of more than {ops} ops is drawn so anyway)",
                             "vẽ mỗi module thành một khối (mạng có hơn {ops} phép toán luôn được vẽ như vậy)"),
    "animate.cli_delay": ("milliseconds per frame when playing and in the GIF (default {default})",
                          "số mili giây cho mỗi khung hình khi chạy và trong ảnh GIF (mặc định {default})"),
    "animate.cli_help_option": ("show this help and exit", "hiện phần trợ giúp này rồi thoát"),
    "animate.cli_usage": ("usage: ", "cách dùng: "),
    "animate.cli_options": ("options", "tùy chọn"),
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
