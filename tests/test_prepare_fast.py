"""The fast prepare stage against the plain composition it replaces.

``prepare_texts`` tokenises a batch (:func:`batch_article_tokens`, with the phrase
literals found for the whole batch), looks each token up once in a
:class:`TokenTable` and signs and counts from arrays. The reference is what it did
before: ``tokenize(strip_boilerplate(text))``, ``MinHasher.sign`` of the token
lists, ``term_counts`` of their :func:`article_terms`. Signatures, term counts
(values, columns, dtypes) and token counts must be identical.
"""

from __future__ import annotations

import dataclasses
import json
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news.articles import Article, joined_text
from dedupe_news.batch_prepare import STUB_TEXT_CHARS, stub
from dedupe_news.boilerplate_rules import PHRASE_LITERALS, phrase_literals_in
from dedupe_news.minhash import MinHasher
from dedupe_news.normalize import article_tokens, strip_boilerplate, tokenize
from dedupe_news.prepare import (
    article_terms,
    batch_article_tokens,
    prepare_texts,
    term_column,
    term_columns,
    term_counts,
)
from dedupe_news.terms import STOP_WORDS
from dedupe_news.token_table import TokenTable
from tests.conftest import shared_file
from tests.test_normalize_reference import line_strategy

BACKENDS = ["numba", "numpy"]
# Words around the "reads as English" rule: English stop words, single letters,
# digits, ASCII and non-ASCII words (Cyrillic, Chinese, Arabic, accents).
WORDS = sorted(STOP_WORDS)[:40] + [
    "a", "x", "7", "2039", "storm", "talks", "ставка", "ставку", "банк", "北京", "举行",
    "بالأقصر", "rentenreformen", "état", "naïve", "O'Neill's", "don't",
]  # fmt: skip
WORD_TEXTS = st.lists(st.sampled_from(WORDS), min_size=0, max_size=45).map(" ".join)
# Few stop words among 20-45 words: near and past the rule's thresholds.
FOREIGN_TEXTS = st.builds(
    lambda words, stops: " ".join(words + stops),
    st.lists(st.sampled_from(WORDS[40:]), min_size=20, max_size=40),
    st.lists(st.sampled_from(WORDS[:40]), max_size=10),
)
TEXTS = st.one_of(
    WORD_TEXTS,
    FOREIGN_TEXTS,
    st.lists(line_strategy, min_size=0, max_size=8).map("\n".join),
    st.text(alphabet="ab '\n:(©`.’", max_size=30),
)


def assert_same_as_reference(texts, backend):
    prepared = prepare_texts(texts, MinHasher(num_perm=32, backend=backend))
    tokens = [tokenize(strip_boilerplate(t)) for t in texts]
    kept = [t for t in tokens if t]
    assert prepared.has_text.tolist() == [bool(t) for t in tokens]
    reference = MinHasher(num_perm=32, backend="numpy").sign(kept)
    np.testing.assert_array_equal(prepared.signatures.hashvalues, reference.hashvalues)
    np.testing.assert_array_equal(prepared.signatures.shingle_counts, reference.shingle_counts)
    assert prepared.token_counts.tolist() == [len(t) for t in kept]
    expected, counts = term_counts([article_terms(t) for t in kept]), prepared.term_counts
    assert counts.shape == expected.shape and counts.dtype == expected.dtype
    for name in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(counts, name), getattr(expected, name))
        assert getattr(counts, name).dtype == getattr(expected, name).dtype


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(TEXTS, min_size=0, max_size=12))
def test_prepare_texts_matches_the_plain_composition(backend, texts):
    assert_same_as_reference(texts, backend)


@pytest.mark.parametrize(
    "name", ["bbc2225.jsonl", "ecbplus_dev.jsonl", "gva_dev.jsonl", "reuters21578.jsonl",
             "ruwa_april2022_dev.jsonl", "uci_headlines_dev.jsonl"],
)  # fmt: skip
def test_prepare_texts_matches_the_plain_composition_on_real_articles(name):
    with open(shared_file(name), encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines][::5]
    texts = [joined_text(r.get("title"), r.get("text") or "") for r in rows]
    for backend in BACKENDS:
        assert_same_as_reference(texts[:2500], backend)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 ()*{}:-\n", max_size=60)
                | st.lists(st.sampled_from(PHRASE_LITERALS[:4] + PHRASE_LITERALS[-4:] + ("x", " ")),
                           max_size=8).map("".join), max_size=8))  # fmt: skip
def test_phrase_literals_in_finds_what_in_finds(texts):
    texts = [t.lower() for t in texts if t.isascii()]
    expected = [{literal for literal in PHRASE_LITERALS if literal in t} for t in texts]
    assert phrase_literals_in(texts) == expected


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(TEXTS, max_size=6))
def test_batch_article_tokens_are_article_tokens(texts):
    assert batch_article_tokens(texts) == [article_tokens(t) for t in texts]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=20))
def test_term_columns_are_the_hashing_vectorizers(terms):
    assert term_columns(terms).tolist() == [term_column(t) for t in terms]


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=60, deadline=None, derandomize=True)
@given(docs=st.lists(st.lists(st.text(max_size=5) | st.sampled_from(WORDS), max_size=25),
                     min_size=1, max_size=6), size=st.integers(1, 5))  # fmt: skip
def test_signing_token_hashes_is_signing_the_tokens(backend, docs, size):
    hasher = MinHasher(num_perm=16, shingle_size=size, backend=backend)
    hashes = np.array([zlib.crc32(t.encode()) for d in docs for t in d], dtype=np.uint32)
    signed = hasher.sign_token_hashes(hashes, np.array([len(d) for d in docs]))
    expected = MinHasher(num_perm=16, shingle_size=size, backend="numpy").sign(docs)
    np.testing.assert_array_equal(signed.hashvalues, expected.hashvalues)
    np.testing.assert_array_equal(signed.shingle_counts, expected.shingle_counts)


def test_a_full_token_table_starts_afresh_and_stays_right():
    table = TokenTable(term_columns, max_tokens=5)
    batches = [["the", "storm", "hit"], ["storm", "talks", "a", "new", "coast"], ["talks"] * 3]
    for tokens in batches:
        crc, column, is_term = table.lookup(tokens)
        assert crc.tolist() == [zlib.crc32(t.encode()) for t in tokens]
        assert column.tolist() == [term_column(t) for t in tokens]
        assert is_term.tolist() == [t not in STOP_WORDS and len(t) > 1 for t in tokens]
        assert len(table) <= 5


@pytest.mark.parametrize("n_words", [29, 30, 31, 40])
def test_prepare_texts_reads_as_english_exactly_at_the_thresholds(n_words):
    # Each text: n_words tokens, k of them English stop words, the rest Russian.
    texts = [
        " ".join(["the"] * k + ["ставку"] * (n_words - k - 1) + ["rentenreformen"])
        for k in range(0, n_words // 3)
    ]
    assert_same_as_reference(texts, "numpy")


@settings(max_examples=400, deadline=None, derandomize=True)
@given(
    st.text(alphabet=list("ab \n\r\t\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), max_size=450),
    st.integers(0, 300),
)
def test_stub_keeps_the_first_line_cut_as_before(text, padding):
    article = Article("a1", "y" * padding + text + "z", title="T")
    lines = article.text.strip().splitlines()  # stub as it was: every line split
    expected = dataclasses.replace(article, text=lines[0][:STUB_TEXT_CHARS] if lines else "")
    assert stub(article) == expected
    assert stub(article).__dict__ == expected.__dict__


def test_prepare_corpus_collects_garbage_less_often_and_restores_the_collector():
    import gc

    from dedupe_news.articles import Article
    from dedupe_news.batch_prepare import GC_THRESHOLD, prepare_corpus

    before = gc.get_threshold()
    seen = []
    articles = [Article(f"a{k}", f"Storm {k} hits the coast", title="Storm") for k in range(5)]
    prepared = prepare_corpus(
        articles,
        MinHasher(),
        streamed=False,
        with_evidence=True,
        n_jobs=1,
        report=lambda done, total: seen.append(gc.get_threshold()[0]),
    )
    assert prepared.kept.tolist() == [0, 1, 2, 3, 4]
    assert set(seen[1:]) == {max(before[0], GC_THRESHOLD)}  # (the first report comes before)
    assert gc.get_threshold() == before

    def failing():
        yield articles[0]
        raise ValueError("bad line")

    with pytest.raises(ValueError, match="bad line"):
        prepare_corpus(failing(), MinHasher(), streamed=True, n_jobs=1)
    assert gc.get_threshold() == before
