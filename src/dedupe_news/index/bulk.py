"""The :class:`BulkLoader`: a large call clustered as one batch with the stored articles
near it, written with sorted bulk inserts."""

from __future__ import annotations

import dataclasses
import math
import sqlite3

import numpy as np
import scipy.sparse as sp

from ..articles import Article
from ..clustering import cluster_pairs
from ..decision import DecisionRule, PairScores, PairTable
from ..minhash import MinHasher, Signatures
from ..pair_features import ArticleRows
from ..scoring import ModelScorer, RuleScorer
from ..similarity_matrix import copy_matrix
from ..timestamps import article_timestamp
from ..weighting import smooth_idf, tfidf_rows
from .bulk_prepare import Batch, prepare_batch
from .candidates import CandidateFinder, impact
from .evidence_rows import insert_evidence
from .recluster import StoryIds, story_ids_for_groups
from .records import IndexAssignment, empty_assignment
from .rows import Rows, Vocabulary
from .span import load_span, model_scorer
from .sql import UNDATED
from .storage import Store


def _insert_sorted(conn: sqlite3.Connection, sql: str, *columns: np.ndarray) -> None:
    """``executemany(sql)`` over rows sorted by their columns (appends to the B-trees),
    a million rows at a time."""
    order = np.lexsort(columns[::-1])
    step = 1_000_000
    for start in range(0, order.size, step):
        chunk = order[start : start + step]
        conn.executemany(sql, zip(*(c[chunk].tolist() for c in columns), strict=True))


def _insert_postings(
    conn: sqlite3.Connection,
    terms: np.ndarray,
    impacts: np.ndarray,
    lengths: np.ndarray,
    day: np.ndarray,
    rowids: np.ndarray,
) -> None:
    """Insert postings in key order (term, day, article), a million at a time.

    ``terms`` and ``impacts`` are per entry, articles one after the other
    (``lengths`` entries each); ``day`` (inf when undated) and ``rowids`` per
    article. One int64 sort key, so the memory is a few arrays of the entry count.
    """
    n = lengths.size
    article_rank = np.empty(n, dtype=np.int64)
    article_rank[np.lexsort((rowids, day))] = np.arange(n)
    key = terms.astype(np.int64) * max(n, 1) + np.repeat(article_rank, lengths)
    order = np.argsort(key)
    del key
    article = np.repeat(np.arange(n, dtype=np.int32), lengths)
    step = 1_000_000
    for start in range(0, order.size, step):
        chunk = order[start : start + step]
        of = article[chunk]
        conn.executemany(
            "INSERT INTO postings (term_id, day, article, impact) VALUES (?, ?, ?, ?)",
            zip(
                terms[chunk].tolist(),
                day[of].tolist(),
                rowids[of].tolist(),
                impacts[chunk].tolist(),
                strict=True,
            ),
        )


class BulkLoader:
    """``add(bulk=True)``: the steps of batch clustering over a call and its neighbours."""

    def __init__(
        self,
        store: Store,
        finder: CandidateFinder,
        hasher: MinHasher,
        rule: DecisionRule,
        settings: dict,
    ) -> None:
        self.store = store
        self.finder = finder
        self.hasher = hasher
        self.rule = rule
        self.max_neighbors = settings["max_neighbors"]
        self.max_component = settings["max_component"]
        self.linkage = settings["linkage"]

    def add(
        self, articles: list[Article], vocab: Vocabulary, ids: StoryIds, n_jobs: int | None
    ) -> list[IndexAssignment]:
        """Cluster ``articles`` with the stored ones near them in date as one batch; store all.

        The same steps as :meth:`StoryClusterer.fit <dedupe_news.pipeline.StoryClusterer.fit>`
        over the batch and the stored articles within two windows of it (IDF over
        the whole index): LSH copy pairs, TF-IDF neighbours in the date window,
        pair scores, then :func:`~dedupe_news.clustering.cluster_pairs`.
        """
        if not articles:
            return []
        conn = self.store.conn
        batch = prepare_batch(
            articles, self.hasher, n_jobs, with_evidence=self.store.model is not None
        )
        if batch.positions.size == 0:  # nothing new with text: nothing to store
            return [empty_assignment(a.id) for a in articles]
        stored = load_span(self.store, self.rule.window_days, batch.day)
        m, n = stored.rowid.size, batch.day.size
        total = m + n
        # Count the batch in N and df first: batch IDF includes every article.
        touched_terms, doc_counts = np.unique(batch.term_ids, return_counts=True)
        vocab.df[touched_terms] += doc_counts
        vocab.n_articles += n
        lengths = np.concatenate([stored.lengths, batch.lengths])
        indices = np.concatenate([stored.term_ids.astype(np.int32), batch.term_ids])
        # Only the terms in use as columns (in hashed order, as batch drops unused ones).
        in_use = np.zeros(vocab.df.size, dtype=bool)
        in_use[indices] = True
        columns = np.flatnonzero(in_use)
        column_of = (np.cumsum(in_use, dtype=np.int64) - 1).astype(np.int32)
        counts = sp.csr_matrix(
            (
                np.concatenate([stored.counts, batch.counts]),
                column_of[indices],
                np.r_[0, np.cumsum(lengths)],
            ),
            shape=(total, columns.size),
        )
        del indices, in_use, column_of  # temporaries of nnz entries
        df = vocab.df[columns]
        stop = vocab.stop_mask(columns, df, vocab.n_articles)
        matrix = tfidf_rows(counts, smooth_idf(df, vocab.n_articles), stop)
        del counts, df
        # Postings of the batch: every stored term, a stop word's weight is 0.
        entries = slice(int(matrix.indptr[m]), int(matrix.indptr[total]))
        posting_terms = columns[matrix.indices[entries]]
        posting_impacts = impact(matrix.data[entries]).astype(np.int32)
        matrix.eliminate_zeros()  # stop words out of the search, as in batch
        days = np.concatenate([stored.day, batch.day])
        signatures = Signatures(
            np.concatenate([stored.signatures, batch.signatures]),
            np.concatenate([stored.shingles, batch.shingles]).astype(np.int32),
        )
        rows = ArticleRows(tfidf=matrix, signatures=signatures, days=days)
        scorer = self._scorer(rows, stored, batch, n_jobs)
        pair_i, pair_j = scorer.candidates(n_jobs, probe_articles=vocab.n_articles)
        table = scorer.score(pair_i, pair_j)
        copies = copy_matrix(total, table.i, table.j, table.story_similarity)
        groups = cluster_pairs(
            total,
            table.i,
            table.j,
            table.story_similarity,
            threshold=scorer.threshold,
            component_similarity=lambda members: scorer.matrix(members, copies),
            linkage_method=scorer.linkage_method(self.linkage),
            max_component=self.max_component,
            clearly_different=scorer.clearly_different,
            veto_distance=scorer.veto_distance,
            prefetch=lambda groups: scorer.prefetch(groups, copies),
        )
        first_new_story = ids.next_id
        old = np.concatenate([stored.story, np.full(n, -1, dtype=np.int64)])
        story = story_ids_for_groups(old, groups, ids)

        # Write: terms, articles, postings, bands, edges; sorted by key for fast inserts.
        conn.execute("PRAGMA cache_size = -262144")  # 256 MiB while writing in bulk
        self.store.set_term_counts(touched_terms, vocab.df[touched_terms])
        first = self.store.changes.first_rowid
        rowids = np.arange(first, first + n, dtype=np.int64)
        self.store.write_stories(stored.rowid, stored.story, story[:m], vocab.n_articles)
        self._insert_articles(batch, articles, rowids, story[m:], vocab.n_articles)
        if batch.evidence is not None:
            insert_evidence(conn, rowids, batch.evidence, batch.token_counts)
        all_rowids = np.concatenate([stored.rowid, rowids])
        _insert_postings(
            conn,
            posting_terms,
            posting_impacts,
            batch.lengths,
            np.where(np.isnan(batch.day), UNDATED, batch.day),
            rowids,
        )
        keys = self.finder.band_key_matrix(batch.signatures)
        bands = self.finder.bands
        _insert_sorted(
            conn,
            "INSERT OR IGNORE INTO bands (key, band, article) VALUES (?, ?, ?)",
            keys.ravel(),
            np.tile(np.arange(bands, dtype=np.int64), n),
            np.repeat(rowids, bands),
        )
        edge = table.story_similarity >= scorer.threshold
        a, b = all_rowids[table.i[edge]], all_rowids[table.j[edge]]
        score = table.story_similarity[edge]
        _insert_sorted(
            conn,
            "INSERT OR REPLACE INTO edges (a, b, score) VALUES (?, ?, ?)",
            np.concatenate([a, b]),
            np.concatenate([b, a]),
            np.concatenate([score, score]),
        )
        ids_of_rows = stored.ids + [articles[k].id for k in batch.positions.tolist()]
        return self._assignments(
            articles,
            batch.positions,
            ids_of_rows,
            scorer,
            table,
            groups,
            story,
            first_new_story,
        )

    def _scorer(
        self, rows: ArticleRows, stored: Rows, batch: Batch, n_jobs: int | None
    ) -> RuleScorer | ModelScorer:
        """The fixed rule's scorer, or the stored model's (see :func:`.span.model_scorer`)."""
        if self.store.model is None:
            return RuleScorer(self.rule, rows, self.max_neighbors)
        new = (batch.evidence, batch.token_counts)
        return model_scorer(self.store, self.rule, rows, stored, new, n_jobs)

    def _assignments(
        self,
        articles: list[Article],
        positions: np.ndarray,
        ids: list[str],
        scorer: RuleScorer | ModelScorer,
        table: PairTable,
        groups: np.ndarray,
        story: np.ndarray,
        first_new_story: int,
    ) -> list[IndexAssignment]:
        """One assignment per article (rows ``len(ids) - len(positions)`` on are the
        batch): its story, and its closest fellow member among the scored pairs."""
        m = len(ids) - positions.size
        same = np.flatnonzero(groups[table.i] == groups[table.j])
        ends = np.concatenate([table.i[same], table.j[same]])
        others = np.concatenate([table.j[same], table.i[same]])
        pairs = np.concatenate([same, same])
        order = np.lexsort((-table.story_similarity[pairs], ends))  # best pair first per row
        ends, others, pairs = ends[order], others[order], pairs[order]
        lead = np.r_[True, ends[1:] != ends[:-1]] if ends.size else np.zeros(0, dtype=bool)
        best = dict(
            zip(
                ends[lead].tolist(),
                zip(others[lead].tolist(), pairs[lead].tolist(), strict=True),
                strict=True,
            )
        )
        batch_rows = [r for r in range(m, len(ids)) if r in best]
        picks = np.array([best[r][1] for r in batch_rows], dtype=np.intp)
        explained = dict(zip(batch_rows, scorer.table_pair_scores(table, picks, ids), strict=True))
        results = [empty_assignment(a.id) for a in articles]
        for r, position in enumerate(positions.tolist(), start=m):
            sid = int(story[r])
            score, scores = 0.0, None
            if r in best:
                score = float(table.story_similarity[best[r][1]])
                scores = _with_first(explained[r], ids[r])
            results[position] = IndexAssignment(
                article_id=ids[r],
                story_id=sid,
                is_new_story=sid >= first_new_story,
                score=score,
                best=scores,
            )
        return results

    def _insert_articles(
        self, batch: Batch, articles: list[Article], rowids: np.ndarray, story: np.ndarray, n: int
    ) -> None:
        """Insert the batch's article rows, 20,000 at a time (BLOBs built per chunk)."""
        num_perm = self.hasher.num_perm
        generation = self.store.changes.generation
        bounds = np.r_[0, np.cumsum(batch.lengths)]
        step = 20_000
        for start in range(0, batch.positions.size, step):
            stop = min(start + step, batch.positions.size)
            lo, hi = int(bounds[start]), int(bounds[stop])
            signatures = batch.signatures[start:stop].astype("<u4").tobytes()
            terms = batch.term_ids[lo:hi].astype("<i4").tobytes()
            counts = batch.counts[lo:hi].astype("<f4").tobytes()
            offsets = (bounds[start : stop + 1] - lo) * 4
            rows = []
            for k, position in enumerate(batch.positions[start:stop].tolist()):
                a = articles[position]
                day = batch.day[start + k]
                a_lo, a_hi = int(offsets[k]), int(offsets[k + 1])
                rows.append(
                    (
                        int(rowids[start + k]),
                        a.id,
                        int(story[start + k]),
                        None if math.isnan(day) else float(day),
                        a.date.isoformat() if a.date else None,
                        None if math.isnan(seconds := article_timestamp(a)) else seconds,
                        a.title,
                        a.source,
                        int(batch.shingles[start + k]),
                        n,
                        generation,
                        signatures[k * num_perm * 4 : (k + 1) * num_perm * 4],
                        terms[a_lo:a_hi],
                        counts[a_lo:a_hi],
                    )
                )
            self.store.conn.executemany(
                "INSERT INTO articles (rowid, id, story, day, date, time, title, source, "
                "shingles, clustered_n, changed, signature, term_ids, term_counts) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )


def _with_first(scores: PairScores, article_id: str) -> PairScores:
    """``scores`` with ``article_id`` first (a table pair may hold it second)."""
    if scores.id_a == article_id:
        return scores
    return dataclasses.replace(scores, id_a=scores.id_b, id_b=scores.id_a)
