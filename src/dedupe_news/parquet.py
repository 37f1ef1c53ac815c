"""Parquet input, through the optional pyarrow (``pip install "dedupe-news[parquet]"``)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO, Any

from .articles import Article, ReadStats, article_from_record
from .errors import InputError, MissingDependencyError
from .record_fields import FieldMap

__all__ = ["read_parquet"]

BATCH_ROWS = 4096


def read_parquet(
    stream: IO[Any], path: str, fields: FieldMap, on_bad_date: str, stats: ReadStats
) -> Iterator[tuple[tuple[str, None], Article]]:
    """Articles from the rows of a Parquet file, as ``((path, None), article)``; errors name
    the row (0-based). pyarrow is imported here, so that it stays optional."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingDependencyError(
            f'{path}: reading Parquet needs pyarrow: pip install "dedupe-news[parquet]"'
        ) from None
    if isinstance(stream.read(0), str):
        raise InputError("a Parquet file must be opened in binary mode ('rb')", path=path)
    data = stream if _seekable(stream) else io.BytesIO(stream.read())
    row = 0
    try:
        batches = pq.ParquetFile(data).iter_batches(batch_size=BATCH_ROWS)
        for batch in batches:
            for record in batch.to_pylist():
                article = article_from_record(
                    record, fields, path=path, row=row, on_bad_date=on_bad_date, stats=stats
                )
                if article is not None:
                    yield (path, None), article
                row += 1
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"not a readable Parquet file ({exc}): check the file, or give JSONL or CSV",
            path=path,
        ) from None


def _seekable(stream: IO[Any]) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False
