"""``python -m benchmarks``: quality, speed, signing and calibration; writes RESULTS.md and CSVs."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import shlex
import sys
import time
from pathlib import Path

from . import calibration, quality, report, signing, speed

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
SEEDS_DIR = REPO_ROOT / "seeds"
POOL_FILES = ("reuters21578.jsonl", "bbc2225.jsonl")
CORPUS_SEED = 20240601
SIZES = {
    "quick": (500, 1000, 2000),
    "default": (1000, 3000, 10000),
    "full": (1000, 3000, 10000, 30000, 100000, 300000, 1000000),
}
SIGNING_SIZE = {"quick": 2000, "default": 10000, "full": 30000}
QUICK_THRESHOLDS = (0.1, 0.15, 0.3, 0.5)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark dedupe_news against standard recipes: quality, speed, signing, "
        "calibration.",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--full", action="store_true", help="add the 30k, 100k, 300k and 1M scale sizes"
    )
    size.add_argument("--quick", action="store_true", help="small sizes and few thresholds")
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="shared data folder"
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        action="append",
        default=None,
        help="labelled corpus (JSONL with a 'story' field); repeatable; replaces the defaults",
    )
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks", help="output folder")
    parser.add_argument("--seed", type=int, default=CORPUS_SEED, help="synthetic corpus seed")
    parser.add_argument(
        "--skip-speed",
        action="store_true",
        help="quality and calibration only (no speed or signing)",
    )
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="overwrite results in --out even when this run lacks corpora they cover",
    )
    return parser.parse_args(argv)


def labelled_corpora(args: argparse.Namespace) -> list[quality.Corpus]:
    if args.corpus:
        paths = args.corpus
    else:
        paths = sorted(args.data_dir.glob("*.jsonl")) if args.data_dir.is_dir() else []
    corpora = []
    for path in paths:
        loaded = quality.load_corpus(path)
        if loaded is None:
            log(f"skipping {path}: no 'story' labels")
        else:
            corpora.append(loaded)
    if not args.corpus and SEEDS_DIR.is_dir():
        corpora.append(quality.load_seeds(SEEDS_DIR))
    return corpora


def main(argv=None) -> int:
    args = parse_args(argv)
    mode = "full" if args.full else "quick" if args.quick else "default"
    started, clock = dt.datetime.now(), time.perf_counter()
    revision, state = report.git_revision(REPO_ROOT), report.library_state()
    notes = []
    load_at_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    corpora = labelled_corpora(args)
    pool = [args.data_dir / name for name in POOL_FILES if (args.data_dir / name).exists()]
    lacking = report.missing_coverage(
        args.out / "results", [c.name for c in corpora], has_speed=bool(pool) or args.skip_speed
    )
    if lacking and not args.allow_partial:
        log(
            f"refusing to overwrite the results in {args.out}: they cover {', '.join(lacking)}, "
            f"which this run lacks (no such data in {args.data_dir}). Give --data-dir, write "
            "elsewhere with --out DIR, or pass --allow-partial to overwrite them anyway."
        )
        return 2
    log(f"quality on {len(corpora)} corpora")
    quality_rows = [row for c in corpora for row in quality.evaluate(c, log)]

    thresholds = QUICK_THRESHOLDS if args.quick else calibration.THRESHOLDS
    log("calibration")
    calibration_rows = [row for c in corpora for row in calibration.calibrate(c, thresholds, log)]

    speed_rows, exponents, signing_rows = [], {}, []
    if args.skip_speed:
        notes.append("speed and signing benchmarks skipped (--skip-speed)")
    elif not pool:
        notes.append(
            "speed and signing benchmarks skipped: "
            f"none of {', '.join(POOL_FILES)} in {args.data_dir}"
        )
    else:
        log(f"speed on sizes {SIZES[mode]}")
        speed_rows, exponents = speed.benchmark(SIZES[mode], args.seed, pool, log=log)
        log(f"signing on {SIGNING_SIZE[mode]} docs")
        signing_rows = signing.benchmark(SIGNING_SIZE[mode], args.seed, pool, log=log)

    if report.library_state() != state:
        notes.append(
            "WARNING: the dedupe_news code this run imported changed on disk while it ran; "
            "the results may mix two versions. Run again."
        )
        log(notes[-1])
    if hasattr(os, "getloadavg"):
        notes.append(
            f"1-minute load average at start {load_at_start:.2f}, at end {os.getloadavg()[0]:.2f} "
            "(about 1 is this benchmark alone; more means other work competed for the CPU)"
        )
    results = args.out / "results"
    report.write_csv(quality_rows, results / "quality.csv")
    report.write_csv(speed_rows, results / "speed.csv")
    report.write_csv(signing_rows, results / "signing.csv")
    report.write_csv(calibration_rows, results / "calibration.csv")
    command = "python -m benchmarks" + "".join(" " + shlex.quote(a) for a in sys.argv[1:])
    text = report.render_results(
        command=command,
        started=started,
        elapsed_seconds=time.perf_counter() - clock,
        mode=mode,
        quality=quality_rows,
        speed=speed_rows,
        exponents=exponents,
        signing=signing_rows,
        calibration=calibration_rows,
        corpus_seed=args.seed,
        revision=revision,
        notes=notes,
        index=_read_csv(results / "index.csv"),
    )
    # The Spark section is written by hand from benchmarks.spark_bench's CSV: keep it.
    previous = args.out / "RESULTS.md"
    if previous.exists():
        spark = report.section(previous.read_text(encoding="utf-8"), report.SPARK_HEADING)
        text += "\n" + spark if spark else ""
    (args.out / "RESULTS.md").write_text(text, encoding="utf-8")
    log(f"wrote {args.out / 'RESULTS.md'} and {results}/*.csv")
    return 0


def _read_csv(path: Path) -> list[dict]:
    """Rows of a results CSV written by another benchmark (none if it is missing)."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


if __name__ == "__main__":
    sys.exit(main())
