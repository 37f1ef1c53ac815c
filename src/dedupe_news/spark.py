"""Story clustering on Apache Spark, with the single-machine pipeline's own functions.

Use it when the articles already live in Spark, or do not fit one machine. On one
machine :class:`~dedupe_news.StoryClusterer` is faster: Spark adds start-up,
serialisation and shuffles (see ``benchmarks/RESULTS.md``).

The job runs the pure functions of the local path on pieces of the corpus, so the
edges, and so the stories, are the same as ``StoryClusterer``'s:

1. **prepare** (``mapInArrow``, per partition): ``pipeline._prepare_chunk``
   normalises, tokenises, MinHash-signs and counts the terms of each article.
2. **idf**: document frequencies by a Spark aggregation over every partition,
   collected and broadcast; every row is then weighted with the *global* IDF,
   exactly as :func:`~dedupe_news.tfidf.tfidf_from_counts` weighs it.
3. **copies**: the LSH band keys of :func:`~dedupe_news.minhash.lsh_candidate_pairs`
   (bands from :func:`~dedupe_news.minhash.lsh_params`), grouped by key; buckets
   pair each member with its next 64, as the local search does.
4. **rewrites**: rows are grouped into date blocks, each block also receiving
   the rows within ``window_days`` of its edges (and every undated row), so the
   same window search (``tfidf._window_tasks`` / ``tfidf._search_block``) runs on
   the block's own rows with the full window in reach. The pairs found are scored
   in the block with :func:`~dedupe_news.pipeline.score_pairs`; copy pairs are
   scored after a join with their two rows.
5. **components**: connected components of the same-story edges, on the driver
   when there are at most ``max_driver_edges`` edges, else by min-label
   propagation in DataFrames; then each component with more than two articles
   goes through :func:`~dedupe_news.clustering.cluster_pairs` (weighted linkage
   with the soft veto) on its own rows, in a ``cogroup``.

Labels are numbered by first appearance in the DataFrame's order, as
``StoryClusterer.labels_`` are in input order.

Limits: a date block holds at least one whole day, so one very busy day is one
task; undated articles are compared with every article, as locally, so with any
undated article one task (the undated block) holds every row: at scale, give
dates. Label identity with the local path holds for the same input order, so a
DataFrame read from one file (or ``articles_dataframe``) matches ``StoryClusterer``
on the same file.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .articles import Article, article_list, parse_date
from .clustering import Story, cluster_pairs, component_similarity, copy_matrix, group_stories
from .decision import PairTable
from .errors import (
    EmptyCorpusError,
    InputError,
    MissingDependencyError,
    ParameterError,
)
from .minhash import MinHasher, Signatures, lsh_band_keys, lsh_params
from .neighbors import PROBE_FLOOR_FACTOR, probe_max_df, search_block, window_blocks
from .pair_features import ArticleRows, pair_features
from .pipeline import StoryClusterer
from .prepare import prepare_texts
from .timestamps import article_time_key
from .weighting import smooth_idf, tfidf_rows

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkClustering", "cluster_dataframe", "fit_articles", "spark_session"]

MAX_BUCKET = 64
"""Members of an oversized LSH bucket are paired with their next 64 (``lsh_candidate_pairs``)."""

_ROW_BITS = 33  # monotonically_increasing_id: partition index << 33 | row in partition
_EPOCH_ORDINAL = 719163  # datetime.date(1970, 1, 1).toordinal()

PREPARED_SCHEMA = (
    "mid long, id string, has_text boolean, day double, bad_date string, shingles int, "
    "hashvalues binary, term_ids array<int>, term_counts array<float>"
)
FEATURES_SCHEMA = (
    "pos long, day double, shingles int, hashvalues binary, cols array<int>, weights array<float>"
)
PAIRS_SCHEMA = (
    "i long, j long, cosine_similarity double, jaccard_similarity double, "
    "containment_similarity double, date_distance_days double, story_similarity double"
)
RESULT_SCHEMA = "id string, cluster long, cluster_size long, is_source boolean, source_id string"


# -- the session --------------------------------------------------------------------


def spark_session(master: str = "local[*]", **config: str) -> SparkSession:
    """A SparkSession for dedupe_news (``getOrCreate``: an active session is reused as is).

    Sets ``PYSPARK_PYTHON`` to this interpreter when unset, so the Python workers
    import the same dedupe_news, enables Arrow, and uses 8 shuffle partitions, 4g
    of driver memory and the ERROR log level; ``config`` overrides these or adds
    settings, for example
    ``spark_session("local[2]", **{"spark.ui.enabled": "false"})``.

    Raises
    ------
    MissingDependencyError
        PySpark or PyArrow is not installed, or no Java runtime is found.
    """
    _require_spark()
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    settings = {
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.shuffle.partitions": "8",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": "4g",
        "spark.log.level": "ERROR",
        **config,
    }
    builder = SparkSession.builder.master(master).appName("dedupe-news")
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _require_spark() -> None:
    try:
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            f"the Spark engine needs PySpark and PyArrow ({exc.name} is not installed): "
            'install them with pip install "dedupe-news[spark]"'
        ) from None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise MissingDependencyError(
            "the Spark engine needs a Java runtime (17 or later), and no java is on the PATH "
            "and JAVA_HOME is unset: install one (for example apt-get install openjdk-17-jre) "
            "or set JAVA_HOME"
        )


# -- the clustering job ----------------------------------------------------------------


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
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    settings = StoryClusterer(**params)
    _, hasher = settings._check_params()
    rule = settings.decision_rule
    if block_rows < 1:
        raise ParameterError(f"block_rows must be at least 1, got {block_rows}")
    if max_driver_edges < 0:
        raise ParameterError(f"max_driver_edges must be zero or more, got {max_driver_edges}")
    spark = df.sparkSession
    stages = _Stages(settings.progress)
    source = _source_columns(df)
    persisted: list[DataFrame] = []
    vocabulary = None

    def keep(frame: DataFrame) -> DataFrame:
        frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
        persisted.append(frame)
        return frame

    try:
        # 1. prepare: the local _prepare_chunk on each Arrow batch.
        stages.start("prepare")
        prepared = keep(
            source.mapInArrow(partial(_prepare_batches, hasher=hasher), PREPARED_SCHEMA)
        )
        parts = (
            prepared.groupBy(F.shiftright("mid", _ROW_BITS).alias("part"))
            .agg(
                F.count("*").alias("rows"),
                F.sum(F.col("has_text").cast("long")).alias("kept"),
                F.min(
                    F.when(F.col("bad_date").isNotNull(), F.struct("mid", "id", "bad_date"))
                ).alias("bad"),
            )
            .collect()
        )
        n_all = sum(p["rows"] for p in parts)
        n = sum(p["kept"] or 0 for p in parts)
        if n_all == 0:
            raise EmptyCorpusError("the DataFrame has no rows: nothing to cluster")
        bad = [p["bad"] for p in parts if p["bad"] is not None]
        if bad:
            first = min(bad)
            raise InputError(f"article {first['id']!r}: {first['bad_date']}")
        duplicate = prepared.groupBy("id").count().filter("count > 1").select("id").take(1)
        if duplicate:
            raise ParameterError(f"duplicate article id {duplicate[0]['id']!r}: ids must be unique")
        if n == 0:
            raise EmptyCorpusError(
                f"all {n_all} articles have empty text after cleaning: nothing to cluster"
            )
        offsets, start = [], 0
        for p in sorted(parts, key=lambda p: p["part"]):
            offsets.append((p["part"], start))
            start += p["rows"]
        offsets_df = spark.createDataFrame(offsets, "part long, offset long")
        rows = prepared.join(
            F.broadcast(offsets_df), F.shiftright("mid", _ROW_BITS) == F.col("part")
        ).withColumn("pos", F.col("offset") + (F.col("mid").bitwiseAND((1 << _ROW_BITS) - 1)))
        kept = rows.filter("has_text")
        stages.done("prepare", n_all)

        # 2. global IDF: document frequencies over all partitions, broadcast.
        stages.start("idf")
        frequencies = (
            kept.select(F.explode("term_ids").alias("term")).groupBy("term").count().toPandas()
        )
        order = np.argsort(frequencies["term"].to_numpy(), kind="stable")
        terms = frequencies["term"].to_numpy()[order].astype(np.int32)
        document_frequency = frequencies["count"].to_numpy()[order].astype(np.int64)
        common = document_frequency > probe_max_df(n)
        vocabulary = spark.sparkContext.broadcast(
            {"terms": terms, "idf": smooth_idf(document_frequency, n), "common": common}
        )
        features = keep(
            kept.select(
                "pos", "day", "shingles", "hashvalues", "term_ids", "term_counts"
            ).mapInArrow(partial(_feature_batches, vocabulary=vocabulary), FEATURES_SCHEMA)
        )
        features.count()
        stages.done("idf", n)

        # 3. copies: LSH band keys, grouped; buckets pair each member with its next 64.
        stages.start("copies")
        bands, band_rows = lsh_params(settings.copy_threshold, settings.num_perm)
        copy_pairs = keep(
            features.select("pos", "shingles", "hashvalues")
            .mapInArrow(
                partial(_band_key_batches, bands=bands, rows=band_rows, num_perm=settings.num_perm),
                "band int, key long, pos long",
            )
            .groupBy("band", "key")
            .agg(F.collect_list("pos").alias("members"))
            .filter(F.size("members") > 1)
            .select("members")
            .mapInArrow(_bucket_pair_batches, "i long, j long")
            .distinct()
        )
        n_copy = copy_pairs.count()
        stages.done("copies", n_copy)

        # 4. rewrites: date blocks with their window margins; search and score in each.
        stages.start("rewrites")
        day_counts = kept.groupBy("day").count().toPandas()
        blocks = date_blocks(
            day_counts["day"].to_numpy(np.float64),
            day_counts["count"].to_numpy(np.int64),
            settings.window_days,
            block_rows,
        )
        search = {
            "rule": rule,
            "n_terms": int(terms.size),
            "floor": settings.rewrite_threshold * (PROBE_FLOOR_FACTOR if common.any() else 1.0),
            "window_days": settings.window_days,
            "max_neighbors": settings.max_neighbors,
            "num_perm": settings.num_perm,
        }
        near_scored = features.mapInArrow(
            partial(
                _replicate_batches,
                blocks=blocks,
                window_days=settings.window_days,
                undated=bool(np.isnan(day_counts["day"].to_numpy(np.float64)).any()),
            ),
            "block int, owned boolean, " + FEATURES_SCHEMA,
        )
        near_scored = keep(
            near_scored.groupBy("block").applyInArrow(
                _plain(_search_block_group, search=search, vocabulary=vocabulary), PAIRS_SCHEMA
            )
        )
        n_near = near_scored.count()
        stages.done("rewrites", n_near)

        # 5. scoring of the copy pairs, joined with their two rows.
        stages.start("scoring")
        left = features.select([F.col(c).alias(f"i_{c}") for c in features.columns])
        right = features.select([F.col(c).alias(f"j_{c}") for c in features.columns])
        copy_scored = (
            copy_pairs.join(left, copy_pairs.i == left.i_pos)
            .join(right, copy_pairs.j == right.j_pos)
            .mapInArrow(partial(_score_pair_batches, search=search), PAIRS_SCHEMA)
        )
        scored = keep(near_scored.unionByName(copy_scored).dropDuplicates(["i", "j"]))
        edges = keep(
            scored.filter(F.col("story_similarity") >= settings.rewrite_threshold).select(
                "i", "j", "story_similarity"
            )
        )
        n_edges = edges.count()
        stages.done("scoring", n_edges)

        # 6. connected components, then linkage with the veto inside each component.
        stages.start("components")
        if n_edges <= max_driver_edges:
            components = _driver_components(spark, edges)
        else:
            components = _dataframe_components(edges)
        components = keep(components)
        sizes = components.groupBy("comp").agg(F.count("*").alias("size"))
        components = keep(components.join(sizes, "comp"))
        components.count()
        stages.done("components", n)

        stages.start("linkage")
        if settings.linkage == "single":
            groups = components.select("pos", F.lit(0).cast("long").alias("grp"))
        else:
            large = components.filter(F.col("size") > 2)
            members = features.join(large.select("pos", "comp"), "pos").select(
                "comp", "pos", "day", "cols", "weights"
            )
            component_edges = edges.join(
                large.select(F.col("pos").alias("i"), F.col("comp").alias("edge_comp")), "i"
            ).select("edge_comp", "i", "j", "story_similarity")
            linked = members.groupBy("comp").cogroup(component_edges.groupBy("edge_comp"))
            linked = linked.applyInArrow(
                _plain2(
                    _link_component,
                    search=search,
                    threshold=settings.rewrite_threshold,
                    linkage=settings.linkage,
                ),
                "pos long, grp long",
            )
            groups = components.filter(F.col("size") <= 2).select(
                "pos", F.lit(0).cast("long").alias("grp")
            )
            groups = groups.unionByName(linked)
        groups = keep(groups)
        groups.count()
        stages.done("linkage", n)

        # 7. labels by first appearance, sizes and sources.
        stages.start("labels")
        result = _assemble(rows, components, groups).localCheckpoint(eager=True)
        stages.done("labels", n_all)
        return result
    finally:
        for frame in persisted:
            frame.unpersist()
        if vocabulary is not None:
            vocabulary.unpersist()
        stages.restore()


@dataclass(frozen=True)
class SparkClustering:
    """The result of :func:`fit_articles`, laid out like a fitted ``StoryClusterer``.

    ``write_results`` accepts it. Attributes as in :class:`~dedupe_news.StoryClusterer`.
    """

    articles_: list[Article]
    labels_: np.ndarray
    stories_: list[Story]
    n_skipped_empty_: int


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
    StoryClusterer(**params)._check_params()
    if spark is None:
        spark = spark_session(master)
    df = articles_dataframe(spark, articles)
    result = cluster_dataframe(
        df, block_rows=block_rows, max_driver_edges=max_driver_edges, **params
    )
    result = result.select("id", "cluster").toPandas()
    cluster_by_id = dict(zip(result["id"], result["cluster"], strict=True))
    labels = np.array(
        [-1 if _is_missing(cluster_by_id[a.id]) else int(cluster_by_id[a.id]) for a in articles],
        dtype=np.int64,
    )
    return SparkClustering(
        articles_=articles,
        labels_=labels,
        stories_=group_stories(
            [a.id for a in articles], [article_time_key(a) for a in articles], labels
        ),
        n_skipped_empty_=int((labels < 0).sum()),
    )


def articles_dataframe(spark: SparkSession, articles: list[Article]) -> DataFrame:
    """A DataFrame of ``id, text, title, date, source`` rows, in the list's order."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "id": [a.id for a in articles],
            "text": [a.text for a in articles],
            "title": [a.title for a in articles],
            "date": [a.date for a in articles],
            "source": [a.source for a in articles],
        }
    )
    return spark.createDataFrame(
        frame, "id string, text string, title string, date date, source string"
    )


# -- pure pieces (testable without Spark) -----------------------------------------------


def date_blocks(
    days: np.ndarray, counts: np.ndarray, window_days: float, block_rows: int
) -> np.ndarray:
    """Day ranges ``[first, last]`` (rows of a float array) of the rewrite search's blocks.

    Consecutive days are put together until a block holds ``block_rows`` dated
    articles; an infinite window gives one block. NaN days (undated) are ignored here.

    >>> date_blocks(np.array([1.0, 2.0, 3.0, np.nan]), np.array([5, 5, 5, 2]), 2.0, 8).tolist()
    [[1.0, 2.0], [3.0, 3.0]]
    """
    dated = ~np.isnan(days)
    days, counts = days[dated], counts[dated]
    if days.size == 0:
        return np.zeros((0, 2))
    if not math.isfinite(window_days):
        return np.array([[-np.inf, np.inf]])
    order = np.argsort(days)
    days, counts = days[order], counts[order]
    blocks, first, held = [], 0, 0
    for k, count in enumerate(counts):
        if held >= block_rows:
            blocks.append((days[first], days[k - 1]))
            first, held = k, 0
        held += int(count)
    blocks.append((days[first], days[-1]))
    return np.array(blocks, dtype=np.float64)


def bucket_pairs(
    members: np.ndarray, max_bucket: int = MAX_BUCKET
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``i < j`` of one LSH bucket: each member with its next ``max_bucket``.

    >>> [x.tolist() for x in bucket_pairs(np.array([7, 3, 5]), max_bucket=1)]
    [[3, 5], [5, 7]]
    """
    members = np.sort(np.asarray(members, dtype=np.int64))
    left, right = [], []
    for gap in range(1, min(max_bucket, members.size - 1) + 1):
        left.append(members[:-gap])
        right.append(members[gap:])
    if not left:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(left), np.concatenate(right)


# -- what runs in the Python workers ------------------------------------------------


def _source_columns(df: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    fields = {f.name: f.dataType for f in df.schema.fields}
    for name in ("id", "text"):
        if name not in fields:
            raise ParameterError(
                f"the DataFrame has no {name!r} column (columns: {', '.join(df.columns)}): "
                f"rename the right column with withColumnRenamed(..., {name!r})"
            )
    date_type = fields.get("date")
    if date_type is not None and not isinstance(
        date_type, (T.DateType, T.TimestampType, T.TimestampNTZType, T.StringType)
    ):
        raise ParameterError(
            f"the 'date' column must hold dates, timestamps or YYYY-MM-DD strings, "
            f"got {date_type.simpleString()}"
        )
    title = F.col("title").cast("string") if "title" in fields else F.lit(None).cast("string")
    if date_type is None:
        date = F.lit(None).cast("string")
    elif isinstance(date_type, T.StringType):
        date = F.col("date")
    else:
        date = F.date_format(F.col("date"), "yyyy-MM-dd")
    return df.select(
        F.monotonically_increasing_id().alias("mid"),
        F.col("id").cast("string").alias("id"),
        F.col("text").cast("string").alias("text"),
        title.alias("title"),
        date.alias("date"),
    )


def _prepare_batches(batches: Iterator[pa.RecordBatch], hasher: MinHasher):
    """Signatures and term counts of each batch, with ``pipeline._prepare_chunk``."""
    import pyarrow as pa

    for batch in batches:
        ids = batch.column("id").to_pylist()
        texts = batch.column("text").to_pylist()
        titles = batch.column("title").to_pylist()
        full_texts = [
            Article(str(i), text or "", title=title).full_text
            for i, text, title in zip(ids, texts, titles, strict=True)
        ]
        days, bad = [], []
        for value in batch.column("date").to_pylist():
            try:
                date = parse_date(value)
            except InputError as exc:
                days.append(math.nan)
                bad.append(str(exc))
                continue
            days.append(math.nan if date is None else float(date.toordinal()))
            bad.append(None)
        prepared = prepare_texts(full_texts, hasher)
        mask, counts = prepared.has_text, prepared.term_counts
        hashvalues = np.full((len(ids), hasher.num_perm), 0xFFFFFFFF, dtype=np.uint32)
        hashvalues[mask] = prepared.signatures.hashvalues
        lengths = np.zeros(len(ids), dtype=np.int32)
        lengths[mask] = np.diff(counts.indptr)
        offsets = pa.array(np.r_[0, np.cumsum(lengths)].astype(np.int32))
        shingles = np.zeros(len(ids), dtype=np.int32)
        shingles[mask] = prepared.signatures.shingle_counts
        yield pa.RecordBatch.from_arrays(
            [
                batch.column("mid"),
                pa.array(ids, pa.string()),
                pa.array(mask),
                pa.array(np.array(days, dtype=np.float64)),
                pa.array(bad, pa.string()),
                pa.array(shingles),
                pa.array([row.tobytes() for row in hashvalues], pa.binary()),
                pa.ListArray.from_arrays(offsets, pa.array(counts.indices.astype(np.int32))),
                pa.ListArray.from_arrays(offsets, pa.array(counts.data.astype(np.float32))),
            ],
            names=[
                "mid",
                "id",
                "has_text",
                "day",
                "bad_date",
                "shingles",
                "hashvalues",
                "term_ids",
                "term_counts",
            ],
        )


def _lists(column) -> tuple[np.ndarray, np.ndarray]:
    """``(offsets, values)`` of an Arrow list column, offsets starting at 0."""
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    offsets = column.offsets.to_numpy().astype(np.int64)
    values = column.values.to_numpy(zero_copy_only=False)[offsets[0] : offsets[-1]]
    return offsets - offsets[0], values


def _hashvalues(column, num_perm: int) -> np.ndarray:
    values = column.to_pylist()
    return np.frombuffer(b"".join(values), dtype=np.uint32).reshape(len(values), num_perm)


def _feature_batches(batches: Iterator[pa.RecordBatch], vocabulary):
    """TF-IDF rows with the global IDF, columns numbered among the terms in use."""
    import pyarrow as pa

    terms, idf = vocabulary.value["terms"], vocabulary.value["idf"]
    for batch in batches:
        offsets, ids = _lists(batch.column("term_ids"))
        _, counts = _lists(batch.column("term_counts"))
        cols = np.searchsorted(terms, ids).astype(np.int32)
        matrix = sp.csr_matrix(
            (counts.astype(np.float32), cols, offsets), shape=(batch.num_rows, terms.size)
        )
        weighted = tfidf_rows(matrix, idf)
        new_offsets = pa.array(weighted.indptr.astype(np.int32))
        yield pa.RecordBatch.from_arrays(
            [
                batch.column("pos"),
                batch.column("day"),
                batch.column("shingles"),
                batch.column("hashvalues"),
                pa.ListArray.from_arrays(new_offsets, pa.array(weighted.indices.astype(np.int32))),
                pa.ListArray.from_arrays(new_offsets, pa.array(weighted.data.astype(np.float32))),
            ],
            names=["pos", "day", "shingles", "hashvalues", "cols", "weights"],
        )


def _band_key_batches(batches, bands: int, rows: int, num_perm: int):
    import pyarrow as pa

    for batch in batches:
        pos = batch.column("pos").to_numpy()
        has_shingles = batch.column("shingles").to_numpy() > 0
        keys = lsh_band_keys(_hashvalues(batch.column("hashvalues"), num_perm), bands, rows)
        keys, pos = keys[has_shingles], pos[has_shingles]
        yield pa.RecordBatch.from_arrays(
            [
                pa.array(np.tile(np.arange(bands, dtype=np.int32), pos.size)),
                pa.array(keys.reshape(-1).view(np.int64)),
                pa.array(np.repeat(pos, bands)),
            ],
            names=["band", "key", "pos"],
        )


def _bucket_pair_batches(batches):
    import pyarrow as pa

    for batch in batches:
        offsets, members = _lists(batch.column("members"))
        left, right = [], []
        for start, stop in zip(offsets[:-1], offsets[1:], strict=True):
            i, j = bucket_pairs(members[start:stop])
            left.append(i)
            right.append(j)
        i = np.concatenate(left) if left else np.zeros(0, dtype=np.int64)
        j = np.concatenate(right) if right else np.zeros(0, dtype=np.int64)
        yield pa.RecordBatch.from_arrays([pa.array(i), pa.array(j)], names=["i", "j"])


def _replicate_batches(batches, blocks: np.ndarray, window_days: float, undated: bool):
    """Each row into its own date block (``owned``) and into every block whose
    window reaches it; undated rows into every block. With undated rows, every row
    also goes into the undated block (number ``len(blocks)``), which the undated
    rows own: as in the local search, they are compared with every article."""
    import pyarrow as pa

    n_blocks = blocks.shape[0]
    slack = 0.5 if math.isfinite(window_days) else math.inf  # a superset is harmless
    reach_lo = blocks[:, 0] - window_days - slack
    reach_hi = blocks[:, 1] + window_days + slack
    for batch in batches:
        days = batch.column("day").to_numpy()
        owner, block_ids, owned, take = [], [], [], []
        for row, day in enumerate(days):
            if math.isnan(day):
                reached = np.arange(n_blocks + 1)
                own = n_blocks
            else:
                first = int(np.searchsorted(reach_hi, day, side="left"))
                last = int(np.searchsorted(reach_lo, day, side="right"))
                reached = np.arange(first, last + 1 if undated else last)
                if undated:
                    reached[-1] = n_blocks
                own = int(np.searchsorted(blocks[:, 0], day, side="right")) - 1
            block_ids.append(reached)
            owned.append(reached == own)
            take.append(np.full(reached.size, row))
            owner.append(own)
        if not take:
            continue
        take_all = np.concatenate(take)
        columns = [batch.column(name).take(pa.array(take_all)) for name in batch.schema.names]
        yield pa.RecordBatch.from_arrays(
            [
                pa.array(np.concatenate(block_ids).astype(np.int32)),
                pa.array(np.concatenate(owned)),
                *columns,
            ],
            names=["block", "owned", *batch.schema.names],
        )


def _matrix(table, n_terms: int) -> sp.csr_matrix:
    offsets, cols = _lists(table.column("cols"))
    _, weights = _lists(table.column("weights"))
    return sp.csr_matrix(
        (weights.astype(np.float32), cols.astype(np.int32), offsets),
        shape=(table.num_rows, n_terms),
    )


def _decide(rule, rows: ArticleRows, i: np.ndarray, j: np.ndarray) -> PairTable:
    return PairTable.decide(rule, i, j, pair_features(rows, i, rows, j))


def _pairs_table(pos: np.ndarray, scores):
    import pyarrow as pa

    return pa.table(
        {
            "i": pa.array(pos[scores.i].astype(np.int64)),
            "j": pa.array(pos[scores.j].astype(np.int64)),
            "cosine_similarity": pa.array(scores.cosine_similarity.astype(np.float64)),
            "jaccard_similarity": pa.array(scores.jaccard_similarity.astype(np.float64)),
            "containment_similarity": pa.array(scores.containment_similarity.astype(np.float64)),
            "date_distance_days": pa.array(scores.date_distance_days.astype(np.float64)),
            "story_similarity": pa.array(np.asarray(scores.story_similarity, dtype=np.float64)),
        }
    )


def _search_block_group(table: pa.Table, search: dict, vocabulary) -> pa.Table:
    """The local window search for the block's own rows, then score_pairs on what it found."""
    table = table.sort_by("pos")
    pos = table.column("pos").to_numpy()
    days = table.column("day").to_numpy()
    owned = table.column("owned").to_numpy(zero_copy_only=False)
    matrix = _matrix(table, search["n_terms"])
    probe = matrix
    common = vocabulary.value["common"]
    if common.any():  # as tfidf._probe does, with the global document frequencies
        probe = matrix.copy()
        probe.data[common[probe.indices]] = 0
        probe.eliminate_zeros()
    state = {
        "probe": probe,
        "floor": search["floor"],
        "days": days,
        "window_days": search["window_days"],
        "max_neighbors": search["max_neighbors"],
    }
    found_i, found_j = [], []
    for rows, cols in window_blocks(days, search["window_days"]):
        rows = rows[owned[rows]]
        if rows.size:
            a, b, _ = search_block(state, (rows, cols))
            found_i.append(a)
            found_j.append(b)
    n = pos.size
    if found_i:
        i, j = np.concatenate(found_i), np.concatenate(found_j)
        codes = np.unique(np.minimum(i, j).astype(np.int64) * n + np.maximum(i, j))
    else:
        codes = np.zeros(0, dtype=np.int64)
    signatures = Signatures(
        _hashvalues(table.column("hashvalues"), search["num_perm"]),
        table.column("shingles").to_numpy().astype(np.int32),
    )
    scores = _decide(search["rule"], ArticleRows(matrix, signatures, days), codes // n, codes % n)
    return _pairs_table(pos, scores)


def _score_pair_batches(batches, search: dict):
    """score_pairs on joined pair rows: the ``i_`` rows stacked over the ``j_`` rows."""
    import pyarrow as pa

    for batch in batches:
        k = batch.num_rows
        if k == 0:
            continue
        sides = [
            pa.table({c: batch.column(f"{side}_{c}") for c in ("cols", "weights")})
            for side in ("i", "j")
        ]
        matrix = sp.vstack([_matrix(t, search["n_terms"]) for t in sides], format="csr")
        hashvalues = np.vstack(
            [_hashvalues(batch.column(f"{s}_hashvalues"), search["num_perm"]) for s in "ij"]
        )
        shingles = np.concatenate(
            [batch.column(f"{s}_shingles").to_numpy().astype(np.int32) for s in "ij"]
        )
        days = np.concatenate([batch.column(f"{s}_day").to_numpy() for s in "ij"])
        pos = np.concatenate([batch.column(f"{s}_pos").to_numpy() for s in "ij"])
        rows = ArticleRows(matrix, Signatures(hashvalues, shingles), days)
        scores = _decide(search["rule"], rows, np.arange(k), np.arange(k, 2 * k))
        yield from _pairs_table(pos, scores).to_batches()


def _link_component(members: pa.Table, edges: pa.Table, search: dict, threshold, linkage):
    """cluster_pairs on one connected component, with its own rows."""
    import pyarrow as pa

    if members.num_rows == 0:
        return pa.table({"pos": pa.array([], pa.int64()), "grp": pa.array([], pa.int64())})
    members = members.sort_by("pos")
    pos = members.column("pos").to_numpy()
    days = members.column("day").to_numpy()
    matrix = _matrix(members, search["n_terms"])
    i = np.searchsorted(pos, edges.column("i").to_numpy())
    j = np.searchsorted(pos, edges.column("j").to_numpy())
    story = edges.column("story_similarity").to_numpy()
    m = pos.size
    copies = copy_matrix(m, i, j, story)
    labels = cluster_pairs(
        m,
        i,
        j,
        story,
        threshold=threshold,
        component_similarity=lambda rows: component_similarity(
            ArticleRows(matrix, None, days), search["window_days"], rows, copies
        ),
        linkage_method=linkage,
    )
    return pa.table({"pos": pa.array(pos.astype(np.int64)), "grp": pa.array(labels)})


# -- connected components ---------------------------------------------------------------


def _driver_components(spark: SparkSession, edges: DataFrame) -> DataFrame:
    """``(pos, comp)`` for every article on an edge; ``comp`` is the component's first pos."""
    import pandas as pd

    pairs = edges.select("i", "j").toPandas()
    i, j = pairs["i"].to_numpy(np.int64), pairs["j"].to_numpy(np.int64)
    vertices, inverse = np.unique(np.concatenate([i, j]), return_inverse=True)
    graph = sp.coo_matrix(
        (np.ones(i.size, dtype=np.int8), (inverse[: i.size], inverse[i.size :])),
        shape=(vertices.size, vertices.size),
    )
    _, labels = connected_components(graph, directed=False)
    first = np.full(labels.max() + 1 if labels.size else 0, np.iinfo(np.int64).max)
    np.minimum.at(first, labels, vertices)
    frame = pd.DataFrame({"pos": vertices, "comp": first[labels]})
    return spark.createDataFrame(frame, "pos long, comp long")


def _dataframe_components(edges: DataFrame, max_rounds: int = 100) -> DataFrame:
    """Connected components by min-label propagation with shortcutting, in DataFrames.

    Each round every article takes the smallest label among itself and its
    neighbours, then the label of its label; it stops when no label changes.
    """
    from pyspark.sql import functions as F

    links = edges.select(F.col("i").alias("src"), F.col("j").alias("dst"))
    links = links.unionByName(links.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
    links = links.localCheckpoint()
    labels = links.groupBy(F.col("src").alias("pos")).agg(
        F.least(F.min("dst"), F.first("src")).alias("comp")
    )
    labels = labels.localCheckpoint()
    for _ in range(max_rounds):
        spread = (
            links.join(labels.withColumnRenamed("pos", "src"), "src")
            .groupBy(F.col("dst").alias("pos"))
            .agg(F.min("comp").alias("spread"))
        )
        updated = labels.join(spread, "pos").select("pos", F.least("comp", "spread").alias("comp"))
        jumped = (
            updated.alias("a")
            .join(updated.alias("b"), F.col("a.comp") == F.col("b.pos"))
            .select(F.col("a.pos").alias("pos"), F.col("b.comp").alias("comp"))
        )
        jumped = jumped.localCheckpoint()
        changed = (
            jumped.join(labels.withColumnRenamed("comp", "old"), "pos")
            .filter(F.col("comp") != F.col("old"))
            .count()
        )
        labels = jumped
        if changed == 0:
            return labels
    raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")


def _assemble(rows: DataFrame, components: DataFrame, groups: DataFrame) -> DataFrame:
    """The result rows: label by first appearance, size, and the earliest dated source."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    articles = (
        rows.select("pos", "id", "has_text", "day")
        .join(components.select("pos", "comp"), "pos", "left")
        .join(groups, "pos", "left")
        .withColumn("comp", F.coalesce("comp", "pos"))
        .withColumn("grp", F.coalesce("grp", F.lit(0).cast("long")))
    )
    kept = articles.filter("has_text")
    clusters = kept.groupBy("comp", "grp").agg(
        F.min("pos").alias("first"),
        F.count("*").alias("cluster_size"),
        F.min(F.struct(F.isnan("day").alias("undated"), "day", "pos")).alias("source"),
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
    )
    return labelled.drop("pos")


def _plain(func, **kwargs):
    """``partial(func, **kwargs)`` for one Arrow table, as a plain function: PySpark
    4.3's ``applyInArrow`` rejects ``partial`` objects (it counts the arguments)."""

    def call(table):
        return func(table, **kwargs)

    return call


def _plain2(func, **kwargs):
    """:func:`_plain` for a cogroup's two tables."""

    def call(left, right):
        return func(left, right, **kwargs)

    return call


class _Stages:
    """Calls ``progress(stage, done, total)`` at the start and end of each stage, and
    names Spark's jobs after the stage (job group ``dedupe-news: <stage>``) until
    :meth:`restore` puts the caller's job group back."""

    _PROPERTIES = ("spark.jobGroup.id", "spark.job.description")

    def __init__(self, progress):
        from pyspark import SparkContext

        self.progress = progress
        self.seconds: dict[str, float] = {}
        self._started = 0.0
        self._context = SparkContext._active_spark_context
        self._saved = {}
        if self._context is not None:
            self._saved = {k: self._context.getLocalProperty(k) for k in self._PROPERTIES}

    def start(self, stage: str) -> None:
        if self._context is not None:
            self._context.setJobGroup(f"dedupe-news: {stage}", f"dedupe-news: {stage}")
        self._started = time.perf_counter()
        if self.progress is not None:
            self.progress(stage, 0, 1)

    def done(self, stage: str, total: int) -> None:
        self.seconds[stage] = time.perf_counter() - self._started
        if self.progress is not None:
            self.progress(stage, max(total, 1), max(total, 1))

    def restore(self) -> None:
        if self._context is not None:
            for key, value in self._saved.items():
                self._context.setLocalProperty(key, value)


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
