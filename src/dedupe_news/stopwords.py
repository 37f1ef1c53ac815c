"""Stop words of any language, taken from the corpus itself.

A term found in a large share of the articles, such as German "die" or "nach",
Turkish "bir" or Polish "się", tells no story from another, yet with IDF alone it
still weighs about a third of a rare name, and two unrelated articles in the same
language share dozens of them. No word list is needed: such terms are simply the
frequent ones. :func:`frequent_terms_mask` finds them from document frequencies,
and :func:`stop_entries` says which entries of a term-count matrix to leave out.
Every engine applies them in the weighting step
(:func:`dedupe_news.weighting.stop_terms` and :func:`dedupe_news.weighting.tfidf_rows`).

A term counts as frequent when it is in more than ``max_share`` of the articles
*and* in at least ``min_documents`` of them. The second condition keeps small
corpora intact: in five rewrites of one story the story's own words are in every
article, and they are evidence, not stop words. So a corpus under
:data:`MIN_DOCUMENTS` articles has no corpus stop words at all. Shares are taken
over the whole corpus: in a corpus of many languages, a language's function words
are stop words only where that language makes up more than ``max_share`` of the
articles.

Where the corpus cannot tell (three Spanish articles cannot teach that "el" and
"que" say nothing; twenty German articles among a thousand English ones are under
half of the corpus), a reference corpus can: :func:`reference_stop_words` are the
terms the same rule finds in the news of each language of a reference table
(:data:`REFERENCE_TABLE`, built from real news by ``python -m
benchmarks.stop_word_table``; 75 stems of ar, de, es, fr, it, pl, ru, tr; none for
English or Chinese). :func:`~dedupe_news.terms.content_terms` leaves them out of
the terms of every article that does not read as English, before the terms are
counted, so every engine gets them through preparation, and the set never changes
as a corpus grows. English text keeps the English list: no English term is in most
articles of every English reference corpus.

For a corpus that grows (the persistent index), the set is fixed rather than
recomputed at each addition, or stored vectors and new ones would disagree: the
index follows batch clustering's set until it holds :data:`STABLE_AFTER_DOCUMENTS`
articles, then stores the set of that moment and keeps it (a share over a thousand
articles or more moves little as the corpus grows).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import numpy as np

from .errors import ParameterError

__all__ = [
    "MAX_DOCUMENT_SHARE",
    "MIN_DOCUMENTS",
    "REFERENCE_TABLE",
    "STABLE_AFTER_DOCUMENTS",
    "frequent_terms_mask",
    "reference_stop_words",
    "stop_entries",
]

MAX_DOCUMENT_SHARE = 0.5
"""Terms in more than this share of the articles are stop words."""

MIN_DOCUMENTS = 10
"""A stop word is in at least this many articles (so a small corpus keeps all its terms)."""

STABLE_AFTER_DOCUMENTS = 1000
"""Corpus size from which a growing corpus may fix its stop words for good."""

REFERENCE_TABLE = "models/reference_stop_words.json"
"""The reference stop words, in the package: built by ``python -m benchmarks.stop_word_table``."""


@cache
def reference_stop_words() -> frozenset[str]:
    """The stop words of a reference news corpus, every language of the table together:
    the terms the corpus rule (:func:`frequent_terms_mask`) finds in each language's
    reference articles (:data:`REFERENCE_TABLE`; stems, as
    :func:`~dedupe_news.terms.content_terms` cuts words outside English).

    >>> {"der", "que", "\u0447\u0442\u043e"} <= reference_stop_words()  # German, Spanish, Russian
    True
    """
    table = json.loads(
        resources.files("dedupe_news").joinpath(REFERENCE_TABLE).read_text(encoding="utf-8")
    )
    return frozenset(t for entry in table["languages"].values() for t in entry["terms"])


def frequent_terms_mask(
    document_frequency,
    n_documents: int,
    *,
    max_share: float = MAX_DOCUMENT_SHARE,
    min_documents: int = MIN_DOCUMENTS,
) -> np.ndarray:
    """Boolean mask of the terms that are stop words in this corpus.

    Parameters
    ----------
    document_frequency : array-like of int, shape (n_terms,)
        Number of articles each term is in.
    n_documents : int
        Number of articles in the corpus.
    max_share : float
        Terms in more than this share of the articles are stop words.
    min_documents : int
        ... and only if they are in at least this many articles.

    >>> frequent_terms_mask([100, 51, 50, 2], 100).tolist()
    [True, True, False, False]
    >>> frequent_terms_mask([5, 5, 1], 5).tolist()  # five articles: every term is evidence
    [False, False, False]
    """
    if not 0.0 < max_share <= 1.0:
        raise ParameterError(f"max_share must be in (0, 1], got {max_share!r}")
    df = np.asarray(document_frequency)
    return (df > max_share * n_documents) & (df >= min_documents)


def stop_entries(indptr: np.ndarray, frequent: np.ndarray) -> np.ndarray:
    """Which stored entries of a CSR matrix to leave out, given whether each entry's
    term is frequent: the frequent ones, except in a row made only of frequent terms
    (that row keeps them all, so that it still has a vector and its copies stay at
    similarity 1).

    Parameters
    ----------
    indptr : ndarray of int, shape (n_rows + 1,)
        The CSR row pointers.
    frequent : ndarray of bool, shape (nnz,)
        Whether each entry's term is a stop word (:func:`frequent_terms_mask` of its column).

    >>> stop_entries(np.array([0, 2, 3]), np.array([True, False, True])).tolist()
    [True, False, False]
    """
    frequent = np.asarray(frequent, dtype=bool)
    lengths = np.diff(indptr)
    if not frequent.any():
        return frequent
    # Whether each row keeps a term, by one pass over its entries: no row number per
    # entry (int64 arrays of every entry took 2 GB at 1M articles).
    filled = lengths > 0
    keeps_a_term = np.zeros(lengths.size, dtype=bool)
    keeps_a_term[filled] = np.logical_or.reduceat(~frequent, indptr[:-1][filled])
    return frequent & np.repeat(keeps_a_term, lengths)
