"""The StoryClusterer estimator: read, normalise, sign and vectorise, find
candidates, score pairs, cluster, report.

The two signals each do the job they are good at:

* MinHash LSH over word shingles finds copies and abridged copies cheaply.
* TF-IDF nearest neighbours within the date window find rewrites.

Both candidate sets are scored with the same features and one decision
(:mod:`dedupe_news.scoring`), and grouped by average linkage inside connected
components (:mod:`dedupe_news.clustering`).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .articles import Article, checked_articles
from .clustering import LINKAGES, cluster_pairs
from .errors import EmptyCorpusError, NotFittedError, ParameterError, UnknownArticleError
from .minhash import MinHasher, Signatures, lsh_candidate_pairs
from .normalize import content_terms, strip_boilerplate, tokenize
from .parallel import effective_jobs, map_tasks
from .scoring import DecisionRule, PairScores, PairTable
from .tfidf import (
    cosine_neighbor_pairs,
    cosine_similarity_pairs,
    probe_max_df,
    term_counts,
    tfidf_from_counts,
)

__all__ = ["Story", "StoryClusterer", "cluster_articles", "compare_articles"]

_PREPARE_CHUNK = 2000
STUB_TEXT_CHARS = 200

ProgressCallback = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` while fitting."""


@dataclass(frozen=True)
class Story:
    """One cluster of articles telling the same story.

    Attributes
    ----------
    label : int
        The cluster label, as in ``labels_``.
    article_ids : tuple of str
        Members in input order.
    source_id : str
        The likely source: the earliest dated member (input order breaks ties;
        undated members come after dated ones).
    """

    label: int
    article_ids: tuple[str, ...]
    source_id: str

    @property
    def size(self) -> int:
        return len(self.article_ids)


class StoryClusterer:
    """Cluster news articles into stories: copies, abridgements and rewrites.

    Parameters
    ----------
    window_days : float, default 5
        Articles with known dates further apart than this are never the same story.
        ``math.inf`` ignores dates.
    rewrite_threshold : float, default 0.15
        TF-IDF cosine at or above which two articles in the window are rewrites of
        one story; also the minimum mean similarity between merged groups.
    copy_threshold : float, default 0.5
        Shingle Jaccard at or above which two articles are copies. Also the LSH
        threshold of the copy search.
    containment_threshold : float, default 0.8
        Share of the shorter article's shingles inside the longer one at or above
        which it is an abridged copy.
    num_perm : int, default 128
        MinHash permutations.
    shingle_size : int, default 5
        Words per shingle.
    seed : int, default 1
        MinHash seed.
    max_neighbors : int, default 30
        TF-IDF neighbours kept per article during candidate search.
    linkage : {"weighted", "average", "single"}, default "weighted"
        ``"weighted"`` (WPGMA) and ``"average"`` (UPGMA) resist chaining;
        ``"single"`` is plain connected components.
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
        window_days: float = 5.0,
        rewrite_threshold: float = 0.15,
        copy_threshold: float = 0.5,
        containment_threshold: float = 0.8,
        num_perm: int = 128,
        shingle_size: int = 5,
        seed: int = 1,
        max_neighbors: int = 30,
        linkage: str = "weighted",
        minhash_backend: str = "auto",
        n_jobs: int | None = None,
        progress: ProgressCallback | None = None,
    ):
        self.window_days = window_days
        self.rewrite_threshold = rewrite_threshold
        self.copy_threshold = copy_threshold
        self.containment_threshold = containment_threshold
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self.seed = seed
        self.max_neighbors = max_neighbors
        self.linkage = linkage
        self.minhash_backend = minhash_backend
        self.n_jobs = n_jobs
        self.progress = progress

    # -- the estimator -----------------------------------------------------------

    @property
    def decision_rule(self) -> DecisionRule:
        """The decision rule these parameters define."""
        return DecisionRule(
            window_days=self.window_days,
            rewrite_threshold=self.rewrite_threshold,
            copy_threshold=self.copy_threshold,
            containment_threshold=self.containment_threshold,
        )

    def fit(self, articles: Iterable[Article]) -> StoryClusterer:
        """Cluster ``articles`` into stories. Returns ``self``.

        ``articles`` is a sequence (a list, kept as ``articles_``) or a stream: any
        other iterable, such as :func:`~dedupe_news.articles.iter_articles` over
        files. A stream is read chunk by chunk while the chunks are normalised and
        signed, and its texts are then dropped: memory holds the signatures and
        term vectors, not the corpus. ``articles_`` then keeps each article with
        only the first line of its text.
        """
        streamed = not isinstance(articles, Sequence)
        articles = checked_articles(articles) if streamed else _as_article_list(articles)
        hasher = self._check_params()
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
        matrix = tfidf_from_counts(counts)
        del counts
        self._report("tfidf", n, n)
        days = np.array([_day_number(articles[k].date) for k in kept], dtype=np.float64)

        self._report("candidates", 0, n)
        copy_i, copy_j = lsh_candidate_pairs(signatures, threshold=self.copy_threshold)
        near_i, near_j, _ = cosine_neighbor_pairs(
            matrix,
            days,
            window_days=self.window_days,
            min_similarity=self.rewrite_threshold,
            max_neighbors=self.max_neighbors,
            probe_max_df=probe_max_df(n),
            n_jobs=self.n_jobs,
            progress=lambda done: self._report("candidates", done, n),
        )
        codes = np.unique(
            np.concatenate(
                [copy_i.astype(np.int64) * n + copy_j, near_i.astype(np.int64) * n + near_j]
            )
        )
        pair_i, pair_j = (codes // n).astype(np.intp), (codes % n).astype(np.intp)

        self._report("scoring", 0, pair_i.size)
        self._matrix, self._signatures, self._days = matrix, signatures, days
        table = self._score(pair_i, pair_j)
        self._report("scoring", pair_i.size, pair_i.size)

        self._report("clustering", 0, n)
        copies = copy_matrix(n, table.i, table.j, table.story_similarity)
        labels_kept = cluster_pairs(
            n,
            table.i,
            table.j,
            table.story_similarity,
            threshold=self.rewrite_threshold,
            component_similarity=lambda members: self._similarity_matrix(members, copies),
            linkage_method=self.linkage,
        )
        self._report("clustering", n, n)

        labels = np.full(n_all, -1, dtype=np.int64)
        labels[kept] = labels_kept
        self.articles_ = articles
        self.labels_ = labels
        self._position = {a.id: k for k, a in enumerate(articles)}
        self._row = {int(k): r for r, k in enumerate(kept)}
        self.pairs_ = dataclasses.replace(table, i=kept[table.i], j=kept[table.j])
        self.stories_ = _stories(articles, labels)
        return self

    def fit_predict(self, articles: Iterable[Article]) -> np.ndarray:
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
        rows = []
        for article_id in (id_a, id_b):
            if article_id not in self._position:
                raise UnknownArticleError(f"no article with id {article_id!r} in the fitted corpus")
            position = self._position[article_id]
            if position not in self._row:
                raise UnknownArticleError(f"article {article_id!r} was skipped: its text is empty")
            rows.append(self._row[position])
        table = self._score(np.array([rows[0]]), np.array([rows[1]]))
        label_a = self.labels_[self._position[id_a]]
        label_b = self.labels_[self._position[id_b]]
        smaller = int(self._signatures.shingle_counts[rows].min())
        scores = PairScores.from_features(
            id_a,
            id_b,
            self.decision_rule,
            cosine=float(table.cosine_similarity[0]),
            jaccard=float(table.jaccard_similarity[0]),
            containment=float(table.containment_similarity[0]),
            date_distance_days=float(table.date_distance_days[0]),
            smaller_shingles=smaller,
        )
        return dataclasses.replace(scores, same_cluster=bool(label_a == label_b))

    # -- internals ---------------------------------------------------------------

    def _check_params(self) -> MinHasher:
        """Validate the settings; returns the hasher they define."""
        self.decision_rule  # noqa: B018 - building the rule validates the thresholds
        if self.linkage not in LINKAGES:
            raise ParameterError(
                f"linkage must be one of {', '.join(LINKAGES)}, got {self.linkage!r}"
            )
        effective_jobs(self.n_jobs)  # validates n_jobs
        if self.max_neighbors < 1:
            raise ParameterError(f"max_neighbors must be at least 1, got {self.max_neighbors}")
        return MinHasher(
            num_perm=self.num_perm,
            seed=self.seed,
            shingle_size=self.shingle_size,
            backend=self.minhash_backend,
        )

    def _prepare(
        self, articles: Iterable[Article], hasher: MinHasher, streamed: bool
    ) -> tuple[np.ndarray, Signatures, sp.csr_matrix, list[Article]]:
        """The "prepare" stage: normalise, sign and extract terms, in chunks spread
        over ``n_jobs`` processes.

        Returns the indices of articles with text, their signatures, their term
        counts (a text of stop words only counts all its tokens), and the articles
        (for a stream, with texts cut to their first line).
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
        has_text, hashvalues, shingle_counts, term_rows = [], [], [], []
        done = 0
        state = {"hasher": hasher}
        for chunk in map_tasks(
            _prepare_chunk,
            tasks(),
            state=state,
            n_jobs=self.n_jobs,
            n_tasks=n_tasks or effective_jobs(self.n_jobs),
        ):
            mask, chunk_signatures, chunk_counts = chunk
            has_text.append(mask)
            hashvalues.append(chunk_signatures.hashvalues[mask])
            shingle_counts.append(chunk_signatures.shingle_counts[mask])
            term_rows.append(chunk_counts)
            done += mask.size
            self._report("prepare", done, total)
        if failure:
            raise failure[0]
        if streamed:
            self._report("prepare", done, done)
        if not has_text:
            return np.zeros(0, dtype=np.intp), None, None, fitted  # type: ignore[return-value]
        kept = np.flatnonzero(np.concatenate(has_text))
        signatures = Signatures(np.concatenate(hashvalues), np.concatenate(shingle_counts))
        return kept, signatures, sp.vstack(term_rows, format="csr"), fitted

    def _score(self, i: np.ndarray, j: np.ndarray) -> PairTable:
        return score_pairs(self.decision_rule, self._matrix, self._signatures, self._days, i, j)

    def _similarity_matrix(self, members: np.ndarray, copies: sp.csr_matrix) -> np.ndarray:
        """Full ``story_similarity`` matrix of a component's members."""
        return component_similarity(self._matrix, self._days, self.window_days, members, copies)

    def _report(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    def _check_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            raise NotFittedError("this StoryClusterer is not fitted yet: call fit(articles) first")


def _prepare_chunk(state: dict, texts: Sequence[str]):
    """Worker: signatures and term counts of a chunk of texts."""
    tokens = [tokenize(strip_boilerplate(text)) for text in texts]
    mask = np.array([bool(t) for t in tokens], dtype=bool)
    kept = [t for t in tokens if t]
    signatures = state["hasher"].sign(tokens)
    return mask, signatures, term_counts([content_terms(t) or t for t in kept])


def copy_matrix(
    n: int, i: np.ndarray, j: np.ndarray, story_similarity: np.ndarray
) -> sp.csr_matrix:
    """Symmetric boolean ``(n, n)`` matrix of the pairs decided as copies
    (``story_similarity`` 1), for :func:`component_similarity`."""
    is_copy = story_similarity >= 1.0
    copies = sp.csr_matrix(
        (np.ones(int(is_copy.sum()), dtype=bool), (i[is_copy], j[is_copy])), shape=(n, n)
    )
    return (copies + copies.T).tocsr()


def component_similarity(
    matrix, days: np.ndarray, window_days: float, members: np.ndarray, copies: sp.csr_matrix
) -> np.ndarray:
    """Full ``story_similarity`` matrix of a component's ``members`` (rows of ``matrix``).

    Cosine within the date window, and 1.0 for the copy pairs the LSH search found
    (``copies``: a boolean matrix over the same rows).
    """
    sub = matrix[members]
    cosine = np.clip((sub @ sub.T).toarray(), 0.0, 1.0)
    member_days = days[members]
    gap = np.abs(member_days[:, None] - member_days[None, :])
    similarity = np.where(gap > window_days, 0.0, cosine)
    similarity[copies[members][:, members].toarray()] = 1.0
    return similarity


def score_pairs(
    rule: DecisionRule,
    matrix,
    signatures: Signatures,
    days: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
) -> PairTable:
    """Features and decision for pairs ``(i[k], j[k])`` of one corpus's rows."""
    cosine = cosine_similarity_pairs(matrix, i, j)
    jaccard = signatures.jaccard_similarity(i, j)
    containment = signatures.containment_similarity(i, j, jaccard)
    smaller = np.minimum(signatures.shingle_counts[i], signatures.shingle_counts[j])
    distance = np.abs(days[i] - days[j])
    story = np.asarray(rule.story_similarity(cosine, jaccard, containment, distance, smaller))
    return PairTable(
        i=np.asarray(i, dtype=np.intp),
        j=np.asarray(j, dtype=np.intp),
        cosine_similarity=cosine,
        jaccard_similarity=jaccard,
        containment_similarity=containment,
        date_distance_days=distance,
        story_similarity=story,
        same_story=story >= rule.rewrite_threshold,
    )


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


def _stub(article: Article) -> Article:
    """The article with only the first line of its text, cut to STUB_TEXT_CHARS."""
    lines = article.text.strip().splitlines()
    first = lines[0][:STUB_TEXT_CHARS] if lines else ""
    return dataclasses.replace(article, text=first)


def _as_article_list(articles: Iterable[Article]) -> list[Article]:
    if isinstance(articles, (str, bytes)):
        raise ParameterError(
            "expected an iterable of Article objects, got a single string: "
            "wrap texts as Article(id, text), or use read_articles(path)"
        )
    result = list(checked_articles(articles))
    if not result:
        raise EmptyCorpusError("no articles given: nothing to cluster")
    return result


def _day_number(date) -> float:
    return float(date.toordinal()) if date is not None else math.nan


def _stories(articles: Sequence[Article], labels: np.ndarray) -> list[Story]:
    members: dict[int, list[int]] = {}
    for position, label in enumerate(labels):
        if label >= 0:
            members.setdefault(int(label), []).append(position)
    stories = []
    for label in sorted(members):
        positions = members[label]
        source = min(
            positions,
            key=lambda p: (articles[p].date is None, articles[p].date or 0, p),
        )
        stories.append(
            Story(
                label=label,
                article_ids=tuple(articles[p].id for p in positions),
                source_id=articles[source].id,
            )
        )
    return stories
