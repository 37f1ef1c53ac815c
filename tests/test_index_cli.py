"""The `index` commands around change events, read-only reads and statistics."""

from __future__ import annotations

import json

from click.testing import CliRunner

from dedupe_news.cli import main

STORM = (
    "Hurricane Delia made landfall near Galveston overnight, flooding coastal "
    "neighbourhoods; governor Abbott ordered evacuations of Galveston island and "
    "Delia brought winds of 120 mph to the Texas coast."
)
INSURANCE = (
    "Insurers brace for claims after Delia: adjusters estimate damage to homes and "
    "businesses in Galveston at several billion dollars, and premiums are expected to rise."
)


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def _lines(result):
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_index_add_prints_moves_and_assignments_replays_them(tmp_path):
    db = str(tmp_path / "cli.db")
    day = "2024-09-02"
    first = _jsonl(
        tmp_path / "a.jsonl",
        [
            {"id": "storm", "text": STORM, "date": day, "title": "Delia", "source": "Wire"},
            {"id": "insurance", "text": INSURANCE, "date": day},
        ],
    )
    second = _jsonl(tmp_path / "b.jsonl", [{"id": "both", "text": STORM + " " + INSURANCE}])
    runner = CliRunner()
    result = runner.invoke(main, ["index", "add", db, first])
    assert result.exit_code == 0, result.output
    rows = _lines(result)
    assert [(r["event"], r["id"], r["generation"]) for r in rows] == [
        ("assigned", "storm", 1),
        ("assigned", "insurance", 1),
    ]
    storm, insurance = rows[0]["story"], rows[1]["story"]
    result = runner.invoke(main, ["index", "add", db, second])
    assert result.exit_code == 0, result.output
    assert _lines(result) == [
        {
            "event": "assigned",
            "id": "both",
            "story": storm,
            "new_story": False,
            "score": _lines(result)[0]["score"],
            "best": _lines(result)[0]["best"],
            "generation": 2,
        },
        {"event": "moved", "id": "insurance", "story": storm, "old_story": insurance,
         "generation": 2},
        {"event": "merged", "story": storm, "stories": [storm, insurance], "generation": 2},
    ]  # fmt: skip
    result = runner.invoke(main, ["index", "assignments", db, "--since", "1"])
    assert result.exit_code == 0, result.output
    assert _lines(result) == [
        {"id": "insurance", "story": storm, "generation": 2},
        {"id": "both", "story": storm, "generation": 2},
    ]
    result = runner.invoke(main, ["index", "stories", db])
    (story,) = _lines(result)
    assert (story["source"], story["source_title"], story["source_outlet"]) == (
        "storm",
        "Delia",
        "Wire",
    )
    result = runner.invoke(main, ["index", "stories", db, "--format", "table"])
    assert "Delia | Wire" in result.output
    result = runner.invoke(main, ["index", "stats", db])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert (stats["articles"], stats["stories"], stats["generation"]) == (3, 1, 2)
    assert stats["settings"]["window_days"] == 5.0 and stats["first_date"] == day


def test_read_commands_on_a_mistyped_path_fail_and_create_nothing(tmp_path):
    typo = tmp_path / "typo.db"
    query = _jsonl(tmp_path / "q.jsonl", [{"id": "q", "text": STORM}])
    runner = CliRunner()
    for args in (["stories"], ["stats"], ["assignments"], ["query", None]):
        command = ["index", args[0], str(typo)] + ([query] if len(args) > 1 else [])
        result = runner.invoke(main, command)
        assert result.exit_code == 1, command
        assert f"{typo}: no story index at this path" in result.output
        assert "Traceback" not in result.output
        assert not typo.exists()


def test_stats_of_an_infinite_window_is_json(tmp_path):
    from dedupe_news.index import StoryIndex

    db = tmp_path / "inf.db"
    StoryIndex(db, window_days=float("inf")).close()
    result = CliRunner().invoke(main, ["index", "stats", str(db)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["settings"]["window_days"] == "inf"
