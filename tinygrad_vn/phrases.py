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
    "anomaly.title": ("anomaly", "bất thường"),
    "anomaly.forward": ("{op} produced {what} in the forward pass ({count} of {size} values)",
                        "{op} tạo ra {what} ở lượt truyền xuôi ({count} trên {size} giá trị)"),
    "anomaly.backward": ("the backward of {op} produced {what} in the gradient of its input {index} "
                         "({count} of {size} values)",
                         "lượt lan truyền ngược qua {op} tạo ra {what} trong gradient của đầu vào {index} "
                         "({count} trên {size} giá trị)"),
    "anomaly.applied_at": ("applied at {place}", "được gọi tại {place}"),
    "anomaly.created_at": ("that {op} was applied at {place}", "phép {op} đó được gọi tại {place}"),
    "anomaly.place_unknown": ("an unknown line (the op was recorded while anomaly mode was off; run the forward "
                              "pass inside tg.detect_anomaly() as well)",
                              "một dòng không rõ (phép toán được ghi lại khi chế độ phát hiện bất thường đang tắt; "
                              "hãy chạy cả lượt truyền xuôi bên trong tg.detect_anomaly())"),
    "anomaly.gradient_rule": ("its gradient rule: {rule}", "quy tắc gradient của nó: {rule}"),
    "anomaly.range": ("{role} ({shape}): min {low}, max {high}",
                      "{role} ({shape}): nhỏ nhất {low}, lớn nhất {high}"),
    "anomaly.range_empty": ("{role} ({shape}): no numbers to show", "{role} ({shape}): không có số nào để hiện"),
    "anomaly.range_all_nan": ("{role} ({shape}): every value is NaN", "{role} ({shape}): mọi giá trị đều là NaN"),
    "anomaly.held_nan": ("already held NaN at {count} position(s)", "đã chứa NaN ở {count} vị trí"),
    "anomaly.held_inf": ("already held ±Inf at {count} position(s)", "đã chứa ±Inf ở {count} vị trí"),
    "anomaly.and": ("{first} and {second}", "{first} và {second}"),
    "anomaly.role_input": ("input {index}", "đầu vào {index}"),
    "anomaly.role_gradient": ("gradient arriving at its output", "gradient đi tới đầu ra của nó"),
    "anomaly.why": ("why: {text}", "lý do: {text}"),
    "anomaly.fix": ("fix: {text}", "cách sửa: {text}"),
    "anomaly.no_fix": ("fix: no stable alternative is known for this op; look at the ranges of its inputs above",
                       "cách sửa: chưa biết cách viết ổn định nào thay cho phép toán này; hãy xem khoảng giá trị "
                       "của các đầu vào ở trên"),
    "anomaly.location": ("{file}:{line} in {function}", "{file}:{line}, trong {function}"),
    "anomaly.source_leaf": ("a leaf tensor: data, a constant or a parameter",
                            "một tensor lá: dữ liệu, hằng số hoặc tham số"),
    "anomaly.source_at": ("{ops}, applied at {place}", "{ops}, được gọi tại {place}"),
    "anomaly.from_outside.why": ("an input already held NaN or ±Inf before this op, so it came from outside what "
                                 "anomaly mode checked: the data, a parameter that an optimizer step turned NaN, or "
                                 "ops run before the mode was on",
                                 "một đầu vào đã chứa NaN hoặc ±Inf trước phép toán này, tức là nó đến từ bên ngoài "
                                 "phần mà chế độ phát hiện bất thường kiểm tra: dữ liệu, một tham số bị bước cập "
                                 "nhật của optimizer biến thành NaN, hoặc các phép toán chạy trước khi bật chế độ"),
    "anomaly.from_outside.fix": ("check the data with np.isfinite; if a parameter turned NaN after a step, lower the "
                                 "learning rate",
                                 "kiểm tra dữ liệu bằng np.isfinite; nếu một tham số thành NaN sau một bước cập "
                                 "nhật, hãy giảm tốc độ học"),
    "anomaly.gradient_in.why": ("the gradient arriving at its output already held NaN or ±Inf (the gradient given "
                                "to backward(), or one a gradient hook returned)",
                                "gradient đi tới đầu ra của nó đã chứa NaN hoặc ±Inf (gradient truyền cho "
                                "backward(), hoặc gradient do một hook trả về)"),
    "anomaly.gradient_in.fix": ("check the gradient passed to backward(grad=...) and what the gradient hooks return",
                                "kiểm tra gradient truyền vào backward(grad=...) và giá trị mà các hook gradient "
                                "trả về"),
    "anomaly.log_softmax.why": ("log of a softmax: a probability that underflows to 0 gives log 0 = −Inf",
                                "log của softmax: một xác suất bị tràn dưới về 0 cho log 0 = −Inf"),
    "anomaly.log_softmax.fix": ("use log_softmax(x, dim) on the logits (or cross_entropy, which takes the logits), "
                                "which never forms that 0",
                                "dùng log_softmax(x, dim) trên các logit (hoặc cross_entropy, hàm nhận thẳng logit); "
                                "cách này không bao giờ tạo ra số 0 đó"),
    "anomaly.bce_sigmoid.why": ("binary cross-entropy of a sigmoid: once σ saturates at 0 or 1 the log is clamped "
                                "and the gradient vanishes",
                                "entropy chéo nhị phân của một sigmoid: khi σ bão hoà ở 0 hoặc 1, log bị chặn và "
                                "gradient triệt tiêu"),
    "anomaly.bce_sigmoid.fix": ("drop the sigmoid and pass the logits z to binary_cross_entropy_with_logits(z, y)",
                                "bỏ sigmoid và đưa thẳng logit z vào binary_cross_entropy_with_logits(z, y)"),
    "anomaly.log_sigmoid.why": ("log of a sigmoid (or of 1 − sigmoid): σ saturates at 0 or 1 and the log reaches "
                                "log 0 = −Inf",
                                "log của sigmoid (hoặc của 1 − sigmoid): σ bão hoà ở 0 hoặc 1 nên log chạm tới "
                                "log 0 = −Inf"),
    "anomaly.log_sigmoid.fix": ("for a loss, binary_cross_entropy_with_logits(z, y); otherwise write log σ(z) as "
                                "−softplus(−z) and log(1 − σ(z)) as −softplus(z)",
                                "với hàm mất mát, dùng binary_cross_entropy_with_logits(z, y); còn không thì viết "
                                "log σ(z) thành −softplus(−z) và log(1 − σ(z)) thành −softplus(z)"),
    "anomaly.exp_overflow.why": ("exp overflows: its largest input was {high}, and eˣ passes the largest {dtype} "
                                 "once x is above {limit}",
                                 "exp bị tràn số: đầu vào lớn nhất của nó là {high}, mà eˣ vượt quá số {dtype} lớn "
                                 "nhất khi x lớn hơn {limit}"),
    "anomaly.exp_unshifted.why": ("exp of an input not shifted by its max, then summed or divided (a softmax "
                                  "written by hand): it overflows once an input passes about 88 in float32",
                                  "exp của một đầu vào chưa trừ đi giá trị lớn nhất, rồi đem cộng hoặc chia (softmax "
                                  "tự viết): nó tràn số khi một đầu vào vượt quá khoảng 88 với float32"),
    "anomaly.exp_fix": ("subtract the max first, x − x.amax(dim, keepdim=True), as softmax and logsumexp do (or use "
                        "softmax, log_softmax or logsumexp)",
                        "trừ đi giá trị lớn nhất trước, x − x.amax(dim, keepdim=True), như softmax và logsumexp vẫn "
                        "làm (hoặc dùng luôn softmax, log_softmax hay logsumexp)"),
    "anomaly.division_by_zero.why": ("division by {operand}, which can be exactly 0 (it comes from {source})",
                                     "phép chia cho {operand}, đại lượng có thể bằng đúng 0 (nó đến từ {source})"),
    "anomaly.division_by_zero.seen": ("the divisor was 0 at {count} position(s) (it comes from {source})",
                                      "số chia bằng 0 tại {count} vị trí (nó đến từ {source})"),
    "anomaly.division_by_zero.fix": ("keep the divisor away from 0: add a small epsilon, x / (d + 1e-8), or clamp "
                                     "it, d.clamp(min=1e-8)",
                                     "giữ số chia tránh xa 0: cộng thêm một epsilon nhỏ, x / (d + 1e-8), hoặc chặn "
                                     "dưới nó, d.clamp(min=1e-8)"),
    "anomaly.log_of_zero.why": ("log of {operand}, which can be exactly 0 (it comes from {source}): log 0 = −Inf",
                                "log của {operand}, đại lượng có thể bằng đúng 0 (nó đến từ {source}): log 0 = −Inf"),
    "anomaly.log_of_zero.seen": ("the log's input was 0 or below at {count} position(s) (it comes from {source}): "
                                 "log 0 = −Inf and the log of a negative number is NaN",
                                 "đầu vào của log đã chạm 0 hoặc xuống dưới 0 ở {count} vị trí (nó đến từ "
                                 "{source}): log 0 = −Inf còn log của một số âm là NaN"),
    "anomaly.log_of_zero.fix": ("keep the input above 0: add a small epsilon, log(p + 1e-8), or clamp it, "
                                "p.clamp(min=1e-8)",
                                "giữ đầu vào lớn hơn 0: cộng thêm một epsilon nhỏ, log(p + 1e-8), hoặc chặn dưới "
                                "nó, p.clamp(min=1e-8)"),
    "anomaly.sqrt_at_zero.why": ("square root of {operand}, which can be exactly 0 (it comes from {source}): the "
                                 "gradient 1 / (2√x) is infinite there",
                                 "căn bậc hai của {operand}, đại lượng có thể bằng đúng 0 (nó đến từ {source}): "
                                 "gradient 1 / (2√x) tại đó là vô cùng"),
    "anomaly.sqrt_at_zero.seen": ("the square root was taken at 0 at {count} position(s) (its input comes from "
                                  "{source}), where its gradient 1 / (2√x) is infinite",
                                  "căn bậc hai được lấy tại 0 ở {count} vị trí (đầu vào của nó đến từ {source}), "
                                  "nơi gradient 1 / (2√x) là vô cùng"),
    "anomaly.sqrt_at_zero.fix": ("add a small epsilon inside the root, (s + 1e-12).sqrt(), or use x.norm(), whose "
                                 "gradient at 0 is taken as 0",
                                 "cộng một epsilon nhỏ vào trong căn, (s + 1e-12).sqrt(), hoặc dùng x.norm(), hàm "
                                 "có gradient tại 0 được lấy bằng 0"),
    "anomaly.sqrt_negative.why": ("the square root of a negative number is NaN: {count} input value(s) were below 0",
                                  "căn bậc hai của một số âm là NaN: có {count} giá trị đầu vào nhỏ hơn 0"),
    "anomaly.sqrt_negative.fix": ("make sure the input cannot go below 0 (a variance computed by hand can, by "
                                  "rounding), or clamp it, v.clamp(min=0)",
                                  "bảo đảm đầu vào không thể xuống dưới 0 (phương sai tự tính có thể bị như vậy do "
                                  "làm tròn), hoặc chặn dưới nó, v.clamp(min=0)"),
    "anomaly.overflow.why": ("the result grew past the largest {dtype} from finite inputs (the largest |input| was "
                             "{high})",
                             "kết quả vượt quá số {dtype} lớn nhất dù các đầu vào đều hữu hạn (|đầu vào| lớn nhất là "
                             "{high})"),
    "anomaly.overflow.fix": ("values this large usually mean training diverged: lower the learning rate, or "
                             "normalise the inputs",
                             "giá trị lớn như vậy thường có nghĩa là quá trình huấn luyện đã phân kỳ: hãy giảm tốc độ "
                             "học, hoặc chuẩn hoá đầu vào"),
    "anomaly.lint.where": ("at {place}", "tại {place}"),
    "anomaly.lint.where_unknown": ("line not recorded (build the graph inside tg.detect_anomaly(check_nan=False) to "
                                   "see it)",
                                   "chưa ghi lại dòng lệnh (hãy dựng đồ thị bên trong "
                                   "tg.detect_anomaly(check_nan=False) để thấy nó)"),
    "anomaly.lint.clean": ("tg.lint: no known unstable composition in this graph",
                           "tg.lint: không có tổ hợp kém ổn định nào đã biết trong đồ thị này"),
    "anomaly.lint.header": ("tg.lint: {count} known unstable composition(s) in this graph",
                            "tg.lint: {count} tổ hợp kém ổn định đã biết trong đồ thị này"),
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
