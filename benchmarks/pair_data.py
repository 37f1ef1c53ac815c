"""Candidate pairs and pair features of a corpus, for training the pair model.

Research code: it computes the features with the package's public pieces
(normalise, MinHash, TF-IDF, :mod:`dedupe_news.evidence`) the way the shared
feature layer is to compute them, so the trained model sees the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from dedupe_news import Article, MinHasher
from dedupe_news.evidence import article_evidence, lead_text
from dedupe_news.evidence_table import EvidenceTable, log_length
from dedupe_news.lsh import lsh_candidate_pairs
from dedupe_news.neighbor_probe import probe_max_df
from dedupe_news.neighbors import cosine_neighbor_pairs
from dedupe_news.normalize import normalize_text, strip_boilerplate, tokenize
from dedupe_news.pair_features import cosine_similarity_pairs as _cosine_pairs
from dedupe_news.prepare import article_terms, term_counts
from dedupe_news.weighting import (
    corpus_tfidf_rows,
    document_frequencies,
    drop_unused_columns,
    smooth_idf,
    tfidf_rows,
)


def fit_tfidf(term_lists) -> sp.csr_matrix:
    """L2-normalised TF-IDF rows with IDF fitted on these rows, no stop words (the
    lead's recipe)."""
    counts = term_counts(term_lists)
    idf = smooth_idf(document_frequencies(counts), counts.shape[0])
    return drop_unused_columns(tfidf_rows(counts, idf))[0]


def fit_body_tfidf(term_lists) -> sp.csr_matrix:
    """The body's TF-IDF rows as batch clustering weighs its corpus: IDF and corpus
    stop words from these rows (:func:`dedupe_news.weighting.corpus_tfidf_rows`)."""
    return corpus_tfidf_rows(term_counts(term_lists))[0]


def cosine_similarity_pairs(matrix: sp.csr_matrix, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    return _cosine_pairs(matrix, i, matrix, j)


WINDOW_DAYS = 5.0
COPY_THRESHOLD = 0.5
CONTAINMENT_THRESHOLD = 0.8
MIN_CONTAINMENT_SHINGLES = 20


class PairContext:
    """Everything per article that the pair features need, for one corpus."""

    def __init__(self, articles: Sequence[Article], window_days: float = WINDOW_DAYS):
        self.articles = list(articles)
        self.window_days = float(window_days)
        tokens = [tokenize(strip_boilerplate(a.full_text)) for a in self.articles]
        self.n_tokens = np.array([len(t) for t in tokens], dtype=np.float64)
        self.signatures = MinHasher(num_perm=128, seed=1, shingle_size=5).sign(tokens)
        self.body = fit_body_tfidf([article_terms(t) for t in tokens])
        leads = [tokenize(normalize_text(lead_text(a.title, a.text))) for a in self.articles]
        self.lead = fit_tfidf([article_terms(t) or ["\0empty"] for t in leads])
        evidence = [article_evidence(a.title, a.text) for a in self.articles]
        self.evidence = EvidenceTable.from_evidence(evidence)
        self.n_entities = np.array([e.entities.size for e in evidence])
        self.days = np.array(
            [a.date.toordinal() if a.date else math.nan for a in self.articles], dtype=np.float64
        )

    @property
    def n(self) -> int:
        return len(self.articles)

    def candidates(
        self, floor: float, max_neighbors: int | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """LSH copy pairs plus TF-IDF neighbours (body and lead) in the date window,
        each article keeping ``max_neighbors`` (one count, or one per article)."""
        n = self.n
        copy_i, copy_j = lsh_candidate_pairs(self.signatures, threshold=COPY_THRESHOLD)
        codes = [copy_i.astype(np.int64) * n + copy_j]
        for matrix in (self.body, self.lead):
            near_i, near_j, _ = cosine_neighbor_pairs(
                matrix,
                self.days,
                window_days=self.window_days,
                min_similarity=floor,
                max_neighbors=max_neighbors,
                probe_max_df=probe_max_df(n),
            )
            codes.append(near_i.astype(np.int64) * n + near_j)
        unique = np.unique(np.concatenate(codes))
        return (unique // n).astype(np.intp), (unique % n).astype(np.intp)

    def set_neighbours(
        self, i: np.ndarray, j: np.ndarray, similarity: np.ndarray, min_similarity: float = 0.0
    ) -> None:
        """The candidate graph for ``neighbour_cosine``: rows L2-normalised, self 1;
        edges below ``min_similarity`` are left out (0: every candidate pair)."""
        n = self.n
        keep = similarity >= min_similarity
        i, j, similarity = i[keep], j[keep], similarity[keep]
        graph = sp.coo_matrix(
            (
                np.r_[similarity, similarity, np.ones(n)],
                (np.r_[i, j, np.arange(n)], np.r_[j, i, np.arange(n)]),
            ),
            shape=(n, n),
        ).tocsr()
        norms = np.sqrt(np.asarray(graph.multiply(graph).sum(axis=1)).ravel())
        self.neighbours = sp.csr_matrix(sp.diags(1.0 / norms) @ graph)

    def features(self, i: np.ndarray, j: np.ndarray) -> dict[str, np.ndarray]:
        """Every pair feature of :data:`dedupe_news.pair_model.PAIR_FEATURES`, plus
        ``in_window`` and ``is_copy`` (the hard rules)."""
        i = np.asarray(i, dtype=np.intp)
        j = np.asarray(j, dtype=np.intp)
        jaccard = self.signatures.jaccard_similarity(i, j)
        containment = self.signatures.containment_similarity(i, j, jaccard)
        smaller = np.minimum(self.signatures.shingle_counts[i], self.signatures.shingle_counts[j])
        distance = np.abs(self.days[i] - self.days[j])
        lengths_i, lengths_j = log_length(self.n_tokens[i]), log_length(self.n_tokens[j])
        features = {
            "body_cosine": cosine_similarity_pairs(self.body, i, j),
            "lead_cosine": cosine_similarity_pairs(self.lead, i, j),
            **self.evidence.entity_features(i, j),
            "quote_overlap": self.evidence.quote_overlap(i, j),
            "ticker_conflict": self.evidence.ticker_conflict(i, j),
            "jaccard": jaccard,
            "containment": np.where(smaller >= MIN_CONTAINMENT_SHINGLES, containment, 0.0),
            "log_tokens_min": np.minimum(lengths_i, lengths_j),
            "log_tokens_max": np.maximum(lengths_i, lengths_j),
            "log_length_ratio": np.abs(lengths_i - lengths_j),
            "date_distance_days": np.nan_to_num(distance, nan=0.0),
        }
        if hasattr(self, "neighbours"):
            features["neighbour_cosine"] = cosine_similarity_pairs(self.neighbours, i, j)
        features["in_window"] = ~(distance > self.window_days)
        features["is_copy"] = (jaccard >= COPY_THRESHOLD) | (
            (smaller >= MIN_CONTAINMENT_SHINGLES) & (containment >= CONTAINMENT_THRESHOLD)
        )
        return features


def component_pairs(members: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All pairs ``a < b`` of ``members``: their positions and their article rows."""
    a, b = np.triu_indices(members.size, k=1)
    return a, b, members[a], members[b]


def symmetric(size: int, a: np.ndarray, b: np.ndarray, values: np.ndarray) -> np.ndarray:
    matrix = np.zeros((size, size), dtype=np.float64)
    matrix[a, b] = values
    matrix[b, a] = values
    np.fill_diagonal(matrix, 1.0)
    return matrix


def gold_pair_share(gold: np.ndarray, i: np.ndarray, j: np.ndarray) -> tuple[int, int]:
    """(gold same-story pairs among ``(i, j)``, all gold same-story pairs)."""
    _, counts = np.unique(gold, return_counts=True)
    total = int((counts * (counts - 1) // 2).sum())
    return int((gold[i] == gold[j]).sum()), total


def sparse_upper(n: int, i: np.ndarray, j: np.ndarray) -> sp.csr_matrix:
    return sp.csr_matrix((np.ones(i.size, dtype=bool), (i, j)), shape=(n, n))
