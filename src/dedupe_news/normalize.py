"""Text cleaning: Unicode, boilerplate, tokens and shingles.

Both similarity signals read the same tokens, so an article is normalised once:

1. :func:`strip_boilerplate` drops lines that are not the story (share widgets,
   copyright lines, CAPTCHA prompts, "CLICK HERE" promos, repeated photo captions).
2. :func:`normalize_text` applies Unicode NFKC, maps curly quotes and dashes to
   ASCII, and case-folds.
3. :func:`tokenize` splits into word tokens (letters and digits; possessive 's
   removed). :func:`content_terms` drops stop words for TF-IDF, and
   :func:`shingles` builds word n-grams for MinHash.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

__all__ = [
    "STOP_WORDS",
    "content_terms",
    "is_boilerplate_line",
    "normalize_text",
    "shingles",
    "strip_boilerplate",
    "tokenize",
]

STOP_WORDS: frozenset[str] = frozenset(ENGLISH_STOP_WORDS) | {"s", "t", "said", "says", "say"}

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
    }
)
_POSSESSIVE = re.compile(r"\s?'s\b")
_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_TOKEN = re.compile(r"[^\W_]+")

# Whole lines that are page furniture, not story (matched case-folded, stripped).
_WIDGET_LINE = re.compile(
    r"^(advertisement|close|comments?|email|e-mail|print|share|tweet|more|menu|search|"
    r"google|google\+|pinterest|twitter|facebook|linkedin|reddit|whatsapp|tumblr|"
    r"like this:.*|loading\.*|related( articles| stories)?:?|update:?|trending( stories)?:?|"
    r"[_\-=*~•·|]{3,})$"
)
# Phrases that mark a short line as boilerplate wherever they stand in it.
_BOILERPLATE_PHRASE = re.compile(
    r"all rights reserved|^copyright\b|^\(?©|\(c\) \d{4}|this material may not be published|"
    r"leave a comment|categori[sz]ed as|click here|click on the button|enable javascript|"
    r"javascript (is )?(disabled|required)|sign up for|sign in|log in\b|already have an account|"
    r"already a subscriber|subscribe (now|today|to)|newsletter|follow us|follow [\w.]+ on|"
    r"on (twitter|facebook|instagram)\s*[:|]|share (this|on)|you must enter the characters|"
    r"a friend wanted you to see|verification (email|message)|notification|terms of (service|use)|"
    r"privacy policy|thank you for registering|report an error|submit a tip|join the conversation|"
    r"read more\b|for more (news|from|on)\b|you are the owner of this article|"
    r"welcome back|why are we asking this|cookies?\b.*\b(policy|accept|consent)|"
    r"\{\*.*\*\}|please check your (email|spam)|skip to (main )?content|watch the video"
)
# Photo credits and captions: "... Photo: Reuters." / "(AP Photo/John Smith)".
_CAPTION_CREDIT = re.compile(
    r"(\((ap|afp|reuters|getty)[^)]*\)|\b(photo|image|picture|credit|photograph)s?\s*(by)?\s*:\s*[^.]{1,60}\.?)\s*$"
)
_MAX_BOILERPLATE_WORDS = 30


def normalize_text(text: str) -> str:
    """Unicode NFKC, ASCII quotes and dashes, case folding.

    >>> normalize_text("Talks at a \\u201cdead end\\u201d \\u2014 Putin\\u2019s words")
    'talks at a "dead end" - putin\\'s words'
    """
    return unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP).casefold()


def is_boilerplate_line(line: str) -> bool:
    """True for a line that is page furniture rather than story.

    ``line`` must already be normalised (:func:`normalize_text`) and stripped.

    >>> is_boilerplate_line("leave a comment")
    True
    >>> is_boilerplate_line("putin said peace talks had reached a dead end.")
    False
    """
    if _WIDGET_LINE.match(line):
        return True
    if len(line.split()) > _MAX_BOILERPLATE_WORDS:
        return False
    return bool(_BOILERPLATE_PHRASE.search(line))


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
    kept: list[str] = []
    seen: set[str] = set()
    mostly_lower: bool | None = None  # computed only when a shouted line turns up
    for raw in text.splitlines():
        raw = raw.strip()
        if not raw:
            continue
        line = normalize_text(raw)
        if is_boilerplate_line(line):
            continue
        if kept and _is_shouted_promo(raw):  # the first line is the headline, never a promo
            if mostly_lower is None:
                mostly_lower = _mostly_lower(text)
            if mostly_lower:
                continue
        key = line
        if "(" in line or ":" in line:  # a caption credit may follow
            key = _CAPTION_CREDIT.sub("", line)
        key = " ".join(_TOKEN.findall(key))
        if not key or key in seen:
            continue
        seen.add(key)
        kept.append(line)
    if not kept:
        return normalize_text(text).strip()
    return "\n".join(kept)


def _mostly_lower(text: str) -> bool:
    return sum(map(str.islower, text)) > sum(map(str.isupper, text))


def _is_shouted_promo(raw: str) -> bool:
    if raw.upper() != raw:  # has a lower-case letter
        return False
    words = raw.split()
    return 4 <= len(words) <= 25 and sum(ch.isalpha() for ch in raw) >= 15


def tokenize(normalized: str) -> list[str]:
    """Word tokens of normalised text: letters and digits, possessive 's removed.

    >>> tokenize("putin's forces, 12-year-old")
    ['putin', 'forces', '12', 'year', 'old']
    """
    text = normalized
    if "'" in text:  # both patterns need an apostrophe: skip two passes over most texts
        text = _APOSTROPHE.sub("", _POSSESSIVE.sub("", text))
    return _TOKEN.findall(text)


def content_terms(tokens: Sequence[str]) -> list[str]:
    """Tokens that carry content: stop words and single letters removed.

    >>> content_terms(["the", "talks", "reached", "a", "dead", "end"])
    ['talks', 'reached', 'dead', 'end']
    """
    return [t for t in tokens if t not in STOP_WORDS and (len(t) > 1 or t.isdigit())]


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
