"""The index file: format version, settings, schema, errors, and stored rows as arrays."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ..errors import DedupeNewsError

FORMAT_VERSION = 3
_APPLICATION = "dedupe-news story index"

# Settings that change what is stored or how it is scored: fixed when the file is made.
_FIXED_DEFAULTS = {
    "window_days": 5.0,
    "rewrite_threshold": 0.15,
    "copy_threshold": 0.5,
    "containment_threshold": 0.8,
    "num_perm": 128,
    "shingle_size": 5,
    "seed": 1,
}
# Candidate search limits: stored as defaults, may be changed when opening.
_SEARCH_DEFAULTS = {
    "top_terms": 20,
    "per_term_limit": 200,
    "max_story_members": 1000,
    "max_neighbors": 30,
    "max_component": 2000,
    "max_recluster": 300,
    "query_candidates": 64,
}

# Postings of undated articles: after every date (NOT NULL, as a WITHOUT ROWID key).
_UNDATED = math.inf
# A component is clustered again once the article count (and so IDF) has grown this much.
_REFRESH_GROWTH = 1.5
# Members re-clustered around a new article: dated at most this many windows away.
_SPAN_WINDOWS = 2.0

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE articles (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    story INTEGER NOT NULL,
    day REAL,
    date TEXT,
    title TEXT,
    source TEXT,
    shingles INTEGER NOT NULL,
    clustered_n INTEGER,
    signature BLOB NOT NULL,
    term_ids BLOB NOT NULL,
    term_weights BLOB NOT NULL
);
CREATE INDEX articles_story ON articles (story);
CREATE INDEX articles_day ON articles (day);
CREATE INDEX articles_clustered ON articles (clustered_n);
CREATE TABLE terms (term_id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE, df INTEGER NOT NULL);
CREATE TABLE postings (
    term_id INTEGER NOT NULL, day REAL NOT NULL, article INTEGER NOT NULL,
    impact INTEGER NOT NULL,
    PRIMARY KEY (term_id, day, article)
) WITHOUT ROWID;
CREATE TABLE bands (
    key INTEGER NOT NULL, band INTEGER NOT NULL, article INTEGER NOT NULL,
    PRIMARY KEY (key, band, article)
) WITHOUT ROWID;
CREATE TABLE edges (
    a INTEGER NOT NULL, b INTEGER NOT NULL, score REAL NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
"""


class IndexFileError(DedupeNewsError):
    """The file is not a usable story index: corrupt, or not made by dedupe-news."""


class IncompatibleIndexError(IndexFileError, ValueError):
    """The index was written with other settings or an other format version."""


@dataclass
class _Vocab:
    """Term ids and document frequencies, cached between calls while the file is unchanged."""

    generation: int
    n_articles: int
    ids: dict[str, int]
    df: np.ndarray

    def grow(self, size: int) -> None:
        if size > self.df.size:
            self.df = np.concatenate(
                [self.df, np.zeros(max(size, 2 * self.df.size) - self.df.size, dtype=np.int64)]
            )

    def idf(self, term_ids: np.ndarray, extra: int = 0) -> np.ndarray:
        """Smooth IDF as scikit-learn's, ``ln((1 + N) / (1 + df)) + 1``."""
        n = self.n_articles + extra
        return np.log((1.0 + n) / (1.0 + self.df[term_ids] + extra)) + 1.0


@dataclass
class _Rows:
    """Stored articles loaded for scoring, as parallel arrays."""

    rowid: np.ndarray
    ids: list[str]
    story: np.ndarray
    day: np.ndarray
    shingles: np.ndarray
    signatures: np.ndarray
    lengths: np.ndarray  # terms per row
    term_ids: np.ndarray  # every row's term ids, concatenated (CSR indices)
    weights: np.ndarray  # their sublinear tf, concatenated (CSR data)

    def term_rows(self) -> np.ndarray:
        """The row of each entry of ``term_ids``."""
        return np.repeat(np.arange(self.lengths.size), self.lengths)


_IN_CHUNK = 500  # values per "IN (?, ...)" list, well under SQLite's variable limit


def _in_chunks(values: Iterable) -> Iterator[tuple[list, str]]:
    """``values`` in chunks for ``... IN ({marks})`` queries: ``(chunk, marks)`` pairs.

    >>> [(c, m) for c, m in _in_chunks([1, 2, 3])]
    [([1, 2, 3], '?,?,?')]
    """
    values = list(values)
    for start in range(0, len(values), _IN_CHUNK):
        chunk = values[start : start + _IN_CHUNK]
        yield chunk, ",".join("?" * len(chunk))


def _insert_sorted(conn: sqlite3.Connection, sql: str, *columns: np.ndarray) -> None:
    """``executemany(sql)`` over rows sorted by their columns (appends to the B-trees),
    a million rows at a time."""
    order = np.lexsort(columns[::-1])
    step = 1_000_000
    for start in range(0, order.size, step):
        chunk = order[start : start + step]
        conn.executemany(sql, zip(*(c[chunk].tolist() for c in columns), strict=True))


def _impact(normalised: np.ndarray) -> list[int]:
    """A posting's stored weight: the term's L2-normalised TF-IDF when the article was
    added, times 1000 and at least 1. It ranks rewrite candidates in :meth:`StoryIndex.query`
    (IDF drifts after that; exact scores use the current IDF)."""
    return np.maximum(np.rint(normalised * 1000.0), 1).astype(np.int64).tolist()


def _decode(rows: list[tuple], num_perm: int) -> _Rows:
    """Rows of ``SELECT rowid, id, story, day, shingles, signature, term_ids,
    term_weights`` as arrays (each BLOB column decoded with one ``frombuffer``)."""
    n = len(rows)
    if not n:
        return _concat([], num_perm)
    rowid, ids, story, day, shingles, signatures, terms, weights = zip(*rows, strict=True)
    return _Rows(
        rowid=np.array(rowid, dtype=np.int64),
        ids=list(ids),
        story=np.array(story, dtype=np.int64),
        day=np.array([math.nan if d is None else d for d in day], dtype=np.float64),
        shingles=np.array(shingles, dtype=np.int64),
        signatures=np.frombuffer(b"".join(signatures), dtype="<u4").reshape(n, -1),
        lengths=np.fromiter(map(len, terms), dtype=np.int64, count=n) // 4,
        term_ids=np.frombuffer(b"".join(terms), dtype="<i4").astype(np.int64),
        weights=np.frombuffer(b"".join(weights), dtype="<f4").astype(np.float64),
    )


def _concat(parts: list[_Rows], num_perm: int) -> _Rows:
    parts = [p for p in parts if p.rowid.size]
    if len(parts) == 1:
        return parts[0]
    empty_int, empty_float = np.zeros(0, dtype=np.int64), np.zeros(0)

    def join(name: str, empty: np.ndarray) -> np.ndarray:
        return np.concatenate([getattr(p, name) for p in parts]) if parts else empty

    return _Rows(
        rowid=join("rowid", empty_int),
        ids=[i for p in parts for i in p.ids],
        story=join("story", empty_int),
        day=join("day", empty_float),
        shingles=join("shingles", empty_int),
        signatures=join("signatures", np.zeros((0, num_perm), dtype=np.uint32)),
        lengths=join("lengths", empty_int),
        term_ids=join("term_ids", empty_int),
        weights=join("weights", empty_float),
    )
