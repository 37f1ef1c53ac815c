"""Latency and throughput of the persistent StoryIndex at 10k stored articles.

    .venv/bin/python benchmarks/index_bench.py [--data ../shared/data/reuters21578.jsonl]

Builds an index of the first 10,000 Reuters articles (date order) in batches of
500, then times adding the next 1,000 in batches of 100 (docs/s at 10k stored),
and 500 single-article queries of later articles (p50/p99 latency).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from dedupe_news import read_articles
from dedupe_news.index import StoryIndex

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "reuters21578.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT))
    parser.add_argument("--stored", type=int, default=10_000)
    args = parser.parse_args()
    articles = read_articles([args.data])
    articles.sort(key=lambda a: (a.date is None, a.date or 0))
    base, more = articles[: args.stored], articles[args.stored : args.stored + 1000]
    queries = articles[args.stored + 1000 : args.stored + 1500]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        with StoryIndex(path) as index:
            start = time.perf_counter()
            for k in range(0, len(base), 500):
                index.add(base[k : k + 500])
            build = time.perf_counter() - start
            start = time.perf_counter()
            for k in range(0, len(more), 100):
                index.add(more[k : k + 100])
            add = time.perf_counter() - start
            latencies = []
            for article in queries:
                t = time.perf_counter()
                index.query(article)
                latencies.append(time.perf_counter() - t)
            stats = index.stats()
    ms = np.array(latencies) * 1000
    print(f"build {len(base)} articles: {build:.1f} s ({len(base) / build:.0f} docs/s)")
    print(f"add {len(more)} more at {len(base)} stored: {len(more) / add:.0f} docs/s")
    print(
        f"query ({len(ms)}): p50 {np.percentile(ms, 50):.1f} ms, "
        f"p99 {np.percentile(ms, 99):.1f} ms, mean {statistics.fmean(ms):.1f} ms"
    )
    print(
        f"index: {stats.articles} articles, {stats.stories} stories, "
        f"{stats.file_bytes / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
