"""The clustering job: the stages of :mod:`dedupe_news.spark`, in order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ParameterError
from ..pipeline import StoryClusterer
from .components import component_sizes
from .copies import copy_pairs
from .idf import weigh_rows
from .labels import assemble
from .linkage import linked_groups
from .plan import Plan
from .prepare import prepare_rows
from .rewrites import rewrite_pairs
from .scores import same_story_edges, score_copy_pairs
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
        (string) and ``date`` (a date, a timestamp, or a ``YYYY-MM-DD`` string).
        Other columns are ignored. A null text counts as empty.
    block_rows : int, default 20000
        Articles per date block of the rewrite search (each block also holds the
        articles within the window of its edges).
    max_driver_edges : int, default 10,000,000
        Connected components are computed on the driver up to this many same-story
        edges, otherwise by label propagation in DataFrames.
    **params
        The settings of :class:`~dedupe_news.StoryClusterer` (``window_days``,
        ``rewrite_threshold``, ``copy_threshold``, ``linkage``, ...), with the same
        defaults. ``progress(stage, done, total)`` is called as each stage starts
        and ends; ``n_jobs`` is ignored (Spark decides).

    Returns
    -------
    pyspark.sql.DataFrame
        ``id``, ``cluster`` (label numbered by first appearance in ``df``'s order,
        as ``StoryClusterer.labels_``; null for an empty text), ``cluster_size``,
        ``is_source`` (the story's earliest dated article) and ``source_id``. It is
        computed before it is returned (checkpointed), so using it is cheap.
    """
    settings = StoryClusterer(**params)
    hasher = settings._check_params()
    if block_rows < 1:
        raise ParameterError(f"block_rows must be at least 1, got {block_rows}")
    if max_driver_edges < 0:
        raise ParameterError(f"max_driver_edges must be zero or more, got {max_driver_edges}")
    stages = Stages(settings.progress)
    cache = Cache()
    try:
        stages.start("prepare")
        rows, n_all, n = prepare_rows(df, hasher, cache)
        stages.done("prepare", n_all)

        stages.start("idf")
        features, vocabulary = weigh_rows(rows.filter("has_text"), n, cache)
        plan = Plan.of(settings, vocabulary.n_terms, vocabulary.has_common_terms)
        stages.done("idf", n)

        stages.start("copies")
        copies = copy_pairs(features, settings.copy_threshold, settings.num_perm, cache)
        stages.done("copies", copies.count())

        stages.start("rewrites")
        near_scored = rewrite_pairs(features, plan, vocabulary.shared, block_rows, cache)
        stages.done("rewrites", near_scored.count())

        stages.start("scoring")
        copy_scored = score_copy_pairs(copies, features, plan)
        edges = same_story_edges(near_scored, copy_scored, plan, cache)
        n_edges = edges.count()
        stages.done("scoring", n_edges)

        stages.start("components")
        components = component_sizes(edges, n_edges, max_driver_edges, cache)
        stages.done("components", n)

        stages.start("linkage")
        groups = cache.keep(linked_groups(components, features, edges, plan, settings.linkage))
        groups.count()
        stages.done("linkage", n)

        stages.start("labels")
        result = assemble(rows, components, groups).localCheckpoint(eager=True)
        stages.done("labels", n_all)
        return result
    finally:
        cache.release()
        stages.restore()
