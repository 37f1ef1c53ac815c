"""Preparation: article texts to tokens, MinHash signatures and term counts.

Every engine prepares an article the same way, with :func:`prepare_texts`:

1. :func:`~dedupe_news.normalize.strip_boilerplate` (Unicode, case folding,
   page furniture dropped) and :func:`~dedupe_news.normalize.tokenize`;
2. a MinHash signature of the token shingles (:class:`~dedupe_news.minhash.MinHasher`);
3. raw counts of the content terms (:func:`~dedupe_news.terms.content_terms`;
   a text of stop words only counts all its tokens) in a hashed term space of
   :data:`N_FEATURES` columns (:func:`term_counts`), so that chunks counted in
   separate processes or on separate machines stack without a shared vocabulary.

The batch estimator runs it on chunks in worker processes, the index on the
articles of each ``add``, and Spark inside ``mapInArrow``.

It gives what those three steps give, faster: a batch is tokenised with
:func:`batch_article_tokens` (a plain ASCII text in one pass over the whole text,
see :func:`~dedupe_news.normalize.article_tokens`), and each distinct token's
CRC-32, term column and stop-word flag are computed once per process
(:data:`TOKENS`), so that signing and counting work on arrays
(``python -m benchmarks.prepare_speed`` times the steps; the tests compare the
result with the three steps above).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.utils import murmurhash3_32

from .boilerplate_rules import phrase_literals_in
from .minhash import MinHasher, Signatures
from .normalize import article_tokens
from .terms import content_terms
from .token_table import TokenTable

__all__ = [
    "N_FEATURES",
    "PreparedTexts",
    "TOKENS",
    "article_terms",
    "batch_article_tokens",
    "prepare_texts",
    "term_column",
    "term_columns",
    "term_counts",
]

# terms.reads_as_english: fewer tokens than this, or at least this share of stop
# words, reads as English (the tests check the two stay in step).
_MIN_TOKENS_TO_TELL_LANGUAGE = 30
_ENGLISH_STOP_WORD_SHARE = 0.2
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
    """Tokens, signatures and term counts of ``texts`` (an article's ``full_text``).

    The same as signing ``tokens = [tokenize(strip_boilerplate(t)) for t in texts]``
    with ``hasher.sign`` and counting ``term_counts([article_terms(t) for t in tokens
    if t])``, faster: each distinct token is hashed once per process (:data:`TOKENS`).
    """
    tokens = batch_article_tokens(texts)
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    has_text = lengths > 0
    flat = itertools.chain.from_iterable(tokens)
    crc, column, is_term = TOKENS.lookup(flat, int(lengths.sum()))
    signatures = hasher.sign_token_hashes(crc, lengths)
    kept = np.flatnonzero(has_text).tolist()
    return PreparedTexts(
        has_text=has_text,
        signatures=Signatures(signatures.hashvalues[has_text], signatures.shingle_counts[has_text]),
        term_counts=_term_counts(
            [texts[k] for k in kept], [tokens[k] for k in kept], lengths[has_text], column, is_term
        ),
        token_counts=lengths[has_text],
    )


def batch_article_tokens(texts: Sequence[str]) -> list[list[str]]:
    """``[article_tokens(text) for text in texts]``, with the phrase literals of the
    ASCII texts found for the whole batch at once."""
    plain = [k for k, text in enumerate(texts) if text.isascii()]
    literals: list[set[str] | None] = [None] * len(texts)
    for k, found in zip(plain, phrase_literals_in([texts[k].lower() for k in plain]), strict=True):
        literals[k] = found
    return [article_tokens(text, found) for text, found in zip(texts, literals, strict=True)]


def _term_counts(
    texts: Sequence[str],
    tokens: Sequence[Sequence[str]],
    lengths: np.ndarray,
    column: np.ndarray,
    is_term: np.ndarray,
) -> sp.csr_matrix:
    """:func:`term_counts` of the :func:`article_terms` of non-empty token lists, from
    their tokens' columns and content-term flags (all lists end to end)."""
    n = len(tokens)
    if n == 0:
        return term_counts([])
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    n_terms = np.add.reduceat(is_term.astype(np.int64), starts)
    # content_terms keeps the flagged tokens of a text that reads as English (always
    # for ASCII text, and for fewer than 30 tokens or a fifth or more stop words).
    english = (lengths < _MIN_TOKENS_TO_TELL_LANGUAGE) | (
        lengths - n_terms >= _ENGLISH_STOP_WORD_SHARE * lengths
    )
    for k in np.flatnonzero(~english).tolist():
        english[k] = texts[k].isascii() or "".join(tokens[k]).isascii()
    owner = np.repeat(np.arange(n), lengths)
    # A text of stop words only counts all its tokens.
    keep = is_term | np.repeat(n_terms == 0, lengths)
    other = np.flatnonzero(~english)
    if other.size:
        keep &= np.repeat(english, lengths)
    rows, columns = owner[keep], column[keep]
    if other.size:
        terms = [article_terms(tokens[k]) for k in other.tolist()]
        extra_rows = np.repeat(other, [len(t) for t in terms])
        extra_columns = TOKENS.lookup(list(itertools.chain.from_iterable(terms)))[1]
        order = np.argsort(np.concatenate([rows, extra_rows]), kind="stable")
        rows = np.concatenate([rows, extra_rows])[order]
        columns = np.concatenate([columns, extra_columns])[order]
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    counts = sp.csr_matrix(
        (np.ones(columns.size, dtype=np.float32), columns.astype(np.int32), indptr),
        shape=(n, N_FEATURES),
    )
    counts.sum_duplicates()  # as HashingVectorizer does; also sorts the indices
    return counts


def term_columns(terms: Sequence[str]) -> np.ndarray:
    """:func:`term_column` of each term, as HashingVectorizer computes it (MurmurHash3
    of the UTF-8 bytes, seed 0, absolute value modulo :data:`N_FEATURES`).

    >>> term_columns(["storm", "talks"]).tolist() == [term_column("storm"), term_column("talks")]
    True
    """
    hashes = np.fromiter(map(murmurhash3_32, terms), dtype=np.int64, count=len(terms))
    columns = np.abs(hashes) % N_FEATURES
    # HashingVectorizer's rule for the one hash whose absolute value overflows int32.
    columns[hashes == -(2**31)] = (2**31 - 1 - (N_FEATURES - 1)) % N_FEATURES
    return columns.astype(np.int32)


TOKENS = TokenTable(term_columns)
"""This process's table of distinct tokens (forked workers inherit it)."""
