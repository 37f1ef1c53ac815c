"""Publication times: parsing the forms news feeds use, normalised to UTC.

Accepted forms (:data:`DATE_FORMS`):

- an ISO 8601 date, ``2014-01-28``: a day, no time of day;
- an ISO 8601 date and time, ``2014-01-28T10:00:00+01:00`` (``Z``, ``+01:00``, ``+0100``
  or ``+01``; a time without an offset is taken as UTC; a space may replace the ``T``);
- an RFC 2822 date as in RSS and e-mail, ``Tue, 28 Jan 2014 10:00:00 +0000``;
- epoch seconds, ``1390903200`` (a number, or a string of digits with an optional
  fraction), UTC.

A value with a time of day becomes a timezone-aware :class:`datetime.datetime` in UTC;
a bare date stays a :class:`datetime.date`. The calendar day of an article is its UTC day.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import numbers
import re
from typing import Any, Protocol

from .errors import InputError

__all__ = [
    "DATE_FORMS",
    "Dated",
    "article_day",
    "article_time_key",
    "article_timestamp",
    "as_utc",
    "parse_date",
    "parse_datetime",
]

DATE_FORMS = (
    "YYYY-MM-DD (for example 2022-04-12), an ISO 8601 time (2022-04-12T10:00:00+01:00), "
    "an RFC 2822 date (Tue, 12 Apr 2022 10:00:00 +0000) or epoch seconds (1649754000)"
)

_ISO = re.compile(
    r"\A(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?\Z"
)
_EPOCH = re.compile(r"\A[+-]?\d+(?:\.\d*)?\Z")
_RFC2822 = re.compile(
    r"\A(?:[A-Za-z]{3},?\s+)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}", re.ASCII
)
_EPOCH_DAY = dt.date(1970, 1, 1)


class Dated(Protocol):
    """What the day and time helpers read: an :class:`~dedupe_news.Article`."""

    date: dt.date | None
    time: dt.datetime | None


def parse_datetime(
    value: Any, *, path: str | None = None, line: int | None = None
) -> dt.date | dt.datetime | None:
    """Parse one of the :data:`DATE_FORMS`; empty values give None.

    Returns a timezone-aware UTC :class:`~datetime.datetime` when the value has a time
    of day, a :class:`~datetime.date` when it is a bare date.

    >>> parse_datetime("2014-01-28T23:30:00-05:00")
    datetime.datetime(2014, 1, 29, 4, 30, tzinfo=datetime.timezone.utc)
    >>> parse_datetime("Tue, 28 Jan 2014 10:00:00 +0000")
    datetime.datetime(2014, 1, 28, 10, 0, tzinfo=datetime.timezone.utc)
    >>> parse_datetime(1390903200)
    datetime.datetime(2014, 1, 28, 10, 0, tzinfo=datetime.timezone.utc)
    >>> parse_datetime("2014-01-28")
    datetime.date(2014, 1, 28)
    """
    if value is None:
        return None
    if type(value) is str:
        return _parse_text(value, path, line)
    if isinstance(value, dt.datetime):
        if value != value:  # pandas.NaT is a datetime that is not equal to itself
            return None
        try:
            return as_utc(value)
        except ValueError as exc:
            raise _bad(value, str(exc), path, line) from None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise _bad(value, "a boolean is not a date", path, line)
    if isinstance(value, numbers.Real):
        return _from_epoch(value, path, line)
    if not isinstance(value, str):
        raise _bad(value, f"a {type(value).__name__} is not a date", path, line)
    return _parse_text(value, path, line)


def _parse_text(value: str, path: str | None, line: int | None) -> dt.date | dt.datetime | None:
    text = value.strip()
    if not text:
        return None
    match = _ISO.match(text)
    if match:
        return _from_iso(match, text, path, line)
    if _EPOCH.match(text):
        if re.fullmatch(r"\d{8}", text):
            raise _bad(text, "ambiguous: write 2014-01-28 for a day, or epoch seconds", path, line)
        return _from_epoch(float(text), path, line)
    if _RFC2822.match(text):
        try:
            return as_utc(email.utils.parsedate_to_datetime(text))
        except (TypeError, ValueError, OverflowError) as exc:
            raise _bad(text, str(exc), path, line) from None
    raise _bad(text, None, path, line)


def parse_date(value: Any, *, path: str | None = None, line: int | None = None) -> dt.date | None:
    """The UTC calendar day of :func:`parse_datetime`; empty values give None.

    >>> parse_date("2022-04-12T08:30:00Z")
    datetime.date(2022, 4, 12)
    >>> parse_date("") is None
    True
    """
    parsed = parse_datetime(value, path=path, line=line)
    return parsed.date() if isinstance(parsed, dt.datetime) else parsed


def as_utc(value: dt.datetime) -> dt.datetime:
    """``value`` in UTC, timezone-aware; a naive datetime is taken to be UTC already.

    Raises ValueError when the UTC time is out of range (0001-01-01T00:00+01:00).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    try:
        value = value.astimezone(dt.timezone.utc)
    except OverflowError as exc:
        raise ValueError(f"out of range in UTC ({exc})") from None
    if type(value) is not dt.datetime:  # a pandas.Timestamp, say: a plain datetime
        value = dt.datetime(
            value.year, value.month, value.day, value.hour, value.minute, value.second,
            value.microsecond, tzinfo=dt.timezone.utc,
        )  # fmt: skip
    return value


def article_day(article: Dated) -> float:
    """The article's UTC calendar day as a float ordinal (``date.toordinal()``), NaN undated.

    The date window counts whole days of these.

    >>> from dedupe_news import Article
    >>> article_day(Article("a", "x", date=dt.date(2014, 1, 28)))
    735261.0
    """
    return float(article.date.toordinal()) if article.date is not None else math.nan


def article_timestamp(article: Dated) -> float:
    """Seconds since 1970-01-01 UTC; a date without a time counts as 00:00 UTC; NaN undated."""
    if article.time is not None:
        return article.time.timestamp()
    if article.date is not None:
        return (article.date - _EPOCH_DAY).days * 86400.0
    return math.nan


def article_time_key(article: Dated) -> tuple[int, float]:
    """Sort key, earliest first: by :func:`article_timestamp`, undated articles last.

    Add the input position to break ties:
    ``sorted(range(n), key=lambda k: (*article_time_key(articles[k]), k))``.
    """
    seconds = article_timestamp(article)
    return (1, 0.0) if math.isnan(seconds) else (0, seconds)


def _from_iso(match: re.Match, text: str, path: str | None, line: int | None):
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        if hour is None:
            return dt.date(int(year), int(month), int(day))
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        tz = dt.timezone.utc
        if offset and offset not in "Zz":
            digits = offset[1:].replace(":", "")
            delta = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
            tz = dt.timezone(-delta if offset[0] == "-" else delta)
        value = dt.datetime(
            int(year), int(month), int(day), int(hour), int(minute or 0), int(second or 0),
            micro, tzinfo=tz,
        )  # fmt: skip
        return as_utc(value)
    except (ValueError, OverflowError) as exc:
        raise _bad(text, str(exc).split(": ", 1)[-1], path, line) from None


def _from_epoch(value: numbers.Real, path: str | None, line: int | None) -> dt.datetime:
    seconds = float(value) if not isinstance(value, numbers.Integral) else value
    hint = "out of range"
    if isinstance(seconds, float) and not math.isfinite(seconds):
        raise _bad(value, "not a finite number", path, line)
    if 1e11 < abs(seconds) < 1e16:
        hint = "out of range; epoch milliseconds? divide by 1000"
    try:
        if abs(seconds) <= 253402300799:  # 9999-12-31T23:59:59Z
            return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        pass
    raise _bad(value, hint, path, line)


def _bad(value: Any, why: str | None, path: str | None, line: int | None) -> InputError:
    try:
        shown = repr(value)
    except ValueError:  # an integer too long to print
        shown = f"<a {value.bit_length()}-bit integer>"
    if len(shown) > 60:
        shown = shown[:57] + "..."
    reason = f" ({why})" if why else ""
    return InputError(
        f"bad date {shown}{reason}: write dates as {DATE_FORMS}, or leave the field empty",
        path=path,
        line=line,
    )
