"""The pair-model training script: labels, weights and features on small inputs."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import train_model as tm
from benchmarks.model_corpora import Corpus, single_ticker
from benchmarks.pair_data import PairContext
from dedupe_news import Article, parse_date
from dedupe_news.pair_model import PAIR_FEATURES


def test_seed_labels_pair_seeds_and_related_rows_only():
    group = np.array(["seed", "seed", "related", None, None], dtype=object)
    corpus = Corpus("ruwa_seeds", [], group, "seeds")
    i = np.array([0, 0, 2, 0, 2, 3])
    j = np.array([1, 2, 1, 3, 3, 4])
    # seed-seed, seed-related, related-seed: 1; seed-other: 0; related-other, other-other: unlabelled
    assert corpus.pair_labels(i, j).tolist() == [1, 1, 1, 0, -1, -1]


def test_ticker_labels_mark_different_single_tickers_as_negatives():
    titles = ["ALPHA <ALP> NET", "BETA <BET> NET", "ALPHA <ALP> LOSS", "A <X> B <Y>", "NO TICKER"]
    group = np.array([single_ticker(t) for t in titles], dtype=object)
    assert group.tolist() == ["ALP", "BET", "ALP", None, None]
    corpus = Corpus("reuters21578", [], group, "tickers")
    labels = corpus.pair_labels(np.array([0, 0, 0, 3]), np.array([1, 2, 3, 4]))
    assert labels.tolist() == [0, -1, -1, -1]


def test_balanced_weights_give_each_corpus_weight_one_half_per_class(monkeypatch):
    monkeypatch.setattr(tm, "CLASS_WEIGHT", 0.5)
    weights = tm.balanced_weights(np.array([1, 0, 0, 0]))
    assert weights.tolist() == pytest.approx([0.5, 1 / 6, 1 / 6, 1 / 6])
    assert tm.balanced_weights(np.array([0, 0])).sum() == pytest.approx(0.5)


def test_features_are_in_range_and_the_same_for_candidates_and_components():
    day = parse_date("2022-04-12")
    articles = [
        Article(
            "a", "Putin says peace talks with Ukraine reached a dead end in Istanbul.", date=day
        ),
        Article(
            "b", "Peace talks with Ukraine are at a dead end, Putin says of Istanbul.", date=day
        ),
        Article(
            "c", "The central bank raised interest rates by half a point on Thursday.", date=day
        ),
        Article(
            "d", "Putin says peace talks with Ukraine reached a dead end in Istanbul.", date=day
        ),
    ]
    context = PairContext(articles)
    i, j = context.candidates(0.05, 10)
    first = context.features(i, j)
    context.set_neighbours(i, j, first["body_cosine"])
    table = context.features(i, j)
    assert set(PAIR_FEATURES) <= set(table)
    for name in ("body_cosine", "lead_cosine", "entity_cosine", "jaccard", "neighbour_cosine"):
        assert np.all((table[name] >= 0) & (table[name] <= 1 + 1e-9)), name
    pairs = {(int(a), int(b)): k for k, (a, b) in enumerate(zip(i, j))}
    assert (0, 3) in pairs and table["is_copy"][pairs[(0, 3)]]
    # The same pair through the component path gives the same numbers.
    again = context.features(np.array([0]), np.array([1]))
    k = pairs[(0, 1)]
    for name in PAIR_FEATURES:
        assert again[name][0] == pytest.approx(table[name][k], abs=1e-12), name


def test_the_recipe_searches_as_the_shipped_model_says(monkeypatch, tmp_path):
    from dedupe_news.pair_model import default_model

    assert tm.Recipe().candidates == default_model().metadata["candidates"]
    assert "long_text" not in tm.Recipe(long_text_tokens=0).candidates
    # The candidate table asks for one count per article, by its length.
    short, long = "Storm hits the coast.", " ".join(f"word{k}" for k in range(80))
    articles = [Article(f"a{k}", short if k % 2 else long) for k in range(4)]
    corpus = Corpus("corpus", articles, np.array(["x", "x", "y", "y"], dtype=object), "gold")
    seen = []
    original = PairContext.candidates

    def recording(self, floor, max_neighbors):
        seen.append(np.asarray(max_neighbors).tolist())
        return original(self, floor, max_neighbors)

    monkeypatch.setattr(PairContext, "candidates", recording)
    monkeypatch.setattr(tm, "CACHE", tmp_path)
    recipe = tm.Recipe(max_neighbors=100, long_text_tokens=64, long_text_neighbors=30)
    tm.candidate_table(corpus, PairContext(articles), recipe)
    assert seen == [[30, 100, 30, 100]]
