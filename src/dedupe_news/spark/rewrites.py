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
from .arrow import FEATURES_SCHEMA, MODEL_FEATURES_SCHEMA, PAIRS_SCHEMA, plain, weight_matrix
from .blocks import date_blocks, replicate_batches
from .scores import lead_matrix, score_positions

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
    schema = FEATURES_SCHEMA
    if plan.decision is not None:
        schema += ", " + MODEL_FEATURES_SCHEMA
    replicated = features.mapInArrow(
        partial(
            replicate_batches,
            blocks=blocks,
            window_days=plan.window_days,
            undated=bool(np.isnan(days).any()),
        ),
        "block int, owned boolean, " + schema,
    )
    return cache.keep(
        replicated.groupBy("block").applyInArrow(
            plain(block_pairs, plan=plan, vocabulary=vocabulary), PAIRS_SCHEMA
        )
    )


def block_pairs(table: pa.Table, plan: Plan, vocabulary) -> pa.Table:
    """Worker: the local window search for the block's own rows, then their scores.

    With a learned model the leads are searched too, with their own common terms
    and floor, as :meth:`~dedupe_news.scoring.ModelScorer.candidates` searches them."""
    table = table.sort_by("pos")
    days = table.column("day").to_numpy()
    owned = table.column("owned").to_numpy(zero_copy_only=False)
    value = vocabulary.value
    searches = [(weight_matrix(table, plan.n_terms), value["common"], plan.search_floor)]
    if plan.decision is not None:
        searches.append((lead_matrix(table, plan), value["lead_common"], plan.lead_floor))
    max_neighbors = plan.neighbor_counts(table)
    n = days.size
    codes = [np.zeros(0, dtype=np.int64)]
    for probe, common, floor in searches:
        i, j = _search(probe, common, floor, days, owned, plan, max_neighbors)
        codes.append(np.minimum(i, j).astype(np.int64) * n + np.maximum(i, j))
    unique = np.unique(np.concatenate(codes))
    return score_positions(table, plan, unique // n, unique % n)


def _search(probe, common, floor: float, days, owned, plan: Plan, max_neighbors):
    """The block's own rows' window neighbours over ``probe`` (``common`` terms out),
    each row keeping ``max_neighbors`` (one count, or one per row)."""
    if common.any():  # as the local probe does, with the global document frequencies
        probe.data[common[probe.indices]] = 0
        probe.eliminate_zeros()
    state = {
        "probe": probe,
        "floor": floor,
        "days": days,
        "window_days": plan.window_days,
        "max_neighbors": max_neighbors,
    }
    found_i, found_j = [np.zeros(0, dtype=np.intp)], [np.zeros(0, dtype=np.intp)]
    for rows, cols in window_blocks(days, plan.window_days):
        rows = rows[owned[rows]]
        if rows.size:
            a, b, _ = search_block(state, (rows, cols))
            found_i.append(a)
            found_j.append(b)
    return np.concatenate(found_i), np.concatenate(found_j)
