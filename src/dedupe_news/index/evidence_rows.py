"""The learned model's per-article inputs in the index file: the ``evidence`` table.

An index that decides with a learned model (``StoryIndex(path, model=...)``)
stores, beside each article's body term counts, what
:func:`~dedupe_news.model_features.prepare_evidence` gives: the lead's term
counts (in the hashed term space, like the body's), the entity, quote and ticker
keys, and the body's token count. Bulk adds read them back for the stored
articles they cluster with the new ones. An index without a model leaves the
table empty.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from ..model_features import PreparedEvidence
from ..prepare import N_FEATURES
from .files import IndexFileError
from .sql import in_chunks

__all__ = ["insert_evidence", "load_evidence"]

_COLUMNS = "article, tokens, lead_ids, lead_counts, entities, quotes, tickers"


def insert_evidence(
    conn: sqlite3.Connection, rowids: np.ndarray, evidence: PreparedEvidence, tokens: np.ndarray
) -> None:
    """Store the evidence of articles ``rowids`` (aligned with ``evidence`` and ``tokens``)."""
    if not rowids.size == len(evidence) == tokens.size:
        raise ValueError(
            f"{rowids.size} articles to store, but evidence of {len(evidence)} and token "
            f"counts of {tokens.size}"
        )
    lead = evidence.lead_counts.tocsr()
    lead.sort_indices()

    def rows():
        for k, rowid in enumerate(rowids.tolist()):
            entries = slice(lead.indptr[k], lead.indptr[k + 1])
            yield (
                rowid,
                int(tokens[k]),
                lead.indices[entries].astype("<i4").tobytes(),
                lead.data[entries].astype("<f4").tobytes(),
                evidence.entities[k].astype("<i8").tobytes(),
                evidence.quotes[k].astype("<i8").tobytes(),
                evidence.tickers[k].astype("<i8").tobytes(),
            )

    conn.executemany(f"INSERT INTO evidence ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows())


def load_evidence(
    conn: sqlite3.Connection, rowids: Sequence[int], path: str = "the index"
) -> tuple[PreparedEvidence, np.ndarray]:
    """The stored evidence and token counts of articles ``rowids``, in that order.

    An article without stored evidence is an error: the index was built with a model,
    so every article with text has some.
    """
    found: dict[int, tuple] = {}
    for chunk, marks in in_chunks(list(rowids)):
        for row in conn.execute(
            f"SELECT {_COLUMNS} FROM evidence WHERE article IN ({marks})", chunk
        ):
            found[row[0]] = row
    missing = [r for r in rowids if r not in found]
    if missing:
        raise IndexFileError(
            f"{path}: stored articles (rows {missing[:5]}) have no model evidence; the index "
            "is corrupt: rebuild it from the articles"
        )
    ordered = [found[r] for r in rowids]
    lengths = np.array([len(row[2]) // 4 for row in ordered], dtype=np.int64)
    lead_counts = sp.csr_matrix(
        (
            np.frombuffer(b"".join(row[3] for row in ordered), dtype="<f4").astype(np.float32),
            np.frombuffer(b"".join(row[2] for row in ordered), dtype="<i4").astype(np.int32),
            np.r_[0, np.cumsum(lengths)],
        ),
        shape=(len(ordered), N_FEATURES),
    )

    def keys(column: int) -> list[np.ndarray]:
        return [np.frombuffer(row[column], dtype="<i8").astype(np.int64) for row in ordered]

    evidence = PreparedEvidence(lead_counts, keys(4), keys(5), keys(6))
    tokens = np.array([row[1] for row in ordered], dtype=np.int64)
    return evidence, tokens
