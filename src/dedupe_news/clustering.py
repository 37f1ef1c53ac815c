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

That is the fixed rule's clustering. A learned model names its own in its file
(:attr:`~dedupe_news.pair_model.PairModel.linkage_method`, ``veto_distance``):
the default model links its probabilities by average linkage, with a veto below
0.3 at distance 10 that a pair with a text under 16 tokens never casts.

The fixed rule's full similarity matrix of a component is
:mod:`dedupe_news.similarity_matrix` (its names import from here too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.cluster.hierarchy import linkage
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform

from .errors import ParameterError
from .label_order import flat_clusters, order_labels
from .settings import LINKAGES
from .similarity_matrix import component_similarity, copy_matrix, windowed_similarity

__all__ = [
    "CLEARLY_DIFFERENT",
    "COPY_SIMILARITY",
    "LINKAGES",
    "VETO_DISTANCE",
    "cluster_pairs",
    "component_similarity",
    "copy_groups",
    "copy_matrix",
    "flat_clusters",
    "linkage_score",
    "order_labels",
    "windowed_similarity",
]

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
    clearly_different: float = CLEARLY_DIFFERENT,
    prefetch: Callable[[list[np.ndarray]], None] | None = None,
    veto_distance: float = VETO_DISTANCE,
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
        The largest dense similarity matrix built is ``max_component**2``. A
        larger component is split by raising the edge threshold in steps of
        0.05, copies (pairs at :data:`COPY_SIMILARITY`) always staying joined.
        A part that is still too large once only copies are left is collapsed
        by its copy structure: each group of copies (see :func:`copy_groups`)
        becomes one representative and linkage runs over the representatives,
        so a wire story reprinted thousands of times stays one story.
    clearly_different : float
        Pairs below this similarity veto a merge (see :func:`linkage_score`).
    veto_distance : float
        The linkage distance of such a pair, instead of ``1 - similarity``.
    prefetch : callable, optional
        Given the sorted members of the next components to be clustered (in
        batches of about :data:`PREFETCH_PAIRS` pairs; the parts of an oversized
        one as it is split), may compute their matrices ahead in a few calls, for
        ``component_similarity`` to return.

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
    edges = _Edges(i[keep], j[keep], similarity[keep])
    del keep
    labels = _components(n, edges.i, edges.j)
    if linkage_method == "single":
        return order_labels(labels)
    linkage_of = _Linkage(
        threshold,
        component_similarity,
        linkage_method,
        max_component,
        clearly_different,
        prefetch,
        veto_distance,
    )
    final = np.arange(n, dtype=np.int64)
    next_label = n
    components = list(_split_components(labels, edges, max_component))
    del edges, labels
    for item in _in_clustering_order(components, max_component, prefetch):
        members = item[0]
        groups = linkage_of.component(members, item.pop(), threshold)
        final[members] = next_label + groups
        next_label += int(groups.max()) + 1
    return order_labels(final)


COPY_SIMILARITY = 1.0
"""Pairs at this similarity (copies: ``story_similarity`` is 1.0 for them) are
collapsed to one representative inside a component over ``max_component``."""

_THRESHOLD_STEP = 0.05

PREFETCH_PAIRS = 1_000_000
"""Components go to ``prefetch`` in batches of about this many pairs (all pairs of
each), just before they are clustered, and the oversized ones come last: their parts
are prefetched as they are split, into a cache that no other component's matrices
then fill. (Prefetched all at once before the rest, the 1M-article synthetic
corpus's giant component found the cache full, and its parts' 1,470 matrices of 50
to 200 members were scored one by one: 97 s.)"""


@dataclass(frozen=True)
class _Edges:
    i: np.ndarray
    j: np.ndarray
    similarity: np.ndarray

    def take(self, keep: np.ndarray) -> _Edges:
        return _Edges(self.i[keep], self.j[keep], self.similarity[keep])


def _split_components(labels: np.ndarray, edges: _Edges, max_component: int):
    """Yield ``[sorted members, edges inside]`` of each component with 2+ members.
    Only a component over ``max_component`` gets its edges (linkage reads no other's),
    as views of one sorted copy of theirs; the caller may drop ``edges``."""
    node_order = np.argsort(labels, kind="stable")
    node_bounds = np.flatnonzero(np.r_[True, np.diff(labels[node_order]) != 0, True])
    edge_labels = labels[edges.i]
    oversized = np.bincount(labels)[edge_labels] > max_component
    edge_order = np.flatnonzero(oversized)
    del oversized
    edge_labels = edge_labels[edge_order]
    by_label = np.argsort(edge_labels, kind="stable")
    edge_order, edge_labels = edge_order[by_label], edge_labels[by_label]
    del by_label
    sorted_edges = edges.take(edge_order)
    del edge_order
    for start, stop in zip(node_bounds[:-1], node_bounds[1:], strict=True):
        if stop - start < 2:
            continue
        members = np.sort(node_order[start:stop])
        if members.size <= max_component:
            yield [members, None]
            continue
        label = labels[members[0]]
        lo, hi = np.searchsorted(edge_labels, [label, label + 1])
        yield [members, sorted_edges.take(slice(lo, hi))]


def _in_clustering_order(items: list[list], max_component: int, prefetch):
    """Each of ``items`` (``[sorted members, edges]``), those of at most
    ``max_component`` members first, handed to ``prefetch`` in batches of about
    :data:`PREFETCH_PAIRS` pairs just before they are yielded, then the oversized ones.
    An item leaves ``items`` as it is yielded: the caller holds it alone."""
    fitting = [k for k, item in enumerate(items) if item[0].size <= max_component]
    start = 0
    while start < len(fitting):
        stop, pairs = start, 0
        while stop < len(fitting) and (stop == start or pairs < PREFETCH_PAIRS):
            size = items[fitting[stop]][0].size
            pairs += size * (size - 1) // 2
            stop += 1
        if prefetch is not None:
            prefetch([items[k][0] for k in fitting[start:stop]])
        for k in fitting[start:stop]:
            yield _taken(items, k)
        start = stop
    for k in range(len(items)):
        if items[k] is not None:
            yield _taken(items, k)


def _taken(items: list, k: int):
    item, items[k] = items[k], None
    return item


def copy_groups(members: np.ndarray, edges_i: np.ndarray, edges_j: np.ndarray) -> np.ndarray:
    """Group of each of ``members`` (sorted indices) under the copy pairs ``edges_i,
    edges_j`` (indices among ``members``): 0-based, numbered by first member.

    >>> copy_groups(np.array([3, 5, 8]), np.array([3]), np.array([8])).tolist()
    [0, 1, 0]
    """
    local_i = np.searchsorted(members, edges_i)
    local_j = np.searchsorted(members, edges_j)
    return order_labels(_components(members.size, local_i, local_j))


@dataclass(frozen=True)
class _Linkage:
    """Linkage inside one connected component, within the ``max_component`` bound."""

    threshold: float
    component_similarity: Callable[[np.ndarray], np.ndarray]
    method: str
    max_component: int
    clearly_different: float = CLEARLY_DIFFERENT
    prefetch: Callable[[list[np.ndarray]], None] | None = None
    veto_distance: float = VETO_DISTANCE

    def component(self, members: np.ndarray, edges: _Edges, edge_threshold: float) -> np.ndarray:
        """0-based groups of a connected component's sorted ``members``."""
        if members.size == 2:
            return np.zeros(2, dtype=np.int64)
        if members.size <= self.max_component:
            similarity = self.component_similarity(members)
            return _agglomerate(
                similarity, self.threshold, self.method, self.clearly_different, self.veto_distance
            )
        while True:
            next_threshold = edge_threshold + _THRESHOLD_STEP
            is_copy = edges.similarity >= COPY_SIMILARITY
            if next_threshold > COPY_SIMILARITY and is_copy.any():
                # Only copies are left to split: collapse them instead.
                return self._over_representatives(members, edges, is_copy, edge_threshold)
            # Split by stronger edges (copies stay joined), then cluster each part.
            stronger = edges.take(edges.similarity >= next_threshold)
            local_i = np.searchsorted(members, stronger.i)
            local_j = np.searchsorted(members, stronger.j)
            parts = _components(members.size, local_i, local_j)
            if parts.max() > 0:
                break
            # Still one piece: go on raising here, holding one copy of the edges.
            edges, edge_threshold = stronger, next_threshold
        del edges, is_copy
        groups = np.arange(members.size, dtype=np.int64)
        next_group = members.size
        # An oversized part's edges are copied out of the sorted whole, which then goes,
        # and handed to the part's own call as its only holder (popped from the item),
        # which drops them once split: a split ten levels deep (0.5 to 0.95, a learned
        # model's giant component) holds no level's edges while the levels below it run.
        work = [
            [members[part], None if inside is None else _local_to(members, inside)]
            for part, inside in _split_components(
                parts, _Edges(local_i, local_j, stronger.similarity), self.max_component
            )
        ]
        del stronger, local_i, local_j, parts
        for item in _in_clustering_order(work, self.max_component, self.prefetch):
            part = np.searchsorted(members, item[0])
            sub = self.component(item[0], item.pop(), next_threshold)
            groups[part] = next_group + sub
            next_group += int(sub.max()) + 1
        return order_labels(groups)

    def _over_representatives(
        self, members: np.ndarray, edges: _Edges, is_copy: np.ndarray, edge_threshold: float
    ) -> np.ndarray:
        """Collapse copies to their first member, cluster those, give copies its group.

        Exact copies have equal similarities to every other item, so with weighted
        linkage (WPGMA) merging them first changes nothing else; with average
        linkage (UPGMA) a group of copies then weighs as one article.
        """
        group = copy_groups(members, edges.i[is_copy], edges.j[is_copy])
        _, first = np.unique(group, return_index=True)
        representatives = members[first]  # sorted: groups are numbered by first member
        between = edges.take(~is_copy)
        rep_i = representatives[group[np.searchsorted(members, between.i)]]
        rep_j = representatives[group[np.searchsorted(members, between.j)]]
        apart = rep_i != rep_j
        rep_edges = _Edges(rep_i[apart], rep_j[apart], between.similarity[apart])
        if representatives.size == 1:
            return np.zeros(members.size, dtype=np.int64)
        rep_groups = self.component(representatives, rep_edges, edge_threshold)
        return order_labels(rep_groups[group])


def _local_to(members: np.ndarray, edges: _Edges) -> _Edges:
    """``edges`` between positions of ``members``, as edges between the members (a
    copy: nothing of ``edges`` is held)."""
    return _Edges(members[edges.i], members[edges.j], edges.similarity.copy())


def _components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    graph = sp.coo_matrix((np.ones(i.size, dtype=np.int8), (i, j)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _agglomerate(
    similarity: np.ndarray,
    threshold: float,
    method: str,
    clearly_different: float,
    veto_distance: float,
) -> np.ndarray:
    """Agglomerative groups (0-based) of a dense similarity matrix, cut at ``threshold``."""
    similarity = np.clip(similarity, 0.0, 1.0)
    distance = 1.0 - similarity
    distance[similarity < clearly_different] = veto_distance
    np.fill_diagonal(distance, 0.0)
    distance = (distance + distance.T) / 2.0
    tree = linkage(squareform(distance, checks=False), method=method)
    # Merge while the mean distance is <= 1 - threshold (mean similarity >= threshold).
    return flat_clusters(tree, 1.0 - threshold + 1e-9)


def linkage_score(similarity: np.ndarray, clearly_different: float = CLEARLY_DIFFERENT) -> float:
    """Mean similarity of an article to a story's members, clearly different members as
    a veto: the distance agglomeration uses (``1 - s``, or :data:`VETO_DISTANCE` below
    :data:`CLEARLY_DIFFERENT`), returned as ``1 - mean distance``. It is the plain mean
    similarity when no member is clearly different.

    >>> linkage_score(np.array([0.5, 0.3]))
    0.4
    """
    distance = np.where(similarity < clearly_different, VETO_DISTANCE, 1.0 - similarity)
    return float(1.0 - distance.mean())
