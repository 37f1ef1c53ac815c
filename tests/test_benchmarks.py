"""Unit tests for the benchmark suite's core (benchmarks/): corpus generator,
power-law fit, baseline recipes and scoring helpers. Tiny inline data only."""

import datetime
import math
import random
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from benchmarks import corpus, recipes, report, signing
from benchmarks.calibration import gold_pair_count
from benchmarks.quality import gold_labels, predicted_labels
from benchmarks.speed import fit_power_law
from dedupe_news import Article

POOL = [
    (
        f"Title {k}",
        f"Story number {k} begins here. It has a second sentence about topic {k}.\n\n"
        f"A second paragraph adds detail {k} with more words. Officials said so on day {k}.\n\n"
        f"A third paragraph closes story {k}. Nothing else happened, the reporter wrote.",
    )
    for k in range(12)
]

STORIES = {
    "rates": "The central bank raised interest rates by half a percentage point on Thursday, "
    "citing persistent inflation and a tight labour market across the country.",
    "storm": "A powerful storm battered the northern coast overnight, cutting power to thousands "
    "of homes and forcing the closure of several schools and main roads.",
    "match": "The home team won the championship final after a dramatic penalty shootout in front "
    "of a sold out stadium, ending a twenty year wait for the trophy.",
}


def tiny_corpus() -> tuple[list[Article], list[str]]:
    """Three unrelated stories, each told twice (the copy has a short suffix)."""
    articles, gold = [], []
    for name, text in STORIES.items():
        articles.append(Article(f"{name}-1", text))
        articles.append(Article(f"{name}-2", text + " More to follow."))
        gold += [name, name]
    return articles, gold


def same_partition(a, b) -> bool:
    a, b = list(a), list(b)
    return all((a[i] == a[j]) == (b[i] == b[j]) for i in range(len(a)) for j in range(len(a)))


# -- synthetic corpus ---------------------------------------------------------------


def test_make_corpus_same_seed_same_corpus():
    first = corpus.make_corpus(POOL, 40, seed=3)
    second = corpus.make_corpus(POOL, 40, seed=3)
    assert [(a.id, a.text, a.date, a.story) for a in first] == [
        (a.id, a.text, a.date, a.story) for a in second
    ]


def test_make_corpus_other_seed_other_corpus():
    first = corpus.make_corpus(POOL, 40, seed=3)
    second = corpus.make_corpus(POOL, 40, seed=4)
    assert [a.text for a in first] != [a.text for a in second]


def test_make_corpus_produces_requested_size():
    for n in (1, 2, 7, 30):
        articles = corpus.make_corpus(POOL, n, seed=1)
        assert len(articles) == n
        assert len({a.id for a in articles}) == n


def test_make_corpus_variant_share_is_respected():
    articles = corpus.make_corpus(POOL, 100, seed=1, variant_share=0.2)
    assert sum(a.source.startswith("variant") for a in articles) == 20


def test_make_corpus_variants_really_are_edited():
    articles = corpus.make_corpus(POOL, 60, seed=2, variant_share=0.5)
    by_id = {a.id: a for a in articles}
    variants = [a for a in articles if a.source.startswith("variant:")]
    assert variants
    for variant in variants:
        base = by_id[variant.story]
        assert variant.text != base.text
        assert set(variant.source.removeprefix("variant:").split("+")) <= set(corpus.EDITS)


def test_make_corpus_labels_are_consistent():
    articles = corpus.make_corpus(POOL, 60, seed=5, variant_share=0.3)
    by_id = {a.id: a for a in articles}
    for article in articles:
        base = by_id[article.story]
        assert base.source == "base" and base.story == base.id
        assert article.title == base.title
        assert 0 <= (article.date - base.date).days <= 2


def test_make_corpus_reused_pool_texts_become_distinct_stories():
    articles = corpus.make_corpus(POOL, 40, seed=1, variant_share=0.0)
    assert len({a.text for a in articles}) == 40
    assert len({a.story for a in articles}) == 40


def test_make_corpus_dates_span_size_over_rate():
    articles = corpus.make_corpus(POOL, 50, seed=1, variant_share=0.0, articles_per_day=10)
    days = {(a.date - corpus.START_DATE).days for a in articles}
    assert min(days) >= 0 and max(days) <= 4


def test_abridge_keeps_a_leading_part():
    text = POOL[0][1]
    short = corpus.abridge(text, random.Random(0))
    assert len(short) < len(text)
    assert " ".join(text.split()).startswith(" ".join(short.split()))


def test_dateline_prefixes_the_text():
    assert corpus.dateline("Body.", random.Random(0)).endswith(") - Body.")


# -- power-law fit ------------------------------------------------------------------


def test_fit_power_law_recovers_known_exponent():
    sizes = [1_000, 3_000, 10_000, 30_000]
    b, c = fit_power_law(sizes, [2e-5 * n**1.3 for n in sizes])
    assert math.isclose(b, 1.3, rel_tol=1e-9)
    assert math.isclose(c, 2e-5, rel_tol=1e-6)


def test_fit_power_law_needs_two_points():
    assert math.isnan(fit_power_law([10], [1.0])[0])


# -- recipes --------------------------------------------------------------------------


def test_components_joins_edges():
    labels = recipes.components(5, np.array([0, 3]), np.array([1, 4]))
    assert same_partition(labels, [0, 0, 1, 2, 2])


def test_word_shingles_short_text_is_one_shingle():
    assert recipes.word_shingles("Hello, world!") == [b"hello world"]
    assert recipes.word_shingles("") == []
    assert len(recipes.word_shingles("a b c d e f")) == 2


def test_cosine_pairs_matches_dense_product():
    rng = np.random.default_rng(0)
    dense = rng.random((7, 5)) * (rng.random((7, 5)) > 0.4)
    dense /= np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-12)
    i, j, s = recipes.cosine_pairs(sp.csr_matrix(dense), 0.3, chunk_rows=2)
    full = dense @ dense.T
    expected = {(a, b) for a in range(7) for b in range(a + 1, 7) if full[a, b] >= 0.3}
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == expected
    assert np.allclose(s, full[i, j])


def test_datasketch_lsh_groups_the_copies():
    articles, gold = tiny_corpus()
    assert same_partition(recipes.datasketch_lsh(articles, 0.5).labels, gold)


def test_datasketch_lsh_keeps_empty_texts_apart():
    articles = [Article("a", ""), Article("b", ""), Article("c", "")]
    assert len(set(recipes.datasketch_lsh(articles, 0.5).labels)) == 3


def test_tfidf_threshold_groups_the_copies():
    articles, gold = tiny_corpus()
    assert same_partition(recipes.tfidf_threshold(articles, 0.5).labels, gold)


def test_best_tfidf_threshold_finds_a_perfect_threshold():
    articles, gold = tiny_corpus()

    def agreement(g, labels):
        return float(same_partition(g, labels))

    threshold, score = recipes.best_tfidf_threshold(articles, gold, agreement)
    assert score == 1.0
    assert same_partition(recipes.tfidf_threshold(articles, threshold).labels, gold)


def test_agglomerative_groups_the_copies():
    articles, gold = tiny_corpus()
    assert same_partition(recipes.agglomerative(articles, 0.5).labels, gold)


def test_dedupe_news_recipe_times_every_stage():
    articles, gold = tiny_corpus()
    run = recipes.dedupe_news(articles)
    assert same_partition(run.labels, gold)
    assert {"prepare", "tfidf", "candidates", "clustering"} <= set(run.stages)
    assert all(seconds >= 0 for seconds in run.stages.values())


# -- scoring helpers and report -------------------------------------------------------


def test_predicted_labels_makes_skipped_articles_singletons():
    labels = predicted_labels(np.array([0, -1, 0, -1]))
    assert labels[0] == labels[2] and len(set(labels.tolist())) == 3


def test_gold_labels_unlabelled_articles_are_their_own_story():
    articles = [Article("a", "x", story="s"), Article("b", "y"), Article("c", "z")]
    assert len(set(gold_labels(articles).tolist())) == 3


def test_gold_pair_count_counts_same_story_pairs():
    assert gold_pair_count(["a", "a", "a", "b", "b", "c"]) == 4


def test_table_formats_floats_and_missing_cells():
    text = report.table([{"x": 0.12345, "y": "ok"}, {"x": float("nan")}], [("x", "X"), ("y", "Y")])
    assert "| 0.123 | ok |" in text and "| n/a |  |" in text


# -- signing --------------------------------------------------------------------------


def test_signing_shingle_strings_and_share_of_reference():
    assert signing.shingle_strings(list("abcdef")) == ["a b c d e", "b c d e f"]
    assert signing.shingle_strings(["short", "text"]) == ["short text"]
    rows = signing.add_relative(
        [
            {"implementation": "ours", "docs_per_second": 50.0},
            {"implementation": signing.REFERENCE, "docs_per_second": 200.0},
            {"implementation": "missing", "note": "skipped"},
        ]
    )
    assert [r.get("pct_of_rensa_rminhash") for r in rows] == [25.0, 100.0, None]


def test_signing_our_signatures_equal_datasketch_affine32():
    token_lists = [text.lower().split() for text in STORIES.values()] + [["too", "short"], []]
    assert signing.datasketch_matches(token_lists) == len(token_lists)


def test_report_section_finds_a_hand_written_section_to_keep():
    text = "# Results\n\n## Speed\nfast\n\n## Spark (local mode)\nby hand\n\n## Index\nrows\n"
    assert report.section(text, report.SPARK_HEADING) == "## Spark (local mode)\nby hand\n"
    assert report.section(text, "## Index") == "## Index\nrows\n"
    assert report.section(text, "## Missing") == ""


def test_library_state_fingerprints_every_source_file_loaded_or_not():
    import dedupe_news

    state = report.library_state()
    assert {"pipeline.py", "minhash_kernel.py", "index/core.py"} <= set(state)
    assert report.library_state() == state  # nothing changed in between
    assert len(state) == len(list(Path(dedupe_news.__file__).parent.rglob("*.py")))


def test_copy_storm_reprints_one_story_on_one_day_among_the_background():
    articles = corpus.copy_storm(POOL, copies=30, background=20, seed=3)
    storm = [a for a in articles if a.story == "storm"]
    assert len(articles) == 50 and len(storm) == 30
    assert {a.date for a in storm} == {corpus.START_DATE}
    # Each reprint has its own dateline in front of the same text.
    bodies = {a.text.split(") - ", 1)[1] for a in storm}
    assert len(bodies) == 1
    assert len({a.id for a in articles}) == 50


def test_scale_table_shows_medians_of_repeated_rows():
    from benchmarks import scale

    rows = [
        {
            "series": "reuters",
            "recipe": "dedupe_news",
            "decision": decision,
            "n_jobs": 1,
            "n_docs": 10,
            "candidate_pairs": 7,
            "seconds": s,
            "cpu_seconds": c,
        }
        for s, c, decision in (
            (3.0, 1.0, "rule"),
            (1.0, 5.0, "rule"),
            (2.0, 2.0, "rule"),
            (9.0, 9.0, "default"),
        )
    ]
    text = scale.render(rows, "cmd", "abc123", datetime.datetime(2026, 1, 1))
    lines = [line for line in text.splitlines() if line.startswith("| reuters")]
    cells = {c[2]: c for c in ([c.strip() for c in x.strip("|").split("|")] for x in lines)}
    assert set(cells) == {"rule", "default"}  # one row per decision
    assert cells["rule"][6] == "2.000" and cells["rule"][7] == "2.000"  # wall and CPU medians
    assert cells["default"][6] == "9.000" and cells["default"][5] == "7"
    assert "shared" in text and "abc123" in text


def test_stage_timer_names_the_running_stage_and_flatten_names_the_peak_stage():
    from benchmarks.speed import flatten

    timer = recipes.StageTimer()
    assert timer.current == "start"
    articles, gold = tiny_corpus()
    run = recipes.dedupe_news(articles, timer=timer)
    assert timer.current == "clustering"
    # The scoring stage reports the candidate pairs it scores: at most every pair.
    assert 1 <= timer.totals["scoring"] <= len(articles) * (len(articles) - 1) // 2
    assert len(run.labels) == len(articles)
    row = flatten(
        {"n_docs": 4, "stages": {}, "stage_peak_pss_mib": {"prepare": 5.0, "candidates": 9.0}}
    )
    assert row["candidates_peak_pss_mib"] == 9.0 and row["peak_stage"] == "candidates"


def test_peak_tree_pss_counts_its_own_cpu_time_apart():
    import time as clock

    import pytest

    from benchmarks.speed import PeakTreePss

    if not Path("/proc/self/smaps_rollup").exists():
        pytest.skip("no /proc/self/smaps_rollup")
    with PeakTreePss(stage=lambda: "prepare") as pss:
        clock.sleep(0.5)
    assert pss.peak > 0 and set(pss.stage_peaks) == {"prepare"}
    assert 0 < pss.cpu_seconds < 0.5


def test_tree_pss_is_not_read_while_workers_come_or_go(monkeypatch):
    # A worker read while it shares the parent's pages, then gone before the parent
    # is read, would count those pages twice: such a reading is no sample.
    from benchmarks import speed

    trees = iter([{1, 2, 3}, {1, 2}])
    monkeypatch.setattr(speed, "_process_tree", lambda root: next(trees))
    monkeypatch.setattr(speed, "_pss_kib", lambda pid: 1024 * pid)
    assert speed._tree_pss_mib(1) is None
    monkeypatch.setattr(speed, "_process_tree", lambda root: {1, 2, 3})
    assert speed._tree_pss_mib(1) == 6.0

    def gone(pid):
        raise FileNotFoundError(pid)

    monkeypatch.setattr(speed, "_pss_kib", gone)
    assert speed._tree_pss_mib(1) is None
