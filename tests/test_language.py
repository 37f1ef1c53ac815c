from __future__ import annotations

import pytest

from dedupe_news.errors import MissingDependencyError
from dedupe_news.language import UNDETERMINED_SCRIPT, detect_language, dominant_script


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("Die Bundesregierung hat am Montag eine Reform der Rente beschlossen.", "Latn"),
        ("Центральный банк России повысил ключевую ставку.", "Cyrl"),
        ("Η κυβέρνηση ανακοίνωσε νέα μέτρα για την οικονομία.", "Grek"),
        ("أعلن البنك المركزي المصري رفع أسعار الفائدة.", "Arab"),
        ("הממשלה אישרה את התקציב החדש.", "Hebr"),
        ("国家统计局周三公布第三季度国内生产总值。", "Hani"),
        ("日本銀行はマイナス金利政策の解除を決めた。", "Jpan"),
        ("서울에서 정상회의가 열렸다.", "Kore"),
        ("รัฐบาลประกาศมาตรการใหม่", "Thai"),
        ("सरकार ने नई नीति की घोषणा की।", "Deva"),
        ("12 345 -- !!", UNDETERMINED_SCRIPT),
        ("", UNDETERMINED_SCRIPT),
    ],
)
def test_dominant_script(text, script):
    assert dominant_script(text) == script


def test_dominant_script_counts_letters_not_names_in_another_script():
    text = "Президент Emmanuel Macron заявил в понедельник, что переговоры продолжатся."
    assert dominant_script(text) == "Cyrl"


def test_detect_language_needs_its_extra_or_names_the_language():
    try:
        import py3langid  # noqa: F401
    except ImportError:
        with pytest.raises(MissingDependencyError, match="dedupe-news\\[language\\]"):
            detect_language("Die Bundesregierung hat eine Reform beschlossen.")
    else:
        assert detect_language("Die Bundesregierung hat am Montag eine Reform beschlossen.") == "de"
