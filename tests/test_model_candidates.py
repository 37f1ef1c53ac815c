"""A model's candidate search: long texts keep their own, smaller neighbour count."""

from __future__ import annotations

import dataclasses
import datetime

import numpy as np

from dedupe_news import Article, StoryClusterer
from dedupe_news.pair_model import default_model

WORDS = [f"w{k}" for k in range(150)]


def _corpus(n_short: int, n_long: int) -> list[Article]:
    rng = np.random.default_rng(5)
    articles = []
    for k in range(n_short + n_long):
        size = 10 if k < n_short else 120
        text = " ".join(rng.choice(WORDS, size))
        articles.append(Article(f"a{k:03d}", text, date=datetime.date(2024, 5, 1)))
    return articles


def _pairs(model, articles) -> set[tuple[int, int]]:
    fitted = StoryClusterer(model=model, n_jobs=1).fit(articles)
    return set(zip(fitted.pairs_.i.tolist(), fitted.pairs_.j.tolist(), strict=True))


def test_long_texts_keep_their_own_neighbour_count():
    n_short, n_long, k = 25, 30, 2
    articles = _corpus(n_short, n_long)
    model = default_model()
    candidates = dict(model.metadata["candidates"], max_neighbors=100)
    every = dict(candidates)
    every.pop("long_text", None)
    fewer = dict(candidates, long_text={"min_tokens": 64, "max_neighbors": k})
    wide, narrow = (
        _pairs(dataclasses.replace(model, metadata={**model.metadata, "candidates": c}), articles)
        for c in (every, fewer)
    )

    def is_long(pair):
        return min(pair) >= n_short

    # One small vocabulary: every two long texts are neighbours when all keep 100.
    assert sum(map(is_long, wide)) == n_long * (n_long - 1) // 2

    # A short text keeps its 100 neighbours, so its pairs are all still found ...
    assert {p for p in narrow if not is_long(p)} == {p for p in wide if not is_long(p)}
    # ... while each long text keeps k neighbours in each of the two searches.
    long_pairs = [p for p in narrow if is_long(p)]
    assert n_long <= len(long_pairs) <= n_long * k * 2
