"""The SparkSession: a local or cluster session set up for dedupe_news."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from typing import TYPE_CHECKING

from ..errors import MissingDependencyError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["require_spark", "spark_session"]


def spark_session(master: str = "local[*]", **config: str) -> SparkSession:
    """A SparkSession for dedupe_news (``getOrCreate``: an active session is reused as is).

    Sets ``PYSPARK_PYTHON`` to this interpreter when unset, so the Python workers
    import the same dedupe_news, enables Arrow, and uses 8 shuffle partitions, 4g
    of driver memory and the ERROR log level; ``config`` overrides these or adds
    settings, for example
    ``spark_session("local[2]", **{"spark.ui.enabled": "false"})``.

    A new local session keeps its scratch files (shuffle, spills, broadcasts) in a
    private directory, readable by this user only and removed when Python exits,
    instead of Spark's default, world-readable ``/tmp``. ``spark.local.dir`` in
    ``config`` or ``SPARK_LOCAL_DIRS`` in the environment chooses another; on a
    cluster its manager's local directories apply.

    Raises
    ------
    MissingDependencyError
        PySpark or PyArrow is not installed, or no Java runtime is found.
    """
    require_spark()
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    settings = {
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.shuffle.partitions": "8",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": "4g",
        "spark.log.level": "ERROR",
        **_private_local_dir(master, config),
        **config,
    }
    builder = SparkSession.builder.master(master).appName("dedupe-news")
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def require_spark() -> None:
    """Raise :class:`~dedupe_news.MissingDependencyError` without PySpark, PyArrow or Java."""
    try:
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            f"the Spark engine needs PySpark and PyArrow ({exc.name} is not installed): "
            'install them with pip install "dedupe-news[spark]"'
        ) from None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise MissingDependencyError(
            "the Spark engine needs a Java runtime (17 or later), and no java is on the PATH "
            "and JAVA_HOME is unset: install one (for example apt-get install openjdk-17-jre) "
            "or set JAVA_HOME"
        )


def _private_local_dir(master: str, config: dict[str, str]) -> dict[str, str]:
    """``{"spark.local.dir": <a new 0700 directory>}`` for a new local session, else ``{}``."""
    from pyspark import SparkContext

    if (
        not master.startswith("local")
        or "spark.local.dir" in config
        or os.environ.get("SPARK_LOCAL_DIRS")
        or SparkContext._active_spark_context is not None  # getOrCreate reuses it as is
    ):
        return {}
    path = tempfile.mkdtemp(prefix="dedupe-news-spark-")  # mode 0700
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return {"spark.local.dir": path}
