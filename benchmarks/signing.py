"""Signing: MinHash signatures per second, dedupe_news against datasketch and rensa.

Every article of a synthetic corpus (:mod:`benchmarks.corpus`) is tokenised once
the way the pipeline does it (``tokenize(strip_boilerplate(full_text))``); then,
side by side in this process and pinned to one core, each implementation signs
all of them with 128 permutations over word 5-shingles, median of ``repeats``.

The same input for everyone is the token lists, which is what the pipeline has
when it signs; every clock below starts from them:

- ``dedupe_news.MinHasher(num_perm=128, seed=1, shingle_size=5, backend=...)``
  with the compiled loop (``numba``) and with the numpy path; a fresh hasher
  each repeat, the numba loop compiled beforehand;
- rensa ``RMinHash`` and ``CMinHash`` (``num_perm=128, seed=1``), one sketch per
  article, ``update`` with its shingle strings, built from the tokens inside
  the clock (rensa takes strings); only when ``rensa`` is importable (it is
  not a dependency). :data:`REFERENCE` is the 100% of the relative column.

Two more rows give the libraries an input prepared outside their clocks, which
flatters them: rensa ``RMinHash`` fed shingle strings built beforehand, and
``datasketch.MinHash.bulk`` fed shingle bytes built beforehand.

A check column says on how many of the first :data:`CHECK_DOCS` articles our
signatures (both backends) equal ``datasketch.MinHash(scheme="affine32",
hashfunc=shingle_hash)`` fed the shingle tuples, bit for bit.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from dedupe_news import MinHasher, shingle_hash
from dedupe_news.normalize import shingles, strip_boilerplate, tokenize

from . import corpus

NUM_PERM = 128
SEED = 1
SHINGLE_SIZE = 5
REPEATS = 3
CHECK_DOCS = 200
REFERENCE = "rensa RMinHash"
BACKENDS = ("numba", "numpy")
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"


def shingle_strings(tokens: Sequence[str], size: int = SHINGLE_SIZE) -> list[str]:
    """The word ``size``-shingles of ``tokens`` (as :func:`dedupe_news.normalize.shingles`),
    each joined with spaces."""
    return [" ".join(shingle) for shingle in shingles(tokens, size)]


def median_seconds(run: Callable[[], object], repeats: int = REPEATS) -> float:
    """Median wall time of ``repeats`` calls of ``run``."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def datasketch_matches(
    token_lists: Sequence[Sequence[str]],
    num_perm: int = NUM_PERM,
    seed: int = SEED,
    size: int = SHINGLE_SIZE,
    backend: str = "auto",
) -> int:
    """How many of ``token_lists`` get the same signature from :class:`dedupe_news.MinHasher`
    and from ``datasketch.MinHash(scheme="affine32", hashfunc=shingle_hash)``."""
    from datasketch import MinHash

    hasher = MinHasher(num_perm=num_perm, seed=seed, shingle_size=size, backend=backend)
    ours = hasher.sign(token_lists)
    matches = 0
    for row, tokens in zip(ours.hashvalues, token_lists, strict=True):
        reference = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=shingle_hash)
        for shingle in shingles(tokens, size):
            reference.update(shingle)
        matches += bool(np.array_equal(row, np.asarray(reference.hashvalues, dtype=np.uint32)))
    return matches


def add_relative(rows: list[dict], reference: str = REFERENCE) -> list[dict]:
    """Set ``pct_of_<reference>`` (docs/s as a % of the ``reference`` row's) on every timed row."""
    key = "pct_of_" + reference.lower().replace(" ", "_")
    base = next((r.get("docs_per_second") for r in rows if r["implementation"] == reference), None)
    for row in rows:
        if base and "docs_per_second" in row:
            row[key] = 100.0 * row["docs_per_second"] / base
    return rows


@contextlib.contextmanager
def one_core() -> Iterator[None]:
    """Pin this process to one CPU meanwhile (where the OS allows): single-threaded runs."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    cpus = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cpus)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, cpus)


def _rensa_sign(cls, shingle_lists: Iterable[list[str]]) -> list:
    sketches = []
    for strings in shingle_lists:
        sketch = cls(num_perm=NUM_PERM, seed=SEED)
        sketch.update(strings)
        sketches.append(sketch)
    return sketches


def _numba_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("numba") is not None


def benchmark(
    size: int,
    seed: int,
    pool_paths: Sequence[Path],
    repeats: int = REPEATS,
    log: Callable[[str], None] = lambda _: None,
) -> list[dict]:
    """One row per implementation: median seconds and docs/s to sign ``size`` articles."""
    from datasketch import MinHash

    articles = corpus.make_corpus(corpus.load_pool(pool_paths), size, seed)
    token_lists = [tokenize(strip_boilerplate(a.full_text)) for a in articles]
    del articles
    strings = [shingle_strings(tokens) for tokens in token_lists]
    encoded = [[s.encode() for s in doc] for doc in strings]
    common = {"n_docs": size, "seed": seed, "num_perm": NUM_PERM, "repeats": repeats}

    def ours(backend: str) -> Callable[[], object]:
        return lambda: MinHasher(NUM_PERM, SEED, SHINGLE_SIZE, backend=backend).sign(token_lists)

    if _numba_installed():
        MinHasher(NUM_PERM, SEED, SHINGLE_SIZE, backend="numba").sign(token_lists[:10])  # compile
    runs: list[tuple[str, Callable[[], object] | None, str]] = [
        (
            f"dedupe_news MinHasher {backend}",
            ours(backend) if backend == "numpy" or _numba_installed() else None,
            "from token lists"
            if backend == "numpy" or _numba_installed()
            else "skipped: numba not installed",
        )
        for backend in BACKENDS
    ]
    try:
        from rensa import CMinHash, RMinHash
    except ImportError:
        runs += [
            (name, None, "skipped: rensa not installed")
            for name in (REFERENCE, "rensa CMinHash", REFERENCE + ", strings prebuilt")
        ]
    else:
        note = (
            "from token lists: one sketch per article, update(shingle strings built in the clock)"
        )
        runs += [
            (REFERENCE, lambda: _rensa_sign(RMinHash, map(shingle_strings, token_lists)), note),
            (
                "rensa CMinHash",
                lambda: _rensa_sign(CMinHash, map(shingle_strings, token_lists)),
                note,
            ),
            (
                REFERENCE + ", strings prebuilt",
                lambda: _rensa_sign(RMinHash, strings),
                "shingle strings built beforehand, outside the clock",
            ),
        ]
    runs.append(
        (
            "datasketch MinHash.bulk",
            lambda: MinHash.bulk(encoded, num_perm=NUM_PERM, seed=SEED),
            "shingle bytes built beforehand, outside the clock",
        )
    )

    rows = []
    with one_core():
        for name, run, note in runs:
            if run is None:
                rows.append({"implementation": name, **common, "note": note})
                continue
            log(f"  signing: {name} on {size} docs")
            seconds = median_seconds(run, repeats)
            rows.append(
                {
                    "implementation": name,
                    **common,
                    "seconds": seconds,
                    "docs_per_second": size / seconds,
                    "note": note,
                }
            )
    checked = token_lists[:CHECK_DOCS]
    log(f"  signing: datasketch affine32 check on {len(checked)} docs")
    for row, backend in zip(rows, BACKENDS, strict=False):
        if "seconds" in row:
            matches = datasketch_matches(checked, backend=backend)
            row["equals_datasketch_affine32"] = f"{matches}/{len(checked)}"
    return [
        {**{k: v for k, v in r.items() if k != "note"}, "note": r["note"]}
        for r in add_relative(rows)
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    pool = [args.data_dir / name for name in ("reuters21578.jsonl", "bbc2225.jsonl")]
    for row in benchmark(args.size, args.seed, [p for p in pool if p.exists()]):
        print(row)


if __name__ == "__main__":
    main()
