"""Parity with batch clustering on the same rows of a real corpus: the index's pair
features and decisions are the batch functions' (issue 10)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import numpy as np
import pytest

from dedupe_news import StoryClusterer, read_articles
from dedupe_news.index import StoryIndex
from tests.conftest import shared_file


@pytest.fixture(scope="module")
def corpus():
    articles = read_articles([shared_file("ecbplus_dev.jsonl")])
    articles.sort(key=lambda a: (a.date is None, a.date or dt.date.min, a.id))
    articles = articles[:300]
    return articles, StoryClusterer().fit(articles)


def _partition(groups) -> set[frozenset]:
    return {frozenset(g) for g in groups}


def test_bulk_add_is_batch_clustering(tmp_path, corpus):
    articles, batch = corpus
    db = tmp_path / "bulk.db"
    with StoryIndex(db) as index:
        index.add(articles, bulk=True)
        assert _partition(s.article_ids for s in index.stories()) == _partition(
            s.article_ids for s in batch.stories_
        )
    # The stored edges are batch's same-story pairs, with the same scores.
    ids = [a.id for a in batch.articles_]
    pairs = batch.pairs_
    same = np.flatnonzero(pairs.same_story)
    expected = {
        frozenset((ids[pairs.i[k]], ids[pairs.j[k]])): float(pairs.story_similarity[k])
        for k in same
    }
    conn = sqlite3.connect(db)
    try:
        stored = {
            frozenset((a, b)): score
            for a, b, score in conn.execute(
                "SELECT x.id, y.id, score FROM edges JOIN articles AS x ON x.rowid = edges.a "
                "JOIN articles AS y ON y.rowid = edges.b WHERE edges.a < edges.b"
            )
        }
    finally:
        conn.close()
    assert stored.keys() == expected.keys() and len(stored) > 100
    assert all(abs(stored[p] - expected[p]) <= 1e-9 for p in stored)


@pytest.mark.parametrize("bulk", [True, False])
def test_pair_features_and_decisions_equal_batch(tmp_path, corpus, bulk):
    # The rows the index stores and reads back, weighted with its stored document
    # frequencies, give batch's features for every pair batch scored.
    articles, batch = corpus
    ids = [a.id for a in batch.articles_]
    pairs = batch.pairs_
    rng = np.random.default_rng(0)
    sample = rng.choice(len(pairs), size=min(len(pairs), 400), replace=False)
    sample = np.union1d(sample, np.flatnonzero(pairs.same_story)[:200])
    with StoryIndex(tmp_path / "pairs.db") as index:
        index.add(articles, bulk=bulk)
        for k in sample.tolist():
            a, b = ids[pairs.i[k]], ids[pairs.j[k]]
            got, want = index.explain(a, b), batch.explain(a, b)
            for name in (
                "cosine_similarity",
                "jaccard_similarity",
                "containment_similarity",
                "story_similarity",
            ):
                assert abs(getattr(got, name) - getattr(want, name)) <= 1e-9, (a, b, name)
            assert got.date_distance_days == want.date_distance_days
            assert (got.same_story, got.reason) == (want.same_story, want.reason)
