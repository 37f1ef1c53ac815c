"""The ``dedupe-news`` command: a thin adapter over the library.

Each command parses its options, makes one library call, and formats the
result. Library errors become one-line messages with exit code 1; usage errors
exit with 2. No traceback for user mistakes.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import click

from .articles import Article, FieldMap, read_articles
from .errors import DedupeNewsError, InputError
from .evaluation import score_clustering
from .output import FORMATS, write_results
from .pipeline import StoryClusterer, compare_articles

CONTEXT = {"help_option_names": ["-h", "--help"]}


def field_options(command: Callable) -> Callable:
    """Input options shared by every command that reads articles."""
    options = [
        click.option(
            "--input-format",
            type=click.Choice(["jsonl", "csv", "txt"]),
            default=None,
            help="Input format; by default guessed from the extension (stdin: jsonl).",
        ),
        click.option("--id-field", default="id", show_default=True, help="Field holding the id."),
        click.option(
            "--text-field", default="text", show_default=True, help="Field holding the text."
        ),
        click.option(
            "--title-field", default="title", show_default=True, help="Field holding the title."
        ),
        click.option(
            "--date-field",
            default="date",
            show_default=True,
            help="Field holding the date (YYYY-MM-DD).",
        ),
        click.option(
            "--source-field", default="source", show_default=True, help="Field holding the outlet."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def clusterer_options(command: Callable) -> Callable:
    """Clustering settings shared by every command that clusters."""
    options = [
        click.option(
            "--window-days",
            type=click.FloatRange(min=0),
            default=5.0,
            show_default=True,
            help="Articles dated further apart are never the same story.",
        ),
        click.option(
            "--threshold",
            "rewrite_threshold",
            type=click.FloatRange(0, 1, min_open=True),
            default=0.15,
            show_default=True,
            help="TF-IDF cosine at which two articles are rewrites of one story.",
        ),
        click.option(
            "--copy-threshold",
            type=click.FloatRange(0, 1, min_open=True),
            default=0.5,
            show_default=True,
            help="Shingle Jaccard at which two articles are copies.",
        ),
        click.option(
            "--linkage",
            type=click.Choice(["weighted", "average", "single"]),
            default="weighted",
            show_default=True,
            help="How stories are grouped; 'single' chains (plain connected components).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _fields(kwargs: dict) -> FieldMap:
    return FieldMap(
        id=kwargs.pop("id_field"),
        text=kwargs.pop("text_field"),
        title=kwargs.pop("title_field"),
        date=kwargs.pop("date_field"),
        source=kwargs.pop("source_field"),
    )


def _clusterer_params(kwargs: dict) -> dict:
    return {
        name: kwargs.pop(name)
        for name in ("window_days", "rewrite_threshold", "copy_threshold", "linkage")
    }


def handle_errors(command: Callable) -> Callable:
    """Turn library errors into one-line messages and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DedupeNewsError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


class Progress:
    """Stage progress on stderr, only when stderr is a terminal and not --quiet."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._stage: str | None = None
        self._started = 0.0
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if stage != self._stage:
            self._stage, self._started = stage, now
        finished = done >= total
        if not finished and now - self._last < 0.2:
            return
        self._last = now
        elapsed = max(now - self._started, 1e-9)
        rate = f"{done / elapsed:,.0f}/s" if done else ""
        end = "\n" if finished else ""
        click.echo(f"\r{stage:<11} {done:>10,}/{total:<10,} {rate:>12}\x1b[K", err=True, nl=False)
        if end:
            click.echo("", err=True)


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="dedupe-news")
def main() -> None:
    """Find the same news story told several times: copies, abridgements and rewrites."""


@main.command(context_settings=CONTEXT)
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="jsonl",
    show_default=True,
    help="jsonl/csv: one record per article; table: the stories with 2+ articles.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write here instead of stdout (replaced only when the run succeeds).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary on stderr.")
@field_options
@clusterer_options
@handle_errors
def cluster(inputs: tuple[str, ...], fmt: str, output: str | None, quiet: bool, **kwargs) -> None:
    """Cluster articles into stories.

    INPUTS are .jsonl or .csv files, directories of .txt files, or - for stdin.
    """
    fields = _fields(kwargs)
    input_format = kwargs.pop("input_format")
    params = _clusterer_params(kwargs)
    articles = read_articles(inputs, fields=fields, input_format=input_format)
    progress = Progress(enabled=not quiet and sys.stderr.isatty())
    clusterer = StoryClusterer(progress=progress, **params).fit(articles)
    _write(output, lambda stream: write_results(clusterer, stream, fmt))
    if not quiet:
        multi = sum(1 for s in clusterer.stories_ if s.size > 1)
        skipped = (
            f"; skipped {clusterer.n_skipped_empty_} with empty text"
            if clusterer.n_skipped_empty_
            else ""
        )
        click.echo(
            f"{len(articles)} articles, {len(clusterer.stories_)} stories "
            f"({multi} with 2+ articles){skipped}",
            err=True,
        )


@main.command(context_settings=CONTEXT)
@click.argument("a")
@click.argument("b")
@click.option(
    "--corpus",
    "corpus",
    multiple=True,
    help="Background articles for IDF (repeatable); A and B may then be ids in it.",
)
@field_options
@clusterer_options
@handle_errors
def compare(a: str, b: str, corpus: tuple[str, ...], **kwargs) -> None:
    """Print every similarity of articles A and B, and the verdict.

    A and B are article files (.txt, or .jsonl/.csv holding one article), or
    ids of articles in --corpus.
    """
    fields = _fields(kwargs)
    input_format = kwargs.pop("input_format")
    params = _clusterer_params(kwargs)
    background = read_articles(corpus, fields=fields, input_format=input_format) if corpus else []
    by_id = {article.id: article for article in background}
    first, second = (_one_article(x, by_id, fields, input_format) for x in (a, b))
    scores = compare_articles(first, second, background, **params)
    date = "unknown" if scores.date_distance_days is None else f"{scores.date_distance_days:g}"
    verdict = "same story" if scores.same_story else "different stories"
    lines = [
        f"a: {scores.id_a}",
        f"b: {scores.id_b}",
        f"cosine_similarity       {scores.cosine_similarity:.3f}",
        f"jaccard_similarity      {scores.jaccard_similarity:.3f}",
        f"containment_similarity  {scores.containment_similarity:.3f}",
        f"date_distance_days      {date}",
        f"story_similarity        {scores.story_similarity:.3f}",
        f"verdict: {verdict} ({scores.reason})",
    ]
    click.echo("\n".join(lines))


@main.command(context_settings=CONTEXT)
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--story-field", default="story", show_default=True, help="Field holding the gold label."
)
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
@field_options
@clusterer_options
@handle_errors
def evaluate(inputs: tuple[str, ...], story_field: str, quiet: bool, **kwargs) -> None:
    """Cluster labelled articles and score the result against their gold stories."""
    fields = _fields(kwargs)
    fields = FieldMap(**{**fields.__dict__, "story": story_field})
    input_format = kwargs.pop("input_format")
    params = _clusterer_params(kwargs)
    articles = read_articles(inputs, fields=fields, input_format=input_format)
    labelled = [k for k, article in enumerate(articles) if article.story is not None]
    if not labelled:
        raise InputError(
            f"no article has a {story_field!r} label: add gold labels, or name the field "
            "with --story-field"
        )
    progress = Progress(enabled=not quiet and sys.stderr.isatty())
    labels = StoryClusterer(progress=progress, **params).fit_predict(articles)
    scores = score_clustering([articles[k].story for k in labelled], labels[labelled])
    for name, value in scores.__dict__.items():
        click.echo(f"{name:<22}{value:.4f}" if isinstance(value, float) else f"{name:<22}{value}")


def _one_article(
    spec: str, by_id: dict[str, Article], fields: FieldMap, input_format: str | None
) -> Article:
    if spec in by_id and not Path(spec).exists():
        return by_id[spec]
    articles = read_articles([spec], fields=fields, input_format=input_format)
    if len(articles) != 1:
        raise InputError(
            f"holds {len(articles)} articles, but compare needs one: give a file with a "
            "single article, or an id together with --corpus",
            path=spec,
        )
    return articles[0]


def _write(output: str | None, write: Callable) -> None:
    """Write to stdout, or atomically to ``output`` so a failed run leaves it as it was."""
    if output is None:
        write(sys.stdout)
        return
    target = Path(output)
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or Path("."))
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            write(stream)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
