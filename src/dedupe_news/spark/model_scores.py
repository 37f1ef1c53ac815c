"""Stage ``scoring`` with a learned model: the model's probability of every candidate pair.

The candidate pairs (the copy search's, and the rewrite search's over bodies and
leads, each once) first give the candidate graph (:mod:`.graph`). Each article's
*model row* is then its weighted row (:data:`~.arrow.FEATURES_SCHEMA` and
:data:`~.arrow.MODEL_FEATURES_SCHEMA`) with its graph row: any two model rows give
every feature the model reads, as :class:`~dedupe_news.scoring.ModelScorer` gives
it over the whole corpus (lead IDF, entity IDF and graph are the corpus's).
Linkage and the matches score their pairs from these rows (:func:`model_similarity`).
A candidate pair already holds its core features (body cosine, Jaccard,
containment, date distance), so it is joined with its two articles' *evidence
rows* only (:data:`EVIDENCE_COLUMNS`: no body row, no signature), a quarter of the
bytes to shuffle, and scored on the workers.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from ..decision import PairTable
from ..evidence_table import EntityFrequencies, EvidenceTable
from ..model_features import EvidenceRows, model_pair_features
from ..pair_features import PairFeatures, pair_features
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
    "EVIDENCE_COLUMNS",
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

EVIDENCE_COLUMNS = ("pos", "shingles", *MODEL_COLUMNS[6:])
"""What a candidate pair, which holds its core features, needs of each article."""

_CORE_COLUMNS = (
    "cosine_similarity",
    "jaccard_similarity",
    "containment_similarity",
    "date_distance_days",
)

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
    joined = side_by_side(
        pairs.select("i", "j", *_CORE_COLUMNS), "i", "j", rows, EVIDENCE_COLUMNS, _CORE_COLUMNS
    )
    return cache.checkpoint(
        joined.mapInArrow(
            partial(_score_batches, plan=plan, vocabulary=vocabulary), MODEL_PAIRS_SCHEMA
        )
    )


def side_by_side(
    pairs: DataFrame,
    left: str,
    right: str,
    rows: DataFrame,
    columns: tuple[str, ...] = MODEL_COLUMNS,
    keep: tuple[str, ...] = (),
) -> DataFrame:
    """``pairs`` with the model row (its ``columns``) of their ``left`` article
    (``i_`` columns) beside that of their ``right`` one (``j_`` columns), and the
    pairs' own columns ``keep``."""
    from pyspark.sql import functions as F

    i_rows = rows.select([F.col(c).alias(f"i_{c}") for c in columns])
    j_rows = rows.select([F.col(c).alias(f"j_{c}") for c in columns])
    return (
        pairs.join(i_rows, F.col(left) == F.col("i_pos"))
        .join(j_rows, F.col(right) == F.col("j_pos"))
        .select(*i_rows.columns, *j_rows.columns, *keep)
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


def paired_table(
    table: pa.Table, columns: tuple[str, ...] = MODEL_COLUMNS
) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """The ``i_`` rows of a side-by-side table followed by its ``j_`` rows, and the
    pairs ``(k, m + k)`` that join them."""
    import pyarrow as pa

    left = table.select([f"i_{c}" for c in columns]).rename_columns(list(columns))
    right = table.select([f"j_{c}" for c in columns]).rename_columns(list(columns))
    m = table.num_rows
    k = np.arange(m)
    return pa.concat_tables([left, right]), k, m + k


def _score_batches(batches, plan: Plan, vocabulary):
    """Worker: candidate pairs, with their core features and both evidence rows, scored."""
    import pyarrow as pa

    for batch in batches:
        if not batch.num_rows:
            continue
        table = pa.Table.from_batches([batch])
        both, i, j = paired_table(table, EVIDENCE_COLUMNS)
        shingles = both.column("shingles").to_numpy().astype(np.int64)
        core = PairFeatures(
            *(table.column(name).to_numpy().astype(np.float64) for name in _CORE_COLUMNS),
            smaller_shingles=np.minimum(shingles[i], shingles[j]),
        )
        named = model_pair_features(
            model_evidence(both, plan, vocabulary),
            graph_matrix(both, plan),
            i,
            j,
            core,
            plan.settings.min_containment_shingles,
        )
        similarity = np.asarray(plan.decision.story_similarity(core, named), dtype=np.float64)
        scored = PairTable(i, j, core, similarity, plan.decision.same_story(similarity))
        pos = both.column("pos").to_numpy()
        out = pairs_table(pos[i], pos[j], scored)
        for name in NAMED_FEATURES:
            out = out.append_column(name, pa.array(np.asarray(named[name], dtype=np.float64)))
        yield from out.to_batches()
