"""Writing systems and languages of articles.

Two articles in different scripts share no words, so their word similarity says
nothing; :func:`dominant_script` tells which script an article is written in,
cheaply and without any extra dependency. Scripts are ISO 15924 codes
(``"Latn"``, ``"Cyrl"``, ``"Arab"``, ...), with the combined codes ``"Jpan"``
(Han with kana) and ``"Kore"`` (Hangul, with any Han), so that Japanese and
Chinese are told apart.

:data:`UNSPACED_RANGES` lists the scripts written without spaces between words
(Han, kana, Hangul, Thai, Lao, Khmer, Myanmar, Bopomofo), whose runs
:func:`dedupe_news.normalize.tokenize` cuts into character bigrams, and
:data:`COMBINING_MARK_RANGES` the combining marks that belong inside a word (Indic
vowel signs, Hebrew points) although they are not letters.

:func:`detect_language` names the language (ISO 639-1) with ``py3langid``, an
optional extra: ``pip install "dedupe-news[language]"``.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import MissingDependencyError

__all__ = [
    "COMBINING_MARK_RANGES",
    "SCRIPT_RANGES",
    "UNDETERMINED_SCRIPT",
    "UNSPACED_RANGES",
    "character_class",
    "detect_language",
    "dominant_script",
]

SCRIPT_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "Latn": (
        (0x41, 0x5A), (0x61, 0x7A), (0xAA, 0xAA), (0xBA, 0xBA), (0xC0, 0xD6), (0xD8, 0xF6),
        (0xF8, 0x2AF), (0x1E00, 0x1EFF), (0x2C60, 0x2C7F), (0xA720, 0xA7FF), (0xAB30, 0xAB6F),
    ),
    "Grek": ((0x370, 0x3FF), (0x1F00, 0x1FFF)),
    "Cyrl": ((0x400, 0x52F), (0x1C80, 0x1C8F), (0x2DE0, 0x2DFF), (0xA640, 0xA69F)),
    "Armn": ((0x530, 0x58F),),
    "Hebr": ((0x590, 0x5FF), (0xFB1D, 0xFB4F)),
    "Arab": (
        (0x600, 0x6FF), (0x750, 0x77F), (0x870, 0x8FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF),
    ),
    "Syrc": ((0x700, 0x74F),),
    "Thaa": ((0x780, 0x7BF),),
    "Deva": ((0x900, 0x97F), (0xA8E0, 0xA8FF)),
    "Beng": ((0x980, 0x9FF),),
    "Guru": ((0xA00, 0xA7F),),
    "Gujr": ((0xA80, 0xAFF),),
    "Orya": ((0xB00, 0xB7F),),
    "Taml": ((0xB80, 0xBFF),),
    "Telu": ((0xC00, 0xC7F),),
    "Knda": ((0xC80, 0xCFF),),
    "Mlym": ((0xD00, 0xD7F),),
    "Sinh": ((0xD80, 0xDFF),),
    "Thai": ((0xE00, 0xE7F),),
    "Laoo": ((0xE80, 0xEFF),),
    "Tibt": ((0xF00, 0xFFF),),
    "Mymr": ((0x1000, 0x109F), (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F)),
    "Geor": ((0x10A0, 0x10FF), (0x1C90, 0x1CBF), (0x2D00, 0x2D2F)),
    "Hang": (
        (0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7AF), (0xD7B0, 0xD7FF),
    ),
    "Ethi": ((0x1200, 0x139F), (0x2D80, 0x2DDF)),
    "Khmr": ((0x1780, 0x17FF), (0x19E0, 0x19FF)),
    "Hira": ((0x3040, 0x309F),),
    "Kana": ((0x30A0, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F)),
    "Bopo": ((0x3100, 0x312F), (0x31A0, 0x31BF)),
    "Hani": (
        (0x2E80, 0x2FDF), (0x3005, 0x3007), (0x3021, 0x3029), (0x3038, 0x303B),
        (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3134F),
    ),
}  # fmt: skip
"""Unicode blocks of each script (ISO 15924 code), as inclusive code point ranges."""

UNSPACED_SCRIPTS = ("Hani", "Hira", "Kana", "Hang", "Bopo", "Thai", "Laoo", "Khmr", "Mymr")

UNSPACED_RANGES: tuple[tuple[int, int], ...] = tuple(
    r for code in UNSPACED_SCRIPTS for r in SCRIPT_RANGES[code]
)
"""Code points of scripts whose runs become character bigrams (the Japanese long
vowel mark U+30FC and the iteration mark U+3005 included)."""

UNDETERMINED_SCRIPT = "Zyyy"
"""What :func:`dominant_script` returns for a text without letters."""

_SAMPLE_CHARS = 2000
_KANA_SHARE_JAPANESE = 0.1


def _mark_ranges() -> tuple[tuple[int, int], ...]:
    """Every combining mark (categories Mn, Mc, Me) below U+30000, as ranges."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x30000):
        if unicodedata.category(chr(code))[0] == "M":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return tuple(ranges)


COMBINING_MARK_RANGES: tuple[tuple[int, int], ...] = _mark_ranges()
"""Combining marks (Unicode categories Mn, Mc and Me), from this Python's Unicode data."""


def character_class(ranges: tuple[tuple[int, int], ...]) -> str:
    """The body of a regular-expression character class matching ``ranges``.

    >>> character_class(((0x41, 0x43), (0x61, 0x61)))
    'A-Ca'
    """
    return "".join(
        re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        for lo, hi in ranges
    )


_SCRIPT_PATTERNS = {
    code: re.compile(f"[{character_class(ranges)}]") for code, ranges in SCRIPT_RANGES.items()
}
_ASCII_LETTER = re.compile("[A-Za-z]")


def dominant_script(text: str) -> str:
    """The ISO 15924 code of the script most letters of ``text`` are written in.

    Reads the first 2,000 characters. Han with kana (more than a tenth of the two)
    is ``"Jpan"``, Hangul with or without Han is ``"Kore"``; a text without letters
    is :data:`UNDETERMINED_SCRIPT`.

    >>> dominant_script("Putin says talks are at a dead end")
    'Latn'
    >>> dominant_script("Путин заявил, что переговоры зашли в тупик")
    'Cyrl'
    >>> dominant_script("東京で大きな地震がありました"), dominant_script("北京发生地震")
    ('Jpan', 'Hani')
    """
    sample = text[:_SAMPLE_CHARS]
    if sample.isascii():
        return "Latn" if _ASCII_LETTER.search(sample) else UNDETERMINED_SCRIPT
    counts = {
        code: pattern.subn("", sample)[1]
        for code, pattern in _SCRIPT_PATTERNS.items()
        if pattern.search(sample)
    }
    han, hangul = counts.pop("Hani", 0), counts.pop("Hang", 0)
    kana = counts.pop("Hira", 0) + counts.pop("Kana", 0)
    if hangul:
        counts["Kore"] = hangul + han
    elif kana > _KANA_SHARE_JAPANESE * (kana + han):
        counts["Jpan"] = kana + han
    elif han or kana:
        counts["Hani"] = han + kana
    if not counts:
        return UNDETERMINED_SCRIPT
    return max(counts, key=lambda code: counts[code])


def detect_language(text: str) -> str:
    """The ISO 639-1 code of the language of ``text``, by ``py3langid``.

    An optional extra: ``pip install "dedupe-news[language]"``. Reads the first
    2,000 characters.

    Raises
    ------
    MissingDependencyError
        When py3langid is not installed.
    """
    try:
        import py3langid
    except ImportError as error:
        raise MissingDependencyError(
            'language detection needs py3langid: pip install "dedupe-news[language]"'
        ) from error
    language, _ = py3langid.classify(text[:_SAMPLE_CHARS])
    return str(language)
