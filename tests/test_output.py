"""What `cluster` writes: per-article fields (outlet, url, match with the source),
one record per story, and the same-story pairs (issue 14)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from dedupe_news import StoryClusterer, read_articles
from dedupe_news.cli import main
from dedupe_news.output import assignments, pair_records, source_matches
from dedupe_news.story_summary import story_keywords, story_records

STORM = (
    "Hurricane Delia made landfall near Galveston overnight, flooding coastal neighbourhoods. "
    "Governor Abbott ordered the evacuation of Galveston island as Delia brought winds of "
    "120 mph to the Texas coast."
)
NEWS = [
    {
        "id": "reuters-1",
        "source": "Reuters",
        "url": "https://example.com/r1",
        "date": "2024-09-02",
        "title": "Hurricane Delia floods Galveston",
        "text": STORM,
    },
    {
        "id": "ap-7",
        "source": "AP",
        "date": "2024-09-03",
        "title": "Hurricane Delia floods Galveston",
        "text": STORM,
    },
    {
        "id": "blog-3",
        "source": "Gulf Blog",
        "date": "2024-09-03",
        "title": "Delia hits Texas",
        "text": "Galveston residents fled as Hurricane Delia, with 120 mph winds, struck the "
        "Texas coast; Abbott had ordered the island evacuated before the flooding.",
    },
    {
        "id": "ft-9",
        "source": "FT",
        "date": "2024-09-02",
        "title": "Rotterdam dockers strike",
        "text": "Dockworkers at the port of Rotterdam walked out on Monday in a pay dispute; "
        "the FNV union said the strike would halt container traffic.",
    },
]


@pytest.fixture
def news(tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in NEWS), encoding="utf-8")
    return path


@pytest.fixture
def fitted(news):
    return StoryClusterer().fit(read_articles([news]))


def test_cluster_jsonl_has_outlet_url_match_and_similarity_to_the_source(news):
    result = CliRunner().invoke(main, ["cluster", str(news), "-q"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    picked = [
        (r["id"], r["source_id"], r["match"], r["story_similarity"], r["source"], r["url"])
        for r in rows
    ]
    assert picked == [
        ("reuters-1", "reuters-1", "source", 1.0, "Reuters", "https://example.com/r1"),
        ("ap-7", "reuters-1", "copy", 1.0, "AP", None),
        ("blog-3", "reuters-1", "rewrite", 0.5489, "Gulf Blog", None),
        ("ft-9", "ft-9", "source", 1.0, "FT", None),
    ]


def test_match_and_similarity_agree_with_explain_against_the_source(fitted):
    matches, similarity = source_matches(fitted)
    assert matches == ["source", "copy", "rewrite", "source"]
    rewrite = fitted.explain("blog-3", "reuters-1")
    assert rewrite.reason.startswith("rewrite")
    assert similarity[2] == pytest.approx(rewrite.story_similarity)
    assert 0.15 <= similarity[2] < 1.0
    assert [a.story_similarity for a in assignments(fitted)] == [1.0, 1.0, 0.5489, 1.0]


def test_skipped_article_has_no_match(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(
        json.dumps({"id": "a", "text": STORM}) + "\n" + json.dumps({"id": "b", "text": " "}) + "\n"
    )
    rows = assignments(StoryClusterer().fit(read_articles([path])))
    assert [(r.match, r.story_similarity, r.cluster) for r in rows] == [
        ("source", 1.0, 0),
        (None, None, None),
    ]


def test_cluster_format_stories_one_object_per_story(news):
    result = CliRunner().invoke(main, ["cluster", str(news), "--format", "stories", "-q"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {
            "story": 0,
            "size": 3,
            "first_time": "2024-09-02",
            "last_time": "2024-09-03",
            "source_id": "reuters-1",
            "source_title": "Hurricane Delia floods Galveston",
            "source_outlet": "Reuters",
            "outlets": ["AP", "Gulf Blog", "Reuters"],
            "keywords": ["delia", "galveston", "hurricane", "texas", "abbott"],
            "article_ids": ["reuters-1", "ap-7", "blog-3"],
        },
        {
            "story": 1,
            "size": 1,
            "first_time": "2024-09-02",
            "last_time": "2024-09-02",
            "source_id": "ft-9",
            "source_title": "Rotterdam dockers strike",
            "source_outlet": "FT",
            "outlets": ["FT"],
            "keywords": ["rotterdam", "strike", "container", "dispute", "dockers"],
            "article_ids": ["ft-9"],
        },
    ]


def test_story_keywords_are_the_summed_tfidf_top_terms_against_a_brute_force(fitted):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from dedupe_news.normalize import strip_boilerplate, tokenize
    from dedupe_news.terms import content_terms

    texts = [a.full_text for a in fitted.articles_]

    def terms(text):
        return [t for t in content_terms(tokenize(strip_boilerplate(text))) if not t.isdigit()]

    vectorizer = TfidfVectorizer(analyzer=terms, sublinear_tf=True)
    dense = vectorizer.fit_transform(texts).toarray()
    vocabulary = vectorizer.get_feature_names_out()
    for story, words in zip(fitted.stories_, story_keywords(fitted.articles_, fitted.labels_, 2)):
        rows = [k for k, label in enumerate(fitted.labels_) if label == story.label]
        total = dense[rows].sum(axis=0)
        ranked = sorted((-w, t) for w, t in zip(total, vocabulary) if w > 0)
        assert words == [t for _, t in ranked[:5]]


def test_story_records_span_only_dated_members_and_skip_empty_outlets(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(
        json.dumps({"id": "x", "text": STORM})
        + "\n"
        + json.dumps({"id": "y", "text": STORM, "date": "2024-01-05", "source": "AP"})
        + "\n"
    )
    (record,) = story_records(StoryClusterer().fit(read_articles([path])))
    assert (record["first_time"], record["last_time"]) == ("2024-01-05", "2024-01-05")
    assert (record["source_id"], record["source_outlet"], record["outlets"]) == ("y", "AP", ["AP"])
    assert record["source_title"].startswith("Hurricane Delia made landfall")


def test_cluster_pairs_writes_every_same_story_edge_with_ids(news, tmp_path):
    out = tmp_path / "pairs.jsonl"
    result = CliRunner().invoke(main, ["cluster", str(news), "--pairs", str(out), "-o", "-"])
    assert result.exit_code == 0, result.output
    assert result.stderr == "4 articles, 2 stories (1 with 2+ articles); 3 same-story pairs\n"
    pairs = [json.loads(line) for line in out.read_text().splitlines()]
    assert pairs == [
        {
            "id_a": "reuters-1",
            "id_b": "ap-7",
            "story_similarity": 1.0,
            "cosine_similarity": 1.0,
            "jaccard_similarity": 1.0,
            "containment_similarity": 1.0,
            "date_distance_days": 1.0,
            "same_cluster": True,
        },
        {
            "id_a": "reuters-1",
            "id_b": "blog-3",
            "story_similarity": 0.5489,
            "cosine_similarity": 0.5489,
            "jaccard_similarity": 0.0,
            "containment_similarity": 0.0,
            "date_distance_days": 1.0,
            "same_cluster": True,
        },
        {
            "id_a": "ap-7",
            "id_b": "blog-3",
            "story_similarity": 0.5489,
            "cosine_similarity": 0.5489,
            "jaccard_similarity": 0.0,
            "containment_similarity": 0.0,
            "date_distance_days": 0.0,
            "same_cluster": True,
        },
    ]


def test_pair_records_are_exactly_the_same_story_rows_of_pairs_table(seed_articles):
    fitted = StoryClusterer().fit(seed_articles)
    table = fitted.pairs_
    expected = {
        (fitted.articles_[i].id, fitted.articles_[j].id)
        for i, j, same in zip(table.i, table.j, table.same_story)
        if same
    }
    records = pair_records(fitted)
    assert {(r["id_a"], r["id_b"]) for r in records} == expected
    assert len(records) == int(np.count_nonzero(table.same_story))
    undated = [r for r in records if r["date_distance_days"] is None]
    assert undated, "seed articles without dates give unknown distances"


def test_pairs_and_results_cannot_both_go_to_stdout(news):
    result = CliRunner().invoke(main, ["cluster", str(news), "--pairs", "-"])
    assert result.exit_code == 2
    assert "the results and --pairs cannot both go to stdout: give -o FILE" in result.stderr


@pytest.mark.corpus
def test_source_matches_equal_explain_for_every_member_of_a_real_corpus():
    from tests.conftest import shared_file

    fitted = StoryClusterer().fit(read_articles([shared_file("ecbplus_dev.jsonl")]))
    matches, similarity = source_matches(fitted)
    stories = {story.label: story for story in fitted.stories_}
    checked = set()
    for k, (article, label) in enumerate(zip(fitted.articles_, fitted.labels_)):
        story = stories.get(int(label))
        if story is None or story.source_id == article.id:
            continue
        scores = fitted.explain(article.id, story.source_id)
        expected = "copy" if scores.reason.startswith(("copy", "abridged copy")) else "rewrite"
        assert (matches[k], similarity[k]) == (expected, scores.story_similarity), article.id
        checked.add(expected)
    assert checked == {"copy", "rewrite"}


def test_story_span_uses_utc_times_where_known_and_days_elsewhere():
    import datetime as dt
    from types import SimpleNamespace

    from dedupe_news.story_summary import moment

    utc = dt.timezone.utc
    evening = SimpleNamespace(
        date=dt.date(2024, 9, 2), time=dt.datetime(2024, 9, 2, 18, tzinfo=utc)
    )
    morning = SimpleNamespace(date=dt.date(2024, 9, 2), time=dt.datetime(2024, 9, 2, 6, tzinfo=utc))
    day_only = SimpleNamespace(date=dt.date(2024, 9, 2), time=None)
    undated = SimpleNamespace(date=None, time=None)
    assert [moment(a) for a in (evening, morning, day_only, undated)] == [
        "2024-09-02T18:00:00+00:00",
        "2024-09-02T06:00:00+00:00",
        "2024-09-02",
        None,
    ]


def test_cluster_output_carries_utc_times_and_the_story_spans_them(tmp_path):
    path = tmp_path / "timed.jsonl"
    path.write_text(
        json.dumps({"id": "late", "text": STORM, "date": "2024-09-02T18:00:00Z"})
        + "\n"
        + json.dumps({"id": "early", "text": STORM, "date": "2024-09-02T08:00:00+02:00"})
        + "\n"
        + json.dumps({"id": "day", "text": STORM, "date": "2024-09-03"})
        + "\n"
    )
    rows = [
        json.loads(line)
        for line in CliRunner().invoke(main, ["cluster", str(path), "-q"]).stdout.splitlines()
    ]
    assert [(r["id"], r["date"], r["time"], r["match"]) for r in rows] == [
        ("late", "2024-09-02", "2024-09-02T18:00:00+00:00", "copy"),
        ("early", "2024-09-02", "2024-09-02T06:00:00+00:00", "source"),
        ("day", "2024-09-03", None, "copy"),
    ]
    result = CliRunner().invoke(main, ["cluster", str(path), "-q", "--format", "stories"])
    (story,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (story["first_time"], story["last_time"]) == ("2024-09-02T06:00:00+00:00", "2024-09-03")
