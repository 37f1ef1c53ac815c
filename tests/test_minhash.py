from __future__ import annotations

import sys

import numpy as np
import pytest
from datasketch import MinHash
from datasketch.lsh import _optimal_param
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news import MinHasher, ParameterError, shingle_hash
from dedupe_news.lsh import lsh_candidate_pairs, lsh_params
from dedupe_news.normalize import shingles

WORDS = st.sampled_from([f"w{i}" for i in range(40)])
DOCS = st.lists(WORDS, min_size=0, max_size=60)
# Any tokens a caller might pass: non-ASCII, empty, with spaces or NUL bytes.
ODD_TOKENS = st.lists(st.text(max_size=6) | WORDS, min_size=0, max_size=30)
BACKENDS = ["numba", "numpy"]


def datasketch_signature(tokens, num_perm, seed, size):
    m = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=shingle_hash)
    m.update_batch(shingles(tokens, size))
    return m.hashvalues


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=60, deadline=None)
@given(docs=st.lists(DOCS, min_size=1, max_size=6), size=st.integers(1, 6), seed=st.integers(0, 5))
def test_minhasher_signatures_equal_datasketch(backend, docs, size, seed):
    signatures = MinHasher(num_perm=32, seed=seed, shingle_size=size, backend=backend).sign(docs)
    for row, tokens in zip(signatures.hashvalues, docs):
        np.testing.assert_array_equal(row, datasketch_signature(tokens, 32, seed, size))


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=60, deadline=None)
@given(docs=st.lists(DOCS, min_size=1, max_size=5), size=st.integers(1, 4))
def test_minhasher_shingle_counts_are_exact(backend, docs, size):
    signatures = MinHasher(num_perm=8, shingle_size=size, backend=backend).sign(docs)
    expected = [len({shingle_hash(s) for s in shingles(d, size)}) for d in docs]
    assert signatures.shingle_counts.tolist() == expected


@settings(max_examples=80, deadline=None)
@given(docs=st.lists(ODD_TOKENS, min_size=1, max_size=6), size=st.integers(1, 5))
def test_compiled_and_numpy_backends_agree_on_any_tokens(docs, size):
    compiled = MinHasher(num_perm=16, shingle_size=size, backend="numba").sign(docs)
    plain = MinHasher(num_perm=16, shingle_size=size, backend="numpy").sign(docs)
    np.testing.assert_array_equal(compiled.hashvalues, plain.hashvalues)
    np.testing.assert_array_equal(compiled.shingle_counts, plain.shingle_counts)
    for row, tokens in zip(compiled.hashvalues, docs):
        np.testing.assert_array_equal(row, datasketch_signature(tokens, 16, 1, size))


def test_compiled_backend_signs_long_articles_like_datasketch():
    rng = np.random.default_rng(7)
    vocabulary = [f"token{i}" for i in range(3000)] + ["état", "日本", "naïve"]
    docs = [list(rng.choice(vocabulary, size=n)) for n in (0, 1, 4, 5, 6, 700, 2500)]
    signatures = MinHasher(backend="numba").sign(docs)
    for row, tokens in zip(signatures.hashvalues, docs):
        np.testing.assert_array_equal(row, datasketch_signature(tokens, 128, 1, 5))


def test_compiled_backend_signs_tokens_holding_nul_bytes_the_slow_way():
    docs = [["peace", "talks\x00end", "in", "istanbul"], ["dead", "end"], []]
    compiled = MinHasher(num_perm=16, shingle_size=2, backend="numba").sign(docs)
    for row, tokens in zip(compiled.hashvalues, docs):
        np.testing.assert_array_equal(row, datasketch_signature(tokens, 16, 1, 2))


def test_crc_table_of_the_compiled_loop_is_zlibs():
    import zlib

    from dedupe_news.minhash_kernel import CRC_TABLE

    for byte in range(256):  # the CRC-32 of one byte is the table entry of its complement
        assert int(CRC_TABLE[byte ^ 0xFF]) == zlib.crc32(bytes([byte])) ^ 0xFF000000


def test_minhasher_rejects_an_unknown_backend():
    with pytest.raises(ParameterError, match="backend"):
        MinHasher(backend="cuda")


@settings(max_examples=40, deadline=None, derandomize=True)
@given(a=st.lists(WORDS, min_size=8, max_size=80), b=st.lists(WORDS, min_size=8, max_size=80))
def test_minhash_jaccard_estimate_is_close_to_exact(a, b):
    num_perm = 256
    signatures = MinHasher(num_perm=num_perm, shingle_size=2).sign([a, b])
    set_a, set_b = set(shingles(a, 2)), set(shingles(b, 2))
    exact = len(set_a & set_b) / len(set_a | set_b)
    estimate = float(signatures.jaccard_similarity([0], [1])[0])
    # Binomial standard error is at most 0.5/sqrt(256) = 0.031; allow 5 of them.
    assert abs(estimate - exact) <= 0.16


@settings(max_examples=40, deadline=None, derandomize=True)
@given(a=st.lists(WORDS, min_size=10, max_size=60), extra=st.lists(WORDS, min_size=0, max_size=60))
def test_minhash_containment_estimate_is_close_to_exact(a, extra):
    b = a + extra  # a is contained in b
    signatures = MinHasher(num_perm=256, shingle_size=2).sign([a, b])
    set_a, set_b = set(shingles(a, 2)), set(shingles(b, 2))
    exact = len(set_a & set_b) / min(len(set_a), len(set_b))
    estimate = float(signatures.containment_similarity([0], [1])[0])
    assert abs(estimate - exact) <= 0.2


def test_minhash_empty_document_has_no_similarity():
    signatures = MinHasher(num_perm=16).sign([[], []])
    assert signatures.jaccard_similarity([0], [1]).tolist() == [0.0]
    assert signatures.shingle_counts.tolist() == [0, 0]


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8])
def test_lsh_params_match_datasketch(threshold):
    assert lsh_params(threshold, 128) == _optimal_param(threshold, 128, 0.5, 0.5)


def test_lsh_params_rejects_bad_threshold():
    with pytest.raises(ParameterError, match="between 0 and 1"):
        lsh_params(1.5, 128)


def test_lsh_candidate_pairs_finds_copies_not_strangers():
    rng = np.random.default_rng(0)
    base = [f"w{i}" for i in rng.integers(0, 5000, 300)]
    edited = base[:150] + ["changed"] + base[151:]
    other = [f"w{i}" for i in rng.integers(0, 5000, 300)]
    i, j = lsh_candidate_pairs(MinHasher().sign([base, other, edited]), threshold=0.5)
    assert list(zip(i.tolist(), j.tolist())) == [(0, 2)]


def test_lsh_candidate_pairs_links_large_buckets_of_identical_copies():
    doc = [f"w{i}" for i in range(50)]
    i, j = lsh_candidate_pairs(MinHasher().sign([doc] * 200), threshold=0.5, max_bucket=8)
    adjacency = {(a, b) for a, b in zip(i.tolist(), j.tolist())}
    assert all((k, k + 1) in adjacency for k in range(199))  # connected chain
    assert len(adjacency) < 200 * 8  # but not all 19,900 pairs


def test_minhasher_says_how_to_get_numba_when_it_is_missing(monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "numba" else real_find_spec(name, *a),
    )
    with pytest.raises(ParameterError, match=r"dedupe-news\[fast\]"):
        MinHasher(backend="numba")
    monkeypatch.setitem(sys.modules, "dedupe_news.minhash_kernel", None)  # importing it fails
    hasher = MinHasher()  # so "auto" must sign with numpy
    docs = [[f"w{i}" for i in range(300)]] * (250)
    np.testing.assert_array_equal(
        hasher.sign(docs).hashvalues[0], datasketch_signature(docs[0], 128, 1, 5)
    )
