from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import stop_word_table
from dedupe_news.errors import ParameterError
from dedupe_news.normalize import normalize_text, tokenize
from dedupe_news.stopwords import (
    MAX_DOCUMENT_SHARE,
    MIN_DOCUMENTS,
    REFERENCE_TABLE,
    frequent_terms_mask,
    reference_stop_words,
    stop_entries,
)
from dedupe_news.terms import content_terms, word_stem
from dedupe_news.weighting import document_frequencies, smooth_idf, stop_terms, tfidf_rows
from tests.conftest import shared_file


def test_frequent_terms_need_the_share_and_the_minimum_count():
    assert frequent_terms_mask([10, 6, 5, 1], 10, max_share=0.5, min_documents=3).tolist() == [
        True,
        True,
        False,
        False,
    ]
    assert frequent_terms_mask([3, 2], 3, max_share=0.5, min_documents=3).tolist() == [True, False]
    assert not frequent_terms_mask([5, 5], 5).any()  # five rewrites: shared terms are evidence


def test_max_share_is_checked():
    with pytest.raises(ParameterError):
        frequent_terms_mask([1], 1, max_share=0.0)


def _stop_weighted(counts: sp.csr_matrix) -> np.ndarray:
    """TF-IDF rows of ``counts`` with the corpus stop words, as every engine weighs them."""
    df = document_frequencies(counts)
    n = counts.shape[0]
    return tfidf_rows(counts, smooth_idf(df, n), stop_terms(df, n)).toarray()


def test_stop_entries_leave_out_frequent_terms_but_never_a_whole_row():
    indptr = np.array([0, 3, 5, 6, 6])  # rows of 3, 2, 1 and 0 entries
    frequent = np.array([True, False, True, True, True, True])
    assert stop_entries(indptr, frequent).tolist() == [True, False, True, False, False, False]


def test_frequent_terms_weigh_nothing_but_no_row_is_emptied():
    dense = np.zeros((20, 4), dtype=np.float32)
    dense[:, 0] = 2  # in every row: a stop word (20 rows, at least MIN_DOCUMENTS)
    dense[:10, 1] = 1
    dense[10:19, 2] = 1  # row 19 has only the stop word
    dense[0, 3] = 1
    out = _stop_weighted(sp.csr_matrix(dense))
    assert (out[:19, 0] == 0).all() and out[19, 0] == 1.0
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0)
    plain = tfidf_rows(sp.csr_matrix(dense), smooth_idf(document_frequencies(dense), 20))
    assert (plain.toarray()[:, 0] > 0).all()  # without stop words it weighs in every row


def test_a_small_corpus_keeps_every_term():
    dense = np.ones((MIN_DOCUMENTS - 1, 3), dtype=np.float32)
    counts = sp.csr_matrix(dense)
    plain = tfidf_rows(counts, smooth_idf(document_frequencies(counts), dense.shape[0]))
    assert _stop_weighted(counts).tobytes() == plain.toarray().tobytes()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.lists(st.lists(st.integers(0, 3), min_size=5, max_size=5), min_size=1, max_size=30),
)
def test_matches_a_row_by_row_reference(rows):
    """Each row weighed alone with the frequent terms' counts set to zero (unless that
    empties the row) gives the same weights."""
    counts = sp.csr_matrix(np.array(rows, dtype=np.float32))
    n = len(rows)
    df = [sum(1 for r in rows if r[t]) for t in range(5)]
    frequent = [df[t] > MAX_DOCUMENT_SHARE * n and df[t] >= MIN_DOCUMENTS for t in range(5)]
    idf = smooth_idf(np.array(df), n)
    expected = []
    for r in rows:
        kept = [c if not frequent[t] else 0 for t, c in enumerate(r)]
        kept = kept if any(kept) else list(r)
        weights = [(1 + np.log(c)) * idf[t] if c else 0.0 for t, c in enumerate(kept)]
        norm = np.sqrt(sum(w * w for w in weights)) or 1.0
        expected.append([w / norm for w in weights])
    assert np.allclose(_stop_weighted(counts), np.array(expected), atol=1e-6)


def test_stop_words_no_longer_link_articles_through_them():
    dense = np.zeros((12, 13), dtype=np.float32)
    dense[:, 0] = 3  # a function word in every article
    dense[np.arange(12), np.arange(12) + 1] = 1  # one story word each
    counts = sp.csr_matrix(dense)
    plain = tfidf_rows(counts, smooth_idf(document_frequencies(counts), 12))
    assert (plain @ plain.T).toarray()[0, 1] > 0.3  # every term kept: the function word links them
    rows = sp.csr_matrix(_stop_weighted(counts))
    assert (rows @ rows.T).toarray()[0, 1] == 0.0


def _reference_table() -> str:
    return (
        Path(stop_word_table.__file__).parents[1] / "src" / "dedupe_news" / REFERENCE_TABLE
    ).read_text(encoding="utf-8")


def test_the_reference_table_is_small_json_of_frequent_stems():
    text = _reference_table()
    assert len(text.encode()) < 8_000
    table = json.loads(text)
    assert table["max_share"] == MAX_DOCUMENT_SHARE and table["min_documents"] == MIN_DOCUMENTS
    assert table["languages"]["en"]["terms"] == {}  # English keeps its own list
    for language, entry in table["languages"].items():
        assert all(share > MAX_DOCUMENT_SHARE for share in entry["terms"].values()), language
        assert all(word_stem(t) == t for t in entry["terms"]), language
    assert {"der", "que", "che", "się", "bir"} <= reference_stop_words()


def test_the_reference_table_rebuilds_from_the_shared_corpora():
    data = shared_file("semeval_multilingual_pairs_dev.jsonl").parent
    assert stop_word_table.dump(stop_word_table.build(data)) == _reference_table()


def test_reference_stop_words_leave_text_that_reads_as_english_alone():
    spanish = tokenize(
        normalize_text(
            "El gobernador del Banco de España presentó en Madrid unas previsiones más "
            "optimistas: la economía crecerá un 2,3 por ciento gracias al turismo y al "
            "consumo de los hogares, según el organismo, que mantiene la inflación en torno "
            "al 3 por ciento."
        )
    )
    terms = content_terms(spanish)
    assert "gober" in terms and "madri" in terms
    assert not {"el", "la", "que", "los", "del"} & set(terms)
    assert {"el", "que", "los"} <= set(content_terms(spanish, reference=False))
    english = tokenize(normalize_text("Police in Los Angeles said a man died. " * 5))
    assert "los" in content_terms(english)  # English text keeps whole words, "los" too
