"""Speed and scale: end-to-end and per-stage throughput on synthetic corpora.

The synthetic corpus of each size (:mod:`benchmarks.corpus`) is written once to a
JSONL file (:func:`corpus_file`, outside every clock). Each (recipe, size) then
runs in a fresh Python process (``python -m benchmarks.speed``) so that its peak
memory is its own, and prints one JSON line:

- ``dedupe_news`` streams the file, as the CLI does:
  ``StoryClusterer(n_jobs=-1).fit(iter_articles(path))`` (both cores); the
  corpus is never held in memory as a whole;
- ``datasketch`` and ``rensa`` (when installed; it is not a dependency) read
  the file into a list first (their recipes need it) and are timed from there;
  they are not run above :data:`MAX_DOCS`.

Memory is measured as the peak proportional set size (PSS) of the process and
its forked workers, sampled every 0.2 s, and reported per article as well.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from dedupe_news import iter_articles, read_articles, score_clustering

from . import corpus, recipes
from .quality import predicted_labels

RECIPES = ("dedupe_news", "datasketch", "rensa")
# The MinHash recipes keep every article's shingle set and sketch in Python objects.
MAX_DOCS = {"datasketch": 300_000, "rensa": 300_000}
STAGES = ("prepare", "tfidf", "candidates", "scoring", "clustering")
REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO_ROOT / "benchmarks" / ".corpora"  # git-ignored


def fit_power_law(sizes: Sequence[float], seconds: Sequence[float]) -> tuple[float, float]:
    """Least-squares fit of ``seconds = c * size ** b`` on log-log axes; returns ``(b, c)``."""
    if len(sizes) < 2:
        return float("nan"), float("nan")
    b, log_c = np.polyfit(np.log(np.asarray(sizes, float)), np.log(np.asarray(seconds, float)), 1)
    return float(b), float(np.exp(log_c))


def _peak_rss_mib() -> float:
    """This process's peak resident memory in MiB.

    ``VmHWM`` from ``/proc/self/status`` where it exists: ``ru_maxrss`` survives
    ``exec`` on Linux, so a child would report at least its parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _process_tree(root: int) -> set[int]:
    """Process ``root`` and all its descendants (Linux ``/proc``)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return tree


def _pss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def _tree_pss_mib(root: int | None = None) -> float | None:
    """Proportional set size of process ``root`` (this one by default) and all its
    descendants, in MiB (Linux ``/proc``); None when a process started or ended
    while they were read.

    PSS splits pages shared after ``fork`` between the processes sharing them, so
    the sum over dedupe_news's forked workers counts shared memory once; walking
    every descendant also counts a JVM and its Python workers under Spark. But only
    if no worker ends between the reads: a worker read while it shares the parent's
    pages holds a part of them, and the parent, read after the worker ended, holds
    them all; the same pages counted up to twice. Reading a 10 GB parent takes about
    a fifth of a second, and the clustering stage of 1M articles with the learned
    model starts and ends 184 worker pools: before this check, its tree peaks read
    up to 16,232 MiB while the machine never had more than 11,956 MiB in use.
    """
    root = os.getpid() if root is None else root
    tree = _process_tree(root)
    try:
        total = sum(_pss_kib(pid) for pid in tree)
    except OSError:  # a process ended
        return None
    if _process_tree(root) != tree:
        return None
    return total / 1024


class PeakTreePss:
    """Samples :func:`_tree_pss_mib` in a thread; ``peak`` is the maximum.

    Reading a process's PSS walks its page tables: about 40 ms of system time
    for a 2 GiB process. So the wait between samples is 0.2 s or ten times the
    last sample's duration, whichever is longer, and ``cpu_seconds`` is the CPU
    time the sampling thread used, to be taken out of the measured CPU time.
    With ``stage`` (a callable naming the stage running now), ``stage_peaks``
    holds the maximum per stage as well.
    """

    def __init__(self, stage: Callable[[], str] | None = None) -> None:
        self.peak = 0.0
        self.stage_peaks: dict[str, float] = {}
        self.cpu_seconds = 0.0
        self._stage = stage
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            pss = _tree_pss_mib()
            if pss is None:  # read while workers came or went: read again
                self.cpu_seconds = time.thread_time()
                self._stop.wait(0.02)
                continue
            self.peak = max(self.peak, pss)
            if self._stage is not None:
                stage = self._stage()
                self.stage_peaks[stage] = max(self.stage_peaks.get(stage, 0.0), pss)
            self.cpu_seconds = time.thread_time()
            self._stop.wait(max(0.2, 10 * (time.perf_counter() - started)))

    def __enter__(self) -> PeakTreePss:
        if Path("/proc/self/smaps_rollup").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def corpus_file(
    size: int,
    seed: int,
    pool_paths: Sequence[Path],
    directory: Path,
    articles_per_day: int = corpus.ARTICLES_PER_DAY,
) -> Path:
    """The synthetic corpus of ``size`` articles as JSONL in ``directory``, built once."""
    density = "" if articles_per_day == corpus.ARTICLES_PER_DAY else f"-{articles_per_day}perday"
    path = directory / f"synthetic-{size}-{seed}{density}.jsonl"
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    pool = corpus.load_pool(pool_paths)
    articles = corpus.make_corpus(pool, size, seed, articles_per_day=articles_per_day)
    return write_jsonl(articles, path)


def write_jsonl(articles: Sequence, path: Path) -> Path:
    """Write ``articles`` (with their ``story``) to ``path`` as JSONL, atomically."""
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as stream:
        for a in articles:
            row = {"id": a.id, "text": a.text, "title": a.title, "story": a.story}
            row["date"] = a.date.isoformat() if a.date else None
            stream.write(json.dumps(row) + "\n")
    partial.replace(path)
    return path


def _tree_cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (the forked workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _load_average() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def measure(recipe: str, path: Path, n_jobs: int = -1, model: str | None = None) -> dict:
    """Time ``recipe`` on the corpus file ``path``, in this process.

    ``dedupe_news`` runs with ``n_jobs`` processes, and decides by the fixed rule,
    or by the learned ``model`` (``"default"`` or a model file) when one is given;
    ``candidate_pairs`` is the number of pairs it scored. Besides wall time, the CPU
    time of the process tree and the 1-minute load average before and after are
    reported: on a shared machine, wall time is CPU time stretched by the load.
    """
    gold: list = []

    def stream():
        for article in iter_articles(path):
            gold.append(article.story)
            yield article

    rss_before = _peak_rss_mib()
    load_before, cpu_before = _load_average(), _tree_cpu_seconds()
    timer = recipes.StageTimer()
    with PeakTreePss(stage=lambda: timer.current) as pss:
        if recipe == "dedupe_news":
            run = recipes.dedupe_news(stream(), timer=timer, n_jobs=n_jobs, model=model)
        elif recipe in ("datasketch", "rensa"):
            articles = read_articles(path)
            gold = [a.story for a in articles]
            lsh = recipes.datasketch_lsh if recipe == "datasketch" else recipes.rensa_lsh
            run = lsh(articles, 0.5)
        else:
            raise ValueError(f"unknown recipe {recipe!r}")
    # The PSS sampler runs in this process: its CPU time is the measurement's, not the run's.
    cpu_seconds = _tree_cpu_seconds() - cpu_before - pss.cpu_seconds
    size = len(gold)
    labels = predicted_labels(run.labels)
    scored = all(g is not None for g in gold)  # Reuters has no story labels
    scores = score_clustering(gold, labels) if scored else None
    return {
        "recipe": recipe,
        "decision": (model or "rule") if recipe == "dedupe_news" else None,
        "n_jobs": n_jobs if recipe == "dedupe_news" else 1,
        "n_docs": size,
        "candidate_pairs": timer.totals.get("scoring"),
        "seconds": run.seconds,
        "cpu_seconds": cpu_seconds,
        "load_before": load_before,
        "load_after": _load_average(),
        "largest_story": int(np.bincount(np.unique(labels, return_inverse=True)[1]).max()),
        "docs_per_second": size / run.seconds,
        "stages": run.stages,
        "rss_before_fit_mib": rss_before,
        "peak_rss_mib": _peak_rss_mib(),
        "peak_tree_pss_mib": pss.peak,
        "sampler_cpu_seconds": pss.cpu_seconds,
        "stage_peak_pss_mib": pss.stage_peaks if recipe == "dedupe_news" else {},
        "peak_pss_kib_per_article": pss.peak * 1024 / size,
        "synthetic_ari": scores.adjusted_rand_index if scores else None,
        "synthetic_pair_precision": scores.pairwise_precision if scores else None,
        "synthetic_pair_recall": scores.pairwise_recall if scores else None,
    }


def run_child(
    recipe: str,
    size: int,
    seed: int,
    path: Path,
    timeout: float,
    n_jobs: int = -1,
    model: str | None = None,
) -> dict:
    """:func:`measure` in a fresh subprocess; a failure or timeout is reported in ``note``."""
    command = [sys.executable, "-m", "benchmarks.speed", recipe, str(path), "--n-jobs", str(n_jobs)]
    if model is not None:
        command += ["--model", model]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {
            "recipe": recipe,
            "n_docs": size,
            "seed": seed,
            "decision": model or "rule",
            "note": f"timed out after {timeout:.0f} s",
        }
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
        return {
            "recipe": recipe,
            "n_docs": size,
            "seed": seed,
            "decision": model or "rule",
            "note": f"failed: {tail[0]}",
        }
    result = {"seed": seed, **json.loads(done.stdout.strip().splitlines()[-1])}
    result["process_seconds"] = time.perf_counter() - started
    return result


def flatten(result: dict) -> dict:
    """A CSV row: stage seconds and docs/s as columns."""
    row = {k: v for k, v in result.items() if k not in ("stages", "stage_peak_pss_mib")}
    stage_peaks = result.get("stage_peak_pss_mib", {})
    for stage, mib in stage_peaks.items():
        row[f"{stage}_peak_pss_mib"] = mib
    if stage_peaks:
        row["peak_stage"] = max(stage_peaks, key=stage_peaks.get)
    stages = result.get("stages", {})
    for stage, seconds in stages.items():
        row[f"{stage}_seconds"] = seconds
        row[f"{stage}_docs_per_second"] = (
            result["n_docs"] / seconds if seconds > 0 else float("inf")
        )
    return row


def benchmark(
    sizes: Sequence[int],
    seed: int,
    pool_paths: Sequence[Path],
    timeout: float = 1800,
    log: Callable[[str], None] = lambda _: None,
    corpus_dir: Path = CORPUS_DIR,
) -> tuple[list[dict], dict[str, float]]:
    """Rows for every recipe and size, and the fitted exponent ``b`` per recipe."""
    rows = []
    for size in sizes:
        log(f"  writing the {size}-article corpus to {corpus_dir}")
        path = corpus_file(size, seed, pool_paths, corpus_dir)
        for recipe in RECIPES:
            note = None
            if size > MAX_DOCS.get(recipe, size):
                note = (
                    f"not run above {MAX_DOCS[recipe]:,} docs: the recipe keeps every "
                    "shingle set and sketch as Python objects (about 1 GiB per 100k documents)"
                )
            elif recipe == "rensa" and not recipes.rensa_available():
                note = "skipped: rensa not installed"
            if note:
                rows.append({"recipe": recipe, "n_docs": size, "seed": seed, "note": note})
                continue
            log(f"  {recipe} on {size} docs")
            rows.append(flatten(run_child(recipe, size, seed, path, timeout)))
    exponents = {}
    for recipe in RECIPES:
        ok = [r for r in rows if r["recipe"] == recipe and "seconds" in r]
        spans = [(f"{recipe}, all sizes", ok)]
        spans.append((f"{recipe}, 10k and up", [r for r in ok if r["n_docs"] >= 10_000]))
        for name, span in spans:
            if len(span) >= 2:
                exponents[name] = fit_power_law(
                    [r["n_docs"] for r in span], [r["seconds"] for r in span]
                )[0]
    return rows, exponents


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="time one recipe on one corpus file")
    parser.add_argument("recipe", choices=RECIPES)
    parser.add_argument("path", type=Path)
    parser.add_argument("--n-jobs", type=int, default=-1, help="dedupe_news processes")
    parser.add_argument(
        "--model", default=None, help='dedupe_news: a learned model ("default" or a file)'
    )
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.recipe, args.path, args.n_jobs, args.model)))


if __name__ == "__main__":
    main()
