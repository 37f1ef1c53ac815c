"""Shared fixtures. Corpus tests read ../shared/data; they skip on a fresh clone
without it, and fail under CI=true, where it must be present."""

from __future__ import annotations

import os
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
