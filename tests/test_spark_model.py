"""The Spark engine with a learned pair model gives StoryClusterer(model=...)'s stories,
pair probabilities and model features, in local mode.

The Spark session is conftest.py's ``spark`` fixture (one for the whole run). The
entity weighting the Spark tasks use, the corpus's frequencies applied to a subset
of its articles, is checked without Spark.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from click.testing import CliRunner

from dedupe_news import read_articles
from dedupe_news.cli import main
from dedupe_news.evidence_table import EntityFrequencies, EvidenceTable
from dedupe_news.model_features import prepare_evidence
from dedupe_news.neighbor_probe import probe_max_df
from tests.conftest import SEEDS, shared_file
from tests.test_spark import assert_same_stories


def test_evidence_table_with_corpus_frequencies_equals_the_whole_corpus_table():
    # A Spark task sees a few articles; weighted with the corpus's entity
    # frequencies, their features are those of the table over the whole corpus.
    articles = read_articles(SEEDS) + read_articles(shared_file("ecbplus_dev.jsonl"))[:200]
    evidence = prepare_evidence([a.title for a in articles], [a.text for a in articles])
    whole = EvidenceTable(evidence.entities, evidence.quotes, evidence.tickers)
    corpus = EntityFrequencies.of(evidence.entities)
    rng = np.random.default_rng(0)
    subset = np.sort(rng.choice(len(articles), size=40, replace=False))
    subset[:5] = np.arange(5)  # the seeds share entities
    part = EvidenceTable(
        [evidence.entities[k] for k in subset],
        [evidence.quotes[k] for k in subset],
        [evidence.tickers[k] for k in subset],
        frequencies=corpus,
    )
    alone = EvidenceTable(
        [evidence.entities[k] for k in subset], [evidence.quotes[k] for k in subset]
    )
    a, b = np.triu_indices(subset.size, k=1)
    expected = whole.entity_features(subset[a], subset[b])
    got = part.entity_features(a, b)
    for name, values in expected.items():
        assert np.allclose(got[name], values, rtol=0, atol=1e-12), name
    assert expected["entity_cosine"].max() > 0.3  # the seeds
    # Its own IDF would weigh differently: the corpus frequencies do matter.
    assert not np.allclose(alone.entity_features(a, b)["entity_cosine"], got["entity_cosine"])
    with pytest.raises(ValueError, match="unknown"):
        EvidenceTable(
            [np.array([1, 2], dtype=np.int64)], [np.zeros(0, np.int64)], frequencies=corpus
        )


def test_spark_model_seeds_match_story_clusterer(spark, seed_articles, chain_articles):
    batch = assert_same_stories(seed_articles + chain_articles, spark=spark, model="default")
    assert batch.labels_[:5].tolist() == [0] * 5
    # A threshold of the caller's, passed through to the decision and the linkage.
    assert_same_stories(
        seed_articles + chain_articles, spark=spark, model="default", same_story_threshold=0.9
    )


def test_spark_model_ecbplus_matches_story_clusterer_exactly(spark):
    # Undated: one block holds every article, as the local search compares them all.
    articles = read_articles(shared_file("ecbplus_dev.jsonl"))
    batch = assert_same_stories(articles, spark=spark, model="default")
    assert len(batch.stories_) < len(articles) / 2


def test_spark_model_pairs_and_stories_across_date_blocks(spark):
    # Dated GVA articles in blocks of 120 (rows replicated into their neighbours'
    # blocks), every fifth one undated: the same candidate pairs (bodies, leads and
    # copies), the same model features and probabilities, the same stories. Every
    # title names the site, so its words are in more leads than the search probes
    # (probe_max_df): the lead search leaves them out and lowers its floor.
    from dedupe_news.spark import articles_dataframe, pair_scores_dataframe

    articles = read_articles(shared_file("gva_dev.jsonl"))[:700]
    assert len(articles) > probe_max_df(len(articles))
    articles = [
        dataclasses.replace(
            a, title=f"{a.title or ''} | Gun Violence Archive", date=None if k % 5 == 0 else a.date
        )
        for k, a in enumerate(articles)
    ]
    batch = assert_same_stories(articles, spark=spark, model="default", block_rows=120)
    pairs = pair_scores_dataframe(
        articles_dataframe(spark, articles), model="default", block_rows=120
    ).toPandas()
    ids = [a.id for a in articles]
    want = [(ids[i], ids[j]) for i, j in zip(batch.pairs_.i, batch.pairs_.j, strict=True)]
    got = list(zip(pairs["id_a"], pairs["id_b"], strict=True))
    assert sorted(got) == sorted(want)
    order = {pair: k for k, pair in enumerate(want)}
    rows = np.array([order[pair] for pair in got])
    similarity = batch.pairs_.story_similarity[rows]
    assert np.allclose(pairs["story_similarity"], similarity, rtol=0, atol=1e-9)
    assert pairs["same_story"].tolist() == batch.pairs_.same_story[rows].tolist()
    assert 0 < pairs["same_story"].sum() < len(pairs)
    features = batch.pair_model_features()
    assert features["lead_cosine"].max() > 0 and features["neighbour_cosine"].max() > 0
    for name, values in features.items():
        if name == "date_distance_days":  # NaN here for an undated article, 0 there
            continue
        assert np.allclose(pairs[name], values[rows], rtol=0, atol=1e-9), name


def test_cli_engine_spark_with_model_writes_what_the_local_engine_writes(spark):
    runner = CliRunner()
    args = ["cluster", str(SEEDS), "--model", "default", "-q"]
    local = runner.invoke(main, args)
    distributed = runner.invoke(main, [*args, "--engine", "spark", "--master", "local[2]"])
    assert local.exit_code == 0 and distributed.exit_code == 0, distributed.output
    assert distributed.output == local.output
