"""A persistent, incremental story index in one SQLite file.

:class:`StoryIndex` assigns each new article to a story already stored, or
starts a new story, with the same normalisation, signals and decision rule as
batch clustering (:class:`~dedupe_news.pipeline.StoryClusterer`):

* Copies: every article's MinHash signature (a BLOB of uint32) and shingle count
  are stored, and its LSH band keys go into an indexed ``bands`` table, so the
  stored articles sharing a band with a new one are found with one lookup.
* Rewrites: every article's sparse sublinear term frequencies are stored (term
  ids and weights as two BLOBs), with a ``postings`` table (term, day, article)
  and global document frequencies in ``terms``. IDF is computed when scoring,
  from the stored document frequencies and article count (scikit-learn's smooth
  IDF, as in batch). Candidates are the articles inside the date window that
  share one of the new article's most distinctive terms.

Candidates are scored with :class:`~dedupe_news.scoring.DecisionRule`, and the
same-story edges batch clustering would find for the new article are stored in
an ``edges`` table: its LSH copy candidates with ``story_similarity`` at or above
``rewrite_threshold``, and its ``max_neighbors`` nearest TF-IDF neighbours in the
date window with a cosine at or above it.

Assignment then follows batch semantics instead of a greedy choice: the stories
its edges touch, grown breadth first along stored edges towards their connected
component (whole stories, at most ``max_recluster`` members, only those dated
within two date windows of the article), are clustered again with the article
by :func:`~dedupe_news.clustering.cluster_pairs`, on edges and a full
``story_similarity`` matrix recomputed with the current IDF: weighted linkage
with the soft veto, cut at the threshold. Later articles can so merge stories,
or split one. Each old story id goes to the new group holding most of its
members (the older story on ties); groups left without one get a new id from a
counter, so ids are never reused. Because batch IDF counts every article, a
component clustered when the index held N articles is clustered again (one per
added article) once it holds 1.5 N.

The file uses write-ahead logging: readers query while one writer adds, and each
:meth:`StoryIndex.add` call is one transaction, so a crash keeps every batch
committed before it and nothing of the batch in flight.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .articles import Article
from .clustering import CLEARLY_DIFFERENT, VETO_DISTANCE, cluster_pairs
from .errors import DedupeNewsError, ParameterError, UnknownArticleError
from .minhash import MINHASH_SCHEME, MinHasher, lsh_params
from .normalize import content_terms, strip_boilerplate, tokenize
from .scoring import DecisionRule, PairScores

__all__ = [
    "FORMAT_VERSION",
    "IncompatibleIndexError",
    "IndexAssignment",
    "IndexFileError",
    "IndexStats",
    "IndexedStory",
    "StoryIndex",
    "StoryMatch",
]

FORMAT_VERSION = 2
_APPLICATION = "dedupe-news story index"

# Settings that change what is stored or how it is scored: fixed when the file is made.
_FIXED_DEFAULTS = {
    "window_days": 5.0,
    "rewrite_threshold": 0.15,
    "copy_threshold": 0.5,
    "containment_threshold": 0.8,
    "num_perm": 128,
    "shingle_size": 5,
    "seed": 1,
}
# Candidate search limits: stored as defaults, may be changed when opening.
_SEARCH_DEFAULTS = {
    "top_terms": 20,
    "per_term_limit": 200,
    "max_story_members": 1000,
    "max_neighbors": 30,
    "max_component": 2000,
    "max_recluster": 300,
}

# A component is clustered again once the article count (and so IDF) has grown this much.
_REFRESH_GROWTH = 1.5
# Members re-clustered around a new article: dated at most this many windows away.
_SPAN_WINDOWS = 2.0

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE articles (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    story INTEGER NOT NULL,
    day REAL,
    date TEXT,
    title TEXT,
    source TEXT,
    shingles INTEGER NOT NULL,
    clustered_n INTEGER,
    signature BLOB NOT NULL,
    term_ids BLOB NOT NULL,
    term_weights BLOB NOT NULL
);
CREATE INDEX articles_story ON articles (story);
CREATE INDEX articles_day ON articles (day);
CREATE INDEX articles_clustered ON articles (clustered_n);
CREATE TABLE terms (term_id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE, df INTEGER NOT NULL);
CREATE TABLE postings (term_id INTEGER NOT NULL, day REAL, article INTEGER NOT NULL);
CREATE INDEX postings_term ON postings (term_id, day, article);
CREATE TABLE bands (
    key INTEGER NOT NULL, band INTEGER NOT NULL, article INTEGER NOT NULL,
    PRIMARY KEY (key, band, article)
) WITHOUT ROWID;
CREATE TABLE edges (
    a INTEGER NOT NULL, b INTEGER NOT NULL, score REAL NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
"""


class IndexFileError(DedupeNewsError):
    """The file is not a usable story index: corrupt, or not made by dedupe-news."""


class IncompatibleIndexError(IndexFileError, ValueError):
    """The index was written with other settings or an other format version."""


@dataclass(frozen=True)
class IndexAssignment:
    """Where :meth:`StoryIndex.add` put one article.

    ``story_id`` is None (and nothing is stored) when the text is empty after
    cleaning; otherwise it is the article's story once the whole ``add`` call is
    done (later articles of the call may merge or split stories).
    ``is_new_story`` says that no stored story took it when it was added.
    ``score`` is the linkage score with its story when added (for a new story,
    with the best candidate story that was not good enough; 0 without any), and
    ``best`` the scores of the closest member of that story, or None.
    Re-clustering may also move articles stored earlier: :meth:`StoryIndex.story_of`
    and :meth:`StoryIndex.stories` give the current stories.
    """

    article_id: str
    story_id: int | None
    is_new_story: bool
    score: float
    best: PairScores | None


@dataclass(frozen=True)
class StoryMatch:
    """One stored story that an article matches (see :meth:`StoryIndex.query`)."""

    story_id: int
    score: float
    size: int
    best: PairScores


@dataclass(frozen=True)
class IndexedStory:
    """A stored story: members in insertion order, and the earliest dated one as source."""

    story_id: int
    article_ids: tuple[str, ...]
    source_id: str

    @property
    def size(self) -> int:
        return len(self.article_ids)


@dataclass(frozen=True)
class IndexStats:
    """Counts and settings of an index."""

    path: str
    articles: int
    stories: int
    terms: int
    first_date: str | None
    last_date: str | None
    file_bytes: int
    settings: dict


@dataclass
class _Vocab:
    """Term ids and document frequencies, cached between calls while the file is unchanged."""

    generation: int
    n_articles: int
    ids: dict[str, int]
    df: np.ndarray

    def grow(self, size: int) -> None:
        if size > self.df.size:
            self.df = np.concatenate(
                [self.df, np.zeros(max(size, 2 * self.df.size) - self.df.size, dtype=np.int64)]
            )

    def idf(self, term_ids: np.ndarray, extra: int = 0) -> np.ndarray:
        """Smooth IDF as scikit-learn's, ``ln((1 + N) / (1 + df)) + 1``."""
        n = self.n_articles + extra
        return np.log((1.0 + n) / (1.0 + self.df[term_ids] + extra)) + 1.0


@dataclass
class _Prepared:
    article: Article
    day: float
    shingles: int
    signature: np.ndarray
    terms: list[str]
    weights: np.ndarray  # sublinear tf, aligned with terms


@dataclass
class _Rows:
    """Stored articles loaded for scoring, as parallel arrays."""

    rowid: np.ndarray
    ids: list[str]
    story: np.ndarray
    day: np.ndarray
    shingles: np.ndarray
    signatures: np.ndarray
    term_ids: list[np.ndarray]
    weights: list[np.ndarray]


class StoryIndex:
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
        self, articles: Iterable[Article], *, skip_existing: bool = False
    ) -> list[IndexAssignment]:
        """Assign each article to a stored story or a new one, and store it.

        Articles are taken in the order given (feed them in date order, as they
        arrive); each sees the ones before it, those of this call included. The
        whole call is one transaction: on any error nothing of it is stored.
        An id already in the index is an error, or skipped (and not returned) with
        ``skip_existing=True``.
        """
        articles = _check_articles(articles)
        conn = self._conn
        self._begin_write()
        try:
            vocab = self._load_vocab()
            known = self._existing_ids([a.id for a in articles])
            if known and not skip_existing:
                first = next(a.id for a in articles if a.id in known)
                raise ParameterError(
                    f"article id {first!r} is already in the index: ids must be unique "
                    "(pass skip_existing=True, or --skip-existing, to skip stored articles)"
                )
            todo = [a for a in articles if a.id not in known]
            state = {"next_story": self._next_story()}
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
            vocab.generation += 1
            self._set_meta(
                generation=vocab.generation,
                n_articles=vocab.n_articles,
                next_story=state["next_story"],
            )
            conn.execute("COMMIT")
        except BaseException:
            self._vocab = None
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return results

    def query(self, article: Article, *, limit: int = 5) -> list[StoryMatch]:
        """The stored stories ``article`` would join, best first; stores nothing.

        Only stories whose linkage score reaches ``rewrite_threshold`` are
        returned (at most ``limit``). IDF counts the article as if it were stored.
        Stories are ranked by linkage score with their current members; this does
        not re-cluster, so where :meth:`add` would merge or split stories the
        top match is the story the article is closest to, not the regrouped one.
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
            )
        finally:
            conn.execute("COMMIT")
        return [
            StoryMatch(story_id=sid, score=score, size=size, best=best)
            for sid, score, size, best in ranked[:limit]
            if score >= self.rule.rewrite_threshold
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
        conn = self._conn
        self._begin_write()
        try:
            vocab = self._load_vocab()
            rowids = chosen()
            self._delete(rowids, vocab)
            vocab.generation += 1
            self._set_meta(generation=vocab.generation, n_articles=vocab.n_articles)
            conn.execute("COMMIT")
        except BaseException:
            self._vocab = None
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
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
            "INSERT INTO postings (term_id, day, article) VALUES (?, ?, ?)",
            [(int(t), day, rowid) for t in term_ids],
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

    def _recluster(
        self,
        p: _Prepared,
        rowid: int,
        touched: np.ndarray,
        edge_scores: np.ndarray,
        vocab: _Vocab,
        state: dict,
    ) -> tuple[int, bool]:
        """Re-run batch agglomeration over the stories the new article touches.

        Returns the article's story id and whether that story is new. The stories
        touched by its edges (nearest first, at most ``max_component`` members in
        all) and the article are clustered again as batch clustering would: edges
        and the full story_similarity matrix recomputed with the current IDF, then
        :func:`~dedupe_news.clustering.cluster_pairs`. Each old story id goes to
        the new group holding most of its members; groups left without one get a
        new id. Stories beyond the cap are not re-clustered; the article may still
        join one when it ends up alone.
        """
        strength: dict[int, float] = {}
        for story, score in zip(touched.tolist(), edge_scores.tolist(), strict=True):
            strength[story] = max(strength.get(story, 0.0), score)
        span = self._span(p.day)
        sizes = self._story_sizes(list(strength), span)
        cap = self._settings["max_recluster"] - 1
        chosen, frozen, total = [], [], 0
        for story in sorted(strength, key=lambda s: (-strength[s], sizes.get(s, 0), s)):
            if total + sizes.get(story, 0) <= cap:
                chosen.append(story)
                total += sizes.get(story, 0)
            else:
                frozen.append(story)
        chosen, total = self._expand(chosen, total, cap, span)
        members, groups, new = self._regroup(chosen, rowid, vocab, state, span)
        me = len(members.ids) - 1
        is_new = int(new[me]) not in sizes
        if frozen and is_new and int((groups == groups[me]).sum()) == 1:
            joined = self._join_frozen(p, frozen, vocab)
            if joined is not None:
                new[me], is_new = joined, False
        self._write_groups(members, new, vocab.n_articles if len(members.ids) > 1 else None)
        return int(new[me]), is_new

    def _regroup(
        self,
        stories: list[int],
        rowid: int | None,
        vocab: _Vocab,
        state: dict,
        span: tuple[str, tuple],
    ) -> tuple[_Rows, np.ndarray, np.ndarray]:
        """Cluster the members of ``stories`` (and article ``rowid``, last) again.

        Returns the members, their groups and their new story ids. Each old story
        id goes to the group holding most of its members; a group left without one
        gets a new id.
        """
        members = self._load_stories(stories, span)
        if rowid is not None:
            members = _concat([members, self._load("rowid = ?", (rowid,))], self._hasher.num_perm)
            members.story[-1] = -1
        n = len(members.ids)
        groups = np.zeros(n, dtype=np.int64)
        if n > 1:
            similarity = self._similarity_matrix(members, vocab)
            i, j = self._stored_edges(members.rowid)
            groups = cluster_pairs(
                n,
                i,
                j,
                similarity[i, j],
                threshold=self.rule.rewrite_threshold,
                component_similarity=lambda m: similarity[np.ix_(m, m)],
                max_component=self._settings["max_component"],
            )
        story_of_group = _inherit_ids(members.story, groups)
        for g in np.unique(groups):
            if int(g) not in story_of_group:
                story_of_group[int(g)] = state["next_story"]
                state["next_story"] += 1
        new = np.array([story_of_group[int(g)] for g in groups], dtype=np.int64)
        return members, groups, new

    def _write_groups(self, members: _Rows, new: np.ndarray, clustered_n: int | None) -> None:
        """Store new story ids, and when the set was last clustered (for refreshes)."""
        self._conn.executemany(
            "UPDATE articles SET story = ?, clustered_n = ? WHERE rowid = ?",
            [
                (int(story), clustered_n, int(r))
                for story, r in zip(new.tolist(), members.rowid.tolist(), strict=True)
            ],
        )

    def _refresh(self, vocab: _Vocab, state: dict) -> None:
        """Cluster again the component clustered longest ago, once the article count has
        doubled since then: batch IDF counts every article, so early clusterings drift."""
        row = self._conn.execute(
            "SELECT rowid, story, day FROM articles WHERE clustered_n <= ? "
            "ORDER BY clustered_n LIMIT 1",
            (int(vocab.n_articles / _REFRESH_GROWTH),),
        ).fetchone()
        if row is None:
            return
        rowid, story = int(row[0]), int(row[1])
        span = self._span(math.nan if row[2] is None else float(row[2]))
        total = self._story_sizes([story], span).get(story, 0)
        cap = self._settings["max_recluster"]
        if total > cap:  # grown past the cap by joins: leave it as it is
            self._conn.execute(
                f"UPDATE articles SET clustered_n = ? WHERE story = ?{span[0]}",
                (vocab.n_articles, story, *span[1]),
            )
            self._conn.execute(
                "UPDATE articles SET clustered_n = ? WHERE rowid = ?", (vocab.n_articles, rowid)
            )
            return
        chosen, _ = self._expand([story], total, cap, span)
        members, _, new = self._regroup(chosen, None, vocab, state, span)
        if rowid not in set(members.rowid.tolist()):  # pragma: no cover - defensive
            self._conn.execute(
                "UPDATE articles SET clustered_n = ? WHERE rowid = ?", (vocab.n_articles, rowid)
            )
        self._write_groups(members, new, vocab.n_articles)

    def _expand(
        self, stories: list[int], total: int, cap: int, span: tuple[str, tuple]
    ) -> tuple[list[int], int]:
        """Grow a set of stories along stored edges, nearest first, to at most ``cap`` members.

        Whole stories are added, breadth first, so the set approaches the connected
        component (of same-story edges) that batch clustering would re-cluster.
        """
        chosen = list(stories)
        seen = set(chosen)
        frontier = chosen
        clause, bounds = span
        member_clause = clause.replace("day", "member.day")
        other_clause = clause.replace("day", "other.day")
        while frontier and total < cap:
            found: set[int] = set()
            for start in range(0, len(frontier), 500):
                chunk = frontier[start : start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(
                    s
                    for (s,) in self._conn.execute(
                        "SELECT DISTINCT other.story FROM articles AS member "
                        "JOIN edges ON edges.a = member.rowid "
                        "JOIN articles AS other ON other.rowid = edges.b "
                        f"WHERE member.story IN ({marks}){member_clause}{other_clause}",
                        (*chunk, *bounds, *bounds),
                    )
                )
            found -= seen
            found.discard(-1)
            seen |= found
            sizes = self._story_sizes(sorted(found), span)
            frontier = []
            for story in sorted(found, key=lambda s: (sizes.get(s, 0), s)):
                if total + sizes.get(story, 0) <= cap:
                    frontier.append(story)
                    total += sizes.get(story, 0)
            chosen.extend(frontier)
        return chosen, total

    def _join_frozen(self, p: _Prepared, stories: list[int], vocab: _Vocab) -> int | None:
        """The story (too large to re-cluster) with the best linkage, if good enough."""
        tfidf_ids = np.array([vocab.ids[t] for t in p.terms], dtype=np.int64)
        tfidf = p.weights * vocab.idf(tfidf_ids)
        norm = float(np.sqrt(tfidf @ tfidf)) or 1.0
        order = np.argsort(tfidf_ids)
        vector = (tfidf_ids[order], tfidf[order] / norm)
        best, best_score = None, self.rule.rewrite_threshold
        limit = self._settings["max_story_members"]
        for story in stories:
            rows = self._load("story = ? ORDER BY rowid DESC LIMIT ?", (story, limit))
            score = _linkage_score(self._score(p, vector, rows, vocab, extra=0)[0])
            if score >= best_score:
                best, best_score = story, score
        return best

    def _explain_assignment(
        self,
        p: _Prepared,
        vector: tuple[np.ndarray, np.ndarray],
        rowid: int,
        story: int,
        is_new: bool,
        candidates: _Rows,
        candidate_sims: np.ndarray,
        vocab: _Vocab,
    ) -> tuple[float, PairScores | None]:
        """Linkage score and closest member of the story taken (or, for a new story
        alone, of the best candidate story that was not good enough)."""
        members = self._load(
            "story = ? AND rowid != ? ORDER BY rowid DESC LIMIT ?",
            (story, rowid, self._settings["max_story_members"]),
        )
        if not members.ids:
            hopeful = candidate_sims >= self.rule.rewrite_threshold
            others = sorted({int(s) for s in candidates.story[hopeful]} - {story})
            if not others:
                return 0.0, None
            # The current stories of the candidates (re-clustering may have moved them).
            current = self._story_sizes(others)
            ranked = []
            for other in current:
                rows = self._load(
                    "story = ? ORDER BY rowid DESC LIMIT ?",
                    (other, self._settings["max_story_members"]),
                )
                sims, features = self._score(p, vector, rows, vocab, extra=0)
                ranked.append((_linkage_score(sims), -other, rows, sims, features))
            if not ranked:
                return 0.0, None
            score, _, members, sims, features = max(ranked, key=lambda r: (r[0], r[1]))
        else:
            sims, features = self._score(p, vector, members, vocab, extra=0)
            score = _linkage_score(sims)
        return float(score), self._best_pair(p, members, sims, features)

    def _span(self, day: float) -> tuple[str, tuple]:
        """SQL filter for the members re-clustered around an article of this day.

        Members dated more than ``window_days`` away share no edge with it and
        rarely share a story with its neighbours; they keep their story.
        """
        w = self.rule.window_days * _SPAN_WINDOWS
        if math.isnan(day) or math.isinf(w):
            return "", ()
        return " AND (day IS NULL OR day BETWEEN ? AND ?)", (day - w, day + w)

    def _story_sizes(
        self, stories: list[int], span: tuple[str, tuple] = ("", ())
    ) -> dict[int, int]:
        """Member counts of stories (inside ``span``)."""
        sizes: dict[int, int] = {}
        for start in range(0, len(stories), 500):
            chunk = stories[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sizes.update(
                self._conn.execute(
                    f"SELECT story, count(*) FROM articles WHERE story IN ({marks}){span[0]} "
                    "GROUP BY story",
                    (*chunk, *span[1]),
                )
            )
        return sizes

    def _load_stories(self, stories: list[int], span: tuple[str, tuple]) -> _Rows:
        parts = []
        for start in range(0, len(stories), 500):
            chunk = stories[start : start + 500]
            marks = ",".join("?" * len(chunk))
            parts.append(
                self._load(f"story IN ({marks}){span[0]} ORDER BY rowid", (*chunk, *span[1]))
            )
        return _concat(parts, self._hasher.num_perm)

    def _stored_edges(self, rowids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stored edges among ``rowids``, as positions into it (each pair once, i < j)."""
        ids = rowids.tolist()
        pairs = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            pairs.extend(self._conn.execute(f"SELECT a, b FROM edges WHERE a IN ({marks})", chunk))
        if not pairs:
            empty = np.zeros(0, dtype=np.intp)
            return empty, empty
        ab = np.array(pairs, dtype=np.int64)
        order = np.argsort(rowids)
        sorted_ids = rowids[order]
        pos = np.minimum(np.searchsorted(sorted_ids, ab), sorted_ids.size - 1)
        inside = (sorted_ids[pos] == ab).all(axis=1)
        i, j = order[pos[inside, 0]], order[pos[inside, 1]]
        keep = i < j
        return i[keep].astype(np.intp), j[keep].astype(np.intp)

    def _similarity_matrix(self, rows: _Rows, vocab: _Vocab) -> np.ndarray:
        """Full story_similarity matrix of loaded rows, as batch clustering computes it.

        TF-IDF cosine with the current IDF, 0 outside the date window, and 1.0 for
        the stored copy edges.
        """
        n = len(rows.ids)
        lengths = np.array([t.size for t in rows.term_ids], dtype=np.int64)
        indices = np.concatenate(rows.term_ids) if n else np.zeros(0, dtype=np.int64)
        data = np.concatenate(rows.weights) * vocab.idf(indices)
        indptr = np.r_[0, np.cumsum(lengths)]
        norms = np.sqrt(np.add.reduceat(data**2, indptr[:-1])) if data.size else np.ones(n)
        norms = np.where((lengths > 0) & (norms > 0), norms, 1.0)
        data = data / np.repeat(norms, lengths)
        matrix = sp.csr_matrix((data, indices, indptr), shape=(n, vocab.df.size))
        similarity = np.clip((matrix @ matrix.T).toarray(), 0.0, 1.0)
        gap = np.abs(rows.day[:, None] - rows.day[None, :])
        similarity[gap > self.rule.window_days] = 0.0
        position = {int(r): k for k, r in enumerate(rows.rowid.tolist())}
        ids = list(position)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for a, b in self._conn.execute(
                f"SELECT a, b FROM edges WHERE score >= 1.0 AND a IN ({marks})", chunk
            ):
                k = position.get(b)
                if k is not None:
                    similarity[position[a], k] = similarity[k, position[a]] = 1.0
        return similarity

    def _delete(self, rowids: list[int], vocab: _Vocab) -> None:
        conn = self._conn
        for start in range(0, len(rowids), 500):
            chunk = rowids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT rowid, signature, term_ids FROM articles WHERE rowid IN ({marks})", chunk
            ).fetchall()
            for rowid, signature, term_blob in rows:
                term_ids = np.frombuffer(term_blob, dtype="<i4").astype(np.int64)
                vocab.df[term_ids] -= 1
                vocab.n_articles -= 1
                conn.executemany(
                    "UPDATE terms SET df = df - 1 WHERE term_id = ?", [(int(t),) for t in term_ids]
                )
                conn.executemany(
                    "DELETE FROM postings WHERE term_id = ? AND article = ?",
                    [(int(t), rowid) for t in term_ids],
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
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT id, {column} FROM articles WHERE id IN ({marks})"
            found.update(self._conn.execute(query, chunk))
        return found

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
        rows = self._rows_per_band
        block = np.asarray(signature[: self._bands * rows], dtype=np.uint64).reshape(
            self._bands, rows
        )
        key = np.arange(1, self._bands + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for col in range(rows):
                key = (key * np.uint64(0x100000001B3)) ^ block[:, col]
        return [int(k) for k in key.view(np.int64)]

    def _window(self, day: float) -> tuple[str, tuple]:
        w = self.rule.window_days
        if math.isnan(day) or math.isinf(w):
            return "", ()
        return " AND (day IS NULL OR day BETWEEN ? AND ?)", (day - w, day + w)

    def _candidates(
        self, p: _Prepared, term_ids: np.ndarray, tfidf: np.ndarray
    ) -> tuple[set[int], set[int]]:
        """Stored articles sharing an LSH band with ``p``, and those in its date
        window sharing one of its ``top_terms`` most distinctive terms."""
        conn = self._conn
        keys = self._band_keys(p.signature)
        marks = ",".join("?" * len(keys))
        copies = {
            article
            for key, band, article in conn.execute(
                f"SELECT key, band, article FROM bands WHERE key IN ({marks})", keys
            )
            if keys[band] == key
        }
        found: set[int] = set()
        top = term_ids[np.argsort(-tfidf, kind="stable")[: self._settings["top_terms"]]]
        window, bounds = self._window(p.day)
        limit = self._settings["per_term_limit"]
        for term in top:
            found.update(
                r
                for (r,) in conn.execute(
                    f"SELECT article FROM postings WHERE term_id = ?{window} "
                    "ORDER BY day DESC LIMIT ?",
                    (int(term), *bounds, limit),
                )
            )
        return copies, found

    def _load(self, where: str, params: Sequence) -> _Rows:
        rows = self._conn.execute(
            "SELECT rowid, id, story, day, shingles, signature, term_ids, term_weights "
            f"FROM articles WHERE {where}",
            params,
        ).fetchall()
        n = len(rows)
        return _Rows(
            rowid=np.array([r[0] for r in rows], dtype=np.int64),
            ids=[r[1] for r in rows],
            story=np.array([r[2] for r in rows], dtype=np.int64),
            day=np.array([math.nan if r[3] is None else r[3] for r in rows], dtype=np.float64),
            shingles=np.array([r[4] for r in rows], dtype=np.int64),
            signatures=(
                np.frombuffer(b"".join(r[5] for r in rows), dtype="<u4").reshape(n, -1)
                if n
                else np.zeros((0, self._hasher.num_perm), dtype=np.uint32)
            ),
            term_ids=[np.frombuffer(r[6], dtype="<i4").astype(np.int64) for r in rows],
            weights=[np.frombuffer(r[7], dtype="<f4").astype(np.float64) for r in rows],
        )

    def _load_rowids(self, rowids: Sequence[int]) -> _Rows:
        parts = []
        for start in range(0, len(rowids), 500):
            chunk = list(rowids[start : start + 500])
            parts.append(self._load(f"rowid IN ({','.join('?' * len(chunk))})", chunk))
        return _concat(parts, self._hasher.num_perm)

    def _best_pair(self, p: _Prepared, members: _Rows, sims: np.ndarray, features: dict):
        """The PairScores of the article with its most similar member."""
        k = int(np.argmax(sims))
        return PairScores.from_features(
            p.article.id,
            members.ids[k],
            self.rule,
            cosine=float(features["cosine"][k]),
            jaccard=float(features["jaccard"][k]),
            containment=float(features["containment"][k]),
            date_distance_days=float(features["distance"][k]),
            smaller_shingles=int(features["smaller"][k]),
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
        cosine = np.zeros(n)
        q_ids, q_vals = vector
        for k in range(n):
            terms = rows.term_ids[k]
            pos = np.minimum(np.searchsorted(q_ids, terms), max(q_ids.size - 1, 0))
            shared = q_ids[pos] == terms if q_ids.size else np.zeros(terms.size, dtype=bool)
            # A queried article counts in N and in the df of its own terms (extra=1).
            df = vocab.df[terms] + extra * shared
            w = rows.weights[k] * (np.log((1.0 + vocab.n_articles + extra) / (1.0 + df)) + 1.0)
            norm = float(np.sqrt(w @ w))
            if norm == 0.0:
                continue
            cosine[k] = min(max(float(w[shared] @ q_vals[pos[shared]]) / norm, 0.0), 1.0)
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
            self.rule.story_similarity(cosine, jaccard, containment, distance, smaller),
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
    ) -> list[tuple[int, float, int, PairScores]]:
        """Stories ``p`` could join: (story id, linkage score, size, best pair), best first."""
        full = tfidf if norm_weights is None else norm_weights
        norm = float(np.sqrt(full @ full))
        if norm == 0.0:
            norm = 1.0
        order = np.argsort(term_ids)
        vector = (term_ids[order], tfidf[order] / norm)
        copies, near = self._candidates(p, term_ids, tfidf)
        candidates = sorted(copies | near)
        if not candidates:
            return []
        rows = self._load_rowids(candidates)
        story_sim, _ = self._score(p, vector, rows, vocab, extra)
        hopeful = sorted({int(s) for s in rows.story[story_sim >= self.rule.rewrite_threshold]})
        if not hopeful:
            return []
        ranked = []
        limit = self._settings["max_story_members"]
        for story in hopeful:
            members = self._load("story = ? ORDER BY rowid DESC LIMIT ?", (story, limit))
            sims, features = self._score(p, vector, members, vocab, extra)
            score = _linkage_score(sims)
            best = self._best_pair(p, members, sims, features)
            ranked.append((story, score, len(members.ids), best))
        ranked.sort(key=lambda r: (-r[1], r[0]))
        return ranked


def _linkage_score(similarity: np.ndarray) -> float:
    """Mean similarity to a story's members, clearly different members as a veto.

    The same distance as batch agglomeration: ``1 - s``, or ``VETO_DISTANCE``
    below ``CLEARLY_DIFFERENT``; returned as ``1 - mean distance``, so it is the
    plain mean similarity when no member is clearly different.
    """
    distance = np.where(similarity < CLEARLY_DIFFERENT, VETO_DISTANCE, 1.0 - similarity)
    return float(1.0 - distance.mean())


def _concat(parts: list[_Rows], num_perm: int) -> _Rows:
    if not parts:
        parts = []
    return _Rows(
        rowid=np.concatenate([p.rowid for p in parts]) if parts else np.zeros(0, dtype=np.int64),
        ids=[i for p in parts for i in p.ids],
        story=np.concatenate([p.story for p in parts]) if parts else np.zeros(0, dtype=np.int64),
        day=np.concatenate([p.day for p in parts]) if parts else np.zeros(0),
        shingles=np.concatenate([p.shingles for p in parts])
        if parts
        else np.zeros(0, dtype=np.int64),
        signatures=(
            np.concatenate([p.signatures for p in parts])
            if parts
            else np.zeros((0, num_perm), dtype=np.uint32)
        ),
        term_ids=[t for p in parts for t in p.term_ids],
        weights=[w for p in parts for w in p.weights],
    )


def _inherit_ids(old: np.ndarray, groups: np.ndarray) -> dict[int, int]:
    """Old story ids for new groups: largest overlaps first, the older story on ties.

    ``old`` is each member's story id (-1 for none), ``groups`` its new group.
    Each old id goes to at most one group and each group takes at most one id, so
    a story that keeps most of its members keeps its id, and a merge keeps the id
    of the story contributing most (the oldest on ties).
    """
    counts: dict[tuple[int, int], int] = {}
    for story, group in zip(old.tolist(), groups.tolist(), strict=True):
        if story >= 0:
            counts[story, group] = counts.get((story, group), 0) + 1
    taken_story: set[int] = set()
    result: dict[int, int] = {}
    for (story, group), _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1])):
        if story not in taken_story and group not in result:
            result[group] = story
            taken_story.add(story)
    return result


def _empty(p: _Prepared) -> IndexAssignment:
    return IndexAssignment(
        article_id=p.article.id, story_id=None, is_new_story=False, score=0.0, best=None
    )


def _check_articles(articles: Iterable[Article]) -> list[Article]:
    if isinstance(articles, (str, bytes, Article)):
        raise ParameterError("expected an iterable of Article objects: wrap one article in a list")
    result = list(articles)
    seen: set[str] = set()
    for position, article in enumerate(result):
        if not isinstance(article, Article):
            raise ParameterError(
                f"item {position} is a {type(article).__name__}, not an Article: "
                "build Article(id=..., text=...) objects, or use read_articles(path)"
            )
        if article.id in seen:
            raise ParameterError(f"duplicate article id {article.id!r}: ids must be unique")
        seen.add(article.id)
    return result
