"""The batch estimator's prepare stage: articles to prepared chunks, on every core.

Articles are read in chunks of :data:`CHUNK` and each chunk goes to
:func:`~dedupe_news.prepare.prepare_texts` (and, when a learned model needs them,
:func:`~dedupe_news.model_features.prepare_evidence`) in worker processes. A
stream of articles is read as the workers take chunks, and its texts are then
dropped: memory holds signatures, term counts and evidence keys, not the corpus.

While it runs, Python's cyclic garbage collector looks at new objects less often
(:data:`GC_THRESHOLD` allocations, not 700): preparing makes many lists and tuples
and no reference cycles, and each full collection walks every object alive,
the caller's articles included (on Reuters with the model, four full collections
took about 0.5 s of 3.6). The collector's settings are restored afterwards.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .articles import Article, joined_text
from .minhash import COMPILED_MIN_BATCH, MinHasher, Signatures
from .model_features import PreparedEvidence, prepare_evidence
from .parallel import effective_jobs, map_tasks
from .prepare import PreparedTexts, prepare_texts

__all__ = [
    "CHUNK",
    "GC_THRESHOLD",
    "STUB_TEXT_CHARS",
    "PreparedCorpus",
    "fewer_collections",
    "prepare_corpus",
    "stub",
]

CHUNK = 2000
GC_THRESHOLD = 50_000
"""New objects between two collections of the youngest generation while preparing."""
STUB_TEXT_CHARS = 200
_WARM_UP_TEXT = "loads the signing kernel once before the workers fork"


@dataclass(frozen=True)
class PreparedCorpus:
    """A prepared corpus: rows for the articles with text (``kept``).

    ``evidence`` is None unless it was asked for. ``articles`` are the input
    articles in order (for a stream, stubs: see :func:`stub`).
    """

    kept: np.ndarray
    signatures: Signatures
    term_counts: sp.csr_matrix
    token_counts: np.ndarray
    evidence: PreparedEvidence | None
    articles: list[Article]


def prepare_corpus(
    articles: Iterable[Article],
    hasher: MinHasher,
    *,
    streamed: bool,
    with_evidence: bool = False,
    n_jobs: int | None = None,
    report: Callable[[int, int], None] = lambda done, total: None,
) -> PreparedCorpus:
    """Prepare ``articles`` in chunks over ``n_jobs`` processes; ``report(done, total)``
    is called as chunks finish (``total`` is 0 for a stream until the end)."""
    total = 0 if streamed else len(articles)  # type: ignore[arg-type]
    report(0, total)
    fitted: list[Article] = []
    failure: list[Exception] = []

    def tasks() -> Iterator[list[tuple[str | None, str]]]:
        # Runs where the tasks are fed (a pool thread with n_jobs > 1): an input
        # error ends the feed here and is raised once the pool is done.
        iterator = iter(articles)
        try:
            while chunk := list(itertools.islice(iterator, CHUNK)):
                fitted.extend(map(stub, chunk) if streamed else chunk)
                yield [(a.title, a.text) for a in chunk]
        except Exception as error:  # noqa: BLE001 - re-raised below, in this thread
            failure.append(error)

    n_tasks = -(-total // CHUNK) if total else None
    chunks: list[tuple[PreparedTexts, PreparedEvidence | None]] = []
    done = 0
    with fewer_collections():  # (forked workers inherit the setting)
        for chunk in map_tasks(
            _prepare_task,
            tasks(),
            state={"hasher": hasher, "with_evidence": with_evidence},
            n_jobs=n_jobs,
            n_tasks=n_tasks or effective_jobs(n_jobs),
            warm_up=lambda: prepare_texts([_WARM_UP_TEXT] * COMPILED_MIN_BATCH, hasher),
        ):
            chunks.append(chunk)
            done += chunk[0].has_text.size
            report(done, total)
    if failure:
        raise failure[0]
    if streamed:
        report(done, done)
    if not chunks:
        return PreparedCorpus(np.zeros(0, dtype=np.intp), None, None, None, None, fitted)  # type: ignore[arg-type]
    texts = [c[0] for c in chunks]
    return PreparedCorpus(
        kept=np.flatnonzero(np.concatenate([c.has_text for c in texts])),
        signatures=Signatures(
            np.concatenate([c.signatures.hashvalues for c in texts]),
            np.concatenate([c.signatures.shingle_counts for c in texts]),
        ),
        term_counts=sp.vstack([c.term_counts for c in texts], format="csr"),
        token_counts=np.concatenate([c.token_counts for c in texts]),
        evidence=PreparedEvidence.stack([c[1] for c in chunks]) if with_evidence else None,
        articles=fitted,
    )


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect the youngest generation every :data:`GC_THRESHOLD` new objects at most
    (unless collections are switched off), then restore the thresholds.

    >>> import gc
    >>> before = gc.get_threshold()
    >>> with fewer_collections():
    ...     gc.get_threshold()[0] >= GC_THRESHOLD
    True
    >>> gc.get_threshold() == before
    True
    """
    thresholds = gc.get_threshold()
    if 0 < thresholds[0] < GC_THRESHOLD:
        gc.set_threshold(GC_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _prepare_task(
    state: dict, chunk: Sequence[tuple[str | None, str]]
) -> tuple[PreparedTexts, PreparedEvidence | None]:
    """Worker of the prepare stage (runs in a forked process with ``n_jobs`` > 1)."""
    texts = prepare_texts([joined_text(title, text) for title, text in chunk], state["hasher"])
    if not state["with_evidence"]:
        return texts, None
    kept = [chunk[k] for k in np.flatnonzero(texts.has_text)]
    return texts, prepare_evidence([t for t, _ in kept], [x for _, x in kept])


def stub(article: Article) -> Article:
    """The article with only the first line of its text, cut to STUB_TEXT_CHARS.

    >>> short = stub(Article("a1", "  Storm hits\\nthe coast", title="Storm"))
    >>> short == Article("a1", "Storm hits", title="Storm")
    True
    >>> len(stub(Article("a2", "x" * 500 + "\\ny")).text) == STUB_TEXT_CHARS
    True
    """
    # The first line of the first STUB_TEXT_CHARS characters is the first line, cut
    # (a stripped text opens with no line break): no need to split all its lines.
    lines = article.text.strip()[:STUB_TEXT_CHARS].splitlines()
    first = lines[0] if lines else ""
    # (dataclasses.replace keeps the attributes inline: a copied __dict__ would take
    # 128 bytes more an article, 128 MB at 1M.)
    return dataclasses.replace(article, text=first)
