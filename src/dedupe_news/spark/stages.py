"""The job's bookkeeping: progress and job names per stage, cached frames to release."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["STAGES", "Cache", "Stages"]

STAGES = ("prepare", "idf", "copies", "rewrites", "scoring", "components", "linkage", "labels")
"""The job's stages in order: the names ``progress`` reports and job groups carry."""


class Stages:
    """Calls ``progress(stage, done, total)`` at the start and end of each stage, and
    names Spark's jobs after the stage (job group ``dedupe-news: <stage>``) until
    :meth:`restore` puts the caller's job group back."""

    _PROPERTIES = ("spark.jobGroup.id", "spark.job.description")

    def __init__(self, progress):
        from pyspark import SparkContext

        self.progress = progress
        self._context = SparkContext._active_spark_context
        self._saved = {}
        if self._context is not None:
            self._saved = {k: self._context.getLocalProperty(k) for k in self._PROPERTIES}

    def start(self, stage: str) -> None:
        if self._context is not None:
            self._context.setJobGroup(f"dedupe-news: {stage}", f"dedupe-news: {stage}")
        if self.progress is not None:
            self.progress(stage, 0, 1)

    def done(self, stage: str, total: int) -> None:
        if self.progress is not None:
            self.progress(stage, max(total, 1), max(total, 1))

    def restore(self) -> None:
        if self._context is not None:
            for key, value in self._saved.items():
                self._context.setLocalProperty(key, value)


class Cache:
    """The frames the job persists and the values it broadcasts, released together."""

    def __init__(self) -> None:
        self._frames: list[DataFrame] = []
        self._broadcasts: list[Any] = []

    def keep(self, frame: DataFrame) -> DataFrame:
        """``frame`` persisted in memory and on disk until :meth:`release`."""
        from pyspark import StorageLevel

        frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
        self._frames.append(frame)
        return frame

    def checkpoint(self, frame: DataFrame) -> DataFrame:
        """``frame`` computed now and kept (a local checkpoint) until :meth:`release`,
        its lineage cut: later plans that use it stay small."""
        frame = frame.localCheckpoint(eager=True)
        self._frames.append(frame)
        return frame

    def broadcast(self, spark, value):
        """``value`` broadcast to the workers until :meth:`release`."""
        shared = spark.sparkContext.broadcast(value)
        self._broadcasts.append(shared)
        return shared

    def release(self) -> None:
        for frame in self._frames:
            frame.unpersist()
        for shared in self._broadcasts:
            shared.unpersist()
        self._frames.clear()
        self._broadcasts.clear()
