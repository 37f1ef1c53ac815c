"""Every setting of a clustering run, with its validation and documentation, in one place.

:class:`Settings` is the single source of the defaults. The estimator
(:class:`~dedupe_news.pipeline.StoryClusterer`) takes them as keyword
parameters, the persistent index stores them in its file, and the command line
builds its options from the ``cli`` entries of the field metadata.

Settings come in three groups (the ``group`` of each field):

``decision``
    Change which pairs are the same story. An index is built with them fixed.
``signature``
    Change what is stored per article (MinHash). Fixed for an index too.
``search``
    Limits of the candidate search and of clustering. They trade time for recall,
    and an index may be opened with other values.
"""

from __future__ import annotations

import json
import math
import operator
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import ParameterError

__all__ = ["LINKAGES", "Settings"]

LINKAGES = ("weighted", "average", "single")

MAX_NUM_PERM = 4096
"""Upper bound of ``num_perm``: beyond it signing costs seconds per article, for no gain."""


def _setting(
    default: Any,
    group: str,
    doc: str,
    *,
    cli: str | None = None,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    choices: tuple | None = None,
) -> Any:
    return field(
        default=default,
        metadata={
            "group": group,
            "doc": doc,
            "cli": cli,
            "low": low,
            "high": high,
            "low_open": low_open,
            "choices": choices,
        },
    )


@dataclass(frozen=True)
class Settings:
    """The settings of a clustering run (see the module docstring for the groups).

    Examples
    --------
    >>> Settings().rewrite_threshold
    0.15
    >>> Settings(window_days=math.inf).to_json()["window_days"]
    'inf'
    """

    window_days: float = _setting(
        5.0,
        "decision",
        "Articles dated further apart than this many days are never the same story "
        "(math.inf ignores dates).",
        cli="--window-days",
        low=0.0,
    )
    rewrite_threshold: float = _setting(
        0.15,
        "decision",
        "story_similarity at or above which two articles are the same story, and the "
        "minimum mean similarity between groups that linkage merges.",
        cli="--threshold",
        low=0.0,
        high=1.0,
        low_open=True,
    )
    copy_threshold: float = _setting(
        0.5,
        "decision",
        "Shingle Jaccard at or above which two articles are copies; also the LSH threshold "
        "of the copy search.",
        cli="--copy-threshold",
        low=0.0,
        high=1.0,
        low_open=True,
    )
    containment_threshold: float = _setting(
        0.8,
        "decision",
        "Share of the shorter article's shingles inside the longer one at or above which "
        "it is an abridged copy.",
        cli="--containment-threshold",
        low=0.0,
        high=1.0,
        low_open=True,
    )
    min_containment_shingles: int = _setting(
        20,
        "decision",
        "Containment is trusted only when the shorter article has this many shingles.",
        low=1,
    )
    num_perm: int = _setting(128, "signature", "MinHash permutations.", low=2, high=MAX_NUM_PERM)
    shingle_size: int = _setting(5, "signature", "Words per shingle.", low=1, high=64)
    seed: int = _setting(1, "signature", "MinHash seed.", low=0)
    max_neighbors: int = _setting(
        30, "search", "TF-IDF neighbours kept per article during candidate search.", low=1
    )
    linkage: str = _setting(
        "weighted",
        "search",
        "How stories are grouped inside connected components: 'weighted' (WPGMA) and "
        "'average' (UPGMA) resist chaining; 'single' keeps plain connected components.",
        cli="--linkage",
        choices=LINKAGES,
    )
    max_component: int = _setting(
        2000,
        "search",
        "Largest component clustered on a dense similarity matrix; larger ones "
        "collapse copies to representatives first, then split by raising the edge "
        "threshold only if still too large.",
        low=2,
    )
    top_terms: int = _setting(
        20,
        "search",
        "Index: terms of a new article whose postings give rewrite candidates.",
        low=1,
    )
    per_term_limit: int = _setting(
        200, "search", "Index: postings read per term (the most recent in the window).", low=1
    )
    max_story_members: int = _setting(
        1000,
        "search",
        "Index: members of a story compared with an article (most recent).",
        low=1,
    )
    max_recluster: int = _setting(
        300, "search", "Index: most members clustered again on one add.", low=1
    )
    query_candidates: int = _setting(
        64, "search", "Index: rewrite candidates scored by a query.", low=1
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            value = _checked(f.name, getattr(self, f.name), f.type, f.metadata)
            object.__setattr__(self, f.name, value)  # plain int/float, for JSON and hashing

    # -- views -------------------------------------------------------------------

    @classmethod
    def names(cls, *groups: str) -> tuple[str, ...]:
        """Names of the settings in ``groups`` (every setting when none is given)."""
        return tuple(f.name for f in fields(cls) if not groups or f.metadata["group"] in groups)

    @classmethod
    def doc(cls, name: str) -> str:
        """The documentation of one setting."""
        return _field(name).metadata["doc"]

    @classmethod
    def cli_options(cls) -> list[tuple[str, str, dict]]:
        """``(flag, name, metadata)`` of every setting the command line exposes."""
        return [
            (f.metadata["cli"], f.name, dict(f.metadata)) for f in fields(cls) if f.metadata["cli"]
        ]

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (and validated); unknown names are an error."""
        unknown = sorted(set(changes) - set(self.names()))
        if unknown:
            raise ParameterError(
                f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(self.names())}"
            )
        return Settings(**{**self.to_dict(), **changes})

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.names()}

    # -- storing -----------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict: infinite and NaN floats become the strings "inf", "-inf", "nan"."""
        return {name: _json_safe(value) for name, value in self.to_dict().items()}

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> Settings:
        """Settings from :meth:`to_json` output; names it lacks take their defaults,
        names this version does not know are an error."""
        values = {}
        for name, value in stored.items():
            if (
                name in cls.names()
                and _field(name).type in ("float", float)
                and isinstance(value, str)
            ):
                value = float(value)  # "inf", "nan"
            values[name] = value
        return Settings().replace(**values)

    def dumps(self) -> str:
        """:meth:`to_json` as a sorted JSON string."""
        return json.dumps(self.to_json(), sort_keys=True)


def _field(name: str):
    for f in fields(Settings):
        if f.name == name:
            return f
    raise ParameterError(f"unknown setting {name!r}")


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "inf", "-inf", "nan"
    return value


def _checked(name: str, value: Any, kind: Any, meta: dict) -> Any:
    """``value`` validated against its type and range, as a plain int, float or str;
    one clear message on failure."""
    kind = kind if isinstance(kind, str) else kind.__name__
    if meta["choices"] is not None:
        if not isinstance(value, str) or value not in meta["choices"]:
            raise ParameterError(
                f"{name} must be one of {', '.join(map(repr, meta['choices']))}, got {value!r}"
            )
        return value
    what = "an integer" if kind == "int" else "a number"
    if isinstance(value, (bool, str, bytes)):
        raise ParameterError(f"{name} must be {what}, got {value!r}")
    try:
        value = operator.index(value) if kind == "int" else float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be {what}, got {value!r}") from None
    low, high = meta["low"], meta["high"]
    if isinstance(value, float) and math.isnan(value):
        raise ParameterError(f"{name} must be a number, got NaN")
    too_low = low is not None and (value <= low if meta["low_open"] else value < low)
    too_high = high is not None and value > high
    if too_low or too_high:
        left = "(" if meta["low_open"] else "["
        span = f"{left}{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]"
        hint = "; use math.inf to ignore dates" if name == "window_days" else ""
        raise ParameterError(f"{name} must be in {span}, got {value!r}{hint}")
    return value
