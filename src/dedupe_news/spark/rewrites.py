"""Stage ``rewrites``: the local window search, run on date blocks.

Rows are grouped into date blocks (:mod:`.blocks`), each block also receiving
the rows within ``window_days`` of its edges and every undated row. In each
block the local search (:func:`~dedupe_news.neighbors.window_blocks` and
:func:`~dedupe_news.neighbors.search_block`) runs for the
block's *own* rows, with the global document frequencies deciding which common
terms the probe leaves out, and the pairs found are scored there.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from ..neighbors import search_block, window_blocks
from .arrow import FEATURES_SCHEMA, PAIRS_SCHEMA, plain, weight_matrix
from .blocks import date_blocks, replicate_batches
from .scores import score_positions

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

    from .plan import Plan
    from .stages import Cache

__all__ = ["block_pairs", "rewrite_pairs"]


def rewrite_pairs(
    features: DataFrame, plan: Plan, vocabulary, block_rows: int, cache: Cache
) -> DataFrame:
    """:data:`~.arrow.PAIRS_SCHEMA` rows of the pairs the rewrite search finds.

    ``vocabulary`` is the broadcast of :func:`.idf.weigh_rows`.
    """
    day_counts = features.groupBy("day").count().toPandas()
    days = day_counts["day"].to_numpy(np.float64)
    blocks = date_blocks(days, day_counts["count"].to_numpy(np.int64), plan.window_days, block_rows)
    replicated = features.mapInArrow(
        partial(
            replicate_batches,
            blocks=blocks,
            window_days=plan.window_days,
            undated=bool(np.isnan(days).any()),
        ),
        "block int, owned boolean, " + FEATURES_SCHEMA,
    )
    return cache.keep(
        replicated.groupBy("block").applyInArrow(
            plain(block_pairs, plan=plan, vocabulary=vocabulary), PAIRS_SCHEMA
        )
    )


def block_pairs(table: pa.Table, plan: Plan, vocabulary) -> pa.Table:
    """Worker: the local window search for the block's own rows, then their scores."""
    table = table.sort_by("pos")
    days = table.column("day").to_numpy()
    owned = table.column("owned").to_numpy(zero_copy_only=False)
    probe = weight_matrix(table, plan.n_terms)
    common = vocabulary.value["common"]
    if common.any():  # as the local probe does, with the global document frequencies
        probe.data[common[probe.indices]] = 0
        probe.eliminate_zeros()
    state = {
        "probe": probe,
        "floor": plan.search_floor,
        "days": days,
        "window_days": plan.window_days,
        "max_neighbors": plan.settings.max_neighbors,
    }
    found_i, found_j = [], []
    for rows, cols in window_blocks(days, plan.window_days):
        rows = rows[owned[rows]]
        if rows.size:
            a, b, _ = search_block(state, (rows, cols))
            found_i.append(a)
            found_j.append(b)
    n = days.size
    if found_i:
        i, j = np.concatenate(found_i), np.concatenate(found_j)
        codes = np.unique(np.minimum(i, j).astype(np.int64) * n + np.maximum(i, j))
    else:
        codes = np.zeros(0, dtype=np.int64)
    return score_positions(table, plan, codes // n, codes % n)
