"""Date blocks of the rewrite search, and the rows each block must hold.

A block owns the articles of a range of consecutive days, and also receives the
articles within ``window_days`` of its edges (and every undated article), so the
local window search runs on it with the whole window of its own rows in reach.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["date_blocks", "replicate_batches"]


def date_blocks(
    days: np.ndarray, counts: np.ndarray, window_days: float, block_rows: int
) -> np.ndarray:
    """Day ranges ``[first, last]`` (rows of a float array) of the rewrite search's blocks.

    Consecutive days are put together until a block holds ``block_rows`` dated
    articles; an infinite window gives one block. NaN days (undated) are ignored here.

    >>> date_blocks(np.array([1.0, 2.0, 3.0, np.nan]), np.array([5, 5, 5, 2]), 2.0, 8).tolist()
    [[1.0, 2.0], [3.0, 3.0]]
    """
    dated = ~np.isnan(days)
    days, counts = days[dated], counts[dated]
    if days.size == 0:
        return np.zeros((0, 2))
    if not math.isfinite(window_days):
        return np.array([[-np.inf, np.inf]])
    order = np.argsort(days)
    days, counts = days[order], counts[order]
    blocks, first, held = [], 0, 0
    for k, count in enumerate(counts):
        if held >= block_rows:
            blocks.append((days[first], days[k - 1]))
            first, held = k, 0
        held += int(count)
    blocks.append((days[first], days[-1]))
    return np.array(blocks, dtype=np.float64)


def replicate_batches(batches, blocks: np.ndarray, window_days: float, undated: bool):
    """Worker: each row into its own date block (``owned``) and into every block whose
    window reaches it; undated rows into every block. With undated rows, every row
    also goes into the undated block (number ``len(blocks)``), which the undated
    rows own: as in the local search, they are compared with every article."""
    import pyarrow as pa

    n_blocks = blocks.shape[0]
    slack = 0.5 if math.isfinite(window_days) else math.inf  # a superset is harmless
    reach_lo = blocks[:, 0] - window_days - slack
    reach_hi = blocks[:, 1] + window_days + slack
    for batch in batches:
        days = batch.column("day").to_numpy()
        block_ids, owned, take = [], [], []
        for row, day in enumerate(days):
            if math.isnan(day):
                reached = np.arange(n_blocks + 1)
                own = n_blocks
            else:
                first = int(np.searchsorted(reach_hi, day, side="left"))
                last = int(np.searchsorted(reach_lo, day, side="right"))
                reached = np.arange(first, last + 1 if undated else last)
                if undated:
                    reached[-1] = n_blocks
                own = int(np.searchsorted(blocks[:, 0], day, side="right")) - 1
            block_ids.append(reached)
            owned.append(reached == own)
            take.append(np.full(reached.size, row))
        if not take:
            continue
        take_all = np.concatenate(take)
        columns = [batch.column(name).take(pa.array(take_all)) for name in batch.schema.names]
        yield pa.RecordBatch.from_arrays(
            [
                pa.array(np.concatenate(block_ids).astype(np.int32)),
                pa.array(np.concatenate(owned)),
                *columns,
            ],
            names=["block", "owned", *batch.schema.names],
        )
