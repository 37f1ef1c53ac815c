"""The learned model as users run it: ``StoryClusterer(model=...)`` against the rule.

Where ``train_model`` scores research code on cached candidate tables, this runs
the product end to end, with default settings, on the acceptance cases of the
pair-model issue:

* ARI on ecbplus_dev, gva_dev and uci_headlines_dev;
* Reuters: the share of articles whose title names one ticker that share a story
  with another ticker's article, whether every group of exact duplicates (same
  text and date) stays together, and the CPU time of ``fit`` with ``n_jobs=1``,
  rule and model alternating (medians);
* the seeds among ruwa_april2022_dev, ecbplus_dev, gva_dev and bbc2225, at the
  decision threshold and 20% either side.

Usage::

    python -m benchmarks.model_check [--model default|FILE] [--rounds 3] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from dedupe_news import StoryClusterer, read_articles
from dedupe_news.pair_model import PairModel, default_model
from dedupe_news.settings import Settings

from .model_corpora import load_corpus, reuters_measures, seeds_mix, seeds_verdict

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"  # ../shared/data
GOLD = ("ecbplus_dev", "gva_dev", "uci_headlines_dev")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fit_labels(articles, model, threshold=None, **params) -> np.ndarray:
    if model is None:
        if threshold is not None:
            params["rewrite_threshold"] = threshold
        return StoryClusterer(**params).fit_predict(articles)
    return StoryClusterer(model=model, same_story_threshold=threshold, **params).fit_predict(
        articles
    )


def gold_ari(name: str, model) -> float:
    articles = read_articles(DATA / f"{name}.jsonl")
    labels = fit_labels(articles, model)
    keep = [k for k, a in enumerate(articles) if a.story is not None]
    return adjusted_rand_score([articles[k].story for k in keep], labels[keep])


def reuters_rows(model: PairModel, rounds: int) -> dict:
    corpus = load_corpus("reuters21578", DATA)
    seconds: dict[str, list[float]] = {"rule": [], "model": []}
    measures = {}
    for _ in range(rounds):
        for name, chosen in (("rule", None), ("model", model)):
            start = time.process_time()
            labels = fit_labels(corpus.articles, chosen, n_jobs=1)
            seconds[name].append(time.process_time() - start)
            measures[name] = reuters_measures(corpus, labels)
            log(f"reuters {name}: {seconds[name][-1]:.1f} CPU s")
    return {
        name: {**measures[name], "cpu_seconds": statistics.median(seconds[name])}
        for name in seconds
    }


def seeds_rows(model: PairModel) -> dict:
    corpus = seeds_mix(DATA)
    rows = {}
    for name, chosen, base in (
        ("rule", None, Settings().rewrite_threshold),
        ("model", model, model.threshold),
    ):
        for factor in (0.8, 1.0, 1.2):
            threshold = base * factor
            labels = fit_labels(corpus.articles, chosen, threshold)
            rows[(name, f"{threshold:.2f}")] = seeds_verdict(corpus, labels)
            log(f"seeds {name} @{threshold:.2f}: {rows[(name, f'{threshold:.2f}')]}")
    return rows


def markdown(model_name: str, ari: dict, reuters: dict, seeds: dict, rounds: int) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    lines = [
        "## Pair model in the product: `StoryClusterer(model=...)` against the rule",
        "",
        f"- command: `python -m benchmarks.model_check --model {model_name} --rounds {rounds}`",
        f"- commit: {commit} (+ working tree); {platform.machine()}, "
        f"{platform.python_version()}, 2 cores shared with other sessions",
        "- default settings otherwise; Reuters times are CPU seconds of `fit` with "
        f"`n_jobs=1`, rule and model alternating, median of {rounds}",
        "",
        "| case | rule (cosine 0.15) | model |",
        "|---|---|---|",
    ]
    for name in GOLD:
        lines.append(f"| {name} ARI | {ari[(name, 'rule')]:.3f} | {ari[(name, 'model')]:.3f} |")
    for key, label in (
        (
            "cross_ticker_share",
            "Reuters single-ticker articles sharing a story with another ticker",
        ),
        (
            "cross_single_ticker_share",
            "Reuters single-ticker articles sharing a story with another single-ticker title",
        ),
        ("duplicate_groups_together", "Reuters exact-duplicate groups kept together"),
        ("cpu_seconds", "Reuters `fit` CPU seconds"),
    ):
        rule, model = reuters[key]["rule"], reuters[key]["model"]
        show = (lambda v: f"{v:.3f}") if isinstance(rule, float) else str
        lines.append(f"| {label} | {show(rule)} | {show(model)} |")
    for name in ("rule", "model"):
        for (who, threshold), verdict in seeds.items():
            if who == name:
                lines.append(
                    f"| seeds haystack, {name} at {threshold} | "
                    + (f"{verdict} | |" if name == "rule" else f" | {verdict} |")
                )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="'default' or a model file")
    parser.add_argument("--rounds", type=int, default=3, help="Reuters timing rounds")
    parser.add_argument("--markdown", help="write the RESULTS.md section here")
    args = parser.parse_args(argv)
    model = default_model() if args.model == "default" else PairModel.load(args.model)
    ari = {}
    for name in GOLD:
        for who, chosen in (("rule", None), ("model", model)):
            ari[(name, who)] = gold_ari(name, chosen)
            log(f"{name} {who}: ARI {ari[(name, who)]:.3f}")
    rows = reuters_rows(model, args.rounds)
    reuters = {key: {who: rows[who][key] for who in rows} for key in rows["rule"]}
    seeds = seeds_rows(model)
    text = markdown(args.model, ari, reuters, seeds, args.rounds)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
