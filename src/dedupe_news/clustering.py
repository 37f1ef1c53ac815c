"""From scored pairs to story clusters, without chaining.

Connected components over same-story pairs chain: if A~B and B~C, A and C end
up together even when they are clearly different stories. So the components are
only a first cut. Inside each component with more than two articles, the full
``story_similarity`` matrix is computed and agglomerative clustering merges two
groups only while the mean similarity between them is at least the threshold. A
bridge article B then cannot pull A and C together unless A and C are themselves
similar on average.

The default, ``linkage="weighted"`` (WPGMA), averages the two merged groups with
equal weight, so a large group cannot absorb a neighbouring story just by
outnumbering it. Measured side by side at threshold 0.15 (3-day window, before
the veto below), it scored ARI 0.915 on the ECB+ dev corpus, whose topics pair
two similar events, against 0.854 for size-weighted ``"average"`` (UPGMA); GVA
was level (0.648 against 0.649).

Pairs that are clearly different (``story_similarity`` below 0.05) get a large
distance, a soft veto: a bridge article cannot merge two stories that share
nothing. ``linkage="single"`` keeps the plain connected components, for
comparison.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform

from .errors import ParameterError

__all__ = ["LINKAGES", "cluster_pairs", "order_labels"]

LINKAGES = ("weighted", "average", "single")

CLEARLY_DIFFERENT = 0.05
"""Pairs below this story_similarity are clearly different stories (or out of the
date window). Only 0.5% of same-story pairs in ECB+ fall below it."""

VETO_DISTANCE = 4.0
"""Distance given to clearly different pairs instead of ``1 - similarity``. One such
pair outweighs a strong bridge when small groups merge (A~B~C with A, C unrelated
stays split), but is diluted among the many pairs of two large groups."""


def cluster_pairs(
    n: int,
    i: np.ndarray,
    j: np.ndarray,
    similarity: np.ndarray,
    *,
    threshold: float,
    component_similarity: Callable[[np.ndarray], np.ndarray],
    linkage_method: str = "weighted",
    max_component: int = 2000,
) -> np.ndarray:
    """Group ``n`` items into clusters from scored pairs.

    Parameters
    ----------
    n : int
        Number of items.
    i, j, similarity : ndarrays
        Scored pairs; pairs with ``similarity >= threshold`` are edges.
    threshold : float
        Minimum similarity of an edge, and minimum mean similarity between two
        groups that average linkage merges.
    component_similarity : callable
        Given the sorted member indices of a component, returns their full
        symmetric similarity matrix (values in [0, 1]).
    linkage_method : {"weighted", "average", "single"}
        Agglomeration inside components (WPGMA or UPGMA); ``"single"`` returns
        the connected components as they are.
    max_component : int
        Components larger than this are first split by raising the edge
        threshold in steps of 0.05, to bound the dense matrix at
        ``max_component**2`` entries.

    Returns
    -------
    labels : ndarray of int64, shape (n,)
        Cluster labels numbered by first appearance (see :func:`order_labels`).
    """
    if linkage_method not in LINKAGES:
        raise ParameterError(
            f"linkage must be one of {', '.join(LINKAGES)}, got {linkage_method!r}"
        )
    if n == 0:  # scipy's connected_components rejects an empty graph
        return np.zeros(0, dtype=np.int64)
    keep = similarity >= threshold
    i, j, similarity = i[keep], j[keep], similarity[keep]
    labels = _components(n, i, j)
    if linkage_method == "single":
        return order_labels(labels)
    final = np.arange(n, dtype=np.int64)
    next_label = n
    pending = [(np.arange(n), i, j, similarity, threshold)]
    while pending:
        members_all, ei, ej, es, edge_threshold = pending.pop()
        sub_labels = _components(n, ei, ej)[members_all]
        order = np.argsort(sub_labels, kind="stable")
        bounds = np.flatnonzero(np.r_[True, np.diff(sub_labels[order]) != 0, True])
        for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
            members = np.sort(members_all[order[start:stop]])
            if members.size == 1:
                continue
            if members.size > max_component and edge_threshold >= 1.0:
                # Only copies (similarity 1) are left: they stay one story.
                final[members] = next_label
                next_label += 1
                continue
            if members.size > max_component:
                inside = np.isin(ei, members)
                raised = min(edge_threshold + 0.05, 1.0)
                stronger = inside & (es >= raised)
                pending.append((members, ei[stronger], ej[stronger], es[stronger], raised))
                continue
            if members.size == 2:
                final[members] = next_label
                next_label += 1
                continue
            groups = _agglomerate(component_similarity(members), threshold, linkage_method)
            final[members] = next_label + groups
            next_label += int(groups.max()) + 1
    return order_labels(final)


def _components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    graph = sp.coo_matrix((np.ones(i.size, dtype=np.int8), (i, j)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _agglomerate(similarity: np.ndarray, threshold: float, method: str) -> np.ndarray:
    """Agglomerative groups (0-based) of a dense similarity matrix, cut at ``threshold``."""
    similarity = np.clip(similarity, 0.0, 1.0)
    distance = 1.0 - similarity
    distance[similarity < CLEARLY_DIFFERENT] = VETO_DISTANCE
    np.fill_diagonal(distance, 0.0)
    distance = (distance + distance.T) / 2.0
    tree = linkage(squareform(distance, checks=False), method=method)
    # Merge while the mean distance is <= 1 - threshold (mean similarity >= threshold).
    groups = fcluster(tree, t=1.0 - threshold + 1e-9, criterion="distance")
    return groups.astype(np.int64) - 1


def order_labels(labels: np.ndarray) -> np.ndarray:
    """Renumber labels 0, 1, 2, ... in order of each cluster's first item.

    Makes labels deterministic for the same input, whatever numbering produced them.

    >>> order_labels(np.array([7, 3, 7, 9])).tolist()
    [0, 1, 0, 2]
    """
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    return rank[inverse.ravel()]
