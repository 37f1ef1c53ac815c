"""What an :meth:`~dedupe_news.index.StoryIndex.add` call changed: assignments, and the
stored articles and stories that re-clustering moved, merged or split."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from .records import IndexAssignment


@dataclass(frozen=True)
class MovedArticle:
    """An article stored before the call, now in another story."""

    article_id: str
    old_story_id: int
    new_story_id: int


@dataclass(frozen=True)
class MergedStories:
    """Story ``story_id`` now holds members of each of ``story_ids`` (stories before the
    call, ``story_id`` among them when it existed and kept members)."""

    story_id: int
    story_ids: tuple[int, ...]


@dataclass(frozen=True)
class SplitStory:
    """The members of story ``story_id`` (before the call) are now in each of ``story_ids``
    (``story_id`` among them when some members stayed)."""

    story_id: int
    story_ids: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class IndexChanges(Sequence):
    """What one :meth:`~dedupe_news.index.StoryIndex.add` call did.

    ``assignments`` has one :class:`~dedupe_news.index.IndexAssignment` per
    article of the call (its final story), ``moved`` one :class:`MovedArticle` per
    article stored before the call whose story changed. Applying both to a copy
    of the assignment (article id to story id) gives the index's stories.
    ``merged`` and ``split`` describe the same moves per story. ``generation``
    numbers the call's transaction: :meth:`~dedupe_news.index.StoryIndex.assignments`
    with ``since=generation`` gives what later calls assigned or moved.

    As a sequence it is its ``assignments`` (as :meth:`add` returned before), and
    it compares equal to a list or tuple of them.
    """

    assignments: tuple[IndexAssignment, ...]
    moved: tuple[MovedArticle, ...] = ()
    merged: tuple[MergedStories, ...] = ()
    split: tuple[SplitStory, ...] = ()
    generation: int = 0

    def __len__(self) -> int:
        return len(self.assignments)

    def __getitem__(self, k):
        return self.assignments[k]

    def __iter__(self) -> Iterator[IndexAssignment]:
        return iter(self.assignments)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, IndexChanges):
            return (
                self.assignments,
                self.moved,
                self.merged,
                self.split,
                self.generation,
            ) == (other.assignments, other.moved, other.merged, other.split, other.generation)
        if isinstance(other, (list, tuple)):
            return list(self.assignments) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other):
        """Concatenated assignments, as a list (``add(a) + add(b)`` as before)."""
        return list(self.assignments) + list(other)

    def __radd__(self, other):
        return list(other) + list(self.assignments)

    def apply(self, stories: dict[str, int]) -> None:
        """Update an ``{article id: story id}`` mapping with these changes."""
        for a in self.assignments:
            if a.story_id is not None:
                stories[a.article_id] = a.story_id
        for m in self.moved:
            stories[m.article_id] = m.new_story_id


def story_changes(
    moved: list[MovedArticle], staying: dict[int, int]
) -> tuple[tuple[MergedStories, ...], tuple[SplitStory, ...]]:
    """Merges and splits of the stories ``moved`` touches; ``staying`` counts, per story,
    the members stored before the call that are in it still."""
    parts: dict[int, set[int]] = {}
    sources: dict[int, set[int]] = {}
    for m in moved:
        parts.setdefault(m.old_story_id, set()).add(m.new_story_id)
        sources.setdefault(m.new_story_id, set()).add(m.old_story_id)
    for story in (*parts, *sources):
        if staying.get(story, 0) > 0:
            parts.setdefault(story, set()).add(story)
            sources.setdefault(story, set()).add(story)
    merged = tuple(
        MergedStories(story, tuple(sorted(olds)))
        for story, olds in sorted(sources.items())
        if len(olds) > 1
    )
    split = tuple(
        SplitStory(story, tuple(sorted(news)))
        for story, news in sorted(parts.items())
        if len(news) > 1 and story in {m.old_story_id for m in moved}
    )
    return merged, split


@dataclass
class ChangeLog:
    """The stories, before a write transaction, of the stored articles it re-assigned."""

    generation: int
    first_rowid: int  # rowids from here on were inserted by this transaction
    old_story: dict[int, int] = field(default_factory=dict)

    def record(self, rowids: np.ndarray, old: np.ndarray) -> None:
        for rowid, story in zip(rowids.tolist(), old.tolist(), strict=True):
            if rowid < self.first_rowid and story >= 0:
                self.old_story.setdefault(rowid, story)
