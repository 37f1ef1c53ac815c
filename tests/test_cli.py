from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedupe_news.cli import main
from tests.conftest import SEEDS

SEED_IDS = sorted(p.stem for p in SEEDS.glob("*.txt"))


@pytest.fixture
def runner():
    return CliRunner()


def test_cli_cluster_seeds_jsonl(runner):
    result = runner.invoke(main, ["cluster", str(SEEDS)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == SEED_IDS
    assert {r["cluster"] for r in rows} == {0}
    assert [r["is_source"] for r in rows] == [False, False, False, False, True]
    assert rows[0] == {
        "id": "000_501117e7baee25b0",
        "cluster": 0,
        "cluster_size": 5,
        "is_source": False,
        "source_id": "004_68ed01b62af08bc0",
        "match": "rewrite",
        "story_similarity": 0.1523,
        "title": None,
        "date": "2022-04-13",
        "time": None,
        "source": None,
        "url": None,
    }
    assert [r["match"] for r in rows] == ["rewrite"] * 4 + ["source"]
    assert result.stderr == "5 articles, 1 stories (1 with 2+ articles)\n"


def test_cli_cluster_quiet_prints_nothing_on_stderr(runner):
    result = runner.invoke(main, ["cluster", str(SEEDS), "--quiet", "--format", "csv"])
    assert result.exit_code == 0
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "id,cluster,cluster_size,is_source,source_id,match,story_similarity,title,date,time,"
        "source,url"
    )
    assert (
        lines[1]
        == "000_501117e7baee25b0,0,5,False,004_68ed01b62af08bc0,rewrite,0.1523,,2022-04-13,,,"
    )


def test_cli_cluster_table(runner):
    result = runner.invoke(main, ["cluster", str(SEEDS), "--format", "table", "-q"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        " story  size  source                    date        headline",
        "     0     5  004_68ed01b62af08bc0      2022-04-12  Putin has said peace talks with Ukraine "
        "have hit a \u201cdead-end\u201d as he...",
        "1 stories with 2+ articles, 0 single articles",
    ]


def test_cli_cluster_output_file_and_python_m(runner, tmp_path):
    out = tmp_path / "out.jsonl"
    result = runner.invoke(main, ["cluster", str(SEEDS), "-o", str(out), "-q"])
    assert result.exit_code == 0 and result.stdout == ""
    assert len(out.read_text().splitlines()) == 5


def test_cli_cluster_failure_keeps_existing_output(runner, tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "x"}\n{oops\n')
    result = runner.invoke(main, ["cluster", str(bad), "-o", str(out)])
    assert result.exit_code == 1
    assert out.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "out.jsonl"]  # no temp left


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            '{"id": "a", "text": "x"}\n{oops\n',
            "bad.jsonl:2: malformed JSON (Expecting property name enclosed in double quotes at "
            "column 2): each line must be one complete JSON object",
        ),
        (
            '{"id": "a", "body": "x"}\n',
            "bad.jsonl:1: missing text field 'text' (fields here: id, body): add it, or name the "
            "text field with --text-field",
        ),
        (
            '{"id": "a", "text": "x", "date": "yesterday"}\n',
            "bad.jsonl:1: bad date 'yesterday': write dates as YYYY-MM-DD (for example 2022-04-12), "
            "an ISO 8601 time (2022-04-12T10:00:00+01:00), an RFC 2822 date "
            "(Tue, 12 Apr 2022 10:00:00 +0000) or epoch seconds (1649754000), "
            "or leave the field empty",
        ),
        (
            '{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n',
            "bad.jsonl:2: duplicate id 'a' (first seen at {dir}/bad.jsonl:1): ids must be unique "
            "across all inputs; rename one, or map another field with --id-field",
        ),
        (
            "\n",
            "no articles found in {dir}/bad.jsonl: give JSONL or CSV files with a 'text' "
            "field, or a directory of .txt files",
        ),
        (
            '{"id": "a", "text": "  ", "date": "2024-09-02"}\n',
            "all 1 articles have empty text after cleaning: nothing to cluster",
        ),
    ],
)
def test_cli_cluster_bad_input_one_line_error_no_traceback(runner, tmp_path, content, expected):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content)
    result = runner.invoke(main, ["cluster", str(bad)])
    assert result.exit_code == 1
    message = expected.replace("{dir}", str(tmp_path))
    if message.startswith("bad.jsonl"):
        message = f"{tmp_path}/{message}"
    assert result.stderr == f"Error: {message}\n"
    assert "Traceback" not in result.output


def test_cli_cluster_binary_file(runner, tmp_path):
    bad = tmp_path / "image.jsonl"
    bad.write_bytes(b"\x89PNG\x00\x00")
    result = runner.invoke(main, ["cluster", str(bad)])
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {bad}: this looks like a binary file, not text: give UTF-8 text files\n",
    )


def test_cli_cluster_usage_errors_exit_2(runner):
    assert runner.invoke(main, ["cluster"]).exit_code == 2
    result = runner.invoke(main, ["cluster", str(SEEDS), "--threshold", "2"])
    assert result.exit_code == 2 and "--threshold" in result.stderr


def test_cli_cluster_field_mapping_and_stdin(runner):
    stdin = '{"key": "a", "body": "Storm hits the coast"}\n{"key": "b", "body": "Storm hits the coast"}\n'
    result = runner.invoke(
        main, ["cluster", "-", "--id-field", "key", "--text-field", "body", "-q"], input=stdin
    )
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["cluster"] for x in result.stdout.splitlines()] == [0, 0]


def test_cli_compare_prints_every_similarity_and_verdict(runner):
    a, b = SEEDS / f"{SEED_IDS[0]}.txt", SEEDS / f"{SEED_IDS[4]}.txt"
    result = runner.invoke(main, ["compare", str(a), str(b), "--corpus", str(SEEDS)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == [f"a: {SEED_IDS[0]}", f"b: {SEED_IDS[4]}"]
    assert [line.split()[0] for line in lines[2:7]] == [
        "cosine_similarity",
        "jaccard_similarity",
        "containment_similarity",
        "date_distance_days",
        "story_similarity",
    ]
    assert lines[5] == "date_distance_days      1"
    assert lines[7].startswith("verdict: same story (rewrite: TF-IDF cosine")


def test_cli_compare_ids_from_corpus_and_bad_id(runner):
    result = runner.invoke(main, ["compare", SEED_IDS[0], SEED_IDS[1], "--corpus", str(SEEDS)])
    assert result.exit_code == 0
    missing = runner.invoke(main, ["compare", "nope", SEED_IDS[1], "--corpus", str(SEEDS)])
    assert missing.exit_code == 1
    assert missing.stderr == "Error: nope: no such file or directory: check the path\n"


def test_cli_evaluate_reports_metrics(runner, tmp_path):
    data = tmp_path / "gold.jsonl"
    data.write_text(
        '{"id": "a", "text": "Storm hits the coast of Texas", "story": "s"}\n'
        '{"id": "b", "text": "Storm hits the coast of Texas", "story": "s"}\n'
        '{"id": "c", "text": "Bank raises interest rates", "story": "t"}\n'
    )
    result = runner.invoke(main, ["evaluate", str(data), "-q"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "adjusted_rand_index   1.0000"
    unlabelled = tmp_path / "plain.jsonl"
    unlabelled.write_text('{"id": "a", "text": "x"}\n')
    result = runner.invoke(main, ["evaluate", str(unlabelled)])
    assert result.exit_code == 1 and "no article has a 'story' label" in result.stderr


def test_cli_help_lists_every_command(runner):
    result = runner.invoke(main, ["--help"])
    for command in ("cluster", "compare", "evaluate"):
        assert command in result.stdout


def test_cli_progress_prints_each_finished_stage_once(capsys):
    from dedupe_news.cli_options import Progress

    progress = Progress(enabled=True)
    for done in (0, 10, 10):
        progress("minhash", done, 10)
    progress("scoring", 4, 4)
    err = capsys.readouterr().err
    assert err.count("\n") == 2
    finished = [line.rsplit("\r", 1)[-1] for line in err.split("\n") if line]
    assert [line.split()[:2] for line in finished] == [["minhash", "10/10"], ["scoring", "4/4"]]
    silent = Progress(enabled=False)
    silent("minhash", 10, 10)
    assert capsys.readouterr().err == ""


def test_cli_cluster_summary_counts_skipped_empty_texts(runner, tmp_path):
    data = tmp_path / "a.jsonl"
    data.write_text(
        '{"id": "a", "text": "Storm hits the coast", "date": "2024-09-02"}\n'
        '{"id": "b", "text": ""}\n'
        '{"id": "c", "text": "Storm hits the coast"}\n'
    )
    result = runner.invoke(main, ["cluster", str(data)])
    assert result.exit_code == 0
    assert (
        result.stderr == "3 articles, 1 stories (1 with 2+ articles); skipped 1 with empty text\n"
    )
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], r["cluster"], r["cluster_size"]) for r in rows] == [
        ("a", 0, 2),
        ("b", None, 0),
        ("c", 0, 2),
    ]


def test_cli_cluster_streamed_input_error_late_in_the_file_names_its_line(
    runner, tmp_path, monkeypatch
):
    from dedupe_news import batch_prepare

    monkeypatch.setattr(batch_prepare, "CHUNK", 3)  # the bad line is read mid-run
    lines = [json.dumps({"id": f"a{k}", "text": f"Harbour cranes story {k}"}) for k in range(20)]
    lines.insert(14, "{oops")
    bad = tmp_path / "late.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n")
    for jobs in ("1", "2"):
        result = runner.invoke(main, ["cluster", str(bad), "-j", jobs, "-o", str(out)])
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: {bad}:15: malformed JSON")
        assert "Traceback" not in result.output
        assert out.read_text() == "precious\n"


def test_cli_progress_with_an_unknown_total_shows_a_question_mark(capsys):
    from dedupe_news.cli_options import Progress

    progress = Progress(enabled=True)
    progress("prepare", 0, 0)
    progress("prepare", 2000, 2000)
    err = capsys.readouterr().err
    assert "0/?" in err.replace(" ", "")
    assert err.rsplit("\r", 1)[-1].split()[:2] == ["prepare", "2,000/2,000"]


def test_cli_cluster_master_without_spark_is_a_usage_error(runner):
    result = runner.invoke(main, ["cluster", str(SEEDS), "--master", "local[2]"])
    assert result.exit_code == 2
    assert "--master applies only with --engine spark" in result.stderr


def test_cli_copy_threshold_1_is_accepted_and_means_identical_shingles(runner, tmp_path):
    # Issue 15, case 8b: 1 is inside the documented (0, 1] but the LSH banding refused it.
    text = "Storm hits the coast tonight as forecasters warn of floods in the bay"
    data = tmp_path / "a.jsonl"
    data.write_text(
        json.dumps({"id": "a", "text": text})
        + "\n"
        + json.dumps({"id": "b", "text": text})
        + "\n"
        + json.dumps({"id": "c", "text": text + " and along the river"})
        + "\n"
    )
    args = ["cluster", str(data), "-q", "--copy-threshold", "1", "--threshold", "1"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], r["cluster"], r["match"]) for r in rows] == [
        ("a", 0, "source"),
        ("b", 0, "copy"),
        ("c", 1, "source"),
    ]


def _commands(group, prefix=()):
    import click

    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_cli_help_of_every_command_shows_an_example_of_that_command(runner):
    for path, _ in _commands(main):
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, path
        lines = result.stdout.splitlines()
        heading = next(
            k for k, line in enumerate(lines) if line.strip() in ("Example:", "Examples:")
        )
        example = lines[heading + 1].strip()
        assert example.startswith("dedupe-news " + " ".join(path)), (path, example)


def test_cli_compare_shows_progress_on_a_terminal_and_a_summary(runner, monkeypatch):
    from dedupe_news import cli_options

    a, b = (str(SEEDS / f"{SEED_IDS[k]}.txt") for k in (0, 4))
    quiet = runner.invoke(main, ["compare", a, b, "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    plain = runner.invoke(main, ["compare", a, b, "--corpus", str(SEEDS)])
    assert plain.stderr == "compared 2 articles; IDF from 5 articles\n"
    monkeypatch.setattr(cli_options, "stderr_is_terminal", lambda: True)
    shown = runner.invoke(main, ["compare", a, b, "--corpus", str(SEEDS)])
    assert shown.stdout == plain.stdout
    stages = [line.rsplit("\r", 1)[-1].split()[0] for line in shown.stderr.split("\n")[:-2]]
    assert stages == ["prepare", "tfidf", "candidates", "scoring", "clustering"]
    assert shown.stderr.endswith("\ncompared 2 articles; IDF from 5 articles\n")


def test_cli_library_warnings_show_on_stderr_and_quiet_hides_them(runner, tmp_path):
    undated = tmp_path / "undated.jsonl"
    undated.write_text(
        '{"id": "a", "text": "Storm hits the coast of Texas"}\n'
        '{"id": "b", "text": "Bank raises interest rates"}\n'
    )
    result = runner.invoke(main, ["cluster", str(undated), "-o", os.devnull])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"warning: none of the 2 articles in {undated} has a date: the date window is off, "
        "so articles any time apart can be one story; map the date field (--date-field) to "
        "use it\n"
        "2 articles, 2 stories (0 with 2+ articles)\n"
    )
    assert runner.invoke(main, ["cluster", str(undated), "-q"]).stderr == ""
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        '{"id": "a", "text": "Storm hits the coast of Texas", "story": "s", "date": "2024-09-02"}\n'
        '{"id": "b", "text": "Storm hits the coast of Texas"}\n'
        '{"id": "c", "text": "Bank raises interest rates", "story": "t"}\n'
    )
    result = runner.invoke(main, ["evaluate", str(gold)])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "warning: 1 of 3 articles have no 'story' label: they are clustered but not scored\n"
    )
    assert runner.invoke(main, ["evaluate", str(gold), "-q"]).stderr == ""


def test_cli_leaves_the_dedupe_news_logger_as_it_found_it(runner):
    import logging

    logger = logging.getLogger("dedupe_news")
    before = (logger.level, list(logger.handlers))
    assert runner.invoke(main, ["cluster", str(SEEDS), "-q"]).exit_code == 0
    assert (logger.level, list(logger.handlers)) == before


def test_cli_evaluate_scores_each_empty_article_as_its_own_story(runner, tmp_path):
    data = tmp_path / "gold.jsonl"
    data.write_text(
        '{"id": "a", "text": "Storm hits the coast of Texas", "story": "s"}\n'
        '{"id": "b", "text": "", "story": "x"}\n'
        '{"id": "c", "text": " ", "story": "y"}\n'
    )
    result = runner.invoke(main, ["evaluate", str(data), "-q"])
    assert result.exit_code == 0, result.output
    scores = dict(line.split() for line in result.stdout.splitlines())
    assert (scores["pairwise_precision"], scores["n_clusters"]) == ("1.0000", "3")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args",
    [
        ["compare", "A", "B", "-q"],
        ["evaluate", "LABELLED", "-q"],
        ["index", "stories", "DB"],
    ],
)
def test_cli_full_disk_on_stdout_is_one_line_for_every_command(tmp_path, args):
    import subprocess
    import sys

    from dedupe_news import Article, StoryIndex

    seeds = sorted(SEEDS.iterdir())
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text(
        '{"id": "a", "text": "Storm hits the coast tonight", "story": "s"}\n'
        '{"id": "b", "text": "Storm hits the coast tonight", "story": "s"}\n'
    )
    db = tmp_path / "stories.db"
    with StoryIndex(db) as index:
        index.add([Article(str(k), "Storm hits the coast tonight " * 3) for k in range(3)])
    paths = {"A": str(seeds[0]), "B": str(seeds[1]), "LABELLED": str(labelled), "DB": str(db)}
    command = [sys.executable, "-m", "dedupe_news", *[paths.get(a, a) for a in args]]
    with open("/dev/full", "w") as full:
        done = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: stdout: cannot write: no space left on device"
    ]
