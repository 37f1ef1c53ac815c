"""Shared fixtures. Corpus tests read ../shared/data; they skip on a fresh clone
without it, and fail under CI=true, where it must be present."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from dedupe_news import Article, parse_date, read_articles

# Property tests draw the same examples on every run, so CI cannot fail by chance.
settings.register_profile("fixed_seed", derandomize=True)
settings.load_profile("fixed_seed")

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
SHARED_DATA = REPO.parent / "shared" / "data"

STORM = (
    "Hurricane Delia made landfall near Galveston overnight, flooding coastal "
    "neighbourhoods; governor Abbott ordered evacuations of Galveston island and "
    "Delia brought winds of 120 mph to the Texas coast."
)
"""A short hurricane report, one story of the chain fixtures and of the index tests."""


def shared_file(name: str) -> Path:
    """Path of a corpus in ../shared/data, or skip (fail under CI=true) when missing."""
    path = SHARED_DATA / name
    if not path.exists():
        message = (
            f"{path} is missing: the labelled corpora live in ../shared/data beside the "
            "repository, which a fresh clone does not have"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true, so this is an error)")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def seed_articles() -> list[Article]:
    return read_articles(SEEDS)


@pytest.fixture
def chain_articles() -> list[Article]:
    """A~B and B~C, but A and C are different stories: B mixes both."""
    storm = STORM
    strike = (
        "Dockworkers at the port of Rotterdam walked out on Monday in a pay dispute; "
        "the FNV union said the Rotterdam strike would halt container traffic and the "
        "port authority warned of week-long delays for shipping lines."
    )
    return [
        Article("A", storm, date=parse_date("2024-09-02")),
        Article("B", storm + " " + strike, date=parse_date("2024-09-02")),
        Article("C", strike, date=parse_date("2024-09-02")),
    ]


# -- Spark (tests/test_spark*.py) ------------------------------------------------------


def spark_missing_reason() -> str | None:
    try:
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        return f'{exc.name} is not installed: install the extra with pip install ".[test,spark]"'
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "no Java runtime: Spark needs java 17+ on the PATH or JAVA_HOME set"
    return None


@pytest.fixture(scope="session")
def spark():
    """One local[2] session for every Spark test; skips (fails under CI=true) without Spark."""
    reason = spark_missing_reason()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI=true, so this is an error)")
        pytest.skip(reason)
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from dedupe_news.spark import spark_session

    session = spark_session(
        "local[2]",
        **{
            "spark.ui.enabled": "false",
            "spark.sql.shuffle.partitions": "4",
            "spark.driver.memory": "2g",
        },
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
