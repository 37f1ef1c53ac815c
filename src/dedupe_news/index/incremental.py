"""The :class:`IncrementalAdder`: one article at a time, each seeing the ones before it."""

from __future__ import annotations

import math

import numpy as np

from ..clustering import linkage_score
from ..decision import DecisionRule, PairScores
from ..pair_features import PairFeatures
from ..timestamps import article_timestamp
from .candidates import CandidateFinder
from .pairs import Prepared, Query, best_pair, score_rows, weigh
from .recluster import Reclusterer, StoryIds
from .records import IndexAssignment
from .rows import Rows, Vocabulary
from .storage import Store


def _timestamp(article) -> float | None:
    seconds = article_timestamp(article)
    return None if math.isnan(seconds) else seconds


class IncrementalAdder:
    """Stores an article, its edges, bands and postings, then re-clusters around it."""

    def __init__(
        self,
        store: Store,
        finder: CandidateFinder,
        reclusterer: Reclusterer,
        rule: DecisionRule,
        settings: dict,
    ) -> None:
        self.store = store
        self.finder = finder
        self.reclusterer = reclusterer
        self.rule = rule
        self.max_neighbors = settings["max_neighbors"]
        self.max_story_members = settings["max_story_members"]

    def add(self, p: Prepared, vocab: Vocabulary, ids: StoryIds) -> IndexAssignment:
        """Assign and store one prepared article (with text)."""
        # Count the article in N and df first: batch IDF includes every article.
        vocab.df[p.term_ids] += 1
        vocab.n_articles += 1
        self.store.count_terms(p.term_ids, step=1)
        query = weigh(vocab, p, extra=0)
        copies, near = self.finder.candidates(p, p.term_ids, query.weights)
        rows = self.store.load_rowids(sorted(copies | near))
        sims, features = score_rows(self.rule, query, rows, vocab)
        edge = self.edges(rows, sims, features, copies)

        a = p.article
        rowid = self.store.insert_article(
            {
                "id": a.id,
                "day": None if math.isnan(p.day) else p.day,
                "date": a.date.isoformat() if a.date else None,
                "time": _timestamp(a),
                "title": a.title,
                "source": a.source,
                "shingles": p.shingles,
                "signature": p.signature.astype("<u4").tobytes(),
                "term_ids": p.term_ids.astype("<i4").tobytes(),
                "term_counts": p.counts.astype("<f4").tobytes(),
            }
        )
        self.finder.index_article(rowid, p, query.weights)
        scores = sims[edge]
        self.store.add_edges(np.full(scores.size, rowid), rows.rowid[edge], scores)
        story, is_new = self.reclusterer.recluster(
            query, rowid, rows.story[edge], scores, vocab, ids
        )
        self.reclusterer.refresh(vocab, ids)
        score, best = self._explain(query, rowid, story, rows, sims, vocab)
        return IndexAssignment(
            article_id=a.id, story_id=story, is_new_story=is_new, score=score, best=best
        )

    def edges(
        self, rows: Rows, sims: np.ndarray, features: PairFeatures, copies: set[int]
    ) -> np.ndarray:
        """Which candidates are same-story edges, as batch clustering finds them.

        LSH copy candidates whose story_similarity reaches the threshold, and the
        ``max_neighbors`` nearest TF-IDF neighbours inside the date window with a
        cosine at or above it.
        """
        threshold = self.rule.rewrite_threshold
        is_copy_candidate = np.isin(rows.rowid, np.fromiter(copies, dtype=np.int64))
        edge = is_copy_candidate & (sims >= threshold)
        cosine = features.cosine_similarity
        in_window = self.rule.in_window(features.date_distance_days)
        near = np.flatnonzero((cosine >= threshold) & in_window)
        top = near[np.argsort(-cosine[near], kind="stable")[: self.max_neighbors]]
        edge[top] = True
        return edge

    def _explain(
        self,
        query: Query,
        rowid: int,
        story: int,
        candidates: Rows,
        candidate_sims: np.ndarray,
        vocab: Vocabulary,
    ) -> tuple[float, PairScores | None]:
        """Linkage score and closest member of the story taken (or, for a new story
        alone, of the best candidate story that was not good enough)."""
        members = self.store.recent_members(story, self.max_story_members, besides=rowid)
        if not members.ids:
            hopeful = candidate_sims >= self.rule.rewrite_threshold
            others = sorted({int(s) for s in candidates.story[hopeful]} - {story})
            if not others:
                return 0.0, None
            # The current stories of the candidates (re-clustering may have moved them).
            current = self.store.story_sizes(others)
            ranked = []
            for other in current:
                rows = self.store.recent_members(other, self.max_story_members)
                sims, features = score_rows(self.rule, query, rows, vocab)
                ranked.append((linkage_score(sims), -other, rows, sims, features))
            if not ranked:
                return 0.0, None
            score, _, members, sims, features = max(ranked, key=lambda r: (r[0], r[1]))
        else:
            sims, features = score_rows(self.rule, query, members, vocab)
            score = linkage_score(sims)
        return float(score), best_pair(self.rule, query, members.ids, sims, features)
