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

:class:`ModelRule` replaces step 3 with a learned model
(:class:`~dedupe_news.pair_model.PairModel`): ``story_similarity`` is then the
model's same-story probability, steps 1 and 2 staying as they are (except that a
copy whose leads name different tickers is left to the model), and a pair is the
same story when the probability reaches the model's threshold (0.5).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import ParameterError
from .pair_evidence import PairEvidence
from .pair_features import PairFeatures
from .pair_model import PairModel
from .settings import Settings

__all__ = ["DecisionRule", "ModelRule", "PairScores", "PairTable"]


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
class ModelRule:
    """The learned decision: the model's same-story probability, with the date
    window and the copy rule of ``rule`` on top (see the module docstring).

    ``threshold`` is the probability at or above which a pair is the same story,
    and the least mean probability between two groups that linkage merges;
    ``clearly_different`` is the probability below which a pair vetoes a merge.
    Both default to the values the model file was trained with.
    """

    model: PairModel
    rule: DecisionRule
    threshold: float
    clearly_different: float

    def __post_init__(self) -> None:
        for name in ("threshold", "clearly_different"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ParameterError(f"{name} must be a probability in [0, 1], got {value!r}")

    @classmethod
    def of(cls, model: PairModel, rule: DecisionRule, threshold: float | None = None) -> ModelRule:
        """The rule with the model's own threshold, or ``threshold`` when given."""
        return cls(
            model,
            rule,
            model.threshold if threshold is None else float(threshold),
            model.clearly_different,
        )

    def story_similarity(self, core: PairFeatures, features: dict) -> np.ndarray:
        """Per pair: 0 outside the window, 1 for a copy, else the model's probability.

        ``core`` holds the pairs' :class:`PairFeatures`, ``features`` every
        feature the model reads (by name).
        """
        probability = self.model.predict_similarity(features)
        score = np.where(self.copies(core, features), 1.0, probability)
        return np.where(self.rule.in_window(core.date_distance_days), score, 0.0)

    def copies(self, core: PairFeatures, features: dict) -> np.ndarray:
        """The pairs the copy rule scores 1: shingle copies, unless their leads name
        different tickers. A templated brief ("Qtly div six cts vs six cts prior")
        under another company's title is that company's news, so the model decides
        such a pair, and its ``ticker_conflict`` counts against it."""
        copy = self.rule.is_copy(
            core.jaccard_similarity, core.containment_similarity, core.smaller_shingles
        )
        conflict = features.get("ticker_conflict")
        return copy if conflict is None else copy & ~(np.asarray(conflict) > 0)

    def same_story(self, story_similarity: np.ndarray) -> np.ndarray:
        return np.asarray(story_similarity) >= self.threshold

    def reason(self, core: PairFeatures, features: dict, k: int = 0) -> str:
        """Why pair ``k`` got its verdict: the hard rule that decided it, or the
        probability and the features that moved it most either way (see
        :meth:`~dedupe_news.pair_model.PairModel.feature_effects`)."""
        one = core.take(np.array([k]))
        distance = float(one.date_distance_days[0])
        if not math.isnan(distance) and distance > self.rule.window_days:
            return self.rule.reason(one)
        pair = {name: np.asarray(values)[k : k + 1] for name, values in features.items()}
        if bool(self.copies(one, pair)[0]):
            return self.rule.reason(one)
        single = {name: pair[name] for name in self.model.features}
        probability = float(self.model.predict_similarity(single)[0])
        verdict = "same story" if probability >= self.threshold else "different stories"
        sign = ">=" if probability >= self.threshold else "<"
        effects = self.model.feature_effects(single)
        strongest = sorted(effects, key=lambda name: -abs(effects[name]))[:3]
        pushes = ", ".join(f"{name} {effects[name]:+.1f}" for name in strongest)
        return (
            f"{verdict}: model probability {probability:.2f} {sign} {self.threshold:g} "
            f"(strongest evidence, in log-odds: {pushes})"
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
    ``model_features`` holds every feature a learned model read (None under the
    fixed rule). ``evidence`` says what the two texts share (entities, quotes, terms,
    a copied passage), filled in by :meth:`StoryClusterer.explain` when the fitted
    articles still hold their texts.
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
    model_features: dict[str, float] | None = None
    evidence: PairEvidence | None = None

    @classmethod
    def from_features(
        cls, id_a: str, id_b: str, rule: DecisionRule, features: PairFeatures, k: int = 0
    ) -> PairScores:
        """Apply ``rule`` to pair ``k`` of ``features`` and explain the verdict."""
        one = features.take(np.array([k]))
        story = float(rule.story_similarity(one)[0])
        return cls(
            **_similarities(id_a, id_b, one),
            story_similarity=story,
            same_story=bool(rule.same_story(story)),
            reason=rule.reason(one),
        )

    @classmethod
    def from_model(
        cls,
        id_a: str,
        id_b: str,
        decision: ModelRule,
        core: PairFeatures,
        features: dict,
        story_similarity: float,
    ) -> PairScores:
        """Pair 0 of ``core``/``features`` under a learned model, explained."""
        return cls(
            **_similarities(id_a, id_b, core),
            story_similarity=story_similarity,
            same_story=bool(decision.same_story(story_similarity)),
            reason=decision.reason(core, features),
            model_features={name: float(np.asarray(v)[0]) for name, v in features.items()},
        )


def _similarities(id_a: str, id_b: str, one: PairFeatures) -> dict:
    """The ids and the similarities of pair 0 of ``one``, as PairScores fields."""
    distance = float(one.date_distance_days[0])
    return {
        "id_a": id_a,
        "id_b": id_b,
        "cosine_similarity": float(one.cosine_similarity[0]),
        "jaccard_similarity": float(one.jaccard_similarity[0]),
        "containment_similarity": float(one.containment_similarity[0]),
        "date_distance_days": None if math.isnan(distance) else distance,
    }
