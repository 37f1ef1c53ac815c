"""The :class:`CandidateFinder`: stored articles near a new one, from LSH bands and postings."""

from __future__ import annotations

import math

import numpy as np

from ..lsh import lsh_band_keys, lsh_params
from .pairs import Prepared
from .sql import UNDATED
from .storage import Store


def impact(normalised: np.ndarray) -> np.ndarray:
    """A posting's stored weight: the term's L2-normalised TF-IDF when the article was
    added, times 1000 and at least 1. It ranks rewrite candidates in
    :meth:`CandidateFinder.top_candidates` (IDF drifts after that; exact scores use
    the current IDF)."""
    return np.maximum(np.rint(normalised * 1000.0), 1).astype(np.int64)


class CandidateFinder:
    """The ``bands`` and ``postings`` tables: what they store for an article, and the
    stored articles they find for a new one.

    Copy candidates share an LSH band; rewrite candidates are dated inside the
    window and share one of the article's ``top_terms`` most distinctive terms
    (the ``per_term_limit`` most recent postings of each).
    """

    def __init__(self, store: Store, settings: dict) -> None:
        self.store = store
        self.window_days = settings["window_days"]
        self.top_terms = settings["top_terms"]
        self.per_term_limit = settings["per_term_limit"]
        self.bands, self.rows_per_band = lsh_params(
            settings["copy_threshold"], settings["num_perm"]
        )
        marks = ",".join("?" * self.bands)
        self._band_sql = f"SELECT key, band, article FROM bands WHERE key IN ({marks})"

    # -- LSH bands -------------------------------------------------------------

    def band_keys(self, signature: np.ndarray) -> list[int]:
        """LSH band keys exactly as :func:`~dedupe_news.lsh.lsh_candidate_pairs` makes them."""
        return self.band_key_matrix(signature[None, :])[0].tolist()

    def band_key_matrix(self, signatures: np.ndarray) -> np.ndarray:
        """Band keys of each row of ``signatures``, shape (n, bands), as int64 (SQLite's
        integers), by :func:`~dedupe_news.lsh.lsh_band_keys`."""
        return lsh_band_keys(signatures, self.bands, self.rows_per_band).view(np.int64)

    def keys_of(self, p: Prepared) -> list[int]:
        """``p``'s band keys (computed once)."""
        if p.band_keys is None:
            p.band_keys = self.band_keys(p.signature)
        return p.band_keys

    def copy_candidates(self, p: Prepared) -> set[int]:
        """Stored articles sharing an LSH band with ``p``."""
        keys = self.keys_of(p)
        return {
            article
            for key, band, article in self.store.conn.execute(self._band_sql, keys)
            if keys[band] == key
        }

    # -- postings ----------------------------------------------------------------

    def _top_terms(self, term_ids: np.ndarray, tfidf: np.ndarray) -> tuple[list, list]:
        """The ``top_terms`` terms of highest TF-IDF, and their weights."""
        ranked = np.argsort(-tfidf, kind="stable")[: self.top_terms]
        return term_ids[ranked].tolist(), tfidf[ranked].tolist()

    def _postings_params(self, p: Prepared, term: int, weight: float) -> tuple:
        """Parameters of one term's postings subquery (see ``_postings_sql``)."""
        limit = self.per_term_limit
        w = self.window_days
        if math.isnan(p.day) or math.isinf(w):
            return (weight, term, limit)
        # Inside the window, and undated articles (stored with day = inf).
        return (weight, term, p.day - w, p.day + w, limit, weight, term, UNDATED, limit)

    def _postings_sql(self, p: Prepared, terms: int) -> str:
        """``terms`` postings subqueries (most recent first, at most ``per_term_limit``
        each), each row as (article, impact times the term's weight)."""
        anywhere = math.isnan(p.day) or math.isinf(self.window_days)
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

    def _postings_query(self, p: Prepared, term_ids: np.ndarray, tfidf: np.ndarray):
        terms, weights = self._top_terms(term_ids, tfidf)
        params = [
            x for t, w in zip(terms, weights, strict=True) for x in self._postings_params(p, t, w)
        ]
        return self._postings_sql(p, len(terms)), params

    def candidates(
        self, p: Prepared, term_ids: np.ndarray, tfidf: np.ndarray
    ) -> tuple[set[int], set[int]]:
        """Stored articles sharing an LSH band with ``p``, and those in its date
        window sharing one of its ``top_terms`` most distinctive terms."""
        copies = self.copy_candidates(p)
        if not term_ids.size or not self.top_terms:
            return copies, set()
        postings, params = self._postings_query(p, term_ids, tfidf)
        sql = f"SELECT DISTINCT article FROM ({postings})"
        return copies, {r for (r,) in self.store.conn.execute(sql, params)}

    def top_candidates(
        self, p: Prepared, term_ids: np.ndarray, tfidf: np.ndarray, limit: int
    ) -> set[int]:
        """The ``limit`` rewrite candidates (see :meth:`candidates`) that share the most
        weight of ``p``'s top terms: the sum over shared terms of the term's TF-IDF
        in ``p`` times its stored impact. One SQL statement."""
        if not term_ids.size:
            return set()
        postings, params = self._postings_query(p, term_ids, tfidf)
        sql = (
            f"SELECT article FROM ({postings}) "
            "GROUP BY article ORDER BY sum(w) DESC, article LIMIT ?"
        )
        return {r for (r,) in self.store.conn.execute(sql, [*params, limit])}

    # -- writing -------------------------------------------------------------------

    def index_article(self, rowid: int, p: Prepared, normalised: np.ndarray) -> None:
        """Store the bands and postings of one article (``normalised``: the L2-normalised
        TF-IDF of its terms)."""
        conn = self.store.conn
        term_ids = p.term_ids
        posting_day = UNDATED if math.isnan(p.day) else p.day
        conn.executemany(
            "INSERT INTO postings (term_id, day, article, impact) VALUES (?, ?, ?, ?)",
            zip(
                term_ids.tolist(),
                [posting_day] * term_ids.size,
                [rowid] * term_ids.size,
                impact(normalised).tolist(),
                strict=True,
            ),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO bands (key, band, article) VALUES (?, ?, ?)",
            [(key, band, rowid) for band, key in enumerate(self.keys_of(p))],
        )

    def unindex_article(
        self, rowid: int, day: float | None, signature: np.ndarray, term_ids: np.ndarray
    ) -> None:
        """Delete what :meth:`index_article` stored for an article."""
        conn = self.store.conn
        conn.executemany(
            "DELETE FROM postings WHERE term_id = ? AND day = ? AND article = ?",
            [(int(t), UNDATED if day is None else day, rowid) for t in term_ids],
        )
        conn.executemany(
            "DELETE FROM bands WHERE key = ? AND band = ? AND article = ?",
            [(key, band, rowid) for band, key in enumerate(self.band_keys(signature))],
        )
