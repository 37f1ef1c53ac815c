"""Quality: every recipe on every labelled corpus, scored against the gold stories."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dedupe_news import Article, read_articles, score_clustering

from . import recipes

SEEDS_STORY = "seeds"


@dataclass
class Corpus:
    """A labelled corpus: its name and articles (``story`` set on the labelled ones)."""

    name: str
    articles: list[Article]

    @property
    def gold(self) -> np.ndarray:
        return gold_labels(self.articles)


def gold_labels(articles: Sequence[Article]) -> np.ndarray:
    """Gold story per article; an article without a story is a story of its own."""
    return np.array(
        [a.story if a.story is not None else f"\0{a.id}" for a in articles], dtype=object
    )


def predicted_labels(labels: np.ndarray) -> np.ndarray:
    """Cluster labels with each skipped article (-1) made a singleton."""
    labels = np.asarray(labels, dtype=np.int64).copy()
    skipped = labels < 0
    labels[skipped] = labels.max(initial=0) + 1 + np.arange(skipped.sum())
    return labels


def load_corpus(path: Path) -> Corpus | None:
    """The corpus at ``path`` if any article in it has a ``story`` label, else None."""
    articles = read_articles(path)
    if not any(a.story is not None for a in articles):
        return None
    return Corpus(path.stem if path.is_file() else path.name, articles)


def load_seeds(path: Path) -> Corpus:
    """The seed articles: one story told five times."""
    articles = [dataclasses.replace(a, story=SEEDS_STORY) for a in read_articles(path)]
    return Corpus("seeds", articles)


def ari(gold, labels) -> float:
    return score_clustering(gold, predicted_labels(labels)).adjusted_rand_index


def _row(corpus: Corpus, recipe: str, setting: str, run: recipes.RecipeRun | None, note: str = ""):
    row = {
        "corpus": corpus.name,
        "n_docs": len(corpus.articles),
        "n_stories": len(set(corpus.gold)),
        "recipe": recipe,
        "setting": setting,
    }
    if run is None:
        return {**row, "note": note}
    scores = score_clustering(corpus.gold, predicted_labels(run.labels))
    return {
        **row,
        "ari": scores.adjusted_rand_index,
        "pairwise_precision": scores.pairwise_precision,
        "pairwise_recall": scores.pairwise_recall,
        "pairwise_f1": scores.pairwise_f1,
        "bcubed_precision": scores.bcubed_precision,
        "bcubed_recall": scores.bcubed_recall,
        "bcubed_f1": scores.bcubed_f1,
        "n_clusters": scores.n_clusters,
        "seconds": run.seconds,
        "note": note or run.note,
    }


def evaluate(corpus: Corpus, log: Callable[[str], None] = lambda _: None) -> list[dict]:
    """One row per recipe on ``corpus``."""
    articles, gold, n = corpus.articles, corpus.gold, len(corpus.articles)
    rows = []

    def add(recipe: str, setting: str, make: Callable[[], recipes.RecipeRun], note: str = ""):
        log(f"  {corpus.name}: {recipe} ({setting})")
        rows.append(_row(corpus, recipe, setting, make(), note))

    add("dedupe_news", "defaults", lambda: recipes.dedupe_news(articles))
    add(
        "dedupe_news",
        "linkage=single (ablation)",
        lambda: recipes.dedupe_news(articles, linkage="single"),
        "connected components of the pair decision: shows chaining",
    )
    for threshold in (0.5, 0.3):
        add(
            "datasketch MinHashLSH",
            f"threshold={threshold}",
            lambda t=threshold: recipes.datasketch_lsh(articles, t),
        )
    flatters = "best threshold on this corpus (flatters the baseline)"
    t_best, _ = recipes.best_tfidf_threshold(articles, gold, ari)
    add(
        "TF-IDF cosine + components",
        f"cosine>={t_best:.2f}",
        lambda: recipes.tfidf_threshold(articles, t_best),
        flatters,
    )
    if 2 <= n <= recipes.AGGLOMERATIVE_MAX_DOCS:
        t_best, _ = recipes.best_agglomerative_threshold(articles, gold, ari)
        add(
            "TF-IDF + agglomerative (average)",
            f"cosine>={t_best:.2f}",
            lambda: recipes.agglomerative(articles, t_best),
            flatters,
        )
    else:
        rows.append(
            _row(
                corpus,
                "TF-IDF + agglomerative (average)",
                "-",
                None,
                f"skipped: {n} docs (run only up to {recipes.AGGLOMERATIVE_MAX_DOCS}; n^2 memory)",
            )
        )
    if recipes.rensa_available():
        add("rensa RMinHashLSH", "threshold=0.5", lambda: recipes.rensa_lsh(articles, 0.5))
    else:
        rows.append(_row(corpus, "rensa RMinHashLSH", "-", None, "skipped: rensa not installed"))
    return rows
