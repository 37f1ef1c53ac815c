"""Stage ``linkage``: each component of more than two articles split by the local
:func:`~dedupe_news.clustering.cluster_pairs` (linkage with the soft veto), on its
own rows, in a ``cogroup`` of its members and its edges."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..clustering import cluster_pairs
from ..pair_features import ArticleRows
from ..scoring import ModelScorer
from ..similarity_matrix import component_similarity, copy_matrix
from .arrow import plain2, weight_matrix
from .model_scores import MODEL_COLUMNS, model_inputs

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

    from .plan import Plan

__all__ = ["link_component", "linked_groups"]


def linked_groups(
    components: DataFrame, features: DataFrame, edges: DataFrame, plan: Plan, vocabulary=None
):
    """``(pos, grp)`` for every article on an edge: ``grp`` numbers the stories
    within its component (0 for components of two, and with single linkage).

    With a learned model, ``features`` are the model rows (:mod:`.model_scores`):
    each component is linked by a :class:`~dedupe_news.scoring.ModelScorer` over its
    members' rows (with the corpus's graph rows and entity IDF), whose
    :meth:`~dedupe_news.scoring.ModelScorer.matrix` gives the same matrices as over
    the whole corpus, by the model's own linkage and veto."""
    from pyspark.sql import functions as F

    if plan.linkage_method == "single":
        return components.select("pos", F.lit(0).cast("long").alias("grp"))
    large = components.filter(F.col("size") > 2)
    columns = ["pos", "day", "cols", "weights"] if plan.decision is None else list(MODEL_COLUMNS)
    members = features.join(large.select("pos", "comp"), "pos").select("comp", *columns)
    component_edges = edges.join(
        large.select(F.col("pos").alias("i"), F.col("comp").alias("edge_comp")), "i"
    ).select("edge_comp", "i", "j", "story_similarity")
    linked = (
        members.groupBy("comp")
        .cogroup(component_edges.groupBy("edge_comp"))
        .applyInArrow(
            plain2(link_component, plan=plan, vocabulary=vocabulary), "pos long, grp long"
        )
    )
    pairs = components.filter(F.col("size") <= 2).select("pos", F.lit(0).cast("long").alias("grp"))
    return pairs.unionByName(linked)


def link_component(members: pa.Table, edges: pa.Table, plan: Plan, vocabulary=None) -> pa.Table:
    """Worker: ``cluster_pairs`` on one connected component, with its own rows."""
    import pyarrow as pa

    if members.num_rows == 0:
        return pa.table({"pos": pa.array([], pa.int64()), "grp": pa.array([], pa.int64())})
    members = members.sort_by("pos")
    pos = members.column("pos").to_numpy()
    i = np.searchsorted(pos, edges.column("i").to_numpy())
    j = np.searchsorted(pos, edges.column("j").to_numpy())
    story = edges.column("story_similarity").to_numpy()
    m = pos.size
    if plan.decision is None:
        days = members.column("day").to_numpy()
        rows = ArticleRows(weight_matrix(members, plan.n_terms), None, days)
        copies = copy_matrix(m, i, j, story)

        def similarity(part: np.ndarray) -> np.ndarray:
            return component_similarity(rows, plan.window_days, part, copies)

    else:
        rows, evidence, graph = model_inputs(members, plan, vocabulary)
        scorer = ModelScorer(plan.decision, rows, evidence)
        scorer.graph = graph  # the corpus's candidate graph, these members' rows

        def similarity(part: np.ndarray) -> np.ndarray:
            return scorer.matrix(part, None)

    labels = cluster_pairs(
        m,
        i,
        j,
        story,
        threshold=plan.threshold,
        component_similarity=similarity,
        linkage_method=plan.linkage_method,
        max_component=plan.settings.max_component,
        clearly_different=plan.clearly_different,
        veto_distance=plan.veto_distance,
    )
    return pa.table({"pos": pa.array(pos.astype(np.int64)), "grp": pa.array(labels)})
