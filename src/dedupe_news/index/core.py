"""The :class:`StoryIndex` facade: opening, and the public operations over its parts."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from ..articles import Article, checked_articles
from ..decision import PairScores
from ..errors import ParameterError, UnknownArticleError
from ..minhash import MinHasher
from ..pair_model import PairModel, resolve_model
from ..parallel import effective_jobs
from .bulk import BulkLoader
from .candidates import CandidateFinder
from .changes import IndexChanges, story_changes
from .incremental import IncrementalAdder
from .pairs import best_pair, prepare_articles, score_rows, stored_article, weigh
from .query import StoryRanker
from .recluster import Reclusterer, StoryIds
from .records import (
    IndexedStory,
    IndexStats,
    StoredAssignment,
    StoryMatch,
    empty_assignment,
)
from .removal import delete_chosen
from .settings import check_names, decision_rule
from .span import explain_with_model
from .stats import index_stats
from .storage import Store
from .stored_stories import stored_stories


class StoryIndex:
    """A persistent story index: add articles as they arrive, ask which story one belongs to.

    Parameters
    ----------
    path : str or Path
        The SQLite file; created when missing (unless ``create=False`` or ``readonly``).
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
    readonly : bool, default False
        Open the file read-only, for :meth:`query`, :meth:`stories`, :meth:`stats`
        and the like: it must exist, and reads never wait for a writer.
    create : bool, default True
        Create the file when missing; when False a missing file is an
        :class:`IndexFileError` naming the path.
    timeout : float, default 60
        Seconds to wait for another process's write lock before an
        :class:`IndexBusyError`.
    model : PairModel, "default", path or None, default None
        Decide with a learned model, as ``StoryClusterer(model=...)`` does
        (:mod:`~dedupe_news.pair_model`). Fixed when the file is created (the model
        is stored in it); leave it out to use the stored one. Such an index clusters
        every :meth:`add` call as a bulk add (``bulk=True``): the model reads each
        article's neighbours, which only a batch sees. Its lead and entity IDF are
        fitted over the articles clustered together (the call and the stored
        articles within two date windows of it), the body IDF over the whole index.
        The model's own threshold, candidate floor and neighbour count then apply,
        not ``rewrite_threshold`` and ``max_neighbors``.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "stories.db")
    >>> text = "Storm Delia hits the Texas coast tonight, forecasters warn of floods"
    >>> with StoryIndex(path) as index:
    ...     [a.is_new_story for a in index.add([Article("a", text), Article("b", text)])]
    [True, False]
    """

    def __init__(
        self,
        path: str | Path,
        *,
        readonly: bool = False,
        create: bool = True,
        timeout: float = 60.0,
        model: PairModel | str | Path | None = None,
        **settings,
    ):
        check_names(settings)
        self.path = str(path)
        self._store = Store(
            self.path,
            settings,
            readonly=readonly,
            create=create,
            timeout=timeout,
            model=resolve_model(model),
        )
        s = self._store.settings
        self.rule = decision_rule(s)
        self._hasher = MinHasher(
            num_perm=s["num_perm"], seed=s["seed"], shingle_size=s["shingle_size"]
        )
        self._finder = CandidateFinder(self._store, s)
        self._ranker = StoryRanker(self._store, self._finder, self.rule, s)
        reclusterer = Reclusterer(self._store, self.rule, s)
        self._adder = IncrementalAdder(self._store, self._finder, reclusterer, self.rule, s)
        self._bulk = BulkLoader(self._store, self._finder, self._hasher, self.rule, s)

    @classmethod
    def open_readonly(cls, path: str | Path, **settings) -> StoryIndex:
        """Open an existing index read-only (see ``readonly``)."""
        return cls(path, readonly=True, **settings)

    @property
    def model(self) -> PairModel | None:
        """The learned model this index decides with (None: the fixed rule)."""
        return self._store.model

    @property
    def settings(self) -> dict:
        """Every setting of this index (``window_days`` may be ``math.inf``)."""
        return dict(self._store.settings)

    # -- life cycle --------------------------------------------------------------

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> StoryIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------

    def add(
        self,
        articles: Iterable[Article],
        *,
        skip_existing: bool = False,
        bulk: bool = False,
        n_jobs: int | None = None,
    ) -> IndexChanges:
        """Assign each article to a stored story or a new one, and store it.

        Articles are taken in the order given (feed them in date order, as they
        arrive); each sees the ones before it, those of this call included. The
        whole call is one transaction: on any error nothing of it is stored.
        An id already in the index is an error, or skipped (and not returned) with
        ``skip_existing=True``.

        Returns an :class:`IndexChanges`: the call's assignments (one per article,
        in order; it is also a sequence of them), and the stored articles that
        re-clustering moved to another story, with the merges and splits.

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
        An index with a learned model (``model``) adds every call as with
        ``bulk=True``.
        """
        articles = _check_articles(articles)
        effective_jobs(n_jobs)  # validates
        store = self._store
        with store.writing() as vocab:
            known = set(store.rowids_of([a.id for a in articles]))
            if known and not skip_existing:
                first = next(a.id for a in articles if a.id in known)
                raise ParameterError(
                    f"article id {first!r} is already in the index: ids must be unique "
                    "(pass skip_existing=True, or --skip-existing, to skip stored articles)"
                )
            todo = [a for a in articles if a.id not in known]
            ids = StoryIds(store.next_story())
            if bulk or store.model is not None:
                results = self._bulk.add(todo, vocab, ids, n_jobs)
            else:
                results = [
                    self._adder.add(p, vocab, ids) if p.shingles else empty_assignment(p.article.id)
                    for p in prepare_articles(self._hasher, todo)
                ]
            # Later articles of this call may have moved earlier ones: report final stories.
            final = store.stories_of([a.article_id for a in results if a.story_id is not None])
            results = [
                a if a.story_id is None else dataclasses.replace(a, story_id=final[a.article_id])
                for a in results
            ]
            moved, staying = store.moved_articles()
            merged, split = story_changes(moved, staying)
            store.set_meta(next_story=ids.next_id)
            generation = store.changes.generation
        return IndexChanges(
            assignments=tuple(results),
            moved=tuple(moved),
            merged=merged,
            split=split,
            generation=generation,
        )

    def remove(self, ids: Iterable[str], *, missing_ok: bool = False) -> int:
        """Remove articles by id; returns how many were removed. One transaction.

        Their stories keep their other members (and their ids). An unknown id is
        an :class:`~dedupe_news.errors.UnknownArticleError` unless ``missing_ok``.
        """
        ids = list(dict.fromkeys(ids))

        def chosen() -> list[int]:
            rows = self._store.rowids_of(ids)
            if not missing_ok:
                missing = [i for i in ids if i not in rows]
                if missing:
                    raise UnknownArticleError(f"no article with id {missing[0]!r} in the index")
            return list(rows.values())

        return delete_chosen(self._store, self._finder, chosen)

    def evict(self, older_than: dt.date) -> int:
        """Remove articles dated before ``older_than`` (undated ones stay); returns the count."""
        if not isinstance(older_than, dt.date):
            raise ParameterError(f"older_than must be a datetime.date, got {older_than!r}")
        day = float(older_than.toordinal())

        def chosen() -> list[int]:
            query = "SELECT rowid FROM articles WHERE day < ?"
            return [r for (r,) in self._store.conn.execute(query, (day,))]

        return delete_chosen(self._store, self._finder, chosen)

    # -- reading -----------------------------------------------------------------

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
        if self._store.model is not None:
            raise ParameterError(
                f"{self.path}: this index decides with a learned model, which reads an "
                "article's neighbours in its batch; query ranks by the fixed rule only: "
                "add the article to learn its story, or query an index built without a model"
            )
        with self._store.reading():  # one snapshot for the whole query
            vocab = self._store.vocabulary()
            (prepared,) = prepare_articles(self._hasher, [article])
            if not prepared.shingles:
                return []
            ranked = self._ranker.rank(prepared, vocab, limit)
        return [
            StoryMatch(story_id=sid, score=score, size=size, best=best)
            for sid, score, size, best in ranked
        ]

    def stories(self) -> list[IndexedStory]:
        """Every stored story, in order of story id; members in insertion order.

        Each story's source is its earliest member by publication time (a date
        without a time counts as 00:00 UTC; the first stored on ties, undated ones
        last), with its title and outlet.
        """
        return stored_stories(self._store)

    def explain(self, id_a: str, id_b: str) -> PairScores:
        """Every similarity of two stored articles and the verdict, with the current IDF:
        what :meth:`StoryClusterer.explain <dedupe_news.pipeline.StoryClusterer.explain>`
        gives for the same articles when batch clustering holds the same corpus.

        With a learned model, the pair is scored over the stored articles near each
        of the two in date (their candidate neighbours), with lead and entity IDF
        fitted over those articles (:func:`~.span.explain_with_model`)."""
        store = self._store
        with store.reading():
            vocab = store.vocabulary()
            rowids = store.rowids_of([id_a, id_b])
            for article_id in (id_a, id_b):
                if article_id not in rowids:
                    raise UnknownArticleError(f"no article with id {article_id!r} in the index")
            a = store.load_rowids([rowids[id_a]])
            b = store.load_rowids([rowids[id_b]])
            if store.model is not None:
                return explain_with_model(store, self.rule, vocab, a, b)
        query = weigh(vocab, stored_article(a), extra=0)
        sims, features = score_rows(self.rule, query, b, vocab)
        return best_pair(self.rule, query, b.ids, sims, features)

    def story_of(self, article_id: str) -> int:
        """The story id of a stored article."""
        found = self._store.stories_of([article_id])
        if article_id not in found:
            raise UnknownArticleError(f"no article with id {article_id!r} in the index")
        return int(found[article_id])

    def assignments(self, since: int = 0) -> list[StoredAssignment]:
        """The current story of every article that the write transactions after number
        ``since`` added or moved, in that order: what a consumer that last applied
        the :class:`IndexChanges` of generation ``since`` must apply to catch up
        (``since=0``: every stored article). Each carries the generation that last
        set it: pass the largest seen next time."""
        with self._store.reading():
            rows = self._store.assignments_since(int(since))
        return [StoredAssignment(i, s, g) for i, s, g in rows]

    def __len__(self) -> int:
        return int(self._store.conn.execute("SELECT count(*) FROM articles").fetchone()[0])

    def __contains__(self, article_id: object) -> bool:
        return (
            self._store.conn.execute(
                "SELECT 1 FROM articles WHERE id = ?", (article_id,)
            ).fetchone()
            is not None
        )

    def stats(self) -> IndexStats:
        """Counts, dates, file size, settings and decision of the index."""
        return index_stats(self._store)


def _check_articles(articles: Iterable[Article]) -> list[Article]:
    if isinstance(articles, (str, bytes, Article)):
        raise ParameterError("expected an iterable of Article objects: wrap one article in a list")
    return list(checked_articles(articles))
