"""The input DataFrame's columns: checked, and brought to one layout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ParameterError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["source_columns"]


def source_columns(df: DataFrame) -> DataFrame:
    """``mid, id, text, title, date`` rows of ``df``: ``mid`` numbers the rows in
    order, ``date`` is a string that :func:`~dedupe_news.timestamps.parse_datetime`
    reads (a date column as ``YYYY-MM-DD``, a timestamp as ISO 8601 to the
    microsecond, with its offset), or null.

    Raises
    ------
    ParameterError
        ``id`` or ``text`` is missing, or ``date`` holds neither dates, timestamps
        nor strings.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    fields = {f.name: f.dataType for f in df.schema.fields}
    for name in ("id", "text"):
        if name not in fields:
            raise ParameterError(
                f"the DataFrame has no {name!r} column (columns: {', '.join(df.columns)}): "
                f"rename the right column with withColumnRenamed(..., {name!r})"
            )
    date_type = fields.get("date")
    if date_type is not None and not isinstance(
        date_type, (T.DateType, T.TimestampType, T.TimestampNTZType, T.StringType)
    ):
        raise ParameterError(
            f"the 'date' column must hold dates, timestamps or date strings, "
            f"got {date_type.simpleString()}"
        )
    title = F.col("title").cast("string") if "title" in fields else F.lit(None).cast("string")
    if date_type is None:
        date = F.lit(None).cast("string")
    elif isinstance(date_type, T.StringType):
        date = F.col("date")
    elif isinstance(date_type, T.DateType):
        date = F.date_format(F.col("date"), "yyyy-MM-dd")
    elif isinstance(date_type, T.TimestampNTZType):  # no zone: taken as UTC, as locally
        date = F.date_format(F.col("date"), "yyyy-MM-dd'T'HH:mm:ss.SSSSSS")
    else:  # an instant, written in the session's zone with its offset
        date = F.date_format(F.col("date"), "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX")
    return df.select(
        F.monotonically_increasing_id().alias("mid"),
        F.col("id").cast("string").alias("id"),
        F.col("text").cast("string").alias("text"),
        title.alias("title"),
        date.alias("date"),
    )
