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

from ..evidence_table import log_length
from ..neighbor_probe import probe_max_df
from ..weighting import smooth_idf, stop_terms, tfidf_rows
from .arrow import FEATURES_SCHEMA, MODEL_FEATURES_SCHEMA, list_values

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

    from .stages import Cache

__all__ = [
    "Vocabulary",
    "column_frequencies",
    "feature_batches",
    "stop_word_row_frequencies",
    "weigh_rows",
]


@dataclass(frozen=True)
class Vocabulary:
    """The terms in use, broadcast as ``{"terms", "idf", "common"}`` arrays: sorted
    term ids, their IDF, and whether the rewrite search leaves them out."""

    shared: Any  # a pyspark Broadcast
    n_terms: int
    has_common_terms: bool
    n_lead_terms: int = 0
    has_common_lead_terms: bool = False


def weigh_rows(
    kept: DataFrame, n: int, cache: Cache, with_evidence: bool = False
) -> tuple[DataFrame, Vocabulary]:
    """:data:`~.arrow.FEATURES_SCHEMA` rows of the prepared ``kept`` rows (``n`` of them).

    ``with_evidence`` (rows prepared with :data:`~.arrow.EVIDENCE_SCHEMA`) adds the
    columns of :data:`~.arrow.MODEL_FEATURES_SCHEMA`: the leads weighted with the
    IDF of every lead, as :meth:`~dedupe_news.model_features.EvidenceRows.from_prepared`
    weighs them, and the entity frequencies of the whole corpus go into the broadcast
    (``lead_terms``, ``lead_idf``, ``lead_common``, ``entity_keys``, ``entity_df``, ``n``).
    """
    terms, document_frequency = column_frequencies(kept, "term_ids")
    stop = stop_terms(document_frequency, n)
    # The search leaves out the terms in more than probe_max_df rows *after* weighting,
    # as the local probe counts them: a stop word stays only in rows made of stop words.
    searched_frequency = document_frequency
    if stop.any():
        searched_frequency = np.where(stop, 0, document_frequency)
        searched_frequency += stop_word_row_frequencies(kept, terms, stop)
    common = searched_frequency > probe_max_df(n)
    value = {"terms": terms, "idf": smooth_idf(document_frequency, n), "stop": stop}
    value["common"] = common
    columns = ["pos", "day", "shingles", "hashvalues", "term_ids", "term_counts"]
    schema = FEATURES_SCHEMA
    if with_evidence:
        lead_terms, lead_frequency = column_frequencies(kept, "lead_ids")
        entity_keys, entity_frequency = column_frequencies(kept, "entities")
        value |= {
            "lead_terms": lead_terms,
            "lead_idf": smooth_idf(lead_frequency, n),
            "lead_common": lead_frequency > probe_max_df(n),
            "entity_keys": entity_keys.astype(np.int64),
            "entity_df": entity_frequency,
            "n": n,
        }
        columns += ["tokens", "lead_ids", "lead_counts", "entities", "quotes", "tickers"]
        schema += ", " + MODEL_FEATURES_SCHEMA
    shared = cache.broadcast(kept.sparkSession, value)
    features = cache.keep(
        kept.select(*columns).mapInArrow(partial(feature_batches, vocabulary=shared), schema)
    )
    features.count()
    lead_terms = value.get("lead_terms", np.zeros(0))
    return features, Vocabulary(
        shared,
        int(terms.size),
        bool(common.any()),
        int(lead_terms.size),
        bool(value.get("lead_common", common[:0]).any()),
    )


def column_frequencies(kept: DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct values of the list ``column`` over ``kept`` rows, and the
    number of rows holding each (document frequencies, as int64)."""
    from pyspark.sql import functions as F

    frequencies = kept.select(F.explode(column).alias("key")).groupBy("key").count().toPandas()
    keys = frequencies["key"].to_numpy()
    order = np.argsort(keys, kind="stable")
    dtype = np.int32 if column.endswith("_ids") else np.int64
    return keys[order].astype(dtype), frequencies["count"].to_numpy()[order].astype(np.int64)


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
        extra, extra_names = [], []
        if "lead_terms" in vocabulary.value:
            extra, extra_names = _model_columns(batch, vocabulary.value)
        yield pa.RecordBatch.from_arrays(
            [
                batch.column("pos"),
                batch.column("day"),
                batch.column("shingles"),
                batch.column("hashvalues"),
                pa.ListArray.from_arrays(new_offsets, pa.array(weighted.indices.astype(np.int32))),
                pa.ListArray.from_arrays(new_offsets, pa.array(weighted.data.astype(np.float32))),
                *extra,
            ],
            names=["pos", "day", "shingles", "hashvalues", "cols", "weights", *extra_names],
        )


def _model_columns(batch: pa.RecordBatch, value: dict) -> tuple[list, list[str]]:
    """The :data:`~.arrow.MODEL_FEATURES_SCHEMA` columns of a batch: lead rows weighted
    with the global lead IDF, columns numbered among the leads' terms (sorted)."""
    import pyarrow as pa

    terms = value["lead_terms"]
    offsets, ids = list_values(batch.column("lead_ids"))
    _, counts = list_values(batch.column("lead_counts"))
    cols = np.searchsorted(terms, ids).astype(np.int32)
    matrix = sp.csr_matrix(
        (counts.astype(np.float32), cols, offsets), shape=(batch.num_rows, terms.size)
    )
    lead = tfidf_rows(matrix, value["lead_idf"])
    lead.eliminate_zeros()
    lead_offsets = pa.array(lead.indptr.astype(np.int32))
    tokens = batch.column("tokens").to_numpy()
    columns = [
        pa.ListArray.from_arrays(lead_offsets, pa.array(lead.indices.astype(np.int32))),
        pa.ListArray.from_arrays(lead_offsets, pa.array(lead.data.astype(np.float32))),
        batch.column("entities"),
        batch.column("quotes"),
        batch.column("tickers"),
        pa.array(log_length(tokens)),
    ]
    names = ["lead_cols", "lead_weights", "entities", "quotes", "tickers", "log_tokens"]
    return columns, names
