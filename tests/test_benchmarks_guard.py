"""`python -m benchmarks` without its corpora must not overwrite committed results (issue 14)."""

from __future__ import annotations

import shutil

from benchmarks.__main__ import main
from tests.conftest import REPO


def _committed(tmp_path):
    """A copy of the committed results folder (RESULTS.md and results/*.csv)."""
    out = tmp_path / "benchmarks"
    (out / "results").mkdir(parents=True)
    shutil.copy(REPO / "benchmarks" / "RESULTS.md", out / "RESULTS.md")
    for name in ("quality.csv", "speed.csv"):
        shutil.copy(REPO / "benchmarks" / "results" / name, out / "results" / name)
    return out


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_run_without_its_corpora_refuses_to_overwrite_committed_results(tmp_path, capsys):
    out = _committed(tmp_path)
    before = _snapshot(out)
    no_data = tmp_path / "no-data"
    code = main(["--quick", "--data-dir", str(no_data), "--out", str(out)])
    assert code == 2
    assert _snapshot(out) == before
    assert capsys.readouterr().err == (
        f"refusing to overwrite the results in {out}: they cover ecbplus_dev, gva_dev, "
        "uci_headlines_dev, the speed and signing benchmarks, which this run lacks (no such "
        f"data in {no_data}). Give --data-dir, write elsewhere with --out DIR, or pass "
        "--allow-partial to overwrite them anyway.\n"
    )


def test_allow_partial_overwrites_and_a_fresh_folder_needs_no_flag(tmp_path):
    out = _committed(tmp_path)
    no_data = tmp_path / "no-data"
    args = ["--quick", "--skip-speed", "--data-dir", str(no_data)]
    assert main([*args, "--out", str(out), "--allow-partial"]) == 0
    quality = (out / "results" / "quality.csv").read_text().splitlines()
    assert {line.split(",")[0] for line in quality[1:]} == {"seeds"}
    fresh = tmp_path / "fresh"
    assert main([*args, "--out", str(fresh)]) == 0
    assert (fresh / "RESULTS.md").read_text().startswith("# Benchmark results")
