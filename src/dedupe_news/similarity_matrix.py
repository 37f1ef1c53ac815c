"""The fixed rule's ``story_similarity`` matrix of a component, for its linkage.

Inside a component, agglomeration (:mod:`dedupe_news.clustering`) needs every
pair's ``story_similarity``, not only the candidates': under the fixed rule that
is the TF-IDF cosine within the date window (:func:`windowed_similarity`), and 1.0
for the pairs the copy search decided are copies (:func:`copy_matrix`), put
together by :func:`component_similarity`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .pair_features import ArticleRows

__all__ = ["component_similarity", "copy_matrix", "windowed_similarity"]


def copy_matrix(
    n: int, i: np.ndarray, j: np.ndarray, story_similarity: np.ndarray
) -> sp.csr_matrix:
    """Symmetric boolean ``(n, n)`` matrix of the pairs decided as copies
    (``story_similarity`` 1), for :func:`component_similarity`."""
    is_copy = story_similarity >= 1.0
    copies = sp.csr_matrix(
        (np.ones(int(is_copy.sum()), dtype=bool), (i[is_copy], j[is_copy])), shape=(n, n)
    )
    return (copies + copies.T).tocsr()


def windowed_similarity(cosine: np.ndarray, gap_days: np.ndarray, window_days: float):
    """The fixed rule's ``story_similarity`` before copies: the cosine, or 0 where the
    two articles are more than ``window_days`` apart (an unknown gap keeps the cosine).

    >>> windowed_similarity(np.array([0.4, 0.4]), np.array([2.0, 9.0]), 5.0).tolist()
    [0.4, 0.0]
    """
    return np.where(gap_days > window_days, 0.0, cosine)


def component_similarity(
    rows: ArticleRows, window_days: float, members: np.ndarray, copies: sp.csr_matrix
) -> np.ndarray:
    """Full ``story_similarity`` matrix of a component's ``members`` (indices of ``rows``).

    TF-IDF cosine within the date window, and 1.0 for the copy pairs the copy search
    found (``copies``: a boolean matrix over the same rows, see :func:`copy_matrix`).
    """
    sub = rows.tfidf[members]
    cosine = np.clip((sub @ sub.T).toarray(), 0.0, 1.0)
    member_days = rows.days[members]
    gap = np.abs(member_days[:, None] - member_days[None, :])
    similarity = windowed_similarity(cosine, gap, window_days)
    if members.size > 1 and not (members[1:] > members[:-1]).all():
        similarity[copies[members][:, members].toarray()] = 1.0
        return similarity
    # The copy pairs among the sorted members, from their rows of ``copies``.
    block = copies[members]
    local = np.searchsorted(members, block.indices)
    inside = members[np.minimum(local, members.size - 1)] == block.indices
    owner = np.repeat(np.arange(members.size), np.diff(block.indptr))
    similarity[owner[inside], local[inside]] = 1.0
    return similarity
