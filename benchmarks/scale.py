"""``python -m benchmarks.scale``: dense days, a copy storm and both cores (issue 13).

Every run is a fresh process (:func:`benchmarks.speed.run_child`), timed with its
stage times, the CPU seconds of its process tree, the peak PSS of the tree and
the 1-minute load average before and after. Rows:

- Reuters (19,043 articles): ``dedupe_news`` with ``n_jobs=1`` and ``n_jobs=-1``,
  and the datasketch and rensa MinHash LSH recipes, interleaved ``--repeats``
  times so that the load they see is alike; the table shows medians;
- a copy storm: one wire story reprinted 10,000 times on one day (each with its
  own dateline) among 10,000 other articles; ``largest_story`` should be 10,000;
- two density series of synthetic articles (:mod:`benchmarks.corpus`) at 2,000
  and 35,000 articles a day, at ``--sizes``, with the fitted exponent per series.

``--decisions`` names how ``dedupe_news`` decides in the copy storm and the
series: ``rule`` (the fixed cosine rule, the default), ``default`` (the learned
pair model shipped in the package, ``StoryClusterer(model="default")``) or a
model file; each decision is a row of its own, with the candidate pairs it scored.

Writes ``results/scale.csv`` and ``SCALE.md`` under ``--out``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import statistics
import sys
from pathlib import Path

from . import corpus, recipes, report, speed

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT.parent / "shared" / "data"
POOL_FILES = ("reuters21578.jsonl", "bbc2225.jsonl")
DENSITIES = (2000, 35000)
SEED = 20240601
STORM_COPIES = 10_000


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def storm_file(pool_paths, directory: Path, copies: int = STORM_COPIES) -> Path:
    path = directory / f"storm-{copies}-{SEED}.jsonl"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        articles = corpus.copy_storm(corpus.load_pool(pool_paths), copies, copies, SEED)
        speed.write_jsonl(articles, path)
    return path


def run(args: argparse.Namespace, write) -> list[dict]:
    pool = [args.data_dir / name for name in POOL_FILES]
    rows: list[dict] = []

    def child(
        label: str, recipe: str, path: Path, size: int, n_jobs: int = -1, decision: str = "rule"
    ) -> None:
        log(f"  {label}: {recipe} ({decision}) n_jobs={n_jobs} on {path.name}")
        model = None if decision == "rule" else decision
        row = speed.flatten(speed.run_child(recipe, size, SEED, path, args.timeout, n_jobs, model))
        rows.append({"series": label, **row})
        write(rows)  # after every run, so that a stopped run keeps what it measured
        log(f"    {row.get('seconds', row.get('note'))} s, {row.get('cpu_seconds')} CPU s")

    if "reuters" in args.parts:
        reuters = args.data_dir / "reuters21578.jsonl"
        for _ in range(args.repeats):
            child("reuters", "dedupe_news", reuters, 19043, n_jobs=1)
            child("reuters", "dedupe_news", reuters, 19043, n_jobs=-1)
            child("reuters", "datasketch", reuters, 19043)
            if recipes.rensa_available():
                child("reuters", "rensa", reuters, 19043)
    if "storm" in args.parts:
        for decision in args.decisions:
            storm = storm_file(pool, args.corpus_dir)
            child("copy storm", "dedupe_news", storm, 2 * STORM_COPIES, decision=decision)
    if "series" in args.parts:
        for size in args.sizes:
            for density in args.densities:
                path = speed.corpus_file(size, SEED, pool, args.corpus_dir, density)
                for decision in args.decisions:
                    child(f"{density}/day", "dedupe_news", path, size, decision=decision)
    return rows


def render(rows: list[dict], command: str, revision: str, started: dt.datetime) -> str:
    machine = report.machine_info()
    lines = [
        "# Scale benchmarks (issue 13)",
        "",
        f"`{command}` at commit {revision}, started {started:%Y-%m-%d %H:%M}, on "
        + ", ".join(f"{k} {v}" for k, v in machine.items())
        + ".",
        "",
        "**The machine was shared** (2 cores, about 7 sessions): the load average is "
        "given per run. Wall time is CPU time stretched by the load, so compare CPU "
        "seconds and side-by-side ratios, not absolute wall times. Memory is the peak "
        "PSS of the whole process tree (main process and forked workers), sampled every "
        "0.2 s or ten times as long as a sample takes; the sampler's own CPU time is "
        "left out of the CPU seconds.",
        "",
    ]
    columns = (
        ("series", "series"),
        ("recipe", "recipe"),
        ("decision", "decision"),
        ("n_jobs", "n_jobs"),
        ("n_docs", "articles"),
        ("candidate_pairs", "candidate pairs"),
        ("seconds", "wall s"),
        ("cpu_seconds", "CPU s"),
        ("peak_tree_pss_mib", "peak tree PSS MiB"),
        ("peak_stage", "peak in"),
        ("load_before", "load before"),
        ("largest_story", "largest story"),
        ("synthetic_ari", "ARI"),
    )
    stage_columns = tuple((f"{s}_seconds", f"{s} s") for s in speed.STAGES)
    grouped: dict[tuple, list[dict]] = {}
    for row in rows:
        key = (row["series"], row["recipe"], row.get("decision"), row.get("n_jobs"), row["n_docs"])
        grouped.setdefault(key, []).append(row)
    medians = []
    for group in grouped.values():
        done = [r for r in group if "seconds" in r]
        if not done:
            medians.append(group[0])
            continue
        median = dict(done[0])
        for key in median:
            values = [r.get(key) for r in done]
            if all(isinstance(v, int | float) for v in values):
                median[key] = statistics.median(values)
        median["runs"] = len(done)
        medians.append(median)
    lines.append("Medians where a row ran more than once (`runs`):")
    lines.append("")
    lines.append(report.table(medians, (*columns, ("runs", "runs"), *stage_columns)))
    lines.append("")
    decisions = dict.fromkeys(r.get("decision") or "rule" for r in medians)
    for density in DENSITIES:
        for decision in decisions:
            series = [
                r
                for r in medians
                if r["series"] == f"{density}/day"
                and (r.get("decision") or "rule") == decision
                and "seconds" in r
            ]
            if len(series) >= 2:
                sizes = [r["n_docs"] for r in series]
                b, _ = speed.fit_power_law(sizes, [r["cpu_seconds"] for r in series])
                m, _ = speed.fit_power_law(sizes, [r["peak_tree_pss_mib"] for r in series])
                lines.append(
                    f"- {density:,} a day, {decision}: CPU seconds grow as N^{b:.2f}, "
                    f"peak PSS as N^{m:.2f}."
                )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks")
    parser.add_argument("--corpus-dir", type=Path, default=speed.CORPUS_DIR)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000])
    parser.add_argument(
        "--densities", type=int, nargs="+", default=list(DENSITIES), help="articles a day"
    )
    parser.add_argument(
        "--decisions",
        nargs="+",
        default=["rule"],
        help='how dedupe_news decides in the storm and series: "rule", "default" '
        "(the shipped pair model) or a model file; one row each",
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["reuters", "storm", "series"],
        choices=["reuters", "storm", "series"],
    )
    args = parser.parse_args(argv)
    started = dt.datetime.now()
    revision = report.git_revision(REPO_ROOT)
    command = "python -m benchmarks.scale" + "".join(" " + shlex.quote(a) for a in sys.argv[1:])

    def write(rows: list[dict]) -> None:
        report.write_csv(rows, args.out / "results" / "scale.csv")
        text = render(rows, command, revision, started)
        (args.out / "SCALE.md").write_text(text, encoding="utf-8")

    run(args, write)
    log(f"wrote {args.out / 'SCALE.md'}; load average now {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
