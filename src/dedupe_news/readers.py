"""Readers for JSONL, CSV, Parquet and text files, directories, stdin and file objects.

Every reader error is an :class:`~dedupe_news.errors.InputError` whose message names
the file, the line (or row) and the fix.
"""

from __future__ import annotations

import csv
import json
import lzma
import re
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from .articles import (
    Article,
    ReadStats,
    article_from_record,
    check_bad_date_policy,
    warn_if_undated,
)
from .errors import EmptyCorpusError, InputError
from .parquet import read_parquet
from .record_fields import FieldMap, printable
from .sources import (
    FORMATS,
    PARQUET_MAGIC,
    Source,
    format_from_name,
    input_sources,
    open_binary,
    read_guarded,
)
from .timestamps import parse_datetime

__all__ = ["iter_articles", "read_articles"]

CSV_CELL_LIMIT = 1 << 28  # characters in one CSV cell (the csv module's default: 131,072)
_DATE_LINE = re.compile(r"\A\s*date[ \t]+(\S.*?)[ \t\r]*(?:\n|\Z)")
_DATE_WORD = re.compile(r"\A\s*date\s+(\S+)\s*")
_Where = tuple[str, "int | None"]


def read_articles(
    paths: Any,
    *,
    fields: FieldMap | None = None,
    input_format: str | None = None,
    on_bad_date: str = "error",
    stats: ReadStats | None = None,
) -> list[Article]:
    """Read articles from files, directories, ``-`` (stdin) or file objects.

    Parameters
    ----------
    paths : path, file object, or an iterable of them
        ``.jsonl``/``.ndjson`` files (one JSON object per line), ``.csv``/``.tsv`` files
        with a header row, ``.parquet`` files (``pip install "dedupe-news[parquet]"``),
        ``.txt`` files (one article each: the id is the file name without ``.txt``, an
        optional first line ``date ...``), any of them compressed with gzip, bz2 or xz
        (``a.jsonl.gz``; recognised by content too), directories of such files (read
        recursively, sorted; names starting with a dot are skipped), ``-`` for stdin, or
        open file objects (binary or text).
    fields : FieldMap, optional
        Input field names, when they differ from ``id``, ``text``, ``title``, ...
        Dotted names reach into nested objects (``content.body``).
    input_format : {"jsonl", "csv", "txt", "parquet"}, optional
        Force a format instead of guessing from the file name. Streams default to jsonl.
    on_bad_date : {"error", "skip", "undated"}
        What a bad date does: stop with an error naming the file, line and accepted
        forms; skip the article; or keep the article without a date.
    stats : ReadStats, optional
        Filled in as the articles are read: articles, dated, bad dates skipped.

    Returns
    -------
    list of Article
        In input order. Articles with empty text are kept; the clusterer skips them.

    Raises
    ------
    InputError
        Malformed input, naming the file, the line and the fix.
    EmptyCorpusError
        No article was found at all.
    """
    return list(
        iter_articles(
            paths, fields=fields, input_format=input_format, on_bad_date=on_bad_date, stats=stats
        )
    )


def iter_articles(
    paths: Any,
    *,
    fields: FieldMap | None = None,
    input_format: str | None = None,
    on_bad_date: str = "error",
    stats: ReadStats | None = None,
) -> Iterator[Article]:
    """Like :func:`read_articles`, but one article at a time, as the files are read.

    Feed it to :meth:`StoryClusterer.fit <dedupe_news.StoryClusterer.fit>` to
    cluster a corpus without holding every text in memory. Errors are raised when
    the reader reaches them, so a bad line late in a file stops the run there.
    When no article has a date, one warning goes to the ``dedupe_news`` logger.
    """
    check_bad_date_policy(on_bad_date)
    if input_format is not None and input_format not in FORMATS:
        raise InputError(f"unknown input format {input_format!r}: use {', '.join(FORMATS)}")
    fields = fields or FieldMap()
    stats = stats if stats is not None else ReadStats()
    stats.on_bad_date = on_bad_date
    paths = _as_list(paths)
    first_seen: dict[str, str] = {}
    for source in input_sources(paths):
        for where, article in _read_source(source, fields, input_format, on_bad_date, stats):
            if article.id in first_seen:
                raise InputError(
                    f"duplicate id {article.id!r} (first seen at {first_seen[article.id]}): "
                    "ids must be unique across all inputs; rename one, or map another "
                    "field with --id-field",
                    path=where[0],
                    line=where[1],
                )
            first_seen[article.id] = f"{where[0]}:{where[1]}" if where[1] else where[0]
            yield article
    names = ["<stream>" if hasattr(p, "read") else str(p) for p in paths]
    shown = ", ".join(names) if len(names) <= 3 else f"{', '.join(names[:3])} and others"
    if not first_seen:
        skipped = f" ({stats.bad_dates} skipped for bad dates)" if stats.bad_dates else ""
        raise EmptyCorpusError(
            f"no articles found in {shown}{skipped}: give JSONL or CSV files with a "
            f"{fields.text!r} field, or a directory of .txt files"
        )
    warn_if_undated(stats, shown, "--date-field")


def _as_list(paths: Any) -> list[Any]:
    single = isinstance(paths, (str, Path)) or hasattr(paths, "read")
    return [paths] if single else list(paths)


def _read_source(
    source: Source, fields: FieldMap, input_format: str | None, on_bad_date: str, stats: ReadStats
) -> Iterator[tuple[_Where, Article]]:
    name = source.name
    with open_binary(source) as (stream, compression, head):
        fmt = input_format or format_from_name(name)
        if head.startswith(PARQUET_MAGIC) and compression is None and input_format is None:
            fmt = "parquet"
        if fmt is None:
            if source.stream is None:
                move = ", move it out of the directory" if source.in_directory else ""
                raise InputError(
                    f"cannot tell the format of {Path(name).name!r} from its name: name it "
                    f".jsonl, .csv, .parquet or .txt (optionally .gz, .bz2 or .xz){move}, or "
                    "pass --input-format jsonl|csv|parquet|txt",
                    path=name,
                )
            fmt = "jsonl"
        if fmt == "parquet":
            yield from read_parquet(stream, name, fields, on_bad_date, stats)
            return
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise InputError(
                "this is UTF-16 text: re-encode it as UTF-8 (for example with "
                "iconv -f UTF-16 -t UTF-8)",
                path=name,
            )
        if b"\x00" in head:
            raise InputError(
                "this looks like a binary file, not text: give UTF-8 text files", path=name
            )
        lines = _text_lines(stream, name, compression)
        if fmt == "jsonl":
            yield from _read_jsonl(lines, name, fields, on_bad_date, stats)
        elif fmt == "csv":
            yield from _read_csv(lines, name, source.is_tsv, fields, on_bad_date, stats)
        else:
            article = _article_from_text(
                source.text_id or name, "".join(lines), name,
                on_bad_date, stats,
            )  # fmt: skip
            if article is not None:
                yield (name, None), article


def _text_lines(stream: IO[Any], name: str, compression: str | None) -> Iterator[str]:
    """Lines of UTF-8 text (a leading BOM dropped), decoded as they are read."""
    lineno = 0
    try:
        for raw in stream:
            lineno += 1
            if isinstance(raw, str):
                yield raw.removeprefix("\ufeff") if lineno == 1 else raw
                continue
            try:
                text = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError:
                raise InputError(
                    "not valid UTF-8 text: re-encode the file as UTF-8 (for example with iconv)",
                    path=name,
                    line=lineno,
                ) from None
            yield text
    except (EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
        read_guarded(_raiser(exc), name, compression)


def _raiser(exc: BaseException) -> Any:
    def read() -> None:
        raise exc

    return read


def _read_jsonl(
    lines: Iterable[str],
    path: str,
    fields: FieldMap,
    on_bad_date: str,
    stats: ReadStats,
) -> Iterator[tuple[_Where, Article]]:
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        record = _json_object(line, path, lineno)
        article = article_from_record(
            record, fields, path=path, line=lineno, on_bad_date=on_bad_date, stats=stats
        )
        if article is not None:
            yield (path, lineno), article


def _json_object(line: str, path: str, lineno: int) -> dict:
    try:
        record = _DECODER.decode(line.rstrip("\r\n"))  # columns within the line
    except json.JSONDecodeError as exc:
        pretty = lineno == 1 and line.strip() in ("{", "[")
        hint = " (for pretty-printed JSON, write one object per line: jq -c" + (
            " '.[]')" if line.strip() == "[" else " .)"
        )
        raise InputError(
            f"malformed JSON ({exc.msg} at column {exc.colno}): each line must be one "
            f"complete JSON object{hint if pretty else ''}",
            path=path,
            line=lineno,
        ) from None
    except _NotJson as exc:
        raise InputError(
            f"{exc} is not JSON: write null for a missing value", path=path, line=lineno
        ) from None
    except RecursionError:
        raise InputError(
            "JSON nested too deeply to read: flatten the object", path=path, line=lineno
        ) from None
    except ValueError as exc:  # an integer over sys.get_int_max_str_digits() digits
        raise InputError(
            f"unreadable JSON value ({exc}): write long numbers as strings",
            path=path,
            line=lineno,
        ) from None
    if not isinstance(record, dict):
        raise InputError(
            f"expected a JSON object, got {type(record).__name__}: each line must be "
            'one object such as {"id": "a1", "text": "..."}'
            + (" (for one JSON array of objects: jq -c '.[]')" if isinstance(record, list) else ""),
            path=path,
            line=lineno,
        )
    return record


class _NotJson(Exception):
    """NaN, Infinity or -Infinity, which Python's json accepts and JSON does not."""


def _reject_constant(name: str) -> Any:
    raise _NotJson(name)


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _read_csv(
    lines: Iterable[str],
    path: str,
    tsv: bool,
    fields: FieldMap,
    on_bad_date: str,
    stats: ReadStats,
) -> Iterator[tuple[_Where, Article]]:
    reader = csv.reader(lines, dialect="excel-tab" if tsv else "excel", strict=True)
    header = _next_row(reader, path)
    if header is None:
        return
    for name, option in ((fields.text, "--text-field"), (fields.id, "--id-field")):
        if name not in header:
            raise InputError(
                f"the CSV header has no {name!r} column (columns: {printable(', '.join(header))}): "
                f"name the right column with {option}",
                path=path,
                line=1,
            )
    while True:
        start = reader.line_num + 1
        row = _next_row(reader, path)
        if row is None:
            return
        if not row:
            continue
        if len(row) > len(header):
            raise InputError(
                "this row has more cells than the header: quote cells that contain commas",
                path=path,
                line=start,
            )
        record = dict(zip(header, row, strict=False))  # short rows: missing cells
        article = article_from_record(
            record, fields, path=path, line=start, on_bad_date=on_bad_date, stats=stats
        )
        if article is not None:
            yield (path, start), article


def _next_row(reader: Any, path: str) -> list[str] | None:
    """The next CSV row, with cells up to CSV_CELL_LIMIT characters, or None at the end."""
    start = reader.line_num + 1
    previous = csv.field_size_limit(CSV_CELL_LIMIT)
    try:
        return next(reader, None)
    except csv.Error as exc:
        message = str(exc)
        if "unexpected end of data" in message or "field larger" in message:
            raise InputError(
                "a quoted cell that starts on this line never closes, so it would swallow "
                "the rest of the file: close the quote, and double quotes inside a quoted "
                'cell ("")',
                path=path,
                line=start,
            ) from None
        if "expected after" in message:
            raise InputError(
                f'malformed CSV ({message}): a quote inside a quoted cell must be doubled ("")',
                path=path,
                line=reader.line_num,
            ) from None
        raise InputError(f"malformed CSV ({message})", path=path, line=reader.line_num) from None
    finally:
        csv.field_size_limit(previous)


def _article_from_text(
    article_id: str, content: str, path: str, on_bad_date: str, stats: ReadStats
) -> Article | None:
    """Seed format: an optional leading ``date ...`` (the rest of the first line when it
    is a date, else its first word), then the text."""
    record: dict[str, Any] = {"id": article_id, "text": content}
    match = _DATE_LINE.match(content)
    if match:
        try:
            parse_datetime(match[1])
            end = match.end()
        except InputError:
            match = _DATE_WORD.match(content)
            end = match.end()
        record = {"id": article_id, "text": content[end:], "date": match[1]}
    record["text"] = record["text"].strip()
    return article_from_record(
        record, FieldMap(), path=path, line=1, on_bad_date=on_bad_date, stats=stats
    )
