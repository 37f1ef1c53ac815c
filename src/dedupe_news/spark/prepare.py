"""Stage ``prepare``: each article's signature and term counts, and its position.

The worker side (:func:`prepare_batches`, in ``mapInArrow``) runs
:func:`~dedupe_news.prepare.prepare_texts` on each Arrow batch; the driver side
(:func:`prepare_rows`) checks what came back (dates, duplicate ids, empty corpus)
and numbers the rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from ..articles import Article
from ..errors import EmptyCorpusError, InputError, ParameterError
from ..minhash import MinHasher
from ..model_features import prepare_evidence
from ..prepare import prepare_texts
from ..timestamps import article_day, article_timestamp, parse_datetime
from .arrow import EVIDENCE_SCHEMA, PREPARED_SCHEMA
from .columns import source_columns

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

    from .stages import Cache

__all__ = ["ROW_BITS", "evidence_columns", "prepare_batches", "prepare_rows"]

_NO_KEYS = np.zeros(0, dtype=np.int64)

ROW_BITS = 33
"""``monotonically_increasing_id`` is ``partition index << 33 | row in partition``."""


def prepare_rows(
    df: DataFrame, hasher: MinHasher, cache: Cache, with_evidence: bool = False
) -> tuple[DataFrame, int, int]:
    """``(rows, n_rows, n_kept)``: :data:`~.arrow.PREPARED_SCHEMA` rows of ``df`` with
    ``pos``, their position in ``df``'s order; ``n_kept`` have text after cleaning.
    ``with_evidence`` adds the columns of :data:`~.arrow.EVIDENCE_SCHEMA` (what a
    learned model reads; empty for a row without text).

    Raises
    ------
    ParameterError, InputError, EmptyCorpusError
        Bad columns or duplicate ids; an unreadable date (the first in order); no
        rows, or no text left after cleaning.
    """
    from pyspark.sql import functions as F

    schema = PREPARED_SCHEMA + (", " + EVIDENCE_SCHEMA if with_evidence else "")
    prepared = cache.keep(
        source_columns(df).mapInArrow(
            partial(prepare_batches, hasher=hasher, with_evidence=with_evidence), schema
        )
    )
    parts = (
        prepared.groupBy(F.shiftright("mid", ROW_BITS).alias("part"))
        .agg(
            F.count("*").alias("rows"),
            F.sum(F.col("has_text").cast("long")).alias("kept"),
            F.min(F.when(F.col("bad_date").isNotNull(), F.struct("mid", "id", "bad_date"))).alias(
                "bad"
            ),
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
    offsets_df = df.sparkSession.createDataFrame(offsets, "part long, offset long")
    rows = prepared.join(
        F.broadcast(offsets_df), F.shiftright("mid", ROW_BITS) == F.col("part")
    ).withColumn("pos", F.col("offset") + (F.col("mid").bitwiseAND((1 << ROW_BITS) - 1)))
    return rows, n_all, n


def prepare_batches(
    batches: Iterator[pa.RecordBatch], hasher: MinHasher, with_evidence: bool = False
):
    """Worker: :data:`~.arrow.PREPARED_SCHEMA` batches of ``source_columns`` batches
    (and :data:`~.arrow.EVIDENCE_SCHEMA` columns ``with_evidence``)."""
    import pyarrow as pa

    for batch in batches:
        ids = batch.column("id").to_pylist()
        articles, bad = _articles(
            ids,
            batch.column("text").to_pylist(),
            batch.column("title").to_pylist(),
            batch.column("date").to_pylist(),
        )
        prepared = prepare_texts([a.full_text for a in articles], hasher)
        mask, counts = prepared.has_text, prepared.term_counts
        hashvalues = np.full((len(ids), hasher.num_perm), 0xFFFFFFFF, dtype=np.uint32)
        hashvalues[mask] = prepared.signatures.hashvalues
        lengths = np.zeros(len(ids), dtype=np.int32)
        lengths[mask] = np.diff(counts.indptr)
        offsets = pa.array(np.r_[0, np.cumsum(lengths)].astype(np.int32))
        shingles = np.zeros(len(ids), dtype=np.int32)
        shingles[mask] = prepared.signatures.shingle_counts
        extra, extra_names = [], []
        if with_evidence:
            extra_names = ["tokens", "lead_ids", "lead_counts", "entities", "quotes", "tickers"]
            extra = evidence_columns(articles, mask, prepared.token_counts)
        yield pa.RecordBatch.from_arrays(
            [
                batch.column("mid"),
                pa.array(ids, pa.string()),
                pa.array(mask),
                pa.array(np.array([article_day(a) for a in articles], dtype=np.float64)),
                pa.array(np.array([article_timestamp(a) for a in articles], dtype=np.float64)),
                pa.array(bad, pa.string()),
                pa.array(shingles),
                pa.array([row.tobytes() for row in hashvalues], pa.binary()),
                pa.ListArray.from_arrays(offsets, pa.array(counts.indices.astype(np.int32))),
                pa.ListArray.from_arrays(offsets, pa.array(counts.data.astype(np.float32))),
                *extra,
            ],
            names=[
                "mid",
                "id",
                "has_text",
                "day",
                "seconds",
                "bad_date",
                "shingles",
                "hashvalues",
                "term_ids",
                "term_counts",
                *extra_names,
            ],
        )


def evidence_columns(articles: list[Article], mask: np.ndarray, token_counts: np.ndarray):
    """Worker: the :data:`~.arrow.EVIDENCE_SCHEMA` columns of a batch's articles, by
    :func:`~dedupe_news.model_features.prepare_evidence` of those with text (``mask``;
    ``token_counts`` are theirs), as the batch path prepares them."""
    import pyarrow as pa

    kept = np.flatnonzero(mask)
    evidence = prepare_evidence([articles[k].title for k in kept], [articles[k].text for k in kept])
    n = len(articles)
    tokens = np.zeros(n, dtype=np.int64)
    tokens[kept] = token_counts
    lead = evidence.lead_counts.tocsr()
    lengths = np.zeros(n, dtype=np.int32)
    lengths[kept] = np.diff(lead.indptr)
    offsets = pa.array(np.r_[0, np.cumsum(lengths)].astype(np.int32))

    def keys(arrays: list[np.ndarray]):
        rows: list[np.ndarray] = [_NO_KEYS] * n
        for k, found in zip(kept.tolist(), arrays, strict=True):
            rows[k] = found
        sizes = np.fromiter((r.size for r in rows), dtype=np.int32, count=n)
        flat = np.concatenate(rows) if n else _NO_KEYS
        return pa.ListArray.from_arrays(
            pa.array(np.r_[0, np.cumsum(sizes)].astype(np.int32)), pa.array(flat, pa.int64())
        )

    return [
        pa.array(tokens),
        pa.ListArray.from_arrays(offsets, pa.array(lead.indices.astype(np.int32))),
        pa.ListArray.from_arrays(offsets, pa.array(lead.data.astype(np.float32))),
        keys(evidence.entities),
        keys(evidence.quotes),
        keys(evidence.tickers),
    ]


def _articles(ids: list, texts: list, titles: list, dates: list):
    """The rows as :class:`~dedupe_news.Article` (an unreadable date left out), and
    each row's date error (None when the date is readable or missing)."""
    articles, bad = [], []
    for article_id, text, title, value in zip(ids, texts, titles, dates, strict=True):
        try:
            when, error = parse_datetime(value), None
        except InputError as exc:
            when, error = None, str(exc)
        articles.append(Article(str(article_id), text or "", title=title, date=when))
        bad.append(error)
    return articles, bad
