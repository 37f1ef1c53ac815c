"""The learned same-story model in the batch estimator, compare and calibrate."""

from __future__ import annotations

import datetime
import json
import math

import numpy as np
import pytest
import scipy.sparse as sp
from click.testing import CliRunner

from dedupe_news import Article, StoryClusterer, read_articles
from dedupe_news.cli import main
from dedupe_news.decision import DecisionRule, ModelRule
from dedupe_news.evidence_table import log_length
from dedupe_news.pair_features import PairFeatures
from dedupe_news.pair_model import PAIR_FEATURES, PairModel, default_model
from tests.conftest import SEEDS, shared_file


def _core(n, *, jaccard=0.0, distance=0.0):
    return PairFeatures(
        cosine_similarity=np.full(n, 0.2),
        jaccard_similarity=np.full(n, jaccard),
        containment_similarity=np.zeros(n),
        date_distance_days=np.full(n, distance),
        smaller_shingles=np.full(n, 100),
    )


def test_model_rule_keeps_the_hard_rules_over_the_probability():
    # A model that says "same story" with probability ~1 for everything.
    confident = PairModel(((("jaccard", "identity"),),), np.array([0.0]), 20.0)
    rule = ModelRule.of(confident, DecisionRule(window_days=5.0))
    features = {"jaccard": np.zeros(1)}
    assert rule.story_similarity(_core(1), features)[0] == pytest.approx(1.0)
    assert rule.story_similarity(_core(1, distance=9.0), features)[0] == 0.0
    doubtful = PairModel(((("jaccard", "identity"),),), np.array([0.0]), -20.0)
    copy_rule = ModelRule.of(doubtful, DecisionRule())
    assert copy_rule.story_similarity(_core(1, jaccard=0.9), features)[0] == 1.0
    assert copy_rule.story_similarity(_core(1), features)[0] == pytest.approx(0.0, abs=1e-8)
    assert "days apart" in rule.reason(_core(1, distance=9.0), features)
    # A copy whose leads name different tickers is left to the model.
    conflict = {"jaccard": np.zeros(2), "ticker_conflict": np.array([0.0, 1.0])}
    scores = copy_rule.story_similarity(_core(2, jaccard=0.9), conflict)
    assert scores[0] == 1.0 and scores[1] == pytest.approx(0.0, abs=1e-8)
    assert copy_rule.reason(_core(2, jaccard=0.9), conflict, k=0).startswith("copy")
    assert copy_rule.reason(_core(2, jaccard=0.9), conflict, k=1).startswith("different")


def test_a_template_brief_under_another_ticker_is_another_story():
    brief = "Qtly div six cts vs six cts prior\nPay April 10\nRecord March 27\nReuter"
    day = datetime.date(1987, 3, 16)
    articles = [
        Article("ben", brief, title="FRANKLIN RESOURCES INC <BEN> SETS QUARTERLY", date=day),
        Article("mcmc", brief, title="MCM CORP <MCMC> SETS QUARTERLY", date=day),
        Article("ben-again", brief, title="FRANKLIN RESOURCES <BEN> SETS QUARTERLY", date=day),
    ]
    fitted = StoryClusterer(model="default").fit(articles)
    assert sorted(s.article_ids for s in fitted.stories_) == [("ben", "ben-again"), ("mcmc",)]
    assert fitted.explain("ben", "mcmc").story_similarity < 0.5
    assert fitted.explain("ben", "ben-again").reason.startswith("copy")
    # The fixed rule reads no tickers: the same text is a copy there.
    assert len(StoryClusterer().fit(articles).stories_) == 1


def test_default_model_keeps_the_seeds_together_and_explains_with_evidence(seed_articles):
    clusterer = StoryClusterer(model="default").fit(seed_articles)
    assert clusterer.labels_.tolist() == [0, 0, 0, 0, 0]
    scores = clusterer.explain(seed_articles[0].id, seed_articles[2].id)
    assert scores.same_story and 0.5 <= scores.story_similarity <= 1.0
    assert set(scores.model_features) == set(PAIR_FEATURES)
    assert "model probability" in scores.reason
    assert {"putin", "istanbul", "bucha"} <= set(scores.evidence.shared_entities)
    assert any("dead end" in quote for quote in scores.evidence.shared_quotes)
    terms = dict(scores.evidence.top_shared_terms)
    assert terms and all(weight > 0 for weight in terms.values())
    # The shares of the shared terms add up to no more than the cosine.
    assert sum(terms.values()) <= scores.cosine_similarity + 1e-6


def test_same_story_threshold_sets_the_verdict(seed_articles):
    others = [
        Article(f"x{k}", f"Harbour cranes and tides, brief {k}: the port of Hull reopened.")
        for k in range(6)
    ]
    docs = seed_articles + others
    for threshold in (0.3, 0.7):
        fitted = StoryClusterer(model="default", same_story_threshold=threshold).fit(docs)
        pairs = fitted.pairs_
        assert pairs.same_story.tolist() == (pairs.story_similarity >= threshold).tolist()
        assert ((pairs.story_similarity >= 0) & (pairs.story_similarity <= 1)).all()
    with pytest.raises(ValueError, match="probability"):
        StoryClusterer(model="default", same_story_threshold=1.5).fit(docs)


def test_model_features_equal_the_training_code_on_ecbplus():
    """The shared layer computes what benchmarks/pair_data.py computed for training."""
    from benchmarks.pair_data import PairContext

    articles = read_articles(shared_file("ecbplus_dev.jsonl"))[:260]
    model = default_model()
    fitted = StoryClusterer(model=model).fit(articles)
    context = PairContext(articles)
    counts = model.neighbor_counts(log_length(context.n_tokens))
    assert np.ndim(counts) == 1 and len(set(counts.tolist())) == 2  # long and short texts
    i, j = context.candidates(model.candidate_similarity, counts)
    assert fitted.pairs_.i.tolist() == i.tolist()
    assert fitted.pairs_.j.tolist() == j.tolist()
    first = context.features(i, j)
    near = first["in_window"]
    context.set_neighbours(i[near], j[near], first["body_cosine"][near])
    expected = context.features(i, j)
    ours = fitted.pair_model_features()
    for name in model.features:
        np.testing.assert_allclose(ours[name], expected[name], atol=1e-9, err_msg=name)


def test_cli_compare_json_lists_scores_and_evidence():
    seeds = sorted(SEEDS.glob("*.txt"))
    result = CliRunner().invoke(
        main, ["compare", str(seeds[0]), str(seeds[2]), "--model", "default", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert 0.0 <= record["story_similarity"] <= 1.0 and record["same_story"] is True
    assert {"putin", "istanbul"} <= set(record["evidence"]["shared_entities"])
    assert record["evidence"]["shared_quotes"]
    assert {"term", "weight"} == set(record["evidence"]["top_shared_terms"][0])
    assert not math.isnan(record["model_features"]["neighbour_cosine"])
    text = CliRunner().invoke(main, ["compare", str(seeds[0]), str(seeds[2]), "-q"])
    assert "shared entities:" in text.stdout and "rewrite: TF-IDF cosine" in text.stdout


def test_cli_compare_text_says_the_models_verdict_once():
    seeds = sorted(SEEDS.glob("*.txt"))
    args = ["compare", str(seeds[0]), str(seeds[2]), "--model", "default", "-q"]
    (verdict,) = [
        line
        for line in CliRunner().invoke(main, args).stdout.splitlines()
        if line.startswith("verdict:")
    ]
    assert verdict.startswith("verdict: same story (model probability ")


def test_cli_model_errors_are_one_line(tmp_path):
    seeds = str(SEEDS)
    missing = CliRunner().invoke(main, ["cluster", seeds, "--model", str(tmp_path / "no.json")])
    assert missing.exit_code == 1 and "cannot read the model" in missing.output
    assert "Traceback" not in missing.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "dedupe-news-pair-model/1",\n "terms": [}')
    broken = CliRunner().invoke(main, ["cluster", seeds, "--model", str(bad), "-q"])
    assert broken.exit_code == 1 and f"{bad}:2:" in broken.output


def test_calibrate_fits_a_model_that_the_cli_can_use(tmp_path):
    articles = read_articles(shared_file("ecbplus_dev.jsonl"))[:300]
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text(
        "".join(json.dumps({"id": a.id, "text": a.text, "story": a.story}) + "\n" for a in articles)
    )
    out = tmp_path / "model.json"
    result = CliRunner().invoke(main, ["calibrate", str(labelled), "-o", str(out), "--folds", "3"])
    assert result.exit_code == 0, result.output
    assert "cross-validated: mean ARI" in result.stderr
    model = PairModel.load(out)
    assert model.terms == default_model().terms
    assert model.metadata["training_articles"] == 300
    assert len(model.metadata["cross_validation"]) == 3
    assert not np.allclose(model.coefficients, default_model().coefficients)
    clustered = CliRunner().invoke(main, ["cluster", str(labelled), "--model", str(out), "-q"])
    assert clustered.exit_code == 0, clustered.output
    assert len(clustered.stdout.splitlines()) == 300


def test_calibrate_without_labels_says_what_to_do(tmp_path):
    unlabelled = tmp_path / "plain.jsonl"
    unlabelled.write_text(json.dumps({"id": "a", "text": "Storm hits the coast"}) + "\n")
    result = CliRunner().invoke(main, ["calibrate", str(unlabelled), "-o", str(tmp_path / "m")])
    assert result.exit_code == 1 and "story label" in result.output
    assert not (tmp_path / "m").exists()


def test_components_scored_together_give_the_same_stories_as_one_by_one(monkeypatch):
    from dedupe_news import scoring

    articles = read_articles(shared_file("gva_dev.jsonl"))[:800]
    together = StoryClusterer(model="default").fit(articles)
    monkeypatch.setattr(scoring, "PAIRS_PER_BATCH", 20)  # many batches, then the cap:
    monkeypatch.setattr(scoring, "MAX_HELD_PAIRS", 50)  # the rest are asked one by one
    capped = StoryClusterer(model="default").fit(articles)
    monkeypatch.setattr(scoring, "SMALL_COMPONENT", 0)
    one_by_one = StoryClusterer(model="default").fit(articles)
    assert together.labels_.tolist() == one_by_one.labels_.tolist()
    assert capped.labels_.tolist() == one_by_one.labels_.tolist()
    assert max(s.size for s in together.stories_) >= 3  # linkage ran on some component


def test_the_rule_scores_small_components_together_as_one_by_one(monkeypatch):
    # Reuters: hundreds of small components, copies among them, and dated pairs.
    from scipy.sparse.csgraph import connected_components

    from dedupe_news import scoring
    from dedupe_news.decision import DecisionRule
    from dedupe_news.minhash import MinHasher
    from dedupe_news.pair_features import ArticleRows
    from dedupe_news.prepare import prepare_texts
    from dedupe_news.settings import Settings
    from dedupe_news.similarity_matrix import component_similarity, copy_matrix
    from dedupe_news.timestamps import article_day
    from dedupe_news.weighting import corpus_tfidf_rows

    articles = read_articles(shared_file("reuters21578.jsonl"))
    prepared = prepare_texts([a.full_text for a in articles], MinHasher())
    kept = np.flatnonzero(prepared.has_text)
    tfidf, _ = corpus_tfidf_rows(prepared.term_counts)
    days = np.array([article_day(articles[k]) for k in kept])
    rows = ArticleRows(tfidf=tfidf, signatures=prepared.signatures, days=days)
    scorer = scoring.RuleScorer(DecisionRule.from_settings(Settings()), rows, max_neighbors=30)
    table = scorer.score(*scorer.candidates())
    n = len(rows)
    copies = copy_matrix(n, table.i, table.j, table.story_similarity)
    same = table.same_story
    graph = sp.coo_matrix((np.ones(int(same.sum())), (table.i[same], table.j[same])), (n, n))
    labels = connected_components(graph, directed=False)[1]
    groups = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    groups = [g for g in groups if 3 <= g.size <= 200]
    assert len(groups) > 200 and copies.nnz > 0
    scorer.prefetch(groups, copies)
    # Every matrix must come from the batch: the one-by-one path is not there.
    monkeypatch.setattr(scoring, "component_similarity", None)
    matrices = [scorer.matrix(members, copies) for members in groups]
    for members, together in zip(groups, matrices, strict=True):
        alone = component_similarity(rows, scorer.rule.window_days, members, copies)
        np.fill_diagonal(alone, 1.0)
        np.testing.assert_allclose(together, alone, rtol=0, atol=1e-6)


def test_model_on_a_stream_and_on_two_processes_equals_the_list(seed_articles, monkeypatch):
    from dedupe_news import batch_prepare, scoring

    others = [
        Article(f"x{k}", f"Harbour cranes at the port of Hull, brief {k}", title=f"Hull {k}")
        for k in range(8)
    ]
    docs = seed_articles + others
    listed = StoryClusterer(model="default").fit(docs)  # one chunk, one process
    monkeypatch.setattr(batch_prepare, "CHUNK", 3)  # several chunks of evidence to stack
    monkeypatch.setattr(scoring, "PAIRS_PER_TASK", 4)  # pairs scored in chunks, two processes
    for jobs in (1, 2):
        streamed = StoryClusterer(model="default", n_jobs=jobs).fit(a for a in docs)
        assert streamed.labels_.tolist() == listed.labels_.tolist()
        np.testing.assert_array_equal(
            streamed.pairs_.story_similarity, listed.pairs_.story_similarity
        )
    assert streamed.explain(docs[0].id, docs[1].id).evidence is None  # the texts are gone
    assert listed.explain(docs[0].id, docs[1].id).evidence is not None
