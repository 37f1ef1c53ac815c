"""The ``edges`` table of the index file: same-story pairs of stored articles, with
their scores, that re-clustering reads back (:class:`EdgeTable`, a part of
:class:`~dedupe_news.index.storage.Store`)."""

from __future__ import annotations

import math
import sqlite3

import numpy as np

from .sql import in_chunks

__all__ = ["EdgeTable"]


class EdgeTable:
    """The :class:`~dedupe_news.index.storage.Store` methods over the ``edges`` table:
    store same-story edges, and read them back among articles or stories."""

    conn: sqlite3.Connection

    def add_edges(self, a: np.ndarray, b: np.ndarray, score: np.ndarray) -> None:
        """Store same-story edges both ways."""
        self.conn.executemany(
            "INSERT OR REPLACE INTO edges (a, b, score) VALUES (?, ?, ?)",
            [
                pair
                for x, y, s in zip(a.tolist(), b.tolist(), score.tolist(), strict=True)
                for pair in ((x, y, s), (y, x, s))
            ],
        )

    def edges_among(self, rowids: np.ndarray, min_score: float = -math.inf) -> tuple:
        """Stored edges among ``rowids`` scoring at least ``min_score``, as positions
        into it (each pair once, i < j)."""
        pairs = []
        for chunk, marks in in_chunks(rowids.tolist()):
            pairs.extend(
                self.conn.execute(
                    f"SELECT a, b FROM edges WHERE score >= ? AND a IN ({marks})",
                    (min_score, *chunk),
                )
            )
        if not pairs:
            empty = np.zeros(0, dtype=np.intp)
            return empty, empty
        ab = np.array(pairs, dtype=np.int64)
        order = np.argsort(rowids)
        sorted_ids = rowids[order]
        pos = np.minimum(np.searchsorted(sorted_ids, ab), sorted_ids.size - 1)
        inside = (sorted_ids[pos] == ab).all(axis=1)
        i, j = order[pos[inside, 0]], order[pos[inside, 1]]
        keep = i < j
        return i[keep].astype(np.intp), j[keep].astype(np.intp)

    def neighbour_stories(self, stories: list[int], span: tuple[str, tuple]) -> set[int]:
        """Stories sharing a stored edge with a member of ``stories`` (both ends in ``span``)."""
        clause, bounds = span
        member_clause = clause.replace("day", "member.day")
        other_clause = clause.replace("day", "other.day")
        found: set[int] = set()
        for chunk, marks in in_chunks(stories):
            found.update(
                s
                for (s,) in self.conn.execute(
                    "SELECT DISTINCT other.story FROM articles AS member "
                    "JOIN edges ON edges.a = member.rowid "
                    "JOIN articles AS other ON other.rowid = edges.b "
                    f"WHERE member.story IN ({marks}){member_clause}{other_clause}",
                    (*chunk, *bounds, *bounds),
                )
            )
        return found
