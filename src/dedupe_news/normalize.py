"""Text cleaning: Unicode, boilerplate, tokens and shingles.

Both similarity signals read the same tokens, so an article is normalised once:

1. :func:`strip_boilerplate` drops lines that are not the story (share widgets,
   copyright lines, CAPTCHA prompts, "CLICK HERE" promos, repeated photo captions).
2. :func:`normalize_text` applies Unicode NFKC, maps curly quotes and dashes to
   ASCII, and case-folds.
3. :func:`tokenize` splits into tokens by script: words (letters, digits and
   their combining marks; possessive 's removed) in spaced scripts such as Latin,
   Cyrillic, Greek, Arabic, Hebrew or Devanagari, and overlapping character
   bigrams in runs of scripts written without spaces (Han, kana, Hangul, Thai:
   see :data:`dedupe_news.language.UNSPACED_RANGES`). :func:`shingles` builds
   n-grams of tokens for MinHash; :func:`~dedupe_news.terms.content_terms` (in
   :mod:`dedupe_news.terms`, importable from here too) drops stop words for TF-IDF.

Bigrams need no dictionary and no extra package: a Chinese two-character word is
one bigram, and a rewrite shares most bigrams of the names and places it repeats.
Text with no such run and no combining mark (English, for one) takes the plain word
pattern, so it costs no more than before.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterator, Sequence

from .boilerplate_rules import (
    BOILERPLATE_PHRASE,
    CAPTION_CREDIT,
    MAX_BOILERPLATE_WORDS,
    PHRASE_LITERALS,
    WIDGET_LINE,
    WIDGET_LINES,
    may_have_caption_credit,
)
from .language import COMBINING_MARK_RANGES, UNSPACED_RANGES, character_class
from .terms import STOP_WORDS, content_terms, reads_as_english, word_stem

__all__ = [
    "STOP_WORDS",
    "article_tokens",
    "content_terms",
    "is_boilerplate_line",
    "normalize_text",
    "reads_as_english",
    "shingles",
    "strip_boilerplate",
    "tokenize",
    "word_stem",
]


_PUNCT_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2026": "...",
        # Arabic: spellings of one word that differ in alef form, final ya / ta
        # marbuta, elongation (tatweel) or optional short-vowel marks.
        "\u0622": "\u0627",
        "\u0623": "\u0627",
        "\u0625": "\u0627",
        "\u0671": "\u0627",
        "\u0649": "\u064a",
        "\u0629": "\u0647",
        "\u0640": None,
        **{chr(code): None for code in range(0x064B, 0x0653)},
    }
)
_POSSESSIVE = re.compile(r"\s?'s\b")
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_TOKEN = re.compile(r"[^\W_]+")
_ASCII_POSSESSIVE = re.compile(r"'s\b")
_ASCII_APOSTROPHE = re.compile(r"'(?<=\w')(?=\w)")  # _APOSTROPHE, with a literal first
# Every ASCII character but letters, digits and the line break to a space: the words
# of _TOKEN are then what str.split finds.
_ASCII_SEPARATORS = str.maketrans(
    {chr(c): " " for c in range(128) if not chr(c).isalnum() and c != 10}
)
_UPPER_CASE_LINE = re.compile(r"\n([^a-z\n]+)$", re.MULTILINE)  # a line after a line break
_ASCII_LINE_BREAKS = str.maketrans(dict.fromkeys("\r\v\f\x1c\x1d\x1e", "\n"))


def _script_patterns(limit: int) -> tuple[re.Pattern, re.Pattern]:
    """The script-aware token pattern, and the pattern of characters that need it,
    over code points up to ``limit``. Classes without the astral planes are much
    faster, so text within the BMP gets patterns that leave them out."""

    def within(ranges):
        return character_class(tuple((lo, min(hi, limit)) for lo, hi in ranges if lo <= limit))

    unspaced, marks = within(UNSPACED_RANGES), within(COMBINING_MARK_RANGES)
    # A run of unspaced script, or a word: letters and digits of other scripts, each
    # with the combining marks that follow it (Indic vowel signs are marks, not letters).
    token = re.compile(rf"([{unspaced}]+)|((?:[^\W_{unspaced}][{marks}]*)+)")
    return token, re.compile(f"[{unspaced}{marks}]")


_SCRIPT_TOKEN_BMP, _NEEDS_BMP = _script_patterns(0xFFFF)
_SCRIPT_TOKEN_ALL, _ = _script_patterns(0x10FFFF)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# Text without any of these characters gets the same tokens from the plain word pattern.
_NEEDS_SCRIPT_TOKENS = re.compile(f"{_NEEDS_BMP.pattern}|{_ASTRAL.pattern}")
_DOTTED_I = "i\u0307"  # the case folding of Turkish capital I with dot


def normalize_text(text: str) -> str:
    """Unicode NFKC, ASCII quotes and dashes, case folding.

    >>> normalize_text("Talks at a \\u201cdead end\\u201d \\u2014 Putin\\u2019s words")
    'talks at a "dead end" - putin\\'s words'
    """
    folded = unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP).casefold()
    return folded.replace(_DOTTED_I, "i") if "\u0307" in folded else folded


def _normalize_line(line: str) -> str:
    """:func:`normalize_text`, faster on ASCII (where NFKC changes nothing, the
    punctuation map only turns a backtick into an apostrophe, and case folding is
    lower-casing)."""
    if line.isascii():
        return line.translate(_PUNCT_MAP).lower() if "`" in line else line.lower()
    return normalize_text(line)


def is_boilerplate_line(line: str) -> bool:
    """True for a line that is page furniture rather than story.

    ``line`` must already be normalised (:func:`normalize_text`) and stripped.

    >>> is_boilerplate_line("leave a comment")
    True
    >>> is_boilerplate_line("putin said peace talks had reached a dead end.")
    False
    """
    if WIDGET_LINE.match(line):
        return True
    if len(line.split()) > MAX_BOILERPLATE_WORDS:
        return False
    return bool(BOILERPLATE_PHRASE.search(line))


def strip_boilerplate(text: str) -> str:
    """Normalise ``text`` and drop boilerplate lines and repeated captions.

    A line is dropped when it is page furniture (:func:`is_boilerplate_line`),
    when it is a short all-capitals promo headline after the first line of mixed-case text
    ("BUCHA MASSACRE PROMPTS WEST TO ..."), or when it repeats an earlier line of
    the same article once photo credits are removed. If every line would be
    dropped, the normalised text is returned whole, so a short article is never
    emptied.

    >>> strip_boilerplate("Leave a comment\\nFour people were shot on Main Street.")
    'four people were shot on main street.'
    """
    kept = [line for line, _, _ in _kept_lines(text)]
    if not kept:
        return normalize_text(text).strip()
    return "\n".join(kept)


def article_tokens(text: str, literals: Collection[str] | None = None) -> list[str]:
    """The tokens of a raw article text: ``tokenize(strip_boilerplate(text))``.

    Faster than the two calls. A text of ASCII in which no line is boilerplate, a
    shouted promo, a caption or a repeat is tokenised whole (:func:`_whole_ascii_tokens`);
    elsewhere the words found on each line to spot repeated lines are its tokens
    too, for a line of ASCII without an apostrophe or a caption credit, and
    :func:`tokenize` runs on the other lines only (a token never spans two lines).

    ``literals``, if given, holds at least the phrase literals found in ``text.lower()``
    (:func:`~dedupe_news.boilerplate_rules.phrase_literals_in` finds them for a batch).

    >>> article_tokens("Leave a comment\\nPutin's forces, 12-year-old")
    ['putin', 'forces', '12', 'year', 'old']
    """
    if text.isascii():
        whole = _whole_ascii_tokens(text, literals)
        if whole is not None:
            return whole
    tokens: list[str] = []
    kept = False
    for line, words, plain in _kept_lines(text):
        kept = True
        if plain and "'" not in line and line.isascii():
            tokens += words
        else:
            tokens += tokenize(line)
    if not kept:
        return tokenize(normalize_text(text).strip())
    return tokens


def _whole_ascii_tokens(text: str, literals: Collection[str] | None) -> list[str] | None:
    """:func:`article_tokens` of an ASCII text whose lines :func:`strip_boilerplate`
    all keeps (checked over the whole text, with screens that may only send a text
    on to the line-by-line path), or None when that is not certain."""
    if "\r" in text or "\v" in text or "\f" in text or "\x1c" in text or "\x1d" in text:
        text = text.translate(_ASCII_LINE_BREAKS)  # as splitlines splits (an empty line
    elif "\x1e" in text:  # is no line: the lines are not stripped here, nor need be)
        text = text.translate(_ASCII_LINE_BREAKS)
    low = text.lower()
    if "`" in low:  # _PUNCT_MAP's one change to ASCII
        low = low.replace("`", "'")
    if WIDGET_LINES.search("\n" + low):
        return None
    if literals is None:
        literals = [literal for literal in PHRASE_LITERALS if literal in low]
    for literal in literals:  # is a line with a phrase literal boilerplate?
        at = low.find(literal)
        while at >= 0:
            end = low.find("\n", at)
            end = len(low) if end < 0 else end
            if is_boilerplate_line(low[low.rfind("\n", 0, at) + 1 : end].strip()):
                return None
            at = low.find(literal, end)
    # A shouted line after the first line with text (the headline may be shouted).
    upper = _UPPER_CASE_LINE.search(text, text.find("\n", len(text) - len(text.lstrip())))
    while upper:
        if _is_shouted_promo(upper.group(1)):
            return None
        upper = _UPPER_CASE_LINE.search(text, upper.end())
    if may_have_caption_credit(low) or "'s'" in low:
        return None
    separated = low.translate(_ASCII_SEPARATORS)
    # Lines with the same words have the same letters and digits: any two such (but
    # lines without words) go the slow way.
    squashed = separated.encode("ascii").translate(None, b" ").split(b"\n")
    if len(set(squashed)) < len(squashed) - max(squashed.count(b"") - 1, 0):
        return None
    if "'" not in low:
        return separated.split()
    # tokenize's two apostrophe patterns, faster with a literal first. Without "'s'"
    # in the text, the space the possessive takes with it changes no token, and
    # neither pattern reaches over a line break.
    subbed = _ASCII_APOSTROPHE.sub("", _ASCII_POSSESSIVE.sub("", low))
    return subbed.translate(_ASCII_SEPARATORS).split()


def _kept_lines(text: str) -> Iterator[tuple[str, list[str], bool]]:
    """The lines :func:`strip_boilerplate` keeps, normalised, each with the words of
    its repeat key and whether that key is the whole line (no caption credit cut)."""
    raws = [raw for raw in map(str.strip, text.splitlines()) if raw]
    lines = [_normalize_line(raw) for raw in raws]
    # One pass over the text for the phrases' literals; only a line with one of them
    # can match BOILERPLATE_PHRASE.
    joined = "\n".join(lines)
    present = [literal for literal in PHRASE_LITERALS if literal in joined]
    seen: set[str] = set()
    kept_any = False
    mostly_lower: bool | None = None  # computed only when a shouted line turns up
    for raw, line in zip(raws, lines, strict=True):
        if WIDGET_LINE.match(line):
            continue
        if present and any(literal in line for literal in present):
            if len(line.split()) <= MAX_BOILERPLATE_WORDS and BOILERPLATE_PHRASE.search(line):
                continue
        if kept_any and _is_shouted_promo(raw):  # the first line is the headline, never a promo
            if mostly_lower is None:
                mostly_lower = _mostly_lower(text)
            if mostly_lower:
                continue
        plain = "(" not in line and ":" not in line
        # A caption credit may follow a parenthesis or a colon.
        words = _TOKEN.findall(line if plain else CAPTION_CREDIT.sub("", line))
        if not words:
            continue
        key = " ".join(words)
        if key in seen:
            continue
        seen.add(key)
        kept_any = True
        yield line, words, plain


def _mostly_lower(text: str) -> bool:
    return sum(map(str.islower, text)) > sum(map(str.isupper, text))


def _is_shouted_promo(raw: str) -> bool:
    if raw.upper() != raw:  # has a lower-case letter
        return False
    words = raw.split()
    return 4 <= len(words) <= 25 and sum(ch.isalpha() for ch in raw) >= 15


def tokenize(normalized: str) -> list[str]:
    """Tokens of normalised text: words of spaced scripts (letters, digits and their
    combining marks; possessive 's removed), and overlapping character bigrams of
    runs in scripts written without spaces (a run of one character is itself).

    >>> tokenize("putin's forces, 12-year-old")
    ['putin', 'forces', '12', 'year', 'old']
    >>> tokenize("2019年北京举行")
    ['2019', '年北', '北京', '京举', '举行']
    """
    text = normalized
    if "'" in text:  # both patterns need an apostrophe: skip two passes over most texts
        text = _APOSTROPHE.sub("", _POSSESSIVE.sub("", text))
    if text.isascii():
        return _TOKEN.findall(text)
    if not _NEEDS_SCRIPT_TOKENS.search(text):
        return _TOKEN.findall(text)  # same tokens as the script-aware pattern, faster
    pattern = _SCRIPT_TOKEN_ALL if _ASTRAL.search(text) else _SCRIPT_TOKEN_BMP
    tokens: list[str] = []
    for run, word in pattern.findall(text):
        if word:
            tokens.append(word)
        elif len(run) < 3:
            tokens.append(run)
        else:
            tokens.extend([run[k : k + 2] for k in range(len(run) - 1)])
    return tokens


def shingles(tokens: Sequence[str], size: int) -> list[tuple[str, ...]]:
    """Word n-grams of ``size`` tokens. A text shorter than ``size`` is one shingle.

    >>> shingles(["a", "b", "c"], 2)
    [('a', 'b'), ('b', 'c')]
    >>> shingles(["a"], 3)
    [('a',)]
    """
    if not tokens:
        return []
    if len(tokens) <= size:
        return [tuple(tokens)]
    return [tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)]
