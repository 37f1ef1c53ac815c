"""The job up to its scored pairs: stages prepare, idf, copies, rewrites and scoring."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..decision import DecisionRule, ModelRule
from ..errors import ParameterError
from ..minhash import MinHasher
from ..pipeline import StoryClusterer
from ..settings import Settings
from .copies import copy_pairs
from .idf import weigh_rows
from .model_scores import NAMED_FEATURES, model_rows, model_scored_pairs
from .plan import Plan
from .prepare import prepare_rows
from .rewrites import rewrite_pairs
from .scores import distinct_pairs, score_copy_pairs
from .stages import Cache, Stages

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["ScoredPairs", "checked_settings", "pair_scores_dataframe", "scored_pairs"]


def pair_scores_dataframe(df: DataFrame, *, block_rows: int = 20_000, **params: Any) -> DataFrame:
    """Every pair the Spark job scores, with its features and the decision.

    These are the candidate pairs of :func:`cluster_dataframe` (the copy search's
    and the rewrite search's), before clustering: ``id_a``, ``id_b`` (``id_a``
    first in ``df``'s order), ``cosine_similarity``, ``jaccard_similarity``,
    ``containment_similarity``, ``date_distance_days`` (NaN: a date unknown),
    ``story_similarity`` and ``same_story``, as :class:`~dedupe_news.PairTable`
    holds them. With a learned model (``model=...``), ``story_similarity`` is its
    probability, ``same_story`` its verdict, and every feature it reads
    (:data:`~dedupe_news.pair_model.PAIR_FEATURES`, but ``date_distance_days``, which
    stays NaN when a date is unknown) follows, as ``StoryClusterer.pair_model_features``
    gives them. Parameters as in :func:`cluster_dataframe`; the result is computed
    before it is returned (checkpointed).
    """
    from pyspark.sql import functions as F

    settings, hasher, progress, decision = checked_settings(params, block_rows, 0)
    stages = Stages(progress)
    cache = Cache()
    try:
        scored = scored_pairs(df, settings, hasher, block_rows, stages, cache, decision)
        ids = scored.rows.select("pos", "id")
        named = NAMED_FEATURES if decision is not None else ()
        result = (
            scored.pairs.join(ids.withColumnsRenamed({"pos": "i", "id": "id_a"}), "i")
            .join(ids.withColumnsRenamed({"pos": "j", "id": "id_b"}), "j")
            .withColumn("same_story", F.col("story_similarity") >= scored.plan.threshold)
            .orderBy("i", "j")
            .select("id_a", "id_b", *_FEATURE_COLUMNS, "story_similarity", "same_story", *named)
            .localCheckpoint(eager=True)
        )
        stages.done("scoring", result.count())
        return result
    finally:
        cache.release()
        stages.restore()


_FEATURE_COLUMNS = (
    "cosine_similarity",
    "jaccard_similarity",
    "containment_similarity",
    "date_distance_days",
)


@dataclass(frozen=True)
class ScoredPairs:
    """The job up to the scored pairs: prepared ``rows``, weighted ``features`` (with a
    learned model, the model rows of :mod:`.model_scores`), ``pairs``, and the
    broadcast ``vocabulary`` of :func:`.idf.weigh_rows`."""

    rows: DataFrame
    features: DataFrame
    pairs: DataFrame
    plan: Plan
    n_rows: int
    n_kept: int
    vocabulary: Any = None


def scored_pairs(
    df: DataFrame,
    settings: Settings,
    hasher: MinHasher,
    block_rows: int,
    stages: Stages,
    cache: Cache,
    decision: ModelRule | None = None,
) -> ScoredPairs:
    """Stages prepare, idf, copies, rewrites and scoring (left open, for the caller);
    with a learned model's ``decision``, scored by the model."""
    with_evidence = decision is not None
    stages.start("prepare")
    rows, n_all, n = prepare_rows(df, hasher, cache, with_evidence)
    stages.done("prepare", n_all)

    stages.start("idf")
    features, vocabulary = weigh_rows(rows.filter("has_text"), n, cache, with_evidence)
    plan = Plan.of(
        settings,
        vocabulary.n_terms,
        vocabulary.has_common_terms,
        decision,
        n_lead_terms=vocabulary.n_lead_terms,
        has_common_lead_terms=vocabulary.has_common_lead_terms,
        n_positions=n_all,
    )
    stages.done("idf", n)

    stages.start("copies")
    copies = copy_pairs(features, settings.copy_threshold, settings.num_perm, cache)
    stages.done("copies", copies.count())

    stages.start("rewrites")
    near_scored = rewrite_pairs(features, plan, vocabulary.shared, block_rows, cache)
    stages.done("rewrites", near_scored.count())

    stages.start("scoring")
    pairs = distinct_pairs(near_scored, score_copy_pairs(copies, features, plan), cache)
    if decision is not None:
        features = model_rows(pairs, features, plan, cache)
        pairs = model_scored_pairs(pairs, features, plan, vocabulary.shared, cache)
    return ScoredPairs(rows, features, pairs, plan, n_all, n, vocabulary.shared)


def checked_settings(
    params: dict, block_rows: int, max_driver_edges: int
) -> tuple[Settings, MinHasher, Any, ModelRule | None]:
    """``(settings, hasher, progress, decision)`` of ``StoryClusterer``'s ``params``,
    validated; ``decision`` is the learned model's (None for the fixed rule)."""
    clusterer = StoryClusterer(**params)
    settings = clusterer.settings
    model = clusterer.resolved_model()
    rule = DecisionRule.from_settings(settings)
    decision = None if model is None else ModelRule.of(model, rule, clusterer.same_story_threshold)
    hasher = MinHasher(
        num_perm=settings.num_perm,
        seed=settings.seed,
        shingle_size=settings.shingle_size,
        backend=clusterer.minhash_backend,
    )
    if block_rows < 1:
        raise ParameterError(f"block_rows must be at least 1, got {block_rows}")
    if max_driver_edges < 0:
        raise ParameterError(f"max_driver_edges must be zero or more, got {max_driver_edges}")
    return settings, hasher, clusterer.progress, decision
