"""The StoryClusterer estimator: read, prepare, weigh, find candidates, score pairs,
cluster, report.

Each step is one function of the shared feature layer, which the persistent
index and the Spark engine call too:

* :mod:`~dedupe_news.prepare`: texts to tokens, MinHash signatures, term counts;
* :mod:`~dedupe_news.weighting`: counts to TF-IDF rows (IDF from this corpus);
* candidates: :mod:`~dedupe_news.minhash` LSH for copies,
  :mod:`~dedupe_news.neighbors` TF-IDF neighbours in the date window for rewrites;
* :mod:`~dedupe_news.pair_features` and :mod:`~dedupe_news.decision`: every
  similarity of a candidate pair, then ``story_similarity`` and the verdict;
* :mod:`~dedupe_news.clustering`: components, then weighted linkage inside each.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from .articles import Article, article_list, checked_articles
from .clustering import Story, cluster_pairs, component_similarity, copy_matrix, group_stories
from .decision import DecisionRule, PairScores, PairTable
from .errors import EmptyCorpusError, NotFittedError, UnknownArticleError
from .minhash import COMPILED_MIN_BATCH, MinHasher, Signatures, lsh_candidate_pairs
from .neighbors import cosine_neighbor_pairs, probe_max_df
from .pair_features import ArticleRows, pair_features
from .parallel import effective_jobs, map_tasks
from .prepare import PreparedTexts, prepare_texts
from .settings import Settings
from .tables import articles_from_records
from .timestamps import article_day, article_time_key
from .weighting import corpus_tfidf_rows

__all__ = ["Story", "StoryClusterer", "cluster_articles", "compare_articles"]

_PREPARE_CHUNK = 2000
_WARM_UP_TEXT = "loads the signing kernel once before the workers fork"
STUB_TEXT_CHARS = 200

ProgressCallback = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` while fitting."""

_DEFAULTS = Settings()


class StoryClusterer(BaseEstimator):
    """Cluster news articles into stories: copies, abridgements and rewrites.

    Parameters
    ----------
    window_days, rewrite_threshold, copy_threshold, containment_threshold,
    min_containment_shingles, num_perm, shingle_size, seed, max_neighbors, linkage,
    max_component
        The settings of :class:`~dedupe_news.settings.Settings`, which documents
        and validates each one and holds the defaults (``Settings.doc(name)``).
    minhash_backend : {"auto", "numba", "numpy"}, default "auto"
        How signatures are computed (see :class:`~dedupe_news.minhash.MinHasher`):
        the compiled loop when numba is installed, else numpy. Results do not
        depend on it.
    n_jobs : int, optional
        Processes for normalising, signing and the neighbour search: None or 1
        runs in this process, -1 uses every core. Results do not depend on it.
    progress : callable, optional
        ``progress(stage, done, total)`` is called during ``fit``.

    Attributes
    ----------
    labels_ : ndarray of int64, shape (n_articles,)
        Story label per input article, numbered by first appearance; -1 for an
        article skipped because its text is empty.
    stories_ : list of Story
        Every story with at least one article, in label order.
    articles_ : list of Article
        The fitted articles, in input order. When ``fit`` was given a stream
        rather than a sequence, each holds only the first line of its text (at
        most :data:`STUB_TEXT_CHARS` characters): see :meth:`fit`.
    pairs_ : PairTable
        Every candidate pair that was scored.
    source_similarity_ : ndarray of float64, shape (n_articles,)
        ``story_similarity`` of each article to its story's source: 1.0 for the
        source itself, NaN for a skipped article.
    match_ : list of str or None
        Each article's relation to its story's source: ``"source"``, ``"copy"``
        (decided a copy of the source), ``"rewrite"`` (any other member), or None
        for a skipped article.
    n_skipped_empty_ : int
        Articles skipped because their text was empty after cleaning.

    Examples
    --------
    >>> from dedupe_news import Article, StoryClusterer
    >>> docs = [
    ...     Article("a", "Putin says peace talks with Ukraine reached a dead end in Istanbul."),
    ...     Article("b", "Peace talks with Ukraine are at a dead end, Putin says of Istanbul."),
    ...     Article("c", "The central bank raised interest rates by half a point on Thursday."),
    ... ]
    >>> StoryClusterer().fit_predict(docs).tolist()
    [0, 0, 1]
    """

    def __init__(
        self,
        *,
        window_days: float = _DEFAULTS.window_days,
        rewrite_threshold: float = _DEFAULTS.rewrite_threshold,
        copy_threshold: float = _DEFAULTS.copy_threshold,
        containment_threshold: float = _DEFAULTS.containment_threshold,
        min_containment_shingles: int = _DEFAULTS.min_containment_shingles,
        num_perm: int = _DEFAULTS.num_perm,
        shingle_size: int = _DEFAULTS.shingle_size,
        seed: int = _DEFAULTS.seed,
        max_neighbors: int = _DEFAULTS.max_neighbors,
        linkage: str = _DEFAULTS.linkage,
        max_component: int = _DEFAULTS.max_component,
        minhash_backend: str = "auto",
        n_jobs: int | None = None,
        progress: ProgressCallback | None = None,
    ):
        self.window_days = window_days
        self.rewrite_threshold = rewrite_threshold
        self.copy_threshold = copy_threshold
        self.containment_threshold = containment_threshold
        self.min_containment_shingles = min_containment_shingles
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self.seed = seed
        self.max_neighbors = max_neighbors
        self.linkage = linkage
        self.max_component = max_component
        self.minhash_backend = minhash_backend
        self.n_jobs = n_jobs
        self.progress = progress

    # -- the estimator -----------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The :class:`~dedupe_news.settings.Settings` these parameters define (validated)."""
        params = self.get_params()
        return _DEFAULTS.replace(**{k: v for k, v in params.items() if k in Settings.names()})

    @property
    def decision_rule(self) -> DecisionRule:
        """The decision rule these parameters define."""
        return DecisionRule.from_settings(self.settings)

    def fit(self, articles: Iterable[Article]) -> StoryClusterer:
        """Cluster ``articles`` into stories. Returns ``self``.

        ``articles`` is a sequence (a list, kept as ``articles_``) or a stream: any
        other iterable, such as :func:`~dedupe_news.articles.iter_articles` over
        files. A stream is read chunk by chunk while the chunks are normalised and
        signed, and its texts are then dropped: memory holds the signatures and
        term vectors, not the corpus. ``articles_`` then keeps each article with
        only the first line of its text.
        """
        settings, hasher = self._check_params()
        rule = DecisionRule.from_settings(settings)
        if _is_table(articles):
            articles = articles_from_records(articles)
        streamed = not isinstance(articles, Sequence)
        articles = checked_articles(articles) if streamed else article_list(articles)
        kept, signatures, counts, articles = self._prepare(articles, hasher, streamed)
        n_all = len(articles)
        if n_all == 0:
            raise EmptyCorpusError("no articles given: nothing to cluster")
        self.n_skipped_empty_ = n_all - kept.size
        if kept.size == 0:
            raise EmptyCorpusError(
                f"all {n_all} articles have empty text after cleaning: nothing to cluster"
            )
        n = kept.size

        self._report("tfidf", 0, n)
        matrix = corpus_tfidf_rows(counts)
        del counts
        days = np.array([article_day(articles[k]) for k in kept], dtype=np.float64)
        rows = ArticleRows(tfidf=matrix, signatures=signatures, days=days)
        self._report("tfidf", n, n)

        self._report("candidates", 0, n)
        pair_i, pair_j = self._candidates(rows, settings)

        self._report("scoring", 0, pair_i.size)
        table = PairTable.decide(rule, pair_i, pair_j, pair_features(rows, pair_i, rows, pair_j))
        self._report("scoring", pair_i.size, pair_i.size)

        self._report("clustering", 0, n)
        copies = copy_matrix(n, table.i, table.j, table.story_similarity)
        labels_kept = cluster_pairs(
            n,
            table.i,
            table.j,
            table.story_similarity,
            threshold=settings.rewrite_threshold,
            component_similarity=lambda members: component_similarity(
                rows, settings.window_days, members, copies
            ),
            linkage_method=settings.linkage,
            max_component=settings.max_component,
        )
        self._report("clustering", n, n)

        labels = np.full(n_all, -1, dtype=np.int64)
        labels[kept] = labels_kept
        self._rows, self._rule = rows, rule
        self.articles_ = articles
        self.labels_ = labels
        self._position = {a.id: k for k, a in enumerate(articles)}
        self._row = {int(k): r for r, k in enumerate(kept)}
        self.pairs_ = dataclasses.replace(table, i=kept[table.i], j=kept[table.j])
        self.stories_ = group_stories(
            [a.id for a in articles], [article_time_key(a) for a in articles], labels
        )
        self._relate_to_sources(kept)
        return self

    def fit_predict(self, articles: Iterable[Article], y=None) -> np.ndarray:
        """Fit and return ``labels_``."""
        return self.fit(articles).labels_

    # -- asking why --------------------------------------------------------------

    def explain(self, id_a: str, id_b: str) -> PairScores:
        """Every similarity of two fitted articles, the verdict and its reason.

        Works for any two articles of the fitted corpus, candidates or not. The
        returned ``same_cluster`` says whether clustering put them together, which
        can differ from the pair verdict: average linkage may keep a same-story pair
        apart, or join a pair through the rest of its story.
        """
        self._check_fitted()
        rows = [self._fitted_row(article_id) for article_id in (id_a, id_b)]
        features = pair_features(self._rows, np.array([rows[0]]), self._rows, np.array([rows[1]]))
        scores = PairScores.from_features(id_a, id_b, self._rule, features)
        label_a = self.labels_[self._position[id_a]]
        label_b = self.labels_[self._position[id_b]]
        return dataclasses.replace(scores, same_cluster=bool(label_a == label_b))

    # -- internals ---------------------------------------------------------------

    def _check_params(self) -> tuple[Settings, MinHasher]:
        """Validate the parameters; returns the settings and the hasher they define."""
        settings = self.settings
        effective_jobs(self.n_jobs)  # validates n_jobs
        hasher = MinHasher(
            num_perm=settings.num_perm,
            seed=settings.seed,
            shingle_size=settings.shingle_size,
            backend=self.minhash_backend,
        )
        return settings, hasher

    def _fitted_row(self, article_id: str) -> int:
        if article_id not in self._position:
            raise UnknownArticleError(f"no article with id {article_id!r} in the fitted corpus")
        position = self._position[article_id]
        if position not in self._row:
            raise UnknownArticleError(f"article {article_id!r} was skipped: its text is empty")
        return self._row[position]

    def _prepare(
        self, articles: Iterable[Article], hasher: MinHasher, streamed: bool
    ) -> tuple[np.ndarray, Signatures, sp.csr_matrix, list[Article]]:
        """The "prepare" stage: :func:`~dedupe_news.prepare.prepare_texts` on chunks
        spread over ``n_jobs`` processes.

        Returns the indices of articles with text, their signatures, their term
        counts, and the articles (for a stream, with texts cut to their first line).
        """
        total = 0 if streamed else len(articles)  # type: ignore[arg-type]
        self._report("prepare", 0, total)
        fitted: list[Article] = []
        failure: list[Exception] = []

        def tasks() -> Iterator[list[str]]:
            # Runs where the tasks are fed (a pool thread with n_jobs > 1): an
            # input error ends the feed here and is raised once the pool is done.
            iterator = iter(articles)
            try:
                while chunk := list(itertools.islice(iterator, _PREPARE_CHUNK)):
                    fitted.extend(map(_stub, chunk) if streamed else chunk)
                    yield [a.full_text for a in chunk]
            except Exception as error:  # noqa: BLE001 - re-raised below, in this thread
                failure.append(error)

        n_tasks = -(-total // _PREPARE_CHUNK) if total else None
        chunks: list[PreparedTexts] = []
        done = 0
        for chunk in map_tasks(
            _prepare_task,
            tasks(),
            state={"hasher": hasher},
            n_jobs=self.n_jobs,
            n_tasks=n_tasks or effective_jobs(self.n_jobs),
            warm_up=lambda: prepare_texts([_WARM_UP_TEXT] * COMPILED_MIN_BATCH, hasher),
        ):
            chunks.append(chunk)
            done += chunk.has_text.size
            self._report("prepare", done, total)
        if failure:
            raise failure[0]
        if streamed:
            self._report("prepare", done, done)
        if not chunks:
            return np.zeros(0, dtype=np.intp), None, None, fitted  # type: ignore[return-value]
        kept = np.flatnonzero(np.concatenate([c.has_text for c in chunks]))
        signatures = Signatures(
            np.concatenate([c.signatures.hashvalues for c in chunks]),
            np.concatenate([c.signatures.shingle_counts for c in chunks]),
        )
        counts = sp.vstack([c.term_counts for c in chunks], format="csr")
        return kept, signatures, counts, fitted

    def _candidates(self, rows: ArticleRows, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
        """Candidate pairs ``i < j``: LSH copy candidates and TF-IDF neighbours."""
        n = len(rows)
        copy_i, copy_j = lsh_candidate_pairs(rows.signatures, threshold=settings.copy_threshold)
        near_i, near_j, _ = cosine_neighbor_pairs(
            rows.tfidf,
            rows.days,
            window_days=settings.window_days,
            min_similarity=settings.rewrite_threshold,
            max_neighbors=settings.max_neighbors,
            probe_max_df=probe_max_df(n),
            n_jobs=self.n_jobs,
            progress=lambda done: self._report("candidates", done, n),
        )
        codes = np.unique(
            np.concatenate(
                [copy_i.astype(np.int64) * n + copy_j, near_i.astype(np.int64) * n + near_j]
            )
        )
        return (codes // n).astype(np.intp), (codes % n).astype(np.intp)

    def _relate_to_sources(self, kept: np.ndarray) -> None:
        """``source_similarity_`` and ``match_``: each article against its story's source."""
        n_all = len(self.articles_)
        self.source_similarity_ = np.full(n_all, np.nan)
        self.match_: list[str | None] = [None] * n_all
        members, sources = [], []
        for story in self.stories_:
            source = self._position[story.source_id]
            for article_id in story.article_ids:
                position = self._position[article_id]
                if position == source:
                    self.source_similarity_[position] = 1.0
                    self.match_[position] = "source"
                else:
                    members.append(position)
                    sources.append(source)
        if not members:
            return
        i = np.array([self._row[p] for p in members])
        j = np.array([self._row[p] for p in sources])
        features = pair_features(self._rows, i, self._rows, j)
        similarity = self._rule.story_similarity(features)
        is_copy = self._rule.is_copy(
            features.jaccard_similarity,
            features.containment_similarity,
            features.smaller_shingles,
        ) & self._rule.in_window(features.date_distance_days)
        for k, position in enumerate(members):
            self.source_similarity_[position] = float(similarity[k])
            self.match_[position] = "copy" if is_copy[k] else "rewrite"

    def _report(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    def _check_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            raise NotFittedError("this StoryClusterer is not fitted yet: call fit(articles) first")


def _prepare_task(state: dict, texts: Sequence[str]) -> PreparedTexts:
    """Worker of the prepare stage (runs in a forked process with ``n_jobs`` > 1)."""
    return prepare_texts(texts, state["hasher"])


def cluster_articles(articles: Iterable[Article], **params) -> list[Story]:
    """One-shot clustering: ``StoryClusterer(**params).fit(articles).stories_``.

    >>> text = "Storm hits the coast tonight"
    >>> docs = [Article("a", text), Article("b", text)]
    >>> [story.article_ids for story in cluster_articles(docs)]
    [('a', 'b')]
    """
    return StoryClusterer(**params).fit(articles).stories_


def compare_articles(
    a: Article, b: Article, background: Iterable[Article] = (), **params
) -> PairScores:
    """Every similarity of two articles and the verdict.

    IDF needs a corpus: with ``background`` articles (for example the same day's
    news) the cosine weighs terms as in a real run. With none, IDF comes from the
    two articles alone, and terms they share count for little, so cosine reads
    lower than it would in a corpus.

    >>> a = Article("a", "Storm hits the coast tonight, forecasters warn")
    >>> b = Article("b", "Storm hits the coast tonight, forecasters warn")
    >>> compare_articles(a, b).same_story
    True
    """
    corpus = [a, b] + [x for x in background if x.id not in (a.id, b.id)]
    return StoryClusterer(**params).fit(corpus).explain(a.id, b.id)


def _is_table(articles: object) -> bool:
    """A DataFrame, or a list whose first item is a dict: records to check and convert."""
    if hasattr(articles, "columns") and hasattr(articles, "to_dict"):
        return True
    return isinstance(articles, list) and bool(articles) and isinstance(articles[0], Mapping)


def _stub(article: Article) -> Article:
    """The article with only the first line of its text, cut to STUB_TEXT_CHARS."""
    lines = article.text.strip().splitlines()
    first = lines[0][:STUB_TEXT_CHARS] if lines else ""
    return dataclasses.replace(article, text=first)
