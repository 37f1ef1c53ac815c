"""Preparing a bulk add: the call's articles signed and counted, as parallel arrays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..articles import Article, joined_text
from ..minhash import MinHasher
from ..model_features import PreparedEvidence, prepare_evidence
from ..parallel import map_tasks
from ..prepare import prepare_texts
from ..timestamps import article_day


@dataclass
class Batch:
    """Articles prepared for a bulk add: those with text, as parallel arrays."""

    positions: np.ndarray  # index into the call's articles
    day: np.ndarray
    shingles: np.ndarray
    signatures: np.ndarray
    lengths: np.ndarray
    term_ids: np.ndarray  # hashed term columns (int32), sorted within each article
    counts: np.ndarray  # raw counts (float32)
    token_counts: np.ndarray  # body tokens per article (int64)
    evidence: PreparedEvidence | None = None  # the model's inputs, when asked for


_BULK_CHUNK = 2000


def prepare_batch(
    articles: Sequence[Article],
    hasher: MinHasher,
    n_jobs: int | None,
    *,
    with_evidence: bool = False,
) -> Batch:
    """Normalise, sign and count terms (in ``n_jobs`` processes); with
    ``with_evidence``, also prepare the learned model's inputs
    (:func:`~dedupe_news.model_features.prepare_evidence`)."""
    tasks = (
        [(a.title, a.text) for a in articles[start : start + _BULK_CHUNK]]
        for start in range(0, len(articles), _BULK_CHUNK)
    )
    n_tasks = -(-len(articles) // _BULK_CHUNK)
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("shingles", "signatures", "lengths", "term_ids", "counts", "tokens")
    }
    evidence: list[PreparedEvidence] = []
    state = {"hasher": hasher, "with_evidence": with_evidence}
    for signatures, shingles, lengths, term_ids, counts, tokens, chunk_evidence in map_tasks(
        _prepare_bulk_chunk, tasks, state=state, n_jobs=n_jobs, n_tasks=n_tasks
    ):
        parts["shingles"].append(shingles)
        parts["signatures"].append(signatures)
        parts["lengths"].append(lengths)
        parts["term_ids"].append(term_ids.astype(np.int32))
        parts["counts"].append(counts.astype(np.float32))
        parts["tokens"].append(tokens)
        if chunk_evidence is not None:
            evidence.append(chunk_evidence)
    joined = {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int64) for k, v in parts.items()}
    if not parts["signatures"]:
        joined["signatures"] = np.zeros((0, hasher.num_perm), dtype=np.uint32)
    day = np.array([article_day(a) for a in articles], dtype=np.float64)
    has_text = joined["shingles"] > 0
    if not has_text.all():  # drop articles without text (copies the arrays)
        keep_terms = np.repeat(has_text, joined["lengths"])
        for name in ("shingles", "signatures", "lengths", "tokens"):
            joined[name] = joined[name][has_text]
        for name in ("term_ids", "counts"):
            joined[name] = joined[name][keep_terms]
    return Batch(
        positions=np.flatnonzero(has_text),
        day=day[has_text],
        shingles=joined["shingles"].astype(np.int64),
        signatures=joined["signatures"],
        lengths=joined["lengths"],
        term_ids=joined["term_ids"],
        counts=joined["counts"],
        token_counts=joined["tokens"].astype(np.int64),
        evidence=_stacked(evidence) if with_evidence else None,
    )


def _stacked(chunks: list[PreparedEvidence]) -> PreparedEvidence:
    """The chunks' evidence in order (none for a call without articles)."""
    return PreparedEvidence.stack(chunks) if chunks else prepare_evidence([], [])


def _prepare_bulk_chunk(state: dict, chunk: Sequence[tuple[str | None, str]]):
    """Worker: :func:`~dedupe_news.prepare.prepare_texts`, as arrays for every text (a
    text without terms gets a zero shingle count, no terms and no tokens), and the
    evidence of the texts with terms when asked for."""
    prepared = prepare_texts([joined_text(title, text) for title, text in chunk], state["hasher"])
    has_text = prepared.has_text
    n, num_perm = has_text.size, prepared.signatures.hashvalues.shape[1]
    signatures = np.full((n, num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    signatures[has_text] = prepared.signatures.hashvalues
    shingles = np.zeros(n, dtype=np.int64)
    shingles[has_text] = prepared.signatures.shingle_counts
    counts = prepared.term_counts
    counts.sort_indices()
    lengths = np.zeros(n, dtype=np.int64)
    lengths[has_text] = np.diff(counts.indptr)
    tokens = np.zeros(n, dtype=np.int64)
    tokens[has_text] = prepared.token_counts
    evidence = None
    if state["with_evidence"]:
        kept = [chunk[k] for k in np.flatnonzero(has_text)]
        evidence = prepare_evidence([t for t, _ in kept], [x for _, x in kept])
    return signatures, shingles, lengths, counts.indices, counts.data, tokens, evidence
