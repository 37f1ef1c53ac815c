"""The Spark engine (dedupe_news.spark) gives StoryClusterer's stories, in local mode.

One local[2] SparkSession serves the whole test run. Without PySpark or Java
these tests skip with the reason; under CI=true, where `.ci/run` installs the
`spark` extra, they fail instead (as the corpus tests do without ../shared).
The pure pieces (band keys, IDF, date blocks) are checked without Spark. The
`spark` fixture lives in conftest.py, shared with test_spark_model.py.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import stat
from pathlib import Path

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
    parse_datetime,
    read_articles,
    score_clustering,
)
from dedupe_news.cli import main
from dedupe_news.decision import DecisionRule, PairTable
from dedupe_news.lsh import lsh_band_keys, lsh_candidate_pairs, lsh_params
from dedupe_news.normalize import strip_boilerplate, tokenize
from dedupe_news.pair_features import ArticleRows, pair_features
from dedupe_news.prepare import prepare_texts
from dedupe_news.spark import bucket_pairs, date_blocks
from dedupe_news.timestamps import article_day
from dedupe_news.weighting import document_frequencies, smooth_idf, stop_terms, tfidf_rows
from tests.conftest import SEEDS, shared_file


def spark_labels(spark, articles, **params) -> np.ndarray:
    from dedupe_news.spark import fit_articles

    return fit_articles(articles, spark=spark, **params).labels_


def assert_same_stories(articles, **params):
    """Spark and StoryClusterer agree exactly; returns the fitted StoryClusterer."""
    __tracebackhide__ = True
    spark_params = {
        k: params.pop(k) for k in ("spark", "block_rows", "max_driver_edges") if k in params
    }
    batch = StoryClusterer(**params, n_jobs=1).fit(articles)
    local = batch.labels_
    session = spark_params.pop("spark")
    from dedupe_news.spark import fit_articles

    fitted = fit_articles(articles, spark=session, **params, **spark_params)
    distributed = fitted.labels_
    ari = score_clustering(local.tolist(), distributed).adjusted_rand_index
    assert ari >= 0.99
    assert distributed.tolist() == local.tolist()
    assert fitted.stories_ == batch.stories_
    assert fitted.match_ == batch.match_
    assert np.allclose(
        fitted.source_similarity_, batch.source_similarity_, rtol=0, atol=1e-9, equal_nan=True
    )
    return batch


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


def batch_pair_table(articles, id_a, id_b):
    """The batch feature layer on the whole corpus: prepare, weight, pair features, decide."""
    prepared = prepare_texts([a.full_text for a in articles], MinHasher())
    assert prepared.has_text.all()
    counts = prepared.term_counts
    df, n = document_frequencies(counts), counts.shape[0]
    tfidf = tfidf_rows(counts, smooth_idf(df, n), stop_terms(df, n))
    assert stop_terms(df, n).any()  # GVA has terms in over half of its articles
    days = np.array([article_day(a) for a in articles])
    rows = ArticleRows(tfidf, prepared.signatures, days)
    position = {a.id: k for k, a in enumerate(articles)}
    i = np.array([position[x] for x in id_a])
    j = np.array([position[x] for x in id_b])
    assert (i < j).all()  # id_a comes first in the input order
    return PairTable.decide(DecisionRule(), i, j, pair_features(rows, i, rows, j))


def test_spark_pair_features_and_decisions_equal_the_batch_ones(spark):
    # The same rows of a real corpus: dated articles in date blocks of 300 (rows
    # replicated across blocks), every fifth one undated (the undated block). With
    # 2,969 articles some terms are common, so the search floor is halved and
    # pairs on both sides of the decision are scored.
    from dedupe_news.spark import articles_dataframe, pair_scores_dataframe

    articles = read_articles(shared_file("gva_dev.jsonl"))
    articles = [
        dataclasses.replace(a, date=None) if k % 5 == 0 else a for k, a in enumerate(articles)
    ]
    pairs = pair_scores_dataframe(articles_dataframe(spark, articles), block_rows=300).toPandas()
    assert len(pairs) > 300 and 0 < pairs["same_story"].sum() < len(pairs)
    batch = batch_pair_table(articles, pairs["id_a"], pairs["id_b"])
    for name in (
        "cosine_similarity",
        "jaccard_similarity",
        "containment_similarity",
        "date_distance_days",
        "story_similarity",
    ):
        got, want = pairs[name].to_numpy(), getattr(batch, name)
        assert np.array_equal(np.isnan(got), np.isnan(want)), name
        assert np.allclose(got, want, rtol=0, atol=1e-9, equal_nan=True), name
    assert pairs["same_story"].tolist() == batch.same_story.tolist()


def test_spark_counts_stop_words_only_in_rows_made_of_them(spark):
    # The search leaves out terms by their count after weighting, when a stop word is
    # left only in rows with nothing else (as batch counts its weighted matrix).
    from dedupe_news.spark.idf import stop_word_row_frequencies

    rows = [([1, 2],), ([1],), ([1, 3],), ([2, 4],), ([3],)]
    kept = spark.createDataFrame(rows, "term_ids array<int>")
    terms = np.array([1, 2, 3, 4], dtype=np.int32)
    stop = np.array([True, True, False, False])
    assert stop_word_row_frequencies(kept, terms, stop).tolist() == [2, 1, 0, 0]


def test_spark_days_and_sources_follow_publication_times(spark, seed_articles):
    # The last seed was published first (04:30 UTC), on the UTC day of the others
    # although its local date is the day before: with window_days=0 a local day
    # would split it off. Strings and a timestamp column must give the same.
    from pyspark.sql import functions as F

    from dedupe_news.spark import articles_dataframe, cluster_dataframe

    times = [
        "2022-04-12T18:00:00+00:00",
        "2022-04-12T09:30:00+02:00",
        "2022-04-12T12:00:00Z",
        "2022-04-12T07:00:00Z",
        "2022-04-11T23:30:00-05:00",
    ]
    articles = [
        dataclasses.replace(a, date=parse_datetime(t))
        for a, t in zip(seed_articles, times, strict=True)
    ]
    batch = StoryClusterer(window_days=0).fit(articles)
    assert batch.labels_.tolist() == [0] * 5
    assert batch.stories_[0].source_id == articles[4].id
    strings = articles_dataframe(spark, articles)
    instants = strings.withColumn("date", F.col("date").cast("timestamp"))
    for df in (strings, instants):
        result = cluster_dataframe(df, window_days=0).toPandas()
        assert result["cluster"].tolist() == [0] * 5
        assert result.loc[result["is_source"], "id"].tolist() == [articles[4].id]


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


def test_spark_linkage_honours_max_component(spark, seed_articles):
    # The five seeds are one story; capped at 3 members, the component is split.
    assert StoryClusterer(max_component=3).fit_predict(seed_articles).tolist() == [0, 0, 0, 1, 2]
    assert_same_stories(seed_articles, spark=spark, max_component=3)


def test_spark_keeps_2001_identical_articles_in_one_story(spark, seed_articles):
    text = seed_articles[0].text
    date = parse_date("2022-04-12")
    articles = [Article(f"wire{k}", text, date=date) for k in range(2001)]
    assert spark_labels(spark, articles).tolist() == [0] * 2001


def test_spark_cluster_dataframe_returns_sources_and_sizes(spark, seed_articles):
    from dedupe_news.spark import articles_dataframe, cluster_dataframe

    result = cluster_dataframe(articles_dataframe(spark, seed_articles)).toPandas()
    assert spark.sparkContext.getLocalProperty("spark.jobGroup.id") is None  # put back
    story = StoryClusterer().fit(seed_articles).stories_[0]
    assert set(result["cluster"]) == {0}
    assert set(result["cluster_size"]) == {len(seed_articles)}
    assert result.loc[result["is_source"], "id"].tolist() == [story.source_id]
    assert set(result["source_id"]) == {story.source_id}


def test_spark_session_keeps_its_scratch_files_private(spark):
    # Spark's default scratch space is /tmp, with world-readable shuffle files.
    from pyspark.sql import functions as F

    local_dir = Path(spark.sparkContext.getConf().get("spark.local.dir"))
    assert stat.S_IMODE(local_dir.stat().st_mode) == 0o700
    counts = spark.range(1000).repartition(3).groupBy((F.col("id") % 7).alias("k")).count()
    assert counts.count() == 7  # a shuffle, written to disk
    shuffle_files = list(local_dir.glob("blockmgr-*/*/shuffle_*.data"))
    assert shuffle_files, sorted(str(p) for p in local_dir.rglob("*"))[:20]
    assert local_dir in Path(spark.sparkContext._temp_dir).parents  # PySpark's own files


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
    assert distributed.output == local.output  # match and story_similarity included
    assert [json.loads(line)["cluster"] for line in distributed.output.splitlines()] == [0] * 5


def test_cli_engine_spark_without_java_says_what_to_install(monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = CliRunner().invoke(main, ["cluster", "--engine", "spark", str(SEEDS), "-q"])
    assert result.exit_code == 1
    assert "Error: the Spark engine needs" in result.output
    assert "Traceback" not in result.output
