"""The compiled row-pair dot product against scipy's elementwise product, bit for bit."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("numba")

from dedupe_news.evidence_table import EvidenceTable  # noqa: E402
from dedupe_news.minhash import Signatures  # noqa: E402
from dedupe_news.model_features import neighbour_graph  # noqa: E402
from dedupe_news.pair_features import cosine_similarity_pairs, pair_features  # noqa: E402
from dedupe_news.pair_kernel import (  # noqa: E402
    PAIRWISE_BLOCK,
    pair_dot_products,
    pair_weight_sums,
    pairwise_sum,
    signature_agreement,
)

# Magnitudes whose products round, are exact, or underflow to zero (scipy drops a
# zero product, which changes how numpy groups the rest of the sum).
SCALES = np.array([1e-30, 1e-20, 1e-3, 0.5, 1.0, 3.0, 1e5])


def scipy_products(left, i, right, j) -> np.ndarray:
    """The slow exact reference: scipy's elementwise product summed per row."""
    return np.asarray(left[i].multiply(right[j]).sum(axis=1)).ravel().astype(np.float64)


def random_rows(
    seed: int, n_rows: int, n_columns: int, density: float, dtype, non_finite: bool = False
) -> sp.csr_matrix:
    """Canonical CSR rows with signed values of mixed magnitudes and some stored zeros
    (and, when ``non_finite``, some infinities and NaNs)."""
    rng = np.random.default_rng(seed)
    matrix = sp.random(n_rows, n_columns, density=density, format="csr", random_state=rng)
    values = rng.normal(size=matrix.nnz) * SCALES[rng.integers(0, SCALES.size, matrix.nnz)]
    values[rng.random(matrix.nnz) < 0.05] = 0.0
    if non_finite:
        odd = rng.random(matrix.nnz) < 0.03
        values[odd] = rng.choice([np.inf, -np.inf, np.nan], size=int(odd.sum()))
    matrix.data = values
    matrix.sort_indices()
    return matrix.astype(dtype)


shapes = st.tuples(
    st.integers(0, 2**31 - 1),  # seed
    st.integers(1, 40),  # rows
    st.sampled_from([1, 7, 40, 300, 1200]),  # columns: long rows pass PAIRWISE_BLOCK
    st.sampled_from([0.02, 0.2, 0.6, 1.0]),  # density
    st.sampled_from([np.float32, np.float64]),
)


@settings(max_examples=120, derandomize=True, deadline=None)
@given(shapes, st.data())
def test_pair_dot_products_equal_scipy_bit_for_bit(shape, data):
    seed, n_rows, n_columns, density, dtype = shape
    odd = data.draw(st.sampled_from([False, False, "left", "right"]))
    left = random_rows(seed, n_rows, n_columns, density, dtype, odd == "left")
    n_right = data.draw(st.integers(1, 40))
    right = random_rows(seed + 1, n_right, n_columns, density, dtype, odd == "right")
    n_pairs = data.draw(st.integers(0, 60))
    rows = st.lists(st.integers(0, n_rows - 1), min_size=n_pairs, max_size=n_pairs)
    others = st.lists(st.integers(0, right.shape[0] - 1), min_size=n_pairs, max_size=n_pairs)
    i = np.array(data.draw(rows), dtype=np.intp)
    j = np.array(data.draw(others), dtype=np.intp)
    if data.draw(st.booleans()):  # sorted by the left row, as candidate pairs come
        order = np.argsort(i, kind="stable")
        i, j = i[order], j[order]
    with np.errstate(invalid="ignore", over="ignore"):
        got = pair_dot_products(left, i, right, j)
        assert got.dtype == np.float64
        assert got.tobytes() == scipy_products(left, i, right, j).tobytes()


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 2000), st.sampled_from([np.float32, np.float64]))
def test_first_value_plus_pairwise_sum_of_the_rest_is_numpys_reduceat(seed, size, dtype):
    rng = np.random.default_rng(seed)
    values = (rng.normal(size=size) * SCALES[rng.integers(0, SCALES.size, size)]).astype(dtype)
    expected = np.add.reduceat(values, [0])
    got = np.array([values[0] + pairwise_sum(values, 1, size - 1, dtype(0))], dtype=dtype)
    assert got.tobytes() == expected.tobytes()


def test_a_row_longer_than_a_block_sums_in_halves_like_numpy():
    values = np.random.default_rng(1).normal(size=5 * PAIRWISE_BLOCK + 3)
    row = sp.csr_matrix(values[None, :])
    ones = sp.csr_matrix(np.ones((1, values.size)))
    got = pair_dot_products(row, np.array([0]), ones, np.array([0]))
    assert got.tobytes() == scipy_products(row, [0], ones, [0]).tobytes()
    assert got[0] != sum(values.tolist())  # the order of the additions shows


def test_cosine_pairs_take_the_compiled_path_with_the_same_cosines(monkeypatch):
    features = importlib.import_module("dedupe_news.pair_features")
    kernel = importlib.import_module("dedupe_news.pair_kernel")
    calls = []
    monkeypatch.setattr(
        kernel, "pair_dot_products", lambda *a: calls.append(1) or pair_dot_products(*a)
    )
    rng = np.random.default_rng(5)
    rows = random_rows(6, 300, 500, 0.1, np.float32)
    rows.data = np.abs(rows.data)
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    rows = sp.csr_matrix(sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ rows, dtype=np.float32)
    rows.sort_indices()
    i = rng.integers(0, 300, features.COMPILED_MIN_PAIRS + 17)
    j = rng.integers(0, 300, i.size)
    reference = np.clip(scipy_products(rows, i, rows, j), 0.0, 1.0)
    assert cosine_similarity_pairs(rows, i, rows, j).tobytes() == reference.tobytes()
    assert calls  # the compiled path ran
    monkeypatch.setattr(features, "_NUMBA_INSTALLED", False)  # the numpy path: same bytes
    calls.clear()
    assert cosine_similarity_pairs(rows, i, rows, j).tobytes() == reference.tobytes()
    assert not calls


def test_the_candidate_graph_is_canonical_and_its_cosines_are_unchanged():
    rng = np.random.default_rng(7)
    n = 400
    a, b = rng.integers(0, n, 3000), rng.integers(0, n, 3000)
    keep = a < b
    cosine = rng.random(keep.sum())
    graph = neighbour_graph(n, a[keep], b[keep], cosine)
    assert graph.has_canonical_format
    # The rows as the product left them (descending columns): scipy's general path.
    unsorted = sp.csr_matrix(
        (graph.data.copy(), graph.indices.copy(), graph.indptr.copy()), shape=graph.shape
    )
    for row in range(n):
        lo, hi = unsorted.indptr[row], unsorted.indptr[row + 1]
        unsorted.indices[lo:hi] = unsorted.indices[lo:hi][::-1]
        unsorted.data[lo:hi] = unsorted.data[lo:hi][::-1]
    unsorted.has_sorted_indices = False
    i, j = rng.integers(0, n, 6000), rng.integers(0, n, 6000)
    before = np.clip(scipy_products(unsorted, i, unsorted, j), 0.0, 1.0)
    assert cosine_similarity_pairs(graph, i, graph, j).tobytes() == before.tobytes()


@settings(max_examples=80, derandomize=True, deadline=None)
@given(shapes, st.integers(1, 4), st.booleans(), st.data())
def test_pair_weight_sums_equal_scipy_bit_for_bit(shape, n_weights, binary, data):
    seed, n_rows, n_columns, density, _ = shape
    non_finite = data.draw(st.sampled_from([False, False, True]))
    matrix = random_rows(seed, n_rows, n_columns, density, np.float64, non_finite)
    if binary:  # key matrices: every stored value 1
        matrix.data[:] = 1.0
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(n_columns, n_weights)) * SCALES[rng.integers(0, 7, (n_columns, 1))]
    n_pairs = data.draw(st.integers(0, 60))
    pairs = st.lists(st.integers(0, n_rows - 1), min_size=n_pairs, max_size=n_pairs)
    i = np.array(data.draw(pairs), dtype=np.intp)
    j = np.array(data.draw(pairs), dtype=np.intp)
    with np.errstate(invalid="ignore", over="ignore"):
        reference = sp.csr_matrix(matrix[i].multiply(matrix[j])) @ weights
        got = pair_weight_sums(matrix, i, matrix, j, weights)
    assert got.shape == (n_pairs, n_weights)
    assert got.tobytes() == np.ascontiguousarray(reference).tobytes()


def test_evidence_features_are_the_same_compiled_or_not(monkeypatch):
    features = importlib.import_module("dedupe_news.pair_features")
    rng = np.random.default_rng(9)
    keys = rng.integers(0, 400, size=(600, 12))  # rows of up to 12 distinct keys
    entities = [np.unique(row[: rng.integers(0, 13)]) for row in keys]
    quotes = [np.unique(row[: rng.integers(0, 4)] * 7) for row in keys[::-1]]
    tickers = [np.unique(row[: rng.integers(0, 2)] % 9) for row in keys]
    table = EvidenceTable(entities, quotes, tickers)
    i, j = rng.integers(0, 600, 8000), rng.integers(0, 600, 8000)

    def every_feature():
        found = table.entity_features(i, j)
        found["quote_overlap"] = table.quote_overlap(i, j)
        found["ticker_conflict"] = table.ticker_conflict(i, j)
        return found

    monkeypatch.setattr(features, "COMPILED_MIN_PAIRS", 1)
    compiled = every_feature()
    monkeypatch.setattr(features, "_NUMBA_INSTALLED", False)
    plain = every_feature()
    assert compiled.keys() == plain.keys()
    for name, values in compiled.items():
        assert values.tobytes() == plain[name].tobytes(), name
    assert compiled["entity_conflict"].any() and compiled["entity_cosine"].any()


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 20), st.integers(1, 40), st.integers(0, 80))
def test_signature_agreement_is_the_mean_of_equal_minima(seed, n_rows, n_perm, n_pairs):
    rng = np.random.default_rng(seed)
    hashes = rng.integers(0, 4, size=(n_rows, n_perm)).astype(np.uint32)  # many ties
    i, j = rng.integers(0, n_rows, n_pairs), rng.integers(0, n_rows, n_pairs)
    expected = (hashes[i] == hashes[j]).mean(axis=1)
    assert signature_agreement(hashes, i, hashes, j).tobytes() == expected.tobytes()


def test_pair_features_are_the_same_compiled_or_not(monkeypatch):
    features = importlib.import_module("dedupe_news.pair_features")
    rng = np.random.default_rng(13)
    n = 500
    hashes = rng.integers(0, 3, size=(n, 16)).astype(np.uint32)
    counts = rng.integers(0, 40, n)
    counts[hashes[:, 0] == 2] = 0  # some empty articles
    rows = features.ArticleRows(
        random_rows(14, n, 300, 0.05, np.float32),
        Signatures(hashes, counts),
        rng.integers(0, 30, n).astype(np.float64),
    )
    i, j = rng.integers(0, n, 7000), rng.integers(0, n, 7000)
    monkeypatch.setattr(features, "COMPILED_MIN_PAIRS", 1)
    compiled = pair_features(rows, i, rows, j)
    monkeypatch.setattr(features, "_NUMBA_INSTALLED", False)
    plain = pair_features(rows, i, rows, j)
    for name in ("cosine_similarity", "jaccard_similarity", "containment_similarity"):
        assert getattr(compiled, name).tobytes() == getattr(plain, name).tobytes(), name
    assert compiled.jaccard_similarity.any() and not compiled.jaccard_similarity.all()


def test_the_model_loads_its_kernels_before_forking_workers(tmp_path):
    # Clustering forks a pool of workers for each batch of matrices; a kernel first
    # used in the workers is loaded again by each worker of each pool (0.3-0.6 s).
    # Scoring over workers loads every kernel here first, so they inherit it.
    script = tmp_path / "fork.py"
    script.write_text(
        "import numpy as np\n"
        "from dedupe_news import Article, StoryClusterer, pair_kernel, scoring\n"
        "docs = [Article(f'a{k}', f'Harbour cranes at the port of Hull, brief {k} of "
        "Jan Smit for Rotterdam', title=f'Hull {k}') for k in range(40)]\n"
        "scorer = StoryClusterer(model='default', n_jobs=2).fit(docs)._fitted_scorer\n"
        "assert not pair_kernel._weight_sums_sorted.signatures, 'loaded by the fit'\n"
        "pairs = np.arange(scoring.PAIRS_PER_TASK + 10) % 40\n"
        "scorer.score(pairs, (pairs + 1) % 40)\n"
        "print(len(pair_kernel._weight_sums_sorted.signatures))\n"
    )
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 1
