"""The compiled MinHash signing loop, used by :class:`~dedupe_news.minhash.MinHasher`
when numba is installed (``pip install "dedupe-news[fast]"``).

It computes exactly what the numpy path in :mod:`dedupe_news.minhash` computes,
one article at a time: CRC-32 each token, fold every window of ``shingle_size``
token hashes into a shingle hash, count the distinct shingle hashes with a small
open-addressing set, mix each with ``fmix32`` and keep the minimum of
``a_k * x + b_k mod 2**32`` for each permutation ``k``. The loops over shingles
and over permutations run in 32-bit lanes, which the compiler vectorises. The
tests check the result against the numpy path and datasketch.

The input is every token of the batch in one NUL-separated UTF-8 buffer plus the
number of tokens per article (:func:`pack_tokens`), built with C-level joins. If
the buffer holds more or fewer tokens than the counts say (a token containing
NUL), :func:`sign_packed` returns None and the caller signs the batch the slow way.

Importing this module imports numba (and compiles on first use, or loads the
compiled loop from numba's cache); :mod:`dedupe_news.minhash` imports it only
when numba is installed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit

__all__ = ["pack_tokens", "sign_hashes", "sign_packed"]

_SEPARATOR = "\x00"
# Typed constants: numba would otherwise widen uint32 arithmetic (or turn mixed
# signed/unsigned 64-bit arithmetic into floats).
_FOLD_SEED = np.uint32(0x9747B28C)
_FOLD_PRIME = np.uint32(0x01000193)
_FULL = np.uint32(0xFFFFFFFF)
_M1 = np.uint32(0x85EBCA6B)
_M2 = np.uint32(0xC2B2AE35)
_BYTE = np.uint32(0xFF)


def _crc_table() -> np.ndarray:
    """The byte table of the reflected CRC-32 (polynomial 0xEDB88320) that zlib uses."""
    table = np.zeros(256, dtype=np.uint32)
    for byte in range(256):
        c = byte
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        table[byte] = c
    return table


CRC_TABLE = _crc_table()


def pack_tokens(token_lists: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
    """All tokens of a batch as one NUL-separated UTF-8 buffer, and tokens per article.

    >>> buffer, counts = pack_tokens([["peace", "talks"], [], ["dead"]])
    >>> bytes(buffer), counts.tolist()
    (b'peace\\x00talks\\x00dead', [2, 0, 1])
    """
    counts = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
    # Joining each article, then the articles, is faster than one join over a chain.
    text = _SEPARATOR.join([_SEPARATOR.join(tokens) for tokens in token_lists if len(tokens)])
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8), counts


@njit(cache=True, nogil=True, inline="always")
def _fmix32(h):
    h ^= h >> np.uint32(16)
    h = np.uint32(h * _M1)
    h ^= h >> np.uint32(13)
    h = np.uint32(h * _M2)
    return np.uint32(h ^ (h >> np.uint32(16)))


@njit(cache=True, nogil=True)
def _token_hashes(buffer, crc_table, n_tokens):
    """CRC-32 of every NUL-separated token; None if there are not ``n_tokens``."""
    hashes = np.empty(n_tokens, dtype=np.uint32)
    if n_tokens == 0:
        return hashes if buffer.size == 0 else None
    count = 0
    crc = _FULL
    for byte in buffer:
        if byte == 0:
            if count == n_tokens - 1:
                return None
            hashes[count] = crc ^ _FULL
            count += 1
            crc = _FULL
        else:
            crc = crc_table[(crc ^ byte) & _BYTE] ^ (crc >> np.uint32(8))
    if count != n_tokens - 1:
        return None
    hashes[count] = crc ^ _FULL
    return hashes


@njit(cache=True, nogil=True)
def _sign(token_hashes, token_counts, shingle_size, a, b, hashvalues, shingle_counts):
    num_perm = a.size
    longest = max(token_counts.max(), 1) if token_counts.size else 1
    shingle_hashes = np.empty(longest, dtype=np.uint32)
    mixed = np.empty(longest, dtype=np.uint32)
    slots_needed = 16
    while slots_needed < 2 * longest:
        slots_needed *= 2
    table = np.zeros(slots_needed, dtype=np.uint64)
    signature = np.empty(num_perm, dtype=np.uint32)
    first_token = 0
    for d in range(token_counts.size):
        n_tokens = token_counts[d]
        tokens = token_hashes[first_token : first_token + n_tokens]
        first_token += n_tokens
        if n_tokens == 0:
            continue
        width = min(shingle_size, n_tokens)
        n_shingles = n_tokens - width + 1
        # Fold every window of `width` token hashes (shingles side by side).
        for s in range(n_shingles):
            shingle_hashes[s] = _FOLD_SEED
        for step in range(width):
            for s in range(n_shingles):
                shingle_hashes[s] = _fmix32(
                    np.uint32(shingle_hashes[s] * _FOLD_PRIME) ^ tokens[s + step]
                )
        # Distinct shingle hashes; a slot holds hash + 1 so that 0 marks it empty.
        slots = 16
        while slots < 2 * n_shingles:
            slots *= 2
        mask = np.uint64(slots - 1)
        table[:slots] = 0
        distinct = 0
        for s in range(n_shingles):
            key = np.uint64(shingle_hashes[s]) + np.uint64(1)
            slot = key & mask
            while table[slot] != 0 and table[slot] != key:
                slot = (slot + np.uint64(1)) & mask
            if table[slot] == 0:
                table[slot] = key
                distinct += 1
        for s in range(n_shingles):
            mixed[s] = _fmix32(shingle_hashes[s])
        signature[:] = _FULL
        for s in range(n_shingles):
            x = mixed[s]
            for p in range(num_perm):
                signature[p] = min(signature[p], np.uint32(a[p] * x + b[p]))
        hashvalues[d, :] = signature
        shingle_counts[d] = distinct


def sign_packed(
    buffer: np.ndarray,
    token_counts: np.ndarray,
    shingle_size: int,
    a: np.ndarray,
    b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(hashvalues, shingle_counts)`` of packed token lists (see :func:`pack_tokens`),
    or None if the buffer does not hold ``token_counts.sum()`` tokens."""
    token_hashes = _token_hashes(buffer, CRC_TABLE, int(token_counts.sum()))
    if token_hashes is None:
        return None
    return sign_hashes(token_hashes, token_counts, shingle_size, a, b)


def sign_hashes(
    token_hashes: np.ndarray,
    token_counts: np.ndarray,
    shingle_size: int,
    a: np.ndarray,
    b: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``(hashvalues, shingle_counts)`` of token lists given as the CRC-32 of every
    token, end to end, and the number of tokens per list."""
    n = token_counts.size
    hashvalues = np.full((n, a.size), _FULL, dtype=np.uint32)
    shingle_counts = np.zeros(n, dtype=np.int32)
    _sign(token_hashes, token_counts, shingle_size, a, b, hashvalues, shingle_counts)
    return hashvalues, shingle_counts
