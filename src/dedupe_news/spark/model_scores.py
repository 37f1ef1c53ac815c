"""Stage ``scoring`` with a learned model: the model's probability of every candidate pair.

The candidate pairs (the copy search's, and the rewrite search's over bodies and
leads, each once) first give the candidate graph (:mod:`.graph`). Each article's
*model row* is then its weighted row (:data:`~.arrow.FEATURES_SCHEMA` and
:data:`~.arrow.MODEL_FEATURES_SCHEMA`) with its graph row: any two model rows give
every feature the model reads, as :class:`~dedupe_news.scoring.ModelScorer` gives
it over the whole corpus (lead IDF, entity IDF and graph are the corpus's). Pairs
are joined with their two model rows and scored on the workers; linkage and the
matches score their pairs from the same rows (:func:`model_similarity`).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from ..evidence_table import EntityFrequencies, EvidenceTable
from ..model_features import EvidenceRows, model_pair_features
from ..pair_features import pair_features
from ..pair_model import PAIR_FEATURES
from .arrow import PAIRS_SCHEMA, list_values, pairs_table
from .graph import graph_matrix, graph_rows
from .scores import article_rows, lead_matrix

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

    from .plan import Plan
    from .stages import Cache

__all__ = [
    "MODEL_COLUMNS",
    "MODEL_PAIRS_SCHEMA",
    "NAMED_FEATURES",
    "model_inputs",
    "model_rows",
    "model_scored_pairs",
    "model_similarity",
    "paired_table",
    "side_by_side",
]

MODEL_COLUMNS = (
    "pos",
    "day",
    "shingles",
    "hashvalues",
    "cols",
    "weights",
    "lead_cols",
    "lead_weights",
    "entities",
    "quotes",
    "tickers",
    "log_tokens",
    "graph_cols",
    "graph_weights",
)
"""The columns of a model row."""

NAMED_FEATURES = tuple(name for name in PAIR_FEATURES if name != "date_distance_days")
"""The model features a scored pair carries beside its core ones (the date distance
is one of those, NaN when unknown)."""

MODEL_PAIRS_SCHEMA = PAIRS_SCHEMA + "".join(f", {name} double" for name in NAMED_FEATURES)
"""A pair scored by the model: :data:`~.arrow.PAIRS_SCHEMA` (``story_similarity`` the
model's) and every feature of :data:`~dedupe_news.pair_model.PAIR_FEATURES`."""


def model_rows(pairs: DataFrame, features: DataFrame, plan: Plan, cache: Cache) -> DataFrame:
    """Every weighted article's model row (:data:`MODEL_COLUMNS`), given the candidate
    ``pairs`` that make the graph."""
    return cache.checkpoint(features.join(graph_rows(pairs, features, plan), "pos"))


def model_scored_pairs(
    pairs: DataFrame, rows: DataFrame, plan: Plan, vocabulary, cache: Cache
) -> DataFrame:
    """:data:`MODEL_PAIRS_SCHEMA` rows of the candidate ``pairs``, joined with their
    two model ``rows``."""
    return cache.checkpoint(
        side_by_side(pairs.select("i", "j"), "i", "j", rows).mapInArrow(
            partial(_score_batches, plan=plan, vocabulary=vocabulary), MODEL_PAIRS_SCHEMA
        )
    )


def side_by_side(pairs: DataFrame, left: str, right: str, rows: DataFrame) -> DataFrame:
    """``pairs`` with the model row of their ``left`` article (``i_`` columns) beside
    that of their ``right`` one (``j_`` columns)."""
    from pyspark.sql import functions as F

    i_rows = rows.select([F.col(c).alias(f"i_{c}") for c in MODEL_COLUMNS])
    j_rows = rows.select([F.col(c).alias(f"j_{c}") for c in MODEL_COLUMNS])
    return (
        pairs.join(i_rows, F.col(left) == F.col("i_pos"))
        .join(j_rows, F.col(right) == F.col("j_pos"))
        .select(*i_rows.columns, *j_rows.columns)
    )


def model_inputs(table: pa.Table, plan: Plan, vocabulary) -> tuple:
    """Worker: what :func:`model_similarity` reads of a table's model rows."""
    return (
        article_rows(table, plan),
        model_evidence(table, plan, vocabulary),
        graph_matrix(table, plan),
    )


def model_similarity(inputs: tuple, plan: Plan, i: np.ndarray, j: np.ndarray):
    """Worker: ``(core, named, story_similarity)`` of pairs ``(i[k], j[k])`` of the
    model rows of ``inputs`` (:func:`model_inputs`): the core features, every model
    feature, and the model's ``story_similarity`` (0 outside the window, 1 for a copy)."""
    rows, evidence, graph = inputs
    core = pair_features(rows, i, rows, j)
    named = model_pair_features(evidence, graph, i, j, core, plan.settings.min_containment_shingles)
    return core, named, plan.decision.story_similarity(core, named)


def model_evidence(table: pa.Table, plan: Plan, vocabulary) -> EvidenceRows:
    """The :class:`~dedupe_news.model_features.EvidenceRows` of a table's model rows,
    with the corpus's lead IDF (in the rows) and entity IDF (in ``vocabulary``)."""
    value = vocabulary.value
    corpus = EntityFrequencies(value["entity_keys"], value["entity_df"], value["n"])
    table_of_keys = EvidenceTable(
        _key_lists(table, "entities"),
        _key_lists(table, "quotes"),
        _key_lists(table, "tickers"),
        frequencies=corpus,
    )
    log_tokens = table.column("log_tokens").to_numpy().astype(np.float64)
    return EvidenceRows(lead_matrix(table, plan), table_of_keys, log_tokens)


def _key_lists(table: pa.Table, column: str) -> list[np.ndarray]:
    offsets, values = list_values(table.column(column))
    values = values.astype(np.int64)
    return [values[a:b] for a, b in zip(offsets[:-1], offsets[1:], strict=True)]


def paired_table(table: pa.Table) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """The ``i_`` rows of a side-by-side table followed by its ``j_`` rows, and the
    pairs ``(k, m + k)`` that join them."""
    import pyarrow as pa

    left = table.select([f"i_{c}" for c in MODEL_COLUMNS]).rename_columns(list(MODEL_COLUMNS))
    right = table.select([f"j_{c}" for c in MODEL_COLUMNS]).rename_columns(list(MODEL_COLUMNS))
    m = table.num_rows
    k = np.arange(m)
    return pa.concat_tables([left, right]), k, m + k


def _score_batches(batches, plan: Plan, vocabulary):
    import pyarrow as pa

    for batch in batches:
        if not batch.num_rows:
            continue
        both, i, j = paired_table(pa.Table.from_batches([batch]))
        inputs = model_inputs(both, plan, vocabulary)
        core, named, similarity = model_similarity(inputs, plan, i, j)
        pos = both.column("pos").to_numpy()
        scores = _Scores(core, similarity)
        table = pairs_table(pos[i], pos[j], scores)
        for name in NAMED_FEATURES:
            table = table.append_column(name, pa.array(np.asarray(named[name], dtype=np.float64)))
        yield from table.to_batches()


class _Scores:
    """What :func:`~.arrow.pairs_table` reads of a scored table."""

    def __init__(self, core, similarity):
        self.cosine_similarity = core.cosine_similarity
        self.jaccard_similarity = core.jaccard_similarity
        self.containment_similarity = core.containment_similarity
        self.date_distance_days = core.date_distance_days
        self.story_similarity = similarity
