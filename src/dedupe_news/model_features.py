"""What the learned same-story model reads: per-article evidence, then pair features.

The body's TF-IDF rows, MinHash signatures and dates
(:class:`~dedupe_news.pair_features.ArticleRows`) give
``body_cosine``, ``jaccard``, ``containment`` and ``date_distance_days``. The model
reads more (:data:`~dedupe_news.pair_model.PAIR_FEATURES`), prepared here once per
article from its *original-case* title and text:

* the **lead** (the title, else the first 50 words: news puts the story first),
  normalised and counted in the hashed term space, then weighed with an IDF
  fitted on the corpus's leads;
* the **evidence keys** of :mod:`~dedupe_news.evidence`: entities, quotes, tickers;
* the number of **tokens** of the body.

Per candidate pair, :func:`model_pair_features` gives every feature by name. One
of them, ``neighbour_cosine``, looks beyond the pair: the cosine of the two
articles' rows in the *candidate graph* (:func:`neighbour_graph`), which is high
when both are close to the same other articles. Headlines of one story share few
words pairwise, but many neighbours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .evidence import articles_evidence, lead_text
from .evidence_table import EvidenceTable, log_length
from .normalize import normalize_text, tokenize
from .pair_features import PairFeatures, cosine_similarity_pairs
from .prepare import article_terms, term_counts
from .weighting import document_frequencies, drop_unused_columns, smooth_idf, tfidf_rows

__all__ = [
    "EMPTY_LEAD_TERM",
    "EvidenceRows",
    "PreparedEvidence",
    "model_pair_features",
    "neighbour_graph",
    "normalised_rows",
    "prepare_evidence",
]

EMPTY_LEAD_TERM = "\0empty"
"""The one term of a lead with no terms, so that two empty leads are alike."""


@dataclass(frozen=True)
class PreparedEvidence:
    """The model's inputs of a chunk of articles, one entry per article.

    ``lead_counts`` holds raw lead-term counts in the hashed term space
    (:func:`~dedupe_news.prepare.term_counts`); ``entities``, ``quotes`` and
    ``tickers`` hold each article's sorted int64 keys.
    """

    lead_counts: sp.csr_matrix
    entities: list[np.ndarray]
    quotes: list[np.ndarray]
    tickers: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.entities)

    def take(self, index: np.ndarray) -> PreparedEvidence:
        """The articles at ``index`` (positions, in order)."""
        index = np.asarray(index, dtype=np.intp)
        return PreparedEvidence(
            self.lead_counts[index],
            [self.entities[k] for k in index],
            [self.quotes[k] for k in index],
            [self.tickers[k] for k in index],
        )

    @classmethod
    def stack(cls, chunks: Sequence[PreparedEvidence]) -> PreparedEvidence:
        """The chunks' articles, in order."""
        return cls(
            sp.vstack([c.lead_counts for c in chunks], format="csr"),
            [keys for c in chunks for keys in c.entities],
            [keys for c in chunks for keys in c.quotes],
            [keys for c in chunks for keys in c.tickers],
        )

    def __reduce__(self):
        # Pickled (a worker's chunk on its way back) as one flat array of each kind of
        # key and the articles' counts, not an array per article: on Reuters, 57,000
        # small arrays took 0.44 s to pickle and 0.37 s to load in the main process.
        return (
            _unpacked_evidence,
            (self.lead_counts, *map(_packed_keys, (self.entities, self.quotes, self.tickers))),
        )


def _packed_keys(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
    flat = np.concatenate(arrays) if lengths.sum() else np.zeros(0, dtype=np.int64)
    return flat.astype(np.int64, copy=False), lengths


def _unpacked_evidence(lead_counts, *packed: tuple[np.ndarray, np.ndarray]) -> PreparedEvidence:
    """A :class:`PreparedEvidence` from its pickled form (each article's keys are
    views of one flat array of its chunk)."""
    return PreparedEvidence(
        lead_counts,
        *(
            np.split(flat, np.cumsum(lengths)[:-1]) if lengths.size else []
            for flat, lengths in packed
        ),
    )


def lead_terms(title: str | None, text: str) -> list[str]:
    """The terms of an article's lead; :data:`EMPTY_LEAD_TERM` when it has none.

    >>> lead_terms("Storm hits the coast", "ignored body")
    ['storm', 'hits', 'coast']
    """
    return article_terms(tokenize(normalize_text(lead_text(title, text)))) or [EMPTY_LEAD_TERM]


def prepare_evidence(titles: Sequence[str | None], texts: Sequence[str]) -> PreparedEvidence:
    """Lead counts and evidence keys of articles given by title and text."""
    evidence = articles_evidence(titles, texts)
    return PreparedEvidence(
        lead_counts=term_counts([lead_terms(t, x) for t, x in zip(titles, texts, strict=True)]),
        entities=[e.entities for e in evidence],
        quotes=[e.quotes for e in evidence],
        tickers=[e.tickers for e in evidence],
    )


@dataclass(frozen=True)
class EvidenceRows:
    """A corpus's model inputs, weighed: see :meth:`from_prepared`.

    Attributes
    ----------
    lead_tfidf : csr_matrix
        L2-normalised lead TF-IDF rows, IDF fitted on these leads.
    evidence : EvidenceTable
        Entity, quote and ticker sets, entity IDF fitted on these articles.
    log_tokens : ndarray of float64
        ``ln(1 + tokens)`` of each body.
    """

    lead_tfidf: sp.csr_matrix
    evidence: EvidenceTable
    log_tokens: np.ndarray

    @classmethod
    def from_prepared(cls, prepared: PreparedEvidence, token_counts) -> EvidenceRows:
        counts = prepared.lead_counts
        idf = smooth_idf(document_frequencies(counts), counts.shape[0])
        lead, _ = drop_unused_columns(tfidf_rows(counts, idf))
        table = EvidenceTable(prepared.entities, prepared.quotes, prepared.tickers)
        return cls(lead, table, log_length(token_counts))


def neighbour_graph(n: int, i: np.ndarray, j: np.ndarray, cosine: np.ndarray) -> sp.csr_matrix:
    """The candidate graph, rows L2-normalised: ``G[a, b]`` is the body cosine of each
    candidate pair (both ways), ``G[a, a]`` is 1.

    The same matrix as :func:`normalised_rows` of the graph (a pair given twice counts
    twice), built with less memory: pairs sorted by ``(i, j)`` with ``i < j``, as
    :func:`~dedupe_news.candidate_search.candidate_pairs` gives them, go straight into
    place (24 bytes a pair for the graph, as int32 and float64, and about 16 more at
    the peak, for one sort of the pairs); others through a COO matrix (about 56 at
    the peak). Rows are then normalised in place, a block of rows at a time.

    >>> g = neighbour_graph(3, np.array([0]), np.array([1]), np.array([1.0]))
    >>> [round(float(x), 3) for x in (g[0] @ g[1].T).toarray().ravel()]
    [1.0]
    """
    i, j = np.asarray(i, dtype=np.intp), np.asarray(j, dtype=np.intp)
    if _sorted_distinct_pairs(i, j):
        return _normalise_canonical_rows(_placed_graph(n, i, j, np.asarray(cosine)))
    index = _index_type(n, i.size)
    size = 2 * len(i) + n
    rows, columns = np.empty(size, dtype=index), np.empty(size, dtype=index)
    rows[: len(i)], rows[len(i) : 2 * len(i)], rows[2 * len(i) :] = i, j, np.arange(n)
    columns[: len(i)], columns[len(i) : 2 * len(i)], columns[2 * len(i) :] = j, i, np.arange(n)
    data = np.r_[np.asarray(cosine, dtype=np.float64), cosine, np.ones(n)]
    graph = sp.coo_matrix((data, (rows, columns)), shape=(n, n))
    del rows, columns, data
    graph = graph.tocsr()  # duplicates summed, columns sorted: canonical
    graph.sum_duplicates()
    return _normalise_canonical_rows(graph)


def _index_type(n: int, n_pairs: int) -> type:
    return np.int32 if 2 * n_pairs + n < np.iinfo(np.int32).max else np.int64


def _sorted_distinct_pairs(i: np.ndarray, j: np.ndarray) -> bool:
    """Whether the pairs are distinct, sorted by ``(i, j)``, with ``i < j``."""
    if i.size == 0:
        return True
    step_i, step_j = np.diff(i), np.diff(j)
    return bool((i < j).all() and (step_i >= 0).all() and ((step_i > 0) | (step_j > 0)).all())


def _placed_graph(n: int, i: np.ndarray, j: np.ndarray, cosine: np.ndarray) -> sp.csr_matrix:
    """The unnormalised graph in canonical CSR form, each entry written in place: row
    ``a`` lists the pairs ``(x, a)`` in order of ``x``, then ``a`` itself, then the
    pairs ``(a, y)`` in order of ``y``, which is the order of the columns."""
    index = _index_type(n, i.size)
    before = np.bincount(j, minlength=n)  # pairs (x, a) with x < a, per row a
    after = np.bincount(i, minlength=n)
    indptr = np.zeros(n + 1, dtype=index)
    np.cumsum(before + after + 1, out=indptr[1:])
    indices = np.empty(int(indptr[-1]), dtype=index)
    data = np.empty(indices.size, dtype=np.float64)
    diagonal = indptr[:-1] + before
    indices[diagonal], data[diagonal] = np.arange(n), 1.0
    step = _ROWS_PER_BLOCK * 16  # pairs placed at a time
    # (a, y): the pairs of row a are consecutive, in order of y, from the a-th start.
    first = np.cumsum(after) - after
    for start in range(0, i.size, step):
        rows = i[start : start + step]
        place = diagonal[rows] + 1 + np.arange(start, start + rows.size) - first[rows]
        indices[place], data[place] = j[start : start + step], cosine[start : start + step]
    # (x, a): by a, then x (a stable sort by j keeps the order of i).
    by_column = np.argsort(j, kind="stable")
    first = np.cumsum(before) - before
    for start in range(0, by_column.size, step):
        taken = by_column[start : start + step]
        rows = j[taken]
        place = indptr[:-1][rows] + np.arange(start, start + taken.size) - first[rows]
        indices[place], data[place] = i[taken], cosine[taken]
    return sp.csr_matrix((data, indices, indptr), shape=(n, n))


_ROWS_PER_BLOCK = 1 << 16


def _normalise_canonical_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """:func:`normalised_rows` of a canonical CSR matrix, in place and bit for bit: each
    row's norm as ``matrix.multiply(matrix).sum(axis=1)`` gives it (per row, so a block
    of rows at a time gives the same), then each entry times the inverse norm (the one
    product per entry of ``diags(1 / norms) @ matrix``, which drops zeros)."""
    n = matrix.shape[0]
    inverse = np.empty(n, dtype=np.float64)
    for start in range(0, n, _ROWS_PER_BLOCK):
        block = matrix[start : start + _ROWS_PER_BLOCK]
        squares = np.asarray(block.multiply(block).sum(axis=1)).ravel()
        inverse[start : start + block.shape[0]] = 1.0 / np.sqrt(squares)
    counts = np.diff(matrix.indptr)
    for start in range(0, n, _ROWS_PER_BLOCK):
        stop = min(start + _ROWS_PER_BLOCK, n)
        first, last = matrix.indptr[start], matrix.indptr[stop]
        matrix.data[first:last] *= np.repeat(inverse[start:stop], counts[start:stop])
    matrix.eliminate_zeros()
    return matrix


def normalised_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """The rows of ``matrix`` L2-normalised, columns sorted (the candidate graph's
    rows, as :func:`neighbour_graph` gives them; no row may be all zero).

    >>> normalised_rows(sp.csr_matrix(np.array([[0.0, 2.0]]))).toarray().tolist()
    [[0.0, 1.0]]
    """
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    normalised = sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)
    # The product lists each row's columns in descending order; sorted, the rows are
    # in canonical form, which pair products walk in the same (ascending) column
    # order, compiled when numba is installed (``cosine_similarity_pairs``).
    normalised.sort_indices()
    return normalised


def model_pair_features(
    evidence: EvidenceRows,
    graph: sp.csr_matrix,
    i: np.ndarray,
    j: np.ndarray,
    core: PairFeatures,
    min_containment_shingles: int,
) -> dict[str, np.ndarray]:
    """Every feature of :data:`~dedupe_news.pair_model.PAIR_FEATURES` for pairs
    ``(i[k], j[k])`` of one corpus, given their ``core`` features
    (:func:`~dedupe_news.pair_features.pair_features` of the same pairs).

    ``containment`` is 0 where the shorter text has fewer than
    ``min_containment_shingles`` shingles (too few to trust), and an unknown date
    distance is 0.
    """
    i = np.asarray(i, dtype=np.intp)
    j = np.asarray(j, dtype=np.intp)
    table = evidence.evidence
    length_i, length_j = evidence.log_tokens[i], evidence.log_tokens[j]
    trusted = core.smaller_shingles >= min_containment_shingles
    return {
        "body_cosine": core.cosine_similarity,
        "lead_cosine": cosine_similarity_pairs(evidence.lead_tfidf, i, evidence.lead_tfidf, j),
        **table.entity_features(i, j),
        "quote_overlap": table.quote_overlap(i, j),
        "ticker_conflict": table.ticker_conflict(i, j),
        "jaccard": core.jaccard_similarity,
        "containment": np.where(trusted, core.containment_similarity, 0.0),
        "log_tokens_min": np.minimum(length_i, length_j),
        "log_tokens_max": np.maximum(length_i, length_j),
        "log_length_ratio": np.abs(length_i - length_j),
        "date_distance_days": np.nan_to_num(core.date_distance_days, nan=0.0),
        "neighbour_cosine": cosine_similarity_pairs(graph, i, graph, j),
    }
