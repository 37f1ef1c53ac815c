"""MinHash signatures over word shingles.

Signatures use datasketch's ``affine32`` scheme: the shingle hash ``h`` is
pre-mixed with the 32-bit MurmurHash3 finalizer, then each permutation ``k``
computes ``a_k * fmix32(h) + b_k mod 2**32`` and the signature keeps the minimum.
The permutation parameters come from :class:`datasketch.MinHash` itself, so for
the same ``num_perm``, ``seed`` and hash function the signatures here equal
``datasketch.MinHash(scheme="affine32", hashfunc=shingle_hash)`` bit for bit; the
tests check it. Two implementations compute the same signatures: a compiled
single-pass loop (:mod:`dedupe_news.minhash_kernel`, when numba is installed:
``pip install "dedupe-news[fast]"``), and a numpy path vectorised over all
shingles of a batch that needs nothing beyond numpy.

The shingle hash is a fold of per-token CRC-32 values through ``fmix32``, so it
is stable across processes and platforms (Python's ``hash`` is not). LSH over the
signatures is :mod:`dedupe_news.lsh` (its names import from here too).
"""

from __future__ import annotations

import importlib.util
import itertools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash

from .errors import ParameterError
from .lsh import lsh_band_key, lsh_band_keys, lsh_candidate_pairs, lsh_params

__all__ = [
    "BACKENDS",
    "MINHASH_SCHEME",
    "MinHasher",
    "Signatures",
    "containment_similarity",
    "jaccard_similarity",
    "lsh_band_key",
    "lsh_band_keys",
    "lsh_candidate_pairs",
    "lsh_params",
    "shingle_hash",
]

MINHASH_SCHEME = "affine32"
BACKENDS = ("auto", "numba", "numpy")
COMPILED_MIN_BATCH = 200
_EMPTY = np.uint32(0xFFFFFFFF)
_FOLD_SEED = np.uint32(0x9747B28C)
_FOLD_PRIME = np.uint32(0x01000193)
_SHINGLES_PER_CHUNK = 1 << 13  # 4 MiB of permuted values: 1.4x faster than 1 << 14 here
_PAIRS_PER_CHUNK = 1 << 16


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, element-wise on a uint32 array (wrapping)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def _token_hash(token: str) -> int:
    return zlib.crc32(token.encode("utf-8"))


def shingle_hash(shingle: Sequence[str]) -> int:
    """The 32-bit hash of one shingle (a tuple of tokens): the slow, obvious version.

    Pass it as ``hashfunc`` to :class:`datasketch.MinHash` to reproduce our signatures.

    >>> shingle_hash(("peace", "talks")) == shingle_hash(("peace", "talks"))
    True
    """
    with np.errstate(over="ignore"):
        h = _FOLD_SEED
        for token in shingle:
            h = _fmix32(
                np.uint32((int(h) * int(_FOLD_PRIME)) & 0xFFFFFFFF) ^ np.uint32(_token_hash(token))
            )
        return int(h)


@dataclass(frozen=True)
class Signatures:
    """MinHash signatures of a corpus.

    Attributes
    ----------
    hashvalues : ndarray of uint32, shape (n_articles, num_perm)
        One row per article. An article without tokens has all values 2**32-1.
    shingle_counts : ndarray of int32, shape (n_articles,)
        Number of distinct shingles per article, used to estimate containment.
    """

    hashvalues: np.ndarray
    shingle_counts: np.ndarray

    def jaccard_similarity(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Estimated Jaccard similarity for pairs ``(i, j)`` of these rows: see
        :func:`jaccard_similarity`."""
        return jaccard_similarity(self, i, self, j)

    def containment_similarity(
        self, i: np.ndarray, j: np.ndarray, jaccard: np.ndarray | None = None
    ) -> np.ndarray:
        """Estimated containment for pairs ``(i, j)`` of these rows: see
        :func:`containment_similarity`."""
        return containment_similarity(self, i, self, j, jaccard)


def jaccard_similarity(
    left: Signatures, i: np.ndarray, right: Signatures, j: np.ndarray
) -> np.ndarray:
    """Estimated Jaccard similarity of shingle sets for pairs (``left[i[k]]``,
    ``right[j[k]]``), in [0, 1]: the fraction of permutations on which the two minima
    agree (0 when either article has no shingle).
    """
    i = np.asarray(i, dtype=np.intp)
    j = np.asarray(j, dtype=np.intp)
    agree = np.zeros(i.size, dtype=np.float64)
    for start in range(0, i.size, _PAIRS_PER_CHUNK):  # bounds the (pairs, num_perm) scratch
        a = left.hashvalues[i[start : start + _PAIRS_PER_CHUNK]]
        b = right.hashvalues[j[start : start + _PAIRS_PER_CHUNK]]
        agree[start : start + _PAIRS_PER_CHUNK] = (a == b).mean(axis=1)
    either_empty = (left.shingle_counts[i] == 0) | (right.shingle_counts[j] == 0)
    return np.where(either_empty, 0.0, agree)


def containment_similarity(
    left: Signatures,
    i: np.ndarray,
    right: Signatures,
    j: np.ndarray,
    jaccard: np.ndarray | None = None,
) -> np.ndarray:
    """Estimated share of the smaller article's shingles found in the other, in [0, 1].

    ``|A & B| / min(|A|, |B|)``, with ``|A & B| = J / (1 + J) * (|A| + |B|)`` from
    the estimated Jaccard ``J`` (pass it as ``jaccard`` if already computed). High
    for an abridged copy inside a longer article, where Jaccard is low.
    """
    jac = jaccard_similarity(left, i, right, j) if jaccard is None else jaccard
    size_i = left.shingle_counts[np.asarray(i, dtype=np.intp)].astype(np.float64)
    size_j = right.shingle_counts[np.asarray(j, dtype=np.intp)].astype(np.float64)
    smaller = np.minimum(size_i, size_j)
    intersection = jac / (1.0 + jac) * (size_i + size_j)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.where(smaller > 0, intersection / smaller, 0.0)
    return np.clip(result, 0.0, 1.0)


class MinHasher:
    """Computes MinHash signatures of tokenised articles.

    Parameters
    ----------
    num_perm : int, default 128
        Number of permutations (signature length).
    seed : int, default 1
        Seed of the permutations, as in :class:`datasketch.MinHash`.
    shingle_size : int, default 5
        Words per shingle.
    backend : {"auto", "numba", "numpy"}, default "auto"
        ``"numba"`` signs with the compiled loop (several times faster; needs
        ``pip install "dedupe-news[fast]"``), ``"numpy"`` with the vectorised
        numpy path, ``"auto"`` with numba when it is installed and the batch has
        at least :data:`COMPILED_MIN_BATCH` articles (below that, importing numba
        costs more than it saves). The signatures are the same either way.

    Examples
    --------
    >>> hasher = MinHasher(num_perm=16)
    >>> sigs = hasher.sign([["a", "b", "c", "d", "e", "f"], ["a", "b", "c", "d", "e", "f"]])
    >>> float(sigs.jaccard_similarity([0], [1])[0])
    1.0
    """

    def __init__(
        self, num_perm: int = 128, seed: int = 1, shingle_size: int = 5, backend: str = "auto"
    ):
        if backend not in BACKENDS:
            raise ParameterError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        numba_installed = importlib.util.find_spec("numba") is not None
        if backend == "numba" and not numba_installed:
            raise ParameterError(
                'backend "numba" needs numba: pip install "dedupe-news[fast]", '
                'or use backend="numpy"'
            )
        if num_perm < 1:
            raise ParameterError(f"num_perm must be at least 1, got {num_perm}")
        if shingle_size < 1:
            raise ParameterError(f"shingle_size must be at least 1, got {shingle_size}")
        self.num_perm = num_perm
        self.seed = seed
        self.shingle_size = shingle_size
        self.backend = backend
        self._numba_installed = numba_installed
        a, b = _permutations(num_perm, seed)
        self._a = a
        self._b = b
        self._token_cache: dict[str, int] = {}

    def sign(self, token_lists: Sequence[Sequence[str]]) -> Signatures:
        """Signatures for a batch of token lists, one row per list."""
        if not self._compiled(len(token_lists)):
            lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
            return self._sign_numpy(self._token_hashes(token_lists), lengths)
        from . import minhash_kernel

        signed = minhash_kernel.sign_packed(
            *minhash_kernel.pack_tokens(token_lists), self.shingle_size, self._a, self._b
        )
        if signed is None:  # a token with a NUL byte in it: the packed form can't hold it
            lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
            return self._sign_numpy(self._token_hashes(token_lists), lengths)
        return Signatures(hashvalues=signed[0], shingle_counts=signed[1])

    def sign_token_hashes(self, token_hashes: np.ndarray, lengths: np.ndarray) -> Signatures:
        """:meth:`sign` of token lists given as the CRC-32 of every token
        (``zlib.crc32`` of its UTF-8 bytes), all lists end to end, and the number
        of tokens of each list.

        >>> hasher = MinHasher(num_perm=4)
        >>> tokens = [["peace", "talks", "end"], []]
        >>> hashes = np.array([zlib.crc32(t.encode()) for t in tokens[0]], dtype=np.uint32)
        >>> bool((hasher.sign_token_hashes(hashes, np.array([3, 0])).hashvalues
        ...       == hasher.sign(tokens).hashvalues).all())
        True
        """
        token_hashes = np.asarray(token_hashes, dtype=np.uint32)
        lengths = np.asarray(lengths, dtype=np.int64)
        if not self._compiled(lengths.size):
            return self._sign_numpy(token_hashes, lengths)
        from . import minhash_kernel

        hashvalues, shingle_counts = minhash_kernel.sign_hashes(
            token_hashes, lengths, self.shingle_size, self._a, self._b
        )
        return Signatures(hashvalues=hashvalues, shingle_counts=shingle_counts)

    def _compiled(self, n_lists: int) -> bool:
        return self.backend == "numba" or (
            self.backend == "auto" and self._numba_installed and n_lists >= COMPILED_MIN_BATCH
        )

    def _sign_numpy(self, token_hashes: np.ndarray, lengths: np.ndarray) -> Signatures:
        n = lengths.size
        hashvalues = np.full((n, self.num_perm), _EMPTY, dtype=np.uint32)
        hashes, owners = self._shingle_hashes(token_hashes, lengths)
        if hashes.size == 0:
            return Signatures(hashvalues=hashvalues, shingle_counts=np.zeros(n, dtype=np.int32))
        # Each article's distinct shingles: sorting (article, hash) codes is fast here,
        # as the codes arrive grouped by article. A repeated shingle changes no minimum.
        codes = np.sort((owners.astype(np.uint64) << np.uint64(32)) | hashes)
        codes = codes[np.concatenate(([True], codes[1:] != codes[:-1]))]
        owners = (codes >> np.uint64(32)).astype(np.intp)
        hashes = (codes & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        counts = np.bincount(owners, minlength=n).astype(np.int32)
        for start in range(0, hashes.size, _SHINGLES_PER_CHUNK):
            # An article split across two chunks gets the minimum of both parts below.
            h = hashes[start : start + _SHINGLES_PER_CHUNK]
            doc = owners[start : start + _SHINGLES_PER_CHUNK]
            # Permutations along rows, shingles along columns: reduceat over the
            # contiguous last axis is many times faster than over rows.
            with np.errstate(over="ignore"):
                permuted = self._a[:, None] * _fmix32(h)[None, :]
                permuted += self._b[:, None]
            bounds = np.flatnonzero(np.concatenate(([True], doc[1:] != doc[:-1])))
            minima = np.minimum.reduceat(permuted, bounds, axis=1).T
            rows = doc[bounds]
            hashvalues[rows] = np.minimum(hashvalues[rows], minima)
        return Signatures(hashvalues=hashvalues, shingle_counts=counts)

    def _token_hashes(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """The CRC-32 of every token of the batch, in order, from a cache per hasher."""
        cache = self._token_cache
        tokens = list(itertools.chain.from_iterable(token_lists))
        try:
            return np.fromiter(map(cache.__getitem__, tokens), dtype=np.uint32, count=len(tokens))
        except KeyError:
            for token in set(tokens).difference(cache):
                cache[token] = _token_hash(token)
            return np.fromiter(map(cache.__getitem__, tokens), dtype=np.uint32, count=len(tokens))

    def _shingle_hashes(
        self, flat: np.ndarray, lengths: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """All shingle hashes of the batch, and the article index that owns each."""
        k = self.shingle_size
        if lengths.sum() == 0:
            return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.intp)
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        per_doc = np.where(lengths >= k, lengths - k + 1, 0)
        owners = np.repeat(np.arange(lengths.size, dtype=np.intp), per_doc)
        first = np.concatenate(([0], np.cumsum(per_doc)[:-1]))
        starts = np.arange(owners.size) - np.repeat(first, per_doc) + np.repeat(offsets, per_doc)
        h = np.full(owners.size, _FOLD_SEED, dtype=np.uint32)
        with np.errstate(over="ignore"):
            for step in range(k):
                h = _fmix32((h * _FOLD_PRIME) ^ flat[starts + step])
        short = np.flatnonzero((lengths > 0) & (lengths < k))
        if short.size:
            extra = np.array(
                [_fold(flat[offsets[d] : offsets[d] + lengths[d]]) for d in short], dtype=np.uint32
            )
            h = np.concatenate([h, extra])
            owners = np.concatenate([owners, short.astype(np.intp)])
            order = np.argsort(owners, kind="stable")
            h, owners = h[order], owners[order]
        return h, owners


def _fold(token_hashes: np.ndarray) -> int:
    """:func:`shingle_hash` of one shingle, from its tokens' CRC-32 values."""
    with np.errstate(over="ignore"):
        h = np.full(1, _FOLD_SEED, dtype=np.uint32)
        for token_hash in token_hashes:
            h = _fmix32((h * _FOLD_PRIME) ^ token_hash)
        return int(h[0])


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = MinHash(num_perm=num_perm, seed=seed, scheme=MINHASH_SCHEME).permutations
    return np.asarray(a, dtype=np.uint32), np.asarray(b, dtype=np.uint32)
