"""What :meth:`StoryIndex.stats <dedupe_news.index.StoryIndex.stats>` reports."""

from __future__ import annotations

from pathlib import Path

from ..pair_model import PairModel
from .records import IndexStats
from .storage import Store

__all__ = ["index_stats"]


def index_stats(store: Store) -> IndexStats:
    """Counts, dates, file size (with the write-ahead log), settings and decision."""
    conn = store.conn
    with store.reading():
        articles, stories, first, last = conn.execute(
            "SELECT count(*), count(DISTINCT story), min(date), max(date) FROM articles"
        ).fetchone()
        terms = conn.execute("SELECT count(*) FROM terms WHERE df > 0").fetchone()[0]
        generation = store.vocabulary().generation
    size = sum(
        Path(store.path + suffix).stat().st_size
        for suffix in ("", "-wal")
        if Path(store.path + suffix).exists()
    )
    return IndexStats(
        path=store.path,
        articles=articles,
        stories=stories,
        terms=terms,
        first_date=first,
        last_date=last,
        file_bytes=size,
        settings=dict(store.settings),
        generation=generation,
        decision="fixed rule" if store.model is None else "learned model",
        trained_on=trained_on(store.model),
    )


def trained_on(model: PairModel | None) -> str | None:
    """The hash of a model's training files, as its metadata records it.

    >>> trained_on(None) is None
    True
    """
    digest = None if model is None else model.metadata.get("training_files_sha256")
    return None if digest is None else f"sha256:{digest}"
