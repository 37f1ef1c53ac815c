"""Stage ``idf``: document frequencies over every partition, and the weighted rows.

The frequencies are counted by a Spark aggregation, collected and broadcast; each
row is then weighted with the *global* IDF by :func:`~dedupe_news.weighting.smooth_idf`
and :func:`~dedupe_news.weighting.tfidf_rows`, without the stop words of the global
frequencies (:func:`~dedupe_news.weighting.stop_terms`), exactly as the batch path
weighs the whole corpus. Columns are numbered among the terms in use (the sorted hashed term
ids), so sums run in the same order as over the full hashed space.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from ..neighbors import probe_max_df
from ..weighting import smooth_idf, stop_terms, tfidf_rows
from .arrow import FEATURES_SCHEMA, list_values

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

    from .stages import Cache

__all__ = ["Vocabulary", "feature_batches", "stop_word_row_frequencies", "weigh_rows"]


@dataclass(frozen=True)
class Vocabulary:
    """The terms in use, broadcast as ``{"terms", "idf", "common"}`` arrays: sorted
    term ids, their IDF, and whether the rewrite search leaves them out."""

    shared: Any  # a pyspark Broadcast
    n_terms: int
    has_common_terms: bool


def weigh_rows(kept: DataFrame, n: int, cache: Cache) -> tuple[DataFrame, Vocabulary]:
    """:data:`~.arrow.FEATURES_SCHEMA` rows of the prepared ``kept`` rows (``n`` of them)."""
    from pyspark.sql import functions as F

    frequencies = (
        kept.select(F.explode("term_ids").alias("term")).groupBy("term").count().toPandas()
    )
    order = np.argsort(frequencies["term"].to_numpy(), kind="stable")
    terms = frequencies["term"].to_numpy()[order].astype(np.int32)
    document_frequency = frequencies["count"].to_numpy()[order].astype(np.int64)
    stop = stop_terms(document_frequency, n)
    # The search leaves out the terms in more than probe_max_df rows *after* weighting,
    # as the local probe counts them: a stop word stays only in rows made of stop words.
    searched_frequency = document_frequency
    if stop.any():
        searched_frequency = np.where(stop, 0, document_frequency)
        searched_frequency += stop_word_row_frequencies(kept, terms, stop)
    common = searched_frequency > probe_max_df(n)
    shared = cache.broadcast(
        kept.sparkSession,
        {"terms": terms, "idf": smooth_idf(document_frequency, n), "stop": stop, "common": common},
    )
    features = cache.keep(
        kept.select("pos", "day", "shingles", "hashvalues", "term_ids", "term_counts").mapInArrow(
            partial(feature_batches, vocabulary=shared), FEATURES_SCHEMA
        )
    )
    features.count()
    return features, Vocabulary(shared, int(terms.size), bool(common.any()))


def stop_word_row_frequencies(kept: DataFrame, terms: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """For each of ``terms`` (sorted), the number of rows of ``kept`` that hold it and
    only stop words (``stop``, per term): the rows that keep their stop words."""
    from pyspark.sql import functions as F

    stop_ids = [int(t) for t in terms[stop]]
    only_stop = kept.filter(F.forall("term_ids", lambda term: term.isin(stop_ids)))
    frequencies = (
        only_stop.select(F.explode("term_ids").alias("term")).groupBy("term").count().toPandas()
    )
    out = np.zeros(terms.size, dtype=np.int64)
    found = frequencies["term"].to_numpy().astype(np.int32)
    out[np.searchsorted(terms, found)] = frequencies["count"].to_numpy()
    return out


def feature_batches(batches: Iterator[pa.RecordBatch], vocabulary):
    """Worker: TF-IDF rows with the global IDF, columns numbered among the terms in use;
    stop words (:func:`~dedupe_news.weighting.stop_terms` of the global frequencies)
    left out, as the batch path leaves them out."""
    import pyarrow as pa

    terms, idf = vocabulary.value["terms"], vocabulary.value["idf"]
    stop = vocabulary.value["stop"]
    for batch in batches:
        offsets, ids = list_values(batch.column("term_ids"))
        _, counts = list_values(batch.column("term_counts"))
        cols = np.searchsorted(terms, ids).astype(np.int32)
        matrix = sp.csr_matrix(
            (counts.astype(np.float32), cols, offsets), shape=(batch.num_rows, terms.size)
        )
        weighted = tfidf_rows(matrix, idf, stop)
        weighted.eliminate_zeros()
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
