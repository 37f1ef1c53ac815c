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
from .minhash import MINHASH_SCHEME, MinHasher, Signatures, lsh_candidate_pairs, lsh_params
from .normalize import content_terms, strip_boilerplate, tokenize
from .parallel import effective_jobs, map_tasks
from .pipeline import score_pairs
from .scoring import DecisionRule, PairScores, PairTable
from .tfidf import cosine_neighbor_pairs, probe_max_df

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

FORMAT_VERSION = 3
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
    "query_candidates": 64,
}

# Postings of undated articles: after every date (NOT NULL, as a WITHOUT ROWID key).
_UNDATED = math.inf
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
CREATE TABLE postings (
    term_id INTEGER NOT NULL, day REAL NOT NULL, article INTEGER NOT NULL,
    impact INTEGER NOT NULL,
    PRIMARY KEY (term_id, day, article)
) WITHOUT ROWID;
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
    lengths: np.ndarray  # terms per row
    term_ids: np.ndarray  # every row's term ids, concatenated (CSR indices)
    weights: np.ndarray  # their sublinear tf, concatenated (CSR data)

    def term_rows(self) -> np.ndarray:
        """The row of each entry of ``term_ids``."""
        return np.repeat(np.arange(self.lengths.size), self.lengths)


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
        parts["term_ids"].append(term_ids[order])
        parts["weights"].append(1.0 + np.log(counts[order].astype(np.float64)))
    joined = {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int64) for k, v in parts.items()}
    if not parts["signatures"]:
        joined["signatures"] = np.zeros((0, hasher.num_perm), dtype=np.uint32)
    day = np.array(
        [float(a.date.toordinal()) if a.date else math.nan for a in articles], dtype=np.float64
    )
    has_text = joined["shingles"] > 0
    keep_terms = np.repeat(has_text, joined["lengths"])
    return _Batch(
        positions=np.flatnonzero(has_text),
        day=day[has_text],
        shingles=joined["shingles"][has_text].astype(np.int64),
        signatures=joined["signatures"][has_text],
        lengths=joined["lengths"][has_text],
        term_ids=joined["term_ids"][keep_terms],
        weights=joined["weights"][keep_terms],
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


def _insert_sorted(conn: sqlite3.Connection, sql: str, *columns: np.ndarray) -> None:
    """``executemany(sql)`` over rows sorted by their columns (appends to the B-trees),
    a million rows at a time."""
    order = np.lexsort(columns[::-1])
    step = 1_000_000
    for start in range(0, order.size, step):
        chunk = order[start : start + step]
        conn.executemany(sql, zip(*(c[chunk].tolist() for c in columns), strict=True))


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
        indices = np.concatenate([stored.term_ids, batch.term_ids])
        data = np.concatenate([stored.weights, batch.weights]) * vocab.idf(indices)
        row = np.repeat(np.arange(total), lengths)
        norms = np.sqrt(np.bincount(row, weights=data * data, minlength=total))
        data = data / np.where(norms > 0, norms, 1.0)[row]
        columns, local = np.unique(indices, return_inverse=True)
        matrix = sp.csr_matrix(
            (data.astype(np.float32), local.astype(np.int32), np.r_[0, np.cumsum(lengths)]),
            shape=(total, columns.size),
        )
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
        table = score_pairs(self.rule, matrix, signatures, days, pair_i, pair_j)
        is_copy = table.story_similarity >= 1.0
        copies = sp.csr_matrix(
            (np.ones(int(is_copy.sum()), dtype=bool), (table.i[is_copy], table.j[is_copy])),
            shape=(total, total),
        )
        copies = (copies + copies.T).tocsr()
        window = self.rule.window_days

        def component_similarity(members: np.ndarray) -> np.ndarray:
            sub = matrix[members]
            similarity = np.clip((sub @ sub.T).toarray(), 0.0, 1.0)
            gap = np.abs(days[members][:, None] - days[members][None, :])
            similarity[gap > window] = 0.0
            similarity[copies[members][:, members].toarray()] = 1.0
            return similarity

        groups = cluster_pairs(
            total,
            table.i,
            table.j,
            table.story_similarity,
            threshold=self.rule.rewrite_threshold,
            component_similarity=component_similarity,
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
        _insert_sorted(
            conn,
            "INSERT INTO postings (term_id, day, article, impact) VALUES (?, ?, ?, ?)",
            columns[matrix.indices[entries]],
            np.repeat(posting_day, batch.lengths),
            np.repeat(rowids, batch.lengths),
            np.maximum(np.rint(matrix.data[entries] * 1000.0), 1).astype(np.int64),
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
                scores = PairScores.from_features(
                    ids[r],
                    ids[other],
                    self.rule,
                    cosine=float(table.cosine_similarity[k]),
                    jaccard=float(table.jaccard_similarity[k]),
                    containment=float(table.containment_similarity[k]),
                    date_distance_days=float(table.date_distance_days[k]),
                    smaller_shingles=int(min(shingles[r], shingles[other])),
                )
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
        num_perm = self._hasher.num_perm
        signatures = batch.signatures.astype("<u4").tobytes()
        terms = batch.term_ids.astype("<i4").tobytes()
        weights = batch.weights.astype("<f4").tobytes()
        bounds = np.r_[0, np.cumsum(batch.lengths)] * 4
        rows = []
        for k, position in enumerate(batch.positions.tolist()):
            a = articles[position]
            day = None if math.isnan(batch.day[k]) else float(batch.day[k])
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            rows.append(
                (
                    int(rowids[k]),
                    a.id,
                    int(story[k]),
                    day,
                    a.date.isoformat() if a.date else None,
                    a.title,
                    a.source,
                    int(batch.shingles[k]),
                    n,
                    signatures[k * num_perm * 4 : (k + 1) * num_perm * 4],
                    terms[lo:hi],
                    weights[lo:hi],
                )
            )
        self._conn.executemany(
            "INSERT INTO articles (rowid, id, story, day, date, title, source, shingles, "
            "clustered_n, signature, term_ids, term_weights) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
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
        return float(score), self._best_pair(p, members.ids, sims, features)

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
        lengths, indices = rows.lengths, rows.term_ids
        data = rows.weights * vocab.idf(indices)
        indptr = np.r_[0, np.cumsum(lengths)]
        norms = np.sqrt(np.bincount(rows.term_rows(), weights=data**2, minlength=n))
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
        for start in range(0, len(rowids), 500):
            chunk = list(rowids[start : start + 500])
            parts.append(self._load(f"rowid IN ({','.join('?' * len(chunk))})", chunk))
        return _concat(parts, self._hasher.num_perm)

    def _best_pair(self, p: _Prepared, ids: list[str], sims: np.ndarray, features: dict):
        """The PairScores of the article with its most similar member."""
        k = int(np.argmax(sims))
        return PairScores.from_features(
            p.article.id,
            ids[k],
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
        hopeful = sorted({int(s) for s in rows.story[story_sim >= self.rule.rewrite_threshold]})
        if not hopeful:
            return []
        # Every hopeful story's most recent members, loaded and scored at once.
        rowids = []
        for start in range(0, len(hopeful), 500):
            chunk = hopeful[start : start + 500]
            marks = ",".join("?" * len(chunk))
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


def _linkage_score(similarity: np.ndarray) -> float:
    """Mean similarity to a story's members, clearly different members as a veto.

    The same distance as batch agglomeration: ``1 - s``, or ``VETO_DISTANCE``
    below ``CLEARLY_DIFFERENT``; returned as ``1 - mean distance``, so it is the
    plain mean similarity when no member is clearly different.
    """
    distance = np.where(similarity < CLEARLY_DIFFERENT, VETO_DISTANCE, 1.0 - similarity)
    return float(1.0 - distance.mean())


def _impact(normalised: np.ndarray) -> list[int]:
    """A posting's stored weight: the term's L2-normalised TF-IDF when the article was
    added, times 1000 and at least 1. It ranks rewrite candidates in :meth:`StoryIndex.query`
    (IDF drifts after that; exact scores use the current IDF)."""
    return np.maximum(np.rint(normalised * 1000.0), 1).astype(np.int64).tolist()


def _decode(rows: list[tuple], num_perm: int) -> _Rows:
    """Rows of ``SELECT rowid, id, story, day, shingles, signature, term_ids,
    term_weights`` as arrays (each BLOB column decoded with one ``frombuffer``)."""
    n = len(rows)
    if not n:
        return _concat([], num_perm)
    rowid, ids, story, day, shingles, signatures, terms, weights = zip(*rows, strict=True)
    return _Rows(
        rowid=np.array(rowid, dtype=np.int64),
        ids=list(ids),
        story=np.array(story, dtype=np.int64),
        day=np.array([math.nan if d is None else d for d in day], dtype=np.float64),
        shingles=np.array(shingles, dtype=np.int64),
        signatures=np.frombuffer(b"".join(signatures), dtype="<u4").reshape(n, -1),
        lengths=np.fromiter(map(len, terms), dtype=np.int64, count=n) // 4,
        term_ids=np.frombuffer(b"".join(terms), dtype="<i4").astype(np.int64),
        weights=np.frombuffer(b"".join(weights), dtype="<f4").astype(np.float64),
    )


def _concat(parts: list[_Rows], num_perm: int) -> _Rows:
    parts = [p for p in parts if p.rowid.size]
    if len(parts) == 1:
        return parts[0]
    empty_int, empty_float = np.zeros(0, dtype=np.int64), np.zeros(0)

    def join(name: str, empty: np.ndarray) -> np.ndarray:
        return np.concatenate([getattr(p, name) for p in parts]) if parts else empty

    return _Rows(
        rowid=join("rowid", empty_int),
        ids=[i for p in parts for i in p.ids],
        story=join("story", empty_int),
        day=join("day", empty_float),
        shingles=join("shingles", empty_int),
        signatures=join("signatures", np.zeros((0, num_perm), dtype=np.uint32)),
        lengths=join("lengths", empty_int),
        term_ids=join("term_ids", empty_int),
        weights=join("weights", empty_float),
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
    return _empty_assignment(p.article.id)


def _empty_assignment(article_id: str) -> IndexAssignment:
    """An article with no text after cleaning: not stored."""
    return IndexAssignment(
        article_id=article_id, story_id=None, is_new_story=False, score=0.0, best=None
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
