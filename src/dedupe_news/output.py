"""Writing clustering results: one record per article (JSONL or CSV), or a table of stories."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass
from typing import IO

from .pipeline import StoryClusterer

__all__ = ["FORMATS", "Assignment", "assignments", "write_results"]

FORMATS = ("jsonl", "csv", "table")


@dataclass(frozen=True)
class Assignment:
    """The story of one article.

    ``cluster`` is the story label (None for an article skipped for empty text),
    ``is_source`` marks the story's likely source (its earliest article).
    """

    id: str
    cluster: int | None
    cluster_size: int
    is_source: bool
    source_id: str | None
    title: str | None
    date: str | None


def assignments(clusterer: StoryClusterer) -> list[Assignment]:
    """One :class:`Assignment` per fitted article, in input order."""
    stories = {story.label: story for story in clusterer.stories_}
    rows = []
    for article, label in zip(clusterer.articles_, clusterer.labels_, strict=True):
        story = stories.get(int(label))
        rows.append(
            Assignment(
                id=article.id,
                cluster=None if story is None else story.label,
                cluster_size=0 if story is None else story.size,
                is_source=story is not None and story.source_id == article.id,
                source_id=None if story is None else story.source_id,
                title=article.title,
                date=article.date.isoformat() if article.date else None,
            )
        )
    return rows


def write_results(clusterer: StoryClusterer, stream: IO[str], fmt: str = "jsonl") -> None:
    """Write the fitted clusterer's results to ``stream`` as jsonl, csv or table."""
    rows = assignments(clusterer)
    if fmt == "jsonl":
        for row in rows:
            stream.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")
    elif fmt == "csv":
        writer = csv.DictWriter(stream, fieldnames=list(Assignment.__dataclass_fields__))
        writer.writeheader()
        for row in rows:
            writer.writerow(asdict(row))
    elif fmt == "table":
        _write_table(clusterer, stream)
    else:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def _write_table(clusterer: StoryClusterer, stream: IO[str]) -> None:
    """Stories with two or more articles, largest first, with their source's headline."""
    by_id = {article.id: article for article in clusterer.articles_}
    multi = sorted((s for s in clusterer.stories_ if s.size > 1), key=lambda s: (-s.size, s.label))
    stream.write(f"{'story':>6}  {'size':>4}  {'source':<24}  {'date':<10}  headline\n")
    for story in multi:
        source = by_id[story.source_id]
        headline = source.title or source.text.strip().splitlines()[0]
        headline = " ".join(headline.split())
        if len(headline) > 70:
            headline = headline[:67] + "..."
        date = source.date.isoformat() if source.date else "-"
        stream.write(
            f"{story.label:>6}  {story.size:>4}  {_clip(story.source_id, 24):<24}  "
            f"{date:<10}  {headline}\n"
        )
    singles = sum(1 for s in clusterer.stories_ if s.size == 1)
    stream.write(f"{len(multi)} stories with 2+ articles, {singles} single articles\n")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
