"""Stories: the clusters of a fitted corpus, with their members and likely source."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Story", "group_stories"]


@dataclass(frozen=True)
class Story:
    """One cluster of articles telling the same story.

    Attributes
    ----------
    label : int
        The cluster label, as in ``labels_``.
    article_ids : tuple of str
        Members in input order.
    source_id : str
        The likely source: the earliest dated member (input order breaks ties;
        undated members come after dated ones).
    """

    label: int
    article_ids: tuple[str, ...]
    source_id: str

    @property
    def size(self) -> int:
        return len(self.article_ids)


def group_stories(ids: Sequence[str], time_keys: Sequence, labels: np.ndarray) -> list[Story]:
    """The stories of labelled items, in label order; labels below 0 are left out.

    ``time_keys`` orders the members for the source choice (the smallest key is the
    source, input order breaks ties): use
    :func:`~dedupe_news.timestamps.article_time_key`, which puts undated articles last.

    >>> [s.source_id for s in group_stories(["a", "b"], [(0, 5.0), (0, 3.0)], np.array([0, 0]))]
    ['b']
    """
    members: dict[int, list[int]] = {}
    for position, label in enumerate(labels.tolist()):
        if label >= 0:
            members.setdefault(label, []).append(position)
    stories = []
    for label in sorted(members):
        positions = members[label]
        source = min(positions, key=lambda p: (time_keys[p], p))
        stories.append(
            Story(label=label, article_ids=tuple(ids[p] for p in positions), source_id=ids[source])
        )
    return stories
