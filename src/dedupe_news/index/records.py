"""What the index returns: assignments, matches, stories and statistics."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..decision import PairScores
from .settings import json_safe


@dataclass(frozen=True)
class IndexAssignment:
    """Where :meth:`StoryIndex.add` put one article.

    ``story_id`` is None (and nothing is stored) when the text is empty after
    cleaning; otherwise it is the article's story once the whole ``add`` call is
    done (later articles of the call may merge or split stories).
    ``is_new_story`` says that no stored story took it when it was added.
    ``score`` is the linkage score with its story when added (for a new story,
    with the best candidate story that was not good enough; 0 without any), and
    ``best`` the scores of the closest member of that story, or None. With
    ``add(..., bulk=True)``, ``is_new_story`` says that its final story did not
    exist before the call, and ``score`` and ``best`` are those of its closest
    fellow member among the scored pairs (0 and None when it is alone).
    Re-clustering may also move articles stored earlier: the call's
    :class:`~dedupe_news.index.IndexChanges` lists them in ``moved``.
    """

    article_id: str
    story_id: int | None
    is_new_story: bool
    score: float
    best: PairScores | None


@dataclass(frozen=True)
class StoryMatch:
    """One stored story that an article matches (see :meth:`StoryIndex.query`)."""

    story_id: int
    score: float
    size: int
    best: PairScores


@dataclass(frozen=True)
class IndexedStory:
    """A stored story: members in insertion order, and the earliest dated one as source
    (with its title and outlet, None when the article had none)."""

    story_id: int
    article_ids: tuple[str, ...]
    source_id: str
    source_title: str | None = None
    source_outlet: str | None = None

    @property
    def size(self) -> int:
        return len(self.article_ids)


@dataclass(frozen=True)
class IndexStats:
    """Counts and settings of an index."""

    path: str
    articles: int
    stories: int
    terms: int
    first_date: str | None
    last_date: str | None
    file_bytes: int
    settings: dict
    generation: int = 0  # committed write transactions (see StoryIndex.assignments)
    decision: str = "fixed rule"  # or "learned model": see StoryIndex(model=...)
    trained_on: str | None = None  # the stored model's training data, "sha256:<hex>"

    def as_json(self) -> dict:
        """The statistics as JSON-safe values (an infinite window as the string "inf")."""
        return {**dataclasses.asdict(self), "settings": json_safe(self.settings)}


@dataclass(frozen=True)
class StoredAssignment:
    """An article's current story, and the write transaction that last set it."""

    article_id: str
    story_id: int
    generation: int


def empty_assignment(article_id: str) -> IndexAssignment:
    """An article with no text after cleaning: not stored."""
    return IndexAssignment(
        article_id=article_id, story_id=None, is_new_story=False, score=0.0, best=None
    )
