"""Stage ``linkage``: each component of more than two articles split by the local
:func:`~dedupe_news.clustering.cluster_pairs` (linkage with the soft veto), on its
own rows, in a ``cogroup`` of its members and its edges."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..clustering import cluster_pairs, component_similarity, copy_matrix
from ..pair_features import ArticleRows
from .arrow import plain2, weight_matrix

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame

    from .plan import Plan

__all__ = ["link_component", "linked_groups"]


def linked_groups(components: DataFrame, features: DataFrame, edges: DataFrame, plan: Plan):
    """``(pos, grp)`` for every article on an edge: ``grp`` numbers the stories
    within its component (0 for components of two, and with single linkage)."""
    from pyspark.sql import functions as F

    if plan.settings.linkage == "single":
        return components.select("pos", F.lit(0).cast("long").alias("grp"))
    large = components.filter(F.col("size") > 2)
    members = features.join(large.select("pos", "comp"), "pos").select(
        "comp", "pos", "day", "cols", "weights"
    )
    component_edges = edges.join(
        large.select(F.col("pos").alias("i"), F.col("comp").alias("edge_comp")), "i"
    ).select("edge_comp", "i", "j", "story_similarity")
    linked = (
        members.groupBy("comp")
        .cogroup(component_edges.groupBy("edge_comp"))
        .applyInArrow(plain2(link_component, plan=plan), "pos long, grp long")
    )
    pairs = components.filter(F.col("size") <= 2).select("pos", F.lit(0).cast("long").alias("grp"))
    return pairs.unionByName(linked)


def link_component(members: pa.Table, edges: pa.Table, plan: Plan) -> pa.Table:
    """Worker: ``cluster_pairs`` on one connected component, with its own rows."""
    import pyarrow as pa

    if members.num_rows == 0:
        return pa.table({"pos": pa.array([], pa.int64()), "grp": pa.array([], pa.int64())})
    members = members.sort_by("pos")
    pos = members.column("pos").to_numpy()
    days = members.column("day").to_numpy()
    rows = ArticleRows(weight_matrix(members, plan.n_terms), None, days)
    i = np.searchsorted(pos, edges.column("i").to_numpy())
    j = np.searchsorted(pos, edges.column("j").to_numpy())
    story = edges.column("story_similarity").to_numpy()
    m = pos.size
    copies = copy_matrix(m, i, j, story)
    labels = cluster_pairs(
        m,
        i,
        j,
        story,
        threshold=plan.settings.rewrite_threshold,
        component_similarity=lambda members: component_similarity(
            rows, plan.window_days, members, copies
        ),
        linkage_method=plan.settings.linkage,
        max_component=plan.settings.max_component,
    )
    return pa.table({"pos": pa.array(pos.astype(np.int64)), "grp": pa.array(labels)})
