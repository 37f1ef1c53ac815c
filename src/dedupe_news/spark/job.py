"""The clustering job: the stages of :mod:`dedupe_news.spark`, in order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .components import component_sizes
from .labels import assemble
from .linkage import linked_groups
from .matches import source_matches
from .pairs import checked_settings, scored_pairs
from .stages import Cache, Stages

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["cluster_dataframe"]


def cluster_dataframe(
    df: DataFrame,
    *,
    block_rows: int = 20_000,
    max_driver_edges: int = 10_000_000,
    **params: Any,
) -> DataFrame:
    """Cluster the articles of a Spark DataFrame into stories.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        One row per article: ``id`` and ``text`` (strings), optional ``title``
        (string) and ``date`` (a date, a timestamp, or a string in one of
        :data:`~dedupe_news.timestamps.DATE_FORMS`; a timestamp without a zone is
        taken as UTC).
        Other columns are ignored. A null text counts as empty.
    block_rows : int, default 20000
        Articles per date block of the rewrite search (each block also holds the
        articles within the window of its edges).
    max_driver_edges : int, default 10,000,000
        Connected components are computed on the driver up to this many same-story
        edges, otherwise by label propagation in DataFrames.
    **params
        The settings of :class:`~dedupe_news.StoryClusterer` (``window_days``,
        ``rewrite_threshold``, ``copy_threshold``, ``linkage``, ``model``,
        ``same_story_threshold``, ...), with the same defaults. With a ``model``
        (``"default"``, a model file or a :class:`~dedupe_news.pair_model.PairModel`)
        every pair is scored by its probability, as ``StoryClusterer(model=...)``
        scores it. ``progress(stage, done, total)`` is called as each stage starts
        and ends; ``n_jobs`` is ignored (Spark decides).

    Returns
    -------
    pyspark.sql.DataFrame
        ``id``, ``cluster`` (label numbered by first appearance in ``df``'s order,
        as ``StoryClusterer.labels_``; null for an empty text), ``cluster_size``,
        ``is_source`` (the story's earliest published article, as
        ``StoryClusterer.stories_`` choose it) and ``source_id``. It is
        computed before it is returned (checkpointed), so using it is cheap.
        ``match`` and ``source_similarity`` relate each article to its source, as
        ``StoryClusterer.match_`` and ``source_similarity_`` do (``"source"``,
        ``"copy"`` or ``"rewrite"``; null and NaN for an empty text).
    """
    from pyspark.sql import functions as F

    settings, hasher, progress, decision = checked_settings(params, block_rows, max_driver_edges)
    stages = Stages(progress)
    cache = Cache()
    try:
        scored = scored_pairs(df, settings, hasher, block_rows, stages, cache, decision)
        edges = cache.keep(
            scored.pairs.filter(F.col("story_similarity") >= scored.plan.threshold).select(
                "i", "j", "story_similarity"
            )
        )
        n_edges = edges.count()
        stages.done("scoring", n_edges)

        stages.start("components")
        components = component_sizes(edges, n_edges, max_driver_edges, cache)
        stages.done("components", scored.n_kept)

        stages.start("linkage")
        groups = cache.keep(
            linked_groups(components, scored.features, edges, scored.plan, scored.vocabulary)
        )
        groups.count()
        stages.done("linkage", scored.n_kept)

        stages.start("labels")
        labelled = cache.keep(assemble(scored.rows, components, groups))
        matches = source_matches(labelled, scored.features, scored.plan, scored.vocabulary)
        result = (
            labelled.join(matches, "pos", "left")
            .select(
                "id",
                "cluster",
                "cluster_size",
                "is_source",
                "source_id",
                "match",
                "source_similarity",
            )
            .localCheckpoint(eager=True)
        )
        stages.done("labels", scored.n_rows)
        return result
    finally:
        cache.release()
        stages.restore()
