"""stop_entries without a row number per entry, against the formula it replaced."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news.stopwords import stop_entries


def reference_stop_entries(indptr: np.ndarray, frequent: np.ndarray) -> np.ndarray:
    """``stop_entries`` as it was (an int64 row number per stored entry)."""
    lengths = np.diff(indptr)
    rows = np.repeat(np.arange(lengths.size), lengths)
    kept_per_row = np.bincount(rows[~frequent], minlength=lengths.size)
    return frequent & (kept_per_row[rows] > 0)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.lists(st.lists(st.booleans(), max_size=5), max_size=10))
def test_stop_entries_matches_the_row_number_formula(rows):
    indptr = np.cumsum([0] + [len(row) for row in rows])
    frequent = np.array([flag for row in rows for flag in row], dtype=bool)
    expected = reference_stop_entries(indptr, frequent)
    assert stop_entries(indptr, frequent).tolist() == expected.tolist()
