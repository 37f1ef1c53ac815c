"""The compiled row-pair dot product, used by
:func:`~dedupe_news.pair_features.cosine_similarity_pairs` when numba is installed
(``pip install "dedupe-news[fast]"``).

It computes bit for bit what the scipy path computes, one pair at a time: scipy's
elementwise product of two canonical CSR rows of finite values keeps the nonzero
products of their shared columns, in column order, and ``sum(axis=1)`` adds each row's products with
``np.add.reduceat``: the first product, plus the pairwise sum of the others
(numpy's ``pairwise_sum``: plain addition below 8 terms, 8 running sums up to
:data:`PAIRWISE_BLOCK` terms, halves above). Here the rows of the left side are
spread into a dense array once per run of pairs with the same left row (pairs
sorted by it cost one spread per row), and each right row is walked once. Rows
holding an infinity or NaN (whose products with the other row's missing zeros
are NaN, and count) go to scipy. The tests check the result against the scipy path.

Importing this module imports numba (and compiles on first use, or loads the
compiled loop from numba's cache).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit

__all__ = [
    "PAIRWISE_BLOCK",
    "pair_dot_products",
    "pair_weight_sums",
    "pairwise_sum",
    "signature_agreement",
]

PAIRWISE_BLOCK = 128
"""numpy's ``PW_BLOCKSIZE``: longer sums are split in two, recursively."""


@njit(cache=True, nogil=True)
def _block_sum(values: np.ndarray, start: int, count: int, zero) -> float:
    """numpy's ``pairwise_sum`` of at most :data:`PAIRWISE_BLOCK` values (sums in
    the type of ``zero``, the values' own)."""
    if count < 8:
        total = zero
        for k in range(count):
            total += values[start + k]
        return total
    r0, r1 = values[start], values[start + 1]
    r2, r3 = values[start + 2], values[start + 3]
    r4, r5 = values[start + 4], values[start + 5]
    r6, r7 = values[start + 6], values[start + 7]
    whole = count - count % 8
    k = 8
    while k < whole:
        r0 += values[start + k]
        r1 += values[start + k + 1]
        r2 += values[start + k + 2]
        r3 += values[start + k + 3]
        r4 += values[start + k + 4]
        r5 += values[start + k + 5]
        r6 += values[start + k + 6]
        r7 += values[start + k + 7]
        k += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while k < count:
        total += values[start + k]
        k += 1
    return total


@njit(cache=True, nogil=True)
def pairwise_sum(values: np.ndarray, start: int, count: int, zero) -> float:
    """numpy's ``pairwise_sum`` of ``values[start:start + count]``: above
    :data:`PAIRWISE_BLOCK` values, the sum of the two halves (the first half a
    multiple of 8 long), each summed so in turn; sums in the type of ``zero``, the
    values' own. The halving runs on an explicit stack: numba's cache cannot hold
    a recursive function."""
    if count <= PAIRWISE_BLOCK:
        return _block_sum(values, start, count, zero)
    starts = np.empty(128, dtype=np.int64)
    counts = np.empty(128, dtype=np.int64)
    split = np.zeros(128, dtype=np.bool_)
    sums = np.empty(128, dtype=values.dtype)
    starts[0], counts[0], split[0] = start, count, False
    depth, held = 1, 0
    while depth:
        top = depth - 1
        first, size = starts[top], counts[top]
        if size <= PAIRWISE_BLOCK:
            sums[held] = _block_sum(values, first, size, zero)
            held += 1
            depth -= 1
        elif split[top]:  # both halves summed: the first is below the second
            sums[held - 2] = sums[held - 2] + sums[held - 1]
            held -= 1
            depth -= 1
        else:
            half = size // 2
            half -= half % 8
            split[top] = True
            starts[depth], counts[depth], split[depth] = first + half, size - half, False
            starts[depth + 1], counts[depth + 1], split[depth + 1] = first, half, False
            depth += 2
    return sums[0]


@njit(cache=True, nogil=True)
def _dot_sorted(
    left_indptr, left_indices, left_data, right_indptr, right_indices, right_data,
    i, j, n_columns, longest, zero,
):  # fmt: skip
    out = np.zeros(i.size, dtype=np.float64)
    dense = np.zeros(n_columns, dtype=left_data.dtype)
    products = np.empty(max(longest, 1), dtype=left_data.dtype)
    current = -1
    for k in range(i.size):
        row = i[k]
        if row != current:
            if current >= 0:
                for e in range(left_indptr[current], left_indptr[current + 1]):
                    dense[left_indices[e]] = zero
            for e in range(left_indptr[row], left_indptr[row + 1]):
                dense[left_indices[e]] = left_data[e]
            current = row
        other = j[k]
        count = 0
        # Without a branch: every product is written, kept (the count moves on) when
        # not zero. The values are finite, so a column the left row lacks (a dense
        # entry of 0) gives a zero product, as a stored zero does.
        for e in range(right_indptr[other], right_indptr[other + 1]):
            product = dense[right_indices[e]] * right_data[e]
            products[count] = product
            count += product != 0
        if count:
            out[k] = products[0] + pairwise_sum(products, 1, count - 1, zero)
    return out


def _finite(left: sp.csr_matrix, right: sp.csr_matrix) -> bool:
    return bool(np.isfinite(left.data).all()) and (
        right is left or bool(np.isfinite(right.data).all())
    )


def pair_dot_products(
    left: sp.csr_matrix, i: np.ndarray, right: sp.csr_matrix, j: np.ndarray
) -> np.ndarray:
    """``np.asarray(left[i].multiply(right[j]).sum(axis=1)).ravel()`` as float64, bit
    for bit, for CSR matrices of one float dtype (float32 multiplies and sums in
    float32, as scipy does) in canonical format (sorted, distinct columns per
    row) with as many columns each. Compiled for finite values; with an infinity or
    NaN stored, scipy computes it (then a row's unshared entries count too).

    >>> m = sp.csr_matrix(np.array([[0.6, 0.8], [1.0, 0.0]]))
    >>> pair_dot_products(m, np.array([0, 1]), m, np.array([1, 1])).tolist()
    [0.6, 1.0]
    """
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    if i.size == 0:
        return np.zeros(0, dtype=np.float64)
    if not _finite(left, right):  # scipy's NaN products of unshared columns: its own path
        return np.asarray(left[i].multiply(right[j]).sum(axis=1), dtype=np.float64).ravel()
    order = None
    if i.size > 1 and (np.diff(i) < 0).any():
        order = np.argsort(i, kind="stable")
        i, j = i[order], j[order]
    right_lengths = np.diff(right.indptr)
    longest = int(right_lengths.max()) if right_lengths.size else 0
    out = _dot_sorted(
        left.indptr, left.indices, left.data, right.indptr, right.indices, right.data,
        i, j, max(left.shape[1], right.shape[1]), longest, left.dtype.type(0),
    )  # fmt: skip
    if order is None:
        return out
    result = np.empty_like(out)
    result[order] = out
    return result


@njit(cache=True, nogil=True)
def _weight_sums_sorted(
    left_indptr, left_indices, left_data, right_indptr, right_indices, right_data,
    i, j, n_columns, weights,
):  # fmt: skip
    n_weights = weights.shape[1]
    out = np.zeros((i.size, n_weights), dtype=np.float64)
    dense = np.zeros(n_columns, dtype=np.float64)
    present = np.zeros(n_columns, dtype=np.bool_)
    current = -1
    for k in range(i.size):
        row = i[k]
        if row != current:
            if current >= 0:
                for e in range(left_indptr[current], left_indptr[current + 1]):
                    present[left_indices[e]] = False
            for e in range(left_indptr[row], left_indptr[row + 1]):
                dense[left_indices[e]] = left_data[e]
                present[left_indices[e]] = True
            current = row
        other = j[k]
        for e in range(right_indptr[other], right_indptr[other + 1]):
            column = right_indices[e]
            if present[column]:
                product = dense[column] * right_data[e]
                if product != 0:
                    for t in range(n_weights):
                        out[k, t] += product * weights[column, t]
    return out


def pair_weight_sums(
    left: sp.csr_matrix,
    i: np.ndarray,
    right: sp.csr_matrix,
    j: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    """``sp.csr_matrix(left[i].multiply(right[j])) @ weights``, bit for bit, for float64
    CSR matrices in canonical format with as many columns each, and float64
    ``weights`` of shape ``(n_columns, n_weights)``: per pair, each column of
    ``weights`` summed over the shared columns, times their products (in column
    order, from 0, as scipy's ``csr_matvecs`` adds them).

    >>> m = sp.csr_matrix(np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]]))
    >>> pair_weight_sums(m, np.array([0]), m, np.array([1]), np.eye(3)[:, :2]).tolist()
    [[1.0, 1.0]]
    """
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if not _finite(left, right):  # scipy's NaN products of unshared columns: its own path
        return np.ascontiguousarray(sp.csr_matrix(left[i].multiply(right[j])) @ weights)
    order = None
    if i.size > 1 and (np.diff(i) < 0).any():
        order = np.argsort(i, kind="stable")
        i, j = i[order], j[order]
    out = _weight_sums_sorted(
        left.indptr, left.indices, left.data, right.indptr, right.indices, right.data,
        i, j, max(left.shape[1], right.shape[1], 1), weights,
    )  # fmt: skip
    if order is None:
        return out
    result = np.empty_like(out)
    result[order] = out
    return result


@njit(cache=True, nogil=True)
def _agreement(left, i, right, j):
    n_perm = left.shape[1]
    out = np.empty(i.size, dtype=np.float64)
    for k in range(i.size):
        a, b = left[i[k]], right[j[k]]
        same = 0
        for p in range(n_perm):
            same += a[p] == b[p]
        out[k] = same / n_perm
    return out


def signature_agreement(
    left: np.ndarray, i: np.ndarray, right: np.ndarray, j: np.ndarray
) -> np.ndarray:
    """``(left[i] == right[j]).mean(axis=1)``, bit for bit, without copying the rows:
    the share of permutations on which two MinHash signatures (rows of at least one
    column) agree.

    >>> a = np.array([[1, 2, 3, 4], [1, 2, 0, 0]], dtype=np.uint32)
    >>> signature_agreement(a, np.array([0]), a, np.array([1])).tolist()
    [0.5]
    """
    if left.shape[1] < 1 or left.shape[1] != right.shape[1]:
        raise ValueError("signatures need as many permutations each, at least one")
    return _agreement(
        np.ascontiguousarray(left),
        np.asarray(i, dtype=np.int64),
        np.ascontiguousarray(right),
        np.asarray(j, dtype=np.int64),
    )
