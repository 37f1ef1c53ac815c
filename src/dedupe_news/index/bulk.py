"""Bulk add: a large call clustered as one batch with the stored articles near it."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..articles import Article
from ..clustering import cluster_pairs, component_similarity, copy_matrix
from ..decision import PairScores, PairTable
from ..minhash import MinHasher, Signatures, lsh_candidate_pairs
from ..neighbors import cosine_neighbor_pairs, probe_max_df
from ..normalize import content_terms, strip_boilerplate, tokenize
from ..pair_features import ArticleRows, pair_features
from ..parallel import map_tasks
from .recluster import _inherit_ids
from .records import IndexAssignment, _empty_assignment
from .storage import (
    _SPAN_WINDOWS,
    _UNDATED,
    _concat,
    _insert_sorted,
    _Rows,
    _Vocab,
)


@dataclass
class _Batch:
    """Articles prepared for a bulk add: those with text, as parallel arrays."""

    positions: np.ndarray  # index into the call's articles
    day: np.ndarray
    shingles: np.ndarray
    signatures: np.ndarray
    lengths: np.ndarray
    term_ids: np.ndarray  # sorted within each article
    weights: np.ndarray  # sublinear tf
    new_terms: dict[str, int]  # terms first seen in this batch, with their new ids


_BULK_CHUNK = 2000


def _prepare_batch(
    articles: Sequence[Article], hasher: MinHasher, vocab: _Vocab, n_jobs: int | None
) -> _Batch:
    """Normalise, sign and count terms (in ``n_jobs`` processes); give new terms ids."""
    tasks = (
        [a.full_text for a in articles[start : start + _BULK_CHUNK]]
        for start in range(0, len(articles), _BULK_CHUNK)
    )
    n_tasks = -(-len(articles) // _BULK_CHUNK)
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("shingles", "signatures", "lengths", "term_ids", "weights")
    }
    new_terms: dict[str, int] = {}
    for signatures, shingles, chunk_terms, lengths, local, counts in map_tasks(
        _prepare_bulk_chunk, tasks, state={"hasher": hasher}, n_jobs=n_jobs, n_tasks=n_tasks
    ):
        ids = np.empty(len(chunk_terms), dtype=np.int64)
        for k, term in enumerate(chunk_terms):
            tid = vocab.ids.get(term)
            if tid is None:
                tid = vocab.ids[term] = new_terms[term] = len(vocab.ids)
            ids[k] = tid
        term_ids = ids[local]
        # Sort each article's terms by id, as stored.
        row = np.repeat(np.arange(lengths.size), lengths)
        order = np.lexsort((term_ids, row))
        parts["shingles"].append(shingles)
        parts["signatures"].append(signatures)
        parts["lengths"].append(lengths)
        # int32 and float32, as stored: the batch's entries are its largest arrays.
        parts["term_ids"].append(term_ids[order].astype(np.int32))
        parts["weights"].append((1.0 + np.log(counts[order])).astype(np.float32))
    joined = {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int64) for k, v in parts.items()}
    if not parts["signatures"]:
        joined["signatures"] = np.zeros((0, hasher.num_perm), dtype=np.uint32)
    day = np.array(
        [float(a.date.toordinal()) if a.date else math.nan for a in articles], dtype=np.float64
    )
    has_text = joined["shingles"] > 0
    if not has_text.all():  # drop articles without text (copies the arrays)
        keep_terms = np.repeat(has_text, joined["lengths"])
        for name in ("shingles", "signatures", "lengths"):
            joined[name] = joined[name][has_text]
        for name in ("term_ids", "weights"):
            joined[name] = joined[name][keep_terms]
    return _Batch(
        positions=np.flatnonzero(has_text),
        day=day[has_text],
        shingles=joined["shingles"].astype(np.int64),
        signatures=joined["signatures"],
        lengths=joined["lengths"],
        term_ids=joined["term_ids"],
        weights=joined["weights"],
        new_terms=new_terms,
    )


def _prepare_bulk_chunk(state: dict, texts: Sequence[str]):
    """Worker: signatures, and term counts over a chunk-local vocabulary."""
    tokens = [tokenize(strip_boilerplate(text)) for text in texts]
    signatures = state["hasher"].sign(tokens)
    vocabulary: dict[str, int] = {}
    lengths, local, counts = [], [], []
    for article_tokens in tokens:
        found: dict[str, int] = {}
        for term in content_terms(article_tokens) or article_tokens:
            found[term] = found.get(term, 0) + 1
        lengths.append(len(found))
        for term, count in found.items():
            local.append(vocabulary.setdefault(term, len(vocabulary)))
            counts.append(count)
    return (
        signatures.hashvalues,
        signatures.shingle_counts,
        list(vocabulary),
        np.array(lengths, dtype=np.int64),
        np.array(local, dtype=np.int64),
        np.array(counts, dtype=np.int64),
    )


def _insert_postings(
    conn: sqlite3.Connection,
    terms: np.ndarray,
    impact: np.ndarray,
    lengths: np.ndarray,
    day: np.ndarray,
    rowids: np.ndarray,
) -> None:
    """Insert postings in key order (term, day, article), a million at a time.

    ``terms`` and ``impact`` are per entry, articles one after the other
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
                impact[chunk].tolist(),
                strict=True,
            ),
        )


class _BulkLoading:
    """add(bulk=True) (a StoryIndex part)."""

    def _bulk_add(
        self, articles: list[Article], vocab: _Vocab, state: dict, n_jobs: int | None
    ) -> list[IndexAssignment]:
        """Cluster ``articles`` with the stored ones near them in date as one batch; store all.

        The same steps as :meth:`StoryClusterer.fit <dedupe_news.pipeline.StoryClusterer.fit>`
        over the batch and the stored articles within two windows of it (IDF over
        the whole index): LSH copy pairs, TF-IDF neighbours in the date window,
        pair scores, then :func:`~dedupe_news.clustering.cluster_pairs`.
        """
        conn = self._conn
        batch = _prepare_batch(articles, self._hasher, vocab, n_jobs)
        if batch.positions.size == 0:  # nothing new with text: nothing to store
            return [_empty_assignment(a.id) for a in articles]
        stored = self._load_span(batch.day)
        m, n = stored.rowid.size, batch.day.size
        total = m + n
        # Count the batch in N and df first: batch IDF includes every article.
        new_terms = [(tid, term) for term, tid in batch.new_terms.items()]
        touched_terms, doc_counts = np.unique(batch.term_ids, return_counts=True)
        vocab.grow(len(vocab.ids))
        vocab.df[touched_terms] += doc_counts
        vocab.n_articles += n
        lengths = np.concatenate([stored.lengths, batch.lengths])
        indices = np.concatenate([stored.term_ids.astype(np.int32), batch.term_ids])
        data = np.concatenate([stored.weights.astype(np.float32), batch.weights])
        data *= vocab.idf(indices).astype(np.float32)
        row = np.repeat(np.arange(total, dtype=np.int32), lengths)
        norms = np.sqrt(np.bincount(row, weights=data * data, minlength=total))
        data /= np.where(norms > 0, norms, 1.0).astype(np.float32)[row]
        # Only the terms in use as columns: products transpose the matrix.
        in_use = np.zeros(vocab.df.size, dtype=bool)
        in_use[indices] = True
        columns = np.flatnonzero(in_use)
        column_of = np.cumsum(in_use, dtype=np.int64).astype(np.int32) - 1
        matrix = sp.csr_matrix(
            (data, column_of[indices], np.r_[0, np.cumsum(lengths)]),
            shape=(total, columns.size),
        )
        del indices, data, row, norms, in_use, column_of  # temporaries of nnz entries
        days = np.concatenate([stored.day, batch.day])
        signatures = Signatures(
            np.concatenate([stored.signatures, batch.signatures]),
            np.concatenate([stored.shingles, batch.shingles]).astype(np.int32),
        )
        copy_i, copy_j = lsh_candidate_pairs(signatures, threshold=self.rule.copy_threshold)
        near_i, near_j, _ = cosine_neighbor_pairs(
            matrix,
            days,
            window_days=self.rule.window_days,
            min_similarity=self.rule.rewrite_threshold,
            max_neighbors=self._settings["max_neighbors"],
            probe_max_df=probe_max_df(vocab.n_articles),
            n_jobs=n_jobs,
        )
        codes = np.unique(
            np.concatenate([copy_i.astype(np.int64) * total + copy_j, near_i * total + near_j])
        )
        pair_i, pair_j = (codes // total).astype(np.intp), (codes % total).astype(np.intp)
        rows = ArticleRows(tfidf=matrix, signatures=signatures, days=days)
        table = PairTable.decide(
            self.rule, pair_i, pair_j, pair_features(rows, pair_i, rows, pair_j)
        )
        copies = copy_matrix(total, table.i, table.j, table.story_similarity)
        groups = cluster_pairs(
            total,
            table.i,
            table.j,
            table.story_similarity,
            threshold=self.rule.rewrite_threshold,
            component_similarity=lambda members: component_similarity(
                rows, self.rule.window_days, members, copies
            ),
            max_component=self._settings["max_component"],
        )
        first_new_story = state["next_story"]
        old = np.concatenate([stored.story, np.full(n, -1, dtype=np.int64)])
        story_of_group = _inherit_ids(old, groups)
        for g in np.unique(groups).tolist():
            if g not in story_of_group:
                story_of_group[g] = state["next_story"]
                state["next_story"] += 1
        story = np.array([story_of_group[g] for g in groups.tolist()], dtype=np.int64)

        # Write: terms, articles, postings, bands, edges; sorted by key for fast inserts.
        conn.execute("PRAGMA cache_size = -262144")  # 256 MiB while writing in bulk
        if new_terms:
            conn.executemany("INSERT INTO terms (term_id, term, df) VALUES (?, ?, 0)", new_terms)
        conn.executemany(
            "UPDATE terms SET df = ? WHERE term_id = ?",
            zip(vocab.df[touched_terms].tolist(), touched_terms.tolist(), strict=True),
        )
        (last,) = conn.execute(
            "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'articles'"
        ).fetchone()
        rowids = np.arange(int(last) + 1, int(last) + 1 + n, dtype=np.int64)
        conn.executemany(
            "UPDATE articles SET story = ?, clustered_n = ? WHERE rowid = ?",
            zip(story[:m].tolist(), [vocab.n_articles] * m, stored.rowid.tolist(), strict=True),
        )
        self._insert_articles(batch, articles, rowids, story[m:], vocab.n_articles)
        all_rowids = np.concatenate([stored.rowid, rowids])
        entries = slice(int(matrix.indptr[m]), int(matrix.indptr[total]))
        posting_day = np.where(np.isnan(batch.day), _UNDATED, batch.day)
        _insert_postings(
            conn,
            columns[matrix.indices[entries]],
            np.maximum(np.rint(matrix.data[entries] * 1000.0), 1).astype(np.int32),
            batch.lengths,
            posting_day,
            rowids,
        )
        keys = self._band_key_matrix(batch.signatures)
        _insert_sorted(
            conn,
            "INSERT OR IGNORE INTO bands (key, band, article) VALUES (?, ?, ?)",
            keys.ravel(),
            np.tile(np.arange(self._bands, dtype=np.int64), n),
            np.repeat(rowids, self._bands),
        )
        edge = table.story_similarity >= self.rule.rewrite_threshold
        a, b = all_rowids[table.i[edge]], all_rowids[table.j[edge]]
        score = table.story_similarity[edge]
        _insert_sorted(
            conn,
            "INSERT OR REPLACE INTO edges (a, b, score) VALUES (?, ?, ?)",
            np.concatenate([a, b]),
            np.concatenate([b, a]),
            np.concatenate([score, score]),
        )
        return self._bulk_assignments(
            articles,
            batch.positions,
            stored.ids + [articles[k].id for k in batch.positions.tolist()],
            signatures.shingle_counts,
            table,
            groups,
            story,
            first_new_story,
        )

    def _bulk_assignments(
        self,
        articles: list[Article],
        positions: np.ndarray,
        ids: list[str],
        shingles: np.ndarray,
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
        results = [_empty_assignment(a.id) for a in articles]
        for r, position in enumerate(positions.tolist(), start=m):
            sid = int(story[r])
            score, scores = 0.0, None
            if r in best:
                other, k = best[r]
                score = float(table.story_similarity[k])
                scores = PairScores.from_features(ids[r], ids[other], self.rule, table.features, k)
            results[position] = IndexAssignment(
                article_id=ids[r],
                story_id=sid,
                is_new_story=sid >= first_new_story,
                score=score,
                best=scores,
            )
        return results

    def _load_span(self, days: np.ndarray) -> _Rows:
        """Stored articles clustered again with a bulk batch dated ``days``: those
        within two date windows of it and undated ones; every one if the batch
        has undated articles (or the window is infinite)."""
        w = self.rule.window_days * _SPAN_WINDOWS
        if days.size == 0:
            return _concat([], self._hasher.num_perm)
        if np.isnan(days).any() or math.isinf(w):
            return self._load("1 ORDER BY rowid", ())
        lo, hi = float(days.min()) - w, float(days.max()) + w
        return self._load("day IS NULL OR day BETWEEN ? AND ? ORDER BY rowid", (lo, hi))

    def _insert_articles(
        self, batch: _Batch, articles: list[Article], rowids: np.ndarray, story: np.ndarray, n: int
    ) -> None:
        """Insert the batch's article rows, 20,000 at a time (BLOBs built per chunk)."""
        num_perm = self._hasher.num_perm
        bounds = np.r_[0, np.cumsum(batch.lengths)]
        step = 20_000
        for start in range(0, batch.positions.size, step):
            stop = min(start + step, batch.positions.size)
            lo, hi = int(bounds[start]), int(bounds[stop])
            signatures = batch.signatures[start:stop].astype("<u4").tobytes()
            terms = batch.term_ids[lo:hi].astype("<i4").tobytes()
            weights = batch.weights[lo:hi].astype("<f4").tobytes()
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
                        a.title,
                        a.source,
                        int(batch.shingles[start + k]),
                        n,
                        signatures[k * num_perm * 4 : (k + 1) * num_perm * 4],
                        terms[a_lo:a_hi],
                        weights[a_lo:a_hi],
                    )
                )
            self._conn.executemany(
                "INSERT INTO articles (rowid, id, story, day, date, title, source, shingles, "
                "clustered_n, signature, term_ids, term_weights) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
