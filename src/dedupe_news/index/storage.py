"""The :class:`Store`: the index file's connection, transactions, vocabulary and rows."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence

import numpy as np

from ..pair_model import PairModel
from ..prepare import N_FEATURES
from ..stopwords import STABLE_AFTER_DOCUMENTS
from ..weighting import stop_terms
from .changes import ChangeLog, MovedArticle
from .edges import EdgeTable
from .files import IndexFileError, connect, open_or_create, sqlite_error
from .rows import ROW_COLUMNS, Rows, Vocabulary, concat_rows, decode_rows
from .sql import in_chunks


class Store(EdgeTable):
    """The index file: connection, settings, transactions, vocabulary, and article rows
    (the same-story edges: :class:`~dedupe_news.index.edges.EdgeTable`).

    Reads happen in snapshots (:meth:`reading`), writes in one transaction per
    operation (:meth:`writing`), which records in :attr:`changes` the stories of
    stored articles it moves.
    """

    def __init__(
        self,
        path: str,
        given: dict,
        *,
        readonly: bool,
        create: bool,
        timeout: float,
        model: PairModel | None = None,
    ) -> None:
        self.path = path
        self.readonly = readonly
        self.conn = connect(path, readonly=readonly, create=create, timeout=timeout)
        try:
            self.settings, self.model = open_or_create(
                self.conn, path, given, readonly=readonly, model=model
            )
        except BaseException:
            self.conn.close()
            raise
        self.num_perm = self.settings["num_perm"]
        self.changes: ChangeLog | None = None
        self._vocab: Vocabulary | None = None

    def close(self) -> None:
        self.conn.close()

    # -- transactions ------------------------------------------------------------

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        """One read snapshot (WAL: never waits for a writer)."""
        conn = self.conn
        try:
            conn.execute("BEGIN")
            try:
                yield
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise sqlite_error(self.path, exc, "read the story index") from None

    @contextlib.contextmanager
    def writing(self) -> Iterator[Vocabulary]:
        """One write transaction, yielding the vocabulary to change.

        On success the vocabulary's new generation and article count are stored
        and the transaction commits; on any error (or interruption) it rolls back
        and the cached vocabulary is dropped. :attr:`changes` logs the stories
        moved meanwhile.
        """
        if self.readonly:
            raise IndexFileError(f"{self.path}: the index was opened read-only: cannot write")
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise sqlite_error(self.path, exc, "lock the index for writing") from None
        try:
            vocab = self.vocabulary()
            self.changes = ChangeLog(
                generation=vocab.generation + 1, first_rowid=self._next_rowid()
            )
            yield vocab
            if vocab.fixed_stop_terms is None and vocab.n_articles >= STABLE_AFTER_DOCUMENTS:
                self._fix_stop_terms(vocab)
            vocab.generation += 1
            self.set_meta(generation=vocab.generation, n_articles=vocab.n_articles)
            conn.execute("COMMIT")
        except BaseException as exc:
            self._vocab = None
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.DatabaseError):
                raise sqlite_error(self.path, exc, "write the story index") from None
            raise

    # -- meta and vocabulary -------------------------------------------------------

    def meta(self, key: str) -> str:
        return self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]

    def set_meta(self, **values) -> None:
        self.conn.executemany(
            "UPDATE meta SET value = ? WHERE key = ?", [(str(v), k) for k, v in values.items()]
        )

    def next_story(self) -> int:
        return int(self.meta("next_story"))

    def _next_rowid(self) -> int:
        (last,) = self.conn.execute(
            "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'articles'"
        ).fetchone()
        return int(last) + 1

    def vocabulary(self) -> Vocabulary:
        """The cached vocabulary, reloaded when another connection changed the file."""
        meta = dict(
            self.conn.execute(
                "SELECT key, value FROM meta "
                "WHERE key IN ('generation', 'n_articles', 'stop_terms_fixed_at')"
            )
        )
        generation = int(meta["generation"])
        if self._vocab is None or self._vocab.generation != generation:
            rows = np.array(
                self.conn.execute("SELECT term_id, df FROM terms").fetchall(), dtype=np.int64
            ).reshape(-1, 2)
            df = np.zeros(N_FEATURES, dtype=np.int64)
            df[rows[:, 0]] = rows[:, 1]
            fixed = None
            if int(meta["stop_terms_fixed_at"]):
                fixed = np.array(
                    self.conn.execute("SELECT term_id FROM stop_terms ORDER BY term_id").fetchall(),
                    dtype=np.int64,
                ).reshape(-1)
            self._vocab = Vocabulary(generation, int(meta["n_articles"]), df, fixed)
        return self._vocab

    def _fix_stop_terms(self, vocab: Vocabulary) -> None:
        """Store the stop words of the index as they are now, for good (the set no
        longer follows the counts: stored and new articles keep one set of terms)."""
        fixed = np.flatnonzero(stop_terms(vocab.df, vocab.n_articles)).astype(np.int64)
        self.conn.executemany(
            "INSERT INTO stop_terms (term_id) VALUES (?)", ((t,) for t in fixed.tolist())
        )
        self.set_meta(stop_terms_fixed_at=vocab.n_articles)
        vocab.fixed_stop_terms = fixed

    def count_terms(self, term_ids: np.ndarray, step: int) -> None:
        """Add ``step`` to the stored df of each of ``term_ids`` (distinct)."""
        self.conn.executemany(
            "INSERT INTO terms (term_id, df) VALUES (?, ?) "
            "ON CONFLICT (term_id) DO UPDATE SET df = df + excluded.df",
            [(int(t), int(step)) for t in term_ids],
        )

    def set_term_counts(self, term_ids: np.ndarray, df: np.ndarray) -> None:
        """Store the df of each of ``term_ids``."""
        self.conn.executemany(
            "INSERT INTO terms (term_id, df) VALUES (?, ?) "
            "ON CONFLICT (term_id) DO UPDATE SET df = excluded.df",
            zip(term_ids.tolist(), df.tolist(), strict=True),
        )

    # -- reading articles ----------------------------------------------------------

    def load(self, where: str, params: Sequence) -> Rows:
        """The articles ``WHERE where`` as arrays."""
        rows = self.conn.execute(
            f"SELECT {ROW_COLUMNS} FROM articles WHERE {where}", params
        ).fetchall()
        return decode_rows(rows, self.num_perm)

    def load_rowids(self, rowids: Sequence[int]) -> Rows:
        parts = [self.load(f"rowid IN ({marks})", chunk) for chunk, marks in in_chunks(rowids)]
        return concat_rows(parts, self.num_perm)

    def load_stories(self, stories: list[int], span: tuple[str, tuple] = ("", ())) -> Rows:
        """The members of ``stories`` (inside ``span``, see :func:`day_filter`), by rowid."""
        parts = [
            self.load(f"story IN ({marks}){span[0]} ORDER BY rowid", (*chunk, *span[1]))
            for chunk, marks in in_chunks(stories)
        ]
        return concat_rows(parts, self.num_perm)

    def recent_members(self, story: int, limit: int, *, besides: int = -1) -> Rows:
        """The ``limit`` most recently stored members of ``story`` (but ``besides``)."""
        return self.load(
            "story = ? AND rowid != ? ORDER BY rowid DESC LIMIT ?", (story, besides, limit)
        )

    def recent_member_rowids(self, stories: list[int], limit: int) -> list[int]:
        """Rowids of the ``limit`` most recently stored members of each of ``stories``."""
        rowids = []
        for chunk, marks in in_chunks(stories):
            rowids.extend(
                r
                for (r,) in self.conn.execute(
                    "SELECT rowid FROM (SELECT rowid, row_number() OVER "
                    "(PARTITION BY story ORDER BY rowid DESC) AS k "
                    f"FROM articles WHERE story IN ({marks})) WHERE k <= ?",
                    (*chunk, limit),
                )
            )
        return rowids

    def story_sizes(self, stories: list[int], span: tuple[str, tuple] = ("", ())) -> dict[int, int]:
        """Member counts of stories (inside ``span``)."""
        sizes: dict[int, int] = {}
        for chunk, marks in in_chunks(stories):
            sizes.update(
                self.conn.execute(
                    f"SELECT story, count(*) FROM articles WHERE story IN ({marks}){span[0]} "
                    "GROUP BY story",
                    (*chunk, *span[1]),
                )
            )
        return sizes

    def stories_of(self, ids: Sequence[str]) -> dict[str, int]:
        """``{id: story}`` for the stored articles among ``ids``."""
        return self._column_by_id("story", ids)

    def rowids_of(self, ids: Sequence[str]) -> dict[str, int]:
        """``{id: rowid}`` for the stored articles among ``ids``."""
        return self._column_by_id("rowid", ids)

    def _column_by_id(self, column: str, ids: Sequence[str]) -> dict[str, int]:
        assert column in ("story", "rowid")  # never user input: it is spliced into SQL
        found: dict[str, int] = {}
        for chunk, marks in in_chunks(ids):
            query = f"SELECT id, {column} FROM articles WHERE id IN ({marks})"
            found.update(self.conn.execute(query, chunk))
        return found

    # -- writing articles -------------------------------------------------------------

    def insert_article(self, row: dict) -> int:
        """Insert one article (``story`` -1 until assigned); returns its rowid."""
        row = {**row, "story": -1, "changed": self._generation()}
        names = ", ".join(row)
        cur = self.conn.execute(
            f"INSERT INTO articles ({names}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
        return int(cur.lastrowid)

    def _generation(self) -> int:
        return 0 if self.changes is None else self.changes.generation

    def write_stories(
        self, rowids: np.ndarray, old: np.ndarray, new: np.ndarray, clustered_n: int | None
    ) -> None:
        """Set stories (``old`` the current ones), and when the set was last clustered."""
        moved = old != new
        if self.changes is not None:
            self.changes.record(rowids[moved], old[moved])
        generation = self._generation()
        self.conn.executemany(
            "UPDATE articles SET story = ?, clustered_n = ?, "
            "changed = CASE WHEN story = ? THEN changed ELSE ? END WHERE rowid = ?",
            [
                (story, clustered_n, story, generation, r)
                for story, r in zip(new.tolist(), rowids.tolist(), strict=True)
            ],
        )

    def mark_clustered(self, clustered_n: int, where: str, params: Sequence) -> None:
        self.conn.execute(
            f"UPDATE articles SET clustered_n = ? WHERE {where}", (clustered_n, *params)
        )

    def delete_articles(self, rowids: list[int]) -> None:
        """Delete article rows, their evidence and their edges (postings, bands and df
        are the caller's)."""
        conn = self.conn
        for chunk, marks in in_chunks(rowids):
            for rowid in chunk:
                others = [
                    (b, rowid) for (b,) in conn.execute("SELECT b FROM edges WHERE a = ?", (rowid,))
                ]
                conn.executemany("DELETE FROM edges WHERE a = ? AND b = ?", others)
                conn.execute("DELETE FROM edges WHERE a = ?", (rowid,))
            conn.execute(f"DELETE FROM articles WHERE rowid IN ({marks})", chunk)
            conn.execute(f"DELETE FROM evidence WHERE article IN ({marks})", chunk)

    # -- what a write moved -----------------------------------------------------------

    def moved_articles(self) -> tuple[list[MovedArticle], dict[int, int]]:
        """The stored articles the current write moved to another story, and for every
        story they left or joined, how many of its members stored before stayed in it."""
        log = self.changes
        if log is None or not log.old_story:
            return [], {}
        moved = []
        for chunk, marks in in_chunks(sorted(log.old_story)):
            for rowid, article_id, story in self.conn.execute(
                f"SELECT rowid, id, story FROM articles WHERE rowid IN ({marks}) ORDER BY rowid",
                chunk,
            ):
                if story != log.old_story[rowid]:
                    moved.append(MovedArticle(article_id, log.old_story[rowid], story))
        stories = sorted({s for m in moved for s in (m.old_story_id, m.new_story_id)})
        before = {}
        for chunk, marks in in_chunks(stories):
            before.update(
                self.conn.execute(
                    f"SELECT story, count(*) FROM articles WHERE story IN ({marks}) "
                    "AND rowid < ? GROUP BY story",
                    (*chunk, log.first_rowid),
                )
            )
        staying = {s: before.get(s, 0) for s in stories}
        for m in moved:
            staying[m.new_story_id] -= 1
        return moved, staying

    def assignments_since(self, generation: int) -> list[tuple[str, int, int]]:
        """(id, story, generation) of the articles added or moved after ``generation``."""
        return self.conn.execute(
            "SELECT id, story, changed FROM articles WHERE changed > ? ORDER BY changed, rowid",
            (generation,),
        ).fetchall()
