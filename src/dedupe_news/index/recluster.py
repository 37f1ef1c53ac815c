"""The :class:`Reclusterer`: the stories an added article touches, clustered again as
batch clustering would, and story ids handed on to the new groups."""

from __future__ import annotations

import math

import numpy as np

from ..clustering import cluster_pairs, linkage_score
from ..decision import DecisionRule
from ..similarity_matrix import component_similarity, copy_matrix
from .pairs import Query, score_rows, stored_rows
from .rows import Rows, Vocabulary, concat_rows
from .sql import day_filter
from .storage import Store

# Members re-clustered around a new article: dated at most this many windows away.
SPAN_WINDOWS = 2.0
# A component is clustered again once the article count (and so IDF) has grown this much.
_REFRESH_GROWTH = 1.5


class StoryIds:
    """Hands out new story ids from a counter: ids are never reused."""

    def __init__(self, next_id: int) -> None:
        self.next_id = next_id

    def new(self) -> int:
        story = self.next_id
        self.next_id += 1
        return story


def story_ids_for_groups(old: np.ndarray, groups: np.ndarray, ids: StoryIds) -> np.ndarray:
    """Each member's story id after clustering into ``groups``.

    Each old story id (``old``, -1 for none) goes to the group holding most of
    its members (see :func:`_inherit_ids`); a group left without one gets a new id.
    """
    story_of_group = _inherit_ids(old, groups)
    for g in np.unique(groups).tolist():
        if g not in story_of_group:
            story_of_group[g] = ids.new()
    return np.array([story_of_group[g] for g in groups.tolist()], dtype=np.int64)


def _inherit_ids(old: np.ndarray, groups: np.ndarray) -> dict[int, int]:
    """Old story ids for new groups: largest overlaps first, the older story on ties.

    ``old`` is each member's story id (-1 for none), ``groups`` its new group.
    Each old id goes to at most one group and each group takes at most one id, so
    a story that keeps most of its members keeps its id, and a merge keeps the id
    of the story contributing most (the oldest on ties).
    """
    counts: dict[tuple[int, int], int] = {}
    for story, group in zip(old.tolist(), groups.tolist(), strict=True):
        if story >= 0:
            counts[story, group] = counts.get((story, group), 0) + 1
    taken_story: set[int] = set()
    result: dict[int, int] = {}
    for (story, group), _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1])):
        if story not in taken_story and group not in result:
            result[group] = story
            taken_story.add(story)
    return result


class Reclusterer:
    """Clusters stored stories again: around a new article, and as IDF drifts."""

    def __init__(self, store: Store, rule: DecisionRule, settings: dict) -> None:
        self.store = store
        self.rule = rule
        self.max_recluster = settings["max_recluster"]
        self.max_component = settings["max_component"]
        self.linkage = settings["linkage"]
        self.max_story_members = settings["max_story_members"]

    def span(self, day: float) -> tuple[str, tuple]:
        """SQL filter for the members re-clustered around an article of this day.

        Members dated more than ``SPAN_WINDOWS`` windows away rarely share a story
        with its neighbours; they keep their story.
        """
        return day_filter(day, self.rule.window_days * SPAN_WINDOWS)

    def recluster(
        self,
        query: Query,
        rowid: int,
        touched: np.ndarray,
        edge_scores: np.ndarray,
        vocab: Vocabulary,
        ids: StoryIds,
    ) -> tuple[int, bool]:
        """Re-run batch agglomeration over the stories the new article touches.

        Returns the article's story id and whether that story is new. The stories
        touched by its edges (nearest first, at most ``max_recluster`` members in
        all) and the article are clustered again as batch clustering would: edges
        and the full story_similarity matrix recomputed with the current IDF, then
        :func:`~dedupe_news.clustering.cluster_pairs`. Each old story id goes to
        the new group holding most of its members; groups left without one get a
        new id. Stories beyond the cap are not re-clustered; the article may still
        join one when it ends up alone.
        """
        strength: dict[int, float] = {}
        for story, score in zip(touched.tolist(), edge_scores.tolist(), strict=True):
            strength[story] = max(strength.get(story, 0.0), score)
        span = self.span(query.prepared.day)
        sizes = self.store.story_sizes(list(strength), span)
        cap = self.max_recluster - 1
        chosen, frozen, total = [], [], 0
        for story in sorted(strength, key=lambda s: (-strength[s], sizes.get(s, 0), s)):
            if total + sizes.get(story, 0) <= cap:
                chosen.append(story)
                total += sizes.get(story, 0)
            else:
                frozen.append(story)
        chosen, total = self._expand(chosen, total, cap, span)
        members, groups, new = self._regroup(chosen, rowid, vocab, ids, span)
        me = len(members.ids) - 1
        is_new = int(new[me]) not in sizes
        if frozen and is_new and int((groups == groups[me]).sum()) == 1:
            joined = self._join_frozen(query, frozen, vocab)
            if joined is not None:
                new[me], is_new = joined, False
        clustered_n = vocab.n_articles if len(members.ids) > 1 else None
        self.store.write_stories(members.rowid, members.story, new, clustered_n)
        return int(new[me]), is_new

    def refresh(self, vocab: Vocabulary, ids: StoryIds) -> None:
        """Cluster again the component clustered longest ago, once the article count has
        grown by half (times 1.5) since then: batch IDF counts every article, so early
        clusterings drift."""
        row = self.store.conn.execute(
            "SELECT rowid, story, day FROM articles WHERE clustered_n <= ? "
            "ORDER BY clustered_n LIMIT 1",
            (int(vocab.n_articles / _REFRESH_GROWTH),),
        ).fetchone()
        if row is None:
            return
        rowid, story = int(row[0]), int(row[1])
        span = self.span(math.nan if row[2] is None else float(row[2]))
        total = self.store.story_sizes([story], span).get(story, 0)
        cap = self.max_recluster
        if total > cap:  # grown past the cap by joins: leave it as it is
            self.store.mark_clustered(vocab.n_articles, f"story = ?{span[0]}", (story, *span[1]))
            self.store.mark_clustered(vocab.n_articles, "rowid = ?", (rowid,))
            return
        chosen, _ = self._expand([story], total, cap, span)
        members, _, new = self._regroup(chosen, None, vocab, ids, span)
        if rowid not in set(members.rowid.tolist()):  # pragma: no cover - defensive
            self.store.mark_clustered(vocab.n_articles, "rowid = ?", (rowid,))
        self.store.write_stories(members.rowid, members.story, new, vocab.n_articles)

    def _regroup(
        self,
        stories: list[int],
        rowid: int | None,
        vocab: Vocabulary,
        ids: StoryIds,
        span: tuple[str, tuple],
    ) -> tuple[Rows, np.ndarray, np.ndarray]:
        """Cluster the members of ``stories`` (and article ``rowid``, last) again.

        Returns the members, their groups and their new story ids.
        """
        members = self.store.load_stories(stories, span)
        if rowid is not None:
            members = concat_rows(
                [members, self.store.load("rowid = ?", (rowid,))], self.store.num_perm
            )
            members.story[-1] = -1
        n = len(members.ids)
        groups = np.zeros(n, dtype=np.int64)
        if n > 1:
            similarity = self.similarity_matrix(members, vocab)
            i, j = self.store.edges_among(members.rowid)
            groups = cluster_pairs(
                n,
                i,
                j,
                similarity[i, j],
                threshold=self.rule.rewrite_threshold,
                component_similarity=lambda m: similarity[np.ix_(m, m)],
                linkage_method=self.linkage,
                max_component=self.max_component,
            )
        return members, groups, story_ids_for_groups(members.story, groups, ids)

    def _expand(
        self, stories: list[int], total: int, cap: int, span: tuple[str, tuple]
    ) -> tuple[list[int], int]:
        """Grow a set of stories along stored edges, nearest first, to at most ``cap`` members.

        Whole stories are added, breadth first, so the set approaches the connected
        component (of same-story edges) that batch clustering would re-cluster.
        """
        chosen = list(stories)
        seen = set(chosen)
        frontier = chosen
        while frontier and total < cap:
            found = self.store.neighbour_stories(frontier, span)
            found -= seen
            found.discard(-1)
            seen |= found
            sizes = self.store.story_sizes(sorted(found), span)
            frontier = []
            for story in sorted(found, key=lambda s: (sizes.get(s, 0), s)):
                if total + sizes.get(story, 0) <= cap:
                    frontier.append(story)
                    total += sizes.get(story, 0)
            chosen.extend(frontier)
        return chosen, total

    def _join_frozen(self, query: Query, stories: list[int], vocab: Vocabulary) -> int | None:
        """The story (too large to re-cluster) with the best linkage, if good enough."""
        best, best_score = None, self.rule.rewrite_threshold
        for story in stories:
            rows = self.store.recent_members(story, self.max_story_members)
            score = linkage_score(score_rows(self.rule, query, rows, vocab)[0])
            if score >= best_score:
                best, best_score = story, score
        return best

    def similarity_matrix(self, rows: Rows, vocab: Vocabulary) -> np.ndarray:
        """Full story_similarity matrix of loaded rows, as batch clustering computes it
        (:func:`~dedupe_news.clustering.component_similarity`): TF-IDF cosine with the
        current IDF, 0 outside the date window, and 1.0 for the stored copy edges."""
        n = len(rows.ids)
        i, j = self.store.edges_among(rows.rowid, min_score=1.0)
        copies = copy_matrix(n, i, j, np.ones(i.size))
        members = np.arange(n)
        return component_similarity(
            stored_rows(vocab, rows, hashed=False), self.rule.window_days, members, copies
        )
