"""Stage ``components``: connected components of the same-story edges.

On the driver when the edges are few enough to collect, else by min-label
propagation in DataFrames. A component is named by its first position.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from .stages import Cache

__all__ = ["component_sizes", "dataframe_components", "driver_components"]


def component_sizes(edges: DataFrame, n_edges: int, max_driver_edges: int, cache: Cache):
    """``(pos, comp, size)`` for every article on an edge."""
    from pyspark.sql import functions as F

    if n_edges <= max_driver_edges:
        components = driver_components(edges.sparkSession, edges)
    else:
        components = dataframe_components(edges)
    components = cache.keep(components)
    sizes = components.groupBy("comp").agg(F.count("*").alias("size"))
    components = cache.keep(components.join(sizes, "comp"))
    components.count()
    return components


def driver_components(spark: SparkSession, edges: DataFrame) -> DataFrame:
    """``(pos, comp)`` for every article on an edge; ``comp`` is the component's first pos."""
    import pandas as pd

    pairs = edges.select("i", "j").toPandas()
    i, j = pairs["i"].to_numpy(np.int64), pairs["j"].to_numpy(np.int64)
    vertices, inverse = np.unique(np.concatenate([i, j]), return_inverse=True)
    graph = sp.coo_matrix(
        (np.ones(i.size, dtype=np.int8), (inverse[: i.size], inverse[i.size :])),
        shape=(vertices.size, vertices.size),
    )
    _, labels = connected_components(graph, directed=False)
    first = np.full(labels.max() + 1 if labels.size else 0, np.iinfo(np.int64).max)
    np.minimum.at(first, labels, vertices)
    frame = pd.DataFrame({"pos": vertices, "comp": first[labels]})
    return spark.createDataFrame(frame, "pos long, comp long")


def dataframe_components(edges: DataFrame, max_rounds: int = 100) -> DataFrame:
    """Connected components by min-label propagation with shortcutting, in DataFrames.

    Each round every article takes the smallest label among itself and its
    neighbours, then the label of its label; it stops when no label changes.
    """
    from pyspark.sql import functions as F

    links = edges.select(F.col("i").alias("src"), F.col("j").alias("dst"))
    links = links.unionByName(links.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
    links = links.localCheckpoint()
    labels = links.groupBy(F.col("src").alias("pos")).agg(
        F.least(F.min("dst"), F.first("src")).alias("comp")
    )
    labels = labels.localCheckpoint()
    for _ in range(max_rounds):
        spread = (
            links.join(labels.withColumnRenamed("pos", "src"), "src")
            .groupBy(F.col("dst").alias("pos"))
            .agg(F.min("comp").alias("spread"))
        )
        updated = labels.join(spread, "pos").select("pos", F.least("comp", "spread").alias("comp"))
        jumped = (
            updated.alias("a")
            .join(updated.alias("b"), F.col("a.comp") == F.col("b.pos"))
            .select(F.col("a.pos").alias("pos"), F.col("b.comp").alias("comp"))
        )
        jumped = jumped.localCheckpoint()
        changed = (
            jumped.join(labels.withColumnRenamed("comp", "old"), "pos")
            .filter(F.col("comp") != F.col("old"))
            .count()
        )
        labels = jumped
        if changed == 0:
            return labels
    raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
