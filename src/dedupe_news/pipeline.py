"""The StoryClusterer estimator: read, prepare, weigh, find candidates, score pairs,
cluster, report.

Each step is one function of the shared feature layer, which the persistent
index and the Spark engine call too:

* :mod:`~dedupe_news.prepare` (in chunks over the cores,
  :mod:`~dedupe_news.batch_prepare`): texts to tokens, MinHash signatures, term
  counts, and with a learned model the evidence of :mod:`~dedupe_news.model_features`;
* :mod:`~dedupe_news.weighting`: counts to TF-IDF rows (IDF from this corpus);
* a scorer (:mod:`~dedupe_news.scoring`), for the fixed rule or a learned model:
  candidates (:mod:`~dedupe_news.minhash` LSH for copies,
  :mod:`~dedupe_news.neighbors` TF-IDF neighbours in the date window for
  rewrites), then :mod:`~dedupe_news.pair_features` and
  :mod:`~dedupe_news.decision`: every similarity of a candidate pair, then
  ``story_similarity`` and the verdict;
* :mod:`~dedupe_news.clustering`: components, then weighted linkage inside each.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from .articles import Article, article_list, checked_articles
from .batch_prepare import prepare_corpus
from .clustering import cluster_pairs
from .decision import DecisionRule, ModelRule, PairScores
from .errors import EmptyCorpusError, NotFittedError, ParameterError, UnknownArticleError
from .minhash import MinHasher
from .model_features import EvidenceRows, PreparedEvidence
from .pair_evidence import fitted_term_weight, pair_evidence
from .pair_features import ArticleRows
from .pair_model import PairModel, resolve_model
from .parallel import effective_jobs, release_freed_memory
from .scoring import ModelScorer, RuleScorer
from .settings import Settings
from .similarity_matrix import copy_matrix
from .stories import Story, group_stories
from .story_sources import relate_to_sources
from .tables import articles_from_records, is_table
from .timestamps import article_day, article_time_key
from .weighting import corpus_tfidf_rows

__all__ = ["Story", "StoryClusterer", "cluster_articles", "compare_articles"]


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
    model : PairModel, "default", path or None, default None
        None decides by the fixed rule (TF-IDF cosine at ``rewrite_threshold``).
        A learned model (:class:`~dedupe_news.pair_model.PairModel`, a JSON file
        written by ``dedupe-news calibrate``, or ``"default"`` for the one
        shipped in the package) decides by its same-story probability instead:
        ``story_similarity`` is that probability, the candidate search uses the
        floor and neighbour count the model was trained with, and the leads are
        searched too. ``window_days`` and the copy settings still apply;
        ``rewrite_threshold`` and ``linkage`` do not: the model file names how
        its probabilities are linked (the default model: average linkage, and
        pairs with a text under 16 tokens never veto a merge; see
        :meth:`~dedupe_news.scoring.ModelScorer.linkage_similarity`).
    same_story_threshold : float, optional
        With a model: the probability at or above which a pair is the same story
        (and linkage merges); None uses the model's own (0.5 for the default).
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
        most :data:`~dedupe_news.batch_prepare.STUB_TEXT_CHARS` characters): see :meth:`fit`.
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
        model: PairModel | str | Path | None = None,
        same_story_threshold: float | None = None,
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
        self.model = model
        self.same_story_threshold = same_story_threshold
        self.minhash_backend = minhash_backend
        self.n_jobs = n_jobs
        self.progress = progress

    # -- the estimator -----------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The :class:`~dedupe_news.settings.Settings` these parameters define (validated)."""
        params = self.get_params()
        return _DEFAULTS.replace(**{k: v for k, v in params.items() if k in Settings.names()})

    def resolved_model(self) -> PairModel | None:
        """The learned model the ``model`` parameter names, loaded (None for the
        fixed rule). A bad model file raises :class:`~dedupe_news.pair_model.ModelFileError`."""
        return resolve_model(self.model)

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
        model = self.resolved_model()
        if is_table(articles):
            articles = articles_from_records(articles)
        streamed = not isinstance(articles, Sequence)
        articles = checked_articles(articles) if streamed else article_list(articles)
        prepared = prepare_corpus(
            articles,
            hasher,
            streamed=streamed,
            with_evidence=model is not None,
            n_jobs=self.n_jobs,
            report=lambda done, total: self._report("prepare", done, total),
        )
        kept, articles, counts = prepared.kept, prepared.articles, prepared.term_counts
        signatures, token_counts, evidence = (
            prepared.signatures,
            prepared.token_counts,
            prepared.evidence,
        )
        del prepared  # the term counts go once weighed
        release_freed_memory()  # the prepare chunks' arrays: about 1 GB of heap at 1M articles
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
        matrix, self._term_columns = corpus_tfidf_rows(counts, in_place=True)
        del counts
        days = np.array([article_day(articles[k]) for k in kept], dtype=np.float64)
        rows = ArticleRows(tfidf=matrix, signatures=signatures, days=days)
        scorer = self._scorer(settings, rows, model, evidence, token_counts)
        # The scorer holds the evidence weighed; the per-article key arrays would stay
        # alive to the end of fit (about 560 bytes an article on Reuters).
        del evidence, token_counts
        self._report("tfidf", n, n)

        self._report("candidates", 0, n)
        pair_i, pair_j = scorer.candidates(
            self.n_jobs, progress=lambda done: self._report("candidates", done, n)
        )

        self._report("scoring", 0, pair_i.size)
        table = scorer.score(pair_i, pair_j)
        self._report("scoring", pair_i.size, pair_i.size)

        self._report("clustering", 0, n)
        copies = copy_matrix(n, table.i, table.j, table.story_similarity)
        labels_kept = cluster_pairs(
            n,
            table.i,
            table.j,
            table.story_similarity,
            threshold=scorer.threshold,
            component_similarity=lambda members: scorer.matrix(members, copies),
            linkage_method=scorer.linkage_method(settings.linkage),
            max_component=settings.max_component,
            clearly_different=scorer.clearly_different,
            veto_distance=scorer.veto_distance,
            prefetch=lambda groups: scorer.prefetch(groups, copies),
        )
        self._report("clustering", n, n)

        labels = np.full(n_all, -1, dtype=np.int64)
        labels[kept] = labels_kept
        self._fitted_scorer, self._rule, self._rows = scorer, scorer.rule, rows
        self.articles_, self._streamed = articles, streamed
        self.labels_ = labels
        self._position = {a.id: k for k, a in enumerate(articles)}
        self._row = {int(k): r for r, k in enumerate(kept)}
        if kept.size < n_all:  # else rows are positions already: no copy
            table = dataclasses.replace(table, i=kept[table.i], j=kept[table.j])
        self.pairs_ = table
        self.stories_ = group_stories(
            [a.id for a in articles], [article_time_key(a) for a in articles], labels
        )
        self.source_similarity_, self.match_ = relate_to_sources(
            self.stories_, self._position, self._row, n_all, scorer.score, scorer.rule
        )
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
        apart, or join a pair through the rest of its story. ``evidence`` lists what
        the two texts share (None after fitting a stream, whose texts are gone).
        """
        self._check_fitted()
        rows = [self._fitted_row(article_id) for article_id in (id_a, id_b)]
        scores = self._fitted_scorer.pair_scores(rows[0], rows[1], id_a, id_b)
        if not self._streamed:
            weight = fitted_term_weight(self._rows.tfidf, self._term_columns, *rows)
            a, b = (self.articles_[self._position[x]] for x in (id_a, id_b))
            scores = dataclasses.replace(scores, evidence=pair_evidence(a, b, weight))
        label_a = self.labels_[self._position[id_a]]
        label_b = self.labels_[self._position[id_b]]
        return dataclasses.replace(scores, same_cluster=bool(label_a == label_b))

    def pair_model_features(self) -> dict[str, np.ndarray]:
        """Every feature the learned model read, for each candidate pair of ``pairs_``
        (same order), by name; for training a model on labelled articles."""
        self._check_fitted()
        if not isinstance(self._fitted_scorer, ModelScorer):
            raise ParameterError("pair_model_features needs a clusterer fitted with a model")
        positions = np.r_[self.pairs_.i, self.pairs_.j]
        rows = np.array([self._row[int(p)] for p in positions], dtype=np.intp)
        half = self.pairs_.i.size
        return self._fitted_scorer.features(rows[:half], rows[half:])[1]

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

    def _scorer(
        self,
        settings: Settings,
        rows: ArticleRows,
        model: PairModel | None,
        evidence: PreparedEvidence | None,
        token_counts: np.ndarray,
    ) -> RuleScorer | ModelScorer:
        rule = DecisionRule.from_settings(settings)
        if model is None:
            return RuleScorer(rule, rows, settings.max_neighbors)
        decision = ModelRule.of(model, rule, self.same_story_threshold)
        evidence_rows = EvidenceRows.from_prepared(evidence, token_counts)
        return ModelScorer(decision, rows, evidence_rows, n_jobs=self.n_jobs)

    def _report(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    def _check_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            raise NotFittedError("this StoryClusterer is not fitted yet: call fit(articles) first")


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
