"""name_runs: the one-pass readers against the line-by-line reader, key for key, in order."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news.name_runs import line_name_keys, name_keys, texts_name_keys
from tests.conftest import shared_file

_WORDS = [
    "Putin", "Vladimir", "Bank", "of", "of's", "England", "de", "la", "Cruz", "the", "The",
    "Monday", "NATO", "NATO's", "AB'S", "A", "I", "US", "US's", "IBM", "UNITED", "UNITED's",
    "eBay", "iPhone", "van", "Gogh", "talks", "said", "and", "St", "Jean-Pierre", "O'Neil",
    "New", "York", "it", "In", "shares", "Shr", "Net", "vs", "X's", "Of", "Bank-of", "al",
    "REUTERS", "Coca-Cola", "x-Ray", "K", "Ltd", "Corp",
]  # fmt: skip
_GAPS = [
    " ", " ", " ", ", ", ". ", " - ", "-", "--", "- ", " -", ": ", " (", ") ", "\n",
    "; ", '"', "  ", "\t", "\x1f", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "' ", " '", "'", "3",
    " 12 ", "_", "!\n", " ?", "|", "[", "\x01", " \x01",
]  # fmt: skip


def line_by_line(text: str) -> tuple[list[str], list[str]]:
    keys: list[str] = []
    openers: list[str] = []
    for line in text.splitlines():
        line_name_keys(line, keys, openers)
    return keys, openers


def one_pass(text: str) -> tuple[list[str], list[str]]:
    """The text read in the ASCII pass (which reads two texts or more)."""
    return texts_name_keys([text, ""])[0]


def test_one_text_is_read_line_by_line_and_as_in_a_batch():
    text = "Putin met Recep Erdogan.\nTHE TALKS IN ISTANBUL\nThe Bank of England's rate"
    keys: list[str] = []
    openers: list[str] = []
    name_keys(text, keys, openers)
    assert (keys, openers) == line_by_line(text) == one_pass(text)
    assert keys == [
        "E:recep",
        "E:erdogan",
        "E:recep erdogan",
        "E:bank",
        "E:england",
        "E:bank of england",
    ]
    assert openers == ["E:putin"]


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_GAPS)), max_size=60))
def test_the_ascii_pass_reads_what_the_line_reader_reads(pieces):
    text = "".join(word + gap for word, gap in pieces)
    assert text.isascii()
    # Twice, and its opening stretch mid-sentence and opening a sentence: the later reads
    # come from the memory of stretches read.
    variants = [text, text, "said " + text, "said. " + text, "said " + text]
    for variant in variants:
        assert one_pass(variant) == line_by_line(variant)
    # Read together, with a text in another script among them.
    variants.insert(2, "\u0141\u00f3d\u017a " + text)
    assert texts_name_keys(variants) == [line_by_line(v) for v in variants]


@pytest.mark.parametrize("name", ["reuters21578", "gva_dev", "ecbplus_dev", "uci_headlines_dev"])
def test_the_ascii_pass_reads_real_articles_as_the_line_reader(name):
    with open(shared_file(f"{name}.jsonl"), encoding="utf-8") as lines:
        rows = [json.loads(line) for _, line in zip(range(1500), lines, strict=False)]
    texts = [f"{r.get('title') or ''}\n{r.get('text') or ''}" for r in rows]
    assert sum(t.isascii() for t in texts) > 100  # the pass is tried
    assert texts_name_keys(texts) == [line_by_line(text) for text in texts]
