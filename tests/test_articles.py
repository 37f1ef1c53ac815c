from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from dedupe_news import (
    EmptyCorpusError,
    FieldMap,
    InputError,
    iter_articles,
    parse_date,
    read_articles,
)
from tests.conftest import SEEDS


def write(path, text: str | bytes):
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_read_articles_text_directory_uses_file_names_and_date_lines():
    articles = read_articles(SEEDS)
    assert [a.id for a in articles][:2] == ["000_501117e7baee25b0", "001_9fc4f8e2f33b9f30"]
    assert articles[0].date == dt.date(2022, 4, 13)
    assert articles[1].date is None
    assert articles[0].text.startswith("Russian President, Vladimir Putin")


def test_read_articles_jsonl_reads_all_fields(tmp_path):
    record = {
        "id": 7,
        "text": "Body",
        "title": "Head",
        "date": "2020-01-02",
        "source": "AP",
        "url": "http://x",
        "story": "s1",
    }
    path = write(tmp_path / "a.jsonl", json.dumps(record) + "\n\n")
    [article] = read_articles(path)
    assert (
        article.id,
        article.text,
        article.title,
        article.source,
        article.url,
        article.story,
    ) == ("7", "Body", "Head", "AP", "http://x", "s1")
    assert article.date == dt.date(2020, 1, 2)
    assert article.full_text == "Head\nBody"


def test_read_articles_csv_with_mapped_fields(tmp_path):
    path = write(tmp_path / "a.csv", 'key,body,published\nk1,"Hello, world",2021-05-06\n')
    fields = FieldMap(id="key", text="body", date="published")
    [article] = read_articles(path, fields=fields)
    assert (article.id, article.text, article.date) == ("k1", "Hello, world", dt.date(2021, 5, 6))


def test_read_articles_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO('{"id": "a", "text": "x"}\n'))
    assert [a.id for a in read_articles("-")] == ["a"]


def test_parse_date_accepts_iso_timestamps_and_empty():
    assert parse_date("2022-04-12T10:00:00Z") == dt.date(2022, 4, 12)
    assert parse_date(None) is None and parse_date(" ") is None


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        ('{"id": "a", "text": "x"}\n{"id": "b", "text": \n', 2, "malformed JSON"),
        ('{"id": "a", "body": "x"}\n', 1, "missing text field 'text'"),
        ('{"id": "a", "text": "x", "date": "12/04/2022"}\n', 1, "bad date '12/04/2022'"),
        ('{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n', 2, "duplicate id 'a'"),
        ('["a", "x"]\n', 1, "expected a JSON object"),
        ('{"text": "x"}\n', 1, "missing id field"),
    ],
)
def test_read_articles_bad_jsonl_names_file_line_and_fix(tmp_path, content, line, fragment):
    path = write(tmp_path / "bad.jsonl", content)
    with pytest.raises(InputError) as info:
        read_articles(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: ")
    assert fragment in message
    assert info.value.line == line


def test_read_articles_bad_date_message_gives_the_fix(tmp_path):
    path = write(tmp_path / "bad.jsonl", '{"id": "a", "text": "x", "date": "2022-13-01"}\n')
    with pytest.raises(InputError, match="write dates as YYYY-MM-DD"):
        read_articles(path)


def test_read_articles_binary_file_is_rejected(tmp_path):
    path = write(tmp_path / "x.jsonl", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(InputError, match="binary file"):
        read_articles(path)


def test_read_articles_non_utf8_names_the_line(tmp_path):
    path = write(
        tmp_path / "x.jsonl", b'{"id": "a", "text": "ok"}\n{"id": "b", "text": "caf\xe9"}\n'
    )
    with pytest.raises(InputError, match=r"x\.jsonl:2: not valid UTF-8"):
        read_articles(path)


def test_iter_articles_streams_a_file_and_names_a_late_bad_line(tmp_path):
    good = b"".join(b'{"id": "a%d", "text": "story %d"}\n' % (k, k) for k in range(20000))
    path = write(tmp_path / "big.jsonl", b"\xef\xbb\xbf" + good + b'{"id": "z", "text": "\xff"}\n')
    stream = iter_articles(path)
    first = next(stream)  # read before the bad bytes far below were decoded
    assert (first.id, first.text) == ("a0", "story 0")
    with pytest.raises(InputError, match=r"big\.jsonl:20001: not valid UTF-8"):
        for _ in stream:
            pass


def test_read_articles_unreadable_file(tmp_path):
    path = tmp_path / "locked.jsonl"
    path.mkdir()  # a directory with a .jsonl name and no files inside
    with pytest.raises(EmptyCorpusError, match="the directory has no input files"):
        read_articles(path)
    with pytest.raises(InputError, match="no such file"):
        read_articles(tmp_path / "missing.jsonl")


def test_read_articles_unknown_extension_suggests_input_format(tmp_path):
    path = write(tmp_path / "data.xml", "<a/>")
    with pytest.raises(InputError, match="--input-format"):
        read_articles(path)


def test_read_articles_csv_missing_text_column(tmp_path):
    path = write(tmp_path / "a.csv", "id,body\n1,x\n")
    with pytest.raises(InputError, match=r"a\.csv:1: the CSV header has no 'text' column"):
        read_articles(path)


def test_read_articles_duplicate_ids_across_files(tmp_path):
    first = write(tmp_path / "a.jsonl", '{"id": "x", "text": "one"}\n')
    second = write(tmp_path / "b.jsonl", '{"id": "x", "text": "two"}\n')
    with pytest.raises(
        InputError, match=r"b\.jsonl:1: duplicate id 'x' \(first seen at .*a\.jsonl:1\)"
    ):
        read_articles([first, second])


def test_read_articles_empty_corpus(tmp_path):
    path = write(tmp_path / "empty.jsonl", "\n\n")
    with pytest.raises(EmptyCorpusError, match="no articles found"):
        read_articles(path)


def test_read_articles_keeps_empty_texts_for_the_clusterer_to_count(tmp_path):
    path = write(tmp_path / "a.jsonl", '{"id": "a", "text": ""}\n{"id": "b", "text": "x"}\n')
    assert [a.text for a in read_articles(path)] == ["", "x"]
