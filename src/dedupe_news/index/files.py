"""The index file: format, schema, opening (read-only or for writing), and its errors."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from ..errors import DedupeNewsError
from ..minhash import MINHASH_SCHEME
from ..pair_model import ModelFileError, PairModel
from .settings import checked_settings, fixed_differences, settings_from_json, settings_to_json

FORMAT_VERSION = 7
"""4: hashed term counts and publication times; 5: script-aware tokens (CJK bigrams,
stems outside English), so files written before hold terms new articles no longer make;
6: corpus stop words, fixed in ``stop_terms`` once the index holds
:data:`~dedupe_news.stopwords.STABLE_AFTER_DOCUMENTS` articles; 7: the reference stop
words (:func:`~dedupe_news.stopwords.reference_stop_words`) left out of the terms of
articles outside English, and the ``evidence`` table of an index with a learned model."""
APPLICATION = "dedupe-news story index"

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE articles (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    story INTEGER NOT NULL,
    day REAL,
    date TEXT,
    time REAL,
    title TEXT,
    source TEXT,
    shingles INTEGER NOT NULL,
    clustered_n INTEGER,
    changed INTEGER NOT NULL,
    signature BLOB NOT NULL,
    term_ids BLOB NOT NULL,
    term_counts BLOB NOT NULL
);
CREATE INDEX articles_story ON articles (story);
CREATE INDEX articles_day ON articles (day);
CREATE INDEX articles_clustered ON articles (clustered_n);
CREATE INDEX articles_changed ON articles (changed);
CREATE TABLE terms (term_id INTEGER PRIMARY KEY, df INTEGER NOT NULL);
CREATE TABLE stop_terms (term_id INTEGER PRIMARY KEY);
CREATE TABLE postings (
    term_id INTEGER NOT NULL, day REAL NOT NULL, article INTEGER NOT NULL,
    impact INTEGER NOT NULL,
    PRIMARY KEY (term_id, day, article)
) WITHOUT ROWID;
CREATE TABLE bands (
    key INTEGER NOT NULL, band INTEGER NOT NULL, article INTEGER NOT NULL,
    PRIMARY KEY (key, band, article)
) WITHOUT ROWID;
CREATE TABLE evidence (
    article INTEGER PRIMARY KEY,
    tokens INTEGER NOT NULL,
    lead_ids BLOB NOT NULL,
    lead_counts BLOB NOT NULL,
    entities BLOB NOT NULL,
    quotes BLOB NOT NULL,
    tickers BLOB NOT NULL
);
CREATE TABLE edges (
    a INTEGER NOT NULL, b INTEGER NOT NULL, score REAL NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
"""


class IndexFileError(DedupeNewsError):
    """The file is not a usable story index: missing, corrupt, or not made by dedupe-news."""


class IncompatibleIndexError(IndexFileError, ValueError):
    """The index was written with other settings or an other format version."""


class IndexBusyError(IndexFileError):
    """Another process holds the index's write lock for longer than the busy timeout."""


def sqlite_error(path: str, exc: sqlite3.Error, doing: str) -> IndexFileError:
    """The error to raise for an SQLite error while ``doing`` something with the index.

    A lock held by another process is :class:`IndexBusyError`, a read-only file
    or a full disk say so; anything else the file cannot answer is corruption.
    """
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(exc):
        return IndexBusyError(
            f"{path}: the index is busy (another process is writing); retry ({doing}: {exc})"
        )
    if code == sqlite3.SQLITE_READONLY:
        return IndexFileError(
            f"{path}: cannot write the story index ({exc}): check the permissions of the file "
            "and its directory"
        )
    if code == sqlite3.SQLITE_FULL:
        return IndexFileError(f"{path}: cannot write the story index: the disk is full")
    if code in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_PERM):
        return IndexFileError(f"{path}: cannot {doing} ({exc})")
    return IndexFileError(
        f"{path}: the story index is unreadable (SQLite says: {exc}); it is "
        "corrupt: rebuild it from the articles"
    )


def connect(path: str, *, readonly: bool, create: bool, timeout: float) -> sqlite3.Connection:
    """An autocommit connection to the index file, in WAL mode.

    ``readonly`` opens the file read-only (it must exist). Without ``create``, a
    missing file is an error naming the path.
    """
    p = Path(path)
    if p.is_dir():
        raise IndexFileError(f"{path}: is a directory, not a story index file")
    if (readonly or not create) and not p.exists():
        raise IndexFileError(
            f"{path}: no story index at this path: check the path (`index add` creates one)"
        )
    try:
        if readonly:
            target = p.resolve().as_uri() + "?mode=ro"
            conn = sqlite3.connect(target, uri=True, timeout=timeout, isolation_level=None)
        else:
            conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise IndexFileError(f"{path}: cannot open the story index: {exc}") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        if readonly:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as exc:
        conn.close()
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
            raise IndexFileError(
                f"{path}: not a story index (SQLite says: {exc}); the file is corrupt or "
                "something else: give a new path to create an index"
            ) from None
        raise sqlite_error(path, exc, "open the story index") from None
    if str(mode).lower() != "wal":
        conn.close()
        raise IndexFileError(f"{path}: cannot switch the file to WAL mode (got {mode})")
    return conn


def open_or_create(
    conn: sqlite3.Connection,
    path: str,
    given: dict,
    *,
    readonly: bool,
    model: PairModel | None = None,
) -> tuple[dict, PairModel | None]:
    """Check the file's format and settings (creating the schema in an empty file unless
    ``readonly``); returns the settings, the stored ones updated with ``given``, and
    the learned model the index decides with (None: the fixed rule).

    ``model`` is fixed when the file is made, like the decision settings: given
    for an existing file, it must be the stored one.

    Reading takes no lock: a writer at work never makes an open wait. Only an
    empty file is locked, to create the schema.
    """
    try:
        with _transaction(conn, "BEGIN"):
            tables = _tables(conn)
            meta = dict(conn.execute("SELECT key, value FROM meta")) if "meta" in tables else None
        if not tables and not readonly:
            with _transaction(conn, "BEGIN IMMEDIATE"):
                tables = _tables(conn)
                if not tables:
                    settings = checked_settings(given)
                    _create(conn, settings, model)
                    return settings, model
                meta = (
                    dict(conn.execute("SELECT key, value FROM meta")) if "meta" in tables else None
                )
    except sqlite3.DatabaseError as exc:
        raise sqlite_error(path, exc, "read the story index") from None
    if not tables:
        raise IndexFileError(f"{path}: an empty file, not a story index: check the path")
    if meta is None:
        raise IndexFileError(
            f"{path}: an SQLite database, but not a dedupe-news story index "
            "(no meta table): give a new path to create an index"
        )
    return _check_meta(path, meta, given), _check_model(path, meta, model)


def model_json(model: PairModel | None) -> str:
    """The model as stored in the meta table ("" for none)."""
    return "" if model is None else json.dumps(model.to_dict(), sort_keys=True)


def _check_model(path: str, meta: dict, given: PairModel | None) -> PairModel | None:
    """The stored model; ``given`` (when not None) must be the same one."""
    stored = meta.get("model", "")
    if given is not None and model_json(given) != stored:
        built = "another learned model" if stored else "the fixed rule (no model)"
        raise IncompatibleIndexError(
            f"{path}: the index was built with {built}: open it without a model to use "
            "the stored decision, or build a new index with this model"
        )
    if not stored:
        return None
    try:
        return PairModel.from_dict(json.loads(stored), source=f"{path} (stored model)")
    except (ValueError, ModelFileError) as exc:
        raise IndexFileError(
            f"{path}: the stored model is unreadable ({exc}); it is corrupt: rebuild it "
            "from the articles"
        ) from None


class _transaction:
    """BEGIN ... COMMIT, rolled back on any error."""

    def __init__(self, conn: sqlite3.Connection, begin: str):
        self.conn, self.begin = conn, begin

    def __enter__(self) -> None:
        self.conn.execute(self.begin)

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _create(conn: sqlite3.Connection, settings: dict, model: PairModel | None) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    meta = {
        "application": APPLICATION,
        "format_version": str(FORMAT_VERSION),
        "minhash_scheme": MINHASH_SCHEME,
        "settings": settings_to_json(settings),
        "generation": "0",
        "n_articles": "0",
        "next_story": "1",
        "stop_terms_fixed_at": "0",
        "model": model_json(model),
    }
    conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())


def _check_meta(path: str, meta: dict, given: dict) -> dict:
    if meta.get("application") != APPLICATION:
        raise IndexFileError(
            f"{path}: an SQLite database with a meta table, but not a dedupe-news "
            "story index: give a new path to create an index"
        )
    version = meta.get("format_version")
    if version != str(FORMAT_VERSION):
        raise IncompatibleIndexError(
            f"{path}: story index format version {version}, but this dedupe-news "
            f"reads version {FORMAT_VERSION}: rebuild the index from the articles"
        )
    if meta.get("minhash_scheme") != MINHASH_SCHEME:
        raise IncompatibleIndexError(
            f"{path}: signatures use the MinHash scheme {meta.get('minhash_scheme')!r}, "
            f"this dedupe-news computes {MINHASH_SCHEME!r}: rebuild the index"
        )
    try:
        stored = settings_from_json(meta["settings"])
    except (KeyError, ValueError, TypeError) as exc:
        raise IndexFileError(
            f"{path}: the stored settings are unreadable ({exc}); it is corrupt: rebuild it "
            "from the articles"
        ) from None
    wanted = checked_settings({**stored, **given})
    differ = fixed_differences(stored, wanted, given)
    if differ:
        raise IncompatibleIndexError(
            f"{path}: the index was built with other settings: {', '.join(differ)}; "
            "open it without these settings to use the stored ones, or build a new index"
        )
    return wanted
