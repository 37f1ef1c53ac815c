"""Train the same-story pair model and score it leave-one-corpus-out.

``python -m benchmarks.train_model [--data ../shared/data] [--out MODEL.json]``

Labelled candidate pairs come from the dev corpora:

* ``ecbplus_dev``, ``gva_dev``, ``uci_headlines_dev``: gold ``story`` labels;
* ``ruwa_seeds``: ``ruwa_april2022_dev`` with the five seeds (one story). Pairs
  among seeds and ``related_to_seeds`` rows are positives, seed vs unrelated
  row negatives, other pairs unlabelled;
* ``reuters21578``: articles whose titles name different single tickers
  (``<...>``) are negatives; other pairs unlabelled.

Candidates are what the pipeline scores (LSH copies, TF-IDF neighbours in the
date window) with a lower floor and more neighbours. Each corpus weighs the same
in training. Clustering runs :func:`dedupe_news.clustering.cluster_pairs`
(average linkage) on the model's probability at threshold 0.5, with the full
probability matrix inside components, as the product does. Feature tables are cached in /tmp.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from dedupe_news import score_clustering
from dedupe_news.clustering import cluster_pairs
from dedupe_news.evidence_table import log_length
from dedupe_news.pair_model import PairModel, neighbor_counts
from dedupe_news.pair_model_fit import fit
from dedupe_news.settings import LINKAGES

from .model_corpora import (
    REPO,
    SHORT_SUFFIX,
    Corpus,
    load_corpus,
    reuters_measures,
    seeds_mix,
    seeds_verdict,
)
from .model_report import markdown
from .model_terms import DEFAULT_TERMS, TERM_SETS
from .pair_data import WINDOW_DAYS, PairContext, component_pairs, gold_pair_share, symmetric

DEFAULT_DATA = REPO.parent / "shared" / "data"
CACHE = Path("/tmp/dedupe_news_model_cache")
TRAIN_CORPORA = ("ecbplus_dev", "gva_dev", "uci_headlines_dev", "ruwa_seeds", "reuters21578")
SHORT_VIEWS = ("ecbplus_dev@short", "gva_dev@short")
"""Headline views of long corpora (title, else first line): short-text pairs with
the same labels, so a model trained without uci_headlines_dev sees short texts.
Held out together with their source corpus."""
ARI_CORPORA = ("ecbplus_dev", "gva_dev", "uci_headlines_dev")
MAX_PAIRS_PER_CORPUS = 60_000
CLASS_WEIGHT = 0.5


@dataclasses.dataclass(frozen=True)
class Recipe:
    """The settings a model is trained and clustered with (the product's defaults)."""

    window_days: float = WINDOW_DAYS
    floor: float = 0.05
    max_neighbors: int = 100
    terms: str = DEFAULT_TERMS
    c: float = 1.0
    threshold: float = 0.5
    veto: float = 0.3  # CLEARLY_DIFFERENT, in probability space
    graph_floor: float = 0.0  # neighbour graph: edges of at least this body cosine
    linkage: str = "average"
    veto_distance: float = 10.0  # linkage distance of a clearly different pair
    veto_min_tokens: int = 16  # a pair with a shorter text never vetoes
    long_text_tokens: int = 64  # texts this long keep fewer neighbours (0: every text 100)
    long_text_neighbors: int = 30

    @property
    def candidates(self) -> dict:
        """The model file's ``candidates`` entry (see ``pair_model.neighbor_counts``)."""
        candidates = {"floor": self.floor, "max_neighbors": self.max_neighbors}
        if self.long_text_tokens:
            candidates["long_text"] = {
                "min_tokens": self.long_text_tokens,
                "max_neighbors": self.long_text_neighbors,
            }
        return candidates


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- features, cached --------------------------------------------------------------------


def files_hash(data: Path) -> str:
    digest = hashlib.sha256()
    names = [f"{n}.jsonl" for n in TRAIN_CORPORA if n != "ruwa_seeds"]
    for path in [data / n for n in names + ["ruwa_april2022_dev.jsonl"]] + sorted(
        (REPO / "seeds").iterdir()
    ):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def code_hash() -> str:
    digest = hashlib.sha256()
    for path in (
        "src/dedupe_news/evidence.py",
        "src/dedupe_news/evidence_table.py",
        "src/dedupe_news/neighbor_probe.py",
        "src/dedupe_news/neighbors.py",
        "src/dedupe_news/neighbors_kernel.py",
        "src/dedupe_news/pair_model.py",
        "benchmarks/pair_data.py",
    ):
        digest.update((REPO / path).read_bytes())
    return digest.hexdigest()[:12]


def candidate_table(corpus: Corpus, context: PairContext, recipe: Recipe) -> dict:
    key = (
        f"{recipe.floor}_{recipe.max_neighbors}_{recipe.long_text_tokens}_"
        f"{recipe.long_text_neighbors}_{recipe.window_days:g}_{recipe.graph_floor:g}"
    )
    path = CACHE / f"{corpus.name}_{code_hash()}_{key}.npz"
    if path.exists():
        table = dict(np.load(path))
        ok = table["in_window"]
        context.set_neighbours(
            table["i"][ok], table["j"][ok], table["body_cosine"][ok], recipe.graph_floor
        )
        return table
    i, j = context.candidates(
        recipe.floor, neighbor_counts(log_length(context.n_tokens), recipe.candidates)
    )
    first = context.features(i, j)
    ok = first["in_window"]
    context.set_neighbours(i[ok], j[ok], first["body_cosine"][ok], recipe.graph_floor)
    table = {"i": i, "j": j, "label": corpus.pair_labels(i, j), **context.features(i, j)}
    CACHE.mkdir(exist_ok=True)
    np.savez(path, **table)
    return table


def training_rows(table: dict, rng: np.random.Generator) -> np.ndarray:
    rows = np.flatnonzero((table["label"] >= 0) & table["in_window"])
    if rows.size > MAX_PAIRS_PER_CORPUS:
        rows = np.sort(rng.choice(rows, MAX_PAIRS_PER_CORPUS, replace=False))
    return rows


def balanced_weights(labels: np.ndarray) -> np.ndarray:
    """Pair weights of one corpus: the corpus weighs 1, half on each class
    (a corpus with one class only puts its half on it)."""
    weights = np.zeros(labels.size)
    if CLASS_WEIGHT is None:
        return np.full(labels.size, 1.0 / max(labels.size, 1))
    for value in (0, 1):
        mask = labels == value
        if mask.any():
            weights[mask] = CLASS_WEIGHT / mask.sum()
    return weights


def train(tables: dict[str, dict], names, recipe: Recipe, metadata=None) -> PairModel:
    rng = np.random.default_rng(0)
    parts, labels, weights = [], [], []
    for name in names:
        rows = training_rows(tables[name], rng)
        parts.append({k: v[rows] for k, v in tables[name].items()})
        y = tables[name]["label"][rows]
        labels.append(y)
        weights.append(balanced_weights(y))
    features = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    weight = np.concatenate(weights)
    return fit(
        features,
        np.concatenate(labels),
        TERM_SETS[recipe.terms],
        weights=weight * weight.size / weight.sum(),
        c=recipe.c,
        metadata=metadata,
    )


# -- clustering with the model ----------------------------------------------------------


def probabilities(model: PairModel, features: dict) -> np.ndarray:
    """As ``ModelRule.story_similarity``: copies 1 unless their leads name different
    tickers, 0 outside the window, else the model's probability."""
    p = model.predict_similarity(features)
    p = np.where(features["is_copy"] & (features["ticker_conflict"] == 0), 1.0, p)
    return np.where(features["in_window"], p, 0.0)


def linkage_probabilities(model: PairModel, features: dict, recipe: Recipe) -> np.ndarray:
    """What linkage reads, as ``ModelScorer.linkage_similarity`` gives it: pairs in
    the window with a text under ``veto_min_tokens`` tokens never veto."""
    p = probabilities(model, features)
    short = features["log_tokens_min"] < np.log1p(recipe.veto_min_tokens)
    lift = short & features["in_window"] & (p < recipe.veto)
    return np.where(lift, recipe.veto, p)


def cluster(model, context: PairContext, table: dict, threshold: float, recipe: Recipe):
    similarity = probabilities(model, table)

    def component_similarity(members: np.ndarray) -> np.ndarray:
        a, b, ri, rj = component_pairs(members)
        features = context.features(ri, rj)
        return symmetric(members.size, a, b, linkage_probabilities(model, features, recipe))

    return cluster_pairs(
        context.n,
        table["i"],
        table["j"],
        similarity,
        threshold=threshold,
        component_similarity=component_similarity,
        linkage_method=recipe.linkage,
        clearly_different=recipe.veto,
        veto_distance=recipe.veto_distance,
    )


def evaluate(corpus: Corpus, context, table, model, recipe: Recipe) -> dict:
    """The corpus's acceptance measures under ``model``."""
    result = {}
    threshold = recipe.threshold
    labelled = (table["label"] >= 0) & table["in_window"]
    if len(set(table["label"][labelled].tolist())) == 2:
        result["pair_auc"] = roc_auc_score(
            table["label"][labelled], probabilities(model, table)[labelled]
        )
    if corpus.kind == "gold":
        labels = cluster(model, context, table, threshold, recipe)
        scores = score_clustering(corpus.group, labels)
        result.update(ari=scores.adjusted_rand_index, f1=scores.pairwise_f1)
    elif corpus.kind == "tickers":
        result.update(reuters_measures(corpus, cluster(model, context, table, threshold, recipe)))
    else:
        for t in (threshold * 0.8, threshold, threshold * 1.2):
            labels = cluster(model, context, table, t, recipe)
            result[f"seeds@{t:.2f}"] = seeds_verdict(corpus, labels)
    return result


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.train_model")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=None, help="write the model JSON here")
    parser.add_argument("--results", type=Path, default=None, help="write the results JSON here")
    parser.add_argument("--markdown", type=Path, default=None, help="write the RESULTS section")
    parser.add_argument("--only", nargs="*", default=None, help="evaluate only these corpora")
    default = Recipe()
    parser.add_argument("--window", type=float, default=default.window_days, help="days")
    parser.add_argument("--floor", type=float, default=default.floor)
    parser.add_argument("--max-neighbors", type=int, default=default.max_neighbors)
    parser.add_argument("--terms", choices=sorted(TERM_SETS), default=default.terms)
    parser.add_argument("--c", type=float, default=default.c, help="inverse regularisation")
    parser.add_argument("--threshold", type=float, default=default.threshold)
    parser.add_argument("--veto", type=float, default=default.veto, help="CLEARLY_DIFFERENT")
    parser.add_argument(
        "--graph-floor", type=float, default=default.graph_floor, help="neighbour graph edges"
    )
    parser.add_argument("--linkage", choices=LINKAGES, default=default.linkage)
    parser.add_argument("--veto-distance", type=float, default=default.veto_distance)
    parser.add_argument("--veto-min-tokens", type=int, default=default.veto_min_tokens)
    parser.add_argument(
        "--long-text-tokens",
        type=int,
        default=default.long_text_tokens,
        help="texts this long keep --long-text-neighbors (0: every text --max-neighbors)",
    )
    parser.add_argument("--long-text-neighbors", type=int, default=default.long_text_neighbors)
    args = parser.parse_args(argv)
    recipe = Recipe(
        args.window,
        args.floor,
        args.max_neighbors,
        args.terms,
        args.c,
        args.threshold,
        args.veto,
        args.graph_floor,
        args.linkage,
        args.veto_distance,
        args.veto_min_tokens,
        args.long_text_tokens,
        args.long_text_neighbors,
    )
    return args, recipe


def main(argv=None) -> int:
    args, recipe = parse_args(argv)
    corpora = {name: load_corpus(name, args.data) for name in (*TRAIN_CORPORA, *SHORT_VIEWS)}
    corpora["seeds_mix"] = seeds_mix(args.data)
    started = time.time()
    contexts, tables, reach = {}, {}, {}
    for name, corpus in corpora.items():
        log(f"{name}: {len(corpus.articles)} articles: features")
        contexts[name] = PairContext(corpus.articles, recipe.window_days)
        tables[name] = candidate_table(corpus, contexts[name], recipe)
        t = tables[name]
        line = f"{name}: {t['i'].size} candidate pairs, labelled {(t['label'] >= 0).sum()}"
        if corpus.kind == "gold":
            reached, total = gold_pair_share(corpus.group, t["i"], t["j"])
            reach[name] = (reached, total)
            line += f", gold pairs reaching scoring {reached}/{total} = {reached / total:.3f}"
        log(line)
    command = "python -m benchmarks.train_model " + shlex.join(argv or sys.argv[1:])
    training = (*TRAIN_CORPORA, *SHORT_VIEWS)
    full = train(tables, training, recipe)
    results = {"in_sample": {}, "loco": {}}
    for name in args.only or (*ARI_CORPORA, "reuters21578", "seeds_mix"):
        held_out = "ruwa_seeds" if name == "seeds_mix" else name
        kept = [c for c in training if c.removesuffix(SHORT_SUFFIX) != held_out]
        loco = train(tables, kept, recipe)
        for key, model in (("in_sample", full), ("loco", loco)):
            results[key][name] = evaluate(
                corpora[name], contexts[name], tables[name], model, recipe
            )
            log(f"{key} {name}: {results[key][name]}")
    metadata = {
        "trained_by": command,
        "training_files_sha256": files_hash(args.data),
        "commit": subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip(),
        "threshold": recipe.threshold,
        "clearly_different": recipe.veto,
        "window_days": recipe.window_days,
        "neighbour_graph_floor": recipe.graph_floor,
        "linkage": {
            "method": recipe.linkage,
            "veto_distance": recipe.veto_distance,
            "veto_min_tokens": recipe.veto_min_tokens,
        },
        "candidates": recipe.candidates,
        "scores": results,
    }
    full = dataclasses.replace(full, metadata=metadata)
    if args.out:
        full.save(args.out)
    if args.markdown:
        seconds = time.time() - started
        args.markdown.write_text(markdown(results, metadata, reach, seconds, recipe))
    if args.results:
        args.results.write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
