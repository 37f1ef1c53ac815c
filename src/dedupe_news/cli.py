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

from .articles import Article, FieldMap, ReadStats, iter_articles, read_articles
from .errors import DedupeNewsError, InputError
from .evaluation import score_clustering
from .output import FORMATS, write_results
from .pipeline import StoryClusterer, compare_articles
from .settings import Settings

CONTEXT = {"help_option_names": ["-h", "--help"]}
SETTINGS = Settings()


def field_options(command: Callable) -> Callable:
    """Input options shared by every command that reads articles."""
    options = [
        click.option(
            "--input-format",
            type=click.Choice(["jsonl", "csv", "txt", "parquet"]),
            default=None,
            help="Input format; by default guessed from the extension (stdin: jsonl).",
        ),
        click.option(
            "--on-bad-date",
            type=click.Choice(["error", "skip", "undated"]),
            default="error",
            show_default=True,
            help="A bad date stops the run, skips the article, or leaves it undated.",
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
            help="Field holding the date (YYYY-MM-DD, ISO 8601, RFC 2822 or epoch seconds).",
        ),
        click.option(
            "--source-field", default="source", show_default=True, help="Field holding the outlet."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def jobs_option(help_text: str) -> Callable:
    """The ``-j/--jobs`` option (``n_jobs``: -1 is every core)."""
    return click.option(
        "-j",
        "--jobs",
        "n_jobs",
        type=click.IntRange(min=-1),
        default=-1,
        show_default=True,
        help=help_text,
    )


def _setting_option(flag: str, name: str, meta: dict) -> Callable:
    """A click option for one :class:`~dedupe_news.settings.Settings` field: its type,
    range, default and help all come from the settings."""
    default = getattr(SETTINGS, name)
    if meta["choices"]:
        kind = click.Choice(list(meta["choices"]))
    elif isinstance(default, float):
        kind = click.FloatRange(meta["low"], meta["high"], min_open=meta["low_open"])
    else:
        kind = click.IntRange(meta["low"], meta["high"], min_open=meta["low_open"])
    return click.option(flag, name, type=kind, default=default, show_default=True, help=meta["doc"])


def clusterer_options(command: Callable) -> Callable:
    """Clustering settings shared by every command that clusters, built from
    :class:`~dedupe_news.settings.Settings`."""
    options = [_setting_option(flag, name, meta) for flag, name, meta in Settings.cli_options()]
    options.append(
        jobs_option("Processes to use; -1 uses every core. Results do not depend on it.")
    )
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
    names = [name for _, name, _ in Settings.cli_options()] + ["n_jobs"]
    return {name: kwargs.pop(name) for name in names}


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
        self._finished = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        """Show ``done`` of ``total`` for ``stage``; a total of 0 means not known yet."""
        if not self.enabled:
            return
        now = time.monotonic()
        if stage != self._stage:
            self._stage, self._started, self._finished = stage, now, False
        if self._finished:
            return
        self._finished = total > 0 and done >= total
        if not self._finished and now - self._last < 0.2:
            return
        self._last = now
        elapsed = max(now - self._started, 1e-9)
        rate = f"{done / elapsed:,.0f}/s" if done else ""
        of = f"{total:<10,}" if total else f"{'?':<10}"
        line = f"\r{stage:<11} {done:>10,}/{of} {rate:>12}\x1b[K"
        click.echo(line, err=True, nl=self._finished)


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
    quiet: bool,
    engine: str,
    master: str,
    **kwargs,
) -> None:
    """Cluster articles into stories.

    INPUTS are .jsonl or .csv files, directories of .txt files, or - for stdin.
    """
    fields = _fields(kwargs)
    input_format = kwargs.pop("input_format")
    params = _clusterer_params(kwargs)
    master_source = click.get_current_context().get_parameter_source("master")
    if engine != "spark" and master_source is click.core.ParameterSource.COMMANDLINE:
        raise click.UsageError("--master applies only with --engine spark")
    read_stats = ReadStats()
    articles = iter_articles(
        inputs, fields=fields, input_format=input_format, on_bad_date=kwargs.pop("on_bad_date"),
        stats=read_stats,
    )  # fmt: skip
    progress = Progress(enabled=not quiet and sys.stderr.isatty())
    if engine == "spark":
        from .spark import fit_articles

        clusterer = fit_articles(articles, master=master, progress=progress, **params)
    else:
        clusterer = StoryClusterer(progress=progress, **params).fit(articles)
    _write(output, lambda stream: write_results(clusterer, stream, fmt))
    if not quiet:
        multi = sum(1 for s in clusterer.stories_ if s.size > 1)
        skipped = (
            f"; skipped {clusterer.n_skipped_empty_} with empty text"
            if clusterer.n_skipped_empty_
            else ""
        ) + (f"; {read_stats.bad_dates_note()}" if read_stats.bad_dates else "")
        click.echo(
            f"{len(clusterer.articles_)} articles, {len(clusterer.stories_)} stories "
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
    on_bad_date = kwargs.pop("on_bad_date")
    background = (
        read_articles(corpus, fields=fields, input_format=input_format, on_bad_date=on_bad_date)
        if corpus
        else []
    )
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
    articles = read_articles(
        inputs, fields=fields, input_format=input_format, on_bad_date=kwargs.pop("on_bad_date")
    )
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


# -- the persistent story index (dedupe_news.index) ------------------------------


@main.group(context_settings=CONTEXT)
def index() -> None:
    """A persistent story index: add articles as they arrive, query, remove, evict."""


def _open_index(db: str):
    from .index import StoryIndex

    return StoryIndex(db)


def _pair_json(best) -> dict | None:
    if best is None:
        return None
    return {
        "id": best.id_b,
        "story_similarity": round(best.story_similarity, 4),
        "cosine_similarity": round(best.cosine_similarity, 4),
        "jaccard_similarity": round(best.jaccard_similarity, 4),
        "containment_similarity": round(best.containment_similarity, 4),
        "reason": best.reason,
    }


@index.command("add", context_settings=CONTEXT)
@click.argument("db")
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Articles per transaction.",
)
@click.option("--skip-existing", is_flag=True, help="Skip articles whose id is already stored.")
@click.option(
    "--bulk",
    is_flag=True,
    help="Cluster each transaction as one batch (fast: to build an index, or add a day's news).",
)
@jobs_option("Processes for --bulk; -1 uses every core. Results do not depend on it.")
@field_options
@handle_errors
def index_add(
    db: str,
    inputs: tuple[str, ...],
    batch_size: int,
    skip_existing: bool,
    bulk: bool,
    n_jobs: int,
    **kwargs,
) -> None:
    """Add articles to the index DB (created when missing); print each assignment as JSONL.

    Articles are added in date order (undated last), in transactions of --batch-size.
    With --bulk, each transaction is clustered as one batch with the stored
    articles near it in date (give a large --batch-size, say 100000, to build an index).
    """
    import json

    fields = _fields(kwargs)
    read_stats = ReadStats()
    articles = read_articles(
        inputs, fields=fields, input_format=kwargs.pop("input_format"),
        on_bad_date=kwargs.pop("on_bad_date"), stats=read_stats,
    )  # fmt: skip
    if read_stats.bad_dates:
        click.echo(read_stats.bad_dates_note(), err=True)
    order = sorted(
        range(len(articles)), key=lambda k: (articles[k].date is None, articles[k].date or 0, k)
    )
    articles = [articles[k] for k in order]
    with _open_index(db) as store:
        for start in range(0, len(articles), batch_size):
            batch = articles[start : start + batch_size]
            for a in store.add(batch, skip_existing=skip_existing, bulk=bulk, n_jobs=n_jobs):
                record = {
                    "id": a.article_id,
                    "story": a.story_id,
                    "new_story": a.is_new_story,
                    "score": round(a.score, 4),
                    "best": _pair_json(a.best),
                }
                click.echo(json.dumps(record, ensure_ascii=False))


@index.command("query", context_settings=CONTEXT)
@click.argument("db")
@click.argument("input_path", metavar="INPUT")
@click.option("--limit", type=click.IntRange(min=1), default=5, show_default=True)
@field_options
@handle_errors
def index_query(db: str, input_path: str, limit: int, **kwargs) -> None:
    """Print, per article of INPUT, the stored stories it matches as JSONL; stores nothing."""
    import json

    fields = _fields(kwargs)
    articles = read_articles(
        [input_path], fields=fields, input_format=kwargs.pop("input_format"),
        on_bad_date=kwargs.pop("on_bad_date"),
    )  # fmt: skip
    with _open_index(db) as store:
        for article in articles:
            matches = store.query(article, limit=limit)
            record = {
                "id": article.id,
                "matches": [
                    {
                        "story": m.story_id,
                        "score": round(m.score, 4),
                        "size": m.size,
                        "best": _pair_json(m.best),
                    }
                    for m in matches
                ],
            }
            click.echo(json.dumps(record, ensure_ascii=False))


@index.command("remove", context_settings=CONTEXT)
@click.argument("db")
@click.argument("ids", nargs=-1, required=True)
@click.option("--missing-ok", is_flag=True, help="Ignore ids that are not stored.")
@handle_errors
def index_remove(db: str, ids: tuple[str, ...], missing_ok: bool) -> None:
    """Remove articles by id from the index DB."""
    with _open_index(db) as store:
        removed = store.remove(ids, missing_ok=missing_ok)
    click.echo(f"removed {removed} articles", err=True)


@index.command("evict", context_settings=CONTEXT)
@click.argument("db")
@click.option("--before", "before", required=True, help="Remove articles dated before this day.")
@handle_errors
def index_evict(db: str, before: str) -> None:
    """Remove every article dated before --before (YYYY-MM-DD); undated ones stay."""
    from .articles import parse_date

    day = parse_date(before)
    if day is None:
        raise InputError(f"--before needs a date as YYYY-MM-DD, got {before!r}")
    with _open_index(db) as store:
        removed = store.evict(day)
    click.echo(f"evicted {removed} articles dated before {day.isoformat()}", err=True)


@index.command("stories", context_settings=CONTEXT)
@click.argument("db")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "table"]),
    default="jsonl",
    show_default=True,
    help="jsonl: every story; table: the stories with 2+ articles.",
)
@handle_errors
def index_stories(db: str, fmt: str) -> None:
    """List the stored stories: id, source (earliest article) and members."""
    import json

    with _open_index(db) as store:
        stories = store.stories()
    if fmt == "jsonl":
        for s in stories:
            click.echo(
                json.dumps(
                    {
                        "story": s.story_id,
                        "size": s.size,
                        "source": s.source_id,
                        "articles": list(s.article_ids),
                    },
                    ensure_ascii=False,
                )
            )
        return
    click.echo(f"{'story':>8}  {'size':>5}  source / members")
    for s in stories:
        if s.size > 1:
            click.echo(f"{s.story_id:>8}  {s.size:>5}  {s.source_id}: {', '.join(s.article_ids)}")
