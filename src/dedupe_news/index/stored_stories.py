"""Every stored story with its members and source, as :meth:`StoryIndex.stories
<dedupe_news.index.StoryIndex.stories>` lists them."""

from __future__ import annotations

from .records import IndexedStory
from .storage import Store

__all__ = ["stored_stories"]


def stored_stories(store: Store) -> list[IndexedStory]:
    """Every stored story, in order of story id; members in insertion order, the
    source the earliest by publication time (undated last, the first stored on ties)."""
    members: dict[int, list[tuple]] = {}
    with store.reading():
        for row in store.conn.execute(
            "SELECT rowid, id, story, time, title, source FROM articles ORDER BY rowid"
        ):
            members.setdefault(row[2], []).append(row)
    result = []
    for story in sorted(members):
        rows = members[story]
        source = min(rows, key=lambda r: (r[3] is None, r[3] or 0.0, r[0]))
        result.append(
            IndexedStory(
                story_id=story,
                article_ids=tuple(r[1] for r in rows),
                source_id=source[1],
                source_title=source[4],
                source_outlet=source[5],
            )
        )
    return result
