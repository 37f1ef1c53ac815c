"""map_tasks keeps task order on any number of processes; freed memory goes back."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest

from dedupe_news.parallel import map_tasks, release_freed_memory


def _square_plus(state: dict, task: int) -> int:
    return task * task + state["plus"]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_map_tasks_returns_results_in_task_order(n_jobs):
    tasks = (k for k in range(25))
    got = list(map_tasks(_square_plus, tasks, state={"plus": 3}, n_jobs=n_jobs, n_tasks=25))
    assert got == [k * k + 3 for k in range(25)]


def _frozen_in_worker(state: dict, task: int) -> int:
    return gc.get_freeze_count()


def test_workers_find_the_inherited_objects_frozen_and_the_caller_gets_them_back():
    state = {"objects": [[k] for k in range(1000)]}  # tracked by the collector
    before = gc.get_freeze_count()
    frozen = list(map_tasks(_frozen_in_worker, range(4), state=state, n_jobs=2))
    assert min(frozen) > before + 1000  # the workers' collections skip them
    assert gc.get_freeze_count() == before  # and the caller's collector has them again


def _resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_release_freed_memory_shrinks_a_heap_full_of_holes():
    # Texts freed between small strings that stay, as when a corpus is read into stubs.
    kept, texts = [], []
    for k in range(60_000):
        texts.append("x" * 1500 + str(k))
        kept.append(str(k) * 3)
    del texts
    before = _resident_mib()
    if not release_freed_memory():
        pytest.skip("no malloc_trim in this C library")
    assert before - _resident_mib() > 40  # about 90 MiB of texts were freed
    assert len(kept) == 60_000
