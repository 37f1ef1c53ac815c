"""Labels of this tree against another commit's, on the real corpora.

``python -m benchmarks.label_parity --against REF`` checks REF out into a
temporary git worktree, clusters each corpus with both versions (default
settings, one process each, batch engine; ``--engine index`` bulk-adds each
corpus to a new index instead, ``--engine spark`` runs ``fit_articles`` in
local[2]), and prints per corpus whether the labels are identical, their ARI,
and each version's ARI against the gold labels where the corpus has them. A
refactoring must print "identical" everywhere; a change of the decision must
show that no score dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT.parent / "shared" / "data"
CORPORA = ("ecbplus_dev", "gva_dev", "uci_headlines_dev", "reuters21578")

# Runs inside each version's tree (its src first on the path): writes labels as JSON.
_DUMP = r"""
import json, sys, tempfile, os
from dedupe_news import StoryClusterer, StoryIndex, read_articles
engine, out, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
result = {}
for path in paths:
    articles = read_articles([path])
    if engine == "batch":
        labels = StoryClusterer(n_jobs=1).fit(articles).labels_.tolist()
    elif engine == "spark":
        from dedupe_news.spark import fit_articles
        labels = fit_articles(articles, master="local[2]").labels_.tolist()
    else:
        db = os.path.join(tempfile.mkdtemp(), "parity.db")
        with StoryIndex(db) as index:
            index.add(articles, bulk=True)
            story = {a: s.story_id for s in index.stories() for a in s.article_ids}
        labels = [story.get(a.id, -1) for a in articles]
    gold = [a.story for a in articles]
    result[os.path.basename(path)] = {"labels": labels, "gold": gold}
json.dump(result, open(out, "w"))
"""


def _labels(tree: Path, engine: str, paths: list[Path]) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        target = out.name
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    command = [sys.executable, "-c", _DUMP, engine, target, *map(str, paths)]
    subprocess.run(command, check=True, env=env, cwd=tree)
    with open(target, encoding="utf-8") as stream:
        return json.load(stream)


def main(argv: list[str] | None = None) -> int:
    from sklearn.metrics import adjusted_rand_score

    parser = argparse.ArgumentParser(prog="python -m benchmarks.label_parity")
    parser.add_argument("--against", required=True, help="git commit to compare with")
    parser.add_argument("--engine", choices=("batch", "index", "spark"), default="batch")
    parser.add_argument("--corpus", action="append", help="corpus name (default: the dev set)")
    args = parser.parse_args(argv)
    paths = [DATA_DIR / f"{name}.jsonl" for name in (args.corpus or CORPORA)]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        parser.error(f"corpus files missing: {', '.join(missing)}")
    with tempfile.TemporaryDirectory() as folder:
        old_tree = Path(folder) / "before"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(old_tree), args.against],
            check=True,
            cwd=REPO_ROOT,
        )
        try:
            before = _labels(old_tree, args.engine, paths)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old_tree)], cwd=REPO_ROOT)
    after = _labels(REPO_ROOT, args.engine, paths)
    print("| corpus | engine | labels | ARI before vs after | gold ARI before | gold ARI after |")
    print("|---|---|---|---|---|---|")
    for name, old in before.items():
        new = after[name]
        same = old["labels"] == new["labels"]
        agreement = adjusted_rand_score(old["labels"], new["labels"])
        gold = old["gold"]
        scores = ["", ""]
        if all(g is not None for g in gold):
            scores = [f"{adjusted_rand_score(gold, r['labels']):.3f}" for r in (old, new)]
        print(
            f"| {name} | {args.engine} | {'identical' if same else 'differ'} | "
            f"{agreement:.4f} | {scores[0]} | {scores[1]} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
