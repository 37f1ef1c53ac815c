"""The :class:`StoryIndex`: opening, the public operations, and one-by-one adds."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import math
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from ..articles import Article, checked_articles
from ..decision import DecisionRule
from ..errors import ParameterError, UnknownArticleError
from ..minhash import MINHASH_SCHEME, MinHasher, lsh_params
from ..parallel import effective_jobs
from .bulk import _BulkLoading
from .candidates import _CandidateSearch, _Prepared
from .recluster import _Reclustering
from .records import IndexAssignment, IndexedStory, IndexStats, StoryMatch, _empty_assignment
from .storage import (
    _APPLICATION,
    _FIXED_DEFAULTS,
    _SCHEMA,
    _SEARCH_DEFAULTS,
    _UNDATED,
    FORMAT_VERSION,
    IncompatibleIndexError,
    IndexFileError,
    _impact,
    _in_chunks,
    _Rows,
    _Vocab,
)


class StoryIndex(_BulkLoading, _Reclustering, _CandidateSearch):
    """A persistent story index: add articles as they arrive, ask which story one belongs to.

    Parameters
    ----------
    path : str or Path
        The SQLite file; created when missing.
    window_days, rewrite_threshold, copy_threshold, containment_threshold, num_perm,
    shingle_size, seed
        As for :class:`~dedupe_news.pipeline.StoryClusterer`. Fixed when the file
        is created: leave them out to use the stored ones; giving a different
        value for an existing file raises :class:`IncompatibleIndexError`.
    top_terms : int, default 20
        Terms of a new article (highest TF-IDF) whose postings give rewrite candidates.
    per_term_limit : int, default 200
        Postings read per term (those nearest in date first is not guaranteed;
        the most recent inside the window are read).
    max_story_members : int, default 1000
        Members of a story compared with an article in :meth:`query` and for
        scores (most recent first).
    max_neighbors : int, default 30
        TF-IDF neighbours of a new article kept as edges, as in batch.
    max_component : int, default 2000
        Passed to :func:`~dedupe_news.clustering.cluster_pairs`.
    max_recluster : int, default 300
        Most members clustered again on one add; touched stories that do not fit
        are left as they are (the article may still join one greedily).
    query_candidates : int, default 64
        :meth:`query` scores only this many rewrite candidates (besides every LSH
        copy candidate): those sharing the most TF-IDF weight of the article's
        ``top_terms``. :meth:`add` scores them all.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "stories.db")
    >>> text = "Storm Delia hits the Texas coast tonight, forecasters warn of floods"
    >>> with StoryIndex(path) as index:
    ...     [a.is_new_story for a in index.add([Article("a", text), Article("b", text)])]
    [True, False]
    """

    def __init__(self, path: str | Path, **settings):
        unknown = set(settings) - set(_FIXED_DEFAULTS) - set(_SEARCH_DEFAULTS)
        if unknown:
            raise ParameterError(f"unknown StoryIndex setting(s): {', '.join(sorted(unknown))}")
        self.path = str(path)
        self._conn = self._connect()
        try:
            self._settings = self._open_or_create(settings)
        except BaseException:
            self._conn.close()
            raise
        s = self._settings
        self.rule = DecisionRule(
            window_days=s["window_days"],
            rewrite_threshold=s["rewrite_threshold"],
            copy_threshold=s["copy_threshold"],
            containment_threshold=s["containment_threshold"],
        )
        self._hasher = MinHasher(
            num_perm=s["num_perm"], seed=s["seed"], shingle_size=s["shingle_size"]
        )
        self._bands, self._rows_per_band = lsh_params(s["copy_threshold"], s["num_perm"])
        marks = ",".join("?" * self._bands)
        self._band_sql = f"SELECT key, band, article FROM bands WHERE key IN ({marks})"
        self._vocab: _Vocab | None = None

    # -- opening -----------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        p = Path(self.path)
        if p.is_dir():
            raise IndexFileError(f"{self.path}: is a directory, not a story index file")
        try:
            conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise IndexFileError(f"{self.path}: cannot open the story index: {exc}") from None
        try:
            conn.execute("PRAGMA busy_timeout = 60000")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise IndexFileError(
                f"{self.path}: not a story index (SQLite says: {exc}); the file is corrupt or "
                "something else: give a new path to create an index"
            ) from None
        if str(mode).lower() != "wal":
            conn.close()
            raise IndexFileError(f"{self.path}: cannot switch the file to WAL mode (got {mode})")
        return conn

    def _open_or_create(self, given: dict) -> dict:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                tables = {
                    row[0]
                    for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                }
                if not tables:
                    settings = self._new_settings(given)
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    meta = {
                        "application": _APPLICATION,
                        "format_version": str(FORMAT_VERSION),
                        "minhash_scheme": MINHASH_SCHEME,
                        "settings": json.dumps(settings, sort_keys=True),
                        "generation": "0",
                        "n_articles": "0",
                        "next_story": "1",
                    }
                    conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
                else:
                    if "meta" not in tables:
                        raise IndexFileError(
                            f"{self.path}: an SQLite database, but not a dedupe-news story index "
                            "(no meta table): give a new path to create an index"
                        )
                    meta = dict(conn.execute("SELECT key, value FROM meta"))
                    settings = self._check_meta(meta, given)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            raise IndexFileError(
                f"{self.path}: the story index is unreadable (SQLite says: {exc}); it is "
                "corrupt: rebuild it from the articles"
            ) from None
        return settings

    def _new_settings(self, given: dict) -> dict:
        settings = {**_FIXED_DEFAULTS, **_SEARCH_DEFAULTS}
        settings.update({k: v for k, v in given.items() if v is not None})
        for name in ("num_perm", "shingle_size", "seed", *_SEARCH_DEFAULTS):
            value = settings[name]
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ParameterError(f"{name} must be an integer, got {value!r}")
            settings[name] = int(value)
            if name != "seed" and settings[name] < 1:
                raise ParameterError(f"{name} must be at least 1, got {value!r}")
        for name in ("window_days", "rewrite_threshold", "copy_threshold", "containment_threshold"):
            settings[name] = float(settings[name])
        if math.isinf(settings["window_days"]):
            settings["window_days"] = "inf"  # JSON has no infinity
        DecisionRule(
            window_days=float(settings["window_days"]),
            rewrite_threshold=settings["rewrite_threshold"],
            copy_threshold=settings["copy_threshold"],
            containment_threshold=settings["containment_threshold"],
        )
        lsh_params(settings["copy_threshold"], settings["num_perm"])  # validates (0, 1)
        return settings

    def _check_meta(self, meta: dict, given: dict) -> dict:
        if meta.get("application") != _APPLICATION:
            raise IndexFileError(
                f"{self.path}: an SQLite database with a meta table, but not a dedupe-news "
                "story index: give a new path to create an index"
            )
        version = meta.get("format_version")
        if version != str(FORMAT_VERSION):
            raise IncompatibleIndexError(
                f"{self.path}: story index format version {version}, but this dedupe-news "
                f"reads version {FORMAT_VERSION}: rebuild the index from the articles"
            )
        if meta.get("minhash_scheme") != MINHASH_SCHEME:
            raise IncompatibleIndexError(
                f"{self.path}: signatures use the MinHash scheme {meta.get('minhash_scheme')!r}, "
                f"this dedupe-news computes {MINHASH_SCHEME!r}: rebuild the index"
            )
        stored = json.loads(meta["settings"])
        wanted = self._new_settings({**stored, **given})
        differ = [
            f"{name}={stored[name]!r} (asked {wanted[name]!r})"
            for name in _FIXED_DEFAULTS
            if name in given and given[name] is not None and wanted[name] != stored[name]
        ]
        if differ:
            raise IncompatibleIndexError(
                f"{self.path}: the index was built with other settings: {', '.join(differ)}; "
                "open it without these settings to use the stored ones, or build a new index"
            )
        return wanted

    @property
    def settings(self) -> dict:
        """Every setting of this index (``window_days`` is the string "inf" when infinite)."""
        return dict(self._settings)

    # -- life cycle --------------------------------------------------------------

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> StoryIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- public operations -------------------------------------------------------

    def add(
        self,
        articles: Iterable[Article],
        *,
        skip_existing: bool = False,
        bulk: bool = False,
        n_jobs: int | None = None,
    ) -> list[IndexAssignment]:
        """Assign each article to a stored story or a new one, and store it.

        Articles are taken in the order given (feed them in date order, as they
        arrive); each sees the ones before it, those of this call included. The
        whole call is one transaction: on any error nothing of it is stored.
        An id already in the index is an error, or skipped (and not returned) with
        ``skip_existing=True``.

        With ``bulk=True`` the call is clustered as one batch instead, as
        :class:`~dedupe_news.pipeline.StoryClusterer` does, together with the
        stored articles dated within two date windows of it (every stored article
        when the call has undated ones), and written with a few bulk inserts:
        hundreds of times faster per article for large calls (build an index, or
        add a day's news). Stored stories keep their ids as in :meth:`add`. An
        assignment's ``score`` and ``best`` are then those of its closest fellow
        member among the scored pairs (0 and None when it is alone).
        ``n_jobs`` processes prepare the texts and search neighbours (-1: every
        core); it only applies with ``bulk=True`` and does not change the result.
        """
        articles = _check_articles(articles)
        effective_jobs(n_jobs)  # validates
        with self._write_transaction() as vocab:
            known = self._existing_ids([a.id for a in articles])
            if known and not skip_existing:
                first = next(a.id for a in articles if a.id in known)
                raise ParameterError(
                    f"article id {first!r} is already in the index: ids must be unique "
                    "(pass skip_existing=True, or --skip-existing, to skip stored articles)"
                )
            todo = [a for a in articles if a.id not in known]
            state = {"next_story": self._next_story()}
            if bulk:
                results = self._bulk_add(todo, vocab, state, n_jobs)
            else:
                results = [
                    self._add_one(p, vocab, state) if p.shingles else _empty(p)
                    for p in self._prepare(todo)
                ]
            # Later articles of this call may have moved earlier ones: report final stories.
            final = self._stories_of([a.article_id for a in results if a.story_id is not None])
            results = [
                a if a.story_id is None else dataclasses.replace(a, story_id=final[a.article_id])
                for a in results
            ]
            self._set_meta(next_story=state["next_story"])
        return results

    def query(self, article: Article, *, limit: int = 5) -> list[StoryMatch]:
        """The stored stories ``article`` would join, best first; stores nothing.

        Only stories whose linkage score reaches ``rewrite_threshold`` are
        returned (at most ``limit``). IDF counts the article as if it were stored.
        Stories are ranked by linkage score with their current members; this does
        not re-cluster, so where :meth:`add` would merge or split stories the
        top match is the story the article is closest to, not the regrouped one.

        Candidates are the stored articles sharing an LSH band with ``article``,
        and the ``query_candidates`` in its date window sharing the most weight of
        its ``top_terms``. The stories of those at or above the threshold are
        scored, the ``max(4 * limit, 20)`` with the closest candidates when there
        are more, each over its ``max_story_members`` most recent members.
        """
        _check_articles([article])
        conn = self._conn
        conn.execute("BEGIN")  # one snapshot for the whole query
        try:
            vocab = self._load_vocab()
            (prepared,) = self._prepare([article])
            if not prepared.shingles:
                return []
            term_ids = np.array([vocab.ids.get(t, -1) for t in prepared.terms], dtype=np.int64)
            known = term_ids >= 0
            # The article counts in N and in the df of its terms, as if added.
            idf = np.full(term_ids.size, math.log((2.0 + vocab.n_articles) / 2.0) + 1.0)
            idf[known] = vocab.idf(term_ids[known], extra=1)
            ranked = self._rank(
                prepared,
                term_ids[known],
                prepared.weights[known] * idf[known],
                idf[known],
                vocab,
                extra=1,
                norm_weights=prepared.weights * idf,
                limit=limit,
            )
        finally:
            conn.execute("COMMIT")
        return [
            StoryMatch(story_id=sid, score=score, size=size, best=best)
            for sid, score, size, best in ranked
        ]

    def remove(self, ids: Iterable[str], *, missing_ok: bool = False) -> int:
        """Remove articles by id; returns how many were removed. One transaction.

        Their stories keep their other members (and their ids). An unknown id is
        an :class:`~dedupe_news.errors.UnknownArticleError` unless ``missing_ok``.
        """
        ids = list(dict.fromkeys(ids))

        def chosen() -> list[int]:
            rows = self._rowids_of(ids)
            if not missing_ok:
                missing = [i for i in ids if i not in rows]
                if missing:
                    raise UnknownArticleError(f"no article with id {missing[0]!r} in the index")
            return list(rows.values())

        return self._delete_where(chosen)

    def evict(self, older_than: dt.date) -> int:
        """Remove articles dated before ``older_than`` (undated ones stay); returns the count."""
        if not isinstance(older_than, dt.date):
            raise ParameterError(f"older_than must be a datetime.date, got {older_than!r}")
        day = float(older_than.toordinal())

        def chosen() -> list[int]:
            query = "SELECT rowid FROM articles WHERE day < ?"
            return [r for (r,) in self._conn.execute(query, (day,))]

        return self._delete_where(chosen)

    def _delete_where(self, chosen: Callable[[], list[int]]) -> int:
        """Delete the articles ``chosen()`` picks inside one write transaction."""
        with self._write_transaction() as vocab:
            rowids = chosen()
            self._delete(rowids, vocab)
        return len(rowids)

    def stories(self) -> list[IndexedStory]:
        """Every stored story, in order of story id; members in insertion order."""
        members: dict[int, list[tuple]] = {}
        for rowid, article_id, story, day in self._conn.execute(
            "SELECT rowid, id, story, day FROM articles ORDER BY rowid"
        ):
            members.setdefault(story, []).append((rowid, article_id, day))
        result = []
        for story in sorted(members):
            rows = members[story]
            source = min(rows, key=lambda r: (r[2] is None, r[2] or 0.0, r[0]))
            result.append(
                IndexedStory(
                    story_id=story, article_ids=tuple(r[1] for r in rows), source_id=source[1]
                )
            )
        return result

    def story_of(self, article_id: str) -> int:
        """The story id of a stored article."""
        row = self._conn.execute(
            "SELECT story FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        if row is None:
            raise UnknownArticleError(f"no article with id {article_id!r} in the index")
        return int(row[0])

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM articles").fetchone()[0])

    def __contains__(self, article_id: object) -> bool:
        return (
            self._conn.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone()
            is not None
        )

    def stats(self) -> IndexStats:
        conn = self._conn
        conn.execute("BEGIN")
        try:
            articles, stories, first, last = conn.execute(
                "SELECT count(*), count(DISTINCT story), min(date), max(date) FROM articles"
            ).fetchone()
            terms = conn.execute("SELECT count(*) FROM terms WHERE df > 0").fetchone()[0]
        finally:
            conn.execute("COMMIT")
        size = sum(
            Path(self.path + suffix).stat().st_size
            for suffix in ("", "-wal")
            if Path(self.path + suffix).exists()
        )
        return IndexStats(
            path=self.path,
            articles=articles,
            stories=stories,
            terms=terms,
            first_date=first,
            last_date=last,
            file_bytes=size,
            settings=self.settings,
        )

    # -- writing -----------------------------------------------------------------

    def _begin_write(self) -> None:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise IndexFileError(f"{self.path}: cannot lock the index for writing: {exc}") from None

    def _next_story(self) -> int:
        return int(
            self._conn.execute("SELECT value FROM meta WHERE key = 'next_story'").fetchone()[0]
        )

    def _stories_of(self, ids: Sequence[str]) -> dict[str, int]:
        return self._column_by_id("story", ids)

    @contextlib.contextmanager
    def _write_transaction(self) -> Iterator[_Vocab]:
        """One write transaction, yielding the vocabulary to change.

        On success the vocabulary's new generation and article count are stored
        and the transaction commits; on any error (or interruption) it rolls back
        and the cached vocabulary is dropped.
        """
        conn = self._conn
        self._begin_write()
        try:
            vocab = self._load_vocab()
            yield vocab
            vocab.generation += 1
            self._set_meta(generation=vocab.generation, n_articles=vocab.n_articles)
            conn.execute("COMMIT")
        except BaseException:
            self._vocab = None
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _set_meta(self, **values) -> None:
        self._conn.executemany(
            "UPDATE meta SET value = ? WHERE key = ?", [(str(v), k) for k, v in values.items()]
        )

    def _add_one(self, p: _Prepared, vocab: _Vocab, state: dict) -> IndexAssignment:
        conn = self._conn
        # Count the article in N and df first: batch IDF includes every article.
        term_ids = np.empty(len(p.terms), dtype=np.int64)
        new_terms = []
        for k, term in enumerate(p.terms):
            tid = vocab.ids.get(term)
            if tid is None:
                tid = vocab.ids[term] = len(vocab.ids)
                new_terms.append((tid, term))
            term_ids[k] = tid
        vocab.grow(len(vocab.ids))
        vocab.df[term_ids] += 1
        vocab.n_articles += 1
        if new_terms:
            conn.executemany("INSERT INTO terms (term_id, term, df) VALUES (?, ?, 0)", new_terms)
        conn.executemany(
            "UPDATE terms SET df = df + 1 WHERE term_id = ?", [(int(t),) for t in term_ids]
        )
        tfidf = p.weights * vocab.idf(term_ids)
        norm = float(np.sqrt(tfidf @ tfidf)) or 1.0
        order = np.argsort(term_ids)
        vector = (term_ids[order], tfidf[order] / norm)
        copies, near = self._candidates(p, term_ids, tfidf)
        rows = self._load_rowids(sorted(copies | near))
        sims, features = self._score(p, vector, rows, vocab, extra=0)
        edge = self._edges(rows, sims, features, copies)

        a = p.article
        day = None if math.isnan(p.day) else p.day
        cur = conn.execute(
            "INSERT INTO articles (id, story, day, date, title, source, shingles, signature, "
            "term_ids, term_weights) VALUES (?, -1, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                a.id,
                day,
                a.date.isoformat() if a.date else None,
                a.title,
                a.source,
                p.shingles,
                p.signature.astype("<u4").tobytes(),
                term_ids[order].astype("<i4").tobytes(),
                p.weights[order].astype("<f4").tobytes(),
            ),
        )
        rowid = int(cur.lastrowid)
        conn.executemany(
            "INSERT INTO postings (term_id, day, article, impact) VALUES (?, ?, ?, ?)",
            zip(
                vector[0].tolist(),
                [_UNDATED if day is None else day] * order.size,
                [rowid] * order.size,
                _impact(vector[1]),
                strict=True,
            ),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO bands (key, band, article) VALUES (?, ?, ?)",
            [(key, band, rowid) for band, key in enumerate(self._band_keys(p.signature))],
        )
        neighbours = rows.rowid[edge]
        scores = sims[edge]
        conn.executemany(
            "INSERT OR REPLACE INTO edges (a, b, score) VALUES (?, ?, ?)",
            [
                pair
                for other, score in zip(neighbours.tolist(), scores.tolist(), strict=True)
                for pair in ((rowid, other, score), (other, rowid, score))
            ],
        )
        story, is_new = self._recluster(p, rowid, rows.story[edge], scores, vocab, state)
        self._refresh(vocab, state)
        score, best = self._explain_assignment(p, vector, rowid, story, is_new, rows, sims, vocab)
        return IndexAssignment(
            article_id=a.id, story_id=story, is_new_story=is_new, score=score, best=best
        )

    def _edges(self, rows: _Rows, sims: np.ndarray, features: dict, copies: set[int]) -> np.ndarray:
        """Which candidates are same-story edges, as batch clustering finds them.

        LSH copy candidates whose story_similarity reaches the threshold, and the
        ``max_neighbors`` nearest TF-IDF neighbours inside the date window with a
        cosine at or above it.
        """
        threshold = self.rule.rewrite_threshold
        is_copy_candidate = np.isin(rows.rowid, np.fromiter(copies, dtype=np.int64))
        edge = is_copy_candidate & (sims >= threshold)
        cosine = features["cosine"]
        near = np.flatnonzero((cosine >= threshold) & self.rule.in_window(features["distance"]))
        top = near[np.argsort(-cosine[near], kind="stable")[: self._settings["max_neighbors"]]]
        edge[top] = True
        return edge

    def _delete(self, rowids: list[int], vocab: _Vocab) -> None:
        conn = self._conn
        for chunk, marks in _in_chunks(rowids):
            rows = conn.execute(
                f"SELECT rowid, day, signature, term_ids FROM articles WHERE rowid IN ({marks})",
                chunk,
            ).fetchall()
            for rowid, day, signature, term_blob in rows:
                term_ids = np.frombuffer(term_blob, dtype="<i4").astype(np.int64)
                vocab.df[term_ids] -= 1
                vocab.n_articles -= 1
                conn.executemany(
                    "UPDATE terms SET df = df - 1 WHERE term_id = ?", [(int(t),) for t in term_ids]
                )
                conn.executemany(
                    "DELETE FROM postings WHERE term_id = ? AND day = ? AND article = ?",
                    [(int(t), _UNDATED if day is None else day, rowid) for t in term_ids],
                )
                keys = self._band_keys(np.frombuffer(signature, dtype="<u4"))
                conn.executemany(
                    "DELETE FROM bands WHERE key = ? AND band = ? AND article = ?",
                    [(key, band, rowid) for band, key in enumerate(keys)],
                )
                others = [
                    (b, rowid) for (b,) in conn.execute("SELECT b FROM edges WHERE a = ?", (rowid,))
                ]
                conn.executemany("DELETE FROM edges WHERE a = ? AND b = ?", others)
                conn.execute("DELETE FROM edges WHERE a = ?", (rowid,))
            conn.execute(f"DELETE FROM articles WHERE rowid IN ({marks})", chunk)

    # -- reading -----------------------------------------------------------------

    def _load_vocab(self) -> _Vocab:
        """The cached vocabulary, reloaded when another connection changed the file."""
        meta = dict(
            self._conn.execute(
                "SELECT key, value FROM meta WHERE key IN ('generation', 'n_articles')"
            )
        )
        generation = int(meta["generation"])
        if self._vocab is None or self._vocab.generation != generation:
            ids: dict[str, int] = {}
            rows = self._conn.execute("SELECT term_id, term, df FROM terms").fetchall()
            df = np.zeros(max(len(rows), 1024), dtype=np.int64)
            for term_id, term, count in rows:
                ids[term] = term_id
                df[term_id] = count
            self._vocab = _Vocab(generation, int(meta["n_articles"]), ids, df)
        return self._vocab

    def _existing_ids(self, ids: Sequence[str]) -> set[str]:
        return set(self._rowids_of(ids))

    def _rowids_of(self, ids: Sequence[str]) -> dict[str, int]:
        return self._column_by_id("rowid", ids)

    def _column_by_id(self, column: str, ids: Sequence[str]) -> dict[str, int]:
        """``{id: column}`` for the stored articles among ``ids`` (500 per query)."""
        assert column in ("story", "rowid")  # never user input: it is spliced into SQL
        found: dict[str, int] = {}
        ids = list(ids)
        for chunk, marks in _in_chunks(ids):
            query = f"SELECT id, {column} FROM articles WHERE id IN ({marks})"
            found.update(self._conn.execute(query, chunk))
        return found


def _empty(p: _Prepared) -> IndexAssignment:
    return _empty_assignment(p.article.id)


def _check_articles(articles: Iterable[Article]) -> list[Article]:
    if isinstance(articles, (str, bytes, Article)):
        raise ParameterError("expected an iterable of Article objects: wrap one article in a list")
    return list(checked_articles(articles))
