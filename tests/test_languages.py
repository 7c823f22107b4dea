import pytest

from host_engine.errors import UnsupportedLanguageError
from host_engine.languages import LANGUAGES, get_language, parse_language_list


def test_table_has_the_thirteen_languages_with_reading_rules():
    assert set(LANGUAGES) == {"en", "zh", "ja", "ko", "es", "pt", "fr", "de", "ar", "id", "ms", "th", "vi"}
    assert get_language("JA").max_line_chars < get_language("en").max_line_chars
    assert get_language("ja").error_unit == "char" and get_language("th").error_unit == "char"
    assert get_language("ar").rtl and get_language("pt").iso3 == "por"


def test_unknown_language_names_the_supported_ones():
    with pytest.raises(UnsupportedLanguageError, match="supported: en, zh"):
        get_language("xx")


def test_language_list_parsing_dedupes_and_validates():
    assert parse_language_list("es, pt,es") == ["es", "pt"]
    with pytest.raises(UnsupportedLanguageError):
        parse_language_list(" , ")
