"""The Spark engine in local mode against the single-machine StoryClusterer.

``python -m benchmarks.spark_bench --sizes 100000 --masters "local[1]" "local[2]"``
(``--model default``: both engines decide with the learned pair model)

Each run is a fresh process (a fresh JVM for Spark), so its memory is its own. A
Spark run reads the synthetic corpus (:mod:`benchmarks.corpus`, the speed
benchmark's generator and seed) with ``spark.read.json`` and runs
``dedupe_news.spark.cluster_dataframe``; the local run fits ``StoryClusterer``
with ``n_jobs=-1`` on the same articles. Reported per run: wall time of the
clustering (Spark: from the DataFrame to the checkpointed result, session start
given apart), peak memory (PSS summed over the process and all its descendants:
the JVM and the Python workers), per-stage seconds (the ``progress`` callback)
and, per stage, the shuffle bytes written and read and the executor run time of
the Spark stages in that stage's job group (Spark's monitoring REST API on the
driver's own UI). The labels of the Spark and local runs are compared (ARI, and
whether they are identical). Results go to ``benchmarks/results/spark.csv``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import dedupe_news
from dedupe_news.spark import STAGES

from . import corpus, report
from .recipes import StageTimer
from .speed import PeakTreePss

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT.parent / "shared" / "data"
POOL_FILES = ("reuters21578.jsonl", "bbc2225.jsonl")
CORPUS_SEED = 20240601


def _rest(ui: str, path: str):
    with urllib.request.urlopen(f"{ui}/api/v1/{path}", timeout=30) as response:
        return json.load(response)


def stage_metrics(spark) -> dict[str, dict[str, float]]:
    """Shuffle bytes and executor time per dedupe-news stage, from Spark's REST API."""
    context = spark.sparkContext
    ui = context.uiWebUrl
    if not ui:
        return {}
    app = context.applicationId
    jobs = _rest(ui, f"applications/{app}/jobs")
    stages = {s["stageId"]: s for s in _rest(ui, f"applications/{app}/stages")}
    metrics: dict[str, dict[str, float]] = {}
    for job in jobs:
        group = (job.get("jobGroup") or "").removeprefix("dedupe-news: ")
        if group not in STAGES:
            continue
        row = metrics.setdefault(
            group, {"shuffle_write_mib": 0.0, "shuffle_read_mib": 0.0, "executor_seconds": 0.0}
        )
        for stage_id in job.get("stageIds", []):
            stage = stages.get(stage_id)
            if stage is None or stage.get("status") != "COMPLETE":
                continue  # skipped stages (reused shuffle output) did no work
            row["shuffle_write_mib"] += stage.get("shuffleWriteBytes", 0) / 2**20
            row["shuffle_read_mib"] += stage.get("shuffleReadBytes", 0) / 2**20
            row["executor_seconds"] += stage.get("executorRunTime", 0) / 1000
    return metrics


def measure(
    engine: str, size: int, seed: int, corpus_path: str, labels_path: str, model: str = "none"
) -> dict:
    """One run in this process: ``engine`` is ``local`` or a Spark master URL;
    ``model`` a learned model to decide with (``"none"``: the fixed rule)."""
    from dedupe_news import StoryClusterer, read_articles

    params = {} if model == "none" else {"model": model}
    result: dict = {"engine": engine, "n_docs": size, "seed": seed, "model": model}
    result["load_average_start"] = os.getloadavg()[0]
    if engine == "local":
        articles = read_articles(corpus_path)
        with PeakTreePss() as pss:
            timer = StageTimer()
            started = time.perf_counter()
            labels = StoryClusterer(progress=timer, n_jobs=-1, **params).fit_predict(articles)
            result["seconds"] = time.perf_counter() - started
        result["peak_tree_pss_mib"] = pss.peak
        result.update({f"{k}_seconds": v for k, v in timer.seconds().items()})
        ids = [a.id for a in articles]
    else:
        from dedupe_news.spark import cluster_dataframe, spark_session

        with PeakTreePss() as pss:
            started = time.perf_counter()
            spark = spark_session(
                engine, **{"spark.driver.memory": "8g", "spark.sql.files.maxPartitionBytes": "32m"}
            )
            spark.sparkContext.setLogLevel("ERROR")
            result["session_seconds"] = time.perf_counter() - started
            df = spark.read.json(corpus_path).select("id", "text", "title", "date")
            timer = StageTimer()
            started = time.perf_counter()
            stories = cluster_dataframe(df, progress=timer, **params)
            result["seconds"] = time.perf_counter() - started
            frame = stories.select("id", "cluster").toPandas()
        result["peak_tree_pss_mib"] = pss.peak
        result.update({f"{k}_seconds": v for k, v in timer.seconds().items()})
        for stage, values in stage_metrics(spark).items():
            result.update({f"{stage}_{k}": v for k, v in values.items()})
        result["shuffle_write_mib"] = sum(
            v for k, v in result.items() if k.endswith("_shuffle_write_mib")
        )
        spark.stop()
        by_id = dict(zip(frame["id"], frame["cluster"], strict=True))
        ids = [json.loads(line)["id"] for line in Path(corpus_path).open(encoding="utf-8")]
        labels = np.array([-1 if by_id[i] != by_id[i] else int(by_id[i]) for i in ids])
    np.save(labels_path, np.asarray(labels, dtype=np.int64))
    result["load_average_end"] = os.getloadavg()[0]
    result["docs_per_second"] = size / result["seconds"]
    return result


def write_corpus(size: int, seed: int, path: Path) -> None:
    pool = corpus.load_pool([DATA_DIR / name for name in POOL_FILES if (DATA_DIR / name).exists()])
    articles = corpus.make_corpus(pool, size, seed)
    with path.open("w", encoding="utf-8") as handle:
        for a in articles:
            record = {"id": a.id, "text": a.text, "title": a.title, "date": a.date.isoformat()}
            handle.write(json.dumps(record) + "\n")


def run_child(
    engine: str, size: int, seed: int, corpus_path: Path, labels_path: Path, model: str = "none"
) -> dict:
    command = [sys.executable, "-m", "benchmarks.spark_bench", "--child", engine]
    command += [str(size), str(seed), str(corpus_path), str(labels_path), model]
    # The child imports the dedupe_news this process imported (a worktree's src/
    # before an installed copy), and the benchmarks package from this checkout.
    package_root = Path(dedupe_news.__file__).resolve().parents[1]
    path = os.pathsep.join(dict.fromkeys([str(package_root), str(REPO_ROOT)]))
    env = {**os.environ, "PYTHONPATH": path, "PYSPARK_PYTHON": sys.executable}
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"engine": engine, "n_docs": size, "seed": seed, "note": f"failed: {tail}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def benchmark(
    sizes: Sequence[int], masters: Sequence[str], seed: int, log=print, model: str = "none"
) -> list[dict]:
    from dedupe_news import score_clustering

    rows = []
    with tempfile.TemporaryDirectory(prefix="spark-bench-") as scratch:
        for size in sizes:
            corpus_path = Path(scratch) / f"synthetic-{size}-{seed}.jsonl"
            log(f"corpus of {size} articles")
            write_corpus(size, seed, corpus_path)
            local_labels = Path(scratch) / f"local-{size}.npy"
            log(f"  local on {size}")
            local = run_child("local", size, seed, corpus_path, local_labels, model)
            rows.append(local)
            log(f"    {json.dumps(local)}")
            for master in masters:
                log(f"  spark {master} on {size}")
                labels_path = Path(scratch) / f"spark-{size}-{len(rows)}.npy"
                row = run_child(master, size, seed, corpus_path, labels_path, model)
                if "note" not in row and "note" not in local:
                    a, b = np.load(local_labels), np.load(labels_path)
                    row["ari_vs_local"] = score_clustering(a.tolist(), b).adjusted_rand_index
                    row["identical_to_local"] = bool((a == b).all())
                    row["seconds_vs_local"] = row["seconds"] / local["seconds"]
                rows.append(row)
                log(f"    {json.dumps(row)}")
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.spark_bench",
        description="The Spark engine in local mode against StoryClusterer.",
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--masters", nargs="+", default=["local[1]", "local[2]"])
    parser.add_argument("--seed", type=int, default=CORPUS_SEED)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks" / "results")
    parser.add_argument(
        "--model", default="none", help="a learned model for both engines ('default'), or none"
    )
    parser.add_argument("--child", nargs=6, metavar="ARG", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        engine, size, seed, corpus_path, labels_path, model = args.child
        print(json.dumps(measure(engine, int(size), int(seed), corpus_path, labels_path, model)))
        return
    machine = report.machine_info()
    started = time.perf_counter()
    rows = benchmark(
        args.sizes,
        args.masters,
        args.seed,
        log=lambda m: print(m, file=sys.stderr),
        model=args.model,
    )
    for row in rows:
        row["machine"] = f"{machine['cpu']}, {machine['cores']} cores, {machine['memory']}"
    report.write_csv(rows, args.out / "spark.csv")
    print(f"wrote {args.out / 'spark.csv'} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
