"""The Article record, and readers for JSONL, CSV, text directories and stdin.

Every reader error is an :class:`~dedupe_news.errors.InputError` whose message
names the file, the line and the fix.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .errors import EmptyCorpusError, InputError, ParameterError

__all__ = ["Article", "FieldMap", "iter_articles", "parse_date", "read_articles"]

_SNIFF_BYTES = 8192  # a NUL byte among the first ones marks a binary file
_DATE_LINE = re.compile(r"\A\s*date\s+(\S+)\s*")
_ISO_DATE = re.compile(r"\A(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.+\-Z]*)?\Z")


@dataclass(frozen=True)
class Article:
    """One news article.

    Parameters
    ----------
    id : str
        Unique identifier within a corpus.
    text : str
        The body text.
    title, source, url : str or None
        Optional metadata. The title is used as part of the text signal.
    date : datetime.date or None
        Publication date. Articles whose dates are further apart than the
        clusterer's ``window_days`` are never the same story.
    story : str or None
        Gold story label, if known. Used only by evaluation, never by clustering.

    Examples
    --------
    >>> Article("a1", "Putin says talks are at a dead end", date=parse_date("2022-04-12")).date
    datetime.date(2022, 4, 12)
    """

    id: str
    text: str
    title: str | None = None
    date: dt.date | None = None
    source: str | None = None
    url: str | None = None
    story: str | None = field(default=None, compare=False)

    @property
    def full_text(self) -> str:
        """Title and text joined, the way the similarity signals see the article."""
        if self.title and not self.text.lstrip().startswith(self.title.strip()):
            return f"{self.title}\n{self.text}"
        return self.text


@dataclass(frozen=True)
class FieldMap:
    """Names of the input fields (JSONL keys or CSV columns) for each Article attribute."""

    id: str = "id"
    text: str = "text"
    title: str = "title"
    date: str = "date"
    source: str = "source"
    url: str = "url"
    story: str = "story"


def parse_date(value: Any, *, path: str | None = None, line: int | None = None) -> dt.date | None:
    """Parse ``YYYY-MM-DD`` (or an ISO timestamp starting with it); empty values give None.

    >>> parse_date("2022-04-12T08:30:00Z")
    datetime.date(2022, 4, 12)
    >>> parse_date("") is None
    True
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    match = _ISO_DATE.match(text)
    if match:
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise InputError(
        f"bad date {text!r}: write dates as YYYY-MM-DD (for example 2022-04-12), "
        "or leave the field empty",
        path=path,
        line=line,
    )


def checked_articles(articles: Iterable[Article]) -> Iterator[Article]:
    """``articles`` as they come, each checked to be an :class:`Article` with a new id.

    Raises :class:`~dedupe_news.errors.ParameterError` on the first that is not.
    """
    seen: set[str] = set()
    for position, article in enumerate(articles):
        if not isinstance(article, Article):
            raise ParameterError(
                f"item {position} is a {type(article).__name__}, not an Article: "
                "build Article(id=..., text=...) objects, or use read_articles(path)"
            )
        if article.id in seen:
            raise ParameterError(f"duplicate article id {article.id!r}: ids must be unique")
        seen.add(article.id)
        yield article


def article_list(articles: Iterable[Article]) -> list[Article]:
    """``articles`` as a checked, non-empty list (see :func:`checked_articles`).

    A bare string, the classic mistake, gets its own message.
    """
    if isinstance(articles, (str, bytes)):
        raise ParameterError(
            "expected an iterable of Article objects, got a single string: "
            "wrap texts as Article(id, text), or use read_articles(path)"
        )
    result = list(checked_articles(articles))
    if not result:
        raise EmptyCorpusError("no articles given: nothing to cluster")
    return result


def read_articles(
    paths: str | Path | Iterable[str | Path],
    *,
    fields: FieldMap | None = None,
    input_format: str | None = None,
) -> list[Article]:
    """Read articles from files, directories of ``.txt`` files, or ``-`` (stdin).

    Parameters
    ----------
    paths : path or iterable of paths
        ``.jsonl``/``.ndjson`` files (one JSON object per line), ``.csv`` files with a
        header row, directories of ``.txt`` files (the id is the file name without
        ``.txt``; an optional first line ``date YYYY-MM-DD``), or ``-`` for stdin.
    fields : FieldMap, optional
        Input field names, when they differ from ``id``, ``text``, ``title``, ...
    input_format : {"jsonl", "csv", "txt"}, optional
        Force a format instead of guessing from the file name. stdin defaults to jsonl.

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
    return list(iter_articles(paths, fields=fields, input_format=input_format))


def iter_articles(
    paths: str | Path | Iterable[str | Path],
    *,
    fields: FieldMap | None = None,
    input_format: str | None = None,
) -> Iterator[Article]:
    """Like :func:`read_articles`, but one article at a time, as the files are read.

    Feed it to :meth:`StoryClusterer.fit <dedupe_news.StoryClusterer.fit>` to
    cluster a corpus without holding every text in memory. Errors are raised when
    the reader reaches them, so a bad line late in a file stops the run there.
    """
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    fields = fields or FieldMap()
    first_seen: dict[str, str] = {}
    for path in paths:
        for where, article in _read_one(str(path), fields, input_format):
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
    if not first_seen:
        names = ", ".join(str(p) for p in paths)
        raise EmptyCorpusError(
            f"no articles found in {names}: give JSONL or CSV files with a "
            f"{fields.text!r} field, or a directory of .txt files"
        )


_Where = tuple[str, "int | None"]


def _read_one(
    path: str, fields: FieldMap, input_format: str | None
) -> Iterator[tuple[_Where, Article]]:
    if path == "-":
        yield from _read_stream(sys.stdin, "<stdin>", input_format or "jsonl", fields)
        return
    p = Path(path)
    if p.is_dir():
        yield from _read_text_dir(p)
        return
    if not p.exists():
        raise InputError("no such file or directory: check the path", path=path)
    fmt = input_format or _guess_format(p)
    if fmt == "txt":
        yield (path, None), _read_text_file(p)
        return
    with _open_text(p) as stream:
        yield from _read_stream(stream, path, fmt, fields)


def _guess_format(p: Path) -> str:
    suffix = p.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix == ".txt":
        return "txt"
    raise InputError(
        f"cannot tell the format of {p.name!r} from its extension: name it .jsonl, .csv "
        "or .txt, or pass --input-format jsonl|csv|txt",
        path=str(p),
    )


@contextlib.contextmanager
def _open_text(p: Path) -> Iterator[IO[str]]:
    """The file as a text stream, decoded as it is read (the file is never held whole)."""
    try:
        handle = p.open("rb")
    except OSError as exc:
        raise InputError(
            f"cannot read the file ({exc.strerror}): check its permissions", path=str(p)
        ) from None
    with handle:
        if b"\x00" in handle.peek(_SNIFF_BYTES)[:_SNIFF_BYTES]:
            raise _binary_file(str(p))
        try:
            yield io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        except UnicodeDecodeError:
            # Rare: read the file again, whole, to name the line of the bad bytes.
            _decode(p.read_bytes(), str(p))
            raise


def _binary_file(path: str) -> InputError:
    return InputError("this looks like a binary file, not text: give UTF-8 text files", path=path)


def _decode(raw: bytes, path: str) -> str:
    if b"\x00" in raw[:_SNIFF_BYTES]:
        raise _binary_file(path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            "not valid UTF-8 text: re-encode the file as UTF-8 (for example with iconv)",
            path=path,
            line=line,
        ) from None


def _read_stream(
    stream: IO[str], path: str, fmt: str, fields: FieldMap
) -> Iterator[tuple[_Where, Article]]:
    if fmt == "jsonl":
        yield from _read_jsonl(stream, path, fields)
    elif fmt == "csv":
        yield from _read_csv(stream, path, fields)
    elif fmt == "txt":
        yield (path, None), _article_from_text(path, stream.read(), path)
    else:
        raise InputError(f"unknown input format {fmt!r}: use jsonl, csv or txt", path=path)


def _read_jsonl(stream: IO[str], path: str, fields: FieldMap) -> Iterator[tuple[_Where, Article]]:
    for lineno, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"malformed JSON ({exc.msg} at column {exc.colno}): each line must be one "
                "complete JSON object",
                path=path,
                line=lineno,
            ) from None
        if not isinstance(record, dict):
            raise InputError(
                f"expected a JSON object, got {type(record).__name__}: each line must be "
                'one object such as {"id": "a1", "text": "..."}',
                path=path,
                line=lineno,
            )
        yield (path, lineno), _article_from_record(record, fields, path, lineno)


def _read_csv(stream: IO[str], path: str, fields: FieldMap) -> Iterator[tuple[_Where, Article]]:
    dialect = "excel-tab" if path.lower().endswith(".tsv") else "excel"
    reader = csv.DictReader(stream, dialect=dialect)
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        raise InputError(f"malformed CSV header ({exc})", path=path, line=1) from None
    if not header:
        return
    for name, option in ((fields.text, "--text-field"), (fields.id, "--id-field")):
        if name not in header:
            raise InputError(
                f"the CSV header has no {name!r} column (columns: {', '.join(header)}): "
                f"name the right column with {option}",
                path=path,
                line=1,
            )
    start = reader.line_num
    try:
        for record in reader:
            if None in record:
                raise InputError(
                    "this row has more cells than the header: quote cells that contain commas",
                    path=path,
                    line=reader.line_num,
                )
            yield (
                (path, reader.line_num),
                _article_from_record(record, fields, path, reader.line_num),
            )
    except csv.Error as exc:
        raise InputError(
            f"malformed CSV ({exc})", path=path, line=reader.line_num or start
        ) from None


def _article_from_record(
    record: Mapping[str, Any], fields: FieldMap, path: str, line: int
) -> Article:
    if fields.id not in record or record[fields.id] in (None, ""):
        raise InputError(
            f"missing id field {fields.id!r}: add it, or name the id field with --id-field",
            path=path,
            line=line,
        )
    if fields.text not in record or record[fields.text] is None:
        raise InputError(
            f"missing text field {fields.text!r} (fields here: {', '.join(map(str, record))}): "
            "add it, or name the text field with --text-field",
            path=path,
            line=line,
        )
    text = record[fields.text]
    if not isinstance(text, str):
        raise InputError(
            f"field {fields.text!r} must be a string, got {type(text).__name__}",
            path=path,
            line=line,
        )

    def optional(name: str) -> str | None:
        value = record.get(name)
        return None if value in (None, "") else str(value)

    return Article(
        id=str(record[fields.id]),
        text=text,
        title=optional(fields.title),
        date=parse_date(record.get(fields.date), path=path, line=line),
        source=optional(fields.source),
        url=optional(fields.url),
        story=optional(fields.story),
    )


def _read_text_dir(directory: Path) -> Iterator[tuple[_Where, Article]]:
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() == ".txt")
    if not files:
        raise EmptyCorpusError(
            "the directory has no .txt files: put one article per .txt file in it",
            path=str(directory),
        )
    for p in files:
        yield (str(p), None), _read_text_file(p)


def _read_text_file(p: Path) -> Article:
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read the file ({exc.strerror}): check its permissions", path=str(p)
        ) from None
    return _article_from_text(p.stem, _decode(raw, str(p)), str(p))


def _article_from_text(article_id: str, content: str, path: str) -> Article:
    """Seed format: an optional leading ``date YYYY-MM-DD``, then the text."""
    date = None
    match = _DATE_LINE.match(content)
    if match:
        date = parse_date(match[1], path=path, line=1)
        content = content[match.end() :]
    return Article(id=article_id, text=content.strip(), date=date)
