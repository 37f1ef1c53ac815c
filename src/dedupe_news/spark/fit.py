"""Articles in, a fitted result out: the Spark job for a list of articles."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..articles import Article, article_list
from ..stories import Story, group_stories
from ..timestamps import article_time_key
from .job import cluster_dataframe
from .pairs import checked_settings
from .session import spark_session

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkClustering", "articles_dataframe", "fit_articles"]


@dataclass(frozen=True)
class SparkClustering:
    """The result of :func:`fit_articles`, laid out like a fitted ``StoryClusterer``.

    ``write_results`` accepts it. Attributes as in :class:`~dedupe_news.StoryClusterer`.
    """

    articles_: list[Article]
    labels_: np.ndarray
    stories_: list[Story]
    n_skipped_empty_: int
    match_: list[str | None]
    source_similarity_: np.ndarray


def fit_articles(
    articles: Iterable[Article],
    *,
    spark: SparkSession | None = None,
    master: str = "local[*]",
    block_rows: int = 20_000,
    max_driver_edges: int = 10_000_000,
    **params: Any,
) -> SparkClustering:
    """Cluster a list of articles with :func:`cluster_dataframe` and collect the result.

    ``spark`` is the session to use; without one, :func:`spark_session` starts one
    on ``master``. ``params`` are ``StoryClusterer``'s settings; ``block_rows`` and
    ``max_driver_edges`` as in :func:`cluster_dataframe`.
    """
    articles = article_list(articles)
    checked_settings(params, block_rows, max_driver_edges)  # before starting Spark
    if spark is None:
        spark = spark_session(master)
    df = articles_dataframe(spark, articles)
    result = cluster_dataframe(
        df, block_rows=block_rows, max_driver_edges=max_driver_edges, **params
    )
    result = result.select("id", "cluster", "match", "source_similarity").toPandas()
    row_of = {article_id: k for k, article_id in enumerate(result["id"])}
    rows = [row_of[a.id] for a in articles]
    clusters = result["cluster"].to_numpy()[rows]
    labels = np.array([-1 if _is_missing(c) else int(c) for c in clusters], dtype=np.int64)
    matches = [None if _is_missing(m) else str(m) for m in result["match"].to_numpy()[rows]]
    similarity = result["source_similarity"].to_numpy(dtype=np.float64, na_value=np.nan)[rows]
    return SparkClustering(
        articles_=articles,
        labels_=labels,
        stories_=group_stories(
            [a.id for a in articles], [article_time_key(a) for a in articles], labels
        ),
        n_skipped_empty_=int((labels < 0).sum()),
        match_=matches,
        source_similarity_=similarity,
    )


def articles_dataframe(spark: SparkSession, articles: list[Article]) -> DataFrame:
    """A DataFrame of ``id, text, title, date, source`` rows, in the list's order;
    ``date`` is the publication time (ISO 8601, UTC) where known, else the day."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "id": [a.id for a in articles],
            "text": [a.text for a in articles],
            "title": [a.title for a in articles],
            "date": [_when(a) for a in articles],
            "source": [a.source for a in articles],
        }
    )
    return spark.createDataFrame(
        frame, "id string, text string, title string, date string, source string"
    )


def _when(article: Article) -> str | None:
    if article.time is not None:
        return article.time.isoformat()
    return None if article.date is None else article.date.isoformat()


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
