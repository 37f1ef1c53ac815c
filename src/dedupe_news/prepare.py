"""Preparation: article texts to tokens, MinHash signatures and term counts.

Every engine prepares an article the same way, with :func:`prepare_texts`:

1. :func:`~dedupe_news.normalize.strip_boilerplate` (Unicode, case folding,
   page furniture dropped) and :func:`~dedupe_news.normalize.tokenize`;
2. a MinHash signature of the token shingles (:class:`~dedupe_news.minhash.MinHasher`);
3. raw counts of the content terms (:func:`~dedupe_news.normalize.content_terms`;
   a text of stop words only counts all its tokens) in a hashed term space of
   :data:`N_FEATURES` columns (:func:`term_counts`), so that chunks counted in
   separate processes or on separate machines stack without a shared vocabulary.

The batch estimator runs it on chunks in worker processes, the index on the
articles of each ``add``, and Spark inside ``mapInArrow``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from .minhash import MinHasher, Signatures
from .normalize import content_terms, strip_boilerplate, tokenize

__all__ = [
    "N_FEATURES",
    "PreparedTexts",
    "article_terms",
    "prepare_texts",
    "term_column",
    "term_counts",
]

N_FEATURES = 2**22
"""Hashed term space. With ~1M distinct terms, under 12% of terms share a bucket
with another, mostly rare ones; cosine changes negligibly."""


def _identity(terms: Sequence[str]) -> Sequence[str]:
    return terms


_HASHER = HashingVectorizer(
    analyzer=_identity, n_features=N_FEATURES, alternate_sign=False, norm=None, dtype=np.float32
)


@dataclass(frozen=True)
class PreparedTexts:
    """A chunk of prepared texts.

    Attributes
    ----------
    has_text : ndarray of bool, shape (n_texts,)
        False where nothing is left after cleaning (the article is skipped).
    signatures : Signatures
        One row per text *with* text.
    term_counts : csr_matrix of float32, shape (n_with_text, N_FEATURES)
        Raw content-term counts, one row per text with text.
    token_counts : ndarray of int64, shape (n_with_text,)
        Tokens per text with text.
    """

    has_text: np.ndarray
    signatures: Signatures
    term_counts: sp.csr_matrix
    token_counts: np.ndarray


def article_terms(tokens: Sequence[str]) -> list[str]:
    """The terms an article is weighed by: its content terms, or, for a text of stop
    words only, all its tokens.

    >>> article_terms(["the", "storm"]), article_terms(["to", "be"])
    (['storm'], ['to', 'be'])
    """
    return content_terms(tokens) or list(tokens)


def term_counts(term_lists: Sequence[Sequence[str]]) -> sp.csr_matrix:
    """Raw term counts, one row per term list, in the hashed term space.

    Stateless, so chunks can be counted in separate processes and stacked.
    """
    if len(term_lists) == 0:
        return sp.csr_matrix((0, N_FEATURES), dtype=np.float32)
    return sp.csr_matrix(_HASHER.transform(term_lists))


def term_column(term: str) -> int:
    """The column of ``term`` in the hashed term space.

    >>> term_column("storm") == int(term_counts([["storm"]]).indices[0])
    True
    """
    return int(term_counts([[term]]).indices[0])


def prepare_texts(texts: Sequence[str], hasher: MinHasher) -> PreparedTexts:
    """Tokens, signatures and term counts of ``texts`` (an article's ``full_text``)."""
    tokens = [tokenize(strip_boilerplate(text)) for text in texts]
    has_text = np.array([bool(t) for t in tokens], dtype=bool)
    signatures = hasher.sign(tokens)
    kept = [t for t in tokens if t]
    return PreparedTexts(
        has_text=has_text,
        signatures=Signatures(signatures.hashvalues[has_text], signatures.shingle_counts[has_text]),
        term_counts=term_counts([article_terms(t) for t in kept]),
        token_counts=np.array([len(t) for t in kept], dtype=np.int64),
    )
