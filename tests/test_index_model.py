"""An index that decides with the learned pair model (issue 11): it scores and
clusters as ``StoryClusterer(model=...)`` does, through the same scorer."""

from __future__ import annotations

import datetime as dt
import sqlite3

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from dedupe_news import Article, StoryClusterer, read_articles
from dedupe_news.errors import ParameterError
from dedupe_news.index import IncompatibleIndexError, StoryIndex
from dedupe_news.pair_model import default_model
from tests.conftest import shared_file

DAY = dt.date(2024, 3, 5)
FIRE = (
    "Fire crews battled a blaze at the Harbor Street grain warehouse in Duluth on Tuesday "
    "night. Chief Karen Olsen said no one was hurt and the cause is under investigation."
)
FIRE_REWRITE = (
    "A grain warehouse on Harbor Street in Duluth burned on Tuesday night, and fire chief "
    "Karen Olsen said nobody was injured; investigators are looking for the cause."
)
BANK = (
    "Northland Bank will cut 300 jobs at its Minneapolis headquarters, chief executive "
    "Paul Reyes told staff on Tuesday, blaming falling mortgage lending."
)


def _labels(index: StoryIndex, articles) -> list[int]:
    story = {aid: s.story_id for s in index.stories() for aid in s.article_ids}
    return [story[a.id] for a in articles]


def _small_corpus() -> list[Article]:
    return [
        Article("fire-1", FIRE, title="Blaze at Duluth grain warehouse", date=DAY),
        Article("bank-1", BANK, title="Northland Bank to cut 300 jobs", date=DAY),
        Article("fire-2", FIRE_REWRITE, title="Duluth warehouse fire", date=DAY),
        Article("fire-3", FIRE, title="Blaze at Duluth grain warehouse", date=DAY),
    ]


def test_small_corpus_clusters_as_batch_with_the_model(tmp_path):
    articles = _small_corpus()
    batch = StoryClusterer(model="default").fit_predict(articles).tolist()
    with StoryIndex(tmp_path / "m.db", model="default") as index:
        changes = index.add(articles[:2])
        changes = index.add(articles[2:])
        labels = _labels(index, articles)
        # Which articles share a story equals batch's, whatever the ids.
        assert adjusted_rand_score(batch, labels) == 1.0
        assert labels[0] == labels[2] == labels[3] != labels[1]
        # The later call's assignments are the model's scores, explained by it.
        best = changes.assignments[0].best
        assert best is not None and best.model_features is not None
        assert best.story_similarity >= default_model().threshold


def test_the_model_is_stored_and_fixed(tmp_path):
    path = tmp_path / "m.db"
    with StoryIndex(path, model="default") as index:
        index.add(_small_corpus())
    with StoryIndex(path) as index:  # no model given: the stored one decides
        assert index.model is not None
        assert index.model.terms == default_model().terms
        stats = index.stats()
        assert stats.decision == "learned model"
        digest = default_model().metadata["training_files_sha256"]
        assert stats.trained_on == f"sha256:{digest}"
    rule_path = tmp_path / "rule.db"
    with StoryIndex(rule_path) as index:
        assert index.stats().decision == "fixed rule"
    with pytest.raises(IncompatibleIndexError, match="fixed rule"):
        StoryIndex(rule_path, model="default")
    other = default_model()
    other = type(other)(other.terms, other.coefficients * 0.5, other.intercept, other.metadata)
    with pytest.raises(IncompatibleIndexError, match="another learned model"):
        StoryIndex(path, model=other)


def test_explain_far_apart_in_time_gives_batch_verdicts(tmp_path):
    # The same four articles again 90 days later: explain loads the articles near
    # each day. Lead and entity IDF come from those (documented), so the scores are
    # close to batch's over all eight, and the verdicts equal.
    later = [
        Article(f"{a.id}-later", a.text, title=a.title, date=DAY + dt.timedelta(days=90))
        for a in _small_corpus()
    ]
    articles = _small_corpus() + later
    batch = StoryClusterer(model="default").fit(articles)
    with StoryIndex(tmp_path / "m.db", model="default") as index:
        index.add(articles)
        for a, b in [("fire-1", "fire-2"), ("fire-1", "bank-1"), ("fire-2-later", "fire-3-later")]:
            got, want = index.explain(a, b), batch.explain(a, b)
            assert got.same_story == want.same_story
            assert got.story_similarity == pytest.approx(want.story_similarity, abs=0.02)
            assert got.cosine_similarity == pytest.approx(want.cosine_similarity, abs=1e-6)
        far = index.explain("fire-1", "fire-1-later")
        assert far.story_similarity == 0.0 and not far.same_story  # out of the window
        assert far.cosine_similarity == pytest.approx(1.0, abs=1e-6)


def test_adding_nothing_new_to_a_model_index(tmp_path):
    with StoryIndex(tmp_path / "m.db", model="default") as index:
        assert index.add([]).assignments == ()
        index.add(_small_corpus())
        stories = index.stories()
        again = index.add(_small_corpus(), skip_existing=True)  # everything stored already
        assert again.assignments == () and again.moved == ()
        assert index.stories() == stories


def test_query_says_it_ranks_by_the_rule_only(tmp_path):
    with StoryIndex(tmp_path / "m.db", model="default") as index:
        index.add(_small_corpus())
        with pytest.raises(ParameterError, match="learned model"):
            index.query(Article("q", FIRE, date=DAY))


def test_removed_articles_lose_their_evidence(tmp_path):
    path = tmp_path / "m.db"
    with StoryIndex(path, model="default") as index:
        index.add(_small_corpus())
        index.remove(["bank-1", "fire-2"])
    conn = sqlite3.connect(path)
    try:
        (kept,) = conn.execute("SELECT count(*) FROM evidence").fetchone()
        (orphans,) = conn.execute(
            "SELECT count(*) FROM evidence WHERE article NOT IN (SELECT rowid FROM articles)"
        ).fetchone()
    finally:
        conn.close()
    assert (kept, orphans) == (2, 0)


@pytest.fixture(scope="module")
def ecbplus():
    articles = read_articles([shared_file("ecbplus_dev.jsonl")])
    return articles, StoryClusterer(model="default", n_jobs=1).fit(articles)


def test_bulk_add_is_batch_clustering_with_the_model(tmp_path, ecbplus):
    articles, batch = ecbplus
    with StoryIndex(tmp_path / "m.db", model="default") as index:
        index.add(articles, bulk=True)
        labels = _labels(index, articles)
        assert adjusted_rand_score(batch.labels_, labels) == 1.0
        # explain gives batch's model scores and features for the same corpus.
        ids = [a.id for a in articles]
        for a, b in [(ids[0], ids[1]), (ids[0], ids[200]), (ids[10], ids[400])]:
            got, want = index.explain(a, b), batch.explain(a, b)
            assert got.story_similarity == pytest.approx(want.story_similarity, abs=1e-9)
            assert got.model_features.keys() == want.model_features.keys()
            for name, value in want.model_features.items():
                assert got.model_features[name] == pytest.approx(value, abs=1e-9), name


def test_daily_adds_keep_batch_quality_on_dated_news(tmp_path):
    # GVA: dated local news; a call per 300 articles, in date order, against one batch.
    articles = read_articles([shared_file("gva_dev.jsonl")])
    articles.sort(key=lambda a: (a.date is None, a.date or dt.date.min, a.id))
    gold = [a.story if a.story is not None else f"unlabelled-{a.id}" for a in articles]
    batch = StoryClusterer(model="default", n_jobs=1).fit_predict(articles)
    with StoryIndex(tmp_path / "m.db", model="default") as index:
        for start in range(0, len(articles), 300):
            index.add(articles[start : start + 300])
        labels = _labels(index, articles)
    batch_ari, index_ari = adjusted_rand_score(gold, batch), adjusted_rand_score(gold, labels)
    assert index_ari >= batch_ari - 0.01, (index_ari, batch_ari)
    assert adjusted_rand_score(batch, labels) > 0.95
    assert np.unique(labels).size > 1000
