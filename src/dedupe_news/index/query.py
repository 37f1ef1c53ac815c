"""The :class:`StoryRanker`: the stored stories an article would join, best first."""

from __future__ import annotations

import numpy as np

from ..clustering import linkage_score
from ..decision import DecisionRule, PairScores
from .candidates import CandidateFinder
from .pairs import Prepared, best_pair, score_rows, weigh
from .rows import Vocabulary
from .storage import Store


class StoryRanker:
    """Ranks stored stories for an article not stored (see :meth:`StoryIndex.query`)."""

    def __init__(
        self, store: Store, finder: CandidateFinder, rule: DecisionRule, settings: dict
    ) -> None:
        self.store = store
        self.finder = finder
        self.rule = rule
        self.query_candidates = settings["query_candidates"]
        self.max_story_members = settings["max_story_members"]

    def rank(
        self, p: Prepared, vocab: Vocabulary, limit: int
    ) -> list[tuple[int, float, int, PairScores]]:
        """Stories ``p`` could join: (story id, linkage score, size, best pair), best
        first, at most ``limit`` of them, with a linkage score at or above the threshold.

        IDF counts ``p`` as if it were stored.
        """
        # The article counts in N and in the df of its terms, as if added; terms no
        # stored article has (df 0) have no postings to look up.
        query = weigh(vocab, p, extra=1)
        tfidf = query.weights
        known = vocab.df[p.term_ids] > 0
        candidates = sorted(
            self.finder.copy_candidates(p)
            | self.finder.top_candidates(p, p.term_ids[known], tfidf[known], self.query_candidates)
        )
        if not candidates:
            return []
        rows = self.store.load_rowids(candidates)
        story_sim, _ = score_rows(self.rule, query, rows, vocab)
        # Stories with a candidate at or above the threshold: the closest first, at most
        # max(4 * limit, 20) of them (bounds the work of an article near many stories).
        close = story_sim >= self.rule.rewrite_threshold
        best_of: dict[int, float] = {}
        for story, sim in zip(rows.story[close].tolist(), story_sim[close].tolist(), strict=True):
            best_of[story] = max(best_of.get(story, 0.0), sim)
        hopeful = sorted(best_of, key=lambda s: (-best_of[s], s))[: max(4 * limit, 20)]
        hopeful.sort()
        if not hopeful:
            return []
        # Every hopeful story's most recent members, loaded and scored at once.
        rowids = self.store.recent_member_rowids(hopeful, self.max_story_members)
        members = self.store.load_rowids(sorted(rowids))
        sims, features = score_rows(self.rule, query, members, vocab)
        scored = []
        for story in hopeful:
            mine = np.flatnonzero(members.story == story)
            score = linkage_score(sims[mine]) if mine.size else 0.0
            if score >= self.rule.rewrite_threshold:
                scored.append((story, score, mine))
        scored.sort(key=lambda r: (-r[1], r[0]))
        ranked = []
        for story, score, mine in scored[:limit]:
            ids = [members.ids[k] for k in mine.tolist()]
            best = best_pair(self.rule, query, ids, sims[mine], features.take(mine))
            ranked.append((story, score, mine.size, best))
        return ranked
