"""The persistent index fed one day at a time, against batch clustering of the same corpus.

For each corpus and decision (the cosine rule, and ``--model``), the articles go
into a new :class:`~dedupe_news.index.StoryIndex` in date order, one
``add(..., bulk=True)`` call per publication day, as a pipeline adding each
day's news would; ``StoryClusterer`` clusters the same articles in one batch.
Reported: the calls, the adjusted Rand index of the index's stories against
batch's labels and, where the corpus has them, against the gold stories; for
Reuters, the share of articles whose title names one ticker that share a story
with another ticker's article (as ``benchmarks.model_check``); and the CPU
seconds of the index run.

Usage::

    python -m benchmarks.index_daily [--corpora gva_dev reuters21578] [--model default]
"""

from __future__ import annotations

import argparse
import itertools
import math
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from dedupe_news import StoryClusterer, read_articles
from dedupe_news.index import StoryIndex
from dedupe_news.timestamps import article_day, article_time_key

from .model_corpora import Corpus, reuters_measures

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"  # ../shared/data


def daily_labels(articles, model, directory: str) -> tuple[np.ndarray, int, float]:
    """Stories of ``articles`` (in date order) added one day per call; calls, CPU s."""
    started = time.process_time()
    calls = 0
    with StoryIndex(Path(directory) / "daily.db", model=model) as index:
        for _, day in itertools.groupby(articles, key=publication_day):
            index.add(list(day), bulk=True)
            calls += 1
        story = {aid: s.story_id for s in index.stories() for aid in s.article_ids}
    labels = np.array([story.get(a.id, -1) for a in articles])  # -1: empty text, as batch
    return labels, calls, time.process_time() - started


def publication_day(article) -> float:
    """The article's UTC day, whatever the time of day; undated articles together."""
    day = article_day(article)
    return math.inf if math.isnan(day) else day


def corpus_row(name: str, model) -> dict:
    articles = read_articles(DATA / f"{name}.jsonl")
    articles.sort(key=article_time_key)
    batch = StoryClusterer(model=model, n_jobs=1).fit_predict(articles)
    with tempfile.TemporaryDirectory() as directory:
        labels, calls, cpu = daily_labels(articles, model, directory)
    row = {
        "corpus": name,
        "decision": "rule" if model is None else f"model {model}",
        "calls": calls,
        "ari_vs_batch": adjusted_rand_score(batch, labels),
        "index_cpu_s": cpu,
    }
    gold = [k for k, a in enumerate(articles) if a.story is not None]
    if gold:
        truth = [articles[k].story for k in gold]
        row["gold_ari_batch"] = adjusted_rand_score(truth, batch[gold])
        row["gold_ari_index"] = adjusted_rand_score(truth, labels[gold])
    if name == "reuters21578":
        corpus = Corpus(name, articles, np.full(len(articles), None, dtype=object), None)
        row["cross_ticker_batch"] = reuters_measures(corpus, batch)["cross_ticker_share"]
        row["cross_ticker_index"] = reuters_measures(corpus, labels)["cross_ticker_share"]
    return row


def head_commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()


def markdown(rows: list[dict], argv: list[str], commit: str) -> str:
    lines = [
        f"`python -m benchmarks.index_daily {' '.join(argv)}`, commit {commit}, "
        f"{time.strftime('%Y-%m-%d %H:%M')}, {platform.machine()}, Python "
        f"{platform.python_version()}.",
        "",
        "| corpus | decision | calls | ARI vs batch | gold ARI batch / index "
        "| cross-ticker batch / index | index CPU s |",
        "|---|---|---|---|---|---|---|",
    ]

    def pair(row, a, b):
        return f"{row[a]:.3f} / {row[b]:.3f}" if a in row else ""

    for r in rows:
        lines.append(
            f"| {r['corpus']} | {r['decision']} | {r['calls']} | {r['ari_vs_batch']:.3f} "
            f"| {pair(r, 'gold_ari_batch', 'gold_ari_index')} "
            f"| {pair(r, 'cross_ticker_batch', 'cross_ticker_index')} | {r['index_cpu_s']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(prog="python -m benchmarks.index_daily")
    parser.add_argument("--corpora", nargs="+", default=["gva_dev", "reuters21578"])
    parser.add_argument("--model", default="default", help="'default' or a model file")
    args = parser.parse_args(argv)
    commit = head_commit()  # the code that runs: read before the long run
    rows = [corpus_row(name, model) for name in args.corpora for model in (None, args.model)]
    print(markdown(rows, argv, commit))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
