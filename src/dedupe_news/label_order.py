"""Cluster labels: numbered by first item (:func:`order_labels`), and cut from a
linkage tree (:func:`flat_clusters`)."""

from __future__ import annotations

import numpy as np

__all__ = ["flat_clusters", "order_labels"]


def flat_clusters(tree: np.ndarray, cutoff: float) -> np.ndarray:
    """The clusters of ``fcluster(tree, t=cutoff, criterion="distance")``, 0-based and
    numbered by first item; without its checks of the tree, which cost more than the
    cut itself on the many small components of a corpus.

    A merge joins its two sides when no merge below it, itself included, is higher
    than ``cutoff`` (scipy's maximum distance per cluster, so an inversion is handled
    as fcluster handles it).

    >>> from scipy.cluster.hierarchy import linkage
    >>> tree = linkage([0.1, 0.9, 0.8], method="weighted")
    >>> flat_clusters(tree, 0.5).tolist()
    [0, 0, 1]
    """
    n = tree.shape[0] + 1
    leader = list(range(n))  # union-find over the items
    highest = [0.0] * n  # the highest merge below each node (items: none)
    any_item = list(range(n))  # one item under each node

    def find(item: int) -> int:
        while leader[item] != item:
            leader[item] = leader[leader[item]]
            item = leader[item]
        return item

    for left, right, height, _ in tree.tolist():
        left, right = int(left), int(right)
        top = max(height, highest[left], highest[right])
        highest.append(top)
        any_item.append(any_item[left])
        if top <= cutoff:
            leader[find(any_item[right])] = find(any_item[left])
    return order_labels(np.array([find(item) for item in range(n)], dtype=np.int64))


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
