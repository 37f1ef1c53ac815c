"""The lean candidate search and candidate graph against the formulas they replace."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from dedupe_news import model_features, neighbors
from dedupe_news.candidate_search import candidate_pairs, neighbor_pair_codes, sorted_distinct
from dedupe_news.lsh import lsh_candidate_pairs
from dedupe_news.minhash import MinHasher
from dedupe_news.model_features import neighbour_graph, normalised_rows
from dedupe_news.neighbor_probe import probe_max_df
from dedupe_news.neighbors import cosine_neighbor_pairs
from dedupe_news.pair_features import ArticleRows


def _rows(seed: int, n: int, n_days: int, undated: float) -> tuple[sp.csr_matrix, np.ndarray]:
    rng = np.random.default_rng(seed)
    matrix = sp.random(n, 50, density=0.15, random_state=rng, format="csr")
    source = np.arange(n)  # exact copies of earlier rows: ties in the top neighbours
    for row in np.flatnonzero(rng.random(n) < 0.2):
        source[row] = rng.integers(0, row) if row else 0
    matrix = sp.csr_matrix(matrix[source])
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
    norms[norms == 0] = 1
    days = rng.integers(0, n_days, n).astype(float)
    days[rng.random(n) < undated] = np.nan
    return sp.csr_matrix(sp.diags(1 / norms) @ matrix), days


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(2, 150),
    n_days=st.integers(1, 20),
    window_days=st.sampled_from([0.0, 2.0, np.inf]),
    undated=st.sampled_from([0.0, 0.1]),
    k=st.integers(1, 8),
    max_df=st.sampled_from([None, 5]),
)
def test_neighbor_codes_are_the_neighbor_pairs(
    seed, n, n_days, window_days, undated, k, max_df, patched
):
    matrix, days = _rows(seed, n, n_days, undated)
    # Tiny blocks and chunks, so that rows come in many blocks.
    patched.setattr(neighbors, "COLUMNS_PER_BLOCK", 9)
    patched.setattr(neighbors, "PRODUCTS_PER_CHUNK", 30)
    search = {
        "window_days": window_days,
        "min_similarity": 0.2,
        "max_neighbors": k,
        "probe_max_df": max_df,
    }
    i, j, _ = cosine_neighbor_pairs(matrix, days, **search)
    codes = neighbor_pair_codes(matrix, days, **search)
    assert codes.dtype == np.int64
    assert codes.tolist() == (i.astype(np.int64) * n + j).tolist()


@pytest.fixture(scope="module")
def patched():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_neighbor_codes_do_not_depend_on_n_jobs():
    matrix, days = _rows(4, 500, 8, 0.05)
    search = {"window_days": 2.0, "min_similarity": 0.1, "max_neighbors": 5}
    one = neighbor_pair_codes(matrix, days, **search)
    two = neighbor_pair_codes(matrix, days, **search, n_jobs=2)
    assert one.size > 500 and one.tolist() == two.tolist()


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.lists(st.integers(-5, 40), max_size=60))
def test_sorted_distinct_is_np_unique(values):
    codes = np.array(values, dtype=np.int64)
    assert sorted_distinct(codes.copy()).tolist() == np.unique(codes).tolist()


def _candidate_pairs_as_first_written(rows, search, **params):
    """LSH pairs and the neighbour pairs of each matrix, through np.unique."""
    n = len(rows)
    copy_i, copy_j = lsh_candidate_pairs(rows.signatures, threshold=params["copy_threshold"])
    codes = [copy_i.astype(np.int64) * n + copy_j]
    for matrix in search:
        i, j, _ = cosine_neighbor_pairs(
            matrix,
            rows.days,
            window_days=params["window_days"],
            min_similarity=params["min_similarity"],
            max_neighbors=params["max_neighbors"],
            probe_max_df=probe_max_df(n),
        )
        codes.append(i.astype(np.int64) * n + j)
    unique = np.unique(np.concatenate(codes))
    return unique // n, unique % n


@pytest.mark.parametrize("seed", [1, 2])
def test_candidate_pairs_are_the_lsh_and_neighbour_pairs_of_every_matrix(seed):
    rng = np.random.default_rng(seed)
    words = [f"w{k}" for k in range(60)]
    texts = [[str(w) for w in rng.choice(words, 30)] for _ in range(300)]
    texts += texts[:40]  # copies for the LSH
    hasher = MinHasher(num_perm=64, seed=3)
    signatures = hasher.sign(texts)
    body, days = _rows(seed, len(texts), 6, 0.05)
    lead, _ = _rows(seed + 100, len(texts), 6, 0.0)
    rows = ArticleRows(tfidf=body, signatures=signatures, days=days)
    params = {"copy_threshold": 0.5, "window_days": 2.0, "min_similarity": 0.1, "max_neighbors": 4}
    i, j = candidate_pairs(rows, [body, lead], **params)
    ri, rj = _candidate_pairs_as_first_written(rows, [body, lead], **params)
    assert i.dtype == np.intp and j.dtype == np.intp
    assert i.tolist() == ri.tolist() and j.tolist() == rj.tolist()
    assert (i < j).all() and len(set(zip(i.tolist(), j.tolist()))) == i.size


def _graph_as_first_written(n, i, j, cosine):
    diagonal = np.arange(n)
    graph = sp.csr_matrix(
        (np.r_[cosine, cosine, np.ones(n)], (np.r_[i, j, diagonal], np.r_[j, i, diagonal])),
        shape=(n, n),
    )
    graph.sum_duplicates()
    return normalised_rows(graph)


@pytest.mark.parametrize("rows_per_block", [1, 7, 1 << 16])
def test_the_candidate_graph_is_bit_for_bit_the_normalised_graph(monkeypatch, rows_per_block):
    monkeypatch.setattr(model_features, "_ROWS_PER_BLOCK", rows_per_block)
    rng = np.random.default_rng(11)
    n = 300
    a, b = rng.integers(0, n, 4000), rng.integers(0, n, 4000)
    keep = a < b  # with repeated pairs, summed as the COO graph sums them
    cosine = rng.random(keep.sum()) ** 3
    cosine[rng.random(cosine.size) < 0.1] = 0.0  # explicit zeros: dropped by both
    got = neighbour_graph(n, a[keep], b[keep], cosine)
    expected = _graph_as_first_written(n, a[keep], b[keep], cosine)
    assert got.has_canonical_format and got.shape == expected.shape
    for name in ("indptr", "indices", "data"):
        mine, theirs = getattr(got, name), getattr(expected, name)
        assert mine.dtype == theirs.dtype and mine.tobytes() == theirs.tobytes(), name
    assert (got.data != 0).all()


@settings(max_examples=30, deadline=None, derandomize=True)
@given(n=st.integers(2, 400), n_pairs=st.integers(0, 3000), seed=st.integers(0, 2**31 - 1))
def test_sorted_candidate_pairs_are_placed_bit_for_bit(n, n_pairs, seed):
    # candidate_pairs gives distinct pairs sorted by (i, j), i < j: they are written
    # straight into the CSR arrays, and the graph is the one the COO path builds.
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, n, n_pairs), rng.integers(0, n, n_pairs)
    codes = np.unique(np.minimum(a, b)[a != b] * n + np.maximum(a, b)[a != b])
    i, j = codes // n, codes % n
    cosine = rng.random(i.size) ** 3
    cosine[rng.random(i.size) < 0.1] = 0.0
    placed = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(model_features, "_ROWS_PER_BLOCK", int(rng.integers(1, 50)))
        real = model_features._placed_graph
        patch.setattr(
            model_features, "_placed_graph", lambda *args: placed.append(1) or real(*args)
        )
        got = neighbour_graph(n, i, j, cosine)
    expected = _graph_as_first_written(n, i, j, cosine)
    assert placed == [1] and got.has_canonical_format
    for name in ("indptr", "indices", "data"):
        mine, theirs = getattr(got, name), getattr(expected, name)
        assert mine.dtype == theirs.dtype and mine.tobytes() == theirs.tobytes(), name


def test_a_pair_of_zero_cosine_is_no_edge_of_the_candidate_graph():
    # The model's scorer zeroes the cosine of pairs out of the date window rather
    # than copying the pairs without them: the same graph, bit for bit.
    rng = np.random.default_rng(5)
    n = 200
    codes = np.unique(rng.integers(0, n, 3000) * n + rng.integers(0, n, 3000))
    i, j = codes // n, codes % n
    i, j = i[i < j], j[i < j]
    cosine = rng.random(i.size)
    near = rng.random(i.size) < 0.7
    zeroed = neighbour_graph(n, i, j, np.where(near, cosine, 0.0))
    dropped = neighbour_graph(n, i[near], j[near], cosine[near])
    for name in ("indptr", "indices", "data"):
        assert getattr(zeroed, name).tobytes() == getattr(dropped, name).tobytes(), name


def test_an_empty_candidate_graph_is_the_identity():
    graph = neighbour_graph(4, np.zeros(0, int), np.zeros(0, int), np.zeros(0))
    assert graph.toarray().tolist() == np.eye(4).tolist()


def test_model_scores_keep_the_candidates_core_features(seed_articles, monkeypatch):
    from dedupe_news import Article, StoryClusterer, scoring

    others = [
        Article(f"x{k}", f"Harbour cranes at the port of Hull, brief {k}", title=f"Hull {k}")
        for k in range(8)
    ]
    monkeypatch.setattr(scoring, "PAIRS_PER_TASK", 5)  # several tasks, two processes
    fitted = StoryClusterer(model="default", n_jobs=2).fit(seed_articles + others)
    pairs = fitted.pairs_
    assert len(pairs) > 10
    # The features kept from the candidate search are those computed afresh.
    fresh = fitted.pair_model_features()
    assert pairs.features.cosine_similarity.tobytes() == fresh["body_cosine"].tobytes()
    assert pairs.features.jaccard_similarity.tobytes() == fresh["jaccard"].tobytes()
