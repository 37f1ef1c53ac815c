"""Preparing a bulk add: the call's articles signed and counted, as parallel arrays."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..articles import Article
from ..minhash import MinHasher
from ..normalize import content_terms, strip_boilerplate, tokenize
from ..parallel import map_tasks
from .rows import Vocabulary


@dataclass
class Batch:
    """Articles prepared for a bulk add: those with text, as parallel arrays."""

    positions: np.ndarray  # index into the call's articles
    day: np.ndarray
    shingles: np.ndarray
    signatures: np.ndarray
    lengths: np.ndarray
    term_ids: np.ndarray  # sorted within each article
    weights: np.ndarray  # sublinear tf
    new_terms: dict[str, int]  # terms first seen in this batch, with their new ids


_BULK_CHUNK = 2000


def prepare_batch(
    articles: Sequence[Article], hasher: MinHasher, vocab: Vocabulary, n_jobs: int | None
) -> Batch:
    """Normalise, sign and count terms (in ``n_jobs`` processes); give new terms ids."""
    tasks = (
        [a.full_text for a in articles[start : start + _BULK_CHUNK]]
        for start in range(0, len(articles), _BULK_CHUNK)
    )
    n_tasks = -(-len(articles) // _BULK_CHUNK)
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("shingles", "signatures", "lengths", "term_ids", "weights")
    }
    new_terms: dict[str, int] = {}
    for signatures, shingles, chunk_terms, lengths, local, counts in map_tasks(
        _prepare_bulk_chunk, tasks, state={"hasher": hasher}, n_jobs=n_jobs, n_tasks=n_tasks
    ):
        ids = np.empty(len(chunk_terms), dtype=np.int64)
        for k, term in enumerate(chunk_terms):
            tid = vocab.ids.get(term)
            if tid is None:
                tid = vocab.ids[term] = new_terms[term] = len(vocab.ids)
            ids[k] = tid
        term_ids = ids[local]
        # Sort each article's terms by id, as stored.
        row = np.repeat(np.arange(lengths.size), lengths)
        order = np.lexsort((term_ids, row))
        parts["shingles"].append(shingles)
        parts["signatures"].append(signatures)
        parts["lengths"].append(lengths)
        # int32 and float32, as stored: the batch's entries are its largest arrays.
        parts["term_ids"].append(term_ids[order].astype(np.int32))
        parts["weights"].append((1.0 + np.log(counts[order])).astype(np.float32))
    joined = {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int64) for k, v in parts.items()}
    if not parts["signatures"]:
        joined["signatures"] = np.zeros((0, hasher.num_perm), dtype=np.uint32)
    day = np.array(
        [float(a.date.toordinal()) if a.date else math.nan for a in articles], dtype=np.float64
    )
    has_text = joined["shingles"] > 0
    if not has_text.all():  # drop articles without text (copies the arrays)
        keep_terms = np.repeat(has_text, joined["lengths"])
        for name in ("shingles", "signatures", "lengths"):
            joined[name] = joined[name][has_text]
        for name in ("term_ids", "weights"):
            joined[name] = joined[name][keep_terms]
    return Batch(
        positions=np.flatnonzero(has_text),
        day=day[has_text],
        shingles=joined["shingles"].astype(np.int64),
        signatures=joined["signatures"],
        lengths=joined["lengths"],
        term_ids=joined["term_ids"],
        weights=joined["weights"],
        new_terms=new_terms,
    )


def _prepare_bulk_chunk(state: dict, texts: Sequence[str]):
    """Worker: signatures, and term counts over a chunk-local vocabulary."""
    tokens = [tokenize(strip_boilerplate(text)) for text in texts]
    signatures = state["hasher"].sign(tokens)
    vocabulary: dict[str, int] = {}
    lengths, local, counts = [], [], []
    for article_tokens in tokens:
        found: dict[str, int] = {}
        for term in content_terms(article_tokens) or article_tokens:
            found[term] = found.get(term, 0) + 1
        lengths.append(len(found))
        for term, count in found.items():
            local.append(vocabulary.setdefault(term, len(vocabulary)))
            counts.append(count)
    return (
        signatures.hashvalues,
        signatures.shingle_counts,
        list(vocabulary),
        np.array(lengths, dtype=np.int64),
        np.array(local, dtype=np.int64),
        np.array(counts, dtype=np.int64),
    )
