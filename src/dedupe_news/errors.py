"""Exceptions raised by dedupe_news.

Every error derives from one base class, so callers can catch them all::

    DedupeNewsError
     +-- InputError (also ValueError)       bad input: file, line and fix in the message
     |    +-- EmptyCorpusError               nothing left to cluster
     +-- ParameterError (also ValueError)   a setting outside its allowed range
     +-- NotFittedError (also AttributeError) asked for results before fit()
     +-- UnknownArticleError (also KeyError)  an id that is not in the fitted corpus
     +-- MissingDependencyError (also ImportError) an optional extra (Spark, Java) is missing
"""

from __future__ import annotations


class DedupeNewsError(Exception):
    """Base class of every error raised by dedupe_news."""


class InputError(DedupeNewsError, ValueError):
    """Malformed input. The message names the file and the line (or the row) and the fix.

    ``path:line: message`` for a line of a text file, ``path: row N: message`` for a row
    of a Parquet file, ``row N: message`` for a row of in-memory records.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        row: int | str | None = None,
    ):
        self.path = path
        self.line = line
        self.row = row
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        if row is not None:
            where += f"row {row}: "
        super().__init__(where + message)


class EmptyCorpusError(InputError):
    """No article with text was found in the input."""


class ParameterError(DedupeNewsError, ValueError):
    """A parameter is outside its allowed range."""


class NotFittedError(DedupeNewsError, AttributeError):
    """Results were requested before ``fit`` was called."""


class UnknownArticleError(DedupeNewsError, KeyError):
    """An article id is not part of the fitted corpus."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class MissingDependencyError(DedupeNewsError, ImportError):
    """An optional dependency is missing, such as PySpark (``pip install "dedupe-news[spark]"``)
    or the Java runtime it needs. The message says what to install."""
