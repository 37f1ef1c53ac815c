"""Stop words of any language, taken from the corpus itself.

A term found in a large share of the articles, such as German "die" or "nach",
Turkish "bir" or Polish "się", tells no story from another, yet with IDF alone it
still weighs about a third of a rare name, and two unrelated articles in the same
language share dozens of them. No word list is needed: such terms are simply the
frequent ones. :func:`frequent_terms_mask` finds them from document frequencies,
and :func:`without_frequent_terms` removes them from a term-count matrix before
the TF-IDF weighting.

A term counts as frequent when it is in more than ``max_share`` of the articles
*and* in at least ``min_documents`` of them. The second condition keeps small
corpora intact: in five rewrites of one story the story's own words are in every
article, and they are evidence, not stop words. So a corpus under
:data:`MIN_DOCUMENTS` articles has no corpus stop words at all (three Spanish
articles cannot teach that "el" and "que" say nothing).

For a corpus that grows (the persistent index), the set should be fixed rather
than recomputed at each addition, or stored vectors and new ones would disagree:
compute it once the corpus holds :data:`STABLE_AFTER_DOCUMENTS` articles and keep
it (a share over a thousand articles or more moves little as the corpus grows).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .errors import ParameterError

__all__ = [
    "MAX_DOCUMENT_SHARE",
    "MIN_DOCUMENTS",
    "STABLE_AFTER_DOCUMENTS",
    "frequent_terms_mask",
    "without_frequent_terms",
]

MAX_DOCUMENT_SHARE = 0.5
"""Terms in more than this share of the articles are stop words."""

MIN_DOCUMENTS = 10
"""A stop word is in at least this many articles (so a small corpus keeps all its terms)."""

STABLE_AFTER_DOCUMENTS = 1000
"""Corpus size from which a growing corpus may fix its stop words for good."""


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


def without_frequent_terms(
    counts: sp.csr_matrix,
    groups=None,
    *,
    max_share: float = MAX_DOCUMENT_SHARE,
    min_documents: int = MIN_DOCUMENTS,
) -> sp.csr_matrix:
    """``counts`` (articles x terms) with each article's frequent terms set to zero.

    Parameters
    ----------
    counts : sparse matrix, shape (n_articles, n_terms)
        Term counts.
    groups : array-like, shape (n_articles,), optional
        A group per article, such as its script (:func:`dedupe_news.language.dominant_script`).
        Shares are then taken within each group: the Japanese articles of a mostly
        English corpus get their own stop words, which a share of the whole corpus
        would never reach. None: one group.

    An article made only of frequent terms keeps all of them, so that it still has
    a vector (its similarity to its copies stays 1).
    """
    counts = sp.csr_matrix(counts)
    n = counts.shape[0]
    rows = np.repeat(np.arange(n), np.diff(counts.indptr))
    drop = np.zeros(counts.indices.size, dtype=bool)
    labels = (
        np.zeros(n, dtype=np.intp) if groups is None else np.unique(groups, return_inverse=True)[1]
    )
    for group in np.unique(labels):
        members = labels == group
        in_group = members[rows]
        document_frequency = np.bincount(counts.indices[in_group], minlength=counts.shape[1])
        frequent = frequent_terms_mask(
            document_frequency, int(members.sum()), max_share=max_share, min_documents=min_documents
        )
        drop |= in_group & frequent[counts.indices]
    if not drop.any():
        return counts
    kept_per_row = np.bincount(rows[~drop], minlength=n)
    drop &= kept_per_row[rows] > 0  # a row of frequent terms only keeps them
    result = counts.copy()
    result.data[drop] = 0
    result.eliminate_zeros()
    return result
