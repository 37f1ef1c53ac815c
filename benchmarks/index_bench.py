"""Latency and throughput of the persistent StoryIndex at 10k, 100k and 1M stored articles.

    .venv/bin/python -m benchmarks.index_bench [--sizes 10000,100000,1000000]

For each size, in a fresh process (so peak RSS is its own): build a synthetic
corpus (:mod:`benchmarks.corpus`, 2,000 articles a day, so the 5-day window holds
about 20,000 articles), hold out articles, and store the rest with one
``add(bulk=True, n_jobs=-1)`` call in date order (build docs/s). Then, at that
size: ``add`` of held-out articles in calls of 50 (incremental docs/s), one
``add(bulk=True)`` of the latest ``--bulk`` articles, about a day's news at the
end of the stream (bulk docs/s), and ``query`` of other held-out articles, timed
one by one (p50 and p99 latency; the median of each over ``--repeats`` passes).
File size is the database after a WAL checkpoint; peak RSS is the process's
``VmHWM``. ``INDEX_BENCH_KEEP`` names a folder to keep the indexes in
(``bench-<size>.db``); ``INDEX_BENCH_DIR`` the temporary folder otherwise.
Results go to ``benchmarks/results/index.csv``
(one row per size and commit, merged with rows already there), and their table replaces
the index section of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from dedupe_news.index import StoryIndex

from . import corpus, report
from .speed import _peak_rss_mib

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = REPO_ROOT.parent / "shared" / "data"
POOL = [DATA / "reuters21578.jsonl", DATA / "bbc2225.jsonl"]
RESULTS = REPO_ROOT / "benchmarks" / "results" / "index.csv"
RESULTS_MD = REPO_ROOT / "benchmarks" / "RESULTS.md"
SEED = 20240601
ARTICLES_PER_DAY = 2000
FIELDS = [
    "stored",
    "build_seconds",
    "build_docs_per_s",
    "add_docs",
    "add_docs_per_s",
    "bulk_add_docs",
    "bulk_add_docs_per_s",
    "queries",
    "query_p50_ms",
    "query_p99_ms",
    "query_mean_ms",
    "stories",
    "file_mib",
    "peak_rss_mib",
    "load_before",
    "load_after",
    "command",
    "commit",
    "date",
    "note",
]


def measure(stored: int, n_add: int, n_bulk: int, n_queries: int, repeats: int) -> dict:
    """Build an index of ``stored`` articles and time add, bulk add and query on it."""
    load_before = os.getloadavg()[0]
    pool = corpus.load_pool([p for p in POOL if p.exists()])
    articles = corpus.make_corpus(
        pool, stored + n_add + n_bulk + n_queries, seed=SEED, articles_per_day=ARTICLES_PER_DAY
    )
    articles.sort(key=lambda a: (a.date, a.id))
    # The bulk add is the latest articles (about a day's news, at the end of the stream);
    # added and queried articles are drawn at random from the rest.
    bulk, rest = articles[len(articles) - n_bulk :], articles[: len(articles) - n_bulk]
    rng = random.Random(SEED)
    held = rng.sample(range(len(rest)), n_add + n_queries)
    held_set = set(held)
    base = [a for k, a in enumerate(rest) if k not in held_set]
    more = sorted((rest[k] for k in held[:n_add]), key=lambda a: a.date)
    queries = [rest[k] for k in held[n_add:]]
    del rest, articles, pool
    keep = os.environ.get("INDEX_BENCH_KEEP")  # a folder: keep the index there
    with tempfile.TemporaryDirectory(dir=os.environ.get("INDEX_BENCH_DIR")) as tmp:
        path = Path(keep or tmp) / f"bench-{stored}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        with StoryIndex(path) as index:
            start = time.perf_counter()
            index.add(base, bulk=True, n_jobs=-1)
            build = time.perf_counter() - start
            del base
            start = time.perf_counter()
            for k in range(0, len(more), 50):
                index.add(more[k : k + 50])
            add = time.perf_counter() - start
            start = time.perf_counter()
            index.add(bulk, bulk=True, n_jobs=-1)
            bulk_seconds = time.perf_counter() - start
            p50, p99, mean = [], [], []
            for _ in range(repeats):
                latencies = []
                for article in queries:
                    t = time.perf_counter()
                    index.query(article)
                    latencies.append(time.perf_counter() - t)
                ms = np.array(latencies) * 1000
                p50.append(np.percentile(ms, 50))
                p99.append(np.percentile(ms, 99))
                mean.append(ms.mean())
        # File size without the WAL of the last writes: fold it into the database.
        checkpoint = sqlite3.connect(path)
        checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        checkpoint.close()
        with StoryIndex(path) as index:
            stats = index.stats()
    return {
        "stored": stored,
        "build_seconds": round(build, 1),
        "build_docs_per_s": round(stored / build),
        "add_docs": n_add,
        "add_docs_per_s": round(n_add / add, 1),
        "bulk_add_docs": n_bulk,
        "bulk_add_docs_per_s": round(n_bulk / bulk_seconds),
        "queries": n_queries,
        "query_p50_ms": round(statistics.median(p50), 2),
        "query_p99_ms": round(statistics.median(p99), 2),
        "query_mean_ms": round(statistics.median(mean), 2),
        "stories": stats.stories,
        "file_mib": round(stats.file_bytes / 2**20),
        "peak_rss_mib": round(_peak_rss_mib()),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def _merge(rows: list[dict]) -> list[dict]:
    """Rows already in the CSV, with those of this run replacing the same size and commit."""
    old = []
    if RESULTS.exists():
        with RESULTS.open() as f:
            old = list(csv.DictReader(f))
    keys = {(str(r["stored"]), str(r["commit"])) for r in rows}
    merged = [r for r in old if (r["stored"], r.get("commit", "")) not in keys] + rows
    return sorted(merged, key=lambda r: (int(r["stored"]), str(r.get("date", ""))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--add", type=int, default=300, help="articles added in calls of 50")
    parser.add_argument("--bulk", type=int, default=ARTICLES_PER_DAY, help="one bulk add")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--no-save", action="store_true", help="do not write the CSV")
    args = parser.parse_args()
    if args.child:
        row = measure(args.child, args.add, args.bulk, args.queries, args.repeats)
        print(json.dumps(row), flush=True)
        return
    rows = []
    command = "python -m benchmarks.index_bench" + "".join(" " + a for a in sys.argv[1:])
    revision = report.git_revision(REPO_ROOT)
    for size in (int(s) for s in args.sizes.split(",")):
        child = [
            sys.executable,
            "-m",
            "benchmarks.index_bench",
            "--child",
            str(size),
            "--add",
            str(args.add),
            "--bulk",
            str(args.bulk),
            "--queries",
            str(args.queries),
            "--repeats",
            str(args.repeats),
        ]
        done = subprocess.run(child, cwd=REPO_ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            raise SystemExit(f"index_bench: size {size} failed (exit {done.returncode})")
        row = json.loads(done.stdout.strip().splitlines()[-1])
        row.update(command=command, commit=revision, date=time.strftime("%Y-%m-%d %H:%M"))
        print(json.dumps(row), flush=True)
        rows.append(row)
    if not args.no_save:
        rows = _merge(rows)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with RESULTS.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        report.replace_index_section(RESULTS_MD, report.render_index_section(rows))
    print(report.render_index_section(rows))


if __name__ == "__main__":
    main()
