"""What the prepare stage needs to know of each distinct token, looked up once per token.

:func:`~dedupe_news.prepare.prepare_texts` needs three things of every token: its
CRC-32 (the MinHash shingles fold it), its column in the hashed term space (the
term counts) and whether it is a content term on its own (English stop words and
single letters are not). A :class:`TokenTable` computes them the first time a
token turns up, with the same functions as before
(:func:`~dedupe_news.minhash.shingle_hash`'s ``zlib.crc32``,
:func:`~dedupe_news.prepare.term_counts`, :func:`~dedupe_news.terms.content_terms`),
and keeps them in arrays, so that each token of a batch costs one dict lookup
and the rest is numpy.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from .terms import content_terms

__all__ = ["MAX_TOKENS", "TokenTable"]

_MIN_TOKENS_TO_TELL_LANGUAGE = 30  # as in terms.reads_as_english
MAX_TOKENS = 2_000_000
"""The table starts afresh when it holds more distinct tokens than this (about
300 MB), so that a long stream of new tokens cannot fill memory."""


class TokenTable:
    """Distinct tokens, each with its CRC-32, term column and content-term flag.

    ``columns_of(tokens)`` gives the column of each token in the hashed term space
    (:func:`~dedupe_news.prepare.term_counts` of one-token lists, so the two agree).

    >>> from dedupe_news.prepare import term_column
    >>> table = TokenTable(lambda tokens: [term_column(t) for t in tokens])
    >>> crc, column, is_term = table.lookup(["the", "storm", "the"])
    >>> crc.tolist() == [zlib.crc32(t.encode()) for t in ["the", "storm", "the"]]
    True
    >>> int(column[1]) == term_column("storm"), is_term.tolist()
    (True, [False, True, False])
    """

    def __init__(
        self, columns_of: Callable[[Sequence[str]], Sequence[int]], max_tokens: int = MAX_TOKENS
    ):
        self._columns_of = columns_of
        self._max_tokens = max_tokens
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        """Forget every token."""
        self._ids = _Ids()
        self._crc = np.zeros(0, dtype=np.uint32)
        self._column = np.zeros(0, dtype=np.int32)
        self._is_term = np.zeros(0, dtype=bool)

    def __len__(self) -> int:
        return len(self._ids)

    def lookup(
        self, tokens: Iterable[str], count: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CRC-32 (uint32), term column (int32) and content-term flag of each token
        (``count`` tokens: give it when ``tokens`` is not a sequence)."""
        count = len(tokens) if count is None else count  # type: ignore[arg-type]
        with self._lock:
            if len(self._ids) + count > self._max_tokens:
                self.clear()
            # One dict lookup per token; a new token gets the next id on the way.
            ids = np.fromiter(map(self._ids.__getitem__, tokens), dtype=np.intp, count=count)
            if self._ids.new:
                self._add(self._ids.new)
                self._ids.new = []
            return self._crc[ids], self._column[ids], self._is_term[ids]

    def _add(self, new: list[str]) -> None:
        crc = np.fromiter(
            (zlib.crc32(t.encode("utf-8")) for t in new), dtype=np.uint32, count=len(new)
        )
        column = np.asarray(self._columns_of(new), dtype=np.int32)
        # content_terms of fewer tokens than it needs to tell a language keeps each
        # content term (a list of one token would do, but one call a token is slow).
        is_term = np.zeros(len(new), dtype=bool)
        step = _MIN_TOKENS_TO_TELL_LANGUAGE - 1
        for first in range(0, len(new), step):
            kept = set(content_terms(new[first : first + step]))
            is_term[first : first + step] = [t in kept for t in new[first : first + step]]
        self._crc = np.concatenate([self._crc, crc])
        self._column = np.concatenate([self._column, column])
        self._is_term = np.concatenate([self._is_term, is_term])


class _Ids(dict):
    """Token to id; a missing token is given the next id and listed in ``new``."""

    def __init__(self) -> None:
        super().__init__()
        self.new: list[str] = []

    def __missing__(self, token: str) -> int:
        self[token] = id_ = len(self)
        self.new.append(token)
        return id_
