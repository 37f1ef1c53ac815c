"""One record per story: its size, time span, source, outlets and keywords.

Keywords are the story's top TF-IDF terms: each article's content words (title
and text, with the stop words and boilerplate the clustering drops) are weighed
by TF-IDF over the fitted articles, the weights are summed over the story's
members, and the highest terms win (ties alphabetically). When ``fit`` was
given a stream, the fitted articles keep only their title and the first line of
their text, so the keywords come from those.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from .articles import Article
from .normalize import strip_boilerplate, tokenize
from .terms import content_terms

__all__ = ["HEADLINE_CHARS", "KEYWORDS", "headline", "moment", "story_keywords", "story_records"]

KEYWORDS = 5
"""Keywords per story."""

HEADLINE_CHARS = 200
"""A headline longer than this is cut, ending in "..."."""


def headline(article: Article) -> str:
    """The article's title, or the first line of its text, on one line (at most
    :data:`HEADLINE_CHARS` characters)."""
    lines = (article.title or "").strip().splitlines() or article.text.strip().splitlines()
    line = " ".join(lines[0].split()) if lines else ""
    return line if len(line) <= HEADLINE_CHARS else line[: HEADLINE_CHARS - 3] + "..."


def moment(article: Article) -> str | None:
    """When the article was published, in ISO 8601: its UTC time when known
    (``2024-09-02T10:00:00+00:00``), else its day (``2024-09-02``); None if undated."""
    time = getattr(article, "time", None)
    if time is not None:
        return time.isoformat()
    return article.date.isoformat() if article.date is not None else None


def _moment_key(moment: str) -> tuple[str, str]:
    """Sorts a day before the times of that day."""
    return moment[:10], moment[10:]


def _terms(text: str) -> list[str]:
    return [t for t in content_terms(tokenize(strip_boilerplate(text))) if not t.isdigit()]


def story_keywords(
    articles: Sequence[Article], labels: np.ndarray, n_stories: int, k: int = KEYWORDS
) -> list[list[str]]:
    """The top ``k`` TF-IDF terms of each story ``0 .. n_stories - 1``.

    ``labels`` gives each article's story (-1: none, left out).

    >>> docs = [Article("a", "Storm hits Texas coast"), Article("b", "Storm floods Texas"),
    ...         Article("c", "Bank raises rates")]
    >>> story_keywords(docs, np.array([0, 0, 1]), 2, k=2)
    [['storm', 'texas'], ['bank', 'raises']]
    """
    labels = np.asarray(labels)
    kept = np.flatnonzero(labels >= 0)
    if kept.size == 0:
        return [[] for _ in range(n_stories)]
    vectorizer = TfidfVectorizer(analyzer=_terms, sublinear_tf=True)
    try:
        weights = vectorizer.fit_transform(articles[int(p)].full_text for p in kept)
    except ValueError:  # no article has a content word
        return [[] for _ in range(n_stories)]
    membership = sp.csr_matrix(
        (np.ones(kept.size), (labels[kept], np.arange(kept.size))), shape=(n_stories, kept.size)
    )
    totals = (membership @ weights).tocsr()
    vocabulary = vectorizer.get_feature_names_out()
    result = []
    for story in range(n_stories):
        start, end = totals.indptr[story], totals.indptr[story + 1]
        columns, values = totals.indices[start:end], totals.data[start:end]
        order = sorted(range(columns.size), key=lambda c: (-values[c], vocabulary[columns[c]]))
        result.append([str(vocabulary[columns[c]]) for c in order[:k]])
    return result


def story_records(clusterer) -> list[dict]:
    """One dict per story of a fitted clusterer, in label order.

    Keys: ``story`` (the label), ``size``, ``first_time`` and ``last_time`` of the
    dated members (see :func:`moment`; None when none is dated), ``source_id``,
    ``source_title`` (the
    source's title, or its first line), ``source_outlet``, ``outlets`` (the
    members' distinct outlets, sorted), ``keywords`` and ``article_ids``.
    """
    articles = clusterer.articles_
    by_id = {article.id: article for article in articles}
    stories = clusterer.stories_
    label_row = {story.label: row for row, story in enumerate(stories)}
    rows = np.array([label_row.get(int(label), -1) for label in clusterer.labels_], dtype=np.int64)
    keywords = story_keywords(articles, rows, len(stories))
    records = []
    for story, words in zip(stories, keywords, strict=True):
        members = [by_id[i] for i in story.article_ids]
        times = sorted((m for m in map(moment, members) if m is not None), key=_moment_key)
        source = by_id[story.source_id]
        records.append(
            {
                "story": story.label,
                "size": story.size,
                "first_time": times[0] if times else None,
                "last_time": times[-1] if times else None,
                "source_id": source.id,
                "source_title": headline(source) or None,
                "source_outlet": source.source,
                "outlets": sorted({a.source for a in members if a.source}),
                "keywords": words,
                "article_ids": list(story.article_ids),
            }
        )
    return records
