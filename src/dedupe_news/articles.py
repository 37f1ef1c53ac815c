"""The Article record, and the checks that turn input records into Articles.

Every value is checked where it enters: :func:`article_from_record` for one JSON object,
CSV row, Parquet row or dict (:func:`dedupe_news.tables.articles_from_records` for a
pandas DataFrame or an iterable of dicts). Errors are
:class:`~dedupe_news.errors.InputError`\\ s naming the file and line (or the row) and the
fix. The file readers live in :mod:`dedupe_news.readers` and are re-exported here.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import numbers
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .errors import EmptyCorpusError, InputError, ParameterError
from .timestamps import as_utc, parse_date, parse_datetime

__all__ = [
    "Article",
    "FieldMap",
    "ReadStats",
    "article_from_record",
    "article_list",
    "checked_articles",
    "joined_text",
    "parse_date",
]

logger = logging.getLogger("dedupe_news")

BAD_DATE_POLICIES = ("error", "skip", "undated")
_SURROGATE = re.compile("[\ud800-\udfff]")
_MISSING_TYPES = frozenset({"NAType", "NaTType"})  # pandas.NA, pandas.NaT


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
    date : datetime.date, datetime.datetime or None
        Publication day, or time. A datetime is normalised to UTC (a naive one is taken
        as UTC): ``date`` becomes its UTC calendar day and ``time`` the datetime.
        Articles whose days are further apart than the clusterer's ``window_days`` are
        never the same story.
    story : str or None
        Gold story label, if known. Used only by evaluation, never by clustering.
    time : datetime.datetime or None
        Publication time, timezone-aware, in UTC; None when only the day is known.

    Examples
    --------
    >>> Article("a1", "Putin says talks are at a dead end", date=parse_date("2022-04-12")).date
    datetime.date(2022, 4, 12)
    >>> a = Article("a2", "...", date=dt.datetime.fromisoformat("2022-04-12T23:30:00-02:00"))
    >>> a.date, a.time.isoformat()
    (datetime.date(2022, 4, 13), '2022-04-13T01:30:00+00:00')
    """

    id: str
    text: str
    title: str | None = None
    date: dt.date | None = None
    source: str | None = None
    url: str | None = None
    story: str | None = field(default=None, compare=False)
    time: dt.datetime | None = None

    def __post_init__(self) -> None:
        date, time = self.date, self.time
        if time is None and (date is None or type(date) is dt.date):
            return  # the common case: nothing to normalise
        if isinstance(date, dt.datetime) or type(date).__name__ == "NaTType":
            if time is not None:
                raise ParameterError("give a datetime as date or as time, not both")
            date, time = None, date
        elif date is not None and not isinstance(date, dt.date):
            raise ParameterError(
                f"Article {self.id!r}: date must be a datetime.date or datetime.datetime, "
                f"got {type(date).__name__}: convert it with parse_date or parse_datetime"
            )
        if time is not None:
            if not isinstance(time, dt.datetime):
                raise ParameterError(
                    f"Article {self.id!r}: time must be a datetime.datetime, "
                    f"got {type(time).__name__}"
                )
            if time != time:  # pandas.NaT
                time = None
            else:
                try:
                    time = as_utc(time)
                except ValueError as exc:
                    raise ParameterError(f"Article {self.id!r}: time {exc}") from None
                if date is not None and date != time.date():
                    raise ParameterError(
                        f"Article {self.id!r}: date {date} is not the UTC day of time "
                        f"{time.isoformat()}: give only the time"
                    )
                date = time.date()
        if time is not None or (date is not None and type(date) is not dt.date):
            date = dt.date(date.year, date.month, date.day)
        object.__setattr__(self, "date", date)
        object.__setattr__(self, "time", time)

    @property
    def full_text(self) -> str:
        """Title and text joined, the way the similarity signals see the article."""
        return joined_text(self.title, self.text)


def joined_text(title: str | None, text: str) -> str:
    """The title, a newline and the text; the text alone when it opens with the title.

    >>> joined_text("Storm", "Storm hits the coast"), joined_text("Storm", "It rains")
    ('Storm hits the coast', 'Storm\\nIt rains')
    """
    if title and not text.lstrip().startswith(title.strip()):
        return f"{title}\n{text}"
    return text


@dataclass(frozen=True)
class FieldMap:
    """Names of the input fields (JSONL keys, CSV or DataFrame columns) for each attribute.

    A dotted name reaches into nested objects: ``FieldMap(text="content.body")`` reads
    ``{"content": {"body": "..."}}``. A key that itself contains the dot wins.
    """

    id: str = "id"
    text: str = "text"
    title: str = "title"
    date: str = "date"
    source: str = "source"
    url: str = "url"
    story: str = "story"


@dataclass
class ReadStats:
    """What a reader saw; pass one as ``stats=`` and read it after the articles.

    ``bad_dates`` counts the articles whose date was bad and that ``on_bad_date``
    skipped (``"skip"``) or kept without a date (``"undated"``).
    """

    articles: int = 0
    dated: int = 0
    bad_dates: int = 0
    on_bad_date: str = "error"

    def bad_dates_note(self) -> str:
        """``"skipped 3 articles with bad dates"``, ``"left 3 ... undated"``, or ``""``."""
        if not self.bad_dates:
            return ""
        if self.on_bad_date == "skip":
            return f"skipped {self.bad_dates} articles with bad dates"
        return f"left {self.bad_dates} articles with bad dates undated"


def field_value(record: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    """``(True, value)`` of field ``name`` in ``record`` (dotted names nested), else
    ``(False, None)``."""
    if name in record:
        return True, record[name]
    if "." not in name:
        return False, None
    value: Any = record
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False, None
        value = value[part]
    return True, value


def is_missing(value: Any) -> bool:
    """None, NaN, ``pandas.NA`` or ``pandas.NaT``."""
    if value is None or type(value).__name__ in _MISSING_TYPES:
        return True
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, numbers.Integral)
        and math.isnan(value)
    )


class _Where(NamedTuple):
    path: str | None
    line: int | None
    row: str | None
    api: bool

    def error(self, message: str) -> InputError:
        return InputError(message, path=self.path, line=self.line, row=self.row)

    def option(self, name: str) -> str:
        return f"fields=FieldMap({name}=...)" if self.api else f"--{name}-field"


def article_from_record(
    record: Mapping[str, Any],
    fields: FieldMap | None = None,
    *,
    path: str | None = None,
    line: int | None = None,
    row: str | None = None,
    on_bad_date: str = "error",
    stats: ReadStats | None = None,
) -> Article | None:
    """One checked :class:`Article` from one record, or None when ``on_bad_date`` skips it.

    ``path`` and ``line`` (files) or ``row`` (in-memory records) name the record in errors.
    """
    fields = fields or FieldMap()
    where = _Where(path, line, row, api=path is None)
    article_id = _id(record, fields, where)
    found, text = field_value(record, fields.text)
    if not found or is_missing(text):
        names = printable(", ".join(map(str, record)))
        raise where.error(
            f"missing text field {fields.text!r} (fields here: {names}): add it, or name "
            f"the text field with {where.option('text')}"
        )
    if not isinstance(text, str):
        raise where.error(f"field {fields.text!r} must be a string, got {type(text).__name__}")
    _no_surrogates(text, fields.text, where)
    found, raw_date = field_value(record, fields.date)
    try:
        missing_date = not found or (row is not None and is_missing(raw_date))
        date = None if missing_date else parse_datetime(raw_date)
    except InputError as exc:
        if on_bad_date == "error":
            raise where.error(str(exc)) from None
        if stats is not None:
            stats.bad_dates += 1
        if on_bad_date == "skip":
            return None
        date = None
    article = Article(
        id=article_id,
        text=text,
        title=_optional(record, fields.title, where),
        date=date,
        source=_optional(record, fields.source, where),
        url=_optional(record, fields.url, where),
        story=_optional(record, fields.story, where),
    )
    if stats is not None:
        stats.articles += 1
        stats.dated += article.date is not None
    return article


def checked_articles(articles: Iterable[Article]) -> Iterator[Article]:
    """``articles`` as they come, each checked to be an :class:`Article` with a new id.

    Raises :class:`~dedupe_news.errors.ParameterError` on the first that is not, or
    when ``articles`` is not an iterable of them at all.
    """
    if isinstance(articles, (str, bytes, Mapping)) or not isinstance(articles, Iterable):
        raise ParameterError(
            f"expected an iterable of Article objects (or a DataFrame, or a list of dicts), "
            f"got a single {type(articles).__name__}: wrap texts as Article(id, text), or "
            "use read_articles(path)"
        )
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


def check_bad_date_policy(on_bad_date: str) -> None:
    if on_bad_date not in BAD_DATE_POLICIES:
        raise ParameterError(
            f"on_bad_date must be one of {', '.join(BAD_DATE_POLICIES)}, got {on_bad_date!r}"
        )


def warn_if_undated(stats: ReadStats, what: str, option: str) -> None:
    """Log one warning (logger ``dedupe_news``) when articles were read and none has a date.

    ``what`` names the input, ``option`` how to map the date field.
    """
    if stats.articles and not stats.dated:
        logger.warning(
            "none of the %d articles in %s has a date: the date window is off, so articles "
            "any time apart can be one story; map the date field (%s) to use it",
            stats.articles,
            what,
            option,
        )


def _id(record: Mapping[str, Any], fields: FieldMap, where: _Where) -> str:
    found, value = field_value(record, fields.id)
    if type(value) is str and value and value.isascii():
        return value
    if not found or is_missing(value) or (isinstance(value, str) and not value):
        raise where.error(
            f"missing id field {fields.id!r}: add it, or name the id field with "
            f"{where.option('id')}"
        )
    if isinstance(value, str):
        _no_surrogates(value, fields.id, where)
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        try:
            return str(int(value))
        except ValueError:  # over sys.get_int_max_str_digits() digits
            raise where.error(
                f"id field {fields.id!r} is an integer too long to write out: give ids as strings"
            ) from None
    hint = ""
    if isinstance(value, float) and value.is_integer():
        hint = " (a pandas column of integer ids with missing values turns float)"
    raise where.error(
        f"id field {fields.id!r} must be a string or an integer, got "
        f'{type(value).__name__} {_short(value)}{hint}: write ids as strings such as "a1"'
    )


def _optional(record: Mapping[str, Any], name: str, where: _Where) -> str | None:
    found, value = field_value(record, name)
    if isinstance(value, str):
        if not value:
            return None
        _no_surrogates(value, name, where)
        return value
    if not found or is_missing(value):
        return None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        try:
            return str(int(value))
        except ValueError:
            pass
    raise where.error(
        f"field {name!r} must be a string, got {type(value).__name__} {_short(value)}: "
        "write it as a string, or leave it empty"
    )


def _no_surrogates(value: str, name: str, where: _Where) -> None:
    match = None if value.isascii() else _SURROGATE.search(value)
    if match:
        raise where.error(
            f"field {name!r} has a lone surrogate \\u{ord(match[0]):04x} at character "
            f"{match.start()}: it is not a character; fix the escape (a \\ud8xx-\\udbff "
            "escape must be followed by a \\udc00-\\udfff one) or remove it"
        )


def printable(text: str) -> str:
    """``text`` with lone surrogates written as ``\\udxxx`` escapes, safe to print."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _short(value: Any) -> str:
    try:
        shown = repr(value)
    except ValueError:
        shown = "<too long to show>"
    return shown if len(shown) <= 40 else shown[:37] + "..."


def __getattr__(name: str) -> Any:
    """``iter_articles`` and ``read_articles`` live in :mod:`dedupe_news.readers`."""
    if name in ("iter_articles", "read_articles"):
        from . import readers

        return getattr(readers, name)
    if name == "articles_from_records":
        from . import tables

        return tables.articles_from_records
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
