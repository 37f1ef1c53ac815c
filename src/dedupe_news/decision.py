"""The same-story decision: pair features to ``story_similarity`` and a verdict.

For a pair with features :class:`~dedupe_news.pair_features.PairFeatures`, in order:

1. Dates known and more than ``window_days`` apart: **not the same story**,
   whatever the text. A story lives for days.
2. ``jaccard_similarity >= copy_threshold`` or ``containment_similarity >=
   containment_threshold`` (the shorter article having at least
   ``min_containment_shingles`` shingles): a **copy** (wire reprint or abridgement).
3. ``cosine_similarity >= rewrite_threshold``: a **rewrite** of the same story.
4. Otherwise different stories.

The result is one number, ``story_similarity`` in [0, 1]: 0 outside the date
window, 1 for a copy, else the cosine. A pair is the same story exactly when
``story_similarity >= rewrite_threshold``; clustering averages this number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .pair_features import PairFeatures
from .settings import Settings

__all__ = ["DecisionRule", "PairScores", "PairTable"]


@dataclass(frozen=True)
class DecisionRule:
    """Thresholds of the same-story decision (see the module docstring).

    Build it from :class:`~dedupe_news.settings.Settings` with :meth:`from_settings`;
    the values are validated as settings are.

    Examples
    --------
    >>> rule = DecisionRule()
    >>> float(rule.story_similarity_of(cosine=0.9, jaccard=0.0, containment=0.0,
    ...                                date_distance_days=30.0))
    0.0
    """

    window_days: float = Settings.window_days
    rewrite_threshold: float = Settings.rewrite_threshold
    copy_threshold: float = Settings.copy_threshold
    containment_threshold: float = Settings.containment_threshold
    min_containment_shingles: int = Settings.min_containment_shingles

    def __post_init__(self) -> None:
        Settings(**{name: getattr(self, name) for name in self.__dataclass_fields__})

    @classmethod
    def from_settings(cls, settings: Settings) -> DecisionRule:
        return cls(**{name: getattr(settings, name) for name in cls.__dataclass_fields__})

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

    def story_similarity(self, features: PairFeatures) -> np.ndarray:
        """The combined score in [0, 1] per pair: 0 outside the window, 1 for a copy,
        else the cosine."""
        return self.story_similarity_of(
            cosine=features.cosine_similarity,
            jaccard=features.jaccard_similarity,
            containment=features.containment_similarity,
            date_distance_days=features.date_distance_days,
            smaller_shingles=features.smaller_shingles,
        )

    def story_similarity_of(
        self, *, cosine, jaccard, containment, date_distance_days, smaller_shingles=None
    ) -> np.ndarray:
        """:meth:`story_similarity` from the features given one by one."""
        if smaller_shingles is None:
            smaller_shingles = np.full(np.shape(cosine), self.min_containment_shingles)
        score = np.where(self.is_copy(jaccard, containment, smaller_shingles), 1.0, cosine)
        return np.where(self.in_window(date_distance_days), score, 0.0)

    def same_story(self, story_similarity: np.ndarray) -> np.ndarray:
        """The verdict per pair: ``story_similarity >= rewrite_threshold``."""
        return np.asarray(story_similarity) >= self.rewrite_threshold

    def reason(self, features: PairFeatures, k: int = 0) -> str:
        """Why pair ``k`` got its verdict, in words."""
        cosine = float(features.cosine_similarity[k])
        jaccard = float(features.jaccard_similarity[k])
        containment = float(features.containment_similarity[k])
        distance = float(features.date_distance_days[k])
        smaller = int(features.smaller_shingles[k])
        if not math.isnan(distance) and distance > self.window_days:
            return (
                f"different stories: published {distance:g} days apart, "
                f"more than the {self.window_days:g}-day window"
            )
        if bool(self.is_copy(jaccard, containment, smaller)):
            if jaccard >= self.copy_threshold:
                return f"copy: shingle Jaccard {jaccard:.2f} >= {self.copy_threshold:g}"
            return f"abridged copy: containment {containment:.2f} >= {self.containment_threshold:g}"
        if cosine >= self.rewrite_threshold:
            return f"rewrite: TF-IDF cosine {cosine:.2f} >= {self.rewrite_threshold:g}"
        return (
            f"different stories: TF-IDF cosine {cosine:.2f} < {self.rewrite_threshold:g} "
            f"and shingle Jaccard {jaccard:.2f} < {self.copy_threshold:g}"
        )


@dataclass(frozen=True)
class PairTable:
    """Scores of many article pairs, as parallel arrays (one entry per pair).

    ``i`` and ``j`` index the fitted articles; ``features`` holds every similarity
    (also readable directly: ``table.cosine_similarity``, ...).
    """

    i: np.ndarray
    j: np.ndarray
    features: PairFeatures
    story_similarity: np.ndarray
    same_story: np.ndarray

    @classmethod
    def decide(cls, rule: DecisionRule, i, j, features: PairFeatures) -> PairTable:
        """Apply ``rule`` to the features of pairs ``(i[k], j[k])``."""
        story = np.asarray(rule.story_similarity(features), dtype=np.float64)
        return cls(
            i=np.asarray(i, dtype=np.intp),
            j=np.asarray(j, dtype=np.intp),
            features=features,
            story_similarity=story,
            same_story=rule.same_story(story),
        )

    def __len__(self) -> int:
        return int(self.i.size)

    @property
    def cosine_similarity(self) -> np.ndarray:
        return self.features.cosine_similarity

    @property
    def jaccard_similarity(self) -> np.ndarray:
        return self.features.jaccard_similarity

    @property
    def containment_similarity(self) -> np.ndarray:
        return self.features.containment_similarity

    @property
    def date_distance_days(self) -> np.ndarray:
        return self.features.date_distance_days


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
        cls, id_a: str, id_b: str, rule: DecisionRule, features: PairFeatures, k: int = 0
    ) -> PairScores:
        """Apply ``rule`` to pair ``k`` of ``features`` and explain the verdict."""
        one = features.take(np.array([k]))
        story = float(rule.story_similarity(one)[0])
        distance = float(one.date_distance_days[0])
        return cls(
            id_a=id_a,
            id_b=id_b,
            cosine_similarity=float(one.cosine_similarity[0]),
            jaccard_similarity=float(one.jaccard_similarity[0]),
            containment_similarity=float(one.containment_similarity[0]),
            date_distance_days=None if math.isnan(distance) else distance,
            story_similarity=story,
            same_story=bool(rule.same_story(story)),
            reason=rule.reason(one),
        )
