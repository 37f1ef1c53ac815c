"""What the index tells consumers and readers: change events (issue 14), recovery of a
stream, read-only opening, busy files, settings that round-trip (issue 15)."""

from __future__ import annotations

import collections
import datetime as dt
import json
import math
import sqlite3
import time

import pytest

from dedupe_news import Article, parse_date, read_articles
from dedupe_news.index import (
    IndexBusyError,
    IndexChanges,
    IndexFileError,
    StoredAssignment,
    StoryIndex,
)
from tests.conftest import STORM, shared_file

STRIKE = (
    "Dockworkers at the port of Rotterdam walked out on Monday in a pay dispute; "
    "the FNV union said the Rotterdam strike would halt container traffic and the "
    "port authority warned of week-long delays for shipping lines."
)
INSURANCE = (
    "Insurers brace for claims after Delia: adjusters estimate damage to homes and "
    "businesses in Galveston at several billion dollars, and premiums are expected to rise."
)
DAY = parse_date("2024-09-02")


def _current(index: StoryIndex) -> dict[str, int]:
    return {i: s.story_id for s in index.stories() for i in s.article_ids}


def test_a_merge_is_reported_as_moves_and_a_merge(tmp_path):
    with StoryIndex(tmp_path / "m.db") as index:
        first = index.add(
            [Article("storm", STORM, date=DAY), Article("insurance", INSURANCE, date=DAY)]
        )
        storm, insurance = (a.story_id for a in first)
        assert storm != insurance and first.moved == () and first.generation == 1
        changes = index.add([Article("both", STORM + " " + INSURANCE, date=DAY)])
        assert isinstance(changes, IndexChanges) and changes.generation == 2
        assert [(a.article_id, a.story_id) for a in changes.assignments] == [("both", storm)]
        (moved,) = changes.moved
        assert (moved.article_id, moved.old_story_id, moved.new_story_id) == (
            "insurance",
            insurance,
            storm,
        )
        assert [(m.story_id, m.story_ids) for m in changes.merged] == [(storm, (storm, insurance))]
        assert changes.split == ()


@pytest.mark.parametrize("bulk", [False, True])
def test_a_consumer_applying_changes_holds_the_stories(tmp_path, bulk):
    # 150 days of GVA, one add per day: re-clustering moves stored articles (measured:
    # 4 moves one by one, 3 in bulk); applying every change keeps the consumer's copy
    # equal to stories() after each day, and ignoring the moves would not.
    articles = read_articles([shared_file("gva_dev.jsonl")])
    by_day = collections.defaultdict(list)
    for a in articles:
        by_day[a.date].append(a)
    days = sorted(d for d in by_day if d is not None)[:150]
    held: dict[str, int] = {}
    without_moves: dict[str, int] = {}
    counts = collections.Counter()
    with StoryIndex(tmp_path / "days.db") as index:
        for day in days:
            changes = index.add(by_day[day], bulk=bulk)
            changes.apply(held)
            without_moves.update({a.article_id: a.story_id for a in changes})
            counts.update(moved=len(changes.moved), merged=len(changes.merged))
            counts.update(split=len(changes.split))
            assert held == _current(index), day
            for m in changes.moved:
                assert m.old_story_id != m.new_story_id
                assert index.story_of(m.article_id) == m.new_story_id
    assert counts["moved"] > 0 and counts["merged"] + counts["split"] > 0
    assert without_moves != held


def test_assignments_since_recovers_a_lost_stream(tmp_path):
    db = tmp_path / "r.db"
    with StoryIndex(db) as index:
        seen = index.add([Article("storm", STORM, date=DAY), Article("ins", INSURANCE, date=DAY)])
        held = {a.article_id: a.story_id for a in seen}
        last = seen.generation
        # The consumer dies here: these calls' results are never read.
        index.add([Article("strike", STRIKE, date=DAY)])
        index.add([Article("both", STORM + " " + INSURANCE, date=DAY)])
    with StoryIndex(db, readonly=True) as reader:
        missed = reader.assignments(since=last)
        assert all(isinstance(a, StoredAssignment) for a in missed)
        assert {a.article_id for a in missed} == {"strike", "both", "ins"}  # ins was moved
        assert [a.generation for a in missed] == sorted(a.generation for a in missed)
        held.update({a.article_id: a.story_id for a in missed})
        assert held == _current(reader)
        assert reader.assignments(since=max(a.generation for a in missed)) == []
        assert len(reader.assignments()) == 4


def test_stories_show_source_title_and_outlet(tmp_path):
    with StoryIndex(tmp_path / "t.db") as index:
        index.add(
            [
                Article("late", STORM, date=DAY + dt.timedelta(days=1), title="Copy", source="B"),
                Article("early", STORM, date=DAY, title="Delia hits Texas", source="Wire"),
                Article("plain", STRIKE),
            ]
        )
        storm, strike = index.stories()
        assert (storm.source_id, storm.source_title, storm.source_outlet) == (
            "early",
            "Delia hits Texas",
            "Wire",
        )
        assert (strike.source_title, strike.source_outlet) == (None, None)


def test_infinite_window_round_trips(tmp_path):
    db = tmp_path / "inf.db"
    with StoryIndex(db, window_days=math.inf) as index:
        index.add([Article("a", STORM, date=DAY), Article("b", STORM, date=DAY.replace(year=2020))])
        assert index.story_of("a") == index.story_of("b")  # no window
    with StoryIndex(db) as index:
        assert index.settings["window_days"] == math.inf
        assert index.rule.window_days == math.inf
        stats = index.stats()
        assert json.loads(json.dumps(stats.as_json()))["settings"]["window_days"] == "inf"
    with StoryIndex(db, window_days=math.inf):
        pass
    with pytest.raises(IndexFileError, match="window_days=inf"):
        StoryIndex(db, window_days=5)


def test_read_commands_on_a_missing_path_create_nothing(tmp_path):
    typo = tmp_path / "typo.db"
    with pytest.raises(IndexFileError, match=r"typo\.db: no story index at this path"):
        StoryIndex(typo, readonly=True)
    with pytest.raises(IndexFileError, match=r"typo\.db"):
        StoryIndex.open_readonly(typo)
    with pytest.raises(IndexFileError, match=r"typo\.db"):
        StoryIndex(typo, create=False)
    assert not typo.exists()


def test_a_read_only_index_refuses_writes(tmp_path):
    db = tmp_path / "ro.db"
    StoryIndex(db).close()
    with StoryIndex.open_readonly(db) as reader:
        assert reader.stories() == [] and len(reader) == 0
        with pytest.raises(IndexFileError, match="read-only"):
            reader.add([Article("a", STORM)])


def test_a_busy_index_is_busy_not_corrupt(tmp_path):
    db = tmp_path / "busy.db"
    with StoryIndex(db) as index:
        index.add([Article("storm", STORM, date=DAY)])
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    holder.execute("UPDATE meta SET value = value WHERE key = 'generation'")
    try:
        start = time.perf_counter()
        with StoryIndex.open_readonly(db) as reader:  # never waits for the writer
            assert [s.article_ids for s in reader.stories()] == [("storm",)]
            assert reader.query(Article("q", STORM, date=DAY))[0].size == 1
            assert reader.stats().articles == 1
        with StoryIndex(db, timeout=0.2) as writer:  # opening takes no lock either
            assert time.perf_counter() - start < 5
            with pytest.raises(IndexBusyError, match="busy.*retry") as caught:
                writer.add([Article("copy", STORM, date=DAY)])
            assert "corrupt" not in str(caught.value)
            assert isinstance(caught.value, IndexFileError)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with StoryIndex(db) as writer:  # free again
        (copy,) = writer.add([Article("copy", STORM, date=DAY)])
        assert copy.story_id == writer.story_of("storm")


def test_corruption_is_still_reported(tmp_path):
    db = tmp_path / "c.db"
    with StoryIndex(db) as index:
        index.add([Article("storm", STORM, date=DAY)])
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page
    db.write_bytes(bytes(data))
    for readonly in (False, True):
        with pytest.raises(IndexFileError, match="corrupt"):
            StoryIndex(db, readonly=readonly).stories()


STREAMER = """
import datetime as dt, json, random, sys
from dedupe_news import Article
from dedupe_news.index import StoryIndex
path = sys.argv[1]
words = [f"w{k}" for k in range(400)]
with StoryIndex(path) as index:
    for b in range(200):
        rng = random.Random(b)
        docs = [
            Article(f"b{b}-{k}", " ".join(rng.choice(words) for _ in range(40)),
                    date=dt.date(2024, 1, 1) + dt.timedelta(days=b % 9))
            for k in range(20)
        ]
        changes = index.add(docs, bulk=True)
        for a in changes.assignments:
            print(json.dumps([a.article_id, a.story_id, changes.generation]), flush=True)
        for m in changes.moved:
            print(json.dumps([m.article_id, m.new_story_id, changes.generation]), flush=True)
"""


def test_a_consumer_killed_mid_stream_catches_up(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    db = tmp_path / "stream.db"
    writer = subprocess.Popen(
        [sys.executable, "-c", STREAMER, str(db)], stdout=subprocess.PIPE, text=True
    )
    held: dict[str, int] = {}
    for line in writer.stdout:
        article_id, story, generation = json.loads(line)
        if generation == 6:  # the consumer dies: generations 1 to 5 fully read, no more
            break
        held[article_id] = story
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    with StoryIndex(db, readonly=True) as index:
        stored = _current(index)
        assert len(stored) > len(held)  # batches committed after what the consumer read
        for a in index.assignments(since=5):
            held[a.article_id] = a.story_id
        assert held == stored


def test_the_source_is_the_earliest_by_time(tmp_path):
    import datetime as dt_

    utc = dt_.timezone.utc
    with StoryIndex(tmp_path / "time.db") as index:
        index.add(
            [
                Article("evening", STORM, date=dt_.datetime(2024, 9, 2, 18, 0, tzinfo=utc)),
                Article("morning", STORM, date=dt_.datetime(2024, 9, 2, 6, 0, tzinfo=utc)),
            ],
            bulk=True,
        )
        (story,) = index.stories()
        assert story.source_id == "morning"


def test_write_failures_are_one_line_errors_and_roll_back(tmp_path):
    # A full disk (here: a page limit) and a file SQLite may not write (here: query_only)
    # are IndexFileErrors naming the path and the cause; nothing of the call is stored.
    db = tmp_path / "full.db"
    with StoryIndex(db) as index:
        index.add([Article("storm", STORM, date=DAY)])
        conn = index._store.conn  # the connection the index writes with
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA max_page_count = {pages}")
        many = [Article(f"s{k}", f"{STRIKE} {k} " * 30, date=DAY) for k in range(200)]
        with pytest.raises(IndexFileError, match=r"full\.db: .*disk is full"):
            index.add(many, bulk=True)
        assert len(index) == 1
        conn.execute("PRAGMA max_page_count = 1073741823")
        conn.execute("PRAGMA query_only = 1")
        with pytest.raises(IndexFileError, match=r"full\.db: cannot write the story index"):
            index.add([Article("copy", STORM, date=DAY)])
        conn.execute("PRAGMA query_only = 0")
        (copy,) = index.add([Article("copy", STORM, date=DAY)])
        assert copy.story_id == index.story_of("storm") and len(index) == 2
