"""Per-article evidence beyond the bag of words: entities, quotes and the lead.

Read from the *original-case* text (``Article.title`` / ``Article.text``), once per
article, and stored as sorted arrays of 64-bit integer keys, so an index can keep
them per article and two articles compare them as sets.

``entity_keys(text)``
    Capitalised names (each capitalised word, and each multi-word run such as
    "Vladimir Putin"), tickers and bracketed company names (``<NLC>``,
    ``<Dome Petroleum Ltd>``, ``(NYSE: X)``, ``NASDAQ:X``; see :func:`ticker_keys`) and
    numbers (with a unit class: ``76%`` and ``76 percent`` are one key, ``$1.1bn``
    and ``1.1 billion`` another). Scripts without case (Han, Kana, Hangul,
    Arabic, Hebrew, Thai) yield their numbers and any names written in a cased
    script inside them. Lines that are mostly upper case (wire titles) or Title
    Case give tickers and numbers only: every word is capitalised there (the
    names are read by :mod:`~dedupe_news.name_runs`).
``quote_keys(text)``
    Quoted spans ("...", curly quotes, ``« »``, ``„ “``, ``「」``, ``『』`` and
    single quotes used as quotes), case-folded: word 3-grams of spans of three
    or more words, the whole span otherwise.
``lead_text(title, text)``
    The title, or the first :data:`LEAD_WORDS` words of the text when there is
    no title: news puts the story first.

:func:`articles_evidence` reads a chunk of articles at once (the model's prepare
stage): the same keys as :func:`article_evidence` of each, with the names of the
ASCII texts found on arrays for the whole chunk, each quote pattern run once over
the chunk, and the keys hashed and sorted together. Names, numbers and keys seen
lately are remembered (they recur across articles), so each is read or hashed once.

The corpus-level pair functions over these keys are in
:mod:`~dedupe_news.evidence_table`.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .name_runs import NAME_STOP_WORDS, texts_name_keys
from .number_keys import number_keys

__all__ = [
    "LEAD_WORDS",
    "NAME_STOP_WORDS",
    "SHORT_TEXT_WORDS",
    "ArticleEvidence",
    "article_evidence",
    "articles_evidence",
    "entity_keys",
    "entity_names",
    "key_hash",
    "lead_text",
    "quote_keys",
    "quote_spans",
    "span_keys",
    "ticker_keys",
]

LEAD_WORDS = 50
"""Words of the text that stand in for a missing title."""

SHORT_TEXT_WORDS = 40
"""A text of at most this many words is a headline: a capitalised word opening
one of its sentences counts as a name. In longer texts such a word counts only
when the text also capitalises it mid-sentence ("Shr", "Net" and "Showers" open
lines of wire briefs and name nothing)."""

_TICKER_ANGLE = re.compile(r"<([A-Z][A-Za-z0-9.&'\- ]{0,39})>")
_TICKER_EXCHANGE = re.compile(
    r"\b(?:NYSE|NASDAQ|Nasdaq|AMEX|LSE|TSX|ASX|HKEX|TSE|OTC)\s*:\s*([A-Z][A-Z0-9.\-]{0,9})\b"
)
_QUOTE_SPANS = (
    re.compile(r'"([^"\n]{2,600})"'),
    re.compile(r"\u201c([^\u201c\u201d\n]{2,600})[\u201d\u201c]"),
    re.compile(r"\u00ab([^\u00ab\u00bb\n]{2,600})\u00bb"),
    re.compile(r"\u201e([^\u201e\u201c\u201d\n]{2,600})[\u201c\u201d]"),
    re.compile(r"\u300c([^\u300c\u300d\n]{1,600})\u300d"),
    re.compile(r"\u300e([^\u300e\u300f\n]{1,600})\u300f"),
    # (The opening mark first, then what precedes it: the regex engine then looks for
    # the mark alone, not tries the look-behind at every character.)
    re.compile(r"\u2018(?<![\w]\u2018)([^\u2018\u2019\n]{2,300})\u2019(?![\w])"),
    re.compile(r"'(?<![\w']')([^'\n]{2,300})'(?![\w])"),
)
_QUOTE_OPENINGS = ('"', "\u201c", "\u00ab", "\u201e", "\u300c", "\u300e", "\u2018", "'")
"""The mark each pattern of :data:`_QUOTE_SPANS` opens with, in the same order."""
_QUOTE_TOKEN = re.compile(r"[^\W_]+")
_EMPTY = np.zeros(0, dtype=np.int64)


def key_hash(key: str) -> int:
    """A stable signed 64-bit hash of a key (blake2b), the same in every process.

    >>> key_hash("E:putin") == key_hash("E:putin")
    True
    """
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


_HASHED: dict[str, int] = {}
_HASHED_MAX = 1 << 17
"""Keys hashed lately (names, numbers and quotes recur across articles): at most
:data:`_HASHED_MAX` (about 20 MB), then forgotten all at once."""


def _cached_hash(key: str) -> int:
    found = _HASHED.get(key)
    if found is None:
        if len(_HASHED) >= _HASHED_MAX:
            _HASHED.clear()
        found = _HASHED[key] = key_hash(key)
    return found


def _keys_array(keys) -> np.ndarray:
    if not keys:
        return _EMPTY
    keys = set(keys)
    return np.unique(np.fromiter(map(_cached_hash, keys), dtype=np.int64, count=len(keys)))


def _keys_arrays(key_lists: Sequence[Sequence[str]]) -> list[np.ndarray]:
    """``[_keys_array(keys) for keys in key_lists]``, hashed and sorted all at once."""
    if len(key_lists) <= 1:
        return [_keys_array(keys) for keys in key_lists]
    lengths = np.fromiter(map(len, key_lists), dtype=np.int64, count=len(key_lists))
    flat = list(itertools.chain.from_iterable(key_lists))
    found = list(map(_HASHED.get, flat))
    if None in found:
        for k, value in enumerate(found):
            if value is None:
                found[k] = _cached_hash(flat[k])
    hashes = np.array(found, dtype=np.int64)
    owners = np.repeat(np.arange(len(key_lists)), lengths)
    order = np.lexsort((hashes, owners))
    hashes, owners = hashes[order], owners[order]
    first = np.ones(hashes.size, dtype=bool)  # the first of each article's equal keys
    first[1:] = (hashes[1:] != hashes[:-1]) | (owners[1:] != owners[:-1])
    counts = np.bincount(owners[first], minlength=len(key_lists))
    kept = hashes[first]
    bounds = np.concatenate(([0], np.cumsum(counts))).tolist()
    return [kept[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _ticker_strings(text: str) -> list[str]:
    """The ``T:`` keys of an NFKC-normalised text, in order, with repeats."""
    found: list[str] = []
    if "<" in text:
        found.extend(["T:" + ticker.upper() for ticker in _TICKER_ANGLE.findall(text)])
    if ":" in text:
        found.extend(["T:" + ticker.upper() for ticker in _TICKER_EXCHANGE.findall(text)])
    return found


def entity_keys(text: str) -> np.ndarray:
    """Sorted unique int64 keys of the names, tickers and numbers in ``text``.

    >>> keys = entity_keys("Vladimir Putin met Erdogan in Istanbul; shares of <NLC> rose 5%.")
    >>> bool(np.isin(key_hash("E:vladimir putin"), keys)), bool(np.isin(key_hash("T:NLC"), keys))
    (True, True)
    >>> entity_keys("") .size
    0
    """
    return _keys_array(entity_names(text))


def entity_names(text: str) -> list[str]:
    """The entities of ``text`` as readable keys (``E:`` names, ``T:`` tickers, ``N:``
    numbers), before hashing: what :func:`entity_keys` hashes, repeats kept (a
    sentence-opening name comes last).

    >>> entity_names("Putin met Erdogan in Istanbul.")
    ['E:erdogan', 'E:istanbul', 'E:putin']
    """
    if not text:
        return []
    return _texts_entity_strings([unicodedata.normalize("NFKC", text)])[0]


def _texts_entity_strings(texts: Sequence[str]) -> list[list[str]]:
    """The keys of :func:`entity_keys` of NFKC-normalised texts, read together."""
    # No ticker spans a line break, so blanking them in the whole text is per line.
    names = texts_name_keys([_TICKER_ANGLE.sub(" ", t) if "<" in t else t for t in texts])
    return [
        _entity_strings(text, _ticker_strings(text) + number_keys(text), *found)
        for text, found in zip(texts, names, strict=True)
    ]


def _entity_strings(text: str, keys: list[str], names: list[str], openers: list[str]):
    """The keys of :func:`entity_keys` of an NFKC-normalised text, given its tickers and
    numbers (``keys``) and the keys and openers of its names
    (:func:`~dedupe_news.name_runs.name_keys`)."""
    # (At most SHORT_TEXT_WORDS + 1 parts: enough to tell whether there are more words.)
    if len(text.split(None, SHORT_TEXT_WORDS)) <= SHORT_TEXT_WORDS:
        names.extend(openers)  # a headline: its first word is often the name
    else:
        seen = set(names)
        names.extend(key for key in openers if key in seen)
    return keys + names


def ticker_keys(text: str) -> np.ndarray:
    """Sorted unique int64 keys of the tickers in ``text`` (a subset of its entity keys).

    >>> bool(np.array_equal(ticker_keys("NORTHERN TRUST <NTRS> NET"), [key_hash("T:NTRS")]))
    True
    """
    if not text:
        return _EMPTY
    return _keys_array(_ticker_strings(unicodedata.normalize("NFKC", text)))


def quote_keys(text: str) -> np.ndarray:
    """Sorted unique int64 keys of the quoted spans in ``text``.

    Word 3-grams of each case-folded span of three or more words; a shorter span
    (a scare-quoted word, a CJK phrase) is one key.

    >>> a = quote_keys('He said: "peace talks are at a dead end" on Tuesday.')
    >>> b = quote_keys("Putin said \\u201cPeace talks are at a dead end\\u201d.")
    >>> bool(np.array_equal(a, b)), a.size
    (True, 5)
    """
    return _keys_array([key for words in quote_spans(text) for key in span_keys(words)])


def span_keys(words: Sequence[str]) -> list[str]:
    """The ``Q:`` keys of one quoted span's words: its word 3-grams, or the whole
    span when shorter (if it holds at least 3 characters).

    >>> span_keys(["at", "a", "dead", "end"]), span_keys(["no"])
    (['Q:at a dead', 'Q:a dead end'], [])
    """
    if len(words) >= 3:
        return ["Q:" + " ".join(words[k : k + 3]) for k in range(len(words) - 2)]
    if words and len("".join(words)) >= 3:
        return ["Q:" + " ".join(words)]
    return []


def quote_spans(text: str) -> list[list[str]]:
    """The case-folded words of each quoted span of ``text``, in the order of
    :data:`_QUOTE_SPANS` patterns (what :func:`quote_keys` hashes).

    >>> quote_spans('He said: "Peace talks are at a dead end."')
    [['peace', 'talks', 'are', 'at', 'a', 'dead', 'end']]
    """
    if not text:
        return []
    return _quote_spans(unicodedata.normalize("NFKC", text))


def _texts_quote_spans(texts: Sequence[str]) -> list[list[list[str]]]:
    """:func:`_quote_spans` of each text, each pattern run once over all texts joined
    by line breaks (no quoted span holds one)."""
    if len(texts) <= 1:
        return [_quote_spans(text) for text in texts]
    joined = "\n".join(texts)
    starts = list(itertools.accumulate((len(t) + 1 for t in texts[:-1]), initial=0))
    found: list[list[list[str]]] = [[] for _ in texts]
    for opening, pattern in zip(_QUOTE_OPENINGS, _QUOTE_SPANS, strict=True):
        if opening in joined:  # a pattern cannot match without its opening mark
            for m in pattern.finditer(joined):
                owner = bisect.bisect_right(starts, m.start()) - 1
                found[owner].append(_QUOTE_TOKEN.findall(m.group(1).casefold()))
    return found


def _quote_spans(text: str) -> list[list[str]]:
    """:func:`quote_spans` of an NFKC-normalised text."""
    return [
        _QUOTE_TOKEN.findall(m.group(1).casefold())
        for opening, pattern in zip(_QUOTE_OPENINGS, _QUOTE_SPANS, strict=True)
        if opening in text  # a pattern cannot match without its opening mark
        for m in pattern.finditer(text)
    ]


def lead_text(title: str | None, text: str, words: int = LEAD_WORDS) -> str:
    """The title when there is one, else the first ``words`` words of ``text``.

    >>> lead_text(None, "one two three four", words=2)
    'one two'
    >>> lead_text("Storm hits coast", "Body text")
    'Storm hits coast'
    """
    if title and title.strip():
        return title.strip()
    return " ".join(text.split()[:words])


@dataclass(frozen=True)
class ArticleEvidence:
    """The evidence of one article (see the module docstring).

    ``entities`` and ``quotes`` are read from title and text, ``tickers`` from the
    lead only (what
    :meth:`~dedupe_news.evidence_table.EvidenceTable.ticker_conflict` compares).
    """

    entities: np.ndarray
    quotes: np.ndarray
    lead: str
    tickers: np.ndarray


def article_evidence(title: str | None, text: str) -> ArticleEvidence:
    """Entities and quotes of title and text, the lead, and the lead's tickers."""
    return articles_evidence([title], [text])[0]


def articles_evidence(titles: Sequence[str | None], texts: Sequence[str]) -> list[ArticleEvidence]:
    """:func:`article_evidence` of each article, the articles read together (names:
    :func:`~dedupe_news.name_runs.texts_name_keys`; keys hashed and sorted at once).

    >>> [e.lead for e in articles_evidence(["Storm", None], ["Rain.", "Wind and rain"])]
    ['Storm', 'Wind and rain']
    """
    leads = [lead_text(title, text) for title, text in zip(titles, texts, strict=True)]
    # NFKC is idempotent: once for all keys.
    full = [
        unicodedata.normalize("NFKC", f"{title}\n{text}")
        if title and not text.lstrip().startswith(title.strip())
        else unicodedata.normalize("NFKC", text)
        for title, text in zip(titles, texts, strict=True)
    ]
    entities = _keys_arrays(_texts_entity_strings(full))
    quotes = _keys_arrays(
        [[key for words in spans for key in span_keys(words)] for spans in _texts_quote_spans(full)]
    )
    tickers = _keys_arrays(
        [_ticker_strings(unicodedata.normalize("NFKC", lead)) if lead else [] for lead in leads]
    )
    return [ArticleEvidence(*found) for found in zip(entities, quotes, leads, tickers, strict=True)]
