"""Numbers of a text with a unit class: the ``N:`` keys of :mod:`~dedupe_news.evidence`.

A number is a run of digits with ``.`` or ``,`` between digits (``1,200.5``); a unit
may follow it after spaces (``%``, ``percent``, ``bn``, ``mln``, ...: see
:data:`UNIT_CLASS`). ``76%`` and ``76 percent`` are one key (``N:76%``), ``$1.1bn``
and ``1.1 billion`` another (``N:1.1e9``). One-digit integers without a unit say
too little and give no key.

:func:`number_keys` finds them with one regex (a number and, where one follows it,
its unit) and turns each distinct number and unit into its key once
(:data:`_KEYS_READ`: numbers recur across articles).
"""

from __future__ import annotations

import itertools
import re

__all__ = ["UNIT_CLASS", "number_key", "number_keys"]

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_UNIT = re.compile(
    r"\s*(%|percent\b|per cent\b|pct\b|prozent\b|por ciento\b|pour cent\b|per cento\b|"
    r"procent\b|bn\b|billion\b|b\b|mrd\b|milliarden\b|mln\b|million\b|millionen\b|"
    r"mio\b|m\b|k\b|thousand\b|trillion\b|tn\b|trln\b)",
    re.IGNORECASE,
)
_NUMBER_AND_UNIT = re.compile(rf"({_NUMBER.pattern})(?:{_UNIT.pattern})?", re.IGNORECASE)
"""A number and its unit (:data:`_UNIT` where it follows the number, else empty)."""
UNIT_CLASS = {
    "%": "%", "percent": "%", "per cent": "%", "pct": "%", "prozent": "%",
    "por ciento": "%", "pour cent": "%", "per cento": "%", "procent": "%",
    "bn": "e9", "billion": "e9", "b": "e9", "mrd": "e9", "milliarden": "e9",
    "mln": "e6", "million": "e6", "m": "e6", "millionen": "e6", "mio": "e6",
    "k": "e3", "thousand": "e3",
    "trillion": "e12", "tn": "e12", "trln": "e12",
}  # fmt: skip
"""Each unit (lower case) and its class, the suffix of the key."""
_KEYS_READ: dict[tuple[str, str], tuple[str, ...]] = {}
_KEYS_READ_MAX = 1 << 17
"""The key of each number and unit read lately (empty: none), at most
:data:`_KEYS_READ_MAX`, then forgotten all at once."""


def number_key(raw: str, unit: str | None) -> str | None:
    """``N:<value><unit class>`` for a number worth comparing, else None.

    Thousands separators are dropped (``1,200`` is ``1200``); a decimal comma
    (``1,5``) becomes a point. One-digit integers without a unit say too little.

    >>> number_key("1,200", None), number_key("1,5", "Prozent"), number_key("3", "")
    ('N:1200', 'N:1.5%', None)
    """
    value = raw
    if "," in value:
        head, *rest = value.split(",")
        if all(len(part) == 3 and part.isdigit() for part in rest):
            value = head + "".join(rest)
        elif len(rest) == 1 and "." not in value:
            value = f"{head}.{rest[0]}"
    value = value.rstrip(".")
    unit_class = UNIT_CLASS.get(unit.lower().strip(), "") if unit else ""
    if len(value) < 2 and not unit_class:
        return None
    return f"N:{value}{unit_class}"


def number_keys(text: str) -> list[str]:
    """The ``N:`` keys of ``text``, in order, repeats kept.

    >>> number_keys("Profit rose 76 percent to $1.1bn in 3 cities")
    ['N:76%', 'N:1.1e9']
    """
    return list(itertools.chain.from_iterable(_key_tuples(_NUMBER_AND_UNIT.findall(text))))


def _key_tuples(numbers: list[tuple[str, str]]) -> list[tuple[str, ...]]:
    """The key of each (number, unit) as a tuple of none or one key."""
    keys = list(map(_KEYS_READ.get, numbers))
    for n in [n for n, key in enumerate(keys) if key is None]:
        if len(_KEYS_READ) >= _KEYS_READ_MAX:
            _KEYS_READ.clear()
        key = number_key(*numbers[n])
        keys[n] = _KEYS_READ[numbers[n]] = (key,) if key else ()
    return keys
