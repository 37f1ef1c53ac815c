"""The candidate graph a learned model reads (``neighbour_cosine``), row by row.

As :func:`~dedupe_news.model_features.neighbour_graph` builds it over the whole
corpus: every candidate pair within the date window links its two articles with
their body cosine (both ways), every article links itself with 1, and each row is
L2-normalised. Here each article's row is gathered by a ``groupBy`` of its links
and normalised on a worker, so that any two rows give the batch path's
``neighbour_cosine`` wherever they meet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from ..model_features import normalised_rows
from .arrow import GRAPH_SCHEMA, list_matrix, list_values

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

    from .plan import Plan

__all__ = ["graph_matrix", "graph_rows"]


def graph_rows(pairs: DataFrame, features: DataFrame, plan: Plan) -> DataFrame:
    """:data:`~.arrow.GRAPH_SCHEMA` rows of every weighted article, from the candidate
    ``pairs`` (:data:`~.arrow.PAIRS_SCHEMA`, each once)."""
    from pyspark.sql import functions as F

    distance = F.col("date_distance_days")
    near = pairs.filter(F.isnan(distance) | (distance <= F.lit(float(plan.window_days))))
    links = (
        near.select(F.col("i").alias("pos"), F.col("j").alias("col"), "cosine_similarity")
        .unionByName(
            near.select(F.col("j").alias("pos"), F.col("i").alias("col"), "cosine_similarity")
        )
        .unionByName(
            features.select("pos", F.col("pos").alias("col"), F.lit(1.0).alias("cosine_similarity"))
        )
    )
    return (
        links.groupBy("pos")
        .agg(F.sort_array(F.collect_list(F.struct("col", "cosine_similarity"))).alias("links"))
        .select(
            "pos", F.col("links.col").alias("cols"), F.col("links.cosine_similarity").alias("vals")
        )
        .mapInArrow(_normalised_batches, GRAPH_SCHEMA)
    )


def graph_matrix(table: pa.Table, plan: Plan) -> sp.csr_matrix:
    """The graph rows of a table's ``graph_cols`` and ``graph_weights`` columns."""
    return list_matrix(table, "graph_cols", "graph_weights", plan.n_positions, np.float64, np.int64)


def _normalised_batches(batches):
    import pyarrow as pa

    for batch in batches:
        offsets, cols = list_values(batch.column("cols"))
        _, vals = list_values(batch.column("vals"))
        width = int(cols.max()) + 1 if cols.size else 0
        rows = normalised_rows(
            sp.csr_matrix((vals.astype(np.float64), cols, offsets), shape=(batch.num_rows, width))
        )
        new_offsets = pa.array(rows.indptr.astype(np.int32))
        yield pa.RecordBatch.from_arrays(
            [
                batch.column("pos"),
                pa.ListArray.from_arrays(new_offsets, pa.array(rows.indices.astype(np.int64))),
                pa.ListArray.from_arrays(new_offsets, pa.array(rows.data.astype(np.float64))),
            ],
            names=["pos", "graph_cols", "graph_weights"],
        )
