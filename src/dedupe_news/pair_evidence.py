"""What two articles share, in words: the evidence behind a pair's verdict.

For people reading ``compare`` or ``explain``, not for the decision itself (the
decision reads the numbers of :mod:`~dedupe_news.model_features`). From the two
articles' original text:

``shared_entities``
    Names, tickers and numbers both name (see :mod:`~dedupe_news.evidence`).
``only_a_entities``, ``only_b_entities``
    Names, tickers and numbers only one side names: evidence against when both
    lists hold specific names (two companies, two towns).
``shared_quotes``
    Quoted spans of A that share at least three consecutive words (or the whole
    short span) with a quote of B.
``top_shared_terms``
    The shared terms that add most to the TF-IDF cosine, with their share of it
    (the product of the two weights; the shares of all shared terms sum to the
    cosine).
``aligned_passage``
    The longest run of words both texts hold in the same order (a copied
    passage), when it is at least :data:`MIN_PASSAGE_WORDS` words long.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np
import scipy.sparse as sp

from .articles import Article
from .evidence import entity_names, quote_spans, span_keys
from .normalize import strip_boilerplate, tokenize
from .prepare import article_terms, term_column

__all__ = ["MIN_PASSAGE_WORDS", "PairEvidence", "fitted_term_weight", "pair_evidence"]

MIN_PASSAGE_WORDS = 8
"""The shortest common run of words shown as an aligned passage."""

_SHOWN = 20


@dataclass(frozen=True)
class PairEvidence:
    """The evidence of one pair (see the module docstring)."""

    shared_entities: list[str]
    only_a_entities: list[str]
    only_b_entities: list[str]
    shared_quotes: list[str]
    top_shared_terms: list[tuple[str, float]]
    aligned_passage: str | None


def _readable(key: str) -> str:
    kind, _, value = key.partition(":")
    return f"<{value}>" if kind == "T" else value


def _ordered_unique(items) -> list[str]:
    return list(dict.fromkeys(items))


def _entities(article: Article) -> list[str]:
    return _ordered_unique(entity_names(article.full_text))


def pair_evidence(
    a: Article,
    b: Article,
    term_weight: Callable[[int, str], float] | None = None,
    top: int = 10,
) -> PairEvidence:
    """The evidence two articles share.

    ``term_weight(side, term)`` gives a term's TF-IDF weight in article A
    (``side`` 0) or B (1) as the fitted corpus weighs it; without it, shared terms
    are listed unweighted (weight 0).

    >>> a = Article("a", 'Putin said talks with Ukraine were "at a dead end" in Istanbul.')
    >>> b = Article("b", 'In Istanbul, Putin said talks were "at a dead end", Bucha aside.')
    >>> e = pair_evidence(a, b)
    >>> e.shared_entities, e.only_b_entities, e.shared_quotes
    (['istanbul', 'putin'], ['bucha'], ['at a dead end'])
    """
    entities_a, entities_b = _entities(a), _entities(b)
    in_b, in_a = set(entities_b), set(entities_a)
    spans_b = quote_spans(b.full_text)
    keys_b = {key for words in spans_b for key in span_keys(words)}
    quotes = _ordered_unique(
        " ".join(words)
        for words in quote_spans(a.full_text)
        if keys_b.intersection(span_keys(words))
    )
    tokens_a = tokenize(strip_boilerplate(a.full_text))
    tokens_b = tokenize(strip_boilerplate(b.full_text))
    shared_terms = set(article_terms(tokens_a)) & set(article_terms(tokens_b))
    if term_weight is None:
        weighted = [(term, 0.0) for term in sorted(shared_terms)]
    else:
        weighted = [(t, term_weight(0, t) * term_weight(1, t)) for t in shared_terms]
        weighted.sort(key=lambda item: (-item[1], item[0]))
    return PairEvidence(
        shared_entities=[_readable(k) for k in entities_a if k in in_b][:_SHOWN],
        only_a_entities=[_readable(k) for k in entities_a if k not in in_b][:_SHOWN],
        only_b_entities=[_readable(k) for k in entities_b if k not in in_a][:_SHOWN],
        shared_quotes=quotes[:_SHOWN],
        top_shared_terms=[(t, round(float(w), 6)) for t, w in weighted[:top]],
        aligned_passage=_aligned_passage(tokens_a, tokens_b),
    )


def _aligned_passage(tokens_a: list[str], tokens_b: list[str]) -> str | None:
    """The longest run of tokens both lists hold in order, when long enough."""
    if min(len(tokens_a), len(tokens_b)) < MIN_PASSAGE_WORDS:
        return None
    matcher = SequenceMatcher(None, tokens_a, tokens_b)
    match = matcher.find_longest_match(0, len(tokens_a), 0, len(tokens_b))
    if match.size < MIN_PASSAGE_WORDS:
        return None
    return " ".join(tokens_a[match.a : match.a + match.size])


def fitted_term_weight(
    tfidf: sp.csr_matrix, used_columns: np.ndarray, row_a: int, row_b: int
) -> Callable[[int, str], float]:
    """``term_weight`` for :func:`pair_evidence` from fitted TF-IDF rows whose columns
    are the hashed term columns ``used_columns`` (see
    :func:`~dedupe_news.weighting.drop_unused_columns`)."""
    rows = (row_a, row_b)

    def weight(side: int, term: str) -> float:
        column = term_column(term)
        position = int(np.searchsorted(used_columns, column))
        if position >= used_columns.size or used_columns[position] != column:
            return 0.0
        return float(tfidf[rows[side], position])

    return weight
