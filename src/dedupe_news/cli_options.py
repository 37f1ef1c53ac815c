"""What every ``dedupe-news`` command shares: options, error handling, progress
and the display of the ``dedupe_news`` logger's warnings."""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
from collections.abc import Callable

import click

from .errors import DedupeNewsError
from .record_fields import FieldMap
from .settings import Settings

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

SETTINGS = Settings()

LOGGER_NAME = "dedupe_news"


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
        click.option(
            "--url-field", default="url", show_default=True, help="Field holding the URL."
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


def quiet_option(help_text: str = "No progress, summary or warnings on stderr.") -> Callable:
    return click.option("-q", "--quiet", is_flag=True, help=help_text)


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
    options += [
        click.option(
            "--model",
            metavar="default|FILE",
            default=None,
            help="Decide by a learned same-story model: 'default' (shipped with the package) "
            "or a JSON file written by 'dedupe-news calibrate'. Without it, the TF-IDF cosine "
            "at --threshold decides.",
        ),
        click.option(
            "--same-story-threshold",
            type=click.FloatRange(0.0, 1.0),
            default=None,
            help="With --model: the same-story probability at or above which two articles "
            "are one story. Default: the model's own (0.5).",
        ),
        jobs_option("Processes to use; -1 uses every core. Results do not depend on it."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def fields_from(kwargs: dict) -> FieldMap:
    """The :class:`FieldMap` of :func:`field_options`, popped from ``kwargs``."""
    return FieldMap(
        id=kwargs.pop("id_field"),
        text=kwargs.pop("text_field"),
        title=kwargs.pop("title_field"),
        date=kwargs.pop("date_field"),
        source=kwargs.pop("source_field"),
        url=kwargs.pop("url_field"),
    )


def reader_options(kwargs: dict) -> dict:
    """The reader settings of :func:`field_options` other than the fields (``input_format``,
    ``on_bad_date``), popped from ``kwargs``: keyword arguments of ``read_articles``."""
    return {"input_format": kwargs.pop("input_format"), "on_bad_date": kwargs.pop("on_bad_date")}


def clusterer_params(kwargs: dict) -> dict:
    """The ``StoryClusterer`` settings of :func:`clusterer_options`, popped from ``kwargs``."""
    names = [name for _, name, _ in Settings.cli_options()]
    names += ["model", "same_story_threshold", "n_jobs"]
    return {name: kwargs.pop(name) for name in names}


def handle_errors(command: Callable) -> Callable:
    """Turn library errors into one-line messages and exit code 1.

    What a command printed is flushed here, so that a full disk or a closed pipe on
    stdout is reported as one line too (``stdout: cannot write: ...``) instead of a
    traceback at exit. Any other filesystem error left unconverted by the library
    becomes one line with its path and cause.
    """

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            result = command(*args, **kwargs)
            sys.stdout.flush()
            return result
        except DedupeNewsError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            cause = exc.strerror or str(exc) or type(exc).__name__
            cause = cause[:1].lower() + cause[1:]
            if exc.filename is not None:
                raise click.ClickException(f"{exc.filename}: {cause}") from None
            _drop_stdout()
            raise click.ClickException(f"stdout: cannot write: {cause}") from None

    return wrapper


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's flush at exit does not fail again."""
    try:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until exit
    except OSError:
        pass


class _EchoHandler(logging.Handler):
    """Shows a log record on stderr as ``warning: message``."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"{record.levelname.lower()}: {record.getMessage()}", err=True)


def show_warnings(quiet: bool) -> None:
    """Show the ``dedupe_news`` logger's warnings on stderr while the current command
    runs; with ``quiet``, errors only. The logger is restored when the command ends."""
    logger = logging.getLogger(LOGGER_NAME)
    level, handlers = logger.level, list(logger.handlers)
    for handler in handlers:
        if isinstance(handler, _EchoHandler):
            logger.removeHandler(handler)
    logger.addHandler(_EchoHandler())
    logger.setLevel(logging.ERROR if quiet else logging.WARNING)

    def restore() -> None:
        logger.setLevel(level)
        logger.handlers[:] = handlers

    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(restore)


def stderr_is_terminal() -> bool:
    """Whether stderr is a terminal (progress is shown only there)."""
    return sys.stderr.isatty()


class Progress:
    """Stage progress on stderr, only when stderr is a terminal and not --quiet."""

    @classmethod
    def unless(cls, quiet: bool) -> Progress:
        """Progress shown when stderr is a terminal and not ``quiet``."""
        return cls(enabled=not quiet and stderr_is_terminal())

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
