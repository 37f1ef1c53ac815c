"""Articles from in-memory tables: a pandas DataFrame, or an iterable of dicts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .articles import (
    Article,
    ReadStats,
    article_from_record,
    check_bad_date_policy,
    warn_if_undated,
)
from .errors import InputError, ParameterError
from .record_fields import FieldMap

__all__ = ["articles_from_records", "is_table"]


def articles_from_records(
    records: Any,
    *,
    fields: FieldMap | None = None,
    on_bad_date: str = "error",
    stats: ReadStats | None = None,
) -> list[Article]:
    """Checked :class:`Article`\\ s from a pandas DataFrame or an iterable of dicts.

    Each value is checked as the file readers check it: ids are strings or integers,
    the text a string, title/source/url/story strings (or integers), dates one of
    :data:`~dedupe_news.timestamps.DATE_FORMS`, a datetime or a ``pandas.Timestamp``.
    Missing values (None, NaN, ``pandas.NA``, ``pandas.NaT``) are missing fields.
    Articles are passed through. pandas is not needed: a DataFrame is recognised by
    its ``to_dict`` and ``columns``.

    Raises :class:`~dedupe_news.errors.InputError` naming the row (0-based position,
    and the index label of a DataFrame when it differs) and the fix.

    >>> [a.id for a in articles_from_records([{"id": 1, "text": "Storm hits"}])]
    ['1']
    """
    check_bad_date_policy(on_bad_date)
    fields = fields or FieldMap()
    stats = stats if stats is not None else ReadStats()
    stats.on_bad_date = on_bad_date
    result: list[Article] = []
    first_row: dict[str, str] = {}
    for row, item in _rows(records):
        if isinstance(item, Article):
            article: Article | None = item
            stats.articles += 1
            stats.dated += item.date is not None
        elif isinstance(item, Mapping):
            article = article_from_record(
                item, fields, row=row, on_bad_date=on_bad_date, stats=stats
            )
        else:
            raise InputError(
                f"a {type(item).__name__}, not a dict of fields or an Article: give dicts "
                'such as {"id": "a1", "text": "..."}',
                row=row,
            )
        if article is None:
            continue
        if article.id in first_row:
            raise InputError(
                f"duplicate id {article.id!r} (first in row {first_row[article.id]}): "
                "ids must be unique",
                row=row,
            )
        first_row[article.id] = row
        result.append(article)
    warn_if_undated(stats, "the records", "fields=FieldMap(date=...)")
    return result


def _rows(records: Any) -> Iterator[tuple[str, Any]]:
    if hasattr(records, "to_dict") and hasattr(records, "columns"):  # a pandas DataFrame
        rows = zip(list(records.index), records.to_dict("records"), strict=True)
        for position, (label, item) in enumerate(rows):
            shown = str(position) if label == position else f"{position} (index {label!r})"
            yield shown, item
        return
    if isinstance(records, (Mapping, str, bytes)) or not isinstance(records, Iterable):
        raise ParameterError(
            f"expected a pandas DataFrame or an iterable of dicts, got {type(records).__name__}"
        )
    for position, item in enumerate(records):
        yield str(position), item


def is_table(articles: object) -> bool:
    """A DataFrame, or a list whose first item is a dict: records to check and convert."""
    if hasattr(articles, "columns") and hasattr(articles, "to_dict"):
        return True
    return isinstance(articles, list) and bool(articles) and isinstance(articles[0], Mapping)
