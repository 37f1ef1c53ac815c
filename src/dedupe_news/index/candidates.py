"""Finding and scoring stored articles near a new one: LSH bands, postings, features."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..articles import Article
from ..clustering import CLEARLY_DIFFERENT, VETO_DISTANCE
from ..decision import PairScores
from ..normalize import content_terms, strip_boilerplate, tokenize
from ..pair_features import PairFeatures
from .storage import (
    _UNDATED,
    _concat,
    _decode,
    _in_chunks,
    _Rows,
    _Vocab,
)


@dataclass
class _Prepared:
    article: Article
    day: float
    shingles: int
    signature: np.ndarray
    terms: list[str]
    weights: np.ndarray  # sublinear tf, aligned with terms


class _CandidateSearch:
    """Preparing articles, finding candidates in the file, scoring them (a StoryIndex part)."""

    def _prepare(self, articles: Sequence[Article]) -> list[_Prepared]:
        tokens = [tokenize(strip_boilerplate(a.full_text)) for a in articles]
        signatures = self._hasher.sign(tokens)
        prepared = []
        for k, article in enumerate(articles):
            counts: dict[str, int] = {}
            for term in content_terms(tokens[k]) or tokens[k]:
                counts[term] = counts.get(term, 0) + 1
            terms = list(counts)
            weights = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(terms)))
            prepared.append(
                _Prepared(
                    article=article,
                    day=float(article.date.toordinal()) if article.date else math.nan,
                    shingles=int(signatures.shingle_counts[k]),
                    signature=signatures.hashvalues[k],
                    terms=terms,
                    weights=weights,
                )
            )
        return prepared

    def _band_keys(self, signature: np.ndarray) -> list[int]:
        """LSH band keys exactly as :func:`~dedupe_news.minhash.lsh_candidate_pairs` makes them."""
        return self._band_key_matrix(signature[None, :])[0].tolist()

    def _band_key_matrix(self, signatures: np.ndarray) -> np.ndarray:
        """Band keys of each row of ``signatures``, shape (n, bands), as int64."""
        rows = self._rows_per_band
        n = signatures.shape[0]
        block = np.asarray(signatures[:, : self._bands * rows], dtype=np.uint64).reshape(
            n, self._bands, rows
        )
        key = np.broadcast_to(np.arange(1, self._bands + 1, dtype=np.uint64), (n, self._bands))
        with np.errstate(over="ignore"):
            for col in range(rows):
                key = (key * np.uint64(0x100000001B3)) ^ block[:, :, col]
        return key.view(np.int64)

    def _copy_candidates(self, p: _Prepared) -> set[int]:
        """Stored articles sharing an LSH band with ``p``."""
        keys = self._band_keys(p.signature)
        return {
            article
            for key, band, article in self._conn.execute(self._band_sql, keys)
            if keys[band] == key
        }

    def _top_terms(self, term_ids: np.ndarray, tfidf: np.ndarray) -> tuple[list, list]:
        """The ``top_terms`` terms of highest TF-IDF, and their weights."""
        ranked = np.argsort(-tfidf, kind="stable")[: self._settings["top_terms"]]
        return term_ids[ranked].tolist(), tfidf[ranked].tolist()

    def _postings_params(self, p: _Prepared, term: int, weight: float) -> tuple:
        """Parameters of one term's postings subquery (see ``_postings_sql``)."""
        limit = self._settings["per_term_limit"]
        w = self.rule.window_days
        if math.isnan(p.day) or math.isinf(w):
            return (weight, term, limit)
        # Inside the window, and undated articles (stored with day = inf).
        return (weight, term, p.day - w, p.day + w, limit, weight, term, _UNDATED, limit)

    def _postings_sql(self, p: _Prepared, terms: int) -> str:
        """``terms`` postings subqueries (most recent first, at most ``per_term_limit``
        each), each row as (article, impact times the term's weight)."""
        anywhere = math.isnan(p.day) or math.isinf(self.rule.window_days)
        one = (
            "SELECT * FROM (SELECT article, impact * ? AS w FROM postings WHERE term_id = ? "
            + ("" if anywhere else "AND day BETWEEN ? AND ? ")
            + "ORDER BY day DESC LIMIT ?)"
        )
        if not anywhere:
            one += (
                " UNION ALL SELECT * FROM (SELECT article, impact * ? AS w FROM postings "
                "WHERE term_id = ? AND day = ? LIMIT ?)"
            )
        return " UNION ALL ".join([one] * terms)

    def _candidates(
        self, p: _Prepared, term_ids: np.ndarray, tfidf: np.ndarray
    ) -> tuple[set[int], set[int]]:
        """Stored articles sharing an LSH band with ``p``, and those in its date
        window sharing one of its ``top_terms`` most distinctive terms."""
        terms, weights = self._top_terms(term_ids, tfidf)
        if not terms:
            return self._copy_candidates(p), set()
        params = [
            x for t, w in zip(terms, weights, strict=True) for x in self._postings_params(p, t, w)
        ]
        sql = f"SELECT DISTINCT article FROM ({self._postings_sql(p, len(terms))})"
        return self._copy_candidates(p), {r for (r,) in self._conn.execute(sql, params)}

    def _top_candidates(self, p: _Prepared, term_ids: np.ndarray, tfidf: np.ndarray) -> set[int]:
        """The ``query_candidates`` rewrite candidates (see :meth:`_candidates`) that share
        the most weight of ``p``'s top terms: the sum over shared terms of the term's
        TF-IDF in ``p`` times its stored impact. One SQL statement."""
        terms, weights = self._top_terms(term_ids, tfidf)
        if not terms:
            return set()
        params = [
            x for t, w in zip(terms, weights, strict=True) for x in self._postings_params(p, t, w)
        ]
        sql = (
            f"SELECT article FROM ({self._postings_sql(p, len(terms))}) "
            "GROUP BY article ORDER BY sum(w) DESC, article LIMIT ?"
        )
        return {
            r for (r,) in self._conn.execute(sql, [*params, self._settings["query_candidates"]])
        }

    def _load(self, where: str, params: Sequence) -> _Rows:
        rows = self._conn.execute(
            "SELECT rowid, id, story, day, shingles, signature, term_ids, term_weights "
            f"FROM articles WHERE {where}",
            params,
        ).fetchall()
        return _decode(rows, self._hasher.num_perm)

    def _load_rowids(self, rowids: Sequence[int]) -> _Rows:
        parts = []
        for chunk, marks in _in_chunks(rowids):
            parts.append(self._load(f"rowid IN ({marks})", chunk))
        return _concat(parts, self._hasher.num_perm)

    def _best_pair(self, p: _Prepared, ids: list[str], sims: np.ndarray, features: dict):
        """The PairScores of the article with its most similar member."""
        k = int(np.argmax(sims))
        return PairScores.from_features(
            p.article.id, ids[k], self.rule, _pair_features(features), k
        )

    def _score(
        self,
        p: _Prepared,
        vector: tuple[np.ndarray, np.ndarray],
        rows: _Rows,
        vocab: _Vocab,
        extra: int,
    ) -> tuple[np.ndarray, dict]:
        """story_similarity of ``p`` with each loaded row, and the features."""
        n = len(rows.ids)
        q_ids, q_vals = vector
        terms = rows.term_ids
        if q_ids.size:
            pos = np.minimum(np.searchsorted(q_ids, terms), q_ids.size - 1)
            shared = q_ids[pos] == terms
        else:
            pos, shared = np.zeros(terms.size, dtype=np.intp), np.zeros(terms.size, dtype=bool)
        # A queried article counts in N and in the df of its own terms (extra=1).
        df = vocab.df[terms] + extra * shared
        w = rows.weights * (np.log((1.0 + vocab.n_articles + extra) / (1.0 + df)) + 1.0)
        row = rows.term_rows()
        norm = np.sqrt(np.bincount(row, weights=w * w, minlength=n))
        dot = np.bincount(row[shared], weights=w[shared] * q_vals[pos[shared]], minlength=n)
        with np.errstate(divide="ignore", invalid="ignore"):
            cosine = np.where(norm > 0, np.clip(dot / norm, 0.0, 1.0), 0.0)
        equal = rows.signatures == p.signature[None, :]
        jaccard = equal.mean(axis=1) if n else np.zeros(0)
        size_i = float(p.shingles)
        size_j = rows.shingles.astype(np.float64)
        smaller = np.minimum(size_i, size_j)
        with np.errstate(divide="ignore", invalid="ignore"):
            containment = np.where(
                smaller > 0, jaccard / (1.0 + jaccard) * (size_i + size_j) / smaller, 0.0
            )
        containment = np.clip(containment, 0.0, 1.0)
        distance = np.abs(rows.day - p.day)
        story = np.asarray(
            self.rule.story_similarity_of(
                cosine=cosine,
                jaccard=jaccard,
                containment=containment,
                date_distance_days=distance,
                smaller_shingles=smaller,
            ),
            dtype=np.float64,
        ).reshape(n)
        features = {
            "cosine": cosine,
            "jaccard": jaccard,
            "containment": containment,
            "distance": distance,
            "smaller": smaller,
        }
        return story, features

    def _rank(
        self,
        p: _Prepared,
        term_ids: np.ndarray,
        tfidf: np.ndarray,
        idf: np.ndarray,
        vocab: _Vocab,
        *,
        extra: int,
        norm_weights: np.ndarray | None = None,
        limit: int,
    ) -> list[tuple[int, float, int, PairScores]]:
        """Stories ``p`` could join: (story id, linkage score, size, best pair), best
        first, at most ``limit`` of them, with a linkage score at or above the threshold."""
        full = tfidf if norm_weights is None else norm_weights
        norm = float(np.sqrt(full @ full))
        if norm == 0.0:
            norm = 1.0
        order = np.argsort(term_ids)
        vector = (term_ids[order], tfidf[order] / norm)
        candidates = sorted(self._copy_candidates(p) | self._top_candidates(p, term_ids, tfidf))
        if not candidates:
            return []
        rows = self._load_rowids(candidates)
        story_sim, _ = self._score(p, vector, rows, vocab, extra)
        # Stories with a candidate at or above the threshold: the closest first, at most
        # max(4 * limit, 20) of them (bounds the work of an article near many stories).
        close = story_sim >= self.rule.rewrite_threshold
        best_of: dict[int, float] = {}
        for story, sim in zip(rows.story[close].tolist(), story_sim[close].tolist(), strict=True):
            best_of[story] = max(best_of.get(story, 0.0), sim)
        hopeful = sorted(best_of, key=lambda s: (-best_of[s], s))[: max(4 * limit, 20)]
        hopeful.sort()
        if not hopeful:
            return []
        # Every hopeful story's most recent members, loaded and scored at once.
        rowids = []
        for chunk, marks in _in_chunks(hopeful):
            rowids.extend(
                r
                for (r,) in self._conn.execute(
                    "SELECT rowid FROM (SELECT rowid, row_number() OVER "
                    "(PARTITION BY story ORDER BY rowid DESC) AS k "
                    f"FROM articles WHERE story IN ({marks})) WHERE k <= ?",
                    (*chunk, self._settings["max_story_members"]),
                )
            )
        members = self._load_rowids(sorted(rowids))
        sims, features = self._score(p, vector, members, vocab, extra)
        scored = []
        for story in hopeful:
            mine = np.flatnonzero(members.story == story)
            score = _linkage_score(sims[mine]) if mine.size else 0.0
            if score >= self.rule.rewrite_threshold:
                scored.append((story, score, mine))
        scored.sort(key=lambda r: (-r[1], r[0]))
        ranked = []
        for story, score, mine in scored[:limit]:
            part_features = {name: value[mine] for name, value in features.items()}
            ids = [members.ids[k] for k in mine.tolist()]
            best = self._best_pair(p, ids, sims[mine], part_features)
            ranked.append((story, score, mine.size, best))
        return ranked


def _pair_features(features: dict) -> PairFeatures:
    return PairFeatures(
        cosine_similarity=features["cosine"],
        jaccard_similarity=features["jaccard"],
        containment_similarity=features["containment"],
        date_distance_days=features["distance"],
        smaller_shingles=np.asarray(features["smaller"]).astype(np.int64),
    )


def _linkage_score(similarity: np.ndarray) -> float:
    """Mean similarity to a story's members, clearly different members as a veto.

    The same distance as batch agglomeration: ``1 - s``, or ``VETO_DISTANCE``
    below ``CLEARLY_DIFFERENT``; returned as ``1 - mean distance``, so it is the
    plain mean similarity when no member is clearly different.
    """
    distance = np.where(similarity < CLEARLY_DIFFERENT, VETO_DISTANCE, 1.0 - similarity)
    return float(1.0 - distance.mean())
