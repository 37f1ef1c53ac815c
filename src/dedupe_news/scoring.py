"""Pair features and the same-story decision.

For a pair of articles A and B:

``cosine_similarity``
    TF-IDF cosine of the content terms, in [0, 1]. Sees rewrites.
``jaccard_similarity``
    Estimated Jaccard of the word-shingle sets (MinHash), in [0, 1]. Sees copies.
``containment_similarity``
    Estimated share of the shorter article's shingles found in the longer, in
    [0, 1]. Sees an abridged copy inside a longer article. Only trusted when the
    shorter article has at least ``min_containment_shingles`` shingles.
``date_distance_days``
    Absolute difference of the publication dates in days, or unknown.

The decision, in order:

1. Dates known and more than ``window_days`` apart: **not the same story**,
   whatever the text. A story lives for days.
2. ``jaccard_similarity >= copy_threshold`` or ``containment_similarity >=
   containment_threshold``: a **copy** (wire reprint or abridgement).
3. ``cosine_similarity >= rewrite_threshold``: a **rewrite** of the same story.
4. Otherwise different stories.

The result is also one number, ``story_similarity`` in [0, 1]: 0 outside the
date window, 1 for a copy, else the cosine. A pair is the same story exactly when
``story_similarity >= rewrite_threshold``; clustering averages this number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import ParameterError

__all__ = ["DecisionRule", "PairScores", "PairTable"]


@dataclass(frozen=True)
class DecisionRule:
    """Thresholds of the same-story decision (see the module docstring).

    Examples
    --------
    >>> rule = DecisionRule()
    >>> rule.story_similarity(cosine=0.9, jaccard=0.0, containment=0.0, date_distance_days=30.0)
    0.0
    """

    window_days: float = 5.0
    rewrite_threshold: float = 0.15
    copy_threshold: float = 0.5
    containment_threshold: float = 0.8
    min_containment_shingles: int = 20

    def __post_init__(self) -> None:
        for name in ("rewrite_threshold", "copy_threshold", "containment_threshold"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ParameterError(f"{name} must be in (0, 1], got {value!r}")
        if not self.window_days >= 0:
            raise ParameterError(
                f"window_days must be zero or more, got {self.window_days!r}; "
                "use math.inf to ignore dates"
            )

    def is_copy(self, jaccard, containment, smaller_shingles) -> np.ndarray:
        """Vectorised step 2 of the decision."""
        trusted = np.asarray(smaller_shingles) >= self.min_containment_shingles
        return (np.asarray(jaccard) >= self.copy_threshold) | (
            trusted & (np.asarray(containment) >= self.containment_threshold)
        )

    def in_window(self, date_distance_days) -> np.ndarray:
        """Vectorised step 1: True where dates are unknown or close enough."""
        distance = np.asarray(date_distance_days, dtype=np.float64)
        return ~(distance > self.window_days)  # NaN (unknown) compares False

    def story_similarity(
        self,
        cosine,
        jaccard,
        containment,
        date_distance_days,
        smaller_shingles=None,
    ):
        """The combined score in [0, 1]: 0 outside the window, 1 for a copy, else cosine."""
        if smaller_shingles is None:
            smaller_shingles = np.full(np.shape(cosine), self.min_containment_shingles)
        score = np.where(self.is_copy(jaccard, containment, smaller_shingles), 1.0, cosine)
        score = np.where(self.in_window(date_distance_days), score, 0.0)
        return float(score) if np.ndim(score) == 0 else score


@dataclass(frozen=True)
class PairTable:
    """Scores of many article pairs, as parallel numpy arrays (one entry per pair).

    ``i`` and ``j`` index the fitted articles; ``date_distance_days`` is NaN where a
    date is unknown.
    """

    i: np.ndarray
    j: np.ndarray
    cosine_similarity: np.ndarray
    jaccard_similarity: np.ndarray
    containment_similarity: np.ndarray
    date_distance_days: np.ndarray
    story_similarity: np.ndarray
    same_story: np.ndarray

    def __len__(self) -> int:
        return int(self.i.size)


@dataclass(frozen=True)
class PairScores:
    """Every similarity of one pair, and the verdict with its reason.

    ``same_cluster`` is filled in by :meth:`StoryClusterer.explain`: whether
    clustering put the two articles in one story (None when not clustered).
    """

    id_a: str
    id_b: str
    cosine_similarity: float
    jaccard_similarity: float
    containment_similarity: float
    date_distance_days: float | None
    story_similarity: float
    same_story: bool
    reason: str
    same_cluster: bool | None = None

    @classmethod
    def from_features(
        cls,
        id_a: str,
        id_b: str,
        rule: DecisionRule,
        *,
        cosine: float,
        jaccard: float,
        containment: float,
        date_distance_days: float,
        smaller_shingles: int,
    ) -> PairScores:
        """Apply ``rule`` to one pair's features and explain the verdict."""
        story = float(
            rule.story_similarity(
                cosine, jaccard, containment, date_distance_days, smaller_shingles
            )
        )
        known = not math.isnan(date_distance_days)
        if known and date_distance_days > rule.window_days:
            reason = (
                f"different stories: published {date_distance_days:g} days apart, "
                f"more than the {rule.window_days:g}-day window"
            )
        elif bool(rule.is_copy(jaccard, containment, smaller_shingles)):
            if jaccard >= rule.copy_threshold:
                reason = f"copy: shingle Jaccard {jaccard:.2f} >= {rule.copy_threshold:g}"
            else:
                reason = (
                    f"abridged copy: containment {containment:.2f} >= "
                    f"{rule.containment_threshold:g}"
                )
        elif cosine >= rule.rewrite_threshold:
            reason = f"rewrite: TF-IDF cosine {cosine:.2f} >= {rule.rewrite_threshold:g}"
        else:
            reason = (
                f"different stories: TF-IDF cosine {cosine:.2f} < {rule.rewrite_threshold:g} "
                f"and shingle Jaccard {jaccard:.2f} < {rule.copy_threshold:g}"
            )
        return cls(
            id_a=id_a,
            id_b=id_b,
            cosine_similarity=float(cosine),
            jaccard_similarity=float(jaccard),
            containment_similarity=float(containment),
            date_distance_days=float(date_distance_days) if known else None,
            story_similarity=story,
            same_story=story >= rule.rewrite_threshold,
            reason=reason,
        )
