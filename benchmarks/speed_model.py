"""``python -m benchmarks.speed_model``: the learned model's cost on Reuters, against the rule's.

Fits ``StoryClusterer(model=None)`` (the fixed rule) and
``StoryClusterer(model="default")`` (the learned model) with ``n_jobs=1`` on the
19,043 Reuters-21578 articles, each fit in a fresh process, and reports the CPU
time of ``fit`` (``time.process_time``: on a shared machine CPU time is what one
core spends) and of each stage, as medians over ``--repeats`` runs, and the model's
time over the rule's.

``--before SRC`` names the ``src`` folder of another checkout (for example main,
unpacked with ``git archive COMMIT src | tar -x -C DIR``); each repeat then runs
both checkouts one after the other (alternating which goes first), so that both
see the same load, and the table has a row per checkout and decision.
``--check`` also compares the two checkouts' labels and pair probabilities.
Before the timed runs, each checkout fits the model once untimed: a fresh
checkout's first fit compiles its numba kernels (about 10 s CPU), later ones load
them from numba's cache.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
THIS_SRC = Path(__file__).resolve().parents[1] / "src"
STAGES = ("prepare", "tfidf", "candidates", "scoring", "clustering")

_FIT = r"""
import json, sys, time
import numpy as np
from dedupe_news import StoryClusterer
from dedupe_news.articles import iter_articles

path, model, out = sys.argv[1], sys.argv[2], sys.argv[3]
articles = list(iter_articles([path]))
marks = []
clusterer = StoryClusterer(
    model=None if model == "rule" else model,
    n_jobs=1,
    progress=lambda stage, done, total: marks.append((stage, time.process_time())),
)
start = time.process_time()
clusterer.fit(articles)
total = time.process_time() - start
stages = {}
for stage, at in marks:
    stages.setdefault(stage, [at, at])[1] = at
if out != "-":
    np.savez(out, labels=clusterer.labels_, i=clusterer.pairs_.i, j=clusterer.pairs_.j,
             similarity=clusterer.pairs_.story_similarity)
print(json.dumps({"cpu": total, **{s: b - a for s, (a, b) in stages.items()}}))
"""


def fit_once(src: Path, corpus: Path, decision: str, out: str = "-") -> dict[str, float]:
    """CPU seconds of one fit (and of its stages) in a fresh process on ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", _FIT, str(corpus), decision, out],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare_outputs(before: str, after: str) -> str:
    """Whether two fits' labels, pairs and probabilities are the same."""
    import numpy as np

    a, b = np.load(before), np.load(after)
    same_pairs = np.array_equal(a["i"], b["i"]) and np.array_equal(a["j"], b["j"])
    differ = (
        float(np.abs(a["similarity"] - b["similarity"]).max())
        if same_pairs and a["similarity"].size
        else float("nan")
    )
    return (
        f"labels identical: {np.array_equal(a['labels'], b['labels'])}, "
        f"pairs identical: {same_pairs} ({a['i'].size:,}), "
        f"max abs difference of story_similarity: {differ:g}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed_model")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--before", type=Path, help="src folder of the checkout to compare")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--check", action="store_true", help="compare labels and scores too")
    args = parser.parse_args(argv)
    corpus = args.data_dir / "reuters21578.jsonl"
    if not corpus.exists():
        print(f"no {corpus}: give --data-dir", file=sys.stderr)
        return 2
    checkouts = {"this": THIS_SRC} | ({"before": args.before} if args.before else {})
    runs: dict[tuple[str, str], list[dict[str, float]]] = {}
    for name, src in checkouts.items():
        fit_once(src, corpus, "default")  # compiles or loads the kernels, untimed
        print(f"# {name}: warmed up", file=sys.stderr)
    for repeat in range(args.repeats):
        names = list(checkouts) if repeat % 2 == 0 else list(checkouts)[::-1]
        for decision in ("rule", "default"):
            for name in names:
                out = "-"
                if args.check and repeat == 0:
                    out = f"/tmp/speed_model_{os.getpid()}_{name}_{decision}.npz"
                result = fit_once(checkouts[name], corpus, decision, out)
                runs.setdefault((name, decision), []).append(result)
                print(f"# {name} {decision}: {result['cpu']:.2f} s", file=sys.stderr)
    print(f"CPU seconds, median of {args.repeats}, n_jobs=1, Reuters (19,043 articles)\n")
    print("| checkout | decision | fit | " + " | ".join(STAGES) + " | model / rule |")
    print("|---" * (len(STAGES) + 4) + "|")
    for name in checkouts:
        medians = {}
        for decision in ("rule", "default"):
            found = runs[(name, decision)]
            medians[decision] = {
                key: statistics.median(r.get(key, 0.0) for r in found) for key in ("cpu", *STAGES)
            }
        for decision in ("rule", "default"):
            m = medians[decision]
            ratio = m["cpu"] / medians["rule"]["cpu"]
            cells = " | ".join(f"{m[s]:.2f}" for s in STAGES)
            print(f"| {name} | {decision} | {m['cpu']:.2f} | {cells} | {ratio:.2f} |")
    if args.check and args.before:
        for decision in ("rule", "default"):
            files = [f"/tmp/speed_model_{os.getpid()}_{n}_{decision}.npz" for n in checkouts]
            print(f"\n{decision}: {compare_outputs(files[1], files[0])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
