"""The ``dedupe-news`` command: a thin adapter over the library.

Each command parses its options, makes one library call, and formats the
result. Library errors become one-line messages with exit code 1; usage errors
exit with 2. No traceback for user mistakes. The ``index`` commands live in
:mod:`dedupe_news.cli_index`, the shared options in :mod:`dedupe_news.cli_options`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click
import numpy as np

from .articles import Article, ReadStats, iter_articles, read_articles
from .calibrate import MIN_FOLDS, calibrate_model
from .cli_index import index
from .cli_options import (
    CONTEXT,
    Progress,
    clusterer_options,
    clusterer_params,
    field_options,
    fields_from,
    handle_errors,
    quiet_option,
    reader_options,
    show_warnings,
)
from .errors import InputError
from .evaluation import score_clustering
from .output import FORMATS, write_pairs, write_results
from .output_file import check_output, is_stdout, open_output
from .pair_report import pair_json, pair_text
from .pipeline import StoryClusterer, compare_articles
from .record_fields import FieldMap

logger = logging.getLogger(__name__)


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="dedupe-news")
def main() -> None:
    """Find the same news story told several times: copies, abridgements and rewrites.

    \b
    Examples:
      dedupe-news cluster news.jsonl --format stories -o stories.jsonl
      dedupe-news compare a.txt b.txt
      dedupe-news index add news.db today.jsonl
    """
    show_warnings(quiet=False)


main.add_command(index)


@main.command(context_settings=CONTEXT)
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="jsonl",
    show_default=True,
    help="jsonl/csv: one record per article; stories: one JSON object per story; "
    "table: the stories with 2+ articles.",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    default=None,
    help="Write here instead of stdout (- is stdout). A file is replaced only when the run "
    "succeeds, and keeps its mode; a device or FIFO is written to.",
)
@click.option(
    "--pairs",
    metavar="FILE",
    default=None,
    help="Also write every same-story pair with its scores here, as JSONL (- is stdout).",
)
@quiet_option()
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="local: this machine; spark: Apache Spark (needs the spark extra and Java).",
)
@click.option(
    "--master",
    default="local[*]",
    show_default=True,
    help="Spark master URL, with --engine spark (local[*]: every core of this machine).",
)
@field_options
@clusterer_options
@handle_errors
def cluster(
    inputs: tuple[str, ...],
    fmt: str,
    output: str | None,
    pairs: str | None,
    quiet: bool,
    engine: str,
    master: str,
    **kwargs,
) -> None:
    """Cluster articles into stories.

    INPUTS are .jsonl or .csv files, directories of .txt files, or - for stdin.

    \b
    Examples:
      dedupe-news cluster news.jsonl -o assignments.jsonl
      dedupe-news cluster news.jsonl --format stories --pairs pairs.jsonl
      cat news.jsonl | dedupe-news cluster - --format csv -q
    """
    show_warnings(quiet)
    fields = fields_from(kwargs)
    reading = reader_options(kwargs)
    params = clusterer_params(kwargs)
    master_source = click.get_current_context().get_parameter_source("master")
    if engine != "spark" and master_source is click.core.ParameterSource.COMMANDLINE:
        raise click.UsageError("--master applies only with --engine spark")
    if pairs is not None and engine == "spark":
        raise click.UsageError("--pairs needs --engine local: the Spark engine keeps no pairs")
    if pairs is not None and is_stdout(pairs) and is_stdout(output):
        raise click.UsageError("the results and --pairs cannot both go to stdout: give -o FILE")
    check_output(output)
    check_output(pairs)
    read_stats = ReadStats()
    articles = iter_articles(inputs, fields=fields, stats=read_stats, **reading)
    progress = Progress.unless(quiet)
    if engine == "spark":
        from .spark import fit_articles

        clusterer = fit_articles(articles, master=master, progress=progress, **params)
    else:
        clusterer = StoryClusterer(progress=progress, **params).fit(articles)
    with open_output(output) as stream:
        write_results(clusterer, stream, fmt)
    n_pairs = None
    if pairs is not None:
        with open_output(pairs) as stream:
            n_pairs = write_pairs(clusterer, stream)
    if not quiet:
        multi = sum(1 for s in clusterer.stories_ if s.size > 1)
        skipped = (
            f"; skipped {clusterer.n_skipped_empty_} with empty text"
            if clusterer.n_skipped_empty_
            else ""
        )
        bad_dates = f"; {read_stats.bad_dates_note()}" if read_stats.bad_dates else ""
        paired = f"; {n_pairs} same-story pairs" if n_pairs is not None else ""
        click.echo(
            f"{len(clusterer.articles_)} articles, {len(clusterer.stories_)} stories "
            f"({multi} with 2+ articles){skipped}{bad_dates}{paired}",
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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json: one object with every score, the model's features and "
    "the evidence (shared entities, quotes, terms, copied passage).",
)
@quiet_option()
@field_options
@clusterer_options
@handle_errors
def compare(a: str, b: str, corpus: tuple[str, ...], fmt: str, quiet: bool, **kwargs) -> None:
    """Print every similarity of articles A and B, the verdict, and the evidence.

    A and B are article files (.txt, or .jsonl/.csv holding one article), or
    ids of articles in --corpus.

    \b
    Examples:
      dedupe-news compare a.txt b.txt
      dedupe-news compare reuters-1 afp-7 --corpus today.jsonl --model default
      dedupe-news compare a.txt b.txt --format json
    """
    show_warnings(quiet)
    fields = fields_from(kwargs)
    reading = reader_options(kwargs)
    params = clusterer_params(kwargs)
    background = read_articles(corpus, fields=fields, **reading) if corpus else []
    by_id = {article.id: article for article in background}
    first, second = (_one_article(x, by_id, fields, reading) for x in (a, b))
    progress = Progress.unless(quiet)
    scores = compare_articles(first, second, background, progress=progress, **params)
    click.echo(pair_json(scores) if fmt == "json" else pair_text(scores))
    if not quiet:
        others = len([x for x in background if x.id not in (first.id, second.id)])
        click.echo(f"compared 2 articles; IDF from {others + 2} articles", err=True)


@main.command(context_settings=CONTEXT)
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--story-field", default="story", show_default=True, help="Field holding the gold label."
)
@quiet_option()
@field_options
@clusterer_options
@handle_errors
def evaluate(inputs: tuple[str, ...], story_field: str, quiet: bool, **kwargs) -> None:
    """Cluster labelled articles and score the result against their gold stories.

    Articles without a gold label are clustered but not scored.

    \b
    Example:
      dedupe-news evaluate labelled.jsonl --story-field story
    """
    show_warnings(quiet)
    fields = fields_from(kwargs)
    fields = FieldMap(**{**fields.__dict__, "story": story_field})
    reading = reader_options(kwargs)
    params = clusterer_params(kwargs)
    articles = read_articles(inputs, fields=fields, **reading)
    labelled = [k for k, article in enumerate(articles) if article.story is not None]
    if not labelled:
        raise InputError(
            f"no article has a {story_field!r} label: add gold labels, or name the field "
            "with --story-field"
        )
    if len(labelled) < len(articles):
        logger.warning(
            "%d of %d articles have no %r label: they are clustered but not scored",
            len(articles) - len(labelled),
            len(articles),
            story_field,
        )
    progress = Progress.unless(quiet)
    labels = StoryClusterer(progress=progress, **params).fit_predict(articles).copy()
    # Each article skipped for empty text is a story of its own, not one shared story -1.
    skipped = np.flatnonzero(labels < 0)
    labels[skipped] = -1 - np.arange(skipped.size)
    scores = score_clustering([articles[k].story for k in labelled], labels[labelled])
    for name, value in scores.__dict__.items():
        click.echo(f"{name:<22}{value:.4f}" if isinstance(value, float) else f"{name:<22}{value}")


@main.command(context_settings=CONTEXT)
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    required=True,
    help="Where to write the fitted model (JSON); '-' for stdout.",
)
@click.option(
    "--story-field", default="story", show_default=True, help="Field holding the gold label."
)
@click.option(
    "--folds",
    type=click.IntRange(min=MIN_FOLDS),
    default=5,
    show_default=True,
    help="Cross-validation folds, dealt by story.",
)
@quiet_option()
@field_options
@clusterer_options
@handle_errors
def calibrate(
    inputs: tuple[str, ...], output: str, story_field: str, folds: int, quiet: bool, **kwargs
) -> None:
    """Fit the same-story model on your own labelled articles.

    INPUTS hold articles with a gold story label. The model (the terms of --model,
    by default the shipped one) is refitted on their candidate pairs, and its
    cross-validated scores are printed: per fold, the ARI of the fold's articles
    clustered by a model that did not see them, and the pair ROC-AUC.

    \b
    Examples:
      dedupe-news calibrate labelled.jsonl -o model.json
      dedupe-news cluster news.jsonl --model model.json
    """
    show_warnings(quiet)
    fields = fields_from(kwargs)
    fields = FieldMap(**{**fields.__dict__, "story": story_field})
    reading = reader_options(kwargs)
    params = clusterer_params(kwargs)
    base = params.pop("model")
    check_output(output)
    articles = read_articles(inputs, fields=fields, **reading)
    progress = Progress.unless(quiet)
    result = calibrate_model(
        articles,
        base=StoryClusterer(model=base or "default").resolved_model(),
        folds=folds,
        progress=progress,
        **params,
    )
    with open_output(output) as stream:
        stream.write(json.dumps(result.model.to_dict(), indent=1) + "\n")
    if not quiet:
        for k, fold in enumerate(result.folds):
            click.echo(
                f"fold {k + 1}: {fold['stories']} stories, {fold['articles']} articles, "
                f"ARI {fold['ari']:.3f}, pair AUC {fold['pair_auc']:.3f}",
                err=True,
            )
        click.echo(
            f"cross-validated: mean ARI {result.mean_ari:.3f}, "
            f"mean pair AUC {result.mean_pair_auc:.3f}",
            err=True,
        )


def _one_article(spec: str, by_id: dict[str, Article], fields: FieldMap, reading: dict) -> Article:
    if spec in by_id and not Path(spec).exists():
        return by_id[spec]
    articles = read_articles([spec], fields=fields, **reading)
    if len(articles) != 1:
        raise InputError(
            f"holds {len(articles)} articles, but compare needs one: give a file with a "
            "single article, or an id together with --corpus",
            path=spec,
        )
    return articles[0]
