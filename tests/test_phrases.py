"""The phrase table: every phrase in every built-in language, and languages a teacher adds."""

import pytest

from tinygrad_vn import phrases


def test_every_phrase_has_english_and_vietnamese_with_the_same_fields():
    for key, texts in phrases.PHRASES.items():
        assert texts["en"].strip() and texts["vi"].strip(), key
        assert phrases._fields_of(texts["en"]) == phrases._fields_of(texts["vi"]), key


def test_vietnamese_is_complete():
    assert phrases.missing_translations("vi") == []


def test_phrase_fills_fields_and_refuses_unknown_keys_and_languages():
    assert phrases.phrase("phrases.example", "vi", count=7) == "7 ví dụ"
    with pytest.raises(KeyError, match="no phrase 'nope'"):
        phrases.phrase("nope")
    with pytest.raises(ValueError, match="lang must be one of 'en', 'vi', got 'fr'"):
        phrases.phrase("phrases.example", "fr", count=1)
    with pytest.raises(KeyError, match="needs the field 'count'"):
        phrases.phrase("phrases.example", "en")


def test_add_language_refuses_missing_keys_and_changed_fields():
    complete = {key: texts["en"] for key, texts in phrases.PHRASES.items()}
    with pytest.raises(ValueError, match="missing keys"):
        phrases.add_language("fr", {})
    with pytest.raises(ValueError, match=r"same \{fields\}"):
        phrases.add_language("fr", {**complete, "phrases.example": "exemple"})
    with pytest.raises(ValueError, match="not built in"):
        phrases.add_language("vi", complete)
    phrases.add_language("fr", {**complete, "phrases.example": "{count} exemple"})
    try:
        assert "fr" in phrases.languages()
        assert phrases.phrase("phrases.example", "fr", count=2) == "2 exemple"
    finally:
        phrases.remove_language("fr")
    assert "fr" not in phrases.languages()


def test_english_left_in_finds_untranslated_table_phrases():
    phrases.PHRASES["test.sentence"] = {"en": "summed over the batch axis", "vi": "tổng theo trục batch"}
    try:
        assert phrases.english_left_in("dB = dZ summed over the batch axis", "vi") == ["summed over the batch axis"]
        assert phrases.english_left_in("dB = dZ tổng theo trục batch", "vi") == []
    finally:
        del phrases.PHRASES["test.sentence"]
