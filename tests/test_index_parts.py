"""The parts of the StoryIndex, each on its own: settings, file, store, candidates,
pairs, re-clustering ids and change records."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import sqlite3

import numpy as np
import pytest

from dedupe_news import Article, MinHasher, StoryClusterer
from dedupe_news.decision import DecisionRule
from dedupe_news.errors import ParameterError
from dedupe_news.index import (
    IndexAssignment,
    IndexChanges,
    IndexFileError,
    MergedStories,
    MovedArticle,
    SplitStory,
)
from dedupe_news.index.candidates import CandidateFinder, impact
from dedupe_news.index.changes import ChangeLog, story_changes
from dedupe_news.index.pairs import prepare_articles, score_rows, weigh
from dedupe_news.index.recluster import StoryIds, story_ids_for_groups
from dedupe_news.index.rows import Rows, Vocabulary, concat_rows, decode_rows
from dedupe_news.index.settings import (
    checked_settings,
    fixed_differences,
    json_safe,
    settings_from_json,
    settings_to_json,
)
from dedupe_news.index.sql import day_filter, in_chunks
from dedupe_news.index.storage import Store
from dedupe_news.lsh import lsh_candidate_pairs
from dedupe_news.minhash import Signatures
from dedupe_news.prepare import N_FEATURES
from tests.conftest import STORM

STRIKE = (
    "Dockworkers at the port of Rotterdam walked out on Monday in a pay dispute; "
    "the FNV union said the Rotterdam strike would halt container traffic."
)


# -- settings --------------------------------------------------------------------


def test_settings_are_validated_and_round_trip_through_json():
    settings = checked_settings({"window_days": math.inf, "top_terms": np.int64(7)})
    assert settings["window_days"] == math.inf and settings["top_terms"] == 7
    assert type(settings["top_terms"]) is int
    text = settings_to_json(settings)
    assert json.loads(text)["window_days"] == "inf"  # JSON has no infinity
    assert settings_from_json(text) == settings
    assert json_safe({"a": math.nan, "b": 1.5})["a"] == "nan"
    with pytest.raises(ParameterError, match="top_terms must be an integer"):
        checked_settings({"top_terms": 2.5})
    with pytest.raises(ParameterError, match=r"max_recluster must be in \[1, inf\]"):
        checked_settings({"max_recluster": 0})
    with pytest.raises(ParameterError, match="window_days must be a number"):
        checked_settings({"window_days": "soon"})
    with pytest.raises(ParameterError, match="unknown StoryIndex setting"):
        checked_settings({"windows": 3})
    stored = checked_settings({"window_days": 3})
    assert fixed_differences(stored, checked_settings({"window_days": 5}), {"window_days": 5}) == [
        "window_days=3.0 (asked 5.0)"
    ]
    assert fixed_differences(stored, stored, {"window_days": None}) == []


# -- the store ---------------------------------------------------------------------


def _store(path, **kwargs) -> Store:
    return Store(str(path), {}, readonly=False, create=True, timeout=1.0, **kwargs)


def test_in_chunks_and_day_filter():
    chunks = list(in_chunks(range(1201)))
    assert [len(c) for c, _ in chunks] == [500, 500, 201]
    assert chunks[2][1] == ",".join("?" * 201)
    assert day_filter(math.nan, 10.0) == ("", ())
    assert day_filter(100.0, math.inf) == ("", ())
    assert day_filter(100.0, 10.0) == (" AND (day IS NULL OR day BETWEEN ? AND ?)", (90.0, 110.0))


def test_store_write_rolls_back_and_logs_moves(tmp_path):
    store = _store(tmp_path / "s.db")
    with pytest.raises(RuntimeError), store.writing() as vocab:
        store.count_terms(np.array([5, 9]), step=1)
        vocab.df[[5, 9]] += 1
        raise RuntimeError("interrupted")
    assert store.conn.execute("SELECT count(*) FROM terms").fetchone()[0] == 0
    assert not store.vocabulary().df.any()  # the cache is dropped with the transaction
    row = {
        "id": "a",
        "day": 1.0,
        "date": None,
        "title": "T",
        "source": "S",
        "shingles": 3,
        "signature": b"\0" * 4 * store.num_perm,
        "term_ids": b"",
        "term_counts": b"",
    }
    with store.writing():
        rowid = store.insert_article(row)
        store.write_stories(np.array([rowid]), np.array([-1]), np.array([7]), None)
        assert store.changes.old_story == {}  # a new article is not a move
    with store.writing():
        store.write_stories(np.array([rowid]), np.array([7]), np.array([9]), 5)
        assert store.moved_articles() == ([MovedArticle("a", 7, 9)], {7: 0, 9: 0})
        generation = store.changes.generation
    assert store.assignments_since(0) == [("a", 9, generation)]
    assert store.assignments_since(generation) == []
    rows = store.load("1", ())
    assert rows.ids == ["a"] and rows.story.tolist() == [9]
    store.close()


def test_store_reloads_the_vocabulary_after_another_writer(tmp_path):
    first, second = _store(tmp_path / "v.db"), _store(tmp_path / "v.db")
    assert first.vocabulary().n_articles == 0
    with second.writing() as vocab:
        vocab.df[[3, 7]] += 1
        vocab.n_articles += 1
        second.count_terms(np.array([3, 7]), step=1)
    again = first.vocabulary()
    assert again.n_articles == 1 and again.df[[3, 7]].tolist() == [1, 1]
    assert int(again.df.sum()) == 2
    with second.writing() as vocab:
        second.count_terms(np.array([3]), step=-1)
        second.set_term_counts(np.array([7]), np.array([5]))
    assert first.vocabulary().df[[3, 7]].tolist() == [0, 5]
    first.close()
    second.close()


def test_rows_decode_and_concat():
    sig = np.arange(4, dtype="<u4")
    raw = [
        (1, "a", 3, None, 10, sig.tobytes(), np.array([2, 5], "<i4").tobytes(),
         np.array([1.0, 2.0], "<f4").tobytes()),
        (2, "b", 3, 5.0, 11, sig.tobytes(), np.array([5], "<i4").tobytes(),
         np.array([1.5], "<f4").tobytes()),
    ]  # fmt: skip
    rows = decode_rows(raw, 4)
    assert rows.ids == ["a", "b"] and np.isnan(rows.day[0]) and rows.day[1] == 5.0
    assert rows.lengths.tolist() == [2, 1] and rows.term_ids.tolist() == [2, 5, 5]
    assert rows.term_rows().tolist() == [0, 0, 1]
    both = concat_rows([decode_rows(raw[:1], 4), decode_rows([], 4), decode_rows(raw[1:], 4)], 4)
    assert both.ids == rows.ids and both.counts.tolist() == rows.counts.tolist()
    empty = concat_rows([], 4)
    assert isinstance(empty, Rows) and empty.signatures.shape == (0, 4)


# -- candidates and pairs ------------------------------------------------------------


def test_band_keys_find_the_pairs_lsh_finds(tmp_path):
    store = _store(tmp_path / "c.db")
    finder = CandidateFinder(store, store.settings)
    hasher = MinHasher(num_perm=128, seed=1, shingle_size=5)
    texts = [STORM, STORM + " More later.", STRIKE, STRIKE.replace("Monday", "Tuesday")]
    prepared = prepare_articles(hasher, [Article(str(k), t) for k, t in enumerate(texts)])
    signatures = np.stack([p.signature for p in prepared])
    keys = finder.band_key_matrix(signatures)
    assert keys.shape == (4, finder.bands) and keys.dtype == np.int64
    shares_band = {(a, b) for a in range(4) for b in range(a + 1, 4) if (keys[a] == keys[b]).any()}
    counts = np.array([p.shingles for p in prepared], dtype=np.int32)
    i, j = lsh_candidate_pairs(Signatures(signatures, counts), threshold=0.5)
    assert shares_band == set(zip(i.tolist(), j.tolist())) and (0, 1) in shares_band
    assert impact(np.array([0.0, 0.0004, 0.5])).tolist() == [1, 1, 500]
    store.close()


def test_score_rows_and_linkage():
    hasher = MinHasher(num_perm=64, seed=1, shingle_size=5)
    day = dt.date(2024, 9, 2)
    storm, copy, strike = prepare_articles(
        hasher,
        [Article("s", STORM, date=day), Article("c", STORM, date=day), Article("x", STRIKE)],
    )
    vocab = Vocabulary(0, 0, np.zeros(N_FEATURES, dtype=np.int64))
    for p in (storm, copy, strike):
        vocab.df[p.term_ids] += 1
        vocab.n_articles += 1

    def row(p, rowid):
        return (
            rowid, p.article.id, rowid, p.day if not math.isnan(p.day) else None, p.shingles,
            p.signature.astype("<u4").tobytes(), p.term_ids.astype("<i4").tobytes(),
            p.counts.astype("<f4").tobytes(),
        )  # fmt: skip

    rows = decode_rows([row(copy, 1), row(strike, 2)], 64)
    rule = DecisionRule()
    sims, features = score_rows(rule, weigh(vocab, storm, extra=0), rows, vocab)
    assert features.cosine_similarity[0] == pytest.approx(1.0, abs=1e-6)
    assert features.jaccard_similarity[0] == 1.0 and sims[0] == 1.0
    assert sims[1] < 0.05 and np.isnan(features.date_distance_days[1])
    # The same numbers as batch clustering of the same three articles.
    batch = StoryClusterer(num_perm=64).fit(
        [Article("s", STORM, date=day), Article("c", STORM, date=day), Article("x", STRIKE)]
    )
    for k, other in enumerate(["c", "x"]):
        expected = batch.explain("s", other)
        assert features.cosine_similarity[k] == expected.cosine_similarity
        assert features.jaccard_similarity[k] == expected.jaccard_similarity
        assert features.containment_similarity[k] == expected.containment_similarity
        assert sims[k] == expected.story_similarity


# -- story ids and change records --------------------------------------------------------


def test_story_ids_for_groups_inherit_and_count():
    ids = StoryIds(10)
    new = story_ids_for_groups(np.array([3, 3, 3, 5, -1]), np.array([0, 0, 1, 1, 2]), ids)
    # Story 3 keeps its larger part; 5 goes to group 1 (3 took group 0); group 2 is new.
    assert new.tolist() == [3, 3, 5, 5, 10] and ids.next_id == 11
    assert story_ids_for_groups(np.array([-1]), np.array([0]), ids).tolist() == [11]


def test_story_changes_from_moves():
    moved = [MovedArticle("a", 1, 2), MovedArticle("b", 1, 3), MovedArticle("c", 4, 2)]
    # Story 1 kept one member, 2 had its own, 3 is new, 4 emptied into 2.
    merged, split = story_changes(moved, {1: 1, 2: 2, 3: 0, 4: 0})
    assert merged == (MergedStories(2, (1, 2, 4)),)
    assert split == (SplitStory(1, (1, 2, 3)),)
    assert story_changes([], {}) == ((), ())


def test_change_log_keeps_the_first_story_of_stored_rows():
    log = ChangeLog(generation=3, first_rowid=10)
    log.record(np.array([4, 12]), np.array([1, -1]))
    log.record(np.array([4]), np.array([2]))
    assert log.old_story == {4: 1}


def test_index_changes_is_a_sequence_of_assignments():
    a = IndexAssignment("a", 1, True, 0.0, None)
    b = IndexAssignment("b", 1, False, 1.0, None)
    changes = IndexChanges((a, b), moved=(MovedArticle("z", 5, 1),), generation=4)
    assert list(changes) == [a, b] and len(changes) == 2 and changes[1] == b
    assert changes == [a, b] and changes != [a] and changes + [a] == [a, b, a]
    assert [b] + changes == [b, a, b]
    stories = {"z": 5, "y": 9}
    changes.apply(stories)
    assert stories == {"z": 1, "y": 9, "a": 1, "b": 1}
    with pytest.raises(TypeError):
        hash(changes)
    with pytest.raises(dataclasses.FrozenInstanceError):
        changes.generation = 5  # type: ignore[misc]


def test_store_refuses_a_missing_path_unless_creating(tmp_path):
    missing = tmp_path / "typo.db"
    with pytest.raises(IndexFileError, match="typo.db: no story index"):
        Store(str(missing), {}, readonly=False, create=False, timeout=1.0)
    with pytest.raises(IndexFileError, match="typo.db: no story index"):
        Store(str(missing), {}, readonly=True, create=True, timeout=1.0)
    assert not missing.exists()
    sqlite3.connect(missing).close()  # an empty file: not an index either, read-only
    with pytest.raises(IndexFileError, match="an empty file"):
        Store(str(missing), {}, readonly=True, create=False, timeout=1.0)
