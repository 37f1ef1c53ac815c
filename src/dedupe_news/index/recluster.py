"""Re-clustering the stories an added article touches, as batch clustering would."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from ..clustering import cluster_pairs
from ..decision import PairScores
from .candidates import _linkage_score, _Prepared
from .storage import (
    _REFRESH_GROWTH,
    _SPAN_WINDOWS,
    _concat,
    _in_chunks,
    _Rows,
    _Vocab,
)


class _Reclustering:
    """Clustering touched stories again after an add (a StoryIndex part)."""

    def _recluster(
        self,
        p: _Prepared,
        rowid: int,
        touched: np.ndarray,
        edge_scores: np.ndarray,
        vocab: _Vocab,
        state: dict,
    ) -> tuple[int, bool]:
        """Re-run batch agglomeration over the stories the new article touches.

        Returns the article's story id and whether that story is new. The stories
        touched by its edges (nearest first, at most ``max_component`` members in
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
        span = self._span(p.day)
        sizes = self._story_sizes(list(strength), span)
        cap = self._settings["max_recluster"] - 1
        chosen, frozen, total = [], [], 0
        for story in sorted(strength, key=lambda s: (-strength[s], sizes.get(s, 0), s)):
            if total + sizes.get(story, 0) <= cap:
                chosen.append(story)
                total += sizes.get(story, 0)
            else:
                frozen.append(story)
        chosen, total = self._expand(chosen, total, cap, span)
        members, groups, new = self._regroup(chosen, rowid, vocab, state, span)
        me = len(members.ids) - 1
        is_new = int(new[me]) not in sizes
        if frozen and is_new and int((groups == groups[me]).sum()) == 1:
            joined = self._join_frozen(p, frozen, vocab)
            if joined is not None:
                new[me], is_new = joined, False
        self._write_groups(members, new, vocab.n_articles if len(members.ids) > 1 else None)
        return int(new[me]), is_new

    def _regroup(
        self,
        stories: list[int],
        rowid: int | None,
        vocab: _Vocab,
        state: dict,
        span: tuple[str, tuple],
    ) -> tuple[_Rows, np.ndarray, np.ndarray]:
        """Cluster the members of ``stories`` (and article ``rowid``, last) again.

        Returns the members, their groups and their new story ids. Each old story
        id goes to the group holding most of its members; a group left without one
        gets a new id.
        """
        members = self._load_stories(stories, span)
        if rowid is not None:
            members = _concat([members, self._load("rowid = ?", (rowid,))], self._hasher.num_perm)
            members.story[-1] = -1
        n = len(members.ids)
        groups = np.zeros(n, dtype=np.int64)
        if n > 1:
            similarity = self._similarity_matrix(members, vocab)
            i, j = self._stored_edges(members.rowid)
            groups = cluster_pairs(
                n,
                i,
                j,
                similarity[i, j],
                threshold=self.rule.rewrite_threshold,
                component_similarity=lambda m: similarity[np.ix_(m, m)],
                max_component=self._settings["max_component"],
            )
        story_of_group = _inherit_ids(members.story, groups)
        for g in np.unique(groups):
            if int(g) not in story_of_group:
                story_of_group[int(g)] = state["next_story"]
                state["next_story"] += 1
        new = np.array([story_of_group[int(g)] for g in groups], dtype=np.int64)
        return members, groups, new

    def _write_groups(self, members: _Rows, new: np.ndarray, clustered_n: int | None) -> None:
        """Store new story ids, and when the set was last clustered (for refreshes)."""
        self._conn.executemany(
            "UPDATE articles SET story = ?, clustered_n = ? WHERE rowid = ?",
            [
                (int(story), clustered_n, int(r))
                for story, r in zip(new.tolist(), members.rowid.tolist(), strict=True)
            ],
        )

    def _refresh(self, vocab: _Vocab, state: dict) -> None:
        """Cluster again the component clustered longest ago, once the article count has
        doubled since then: batch IDF counts every article, so early clusterings drift."""
        row = self._conn.execute(
            "SELECT rowid, story, day FROM articles WHERE clustered_n <= ? "
            "ORDER BY clustered_n LIMIT 1",
            (int(vocab.n_articles / _REFRESH_GROWTH),),
        ).fetchone()
        if row is None:
            return
        rowid, story = int(row[0]), int(row[1])
        span = self._span(math.nan if row[2] is None else float(row[2]))
        total = self._story_sizes([story], span).get(story, 0)
        cap = self._settings["max_recluster"]
        if total > cap:  # grown past the cap by joins: leave it as it is
            self._conn.execute(
                f"UPDATE articles SET clustered_n = ? WHERE story = ?{span[0]}",
                (vocab.n_articles, story, *span[1]),
            )
            self._conn.execute(
                "UPDATE articles SET clustered_n = ? WHERE rowid = ?", (vocab.n_articles, rowid)
            )
            return
        chosen, _ = self._expand([story], total, cap, span)
        members, _, new = self._regroup(chosen, None, vocab, state, span)
        if rowid not in set(members.rowid.tolist()):  # pragma: no cover - defensive
            self._conn.execute(
                "UPDATE articles SET clustered_n = ? WHERE rowid = ?", (vocab.n_articles, rowid)
            )
        self._write_groups(members, new, vocab.n_articles)

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
        clause, bounds = span
        member_clause = clause.replace("day", "member.day")
        other_clause = clause.replace("day", "other.day")
        while frontier and total < cap:
            found: set[int] = set()
            for chunk, marks in _in_chunks(frontier):
                found.update(
                    s
                    for (s,) in self._conn.execute(
                        "SELECT DISTINCT other.story FROM articles AS member "
                        "JOIN edges ON edges.a = member.rowid "
                        "JOIN articles AS other ON other.rowid = edges.b "
                        f"WHERE member.story IN ({marks}){member_clause}{other_clause}",
                        (*chunk, *bounds, *bounds),
                    )
                )
            found -= seen
            found.discard(-1)
            seen |= found
            sizes = self._story_sizes(sorted(found), span)
            frontier = []
            for story in sorted(found, key=lambda s: (sizes.get(s, 0), s)):
                if total + sizes.get(story, 0) <= cap:
                    frontier.append(story)
                    total += sizes.get(story, 0)
            chosen.extend(frontier)
        return chosen, total

    def _join_frozen(self, p: _Prepared, stories: list[int], vocab: _Vocab) -> int | None:
        """The story (too large to re-cluster) with the best linkage, if good enough."""
        tfidf_ids = np.array([vocab.ids[t] for t in p.terms], dtype=np.int64)
        tfidf = p.weights * vocab.idf(tfidf_ids)
        norm = float(np.sqrt(tfidf @ tfidf)) or 1.0
        order = np.argsort(tfidf_ids)
        vector = (tfidf_ids[order], tfidf[order] / norm)
        best, best_score = None, self.rule.rewrite_threshold
        limit = self._settings["max_story_members"]
        for story in stories:
            rows = self._load("story = ? ORDER BY rowid DESC LIMIT ?", (story, limit))
            score = _linkage_score(self._score(p, vector, rows, vocab, extra=0)[0])
            if score >= best_score:
                best, best_score = story, score
        return best

    def _explain_assignment(
        self,
        p: _Prepared,
        vector: tuple[np.ndarray, np.ndarray],
        rowid: int,
        story: int,
        is_new: bool,
        candidates: _Rows,
        candidate_sims: np.ndarray,
        vocab: _Vocab,
    ) -> tuple[float, PairScores | None]:
        """Linkage score and closest member of the story taken (or, for a new story
        alone, of the best candidate story that was not good enough)."""
        members = self._load(
            "story = ? AND rowid != ? ORDER BY rowid DESC LIMIT ?",
            (story, rowid, self._settings["max_story_members"]),
        )
        if not members.ids:
            hopeful = candidate_sims >= self.rule.rewrite_threshold
            others = sorted({int(s) for s in candidates.story[hopeful]} - {story})
            if not others:
                return 0.0, None
            # The current stories of the candidates (re-clustering may have moved them).
            current = self._story_sizes(others)
            ranked = []
            for other in current:
                rows = self._load(
                    "story = ? ORDER BY rowid DESC LIMIT ?",
                    (other, self._settings["max_story_members"]),
                )
                sims, features = self._score(p, vector, rows, vocab, extra=0)
                ranked.append((_linkage_score(sims), -other, rows, sims, features))
            if not ranked:
                return 0.0, None
            score, _, members, sims, features = max(ranked, key=lambda r: (r[0], r[1]))
        else:
            sims, features = self._score(p, vector, members, vocab, extra=0)
            score = _linkage_score(sims)
        return float(score), self._best_pair(p, members.ids, sims, features)

    def _span(self, day: float) -> tuple[str, tuple]:
        """SQL filter for the members re-clustered around an article of this day.

        Members dated more than ``window_days`` away share no edge with it and
        rarely share a story with its neighbours; they keep their story.
        """
        w = self.rule.window_days * _SPAN_WINDOWS
        if math.isnan(day) or math.isinf(w):
            return "", ()
        return " AND (day IS NULL OR day BETWEEN ? AND ?)", (day - w, day + w)

    def _story_sizes(
        self, stories: list[int], span: tuple[str, tuple] = ("", ())
    ) -> dict[int, int]:
        """Member counts of stories (inside ``span``)."""
        sizes: dict[int, int] = {}
        for chunk, marks in _in_chunks(stories):
            sizes.update(
                self._conn.execute(
                    f"SELECT story, count(*) FROM articles WHERE story IN ({marks}){span[0]} "
                    "GROUP BY story",
                    (*chunk, *span[1]),
                )
            )
        return sizes

    def _load_stories(self, stories: list[int], span: tuple[str, tuple]) -> _Rows:
        parts = []
        for chunk, marks in _in_chunks(stories):
            parts.append(
                self._load(f"story IN ({marks}){span[0]} ORDER BY rowid", (*chunk, *span[1]))
            )
        return _concat(parts, self._hasher.num_perm)

    def _stored_edges(self, rowids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stored edges among ``rowids``, as positions into it (each pair once, i < j)."""
        ids = rowids.tolist()
        pairs = []
        for chunk, marks in _in_chunks(ids):
            pairs.extend(self._conn.execute(f"SELECT a, b FROM edges WHERE a IN ({marks})", chunk))
        if not pairs:
            empty = np.zeros(0, dtype=np.intp)
            return empty, empty
        ab = np.array(pairs, dtype=np.int64)
        order = np.argsort(rowids)
        sorted_ids = rowids[order]
        pos = np.minimum(np.searchsorted(sorted_ids, ab), sorted_ids.size - 1)
        inside = (sorted_ids[pos] == ab).all(axis=1)
        i, j = order[pos[inside, 0]], order[pos[inside, 1]]
        keep = i < j
        return i[keep].astype(np.intp), j[keep].astype(np.intp)

    def _similarity_matrix(self, rows: _Rows, vocab: _Vocab) -> np.ndarray:
        """Full story_similarity matrix of loaded rows, as batch clustering computes it.

        TF-IDF cosine with the current IDF, 0 outside the date window, and 1.0 for
        the stored copy edges.
        """
        n = len(rows.ids)
        lengths, indices = rows.lengths, rows.term_ids
        data = rows.weights * vocab.idf(indices)
        indptr = np.r_[0, np.cumsum(lengths)]
        norms = np.sqrt(np.bincount(rows.term_rows(), weights=data**2, minlength=n))
        norms = np.where((lengths > 0) & (norms > 0), norms, 1.0)
        data = data / np.repeat(norms, lengths)
        matrix = sp.csr_matrix((data, indices, indptr), shape=(n, vocab.df.size))
        similarity = np.clip((matrix @ matrix.T).toarray(), 0.0, 1.0)
        gap = np.abs(rows.day[:, None] - rows.day[None, :])
        similarity[gap > self.rule.window_days] = 0.0
        position = {int(r): k for k, r in enumerate(rows.rowid.tolist())}
        ids = list(position)
        for chunk, marks in _in_chunks(ids):
            for a, b in self._conn.execute(
                f"SELECT a, b FROM edges WHERE score >= 1.0 AND a IN ({marks})", chunk
            ):
                k = position.get(b)
                if k is not None:
                    similarity[position[a], k] = similarity[k, position[a]] = 1.0
        return similarity


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
