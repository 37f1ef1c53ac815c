"""Stage ``copies``: candidate copy pairs from the LSH band keys.

The band keys of :func:`~dedupe_news.lsh.lsh_candidate_pairs`
(:func:`~dedupe_news.lsh.lsh_band_keys`, bands from
:func:`~dedupe_news.lsh.lsh_params`) are grouped by key, and each bucket
pairs each member with its next 64, as the local search does.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from ..lsh import lsh_band_keys, lsh_params
from .arrow import hashvalues, list_values

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from .stages import Cache

__all__ = [
    "MAX_BUCKET",
    "band_key_batches",
    "bucket_pair_batches",
    "bucket_pairs",
    "copy_pairs",
]

MAX_BUCKET = 64
"""Members of an oversized LSH bucket are paired with their next 64 (``lsh_candidate_pairs``)."""


def copy_pairs(
    features: DataFrame, copy_threshold: float, num_perm: int, cache: Cache
) -> DataFrame:
    """Distinct ``(i, j)`` position pairs, ``i < j``, that share an LSH bucket."""
    from pyspark.sql import functions as F

    bands, rows = lsh_params(copy_threshold, num_perm)
    return cache.keep(
        features.select("pos", "shingles", "hashvalues")
        .mapInArrow(
            partial(band_key_batches, bands=bands, rows=rows, num_perm=num_perm),
            "band int, key long, pos long",
        )
        .groupBy("band", "key")
        .agg(F.collect_list("pos").alias("members"))
        .filter(F.size("members") > 1)
        .select("members")
        .mapInArrow(bucket_pair_batches, "i long, j long")
        .distinct()
    )


def bucket_pairs(
    members: np.ndarray, max_bucket: int = MAX_BUCKET
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``i < j`` of one LSH bucket: each member with its next ``max_bucket``.

    >>> [x.tolist() for x in bucket_pairs(np.array([7, 3, 5]), max_bucket=1)]
    [[3, 5], [5, 7]]
    """
    members = np.sort(np.asarray(members, dtype=np.int64))
    left, right = [], []
    for gap in range(1, min(max_bucket, members.size - 1) + 1):
        left.append(members[:-gap])
        right.append(members[gap:])
    if not left:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(left), np.concatenate(right)


def band_key_batches(batches, bands: int, rows: int, num_perm: int):
    """Worker: a ``(band, key, pos)`` row per band of each article with shingles."""
    import pyarrow as pa

    for batch in batches:
        pos = batch.column("pos").to_numpy()
        has_shingles = batch.column("shingles").to_numpy() > 0
        keys = lsh_band_keys(hashvalues(batch.column("hashvalues"), num_perm), bands, rows)
        keys, pos = keys[has_shingles], pos[has_shingles]
        yield pa.RecordBatch.from_arrays(
            [
                pa.array(np.tile(np.arange(bands, dtype=np.int32), pos.size)),
                pa.array(keys.reshape(-1).view(np.int64)),
                pa.array(np.repeat(pos, bands)),
            ],
            names=["band", "key", "pos"],
        )


def bucket_pair_batches(batches):
    """Worker: the :func:`bucket_pairs` of each bucket's ``members``."""
    import pyarrow as pa

    for batch in batches:
        offsets, members = list_values(batch.column("members"))
        left, right = [], []
        for start, stop in zip(offsets[:-1], offsets[1:], strict=True):
            i, j = bucket_pairs(members[start:stop])
            left.append(i)
            right.append(j)
        i = np.concatenate(left) if left else np.zeros(0, dtype=np.int64)
        j = np.concatenate(right) if right else np.zeros(0, dtype=np.int64)
        yield pa.RecordBatch.from_arrays([pa.array(i), pa.array(j)], names=["i", "j"])
