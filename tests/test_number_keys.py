"""number_keys: one regex for numbers and units against the number-then-unit reader."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news.number_keys import number_key, number_keys
from tests.conftest import shared_file

_REF_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_REF_UNIT = re.compile(
    r"\s*(%|percent\b|per cent\b|pct\b|prozent\b|por ciento\b|pour cent\b|per cento\b|"
    r"procent\b|bn\b|billion\b|b\b|mrd\b|milliarden\b|mln\b|million\b|millionen\b|"
    r"mio\b|m\b|k\b|thousand\b|trillion\b|tn\b|trln\b)",
    re.IGNORECASE,
)


def reference_keys(text: str) -> list[str]:
    """Each number, then the unit matched where it ends (the session-6 reader)."""
    keys = []
    for m in _REF_NUMBER.finditer(text):
        unit = _REF_UNIT.match(text, m.end())
        key = number_key(m.group(), unit.group(1) if unit else None)
        if key is not None:
            keys.append(key)
    return keys


_PIECES = [
    "1", "12", "1,200", "1.5", "1,5", "3.", ".5", "1..2", "1,,2", "2,000,000", "12.5.1",
    " ", "  ", "\t", "\n", "\x1c", "\x00", "%", " %", "percent", "Percent", "per cent",
    "pct", "bn", "billion", "b", "B", "m", "mln", "Million", "k", "K", "tn", "trln",
    "thousand", "mrd", "Prozent", "por ciento", "pages", "bnx", "-", "$", "x", "mio", "\u0663",
]  # fmt: skip


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
def test_number_keys_are_the_number_then_unit_readers(text):
    assert number_keys(text) == reference_keys(text)
    assert number_keys(text) == reference_keys(text)  # (the second from the memory)


def test_number_keys_read_units_across_spellings():
    assert number_keys("76% and 76 percent, 1.1bn and 1.1 billion") == [
        "N:76%",
        "N:76%",
        "N:1.1e9",
        "N:1.1e9",
    ]
    assert number_keys("in 3 cities, 3 pct") == ["N:3%"]
    assert number_key("2,000,000", None) == "N:2000000"


def test_number_keys_on_real_articles():
    with open(shared_file("reuters21578.jsonl"), encoding="utf-8") as lines:
        rows = [json.loads(line) for _, line in zip(range(1000), lines, strict=False)]
    texts = [r.get("text") or "" for r in rows]
    assert sum(len(number_keys(t)) for t in texts) > 5000
    assert [number_keys(t) for t in texts] == [reference_keys(t) for t in texts]
