"""Stage ``labels``: the result rows, labelled by first appearance, with sizes and sources."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["assemble"]


def assemble(rows: DataFrame, components: DataFrame, groups: DataFrame) -> DataFrame:
    """``pos, id, cluster, cluster_size, is_source, source_id, source_pos`` for every
    row (``source_pos``: the source's position, null for an empty text).

    A story is a ``(comp, grp)`` pair (an article on no edge is its own component);
    labels count stories in the order of their first article, as
    ``StoryClusterer.labels_`` do, and the source is the earliest published article
    (by time, a bare date at 00:00 UTC; undated ones last; then input order), as
    :func:`~dedupe_news.timestamps.article_time_key` orders them.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    articles = (
        rows.select("pos", "id", "has_text", "seconds")
        .join(components.select("pos", "comp"), "pos", "left")
        .join(groups, "pos", "left")
        .withColumn("comp", F.coalesce("comp", "pos"))
        .withColumn("grp", F.coalesce("grp", F.lit(0).cast("long")))
    )
    kept = articles.filter("has_text")
    clusters = kept.groupBy("comp", "grp").agg(
        F.min("pos").alias("first"),
        F.count("*").alias("cluster_size"),
        F.min(F.struct(F.isnan("seconds").alias("undated"), "seconds", "pos")).alias("source"),
    )
    clusters = clusters.withColumn(
        "cluster", F.row_number().over(Window.orderBy("first")) - 1
    ).select(
        "comp",
        "grp",
        F.col("cluster").cast("long").alias("cluster"),
        "cluster_size",
        F.col("source.pos").alias("source_pos"),
    )
    ids = rows.select(F.col("pos").alias("source_pos"), F.col("id").alias("source_id"))
    clusters = clusters.join(ids, "source_pos")
    labelled = articles.join(clusters, ["comp", "grp"], "left").select(
        "pos",
        "id",
        F.when(F.col("has_text"), F.col("cluster")).alias("cluster"),
        F.when(F.col("has_text"), F.col("cluster_size")).otherwise(F.lit(0)).alias("cluster_size"),
        (F.col("has_text") & (F.col("pos") == F.col("source_pos"))).alias("is_source"),
        F.when(F.col("has_text"), F.col("source_id")).alias("source_id"),
        F.when(F.col("has_text"), F.col("source_pos")).alias("source_pos"),
    )
    return labelled
