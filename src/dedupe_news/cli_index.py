"""The ``dedupe-news index`` commands: a thin adapter over :mod:`dedupe_news.index`."""

from __future__ import annotations

import json

import click

from .articles import ReadStats, parse_date, read_articles
from .cli_options import (
    CONTEXT,
    Progress,
    field_options,
    fields_from,
    handle_errors,
    jobs_option,
    quiet_option,
    reader_options,
    show_warnings,
)
from .errors import InputError
from .timestamps import article_time_key


@click.group(context_settings=CONTEXT)
def index() -> None:
    """A persistent story index: add articles as they arrive, query, remove, evict.

    \b
    Examples:
      dedupe-news index add news.db monday.jsonl
      dedupe-news index query news.db breaking.jsonl
      dedupe-news index stories news.db --format table
      dedupe-news index stats news.db
    """


def _open_index(db: str, *, readonly: bool = False, model: str | None = None):
    """The index at ``db``; read commands open it read-only (it must exist, and they
    never wait for a writer)."""
    from .index import StoryIndex

    return StoryIndex(db, readonly=readonly, model=model)


def _echo_json(record: dict) -> None:
    click.echo(json.dumps(record, ensure_ascii=False))


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
@click.option(
    "--model",
    metavar="default|FILE",
    default=None,
    help="Decide by a learned same-story model ('default', or a file from 'dedupe-news "
    "calibrate'), stored in a new index; an index with a model clusters every "
    "transaction (--batch-size articles) as --bulk does. Leave it out to use the "
    "index's own.",
)
@jobs_option("Processes for --bulk; -1 uses every core. Results do not depend on it.")
@quiet_option()
@field_options
@handle_errors
def index_add(
    db: str,
    inputs: tuple[str, ...],
    batch_size: int,
    skip_existing: bool,
    bulk: bool,
    model: str | None,
    n_jobs: int,
    quiet: bool,
    **kwargs,
) -> None:
    """Add articles to the index DB (created when missing); print what changed as JSONL.

    Articles are added in time order (undated last), in transactions of --batch-size.
    With --bulk, each transaction is clustered as one batch with the stored
    articles near it in date (give a large --batch-size, say 100000, to build an index).
    Each article gets an "assigned" line; stored articles that re-clustering moved get
    a "moved" line (both carry "id" and the current "story"), and stories "merged" and
    "split" lines. `index assignments --since GENERATION` replays what was missed.
    A summary goes to stderr.

    \b
    Examples:
      dedupe-news index add news.db monday.jsonl tuesday.jsonl
      dedupe-news index add news.db archive.jsonl --bulk --batch-size 100000
      dedupe-news index add news.db today.jsonl --model default
    """
    show_warnings(quiet)
    fields = fields_from(kwargs)
    read_stats = ReadStats()
    articles = read_articles(inputs, fields=fields, stats=read_stats, **reader_options(kwargs))
    order = sorted(range(len(articles)), key=lambda k: (*article_time_key(articles[k]), k))
    articles = [articles[k] for k in order]
    progress = Progress.unless(quiet)
    stored = new_stories = empty = moved = 0
    with _open_index(db, model=model) as store:
        progress("add", 0, len(articles))
        for start in range(0, len(articles), batch_size):
            batch = articles[start : start + batch_size]
            changes = store.add(batch, skip_existing=skip_existing, bulk=bulk, n_jobs=n_jobs)
            for a in changes.assignments:
                stored += a.story_id is not None
                empty += a.story_id is None
                new_stories += a.is_new_story
            moved += len(changes.moved)
            for record in _change_records(changes):
                _echo_json(record)
            progress("add", start + len(batch), len(articles))
    if not quiet:
        existing = len(articles) - stored - empty
        bad_dates = f"; {read_stats.bad_dates_note()}" if read_stats.bad_dates else ""
        click.echo(
            f"{len(articles)} articles: stored {stored} ({new_stories} in new stories), "
            f"skipped {existing} already stored and {empty} with empty text{bad_dates}"
            + (f"; moved {moved} stored articles to other stories" if moved else ""),
            err=True,
        )


def _change_records(changes) -> list[dict]:
    """JSONL records of one add: an "assigned" line per article, a "moved" line per
    stored article re-clustering moved (both carry "id" and its current "story"), then
    "merged" and "split" lines per story; each with the transaction's "generation"."""
    g = changes.generation
    records = [
        {
            "event": "assigned",
            "id": a.article_id,
            "story": a.story_id,
            "new_story": a.is_new_story,
            "score": round(a.score, 4),
            "best": _pair_json(a.best),
            "generation": g,
        }
        for a in changes.assignments
    ]
    records += [
        {
            "event": "moved",
            "id": m.article_id,
            "story": m.new_story_id,
            "old_story": m.old_story_id,
            "generation": g,
        }
        for m in changes.moved
    ]
    records += [
        {"event": "merged", "story": m.story_id, "stories": list(m.story_ids), "generation": g}
        for m in changes.merged
    ]
    records += [
        {"event": "split", "story": m.story_id, "stories": list(m.story_ids), "generation": g}
        for m in changes.split
    ]
    return records


@index.command("query", context_settings=CONTEXT)
@click.argument("db")
@click.argument("input_path", metavar="INPUT")
@click.option("--limit", type=click.IntRange(min=1), default=5, show_default=True)
@quiet_option()
@field_options
@handle_errors
def index_query(db: str, input_path: str, limit: int, quiet: bool, **kwargs) -> None:
    """Print, per article of INPUT, the stored stories it matches as JSONL; stores nothing.

    \b
    Example:
      dedupe-news index query news.db breaking.jsonl --limit 3
    """
    show_warnings(quiet)
    fields = fields_from(kwargs)
    articles = read_articles([input_path], fields=fields, **reader_options(kwargs))
    progress = Progress.unless(quiet)
    matched = 0
    with _open_index(db, readonly=True) as store:
        for done, article in enumerate(articles, 1):
            matches = store.query(article, limit=limit)
            matched += bool(matches)
            _echo_json(
                {
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
            )
            progress("query", done, len(articles))
    if not quiet:
        click.echo(
            f"{len(articles)} articles: {matched} match a stored story, "
            f"{len(articles) - matched} match none",
            err=True,
        )


@index.command("remove", context_settings=CONTEXT)
@click.argument("db")
@click.argument("ids", nargs=-1, required=True)
@click.option("--missing-ok", is_flag=True, help="Ignore ids that are not stored.")
@handle_errors
def index_remove(db: str, ids: tuple[str, ...], missing_ok: bool) -> None:
    """Remove articles by id from the index DB.

    \b
    Example:
      dedupe-news index remove news.db reuters-17 afp-3 --missing-ok
    """
    with _open_index(db) as store:
        removed = store.remove(ids, missing_ok=missing_ok)
    click.echo(f"removed {removed} articles", err=True)


@index.command("evict", context_settings=CONTEXT)
@click.argument("db")
@click.option("--before", "before", required=True, help="Remove articles dated before this day.")
@handle_errors
def index_evict(db: str, before: str) -> None:
    """Remove every article dated before --before (YYYY-MM-DD); undated ones stay.

    \b
    Example:
      dedupe-news index evict news.db --before 2024-01-01
    """
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
    """List the stored stories: id, source (earliest article, with its title and outlet)
    and members.

    \b
    Example:
      dedupe-news index stories news.db --format table
    """
    with _open_index(db, readonly=True) as store:
        stories = store.stories()
    if fmt == "jsonl":
        for s in stories:
            _echo_json(
                {
                    "story": s.story_id,
                    "size": s.size,
                    "source": s.source_id,
                    "source_title": s.source_title,
                    "source_outlet": s.source_outlet,
                    "articles": list(s.article_ids),
                }
            )
        return
    click.echo(f"{'story':>8}  {'size':>5}  source / members")
    for s in stories:
        if s.size > 1:
            click.echo(f"{s.story_id:>8}  {s.size:>5}  {s.source_id}: {', '.join(s.article_ids)}")
            about = " | ".join(x for x in (s.source_title, s.source_outlet) if x)
            if about:
                click.echo(f"{'':>17}{about}")


@index.command("stats", context_settings=CONTEXT)
@click.argument("db")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "text"]),
    default="json",
    show_default=True,
    help="json: one object; text: one fact a line.",
)
@handle_errors
def index_stats(db: str, fmt: str) -> None:
    """Print the index's counts, date span, file size and settings.

    \b
    Example:
      dedupe-news index stats news.db --format text
    """
    with _open_index(db, readonly=True) as store:
        facts = store.stats().as_json()
    if fmt == "json":
        click.echo(json.dumps(facts, ensure_ascii=False, sort_keys=True))
        return
    for name, value in facts.items():
        if name == "settings":
            value = ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
        click.echo(f"{name:<12}{'-' if value is None else value}")


@index.command("assignments", context_settings=CONTEXT)
@click.argument("db")
@click.option(
    "--since",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Only what the add calls after this generation assigned or moved.",
)
@handle_errors
def index_assignments(db: str, since: int) -> None:
    """Print the current story of each article added or moved after --since, as JSONL.

    A consumer of `index add` that stopped (killed, or lost lines) passes the last
    "generation" it applied to catch up.

    \b
    Example:
      dedupe-news index assignments news.db --since 41
    """
    with _open_index(db, readonly=True) as store:
        for a in store.assignments(since=since):
            _echo_json({"id": a.article_id, "story": a.story_id, "generation": a.generation})
