"""The `index` commands as a user runs them: summaries, progress, stats (issue 14)."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from dedupe_news import cli_options
from dedupe_news.cli import main
from dedupe_news.index import StoryIndex

STORM = (
    "Hurricane Delia made landfall near Galveston overnight, flooding coastal neighbourhoods; "
    "governor Abbott ordered evacuations of Galveston island and Delia brought winds of 120 mph."
)
STRIKE = (
    "Dockworkers at the port of Rotterdam walked out on Monday in a pay dispute; the FNV union "
    "said the Rotterdam strike would halt container traffic for a week."
)


@pytest.fixture
def docs(tmp_path):
    path = tmp_path / "docs.jsonl"
    records = [
        {"id": "storm", "text": STORM, "date": "2024-09-02", "source": "Reuters"},
        {"id": "storm-copy", "text": STORM, "date": "2024-09-03", "source": "AP"},
        {"id": "strike", "text": STRIKE, "date": "2024-09-02", "source": "FT"},
        {"id": "blank", "text": "   ", "date": "2024-09-02"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def terminal(monkeypatch):
    """Pretend stderr is a terminal, so progress is shown."""
    monkeypatch.setattr(cli_options, "stderr_is_terminal", lambda: True)


def _final_progress_lines(stderr: str) -> list[str]:
    """The finished progress lines (each ends in a newline), as shown last on the line."""
    return [line.rsplit("\r", 1)[-1].split()[0:2] for line in stderr.split("\n") if "\r" in line]


def test_index_add_prints_a_summary_and_nothing_with_quiet(docs, tmp_path):
    db = str(tmp_path / "news.db")
    runner = CliRunner()
    result = runner.invoke(main, ["index", "add", db, str(docs)])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 4
    assert result.stderr == (
        "4 articles: stored 3 (2 in new stories), skipped 0 already stored and 1 with empty text\n"
    )
    again = runner.invoke(main, ["index", "add", db, str(docs), "--skip-existing"])
    assert again.stderr == (
        "4 articles: stored 0 (0 in new stories), skipped 3 already stored and 1 with empty text\n"
    )
    quiet = runner.invoke(main, ["index", "add", db, str(docs), "--skip-existing", "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_index_add_and_query_show_progress_on_a_terminal(docs, tmp_path, terminal):
    db = str(tmp_path / "news.db")
    runner = CliRunner()
    added = runner.invoke(main, ["index", "add", db, str(docs), "--batch-size", "2"])
    assert added.exit_code == 0, added.output
    assert _final_progress_lines(added.stderr) == [["add", "4/4"]]
    assert added.stderr.endswith("skipped 0 already stored and 1 with empty text\n")
    queried = runner.invoke(main, ["index", "query", db, str(docs)])
    assert queried.exit_code == 0, queried.output
    assert _final_progress_lines(queried.stderr) == [["query", "4/4"]]
    assert queried.stderr.endswith("4 articles: 3 match a stored story, 1 match none\n")
    quiet = runner.invoke(main, ["index", "query", db, str(docs), "-q"])
    assert quiet.stderr == ""


def test_index_stats_text_and_json(docs, tmp_path):
    db = str(tmp_path / "news.db")
    runner = CliRunner()
    assert runner.invoke(main, ["index", "add", db, str(docs), "-q"]).exit_code == 0
    with StoryIndex(db) as store:
        settings = store.settings
        terms = store.stats().terms
    result = runner.invoke(main, ["index", "stats", db])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats.pop("file_bytes") >= os.path.getsize(db) > 0  # the file, and its WAL if open
    assert stats == {
        "path": db,
        "articles": 3,
        "stories": 2,
        "terms": terms,
        "first_date": "2024-09-02",
        "last_date": "2024-09-03",
        "settings": settings,
        "generation": 1,
        "decision": "fixed rule",
        "trained_on": None,
    }
    assert terms > 10
    text = runner.invoke(main, ["index", "stats", db, "--format", "text"]).stdout.splitlines()
    assert text[:6] == [
        f"path        {db}",
        "articles    3",
        "stories     2",
        f"terms       {terms}",
        "first_date  2024-09-02",
        "last_date   2024-09-03",
    ]
    assert text[7].startswith("settings    ") and "window_days=" in text[7]


def test_index_add_counts_skipped_bad_dates_in_its_summary(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        json.dumps({"id": "storm", "text": STORM, "date": "2024-09-02"})
        + "\n"
        + json.dumps({"id": "strike", "text": STRIKE, "date": "31/02/2024"})
        + "\n"
    )
    db = str(tmp_path / "news.db")
    result = CliRunner().invoke(main, ["index", "add", db, str(path), "--on-bad-date", "skip"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["storm"]
    assert result.stderr == (
        "1 articles: stored 1 (1 in new stories), skipped 0 already stored and 0 with empty "
        "text; skipped 1 articles with bad dates\n"
    )


def test_index_add_feeds_articles_in_utc_time_order(tmp_path):
    path = tmp_path / "timed.jsonl"
    path.write_text(
        json.dumps({"id": "evening", "text": STRIKE, "date": "2024-09-02T18:00:00Z"})
        + "\n"
        + json.dumps({"id": "undated", "text": STORM})
        + "\n"
        + json.dumps({"id": "morning", "text": STORM, "date": "Mon, 02 Sep 2024 08:00:00 +0200"})
        + "\n"
    )
    db = str(tmp_path / "news.db")
    result = CliRunner().invoke(main, ["index", "add", db, str(path), "-q"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [
        "morning",
        "evening",
        "undated",
    ]


def test_index_add_summary_counts_stored_articles_that_moved(tmp_path):
    insurance = (
        "Insurers brace for claims after Delia: adjusters estimate damage to homes and "
        "businesses in Galveston at several billion dollars, and premiums are expected to rise."
    )
    storm = (
        "Hurricane Delia made landfall near Galveston overnight, flooding coastal "
        "neighbourhoods; governor Abbott ordered evacuations of Galveston island and "
        "Delia brought winds of 120 mph to the Texas coast."
    )
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(
        json.dumps({"id": "storm", "text": storm, "date": "2024-09-02"})
        + "\n"
        + json.dumps({"id": "insurance", "text": insurance, "date": "2024-09-02"})
        + "\n"
    )
    both = {"id": "both", "text": storm + " " + insurance, "date": "2024-09-02"}
    second.write_text(json.dumps(both) + "\n")
    db = str(tmp_path / "news.db")
    runner = CliRunner()
    assert runner.invoke(main, ["index", "add", db, str(first), "-q"]).exit_code == 0
    result = runner.invoke(main, ["index", "add", db, str(second)])
    assert result.exit_code == 0, result.output
    events = [json.loads(line)["event"] for line in result.stdout.splitlines()]
    assert events == ["assigned", "moved", "merged"]
    assert result.stderr == (
        "1 articles: stored 1 (0 in new stories), skipped 0 already stored and 0 with empty "
        "text; moved 1 stored articles to other stories\n"
    )


def test_index_add_with_a_model_then_rerun_stats_and_query(docs, tmp_path):
    db = str(tmp_path / "model.db")
    runner = CliRunner()
    first = runner.invoke(main, ["index", "add", db, str(docs), "--model", "default", "-q"])
    assert first.exit_code == 0, first.output
    stories = {
        json.loads(line)["id"]: json.loads(line)["story"] for line in first.stdout.splitlines()
    }
    assert stories["storm"] == stories["storm-copy"] != stories["strike"]
    # Adding the same file again skips everything: nothing to cluster, no error.
    again = runner.invoke(main, ["index", "add", db, str(docs), "--skip-existing", "-q"])
    assert again.exit_code == 0, again.output
    assert [json.loads(line)["id"] for line in again.stdout.splitlines()] == ["blank"]
    stats = json.loads(runner.invoke(main, ["index", "stats", db]).stdout)
    assert stats["decision"] == "learned model" and stats["articles"] == 3
    query = runner.invoke(main, ["index", "query", db, str(docs)])
    assert query.exit_code == 1
    assert "learned model" in query.output and "Traceback" not in query.output
    other = tmp_path / "rule.db"
    assert runner.invoke(main, ["index", "add", str(other), str(docs), "-q"]).exit_code == 0
    refused = runner.invoke(main, ["index", "add", str(other), str(docs), "--model", "default"])
    assert refused.exit_code == 1 and "fixed rule" in refused.output
