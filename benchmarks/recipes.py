"""The clusterings under comparison: dedupe_news and the standard recipes.

Every recipe takes a list of :class:`~dedupe_news.Article` and returns one
integer label per article. The baselines are written the way they are usually
written, with their own tokenisation, so the comparison is pipeline against
pipeline.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

from dedupe_news import Article, StoryClusterer

THRESHOLD_GRID: tuple[float, ...] = tuple(round(0.05 * k, 2) for k in range(2, 19))
"""Cosine thresholds searched by the tuned TF-IDF recipes: 0.10, 0.15, ..., 0.90."""

AGGLOMERATIVE_MAX_DOCS = 3000
_WORD = re.compile(r"\w+")


@dataclass
class RecipeRun:
    """Labels from one recipe, its wall time and named sub-timings."""

    labels: np.ndarray
    seconds: float
    stages: dict[str, float] = field(default_factory=dict)
    note: str = ""


def components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Connected-component labels of the graph on ``n`` nodes with edges ``(i, j)``."""
    graph = sp.coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


# -- dedupe_news ------------------------------------------------------------------


class StageTimer:
    """A ``progress`` callback that records when each stage starts and ends."""

    def __init__(self) -> None:
        self.start: dict[str, float] = {}
        self.end: dict[str, float] = {}
        self.current = "start"
        """The stage last reported ("start" before the first report)."""
        self.totals: dict[str, int] = {}
        """The last ``total`` each stage reported (for ``scoring``: the candidate pairs)."""

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        self.start.setdefault(stage, now)
        self.end[stage] = now
        self.current = stage
        self.totals[stage] = total

    def seconds(self) -> dict[str, float]:
        return {stage: self.end[stage] - self.start[stage] for stage in self.start}


def dedupe_news(
    articles: Sequence[Article], timer: StageTimer | None = None, **params
) -> RecipeRun:
    """StoryClusterer with ``params`` (defaults otherwise), its stages timed by ``timer``."""
    timer = StageTimer() if timer is None else timer
    started = time.perf_counter()
    labels = StoryClusterer(progress=timer, **params).fit(articles).labels_
    return RecipeRun(labels, time.perf_counter() - started, timer.seconds())


# -- datasketch MinHash LSH -------------------------------------------------------


def word_shingles(text: str, size: int = 5) -> list[bytes]:
    """Distinct lower-cased word ``size``-shingles as bytes (the whole text if shorter)."""
    words = _WORD.findall(text.lower())
    if not words:
        return []
    if len(words) <= size:
        return [" ".join(words).encode()]
    return list({" ".join(words[k : k + size]).encode() for k in range(len(words) - size + 1)})


def datasketch_lsh(
    articles: Sequence[Article], threshold: float, num_perm: int = 128, seed: int = 1
) -> RecipeRun:
    """datasketch MinHash over word 5-shingles, MinHashLSH, connected components."""
    from datasketch import MinHash, MinHashLSH

    started = time.perf_counter()
    shingle_sets = [word_shingles(a.full_text) for a in articles]
    signed = time.perf_counter()
    hashes = MinHash.bulk(shingle_sets, num_perm=num_perm, seed=seed)
    hashed = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for k, (minhash, shingle_set) in enumerate(zip(hashes, shingle_sets, strict=True)):
        if shingle_set:  # empty texts would all collide with each other
            lsh.insert(k, minhash)
    edges_i, edges_j = [], []
    for k, (minhash, shingle_set) in enumerate(zip(hashes, shingle_sets, strict=True)):
        if shingle_set:
            for other in lsh.query(minhash):
                if other > k:
                    edges_i.append(k)
                    edges_j.append(other)
    queried = time.perf_counter()
    labels = components(
        len(articles), np.array(edges_i, dtype=np.intp), np.array(edges_j, dtype=np.intp)
    )
    done = time.perf_counter()
    stages = {
        "shingle": signed - started,
        "minhash": hashed - signed,
        "lsh": queried - hashed,
        "components": done - queried,
    }
    return RecipeRun(labels, done - started, stages)


# -- TF-IDF cosine ----------------------------------------------------------------


def tfidf_matrix(articles: Sequence[Article]) -> sp.csr_matrix:
    """scikit-learn TF-IDF (English stop words, sublinear tf), rows L2-normalised."""
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True)
    return vectorizer.fit_transform([a.full_text for a in articles]).tocsr()


def cosine_pairs(
    matrix: sp.csr_matrix, min_similarity: float, chunk_rows: int = 1000
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``i < j`` with cosine ``>= min_similarity``, by a chunked sparse product.

    Only ``chunk_rows`` rows of the similarity matrix exist at a time, so memory
    grows with the number of pairs kept, not with ``n ** 2``.
    """
    n = matrix.shape[0]
    transposed = matrix.T.tocsc()
    found_i, found_j, found_s = [], [], []
    for start in range(0, n, chunk_rows):
        block = (matrix[start : start + chunk_rows] @ transposed).tocoo()
        rows = block.row + start
        keep = (block.data >= min_similarity) & (block.col > rows)
        found_i.append(rows[keep])
        found_j.append(block.col[keep])
        found_s.append(block.data[keep])
    if not found_i:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty, np.empty(0)
    return np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_s)


def tfidf_threshold(articles: Sequence[Article], threshold: float) -> RecipeRun:
    """TF-IDF cosine ``>= threshold`` between any two articles, connected components."""
    started = time.perf_counter()
    matrix = tfidf_matrix(articles)
    i, j, _ = cosine_pairs(matrix, threshold)
    labels = components(len(articles), i, j)
    return RecipeRun(labels, time.perf_counter() - started)


def best_tfidf_threshold(
    articles: Sequence[Article], gold: Sequence, score, grid: Sequence[float] = THRESHOLD_GRID
) -> tuple[float, float]:
    """The grid threshold with the highest ``score(gold, labels)`` for the
    TF-IDF + components recipe on this corpus; returns ``(threshold, score)``.

    The pairs are found once at the lowest threshold and filtered for the rest.
    """
    matrix = tfidf_matrix(articles)
    i, j, similarity = cosine_pairs(matrix, min(grid))
    results = []
    for t in grid:
        keep = similarity >= t
        results.append((score(gold, components(len(articles), i[keep], j[keep])), t))
    best_score, best_t = max(results, key=lambda r: (r[0], -r[1]))
    return best_t, best_score


def _cosine_distances(matrix: sp.csr_matrix) -> np.ndarray:
    distances = 1.0 - (matrix @ matrix.T).toarray()
    np.clip(distances, 0.0, 2.0, out=distances)
    np.fill_diagonal(distances, 0.0)
    return distances


def best_agglomerative_threshold(
    articles: Sequence[Article], gold: Sequence, score, grid: Sequence[float] = THRESHOLD_GRID
) -> tuple[float, float]:
    """The grid cosine threshold (distance ``1 - t``) with the highest score for
    average-linkage agglomerative clustering; returns ``(threshold, score)``.

    The search cuts one scipy average-linkage tree at every threshold (the same
    UPGMA merges scikit-learn makes); the reported run uses scikit-learn.
    """
    distances = _cosine_distances(tfidf_matrix(articles))
    tree = linkage(squareform(distances, checks=False), method="average")
    results = []
    for t in grid:
        labels = fcluster(tree, t=1.0 - t, criterion="distance")
        results.append((score(gold, labels), t))
    best_score, best_t = max(results, key=lambda r: (r[0], -r[1]))
    return best_t, best_score


def agglomerative(articles: Sequence[Article], threshold: float) -> RecipeRun:
    """TF-IDF + scikit-learn AgglomerativeClustering, cosine, average linkage,
    merging while the mean cosine distance is below ``1 - threshold``.

    The cosine distances are precomputed from the sparse TF-IDF matrix (identical
    to ``metric="cosine"``, which would need a dense n x vocabulary copy).
    """
    started = time.perf_counter()
    distances = _cosine_distances(tfidf_matrix(articles))
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=1.0 - threshold
    )
    labels = model.fit_predict(distances)
    return RecipeRun(labels, time.perf_counter() - started)


# -- rensa (optional) -------------------------------------------------------------


def rensa_available() -> bool:
    try:
        import rensa  # noqa: F401
    except ImportError:
        return False
    return True


def rensa_lsh(
    articles: Sequence[Article], threshold: float = 0.5, num_perm: int = 128
) -> RecipeRun:
    """rensa RMinHash + RMinHashLSH over the same word 5-shingles, connected components."""
    from rensa import RMinHash, RMinHashLSH

    started = time.perf_counter()
    shingle_sets = [word_shingles(a.full_text) for a in articles]
    num_bands = 32  # 4 rows a band: the S-curve's midpoint sits near 0.42
    lsh = RMinHashLSH(threshold=threshold, num_perm=num_perm, num_bands=num_bands)
    hashes = []
    for k, shingle_set in enumerate(shingle_sets):
        minhash = RMinHash(num_perm=num_perm, seed=1)
        minhash.update([s.decode() for s in shingle_set])
        hashes.append(minhash)
        if shingle_set:
            lsh.insert(k, minhash)
    edges_i, edges_j = [], []
    for k, minhash in enumerate(hashes):
        if shingle_sets[k]:
            for other in lsh.query(minhash):
                if other > k and minhash.jaccard(hashes[other]) >= threshold:
                    edges_i.append(k)
                    edges_j.append(other)
    labels = components(
        len(articles), np.array(edges_i, dtype=np.intp), np.array(edges_j, dtype=np.intp)
    )
    return RecipeRun(labels, time.perf_counter() - started)
