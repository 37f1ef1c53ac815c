"""Stage ``scoring``: :func:`~dedupe_news.pair_features.pair_features` and the
decision (:meth:`~dedupe_news.decision.PairTable.decide`) on a worker's rows.

The rewrite search scores the pairs it finds inside its block
(:func:`score_positions`); copy pairs are scored after a join with their two rows
(:func:`score_copy_pairs`). Both give :data:`~.arrow.PAIRS_SCHEMA` rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from ..decision import PairTable
from ..minhash import Signatures
from ..pair_features import ArticleRows, pair_features
from .arrow import PAIRS_SCHEMA, hashvalues, list_matrix, pairs_table, weight_matrix

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

    from .plan import Plan
    from .stages import Cache

__all__ = [
    "article_rows",
    "distinct_pairs",
    "lead_matrix",
    "score_copy_pairs",
    "score_joined_pairs",
    "score_positions",
]


def score_positions(table: pa.Table, plan: Plan, i: np.ndarray, j: np.ndarray) -> pa.Table:
    """:data:`~.arrow.PAIRS_SCHEMA` rows of pairs ``(i[k], j[k])`` of ``table``'s rows
    (a :data:`~.arrow.FEATURES_SCHEMA` table)."""
    rows = article_rows(table, plan)
    scores = PairTable.decide(plan.rule, i, j, pair_features(rows, i, rows, j))
    pos = table.column("pos").to_numpy()
    return pairs_table(pos[scores.i], pos[scores.j], scores)


def article_rows(table: pa.Table, plan: Plan) -> ArticleRows:
    """The :class:`~dedupe_news.pair_features.ArticleRows` of a features table."""
    signatures = Signatures(
        hashvalues(table.column("hashvalues"), plan.settings.num_perm),
        table.column("shingles").to_numpy().astype(np.int32),
    )
    return ArticleRows(
        weight_matrix(table, plan.n_terms), signatures, table.column("day").to_numpy()
    )


def lead_matrix(table: pa.Table, plan: Plan) -> sp.csr_matrix:
    """The float32 lead TF-IDF rows of a table's ``lead_cols`` and ``lead_weights``."""
    return list_matrix(table, "lead_cols", "lead_weights", plan.n_lead_terms, np.float32, np.int32)


def score_joined_pairs(table: pa.Table, plan: Plan) -> pa.Table:
    """Worker: :data:`~.arrow.PAIRS_SCHEMA` rows of joined pairs, row ``k`` holding
    the ``i_`` article's features beside the ``j_`` article's."""
    import pyarrow as pa

    columns = ("pos", "day", "shingles", "hashvalues", "cols", "weights")
    left, right = (
        article_rows(pa.table({c: table.column(f"{side}_{c}") for c in columns}), plan)
        for side in ("i", "j")
    )
    k = np.arange(table.num_rows)
    scores = PairTable.decide(plan.rule, k, k, pair_features(left, k, right, k))
    return pairs_table(table.column("i_pos").to_numpy(), table.column("j_pos").to_numpy(), scores)


def _score_joined_batches(batches, plan: Plan):
    import pyarrow as pa

    for batch in batches:
        if batch.num_rows:
            yield from score_joined_pairs(pa.Table.from_batches([batch]), plan).to_batches()


def score_copy_pairs(copy_pairs: DataFrame, features: DataFrame, plan: Plan) -> DataFrame:
    """The copy pairs ``(i, j)`` scored, after a join with their two feature rows."""
    from functools import partial

    from pyspark.sql import functions as F

    columns = ("pos", "day", "shingles", "hashvalues", "cols", "weights")
    left = features.select([F.col(c).alias(f"i_{c}") for c in columns])
    right = features.select([F.col(c).alias(f"j_{c}") for c in columns])
    return (
        copy_pairs.join(left, copy_pairs.i == left.i_pos)
        .join(right, copy_pairs.j == right.j_pos)
        .mapInArrow(partial(_score_joined_batches, plan=plan), PAIRS_SCHEMA)
    )


def distinct_pairs(near_scored: DataFrame, copy_scored: DataFrame, cache: Cache) -> DataFrame:
    """Every scored pair once: the rewrite search's and the copy search's together."""
    return cache.keep(near_scored.unionByName(copy_scored).dropDuplicates(["i", "j"]))
