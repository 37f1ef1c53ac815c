"""Issue #15, the input side: nearly valid input never crashes, and never loses rows.

Each test reproduces one numbered case of the audit (3, 4, 7, 8a, 9, 10). They use only
``read_articles`` and the CLI, so they also run against the readers before the fix.
"""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from dedupe_news import InputError, read_articles
from dedupe_news.cli import main


@pytest.fixture
def runner():
    return CliRunner()


def jsonl(tmp_path, *lines: str, name: str = "in.jsonl"):
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


GOOD = '{"id": "ok", "text": "a good first line"}'


# -- 4: nearly valid JSON ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ('{"id": "x\\ud800", "text": "t"}', "field 'id' has a lone surrogate \\ud800"),
        ('{"id": "x", "text": "t", "title": "\\udfffT"}', "field 'title' has a lone surrogate"),
        ('{"id": "x", "text": "t", "source": "AP\\ud83d"}', "field 'source' has a lone surrogate"),
        ('{"id": "x", "text": "t\\udc00"}', "field 'text' has a lone surrogate"),
        ('{"id": %s, "text": "t"}' % ("9" * 4301), "write long numbers as strings"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"id": "x", "text": "t", "extra": %s}' % ("[" * 100_000 + "]" * 100_000), "nested"),
        ('{"id": "x", "text": NaN}', "NaN is not JSON: write null"),
        ('{"id": "x", "text": "t", "date": Infinity}', "Infinity is not JSON"),
    ],
)
def test_nearly_valid_json_is_an_input_error_with_file_and_line(tmp_path, line, fragment):
    path = jsonl(tmp_path, GOOD, line)
    with pytest.raises(InputError) as info:
        read_articles(path)
    assert str(info.value).startswith(f"{path}:2: ")
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("[1, 2]", "got list [1, 2]"),
        ('{"a": 1}', "got dict {'a': 1}"),
        ("true", "got bool True"),
        ("1.5", "got float 1.5"),
        ("3.0", "got float 3.0"),
    ],
)
def test_ids_are_strings_or_integers_never_stringified(tmp_path, value, shown):  # 8a
    path = jsonl(tmp_path, '{"id": ' + value + ', "text": "t"}')
    with pytest.raises(InputError) as info:
        read_articles(path)
    assert str(info.value) == (
        f"{path}:1: id field 'id' must be a string or an integer, {shown}"
        + (
            " (a pandas column of integer ids with missing values turns float)"
            if value == "3.0"
            else ""
        )
        + ': write ids as strings such as "a1"'
    )


def test_integer_ids_become_their_decimal_string(tmp_path):
    path = jsonl(tmp_path, '{"id": 7, "text": "t"}', '{"id": -12, "text": "u"}')
    assert [a.id for a in read_articles(path)] == ["7", "-12"]


@pytest.mark.parametrize("value", ["[1]", '{"x": "y"}', "true", "2.5"])
def test_metadata_fields_must_be_strings(tmp_path, value):
    path = jsonl(tmp_path, '{"id": "a", "text": "t", "title": ' + value + "}")
    with pytest.raises(InputError, match=r"in\.jsonl:1: field 'title' must be a string, got "):
        read_articles(path)


def test_latin1_on_stdin_is_one_line_naming_the_line(runner, tmp_path):  # 4, index add
    data = b'{"id": "a", "text": "fine"}\n{"id": "b", "text": "caf\xe9"}\n'
    result = runner.invoke(main, ["index", "add", str(tmp_path / "x.db"), "-"], input=data)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: <stdin>:2: not valid UTF-8 text: re-encode the file as UTF-8 "
        "(for example with iconv)\n"
    )


# -- 10: a BOM on stdin -------------------------------------------------------------------


def test_bom_on_stdin_is_accepted_as_in_files(runner, tmp_path):
    data = b'\xef\xbb\xbf{"id": "a", "text": "one two three"}\n'
    from_file = tmp_path / "bom.jsonl"
    from_file.write_bytes(data)
    piped = runner.invoke(main, ["cluster", "-", "-q"], input=data)
    assert piped.exit_code == 0, piped.stderr
    read = runner.invoke(main, ["cluster", str(from_file), "-q"])
    assert piped.stdout == read.stdout
    assert json.loads(piped.stdout)["id"] == "a"


def test_bom_on_stdin_csv(runner):
    data = "\ufeffid,text\nk,one two three\n".encode()
    result = runner.invoke(main, ["cluster", "-", "-q", "--input-format", "csv"], input=data)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["id"] == "k"


# -- 7: CSV -------------------------------------------------------------------------------


def test_csv_unterminated_quote_is_an_error_not_a_swallowed_row(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('id,text\n1,"abc\n2,def\n3,ghi\n')
    with pytest.raises(InputError) as info:
        read_articles(path)
    assert str(info.value) == (
        f"{path}:2: a quoted cell that starts on this line never closes, so it would swallow "
        'the rest of the file: close the quote, and double quotes inside a quoted cell ("")'
    )


def test_csv_stray_quote_after_a_quoted_cell_names_its_line(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('id,text\n1,ok\n2,"abc"def\n')
    with pytest.raises(InputError, match=r'a\.csv:3: malformed CSV .*must be doubled \(""\)'):
        read_articles(path)


def test_csv_cell_over_131072_characters_is_read(tmp_path):
    long_text = "word " * 40_000  # 200,000 characters
    path = tmp_path / "a.csv"
    path.write_text(f'id,text\n1,short\n2,"{long_text}"\n3,"with ""quotes"""\n')
    articles = read_articles(path)
    assert [a.id for a in articles] == ["1", "2", "3"]
    assert articles[1].text == long_text
    assert articles[2].text == 'with "quotes"'


def test_csv_error_after_a_multiline_cell_names_the_row_start(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('id,text,date\n1,"two\nlines",2020-01-01\n2,x,never\n')
    with pytest.raises(InputError, match=r"a\.csv:4: bad date 'never'"):
        read_articles(path)


# -- 9: directories -----------------------------------------------------------------------


def test_directory_reads_every_input_file_recursively(tmp_path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.txt").write_text("date 2022-01-02 first text")
    (tmp_path / "b.jsonl").write_text('{"id": "j1", "text": "from jsonl"}\n')
    (tmp_path / "sub" / "c.csv").write_text("id,text\nc1,from csv\n")
    (tmp_path / "sub" / "deeper" / "d.txt").write_text("nested text")
    (tmp_path / ".git" / "config").write_text("not an article")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01")
    articles = read_articles(tmp_path)
    assert [(a.id, a.text) for a in articles] == [
        ("a", "first text"),
        ("j1", "from jsonl"),
        ("c1", "from csv"),
        ("sub/deeper/d", "nested text"),
    ]


def test_directory_with_a_file_of_unknown_format_names_it(tmp_path):
    (tmp_path / "a.txt").write_text("text")
    (tmp_path / "notes.md").write_text("# notes")
    with pytest.raises(InputError) as info:
        read_articles(tmp_path)
    assert str(info.value).startswith(f"{tmp_path / 'notes.md'}: cannot tell the format")
    assert "move it out of the directory" in str(info.value)


# -- 3: unreadable inputs -----------------------------------------------------------------


def test_unreadable_directory_is_one_line_with_path_and_cause(runner, tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.txt").write_text("text")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(locked))

    monkeypatch.setattr(os, "scandir", denied)
    monkeypatch.setattr(os, "listdir", denied)
    result = runner.invoke(main, ["cluster", str(locked)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {locked}: cannot list the directory (Permission denied): check its permissions\n"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_directory_for_real(runner, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        result = runner.invoke(main, ["cluster", str(locked)])
    finally:
        locked.chmod(0o755)
    assert result.exit_code == 1
    assert "cannot list the directory (Permission denied)" in result.stderr


def test_unreadable_file_is_one_line_with_path_and_cause(runner, tmp_path, monkeypatch):
    path = jsonl(tmp_path, GOOD)
    real_open = type(path).open

    def denied(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(type(path), "open", denied)
    result = runner.invoke(main, ["cluster", str(path)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path}: cannot read the file (Permission denied): check its permissions\n"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            '[\n  {"id": "a", "text": "x"}\n]\n',
            "in.json:1: malformed JSON (Expecting value at column 2): each line must be one "
            "complete JSON object (for pretty-printed JSON, write one object per line: "
            "jq -c '.[]')",
        ),
        (
            '{\n  "id": "a",\n  "text": "x"\n}\n',
            "in.json:1: malformed JSON (Expecting property name enclosed in double quotes at "
            "column 2): each line must be one complete JSON object (for pretty-printed JSON, "
            "write one object per line: jq -c .)",
        ),
        (
            '[{"id": "a", "text": "x"}]\n',
            "in.json:1: expected a JSON object, got list: each line must be one object such as "
            '{"id": "a1", "text": "..."} (for one JSON array of objects: jq -c \'.[]\')',
        ),
    ],
)
def test_a_json_document_instead_of_jsonl_gets_the_conversion(tmp_path, content, expected):
    path = tmp_path / "in.json"
    path.write_text(content)
    with pytest.raises(InputError) as info:
        read_articles(path)
    assert str(info.value) == f"{tmp_path}/{expected}"


def test_directory_symlink_loop_is_read_once(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("text")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)
    assert [a.id for a in read_articles(tmp_path)] == ["sub/a"]
