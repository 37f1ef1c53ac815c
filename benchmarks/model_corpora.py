"""The labelled corpora of the pair model's training and checks, and their measures.

``load_corpus(name, data)`` reads a dev corpus with its pair labels (:class:`Corpus`):
gold stories, the seeds among ``ruwa_april2022_dev`` (``ruwa_seeds``), Reuters'
single tickers, or a headline view (``name@short``). :func:`seeds_mix` is the
reference haystack; :func:`reuters_measures` and :func:`seeds_verdict` score a
clustering of Reuters and of the haystack. Used by ``train_model``, ``model_check``
and ``index_daily``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np

from dedupe_news import Article, read_articles

REPO = Path(__file__).resolve().parents[1]
SHORT_SUFFIX = "@short"
"""``name@short``: the corpus with each article cut to its title, else its first line."""


@dataclasses.dataclass
class Corpus:
    name: str
    articles: list[Article]
    group: np.ndarray  # per article: gold story, seeds group or ticker (object)
    kind: str  # "gold", "seeds" or "tickers"

    def pair_labels(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """1 same story, 0 different, -1 unlabelled."""
        gi, gj = self.group[i], self.group[j]
        if self.kind == "gold":
            return (gi == gj).astype(np.int64)
        if self.kind == "seeds":  # groups: "seed", "related", None
            inside_i, inside_j = gi != None, gj != None  # noqa: E711 - elementwise
            seed_i, seed_j = gi == "seed", gj == "seed"
            labels = np.full(i.size, -1, dtype=np.int64)
            labels[inside_i & inside_j] = 1
            labels[(seed_i & ~inside_j) | (seed_j & ~inside_i)] = 0
            return labels
        known = (gi != None) & (gj != None)  # noqa: E711
        labels = np.full(i.size, -1, dtype=np.int64)
        labels[known & (gi != gj)] = 0
        return labels


def single_ticker(title: str | None) -> str | None:
    tickers = set(re.findall(r"<([^>]+)>", title or ""))
    return tickers.pop() if len(tickers) == 1 else None


def short_view(article: Article) -> Article:
    """The article as a headline: its title, else its first line (for ``*@short``)."""
    text = article.title or article.text.strip().splitlines()[0]
    return dataclasses.replace(article, title=None, text=text)


def load_corpus(name: str, data: Path) -> Corpus:
    if name.endswith(SHORT_SUFFIX):
        corpus = load_corpus(name.removesuffix(SHORT_SUFFIX), data)
        articles = [short_view(a) for a in corpus.articles]
        return Corpus(name, articles, corpus.group, corpus.kind)
    if name == "ruwa_seeds":
        seeds = read_articles(REPO / "seeds")
        rows = [json.loads(line) for line in open(data / "ruwa_april2022_dev.jsonl")]
        ruwa = read_articles(data / "ruwa_april2022_dev.jsonl")
        related = {r["id"] for r in rows if r.get("related_to_seeds")}
        group = ["seed"] * len(seeds) + ["related" if a.id in related else None for a in ruwa]
        return Corpus(name, seeds + ruwa, np.array(group, dtype=object), "seeds")
    articles = read_articles(data / f"{name}.jsonl")
    if name == "reuters21578":
        group = np.array([single_ticker(a.title) for a in articles], dtype=object)
        return Corpus(name, articles, group, "tickers")
    gold = [a.story if a.story is not None else f"\0{a.id}" for a in articles]
    return Corpus(name, articles, np.array(gold, dtype=object), "gold")


def seeds_mix(data: Path) -> Corpus:
    """Seeds + ruwa + ecbplus_dev + gva_dev + bbc2225 (the reference haystack)."""
    base = load_corpus("ruwa_seeds", data)
    others = read_articles([data / f for f in ("ecbplus_dev.jsonl", "gva_dev.jsonl")])
    others += read_articles(data / "bbc2225.jsonl")
    others = [dataclasses.replace(a, story=None) for a in others]
    group = np.concatenate([base.group, np.full(len(others), None, dtype=object)])
    return Corpus("seeds_mix", base.articles + others, group, "seeds")


def reuters_measures(corpus: Corpus, labels: np.ndarray) -> dict:
    tickers = [set(re.findall(r"<([^>]+)>", a.title or "")) for a in corpus.articles]
    by_label: dict[int, set] = {}
    for label, names in zip(labels.tolist(), tickers, strict=True):
        by_label.setdefault(label, set()).update(names)
    single = [k for k, t in enumerate(tickers) if len(t) == 1]
    mixed = sum(1 for k in single if by_label[labels[k]] - tickers[k])
    singles_by_label: dict[int, set] = {}
    for k in single:
        singles_by_label.setdefault(labels[k], set()).update(tickers[k])
    # Only other single-ticker titles: a deal title naming both companies
    # ("USAIR <U> TO BUY PIEDMONT <PIE>") does not count here.
    mixed_single = sum(1 for k in single if singles_by_label[labels[k]] - tickers[k])
    texts: dict[tuple, list[int]] = {}
    for k, a in enumerate(corpus.articles):
        texts.setdefault((a.full_text.strip(), a.date), []).append(k)
    groups = [g for g in texts.values() if len(g) > 1]
    together = sum(1 for g in groups if len(set(labels[g].tolist())) == 1)
    return {
        "cross_ticker_share": mixed / len(single),
        "cross_single_ticker_share": mixed_single / len(single),
        "duplicate_groups_together": f"{together}/{len(groups)}",
    }


def seeds_verdict(corpus: Corpus, labels: np.ndarray) -> str:
    seed_rows = np.flatnonzero(corpus.group == "seed")
    seed_labels = set(labels[seed_rows].tolist())
    if len(seed_labels) > 1:
        return f"split into {len(seed_labels)}"
    members = np.flatnonzero(labels == labels[seed_rows[0]])
    intruders = [k for k in members if corpus.group[k] is None]
    related = sum(1 for k in members if corpus.group[k] == "related")
    if intruders:
        return f"{len(intruders)} intruders"
    return f"pass (+{related} related)"
