"""Stored articles as arrays, and the vocabulary: document frequencies, article count
and stop words."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..weighting import stop_terms


@dataclass
class Vocabulary:
    """Document frequencies of the hashed term columns, and the article count; cached
    between calls while the file is unchanged.

    Terms are the columns of :func:`~dedupe_news.prepare.term_counts` (hashed, as in
    batch clustering). ``generation`` counts the committed write transactions:
    another connection's commit changes it, and the cache is reloaded.
    ``fixed_stop_terms`` holds the stop words the index fixed once it held
    :data:`~dedupe_news.stopwords.STABLE_AFTER_DOCUMENTS` articles (see :meth:`stop_mask`).
    """

    generation: int
    n_articles: int
    df: np.ndarray  # int64, one per hashed term column
    fixed_stop_terms: np.ndarray | None = None  # sorted int64 term ids, once fixed

    def stop_mask(self, term_ids: np.ndarray, df: np.ndarray, n_articles: int) -> np.ndarray:
        """Whether each of ``term_ids`` is a stop word, as a boolean per term.

        Until the set is fixed, as batch clustering decides it over the same counts
        (:func:`~dedupe_news.weighting.stop_terms` of ``df``, the terms' document
        frequencies among ``n_articles``); then, whatever the counts, whether the
        term is in the fixed set.
        """
        if self.fixed_stop_terms is None:
            return stop_terms(df, n_articles)
        return np.isin(term_ids, self.fixed_stop_terms)


@dataclass
class Rows:
    """Stored articles loaded for scoring, as parallel arrays."""

    rowid: np.ndarray
    ids: list[str]
    story: np.ndarray
    day: np.ndarray
    shingles: np.ndarray
    signatures: np.ndarray
    lengths: np.ndarray  # terms per row
    term_ids: np.ndarray  # every row's term ids, concatenated (CSR indices)
    counts: np.ndarray  # their raw counts, concatenated (CSR data)

    def term_rows(self) -> np.ndarray:
        """The row of each entry of ``term_ids``."""
        return np.repeat(np.arange(self.lengths.size), self.lengths)


ROW_COLUMNS = "rowid, id, story, day, shingles, signature, term_ids, term_counts"


def decode_rows(rows: list[tuple], num_perm: int) -> Rows:
    """Rows of ``SELECT {ROW_COLUMNS}`` as arrays (each BLOB column decoded with one
    ``frombuffer``)."""
    n = len(rows)
    if not n:
        return concat_rows([], num_perm)
    rowid, ids, story, day, shingles, signatures, terms, counts = zip(*rows, strict=True)
    return Rows(
        rowid=np.array(rowid, dtype=np.int64),
        ids=list(ids),
        story=np.array(story, dtype=np.int64),
        day=np.array([math.nan if d is None else d for d in day], dtype=np.float64),
        shingles=np.array(shingles, dtype=np.int64),
        signatures=np.frombuffer(b"".join(signatures), dtype="<u4").reshape(n, -1),
        lengths=np.fromiter(map(len, terms), dtype=np.int64, count=n) // 4,
        term_ids=np.frombuffer(b"".join(terms), dtype="<i4").astype(np.int64),
        counts=np.frombuffer(b"".join(counts), dtype="<f4").astype(np.float32),
    )


def concat_rows(parts: list[Rows], num_perm: int) -> Rows:
    """The rows of ``parts``, one after the other (no rows: empty arrays)."""
    parts = [p for p in parts if p.rowid.size]
    if len(parts) == 1:
        return parts[0]
    empty_int, empty_float = np.zeros(0, dtype=np.int64), np.zeros(0)

    def join(name: str, empty: np.ndarray) -> np.ndarray:
        return np.concatenate([getattr(p, name) for p in parts]) if parts else empty

    return Rows(
        rowid=join("rowid", empty_int),
        ids=[i for p in parts for i in p.ids],
        story=join("story", empty_int),
        day=join("day", empty_float),
        shingles=join("shingles", empty_int),
        signatures=join("signatures", np.zeros((0, num_perm), dtype=np.uint32)),
        lengths=join("lengths", empty_int),
        term_ids=join("term_ids", empty_int),
        counts=join("counts", np.zeros(0, dtype=np.float32)),
    )
