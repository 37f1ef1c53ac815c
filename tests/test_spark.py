"""The Spark engine (dedupe_news.spark) gives StoryClusterer's stories, in local mode.

One local[2] SparkSession serves the whole test run. Without PySpark or Java
these tests skip with the reason; under CI=true, where `.ci/run` installs the
`spark` extra, they fail instead (as the corpus tests do without ../shared).
The pure pieces (band keys, IDF, date blocks) are checked without Spark.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from dedupe_news import (
    Article,
    EmptyCorpusError,
    InputError,
    MinHasher,
    ParameterError,
    StoryClusterer,
    parse_date,
    read_articles,
    score_clustering,
)
from dedupe_news.cli import main
from dedupe_news.minhash import lsh_band_keys, lsh_candidate_pairs, lsh_params
from dedupe_news.normalize import strip_boilerplate, tokenize
from dedupe_news.spark import bucket_pairs, date_blocks
from tests.conftest import SEEDS, shared_file


def spark_missing_reason() -> str | None:
    try:
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        return f'{exc.name} is not installed: install the extra with pip install ".[test,spark]"'
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "no Java runtime: Spark needs java 17+ on the PATH or JAVA_HOME set"
    return None


@pytest.fixture(scope="session")
def spark():
    """One local[2] session for every Spark test; skips (fails under CI=true) without Spark."""
    reason = spark_missing_reason()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI=true, so this is an error)")
        pytest.skip(reason)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from dedupe_news.spark import spark_session

    session = spark_session(
        "local[2]",
        **{
            "spark.ui.enabled": "false",
            "spark.sql.shuffle.partitions": "4",
            "spark.driver.memory": "2g",
        },
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def spark_labels(spark, articles, **params) -> np.ndarray:
    from dedupe_news.spark import fit_articles

    return fit_articles(articles, spark=spark, **params).labels_


def assert_same_stories(articles, **params):
    """Spark and StoryClusterer agree exactly; returns the ARI for the record."""
    __tracebackhide__ = True
    spark_params = {
        k: params.pop(k) for k in ("spark", "block_rows", "max_driver_edges") if k in params
    }
    local = StoryClusterer(**params).fit_predict(articles)
    session = spark_params.pop("spark")
    distributed = spark_labels(session, articles, **params, **spark_params)
    ari = score_clustering(local.tolist(), distributed).adjusted_rand_index
    assert ari >= 0.99
    assert distributed.tolist() == local.tolist()
    return ari


# -- pure pieces, no Spark --------------------------------------------------------------


def token_lists(articles):
    return [tokenize(strip_boilerplate(a.full_text)) for a in articles]


def test_band_keys_and_bucket_pairs_reproduce_lsh_candidate_pairs(seed_articles, chain_articles):
    # 70 copies of one text make a bucket larger than the 64 neighbours a member is paired with.
    copies = [Article(f"copy{k}", seed_articles[0].text) for k in range(70)]
    tokens = token_lists(seed_articles + chain_articles + copies)
    signatures = MinHasher().sign(tokens)
    expected = set(zip(*(x.tolist() for x in lsh_candidate_pairs(signatures, threshold=0.5))))
    bands, rows = lsh_params(0.5, 128)
    keys = lsh_band_keys(signatures.hashvalues, bands, rows)
    found = set()
    for band in range(bands):
        for key in np.unique(keys[:, band]):
            i, j = bucket_pairs(np.flatnonzero(keys[:, band] == key))
            found |= set(zip(i.tolist(), j.tolist()))
    assert found == expected
    assert (0, 75) not in found  # 75 - 5 > 64 apart in the big bucket: not paired directly


def test_date_blocks_cover_every_day_once():
    days = np.arange(100, dtype=np.float64)
    blocks = date_blocks(days, np.full(100, 3), window_days=5.0, block_rows=10)
    assert blocks[0, 0] == 0 and blocks[-1, 1] == 99
    assert (blocks[1:, 0] == blocks[:-1, 1] + 1).all()
    assert date_blocks(days, np.full(100, 3), math_inf(), 10).tolist() == [[-np.inf, np.inf]]


def math_inf() -> float:
    return float("inf")


# -- Spark, local mode ----------------------------------------------------------------


def test_spark_seeds_match_story_clusterer(spark, seed_articles, chain_articles):
    assert_same_stories(seed_articles + chain_articles, spark=spark)


def test_spark_ecbplus_matches_story_clusterer_exactly(spark):
    # ECB+ is undated: every article is searched against all others (the undated block).
    articles = read_articles(shared_file("ecbplus_dev.jsonl"))
    assert_same_stories(articles, spark=spark)


def test_spark_gva_read_by_spark_matches_across_date_blocks(spark):
    # All 2,969 dated GVA articles, read by Spark itself (dates as strings), in blocks
    # of 300: rows are replicated into neighbouring blocks, and the result must not notice.
    from dedupe_news.spark import cluster_dataframe

    path = shared_file("gva_dev.jsonl")
    articles = read_articles(path)
    local = StoryClusterer().fit_predict(articles)
    df = spark.read.json(str(path)).select("id", "text", "title", "date")
    result = cluster_dataframe(df, block_rows=300).select("id", "cluster").toPandas()
    by_id = dict(zip(result["id"], result["cluster"]))
    distributed = np.array([by_id[a.id] for a in articles])
    assert score_clustering(local.tolist(), distributed).adjusted_rand_index >= 0.99
    assert distributed.tolist() == local.tolist()


def test_spark_mixed_dated_and_undated_with_dataframe_components(spark):
    articles = read_articles(shared_file("gva_dev.jsonl"))[:600]
    articles = [
        dataclasses.replace(a, date=None) if k % 3 == 0 else a for k, a in enumerate(articles)
    ]
    assert_same_stories(articles, spark=spark, block_rows=150, max_driver_edges=0, max_neighbors=3)


def test_spark_undated_article_keeps_its_own_dated_neighbours(spark, seed_articles):
    # With one neighbour each, the dated seeds keep their copies; only the undated
    # seed's own search, over every article, links it to the story.
    undated = dataclasses.replace(seed_articles[0], date=None)
    dated = [dataclasses.replace(a, date=parse_date("2022-04-12")) for a in seed_articles[1:]]
    copies = [Article(a.id + "-copy", a.text + " More to follow.", date=a.date) for a in dated]
    articles = [undated, *dated, *copies]
    local = StoryClusterer(max_neighbors=1).fit_predict(articles)
    assert local[0] != -1 and (local == local[0]).sum() > 1
    assert spark_labels(spark, articles, max_neighbors=1).tolist() == local.tolist()


def test_spark_single_linkage_and_empty_texts(spark, seed_articles, chain_articles):
    articles = seed_articles + [Article("empty", "   ")] + chain_articles
    assert_same_stories(articles, spark=spark, linkage="single")
    labels = spark_labels(spark, articles)
    assert labels[len(seed_articles)] == -1


def test_spark_cluster_dataframe_returns_sources_and_sizes(spark, seed_articles):
    from dedupe_news.spark import articles_dataframe, cluster_dataframe

    result = cluster_dataframe(articles_dataframe(spark, seed_articles)).toPandas()
    assert spark.sparkContext.getLocalProperty("spark.jobGroup.id") is None  # put back
    story = StoryClusterer().fit(seed_articles).stories_[0]
    assert set(result["cluster"]) == {0}
    assert set(result["cluster_size"]) == {len(seed_articles)}
    assert result.loc[result["is_source"], "id"].tolist() == [story.source_id]
    assert set(result["source_id"]) == {story.source_id}


def test_spark_errors_are_clear(spark):
    from dedupe_news.spark import cluster_dataframe

    with pytest.raises(ParameterError, match="no 'text' column"):
        cluster_dataframe(spark.createDataFrame([("a", "x")], "id string, body string"))
    with pytest.raises(ParameterError, match="duplicate article id 'a'"):
        cluster_dataframe(spark.createDataFrame([("a", "x"), ("a", "y")], "id string, text string"))
    with pytest.raises(InputError, match="bad date '12/04/2022'"):
        cluster_dataframe(
            spark.createDataFrame(
                [("a", "some text", "12/04/2022")], "id string, text string, date string"
            )
        )
    with pytest.raises(EmptyCorpusError, match="empty text"):
        cluster_dataframe(spark.createDataFrame([("a", " ")], "id string, text string"))
    with pytest.raises(ParameterError, match="linkage"):
        cluster_dataframe(
            spark.createDataFrame([("a", "x")], "id string, text string"), linkage="x"
        )


def test_cli_engine_spark_writes_what_the_local_engine_writes(spark):
    runner = CliRunner()
    local = runner.invoke(main, ["cluster", str(SEEDS), "-q"])
    distributed = runner.invoke(
        main, ["cluster", "--engine", "spark", "--master", "local[2]", str(SEEDS), "-q"]
    )
    assert local.exit_code == 0 and distributed.exit_code == 0, distributed.output
    assert distributed.output == local.output
    assert [json.loads(line)["cluster"] for line in distributed.output.splitlines()] == [0] * 5


def test_cli_engine_spark_without_java_says_what_to_install(monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = CliRunner().invoke(main, ["cluster", "--engine", "spark", str(SEEDS), "-q"])
    assert result.exit_code == 1
    assert "Error: the Spark engine needs" in result.output
    assert "Traceback" not in result.output
