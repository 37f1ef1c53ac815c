from __future__ import annotations

import types

import numpy as np
import pytest

import dedupe_news
from dedupe_news import (
    Article,
    EmptyCorpusError,
    InputError,
    NotFittedError,
    ParameterError,
    Signatures,
    StoryClusterer,
    UnknownArticleError,
    cluster_articles,
    compare_articles,
    parse_date,
)


def test_story_clusterer_puts_the_five_seed_rewrites_in_one_story(seed_articles):
    clusterer = StoryClusterer().fit(seed_articles)
    assert clusterer.labels_.tolist() == [0, 0, 0, 0, 0]
    [story] = clusterer.stories_
    assert story.source_id == "004_68ed01b62af08bc0"  # dated 2022-04-12, the earliest


def test_story_clusterer_seeds_are_rewrites_not_copies(seed_articles):
    clusterer = StoryClusterer().fit(seed_articles)
    scores = clusterer.explain("000_501117e7baee25b0", "004_68ed01b62af08bc0")
    assert scores.jaccard_similarity < 0.1
    assert scores.reason.startswith("rewrite")
    assert scores.same_cluster is True
    assert scores.date_distance_days == 1.0


def test_story_clusterer_labels_are_deterministic_and_ordered(seed_articles):
    other = Article("z", "The central bank raised interest rates by half a point on Thursday.")
    docs = [other] + seed_articles
    first = StoryClusterer().fit_predict(docs)
    assert first.tolist() == StoryClusterer().fit_predict(docs).tolist()
    assert first.tolist() == [0, 1, 1, 1, 1, 1]


def test_story_clusterer_finds_abridged_wire_copies():
    wire = " ".join(
        f"sentence {k} of the wire report about the harbour fire in Oslo." for k in range(30)
    )
    docs = [
        Article("full", wire, date=parse_date("2024-01-02")),
        Article("short", wire[: len(wire) // 3], date=parse_date("2024-01-03")),
        Article("late", wire, date=parse_date("2024-03-01")),
    ]
    clusterer = StoryClusterer().fit(docs)
    assert clusterer.explain("full", "short").reason.startswith(("copy", "abridged copy"))
    assert clusterer.labels_.tolist() == [0, 0, 1]  # the March reprint is outside the window


def test_story_clusterer_skips_empty_texts_and_counts_them():
    docs = [
        Article("a", "Storm hits the coast"),
        Article("b", "   "),
        Article("c", "Storm hits the coast"),
    ]
    clusterer = StoryClusterer().fit(docs)
    assert clusterer.labels_.tolist() == [0, -1, 0]
    assert clusterer.n_skipped_empty_ == 1
    with pytest.raises(UnknownArticleError, match="skipped"):
        clusterer.explain("a", "b")


def test_story_clusterer_errors():
    with pytest.raises(ParameterError, match="single string"):
        StoryClusterer().fit("just one text")
    with pytest.raises(ParameterError, match="item 1 is a int, not an Article"):
        StoryClusterer().fit([Article("a", "x"), 5])
    with pytest.raises(ParameterError, match="duplicate article id 'a'"):
        StoryClusterer().fit([Article("a", "x"), Article("a", "y")])
    with pytest.raises(EmptyCorpusError):
        StoryClusterer().fit([])
    with pytest.raises(EmptyCorpusError, match="empty text"):
        StoryClusterer().fit([Article("a", "")])
    with pytest.raises(NotFittedError):
        StoryClusterer().explain("a", "b")
    with pytest.raises(ParameterError, match="linkage"):
        StoryClusterer(linkage="ward").fit([Article("a", "x")])
    fitted = StoryClusterer().fit([Article("a", "x y z")])
    with pytest.raises(UnknownArticleError, match="no article with id 'q'"):
        fitted.explain("a", "q")


def test_story_clusterer_pairs_table_reports_scores_with_input_indices(seed_articles):
    clusterer = StoryClusterer().fit(seed_articles)
    table = clusterer.pairs_
    assert len(table) >= 4
    assert (table.i < table.j).all()
    assert table.same_story.any()


def test_cluster_articles_and_compare_articles_one_shot(seed_articles):
    [story] = cluster_articles(seed_articles)
    assert story.size == 5
    scores = compare_articles(seed_articles[0], seed_articles[1], background=seed_articles)
    assert scores.same_story


def test_public_api_all_is_sorted_and_complete():
    exported = dedupe_news.__all__
    assert exported == sorted(exported)
    public = {
        name
        for name, value in vars(dedupe_news).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(exported) - {"__version__"}


def test_story_clusterer_gives_the_same_clusters_on_two_processes(seed_articles):
    from dedupe_news import batch_prepare

    others = [
        Article(f"x{k}", f"Unrelated brief number {k} about harbour cranes and tides {k * 7}")
        for k in range(30)
    ]
    docs = seed_articles + others
    original = batch_prepare.CHUNK
    batch_prepare.CHUNK = 4  # several chunks, so both workers get some
    try:
        serial = StoryClusterer(n_jobs=1).fit(docs)
        forked = StoryClusterer(n_jobs=2).fit(docs)
    finally:
        batch_prepare.CHUNK = original
    assert forked.labels_.tolist() == serial.labels_.tolist()
    assert forked.pairs_.i.tolist() == serial.pairs_.i.tolist()
    assert forked.pairs_.j.tolist() == serial.pairs_.j.tolist()
    with pytest.raises(ParameterError, match="n_jobs"):
        StoryClusterer(n_jobs=0).fit(docs)


def test_story_clusterer_gives_the_same_clusters_with_either_minhash_backend(seed_articles):
    copies = [Article(f"copy{k}", seed_articles[k % 5].text[: 400 + 50 * k]) for k in range(6)]
    docs = seed_articles + copies
    compiled = StoryClusterer(minhash_backend="numba").fit(docs)
    plain = StoryClusterer(minhash_backend="numpy").fit(docs)
    assert compiled.labels_.tolist() == plain.labels_.tolist()
    assert compiled.pairs_.jaccard_similarity.tolist() == plain.pairs_.jaccard_similarity.tolist()
    assert (compiled.pairs_.jaccard_similarity >= 0.5).any()  # copies were found by MinHash
    with pytest.raises(ParameterError, match="backend"):
        StoryClusterer(minhash_backend="gpu").fit(docs)


def test_story_clusterer_pruned_search_gives_the_same_clusters_as_the_full_search(monkeypatch):
    import datetime as dt
    import random

    import numpy as np

    from dedupe_news import candidate_search, neighbors, prepare

    rng = random.Random(5)
    filler = [f"common{k}" for k in range(40)]  # each in far more than 500 articles
    docs = []
    for story in range(400):
        words = [f"s{story}x{k}" for k in range(12)]
        day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(10))
        for copy in range(3):
            text = " ".join(rng.sample(words, 9) + rng.sample(filler, 25))
            docs.append(Article(f"{story}-{copy}", text, date=day))
    counts = prepare.term_counts([d.text.split() for d in docs])
    assert (np.bincount(counts.indices) > neighbors.probe_max_df(len(docs))).sum() >= 30

    pruned = StoryClusterer().fit(docs)
    monkeypatch.setattr(candidate_search, "probe_max_df", lambda n: None)
    full = StoryClusterer().fit(docs)
    assert pruned.labels_.tolist() == full.labels_.tolist()
    assert len(pruned.stories_) == 400


def test_story_clusterer_fits_a_stream_like_a_list_and_keeps_first_lines(
    seed_articles, monkeypatch
):
    from dedupe_news import batch_prepare

    monkeypatch.setattr(batch_prepare, "CHUNK", 2)
    others = [Article(f"x{k}", f"Brief {k} on harbour cranes\nand tides {k * 7}") for k in range(9)]
    docs = seed_articles + others + [Article("empty", "  ")]
    listed = StoryClusterer().fit(docs)
    for jobs in (1, 2):
        streamed = StoryClusterer(n_jobs=jobs).fit(a for a in docs)
        assert streamed.labels_.tolist() == listed.labels_.tolist()
        assert [s.article_ids for s in streamed.stories_] == [
            s.article_ids for s in listed.stories_
        ]
        assert streamed.n_skipped_empty_ == 1
        stubs = {a.id: a for a in streamed.articles_}
        assert stubs["x3"].text == "Brief 3 on harbour cranes"
        assert len(stubs[seed_articles[0].id].text) <= batch_prepare.STUB_TEXT_CHARS
        assert stubs[seed_articles[0].id].date == seed_articles[0].date
    assert listed.articles_ is not None and listed.articles_[0] is docs[0]  # a list is kept as is


def test_story_clusterer_checks_a_stream_as_it_reads_it(seed_articles):
    twice = seed_articles + [seed_articles[0]]
    with pytest.raises(ParameterError, match="duplicate article id"):
        StoryClusterer().fit(a for a in twice)
    with pytest.raises(ParameterError, match="item 1 is a str"):
        StoryClusterer().fit(x for x in [seed_articles[0], "text"])
    with pytest.raises(EmptyCorpusError, match="no articles"):
        StoryClusterer().fit(iter([]))


def test_story_clusterer_relates_each_member_to_its_source(seed_articles):
    source_id = StoryClusterer().fit(seed_articles).stories_[0].source_id
    original = next(a for a in seed_articles if a.id == source_id)
    copy = Article("copy", original.text, title=original.title)  # undated: not the source
    lone = Article("lone", "The harbour crane union voted to strike over night shifts in Gdansk.")
    clusterer = StoryClusterer().fit(seed_articles + [copy, lone])
    position = {a.id: k for k, a in enumerate(clusterer.articles_)}
    story = next(s for s in clusterer.stories_ if s.size > 1)
    assert set(story.article_ids) == {a.id for a in seed_articles} | {"copy"}
    assert story.source_id == source_id
    assert clusterer.match_[position[source_id]] == "source"
    assert clusterer.source_similarity_[position[source_id]] == 1.0
    assert clusterer.match_[position["lone"]] == "source"
    assert clusterer.match_[position["copy"]] == "copy"
    for article_id in story.article_ids:
        if article_id == source_id:
            continue
        k = position[article_id]
        expected = clusterer.explain(article_id, source_id).story_similarity
        assert clusterer.source_similarity_[k] == pytest.approx(expected, abs=1e-12)
        assert clusterer.match_[k] == ("copy" if article_id == "copy" else "rewrite")


def test_pair_features_of_rows_against_other_rows_equal_the_same_rows_features(seed_articles):
    from dedupe_news.pair_features import ArticleRows, pair_features

    clusterer = StoryClusterer().fit(seed_articles)
    rows = clusterer._rows
    i, j = np.array([0, 1, 2, 4]), np.array([3, 3, 0, 1])
    whole = pair_features(rows, i, rows, j)
    left = ArticleRows(
        rows.tfidf[i],
        Signatures(rows.signatures.hashvalues[i], rows.signatures.shingle_counts[i]),
        rows.days[i],
    )
    split = pair_features(left, np.arange(4), rows, j)
    for name in ("cosine_similarity", "jaccard_similarity", "containment_similarity"):
        np.testing.assert_array_equal(getattr(split, name), getattr(whole, name))


def test_story_clusterer_names_the_earliest_by_time_as_source():
    import datetime as dt

    text = "Storm Delia hits the Texas coast tonight, forecasters warn of floods in Galveston"
    late = Article("late", text, date=dt.datetime(2024, 9, 2, 18, 0, tzinfo=dt.timezone.utc))
    early = Article("early", text, date=dt.datetime(2024, 9, 2, 6, 0, tzinfo=dt.timezone.utc))
    (story,) = StoryClusterer().fit([late, early]).stories_
    assert story.source_id == "early"


def test_story_clusterer_fits_dicts_and_dataframes_and_names_a_bad_row():
    pandas = pytest.importorskip("pandas")
    rows = [
        {"id": 1, "text": "Storm Delia hits the Texas coast tonight", "date": "2024-09-02"},
        {"id": 2, "text": "Storm Delia hits the Texas coast tonight", "date": "2024-09-02"},
        {"id": 3, "text": "The central bank raised rates by half a point", "title": None},
    ]
    assert StoryClusterer().fit_predict(rows).tolist() == [0, 0, 1]
    frame = pandas.DataFrame(rows)
    assert StoryClusterer().fit_predict(frame).tolist() == [0, 0, 1]
    frame.loc[1, "date"] = "yesterday"
    with pytest.raises(InputError, match="row 1"):
        StoryClusterer().fit(frame)
