"""Each article against its story's source: the ``match`` and its ``story_similarity``.

As ``StoryClusterer.match_`` and ``source_similarity_``: the source is ``"source"``
(1.0); another member is a ``"copy"`` when the pair is a copy within the date
window, else a ``"rewrite"``, with the pair's ``story_similarity``. Each member is
joined with its source's features and scored with the same feature layer.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from ..pair_features import pair_features
from .model_scores import model_inputs, model_similarity, paired_table, side_by_side
from .scores import article_rows

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

    from .plan import Plan

__all__ = ["member_matches", "source_matches"]

_COLUMNS = ("pos", "day", "shingles", "hashvalues", "cols", "weights")


def source_matches(
    labelled: DataFrame, features: DataFrame, plan: Plan, vocabulary=None
) -> DataFrame:
    """``(pos, match, source_similarity)`` of every article with text, for
    :func:`.labels.assemble`'s rows. With a learned model, ``features`` are the
    model rows (:mod:`.model_scores`) and ``source_similarity`` is the model's."""
    from pyspark.sql import functions as F

    members = labelled.filter(F.col("pos") != F.col("source_pos"))  # null: no text
    if plan.decision is None:
        left = features.select([F.col(c).alias(f"i_{c}") for c in _COLUMNS])
        right = features.select([F.col(c).alias(f"j_{c}") for c in _COLUMNS])
        joined = (
            members.select("pos", "source_pos")
            .join(left, F.col("pos") == F.col("i_pos"))
            .join(right, F.col("source_pos") == F.col("j_pos"))
            .select(*left.columns, *right.columns)
        )
    else:
        joined = side_by_side(members.select("pos", "source_pos"), "pos", "source_pos", features)
    scored = joined.mapInArrow(
        partial(_match_batches, plan=plan, vocabulary=vocabulary),
        "pos long, match string, source_similarity double",
    )
    sources = labelled.filter(F.col("pos") == F.col("source_pos")).select(
        "pos", F.lit("source").alias("match"), F.lit(1.0).alias("source_similarity")
    )
    return scored.unionByName(sources)


def member_matches(table: pa.Table, plan: Plan, vocabulary=None) -> pa.Table:
    """Worker: the match of each ``i_`` member with its ``j_`` source, side by side."""
    import pyarrow as pa

    rule = plan.rule
    if plan.decision is None:
        left, right = (
            article_rows(pa.table({c: table.column(f"{side}_{c}") for c in _COLUMNS}), plan)
            for side in ("i", "j")
        )
        k = np.arange(table.num_rows)
        features = pair_features(left, k, right, k)
        similarity = np.asarray(rule.story_similarity(features), dtype=np.float64)
    else:
        both, i, j = paired_table(table)
        features, _, similarity = model_similarity(model_inputs(both, plan, vocabulary), plan, i, j)
        similarity = np.asarray(similarity, dtype=np.float64)
    is_copy = rule.is_copy(
        features.jaccard_similarity, features.containment_similarity, features.smaller_shingles
    ) & rule.in_window(features.date_distance_days)
    return pa.table(
        {
            "pos": table.column("i_pos"),
            "match": pa.array(np.where(is_copy, "copy", "rewrite").tolist(), pa.string()),
            "source_similarity": pa.array(similarity),
        }
    )


def _match_batches(batches, plan: Plan, vocabulary=None):
    import pyarrow as pa

    for batch in batches:
        if batch.num_rows:
            table = pa.Table.from_batches([batch])
            yield from member_matches(table, plan, vocabulary).to_batches()
