"""Writing results: CSV files, machine and revision facts, and RESULTS.md."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import math
import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path


def write_csv(rows: Sequence[dict], path: Path) -> None:
    """Rows as CSV; the header is the union of keys in first-seen order."""
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def missing_coverage(results: Path, corpora: Sequence[str], has_speed: bool) -> list[str]:
    """What the results already in the folder ``results`` cover that a run would not.

    The corpora named in ``quality.csv`` that are not in ``corpora``, and "the speed
    and signing benchmarks" when ``speed.csv`` has rows but the run has no speed data.
    Empty when nothing would be lost (or nothing is there yet).
    """
    lacking = sorted(set(_column(results / "quality.csv", "corpus")) - set(corpora))
    if not has_speed and _column(results / "speed.csv", "recipe"):
        lacking.append("the speed and signing benchmarks")
    return lacking


def _column(path: Path, name: str) -> list[str]:
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return [row[name] for row in csv.DictReader(handle) if row.get(name)]


def machine_info() -> dict[str, str]:
    """CPU model, core count, memory, Python and OS."""
    cpu = platform.processor() or "unknown"
    memory = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu,
        "cores": str(cores),
        "memory": memory,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
    }


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


def git_revision(repo: Path) -> str:
    """Short commit hash, with a note when the work tree has uncommitted changes."""
    try:
        commit = _git(repo, "rev-parse", "--short", "HEAD")
        dirty = _git(repo, "status", "--porcelain")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{commit} (work tree has uncommitted changes)" if dirty else commit


def library_state() -> dict[str, str]:
    """SHA-256 of every source file of the ``dedupe_news`` package.

    Taken at the start and the end of a run: if the code changed on disk
    meanwhile, the speed subprocesses (which import afresh) may have run another
    version, and the results mix the two. Files, not loaded modules, are compared:
    modules imported lazily during the run (the numba loop) are no change.
    """
    import dedupe_news

    root = Path(dedupe_news.__file__).resolve().parent
    state = {}
    for path in sorted(root.rglob("*.py")):
        try:
            state[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            state[str(path.relative_to(root))] = "unreadable"
    return state


def fmt(value, digits: int = 3) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:.{digits}f}"
    return str(value)


def table(rows: Sequence[dict], columns: Sequence[tuple], digits: int = 3) -> str:
    """A Markdown table of ``rows``; ``columns`` are ``(key, header)`` or
    ``(key, header, digits)``."""
    lines = [
        "| " + " | ".join(column[1] for column in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        cells = [fmt(row.get(c[0]), c[2] if len(c) > 2 else digits) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


QUALITY_COLUMNS = [
    ("recipe", "recipe"),
    ("setting", "setting"),
    ("ari", "ARI"),
    ("pairwise_precision", "pair P"),
    ("pairwise_recall", "pair R"),
    ("pairwise_f1", "pair F1"),
    ("bcubed_precision", "B3 P"),
    ("bcubed_recall", "B3 R"),
    ("bcubed_f1", "B3 F1"),
    ("n_clusters", "clusters"),
    ("seconds", "seconds"),
    ("note", "note"),
]

SPEED_COLUMNS = [
    ("n_docs", "docs"),
    ("recipe", "recipe"),
    ("seconds", "seconds", 2),
    ("docs_per_second", "docs/s"),
    ("prepare_docs_per_second", "prepare docs/s"),
    ("tfidf_docs_per_second", "tfidf docs/s"),
    ("candidates_docs_per_second", "candidates docs/s"),
    ("scoring_docs_per_second", "scoring docs/s"),
    ("clustering_docs_per_second", "clustering docs/s"),
    ("peak_rss_mib", "peak RSS MiB"),
    ("peak_tree_pss_mib", "peak PSS with workers MiB"),
    ("peak_pss_kib_per_article", "peak PSS KiB/article", 1),
    ("rss_before_fit_mib", "RSS before fit MiB"),
    ("synthetic_ari", "synthetic ARI", 3),
    ("synthetic_pair_precision", "synthetic pair P", 3),
    ("synthetic_pair_recall", "synthetic pair R", 3),
    ("note", "note"),
]

SIGNING_COLUMNS = [
    ("implementation", "implementation"),
    ("n_docs", "docs"),
    ("seconds", "seconds (median)", 3),
    ("docs_per_second", "docs/s", 0),
    ("pct_of_rensa_rminhash", "% of rensa RMinHash", 1),
    ("equals_datasketch_affine32", "= datasketch affine32"),
    ("note", "note"),
]

CALIBRATION_COLUMNS = [
    ("rewrite_threshold", "t"),
    ("candidate_recall", "candidate R"),
    ("pair_precision", "pair-decision P"),
    ("pair_recall", "pair-decision R"),
    ("cluster_precision", "cluster P"),
    ("cluster_recall", "cluster R"),
    ("ari", "ARI"),
    ("n_clusters", "clusters"),
]


def _by_corpus(rows: Sequence[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["corpus"], []).append(row)
    return grouped


INDEX_HEADING = "## Persistent story index"


def render_index_section(rows: Sequence[dict]) -> str:
    """The RESULTS.md section of ``benchmarks.index_bench`` rows (``results/index.csv``)."""
    machine = machine_info()
    facts = sorted({(r.get("commit", ""), r.get("command", ""), r.get("date", "")) for r in rows})
    out = [
        INDEX_HEADING,
        "",
        "`StoryIndex` on the synthetic corpora above (2,000 articles a day, so the 5-day",
        "window holds about 20,000), one fresh process per row. *build*: one",
        "`add(bulk=True, n_jobs=-1)` of every stored article, in date order; *add*: `add()` of",
        "held-out articles in calls of 50, one by one assigned and re-clustered; *bulk add*:",
        "`add(bulk=True)` of the latest 2,000 articles (a day's news at the end of the",
        "stream); *query*: held-out articles one at a time, p50 and p99 each the median over",
        "the passes. File size after a WAL checkpoint; peak RSS is the process's `VmHWM`.",
        "'load' is the 1-minute load average before and after the row (2 cores: above 2,",
        "other work competed for the CPU).",
        "",
    ]
    for commit, command, date in facts:
        out.append(f"- commit {commit}: `{command}`, {date}")
    out.append(
        f"- machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory']} memory; "
        f"Python {machine['python']}"
    )
    out += [
        "",
        "| stored | commit | build docs/s | add docs/s | bulk add docs/s | query p50 ms "
        "| query p99 ms | queries | stories | file MiB | peak RSS MiB | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {int(r['stored']):,} | {r.get('commit', '')} | {r['build_docs_per_s']} "
            f"| {r['add_docs_per_s']} "
            f"| {r['bulk_add_docs_per_s']} | {r['query_p50_ms']} | {r['query_p99_ms']} "
            f"| {r['queries']} | {r['stories']} | {r['file_mib']} | {r['peak_rss_mib']} "
            f"| {r['load_before']} / {r['load_after']} |"
        )
    notes = [f"- {int(r['stored']):,} at {r['commit']}: {r['note']}" for r in rows if r.get("note")]
    if notes:
        out += ["", *notes]
    return "\n".join(out) + "\n"


SPARK_HEADING = "## Spark (local mode)"


def section(text: str, heading: str) -> str:
    """The section of a RESULTS.md ``text`` under ``heading``, up to the next ``## ``
    heading; empty if it has none.

    >>> section("# R\n\n## A\na\n\n## B\nb\n", "## A")
    '## A\na\n'
    """
    start = text.find(heading + "\n")
    if start < 0:
        return ""
    after = text.find("\n## ", start + len(heading))
    return text[start:] if after < 0 else text[start : after + 1].rstrip("\n") + "\n"


def replace_index_section(results_md: Path, section: str) -> None:
    """Put ``section`` in place of the index section of RESULTS.md (appended if absent)."""
    text = results_md.read_text(encoding="utf-8") if results_md.exists() else ""
    start = text.find(INDEX_HEADING)
    if start < 0:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    else:
        after = text.find("\n## ", start + len(INDEX_HEADING))
        rest = "" if after < 0 else text[after + 1 :]
        text = text[:start] + section + ("\n" + rest if rest else "")
    results_md.write_text(text, encoding="utf-8")


def render_results(
    *,
    command: str,
    started: dt.datetime,
    elapsed_seconds: float,
    mode: str,
    quality: Sequence[dict],
    speed: Sequence[dict],
    exponents: dict[str, float],
    calibration: Sequence[dict],
    signing: Sequence[dict] = (),
    corpus_seed: int,
    revision: str,
    notes: Sequence[str] = (),
    index: Sequence[dict] = (),
) -> str:
    """The text of RESULTS.md; ``revision`` is :func:`git_revision` at the start.

    ``index`` rows (``results/index.csv``, written by ``benchmarks.index_bench``)
    add their section as they are.
    """
    machine = machine_info()
    out = [
        "# Benchmark results",
        "",
        "Generated by the benchmark suite (`benchmarks/`); see `benchmarks/README.md` for what",
        "each table means. Raw numbers: `benchmarks/results/*.csv`.",
        "",
        f"- command: `{command}` ({mode} run, {elapsed_seconds / 60:.1f} min)",
        f"- date: {started.strftime('%Y-%m-%d %H:%M')} (local time)",
        f"- commit: {revision}",
        f"- machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory']} memory; "
        f"Python {machine['python']}, {machine['os']}",
        f"- synthetic corpus seed: {corpus_seed}",
    ]
    out += [f"- {note}" for note in notes]
    out += ["", "## Quality", ""]
    out += [
        "Scores against the gold story labels. TF-IDF rows use the cosine threshold that",
        "scored the best ARI on that very corpus, a choice no real run can make: it flatters",
        "those baselines. `seconds` is one run at the chosen setting (the search is not timed).",
    ]
    for name, rows in _by_corpus(quality).items():
        first = rows[0]
        out += [
            "",
            f"### {name} ({first['n_docs']} docs, {first['n_stories']} gold stories)",
            "",
            table(rows, QUALITY_COLUMNS),
        ]
    out += ["", "## Speed and scale", ""]
    out += [
        "Synthetic corpora from Reuters-21578 and BBC texts with ~15 % edited near-duplicates",
        "(see `benchmarks/corpus.py`), one fresh process per row. `dedupe_news` runs with",
        f"`n_jobs=-1`, so it uses every core ({os.cpu_count()} here: forked workers for the",
        "prepare stage and the neighbour search); the `datasketch` and `rensa` recipes are",
        "single-process. `datasketch` is MinHash (128 perms, word 5-shingles) + MinHashLSH(0.5)",
        "insert and query + connected components; `rensa` is the same with RMinHash and",
        "RMinHashLSH (`benchmarks/recipes.py`). The stage columns are dedupe_news's",
        "`StoryClusterer` stages: prepare (normalise, tokenise, MinHash-sign and count terms,",
        "in parallel), tfidf,",
        "candidates (LSH and TF-IDF neighbour search), scoring and clustering; stage docs/s is",
        "documents divided by the stage's wall time. datasketch's own sub-timings (shingle,",
        "minhash, lsh, components) are in `results/speed.csv`. Each corpus is first written",
        "to a JSONL file; dedupe_news streams it (`fit(iter_articles(path))`, as the CLI",
        "does), datasketch reads it into a list, inside its measured process but before its",
        "clock. Peak RSS is the main process's maximum resident memory; 'peak PSS with",
        "workers' samples the proportional set size of the process and its forked workers",
        "every 0.2 s (shared pages counted once), the memory the whole run needs, also given",
        "per article. 'RSS before fit' is the peak before the recipe started. The datasketch",
        "and rensa recipes (rensa only when installed) are timed from a list of articles,",
        "on one core, and not run above 300k: they keep every shingle set and sketch as",
        "Python objects, about 1 GiB per 100k documents. 'synthetic ARI' is",
        "against the generator's labels, in which every distinct source text is a different",
        "story.",
        "",
        table(speed, SPEED_COLUMNS, digits=0),
        "",
        "Fitted scaling exponent b in seconds ~ N^b (least squares on log-log):",
        "",
    ]
    out += [f"- {recipe}: b = {fmt(b, 2)}" for recipe, b in exponents.items()]
    if signing:
        first = signing[0]
        out += ["", "## Signing", ""]
        out += [
            "MinHash signatures (128 permutations, word 5-shingles) of",
            f"{first['n_docs']} synthetic articles (same generator and seed as above), every",
            "implementation in one process pinned to one core, median of",
            f"{first.get('repeats', 3)} runs. The articles are tokenised once beforehand as the",
            "pipeline does (`tokenize(strip_boilerplate(full_text))`), and the token lists are",
            "the input every clock starts from, as in the pipeline: dedupe_news's `MinHasher`",
            "(fresh each run; the numba loop compiled beforehand) builds its shingles in the",
            "clock, and so do the rensa rows marked 'from token lists' (rensa takes shingle",
            "strings). Two rows flatter the libraries with input built outside the clock: rensa",
            "fed prebuilt shingle strings, and datasketch's `bulk` fed prebuilt shingle bytes.",
            "'= datasketch affine32' counts, among the first 200 articles, those whose",
            'signature equals `datasketch.MinHash(scheme="affine32", hashfunc=shingle_hash)`',
            "fed the shingle tuples. rensa is optional (not a dependency).",
            "",
            table(signing, SIGNING_COLUMNS),
        ]
    out += ["", "## Calibration of `rewrite_threshold`", ""]
    out += [
        "One fit per threshold. 'pair-decision' scores candidate pairs with",
        "`story_similarity >= t` against gold same-story pairs (recall over all gold pairs);",
        "'candidate R' is the share of gold pairs that were candidates at all; 'cluster' is",
        "pairwise precision/recall of the final clusters. Full grid: `results/calibration.csv`.",
    ]
    for name, rows in _by_corpus(calibration).items():
        best = max(rows, key=lambda r: r["ari"])
        out += [
            "",
            f"### {name} (best ARI {best['ari']:.3f} at t = {best['rewrite_threshold']})",
            "",
            table(rows, CALIBRATION_COLUMNS),
        ]
    text = "\n".join(out) + "\n"
    if index:
        text += "\n" + render_index_section(index)
    return text
