"""The Arrow layout of the rows passed between the job's stages, and its readers.

Every stage after ``prepare`` addresses an article by ``pos``, its position in the
input DataFrame's order. Term weights travel as two parallel list columns
(``cols``, ``weights``: one CSR row), MinHash signatures as ``num_perm`` uint32
values packed into one binary value.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = [
    "EVIDENCE_SCHEMA",
    "FEATURES_SCHEMA",
    "GRAPH_SCHEMA",
    "MODEL_FEATURES_SCHEMA",
    "PAIRS_SCHEMA",
    "PREPARED_SCHEMA",
    "hashvalues",
    "list_values",
    "pairs_table",
    "plain",
    "plain2",
    "list_matrix",
    "weight_matrix",
]

PREPARED_SCHEMA = (
    "mid long, id string, has_text boolean, day double, seconds double, bad_date string, "
    "shingles int, "
    "hashvalues binary, term_ids array<int>, term_counts array<float>"
)
"""``prepare``'s rows: ``mid`` is Spark's monotonically increasing id, ``day`` the
UTC day's ordinal and ``seconds`` the publication time in epoch seconds (a bare
date at 00:00 UTC; both NaN undated), ``bad_date`` the error of an unreadable date."""

FEATURES_SCHEMA = (
    "pos long, day double, shingles int, hashvalues binary, cols array<int>, weights array<float>"
)
"""A weighted article: its TF-IDF row over the terms in use, and its signature."""

EVIDENCE_SCHEMA = (
    "tokens long, lead_ids array<int>, lead_counts array<float>, "
    "entities array<long>, quotes array<long>, tickers array<long>"
)
"""What ``prepare`` adds for a learned model
(:class:`~dedupe_news.model_features.PreparedEvidence`): the body's token count, the
lead's hashed term counts, the entity, quote and ticker keys."""

MODEL_FEATURES_SCHEMA = (
    "lead_cols array<int>, lead_weights array<float>, "
    "entities array<long>, quotes array<long>, tickers array<long>, log_tokens double"
)
"""What a weighted article carries beside :data:`FEATURES_SCHEMA` for a learned model:
its lead TF-IDF row (lead IDF of the whole corpus), its keys and ``ln(1 + tokens)``."""

GRAPH_SCHEMA = "pos long, graph_cols array<long>, graph_weights array<double>"
"""An article's L2-normalised row of the candidate graph
(:func:`~dedupe_news.model_features.neighbour_graph`)."""

PAIRS_SCHEMA = (
    "i long, j long, cosine_similarity double, jaccard_similarity double, "
    "containment_similarity double, date_distance_days double, story_similarity double"
)
"""A scored pair ``i < j`` (positions), as :class:`~dedupe_news.PairTable` holds it."""


def list_values(column) -> tuple[np.ndarray, np.ndarray]:
    """``(offsets, values)`` of an Arrow list column, offsets starting at 0."""
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    offsets = column.offsets.to_numpy().astype(np.int64)
    values = column.values.to_numpy(zero_copy_only=False)[offsets[0] : offsets[-1]]
    return offsets - offsets[0], values


def hashvalues(column, num_perm: int) -> np.ndarray:
    """The ``(rows, num_perm)`` uint32 signatures of a binary column."""
    values = column.to_pylist()
    return np.frombuffer(b"".join(values), dtype=np.uint32).reshape(len(values), num_perm)


def list_matrix(table, cols: str, weights: str, width: int, dtype, index_dtype) -> sp.csr_matrix:
    """The CSR rows of a table's list columns ``cols`` (column numbers) and ``weights``
    (their values), ``width`` columns wide, values as ``dtype``."""
    offsets, columns = list_values(table.column(cols))
    _, values = list_values(table.column(weights))
    return sp.csr_matrix(
        (values.astype(dtype), columns.astype(index_dtype), offsets),
        shape=(table.num_rows, width),
    )


def weight_matrix(table, n_terms: int) -> sp.csr_matrix:
    """The float32 TF-IDF rows of a table's ``cols`` and ``weights`` columns."""
    return list_matrix(table, "cols", "weights", n_terms, np.float32, np.int32)


def pairs_table(i_pos: np.ndarray, j_pos: np.ndarray, scores):
    """A :data:`PAIRS_SCHEMA` table of a ``PairTable`` whose pair ``k`` joins the
    articles at positions ``i_pos[k]`` and ``j_pos[k]``."""
    import pyarrow as pa

    return pa.table(
        {
            "i": pa.array(np.asarray(i_pos, dtype=np.int64)),
            "j": pa.array(np.asarray(j_pos, dtype=np.int64)),
            "cosine_similarity": pa.array(scores.cosine_similarity.astype(np.float64)),
            "jaccard_similarity": pa.array(scores.jaccard_similarity.astype(np.float64)),
            "containment_similarity": pa.array(scores.containment_similarity.astype(np.float64)),
            "date_distance_days": pa.array(scores.date_distance_days.astype(np.float64)),
            "story_similarity": pa.array(np.asarray(scores.story_similarity, dtype=np.float64)),
        }
    )


def plain(func, **kwargs):
    """``partial(func, **kwargs)`` for one Arrow table, as a plain function: PySpark
    4.3's ``applyInArrow`` rejects ``partial`` objects (it counts the arguments)."""

    def call(table):
        return func(table, **kwargs)

    return call


def plain2(func, **kwargs):
    """:func:`plain` for a cogroup's two tables."""

    def call(left, right):
        return func(left, right, **kwargs)

    return call
