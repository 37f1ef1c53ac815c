"""One field of an input record: named, looked up, and its value checked.

:class:`FieldMap` names the fields; :func:`field_value` finds one in a record
(dotted names reach into nested objects); :func:`record_id`,
:func:`optional_field` and :func:`check_no_surrogates` check a value, raising
:class:`~dedupe_news.errors.InputError`\\ s that name the record
(:class:`RecordPlace`) and the fix. :func:`~dedupe_news.articles.article_from_record`
builds an Article from them.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from .errors import InputError

__all__ = [
    "FieldMap",
    "RecordPlace",
    "check_no_surrogates",
    "field_value",
    "is_missing",
    "optional_field",
    "printable",
    "record_id",
]

_SURROGATE = re.compile("[\ud800-\udfff]")
_MISSING_TYPES = frozenset({"NAType", "NaTType"})  # pandas.NA, pandas.NaT


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


class RecordPlace(NamedTuple):
    """Where a record is, for its errors: file ``path`` and ``line``, or ``row`` of
    in-memory records; ``api`` names fields as Python arguments, else as CLI options."""

    path: str | None
    line: int | None
    row: str | None
    api: bool

    def error(self, message: str) -> InputError:
        return InputError(message, path=self.path, line=self.line, row=self.row)

    def option(self, name: str) -> str:
        return f"fields=FieldMap({name}=...)" if self.api else f"--{name}-field"


def record_id(record: Mapping[str, Any], fields: FieldMap, where: RecordPlace) -> str:
    """The record's id as a string (an integer id written out), or an error."""
    found, value = field_value(record, fields.id)
    if type(value) is str and value and value.isascii():
        return value
    if not found or is_missing(value) or (isinstance(value, str) and not value):
        raise where.error(
            f"missing id field {fields.id!r}: add it, or name the id field with "
            f"{where.option('id')}"
        )
    if isinstance(value, str):
        check_no_surrogates(value, fields.id, where)
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


def optional_field(record: Mapping[str, Any], name: str, where: RecordPlace) -> str | None:
    """Field ``name`` as a string (an integer written out), None when missing or empty."""
    found, value = field_value(record, name)
    if isinstance(value, str):
        if not value:
            return None
        check_no_surrogates(value, name, where)
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


def check_no_surrogates(value: str, name: str, where: RecordPlace) -> None:
    """An error when ``value`` (of field ``name``) holds a lone surrogate."""
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
