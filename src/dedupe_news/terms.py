"""Content terms for TF-IDF: stop words out, and stems outside English.

:func:`content_terms` turns the tokens of an article
(:func:`~dedupe_news.normalize.tokenize`) into the terms TF-IDF weighs: English stop
words (:data:`STOP_WORDS`) and single letters are dropped, and an article that does
not read as English (:func:`reads_as_english`) has its words cut to a
language-neutral stem (:func:`word_stem`) and the reference stop words of other
languages left out (:func:`~dedupe_news.stopwords.reference_stop_words`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from .stopwords import reference_stop_words

__all__ = [
    "STOP_WORDS",
    "content_terms",
    "reads_as_english",
    "word_stem",
]

STOP_WORDS: frozenset[str] = frozenset(ENGLISH_STOP_WORDS) | {"s", "t", "said", "says", "say"}
_MIN_TOKENS_TO_TELL_LANGUAGE = 30
_ENGLISH_STOP_WORD_SHARE = 0.2
_STEM_CHARS = 5
# Arabic prefixes: the article al-, with wa- (and), bi- (in, with), ka- (like),
# fa- (so) and li- (for) before it or alone; the longest is tried first.
_ARABIC_PREFIXES = (
    "\u0648\u0627\u0644", "\u0628\u0627\u0644", "\u0643\u0627\u0644", "\u0641\u0627\u0644",
    "\u0627\u0644", "\u0644\u0644", "\u0648", "\u0628", "\u0644", "\u0641",
)  # fmt: skip


def content_terms(tokens: Sequence[str], *, reference: bool = True) -> list[str]:
    """Terms that carry content: stop words and single letters removed, and, in an
    article that does not read as English (:func:`reads_as_english`), words cut to
    their stem (:func:`word_stem`), so that inflected forms of a name or a word count
    as one term, less the reference stop words of languages other than English
    (:func:`~dedupe_news.stopwords.reference_stop_words`; ``reference=False`` keeps
    them).

    >>> content_terms(["the", "talks", "reached", "a", "dead", "end"])
    ['talks', 'reached', 'dead', 'end']
    """
    terms = [t for t in tokens if t not in STOP_WORDS and (len(t) > 1 or t.isdigit())]
    if _looks_english(tokens, len(tokens) - len(terms)):
        return terms
    stems = [word_stem(t) for t in terms]
    if not reference:
        return stems
    left_out = reference_stop_words()
    return [s for s in stems if s not in left_out]


def reads_as_english(tokens: Sequence[str]) -> bool:
    """False only for a text of at least 30 tokens, not all ASCII, of which under a
    fifth are English stop words (or single letters).

    English news has 30-50% stop words (5th percentile 29-38% on ECB+, GVA and BBC);
    German, Italian, Polish, Russian or Chinese at most 15%, Spanish at most 21%
    (SemEval-2022 task 8 dev texts). Text in plain ASCII (English market tables and
    briefs with few stop words among them) and short texts such as headlines count
    as English, which keeps their terms exactly as they were.
    """
    removed = sum(t in STOP_WORDS or (len(t) == 1 and not t.isdigit()) for t in tokens)
    return _looks_english(tokens, removed)


def _looks_english(tokens: Sequence[str], n_stop_words: int) -> bool:
    return (
        len(tokens) < _MIN_TOKENS_TO_TELL_LANGUAGE
        or n_stop_words >= _ENGLISH_STOP_WORD_SHARE * len(tokens)
        or "".join(tokens).isascii()
    )


def word_stem(term: str) -> str:
    """A language-neutral stem: the first five characters of a word, after an Arabic
    article or conjunction prefix (al-, wa-, bi-, li-, ...) when at least three
    letters remain. Numbers are kept whole.

    Cutting words to a fixed length merges inflected forms (German "rentenreform",
    "rentenreformen"; Russian "ставка", "ставку") without a dictionary; in English
    news it merges too much, so English text keeps whole words.

    >>> word_stem("rentenreformen"), word_stem("ставку"), word_stem("2039")
    ('rente', 'ставк', '2039')
    >>> word_stem("\u0628\u0627\u0644\u0627\u0642\u0635\u0631")  # bil-aqsar: in Luxor
    'اقصر'
    """
    if term.isdigit():
        return term
    if "\u0621" <= term[0] <= "\u064a":
        for prefix in _ARABIC_PREFIXES:
            if term.startswith(prefix) and len(term) - len(prefix) >= 3:
                term = term[len(prefix) :]
                break
    return term[:_STEM_CHARS]
