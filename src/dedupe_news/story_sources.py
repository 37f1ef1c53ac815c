"""Each fitted article against its story's source: ``match_`` and ``source_similarity_``.

The source of a story is itself (``"source"``, 1.0); another member is a
``"copy"`` when the pair with its source is a copy within the date window, else a
``"rewrite"``, with the pair's ``story_similarity``. The Spark engine computes the
same (:mod:`dedupe_news.spark.matches`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .decision import DecisionRule, PairTable
    from .stories import Story

__all__ = ["relate_to_sources"]


def relate_to_sources(
    stories: Sequence[Story],
    position: Mapping[str, int],
    row: Mapping[int, int],
    n_all: int,
    score: Callable[[np.ndarray, np.ndarray], PairTable],
    rule: DecisionRule,
) -> tuple[np.ndarray, list[str | None]]:
    """``(source_similarity, match)`` of ``n_all`` articles, each against its story's
    source: NaN and None for an article in no story (skipped: empty text).

    ``position`` maps an article id to its input position, ``row`` an input
    position to its row of the fitted rows, ``score`` scores pairs of rows (a
    scorer's ``score``) and ``rule`` tells copies.
    """
    source_similarity = np.full(n_all, np.nan)
    match: list[str | None] = [None] * n_all
    members, sources = [], []
    for story in stories:
        source = position[story.source_id]
        for article_id in story.article_ids:
            at = position[article_id]
            if at == source:
                source_similarity[at] = 1.0
                match[at] = "source"
            else:
                members.append(at)
                sources.append(source)
    if not members:
        return source_similarity, match
    i = np.array([row[p] for p in members])
    j = np.array([row[p] for p in sources])
    table = score(i, j)
    features, similarity = table.features, table.story_similarity
    is_copy = rule.is_copy(
        features.jaccard_similarity,
        features.containment_similarity,
        features.smaller_shingles,
    ) & rule.in_window(features.date_distance_days)
    for k, at in enumerate(members):
        source_similarity[at] = float(similarity[k])
        match[at] = "copy" if is_copy[k] else "rewrite"
    return source_similarity, match
