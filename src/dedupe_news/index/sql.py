"""SQL pieces for the index file's queries: ``IN`` lists in chunks, date-span filters,
and the day that stands for "undated" in posting keys."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

__all__ = ["IN_CHUNK", "UNDATED", "day_filter", "in_chunks"]

# Postings of undated articles: after every date (NOT NULL, as a WITHOUT ROWID key).
UNDATED = math.inf

IN_CHUNK = 500  # values per "IN (?, ...)" list, well under SQLite's variable limit


def in_chunks(values: Iterable) -> Iterator[tuple[list, str]]:
    """``values`` in chunks for ``... IN ({marks})`` queries: ``(chunk, marks)`` pairs.

    >>> [(c, m) for c, m in in_chunks([1, 2, 3])]
    [([1, 2, 3], '?,?,?')]
    """
    values = list(values)
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        yield chunk, ",".join("?" * len(chunk))


def day_filter(day: float, half_width: float, column: str = "day") -> tuple[str, tuple]:
    """SQL filter (`` AND ...``, parameters) for rows dated within ``half_width`` days of
    ``day``, or undated; no filter when ``day`` is unknown or the width infinite."""
    if math.isnan(day) or math.isinf(half_width):
        return "", ()
    return (
        f" AND ({column} IS NULL OR {column} BETWEEN ? AND ?)",
        (day - half_width, day + half_width),
    )
