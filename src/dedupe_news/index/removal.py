"""Removing stored articles: their document frequencies, postings and bands, rows,
evidence and edges, in one write transaction (:meth:`StoryIndex.remove
<dedupe_news.index.StoryIndex.remove>` and :meth:`~dedupe_news.index.StoryIndex.evict`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .candidates import CandidateFinder
from .sql import in_chunks
from .storage import Store

__all__ = ["delete_chosen"]


def delete_chosen(store: Store, finder: CandidateFinder, chosen: Callable[[], list[int]]) -> int:
    """Delete the articles ``chosen()`` picks inside one write transaction."""
    with store.writing() as vocab:
        rowids = chosen()
        for chunk, marks in in_chunks(rowids):
            for rowid, day, signature, term_blob in store.conn.execute(
                f"SELECT rowid, day, signature, term_ids FROM articles WHERE rowid IN ({marks})",
                chunk,
            ).fetchall():
                term_ids = np.frombuffer(term_blob, dtype="<i4").astype(np.int64)
                vocab.df[term_ids] -= 1
                vocab.n_articles -= 1
                store.count_terms(term_ids, step=-1)
                finder.unindex_article(rowid, day, np.frombuffer(signature, dtype="<u4"), term_ids)
            store.delete_articles(chunk)
    return len(rowids)
