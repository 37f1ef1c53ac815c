"""Issue #14, inputs: compressed files, Parquet, nested fields, file objects, DataFrames."""

from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import json
import lzma
import math
import sys

import pytest
from click.testing import CliRunner

from dedupe_news import (
    Article,
    FieldMap,
    InputError,
    MissingDependencyError,
    ParameterError,
    ReadStats,
    articles_from_records,
    iter_articles,
    read_articles,
)
from dedupe_news.cli import main

UTC = dt.timezone.utc
LINES = (
    '{"id": "a", "text": "Storm hits the coast", "date": "2014-01-28T10:00:00Z"}\n'
    '{"id": "b", "text": "Rates rise again", "date": "2014-01-29"}\n'
)
CSV = "id,text,date\na,Storm hits the coast,2014-01-28T10:00:00Z\nb,Rates rise again,2014-01-29\n"
COMPRESS = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}


def expected_pair(articles):
    assert [(a.id, a.text, a.date) for a in articles] == [
        ("a", "Storm hits the coast", dt.date(2014, 1, 28)),
        ("b", "Rates rise again", dt.date(2014, 1, 29)),
    ]
    assert articles[0].time == dt.datetime(2014, 1, 28, 10, tzinfo=UTC)


@pytest.mark.parametrize("kind", sorted(COMPRESS))
@pytest.mark.parametrize(("fmt", "content"), [("jsonl", LINES), ("csv", CSV)])
def test_compressed_by_extension(tmp_path, kind, fmt, content):
    path = tmp_path / f"in.{fmt}.{kind}"
    path.write_bytes(COMPRESS[kind](content.encode()))
    expected_pair(read_articles(path))


@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_compressed_by_magic_bytes_whatever_the_name(tmp_path, kind, monkeypatch):
    path = tmp_path / "in.jsonl"  # no .gz: the content says it is compressed
    path.write_bytes(COMPRESS[kind](LINES.encode()))
    expected_pair(read_articles(path))
    stdin = io.TextIOWrapper(io.BytesIO(COMPRESS[kind](LINES.encode())))
    monkeypatch.setattr(sys, "stdin", stdin)
    expected_pair(read_articles("-"))


def test_truncated_gzip_is_an_input_error(tmp_path):
    path = tmp_path / "in.jsonl.gz"
    path.write_bytes(gzip.compress(LINES.encode())[:-12])
    with pytest.raises(InputError) as info:
        read_articles(path)
    assert str(info.value).startswith(f"{path}: the gzip data is corrupt or truncated (")


def test_compressed_bad_line_names_the_line(tmp_path):
    path = tmp_path / "in.jsonl.xz"
    path.write_bytes(lzma.compress(LINES.encode() + b"{oops\n"))
    with pytest.raises(InputError, match=r"in\.jsonl\.xz:3: malformed JSON"):
        read_articles(path)


def test_cli_reads_gzip_jsonl(tmp_path):
    path = tmp_path / "in.jsonl.gz"
    path.write_bytes(gzip.compress(LINES.encode()))
    result = CliRunner().invoke(main, ["cluster", str(path), "-q"])
    assert result.exit_code == 0, result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["a", "b"]


def test_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table(
        {
            "id": [1, 2],
            "content": [{"body": "Storm hits the coast"}, {"body": "Rates rise again"}],
            "published": pa.array(
                [dt.datetime(2014, 1, 28, 11, tzinfo=dt.timezone(dt.timedelta(hours=1))), None],
                type=pa.timestamp("us", tz="Europe/Paris"),
            ),
        }
    )
    path = tmp_path / "in.parquet"
    pq.write_table(table, path)
    fields = FieldMap(text="content.body", date="published")
    articles = read_articles(path, fields=fields)
    assert [(a.id, a.text, a.time) for a in articles] == [
        ("1", "Storm hits the coast", dt.datetime(2014, 1, 28, 10, tzinfo=UTC)),
        ("2", "Rates rise again", None),
    ]
    renamed = tmp_path / "data.bin"
    renamed.write_bytes(path.read_bytes())  # found by its PAR1 magic
    assert read_articles(renamed, fields=fields) == articles
    assert read_articles(io.BytesIO(path.read_bytes()), fields=fields) == articles
    result = CliRunner().invoke(
        main,
        ["cluster", str(path), "-q", "--text-field", "content.body", "--date-field", "published"],
    )
    assert result.exit_code == 0, result.stderr
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["1", "2"]


def test_parquet_bad_row_is_named(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["x", None]}), path)
    with pytest.raises(InputError) as info:
        read_articles(path)
    assert str(info.value) == (
        f"{path}: row 1: missing text field 'text' (fields here: id, text): add it, or name "
        "the text field with --text-field"
    )
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["x", "y"], "date": ["", "soon"]}), path)
    with pytest.raises(InputError) as info:
        read_articles(path)
    assert str(info.value).startswith(f"{path}: row 1: bad date 'soon': write dates as ")


def test_parquet_without_pyarrow_says_what_to_install(tmp_path, monkeypatch):
    path = tmp_path / "in.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 16 + b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(MissingDependencyError) as info:
        read_articles(path)
    assert str(info.value) == (
        f'{path}: reading Parquet needs pyarrow: pip install "dedupe-news[parquet]"'
    )


def test_not_a_parquet_file(tmp_path):
    pytest.importorskip("pyarrow")
    path = tmp_path / "in.parquet"
    path.write_bytes(b"PAR1 but nothing more")
    with pytest.raises(InputError, match=r"in\.parquet: not a readable Parquet file"):
        read_articles(path)


def test_dotted_fields_reach_into_nested_objects(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(
        '{"meta": {"id": "n1", "when": "2014-01-28"}, "content": {"body": "Storm"}}\n'
        '{"meta": {"id": "n2"}, "content.body": "a literal dotted key wins", '
        '"content": {"body": "not this"}}\n'
    )
    fields = FieldMap(id="meta.id", text="content.body", date="meta.when")
    articles = read_articles(path, fields=fields)
    assert [(a.id, a.text, a.date) for a in articles] == [
        ("n1", "Storm", dt.date(2014, 1, 28)),
        ("n2", "a literal dotted key wins", None),
    ]
    path.write_text('{"meta": {"id": "n1"}, "content": "flat"}\n')
    with pytest.raises(InputError, match="missing text field 'content.body'"):
        read_articles(path, fields=fields)


def test_cli_dotted_text_field(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "a", "content": {"body": "Storm hits the coast"}}\n')
    result = CliRunner().invoke(main, ["cluster", str(path), "-q", "--text-field", "content.body"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["id"] == "a"


@pytest.mark.parametrize("mode", ["binary", "text", "gzip"])
def test_file_objects(tmp_path, mode):
    if mode == "text":
        stream = io.StringIO(LINES)
    elif mode == "binary":
        stream = io.BytesIO(LINES.encode())
    else:
        stream = io.BytesIO(gzip.compress(LINES.encode()))
    expected_pair(read_articles(stream))
    assert not stream.closed  # the caller's stream stays open


def test_open_files_and_format_from_their_names(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(CSV)
    with path.open("rb") as binary, path.open(encoding="utf-8") as text:
        expected_pair(read_articles(binary))
        expected_pair(list(iter_articles([text])))


def test_records_from_dicts_with_checks():
    articles = articles_from_records(
        [
            {"id": 1, "text": "Storm", "date": "2014-01-28T10:00:00+01:00", "title": None},
            {"id": "b", "text": "Rates", "date": dt.date(2014, 1, 29), "source": "AP"},
            Article("c", "passed through"),
        ]
    )
    assert [(a.id, a.date, a.source) for a in articles] == [
        ("1", dt.date(2014, 1, 28), None),
        ("b", dt.date(2014, 1, 29), "AP"),
        ("c", None, None),
    ]
    assert articles[0].time == dt.datetime(2014, 1, 28, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([{"id": "a", "text": "x"}, {"id": "b", "text": "y", "date": "31/01/2014"}], "row 1: bad date '31/01/2014'"),
        ([{"id": "a", "text": float("nan")}], "row 0: missing text field 'text' (fields here: id, text): add it, or name the text field with fields=FieldMap(text=...)"),
        ([{"id": None, "text": "x"}], "row 0: missing id field 'id': add it, or name the id field with fields=FieldMap(id=...)"),
        ([{"id": "a", "text": "x"}, {"id": "a", "text": "y"}], "row 1: duplicate id 'a' (first in row 0): ids must be unique"),
        ([{"id": "a", "text": "x", "title": 1.5}], "row 0: field 'title' must be a string, got float 1.5"),
        (["just text"], "row 0: a str, not a dict of fields or an Article"),
    ],
)  # fmt: skip
def test_records_errors_name_the_row_and_fix(records, message):
    with pytest.raises(InputError) as info:
        articles_from_records(records)
    assert str(info.value).startswith(message)


def test_records_rejects_a_single_dict_or_string():
    for bad in ({"id": "a", "text": "x"}, "text", 5):
        with pytest.raises(ParameterError, match="expected a pandas DataFrame or an iterable"):
            articles_from_records(bad)


def test_records_from_a_dataframe():
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    frame = pd.DataFrame(
        {
            "id": np.array([1, 2, 3], dtype=np.int64),
            "text": ["Storm hits", "Rates rise", "Bank fails"],
            "title": [np.nan, "Rates", None],
            "date": [
                pd.Timestamp("2014-01-28 11:00", tz="Europe/Paris"),
                pd.NaT,
                pd.Timestamp("2014-01-30 08:00"),
            ],
        }
    )
    stats = ReadStats()
    articles = articles_from_records(frame, stats=stats)
    assert [(a.id, a.title, a.time) for a in articles] == [
        ("1", None, dt.datetime(2014, 1, 28, 10, tzinfo=UTC)),
        ("2", "Rates", None),
        ("3", None, dt.datetime(2014, 1, 30, 8, tzinfo=UTC)),
    ]
    assert type(articles[0].time) is dt.datetime
    assert (stats.articles, stats.dated) == (3, 2)


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("date", ["2014-01-28", "28.01.2014"], "row 1 (index 'y'): bad date '28.01.2014'"),
        ("title", ["ok", 2.5], "row 1 (index 'y'): field 'title' must be a string, got float 2.5"),
        ("id", [1.0, math.nan], "row 0 (index 'x'): id field 'id' must be a string or an integer, got float 1.0 (a pandas column of integer ids with missing values turns float)"),
        ("text", ["ok", None], "row 1 (index 'y'): missing text field 'text'"),
    ],
)  # fmt: skip
def test_dataframe_bad_values_name_the_row_and_index(column, values, message):
    pd = pytest.importorskip("pandas")
    data = {"id": ["a", "b"], "text": ["x", "y"], column: values}
    frame = pd.DataFrame(data, index=["x", "y"])
    with pytest.raises(InputError) as info:
        articles_from_records(frame)
    assert str(info.value).startswith(message)


def test_dataframe_string_dates_and_skip():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"id": ["a", "b"], "text": ["x", "y"], "date": ["2014-01-28", "soon"]})
    stats = ReadStats()
    articles = articles_from_records(frame, on_bad_date="skip", stats=stats)
    assert [(a.id, a.date) for a in articles] == [("a", dt.date(2014, 1, 28))]
    assert stats.bad_dates == 1


def test_readme_input_examples_run():
    pytest.importorskip("pandas")
    import doctest
    import re

    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Input: formats") : readme.index("## How the decision")]
    examples = "\n".join(
        block for block in re.findall(r"```python\n(.*?)```", section, re.S) if ">>>" in block
    )
    test = doctest.DocTestParser().get_doctest(examples, {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False) == (0, 8)


def test_utf16_file_is_named_as_such(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(CSV.encode("utf-16"))  # with its byte order mark
    with pytest.raises(InputError) as info:
        read_articles(path)
    assert str(info.value) == (
        f"{path}: this is UTF-16 text: re-encode it as UTF-8 (for example with "
        "iconv -f UTF-16 -t UTF-8)"
    )


def test_windows_line_endings(tmp_path):
    jsonl = tmp_path / "crlf.jsonl"
    jsonl.write_bytes(LINES.replace("\n", "\r\n").encode())
    expected_pair(read_articles(jsonl))
    csv_path = tmp_path / "crlf.csv"
    csv_path.write_bytes(b'id,text\r\na,"two\r\nlines"\r\nb,x\r\nc,"bad"quote\r\n')
    with pytest.raises(InputError, match=r"crlf\.csv:5: malformed CSV"):
        read_articles(csv_path)
    csv_path.write_bytes(b'id,text\r\na,"two\r\nlines"\r\nb,x\r\n')
    assert [(a.id, a.text) for a in read_articles(csv_path)] == [("a", "two\r\nlines"), ("b", "x")]
