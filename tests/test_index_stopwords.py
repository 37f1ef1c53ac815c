"""Corpus stop words in the persistent index: batch's set while the index is small,
then one fixed set, stored in the file, however the index grows."""

from __future__ import annotations

import itertools
import sqlite3

import numpy as np
import pytest

from dedupe_news import Article, StoryClusterer, read_articles
from dedupe_news.index import StoryIndex
from dedupe_news.normalize import strip_boilerplate, tokenize
from dedupe_news.prepare import article_terms, term_counts
from dedupe_news.stopwords import STABLE_AFTER_DOCUMENTS
from dedupe_news.weighting import document_frequencies, stop_terms
from tests.conftest import shared_file


def _term_id(term: str) -> int:
    return int(term_counts([[term]]).indices[0])


def _stored_stop_words(db) -> tuple[int, set[int]]:
    conn = sqlite3.connect(db)
    try:
        (fixed_at,) = conn.execute(
            "SELECT value FROM meta WHERE key = 'stop_terms_fixed_at'"
        ).fetchone()
        terms = {t for (t,) in conn.execute("SELECT term_id FROM stop_terms")}
    finally:
        conn.close()
    return int(fixed_at), terms


@pytest.fixture(scope="module")
def shootings():
    """200 articles of the GVA corpus: "shooting", "police", "shot" are in most of
    them. (German function words no longer make corpus stop words: the reference
    table, :func:`dedupe_news.stopwords.reference_stop_words`, drops them before
    counting.)"""
    articles = read_articles(shared_file("gva_dev.jsonl"))[:200]
    return articles, StoryClusterer().fit(articles)


@pytest.mark.parametrize("bulk", [True, False])
def test_index_weighs_stop_words_as_batch(tmp_path, shootings, bulk):
    articles, batch = shootings
    ids = [a.id for a in articles]
    with StoryIndex(tmp_path / "stop.db") as index:
        index.add(articles, bulk=bulk)
        pairs = list(itertools.combinations(ids[::5], 2))
        for a, b in pairs:
            got, want = index.explain(a, b), batch.explain(a, b)
            assert abs(got.cosine_similarity - want.cosine_similarity) <= 1e-9, (a, b)
            assert got.same_story == want.same_story
    assert len(pairs) > 200
    # Stop words were in play (and, under STABLE_AFTER_DOCUMENTS articles, not fixed).
    counts = term_counts([article_terms(tokenize(strip_boilerplate(a.text))) for a in articles])
    assert stop_terms(document_frequencies(counts), len(articles)).sum() >= 3
    assert len(articles) < STABLE_AFTER_DOCUMENTS
    assert _stored_stop_words(tmp_path / "stop.db") == (0, set())


def _article(k: int, shared: str) -> Article:
    return Article(f"a{k}", f"{shared} q{k}x r{k}y s{k}z t{k}w u{k}v")


def test_index_fixes_its_stop_words_once_it_holds_enough_articles(tmp_path):
    db = tmp_path / "grow.db"
    n = STABLE_AFTER_DOCUMENTS
    with StoryIndex(db) as index:
        index.add([_article(k, "weather") for k in range(n - 1)], bulk=True)
        assert _stored_stop_words(db) == (0, set())
        index.add([_article(n - 1, "weather")], bulk=True)
        fixed_at, fixed = _stored_stop_words(db)
        assert fixed_at == n and fixed == {_term_id("weather")}
        # Then "harbour" is in more than half of the articles and "weather" in fewer:
        # batch would swap them, the index keeps its set.
        index.add([_article(k, "harbour") for k in range(n, 3 * n)], bulk=True)
        weather_pair = index.explain("a0", "a1")
        harbour_pair = index.explain(f"a{n}", f"a{n + 1}")
    assert _stored_stop_words(db) == (fixed_at, fixed)
    assert weather_pair.cosine_similarity == 0.0  # a fixed stop word links nothing
    assert harbour_pair.cosine_similarity > 0.0

    corpus = [_article(k, "weather") for k in range(n)]
    corpus += [_article(k, "harbour") for k in range(n, 3 * n)]
    counts = term_counts([["weather"]] * n + [["harbour"]] * (2 * n))
    live = np.flatnonzero(stop_terms(document_frequencies(counts), 3 * n)).tolist()
    assert live == [_term_id("harbour")]
    batch = StoryClusterer().fit(corpus)
    assert batch.explain("a0", "a1").cosine_similarity > 0.0
    assert batch.explain(f"a{n}", f"a{n + 1}").cosine_similarity == 0.0

    with StoryIndex(db) as reopened:  # the set is read back from the file
        assert reopened.explain("a0", "a1").cosine_similarity == 0.0
