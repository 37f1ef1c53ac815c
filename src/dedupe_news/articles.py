"""The Article record, and the checks that turn input records into Articles.

Every value is checked where it enters: :func:`article_from_record` for one JSON object,
CSV row, Parquet row or dict (:func:`dedupe_news.tables.articles_from_records` for a
pandas DataFrame or an iterable of dicts). Errors are
:class:`~dedupe_news.errors.InputError`\\ s naming the file and line (or the row) and the
fix. The file readers live in :mod:`dedupe_news.readers` and are re-exported here, as
is :class:`~dedupe_news.record_fields.FieldMap` (the field names and value checks of a
record live in :mod:`dedupe_news.record_fields`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import EmptyCorpusError, InputError, ParameterError
from .record_fields import (
    FieldMap,
    RecordPlace,
    check_no_surrogates,
    field_value,
    is_missing,
    optional_field,
    printable,
    record_id,
)
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
    where = RecordPlace(path, line, row, api=path is None)
    article_id = record_id(record, fields, where)
    found, text = field_value(record, fields.text)
    if not found or is_missing(text):
        names = printable(", ".join(map(str, record)))
        raise where.error(
            f"missing text field {fields.text!r} (fields here: {names}): add it, or name "
            f"the text field with {where.option('text')}"
        )
    if not isinstance(text, str):
        raise where.error(f"field {fields.text!r} must be a string, got {type(text).__name__}")
    check_no_surrogates(text, fields.text, where)
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
        title=optional_field(record, fields.title, where),
        date=date,
        source=optional_field(record, fields.source, where),
        url=optional_field(record, fields.url, where),
        story=optional_field(record, fields.story, where),
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


def __getattr__(name: str) -> Any:
    """``iter_articles`` and ``read_articles`` live in :mod:`dedupe_news.readers`."""
    if name in ("iter_articles", "read_articles"):
        from . import readers

        return getattr(readers, name)
    if name == "articles_from_records":
        from . import tables

        return tables.articles_from_records
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
