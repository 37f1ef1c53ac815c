"""Scorers: candidate search, pair scores and component matrices for one fitted corpus.

The batch estimator asks a scorer four things, whichever decision it uses:

* ``candidates()``: the pairs worth scoring;
* ``score(i, j)``: a :class:`~dedupe_news.decision.PairTable` of those pairs;
* ``matrix(members, copies)``: the full ``story_similarity`` matrix of a
  connected component, for linkage;
* ``pair_scores(a, b, id_a, id_b)``: one pair, explained.

:class:`RuleScorer` applies the fixed rule (:class:`~dedupe_news.decision.DecisionRule`:
TF-IDF cosine against one threshold). :class:`ModelScorer` applies a learned model
(:class:`~dedupe_news.decision.ModelRule`): it searches wider (a lower cosine floor,
more neighbours, and the leads as well as the bodies), reads the evidence of
:mod:`~dedupe_news.model_features`, and scores with the model's probability.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields

import numpy as np
import scipy.sparse as sp

from .candidate_search import candidate_pairs
from .clustering import (
    CLEARLY_DIFFERENT,
    VETO_DISTANCE,
    component_similarity,
    windowed_similarity,
)
from .decision import DecisionRule, ModelRule, PairScores, PairTable
from .model_features import EvidenceRows, model_pair_features, neighbour_graph
from .pair_features import (
    COMPILED_MIN_PAIRS,
    ArticleRows,
    PairFeatures,
    cosine_similarity_pairs,
    pair_features,
)
from .parallel import effective_jobs, map_tasks

__all__ = ["MatrixCache", "ModelScorer", "RuleScorer", "candidate_pairs", "pair_matrix"]

Progress = Callable[[int], None]

SMALL_COMPONENT = 200
PAIRS_PER_BATCH = 200_000
PAIRS_PER_TASK = 100_000
MAX_HELD_PAIRS = 5_000_000
"""Components of 3 to SMALL_COMPONENT articles are scored together, in batches of
about PAIRS_PER_BATCH pairs, holding at most MAX_HELD_PAIRS scores (40 MB) for
linkage to take (see :class:`MatrixCache`)."""


class MatrixCache:
    """Component matrices computed ahead, many components per call.

    Linkage asks for one component's full ``story_similarity`` matrix at a time,
    and for small components one call costs more in overhead than in work.
    :meth:`fill` scores every pair inside each group of 3 to
    :data:`SMALL_COMPONENT` members in batches of about :data:`PAIRS_PER_BATCH`
    pairs (while fewer than :data:`MAX_HELD_PAIRS` are held); :meth:`take` hands a
    group's matrix over once. Groups are sorted index arrays, keyed by content.
    """

    def __init__(self) -> None:
        self._scored: dict[bytes, np.ndarray] = {}
        self._held_pairs = 0

    def fill(self, groups: list[np.ndarray], score_pairs: Callable[..., np.ndarray]) -> None:
        """Score the small ``groups`` with ``score_pairs(i, j)`` (one value per pair)."""
        batch: list[np.ndarray] = []
        pairs_in_batch = 0
        for members in [g for g in groups if 3 <= g.size <= SMALL_COMPONENT] + [None]:
            if members is None or pairs_in_batch >= PAIRS_PER_BATCH:
                if batch:
                    i, j, offsets = _group_pairs(batch)
                    similarity = score_pairs(i, j)
                    for k, group in enumerate(batch):
                        self._scored[group.tobytes()] = similarity[offsets[k] : offsets[k + 1]]
                    self._held_pairs += pairs_in_batch
                batch, pairs_in_batch = [], 0
            if members is None or self._held_pairs >= MAX_HELD_PAIRS:
                return
            batch.append(members)
            pairs_in_batch += members.size * (members.size - 1) // 2

    def take(self, members: np.ndarray) -> np.ndarray | None:
        """The matrix of ``members`` if it was filled (once), else None."""
        similarity = self._scored.pop(members.tobytes(), None)
        if similarity is None:
            return None
        self._held_pairs -= similarity.size
        return pair_matrix(members.size, similarity)


def _group_pairs(groups: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair ``a < b`` of positions inside each group (as
    :func:`numpy.triu_indices` orders them), as row indices, and where each
    group's pairs start (one offset per group, and the total)."""
    pairs = [np.triu_indices(g.size, k=1) for g in groups]
    i = np.concatenate([g[a] for g, (a, _) in zip(groups, pairs, strict=True)])
    j = np.concatenate([g[b] for g, (_, b) in zip(groups, pairs, strict=True)])
    return i, j, np.cumsum([0] + [a.size for a, _ in pairs])


def pair_matrix(size: int, similarity: np.ndarray) -> np.ndarray:
    """The symmetric ``(size, size)`` matrix of the pairs' ``similarity`` (pairs in
    :func:`numpy.triu_indices` order), 1 on the diagonal."""
    a, b = np.triu_indices(size, k=1)
    matrix = np.zeros((size, size), dtype=np.float64)
    matrix[a, b] = similarity
    matrix[b, a] = similarity
    np.fill_diagonal(matrix, 1.0)
    return matrix


class RuleScorer:
    """Scores by the fixed rule: 0 outside the window, 1 for a copy, else the cosine."""

    def __init__(self, rule: DecisionRule, rows: ArticleRows, max_neighbors: int):
        self.rule, self.rows, self.max_neighbors = rule, rows, max_neighbors
        self.threshold = rule.rewrite_threshold
        self.clearly_different = CLEARLY_DIFFERENT
        self.veto_distance = VETO_DISTANCE
        self._cache = MatrixCache()
        self._copy_codes: tuple[sp.csr_matrix, np.ndarray] | None = None

    def linkage_method(self, setting: str) -> str:
        """The linkage of the ``linkage`` setting."""
        return setting

    def candidates(self, n_jobs=None, progress: Progress | None = None, probe_articles=None):
        return candidate_pairs(
            self.rows,
            [self.rows.tfidf],
            copy_threshold=self.rule.copy_threshold,
            window_days=self.rule.window_days,
            min_similarity=self.rule.rewrite_threshold,
            max_neighbors=self.max_neighbors,
            n_jobs=n_jobs,
            progress=progress,
            probe_articles=probe_articles,
        )

    def score(self, i: np.ndarray, j: np.ndarray) -> PairTable:
        return PairTable.decide(self.rule, i, j, pair_features(self.rows, i, self.rows, j))

    def prefetch(self, groups: list[np.ndarray], copies: sp.csr_matrix) -> None:
        """Compute the small groups' matrices together (:class:`MatrixCache`): the
        cosine of every pair inside them in one call, 0 outside the window, 1 for the
        ``copies``, as :func:`~dedupe_news.clustering.component_similarity` gives
        them one by one."""
        n = len(self.rows)
        if self._copy_codes is None or self._copy_codes[0] is not copies:
            copy = sp.triu(copies, k=1).tocoo()
            self._copy_codes = (copies, np.sort(copy.row.astype(np.int64) * n + copy.col))
        copy_codes = self._copy_codes[1]

        def score_pairs(i: np.ndarray, j: np.ndarray) -> np.ndarray:
            cosine = cosine_similarity_pairs(self.rows.tfidf, i, self.rows.tfidf, j)
            gap = np.abs(self.rows.days[i] - self.rows.days[j])
            similarity = windowed_similarity(cosine, gap, self.rule.window_days)
            similarity[np.isin(i.astype(np.int64) * n + j, copy_codes)] = 1.0
            return similarity

        self._cache.fill(groups, score_pairs)

    def matrix(self, members: np.ndarray, copies: sp.csr_matrix) -> np.ndarray:
        found = self._cache.take(members)
        if found is None:
            return component_similarity(self.rows, self.rule.window_days, members, copies)
        return found

    def pair_scores(self, a: int, b: int, id_a: str, id_b: str) -> PairScores:
        features = pair_features(self.rows, np.array([a]), self.rows, np.array([b]))
        return PairScores.from_features(id_a, id_b, self.rule, features)

    def table_pair_scores(
        self, table: PairTable, picks: np.ndarray, ids: list[str]
    ) -> list[PairScores]:
        """Pairs ``picks`` of ``table`` (scored by :meth:`score`) explained; ``ids``
        names the rows."""
        return [
            PairScores.from_features(ids[table.i[k]], ids[table.j[k]], self.rule, table.features, k)
            for k in picks.tolist()
        ]


class ModelScorer:
    """Scores by a learned model's same-story probability (see the module docstring).

    ``candidates()`` must run first: it builds the candidate graph that
    ``neighbour_cosine`` reads.
    """

    def __init__(
        self,
        decision: ModelRule,
        rows: ArticleRows,
        evidence: EvidenceRows,
        n_jobs: int | None = None,
    ):
        self.decision, self.rows, self.evidence = decision, rows, evidence
        self.n_jobs = n_jobs
        self.rule = decision.rule
        self.threshold = decision.threshold
        self.clearly_different = decision.clearly_different
        self.veto_distance = decision.model.veto_distance
        self.graph = neighbour_graph(len(rows), np.zeros(0), np.zeros(0), np.zeros(0))
        self._cache = MatrixCache()
        self._candidates: tuple | None = None
        self._kernels_loaded = False

    def linkage_method(self, setting: str) -> str:
        """The model's own linkage (its file says which): the ``linkage`` setting is
        the fixed rule's."""
        del setting
        return self.decision.model.linkage_method

    def candidates(self, n_jobs=None, progress: Progress | None = None, probe_articles=None):
        model = self.decision.model
        i, j = candidate_pairs(
            self.rows,
            [self.rows.tfidf, self.evidence.lead_tfidf],
            copy_threshold=self.rule.copy_threshold,
            window_days=self.rule.window_days,
            min_similarity=model.candidate_similarity,
            max_neighbors=model.neighbor_counts(self.evidence.log_tokens),
            n_jobs=n_jobs,
            progress=progress,
            probe_articles=probe_articles,
        )
        core = pair_features(self.rows, i, self.rows, j)
        near = self.rule.in_window(core.date_distance_days)
        cosine = core.cosine_similarity
        if not near.all():  # a pair out of the window is no edge: a zero is dropped
            cosine = np.where(near, cosine, 0.0)
        del near
        self.graph = neighbour_graph(len(self.rows), i, j, cosine)
        del cosine
        self._candidates = (i, j, core)  # score(i, j) reuses these features
        return i, j

    def features(
        self, i: np.ndarray, j: np.ndarray, core: PairFeatures | None = None
    ) -> tuple[PairFeatures, dict]:
        """The core features (unless given) and every model feature of pairs
        ``(i[k], j[k])``."""
        if core is None:
            core = self._known_core(i, j) or pair_features(self.rows, i, self.rows, j)
        named = model_pair_features(
            self.evidence, self.graph, i, j, core, self.rule.min_containment_shingles
        )
        return core, named

    def _known_core(self, i: np.ndarray, j: np.ndarray) -> PairFeatures | None:
        """The candidates' features computed by :meth:`candidates`, once, when
        ``(i, j)`` are those very arrays."""
        known, self._candidates = self._candidates, None
        if known is not None and known[0] is i and known[1] is j:
            return known[2]
        return None

    def score(self, i: np.ndarray, j: np.ndarray) -> PairTable:
        """The model's scores of pairs ``(i[k], j[k])``, :data:`PAIRS_PER_TASK` at a
        time (over ``n_jobs`` processes when there are several chunks): only a
        chunk's model features are held at once, not all pairs' (13 arrays). The
        core features :meth:`candidates` computed are not sent back from the workers:
        only the probabilities are."""
        known = self._known_core(i, j)
        i = np.asarray(i, dtype=np.intp)
        j = np.asarray(j, dtype=np.intp)
        step = PAIRS_PER_TASK
        tasks = [
            (
                i[s : s + step],
                j[s : s + step],
                None if known is None else known.take(slice(s, s + step)),
            )
            for s in range(0, i.size, step)
        ] or [(i, j, known)]
        state = {"scorer": self}
        if effective_jobs(self.n_jobs) > 1 and len(tasks) >= 2:
            parts = list(
                map_tasks(
                    _score_task, tasks, state=state, n_jobs=self.n_jobs, warm_up=self._load_kernels
                )
            )
        else:
            parts = [_score_task(state, task) for task in tasks]
        similarity = np.concatenate([p[1] for p in parts])
        core = known
        if core is None:
            core = PairFeatures(
                **{
                    f.name: np.concatenate([getattr(p[0], f.name) for p in parts])
                    for f in fields(PairFeatures)
                }
            )
        del parts
        return PairTable(
            i=i,
            j=j,
            features=core,
            story_similarity=similarity,
            same_story=self.decision.same_story(similarity),
        )

    def _load_kernels(self) -> None:
        """Compute every feature of a few thousand pairs here, once, before workers are
        forked: the compiled kernels (numba) are then loaded in this process, not in
        each worker of every pool (clustering forks one for each batch of matrices)."""
        if self._kernels_loaded:
            return
        pairs = np.arange(COMPILED_MIN_PAIRS) % len(self.rows)
        self.features(pairs, (pairs + 1) % len(self.rows))
        self._kernels_loaded = True

    def prefetch(self, groups: list[np.ndarray], copies: sp.csr_matrix) -> None:
        """Score every pair inside the small groups in a few calls
        (:class:`MatrixCache`; copies are decided from each pair's own features)."""
        del copies
        self._cache.fill(groups, lambda i, j: self.linkage_similarity(self.score(i, j)))

    def matrix(self, members: np.ndarray, copies: sp.csr_matrix) -> np.ndarray:
        """:meth:`linkage_similarity` of every pair of ``members`` (copies and the
        window decided from each pair's own features, so ``copies`` is not needed)."""
        del copies
        found = self._cache.take(members)
        if found is None:
            a, b = np.triu_indices(members.size, k=1)
            found = pair_matrix(
                members.size, self.linkage_similarity(self.score(members[a], members[b]))
            )
        return found

    def linkage_similarity(self, table: PairTable) -> np.ndarray:
        """What linkage reads for the pairs of ``table``: their ``story_similarity``,
        except that a pair inside the window whose shorter text has fewer than the
        model's ``veto_min_tokens`` tokens never vetoes a merge: below
        ``clearly_different``, it counts as ``clearly_different``. Two headlines of
        one story often share no word; their low probability is no evidence against."""
        similarity = table.story_similarity
        min_tokens = self.decision.model.veto_min_tokens
        if min_tokens == 0:
            return similarity
        log_tokens = self.evidence.log_tokens
        short = np.minimum(log_tokens[table.i], log_tokens[table.j]) < np.log1p(min_tokens)
        lift = (
            short
            & (similarity < self.clearly_different)
            & self.rule.in_window(table.features.date_distance_days)
        )
        return np.where(lift, self.clearly_different, similarity)

    def pair_scores(self, a: int, b: int, id_a: str, id_b: str) -> PairScores:
        core, named = self.features(np.array([a]), np.array([b]))
        similarity = float(self.decision.story_similarity(core, named)[0])
        return PairScores.from_model(id_a, id_b, self.decision, core, named, similarity)

    def table_pair_scores(
        self, table: PairTable, picks: np.ndarray, ids: list[str]
    ) -> list[PairScores]:
        """Pairs ``picks`` of ``table`` (scored by :meth:`score`) explained, their
        model features computed in one call; ``ids`` names the rows."""
        i, j = table.i[picks], table.j[picks]
        core, named = self.features(i, j)
        return [
            PairScores.from_model(
                ids[i[k]],
                ids[j[k]],
                self.decision,
                core.take(np.array([k])),
                {name: values[k : k + 1] for name, values in named.items()},
                float(table.story_similarity[picks[k]]),
            )
            for k in range(picks.size)
        ]


def _score_task(state: dict, task: tuple[np.ndarray, np.ndarray, PairFeatures | None]):
    """Worker of :meth:`ModelScorer.score` (a forked process sharing the scorer): the
    pairs' core features (None when the task brought them) and probabilities."""
    scorer = state["scorer"]
    core, named = scorer.features(*task)
    return None if task[2] is not None else core, scorer.decision.story_similarity(core, named)
