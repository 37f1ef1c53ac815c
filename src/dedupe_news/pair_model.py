"""A learned same-story model, stored as plain JSON numbers (never a pickle).

The model is a logistic regression over *terms*. Each term is the product of one
or more pair features, each passed through a named transform first, so the file
can say "body cosine times log length" without code::

    probability = 1 / (1 + exp(-(intercept + sum_k coefficient_k * term_k)))
    term_k      = prod over (feature, transform) in term k of transform(feature)

The JSON file holds ``format`` (:data:`MODEL_FORMAT`), the ``features`` it reads
(each must be one of :data:`PAIR_FEATURES`), the ``terms``, ``coefficients`` and
``intercept`` on the raw (unstandardised) terms, and ``metadata``: the training
data's hash, the command that trained it and the scores it reached.

:func:`~dedupe_news.pair_model_fit.fit` trains one with scikit-learn, so a
user's labelled pairs can give their own model.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import InputError, ParameterError
from .settings import LINKAGES

__all__ = [
    "MODEL_FORMAT",
    "PAIR_FEATURES",
    "TRANSFORMS",
    "ModelFileError",
    "PairModel",
    "default_model",
    "neighbor_counts",
    "resolve_model",
]

MODEL_FORMAT = "dedupe-news-pair-model/1"

PAIR_FEATURES: dict[str, str] = {
    "body_cosine": "TF-IDF cosine of the content terms of title and text, in [0, 1]",
    "lead_cosine": "TF-IDF cosine of the leads (title, else first 50 words), in [0, 1]",
    "entity_cosine": "IDF-weighted cosine of the entity sets, in [0, 1]",
    "entity_overlap": "IDF weight of shared entities over the smaller side's, in [0, 1]",
    "entity_conflict": "1 when both name entities and share none, else 0",
    "ticker_conflict": "1 when both leads (title, else first 50 words) name tickers and share none",
    "quote_overlap": "shared quote keys over the smaller side's count, in [0, 1]",
    "jaccard": "MinHash estimate of the word-shingle Jaccard, in [0, 1]",
    "containment": "estimated share of the shorter text's shingles in the longer, in [0, 1]",
    "log_tokens_min": "ln(1 + tokens) of the shorter text, >= 0",
    "log_tokens_max": "ln(1 + tokens) of the longer text, >= 0",
    "log_length_ratio": "log_tokens_max - log_tokens_min: how many times longer, in logs, >= 0",
    "date_distance_days": "absolute date difference in days, 0 when unknown, >= 0",
    "neighbour_cosine": "cosine of the two rows of the candidate graph, in [0, 1]",
}
"""Every pair feature a model may read, with its meaning and range."""

TRANSFORMS = {
    "identity": lambda x: x,
    "sqrt": lambda x: np.sqrt(np.maximum(x, 0.0)),
    "log1p": lambda x: np.log1p(np.maximum(x, 0.0)),
}
"""Transforms a term may apply to a feature before multiplying; each maps 0 to 0
(:meth:`PairModel.feature_effects` relies on it)."""

Term = tuple[tuple[str, str], ...]

DEFAULT_THRESHOLD = 0.5
DEFAULT_CLEARLY_DIFFERENT = 0.1
DEFAULT_CANDIDATE_SIMILARITY = 0.05
DEFAULT_MAX_NEIGHBORS = 100
DEFAULT_LINKAGE = "weighted"
DEFAULT_VETO_DISTANCE = 4.0
DEFAULT_VETO_MIN_TOKENS = 0
"""How a model is used when its file does not say (``metadata``: ``threshold``,
``clearly_different``, ``candidates.floor``, ``candidates.max_neighbors``,
``candidates.long_text``, ``linkage``: ``method``, ``veto_distance``,
``veto_min_tokens``)."""


class ModelFileError(InputError):
    """A model file that cannot be used: the message says what is wrong and the fix."""


def neighbor_counts(log_tokens: np.ndarray, candidates: Mapping) -> int | np.ndarray:
    """Neighbours each article keeps in a model's candidate search.

    ``log_tokens`` is ``ln(1 + tokens)`` of each text; ``candidates`` is a model
    file's ``candidates`` entry. Every article keeps ``max_neighbors``, unless
    ``long_text`` says ``{"min_tokens": T, "max_neighbors": K}``: then texts of at
    least ``T`` tokens keep ``K`` (an array, one count per article). Short texts
    need the long lists: a headline story of 70 articles has 69 same-story neighbours.

    >>> neighbor_counts(np.log1p([10, 64]), {"max_neighbors": 100}) == 100
    True
    >>> long_text = {"min_tokens": 64, "max_neighbors": 30}
    >>> neighbor_counts(np.log1p([10, 64]), {"max_neighbors": 100, "long_text": long_text})
    array([100,  30])
    """
    long_text = candidates.get("long_text")
    if long_text is None:
        return int(candidates["max_neighbors"])
    min_tokens = long_neighbors = None
    if isinstance(long_text, Mapping):
        min_tokens, long_neighbors = long_text.get("min_tokens"), long_text.get("max_neighbors")
    if not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 1
        for v in (min_tokens, long_neighbors)
    ):
        raise ModelFileError(
            f"the model's candidates.long_text is {long_text!r}: use "
            '{"min_tokens": whole number >= 1, "max_neighbors": whole number >= 1}'
        )
    is_long = np.asarray(log_tokens) >= np.log1p(min_tokens)
    return np.where(is_long, long_neighbors, int(candidates["max_neighbors"])).astype(np.int64)


@dataclass(frozen=True)
class PairModel:
    """Logistic regression over products of transformed pair features.

    Build one with :func:`~dedupe_news.pair_model_fit.fit`, :meth:`load` or
    :func:`default_model`.
    """

    terms: tuple[Term, ...]
    coefficients: np.ndarray
    intercept: float
    metadata: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "coefficients", np.asarray(self.coefficients, dtype=np.float64))
        _check_terms(self.terms, None)
        if self.coefficients.shape != (len(self.terms),):
            raise ModelFileError(
                f"the model has {len(self.terms)} terms but {self.coefficients.size} "
                "coefficients: give one coefficient per term"
            )
        if not all(map(math.isfinite, [self.intercept, *self.coefficients.tolist()])):
            raise ModelFileError("the model has a coefficient that is not a finite number")
        # How its probabilities are linked and its candidates searched: checked now,
        # so a bad file fails on load.
        self.linkage_method, self.veto_distance, self.veto_min_tokens  # noqa: B018
        self.neighbor_counts(np.zeros(0))

    @property
    def features(self) -> tuple[str, ...]:
        """The pair features this model reads, sorted."""
        return tuple(sorted({name for term in self.terms for name, _ in term}))

    def design_matrix(self, features: Mapping[str, np.ndarray]) -> np.ndarray:
        """The ``(n_pairs, n_terms)`` term matrix of the given features."""
        missing = [name for name in self.features if name not in features]
        if missing:
            raise KeyError(
                f"pair features missing for the model: {', '.join(missing)} "
                f"(it reads {', '.join(self.features)})"
            )
        columns = {
            name: np.asarray(features[name], dtype=np.float64).ravel() for name in self.features
        }
        sizes = {column.size for column in columns.values()}
        if len(sizes) > 1:
            raise ValueError(f"pair feature arrays differ in length: {sorted(sizes)}")
        n = sizes.pop() if sizes else 0
        matrix = np.ones((n, len(self.terms)), dtype=np.float64)
        for k, term in enumerate(self.terms):
            for name, transform in term:
                matrix[:, k] *= TRANSFORMS[transform](columns[name])
        return matrix

    def decision_function(self, features: Mapping[str, np.ndarray]) -> np.ndarray:
        """The log-odds of same story, one per pair."""
        return self.design_matrix(features) @ self.coefficients + self.intercept

    def predict_similarity(self, features: Mapping[str, np.ndarray]) -> np.ndarray:
        """Calibrated same-story probability in [0, 1], one per pair."""
        z = self.decision_function(features)
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # the logistic function, overflow-free

    def feature_effects(self, features: Mapping[str, np.ndarray]) -> dict[str, float]:
        """How much each feature moves the log-odds of one pair: the log-odds with
        the feature as it is, minus the log-odds with it set to 0 (others kept).

        >>> model = PairModel(((("jaccard", "identity"),),), np.array([2.0]), -1.0)
        >>> model.feature_effects({"jaccard": np.array([0.5])})
        {'jaccard': 1.0}
        """
        # Every transform maps 0 to 0, so zeroing a feature zeroes exactly the terms
        # that read it: its effect is those terms' share of the log-odds.
        contributions = self.design_matrix(features)[0] * self.coefficients
        effects = dict.fromkeys(self.features, 0.0)
        for contribution, term in zip(contributions, self.terms, strict=True):
            for name in {name for name, _ in term}:
                effects[name] += float(contribution)
        return effects

    # -- how the model was trained to be used ---------------------------------------

    @property
    def threshold(self) -> float:
        """The same-story probability threshold the model was evaluated at."""
        return float(self.metadata.get("threshold", DEFAULT_THRESHOLD))

    @property
    def clearly_different(self) -> float:
        """The probability below which a pair vetoes a linkage merge."""
        return float(self.metadata.get("clearly_different", DEFAULT_CLEARLY_DIFFERENT))

    @property
    def linkage_method(self) -> str:
        """How stories are grouped inside connected components (``"weighted"``,
        ``"average"`` or ``"single"``, as the ``linkage`` setting)."""
        method = str(self._linkage.get("method", DEFAULT_LINKAGE))
        if method not in LINKAGES:
            raise ModelFileError(
                f"the model's linkage method is {method!r}: use one of {', '.join(LINKAGES)}"
            )
        return method

    @property
    def veto_distance(self) -> float:
        """The linkage distance of a clearly different pair (instead of ``1 - p``)."""
        distance = float(self._linkage.get("veto_distance", DEFAULT_VETO_DISTANCE))
        if not (math.isfinite(distance) and distance >= 1.0):
            raise ModelFileError(
                f"the model's linkage veto_distance is {distance!r}: use a number of at least 1"
            )
        return distance

    @property
    def veto_min_tokens(self) -> int:
        """A pair vetoes a merge only when both texts have at least this many tokens:
        a low probability between short texts (headlines) is no evidence against."""
        tokens = self._linkage.get("veto_min_tokens", DEFAULT_VETO_MIN_TOKENS)
        if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0:
            raise ModelFileError(
                f"the model's linkage veto_min_tokens is {tokens!r}: use a whole number >= 0"
            )
        return tokens

    @property
    def _linkage(self) -> dict:
        linkage = self.metadata.get("linkage")
        if linkage is None:
            return {}
        if not isinstance(linkage, dict):
            raise ModelFileError("the model's metadata 'linkage' must be an object")
        return linkage

    @property
    def candidate_similarity(self) -> float:
        """The TF-IDF cosine floor of the neighbour search the model was trained on."""
        candidates = self.metadata.get("candidates") or {}
        return float(candidates.get("floor", DEFAULT_CANDIDATE_SIMILARITY))

    @property
    def max_neighbors(self) -> int:
        """Neighbours per article in the search the model was trained on (per short
        text, when ``candidates.long_text`` gives long texts fewer: see
        :meth:`neighbor_counts`)."""
        candidates = self.metadata.get("candidates") or {}
        return int(candidates.get("max_neighbors", DEFAULT_MAX_NEIGHBORS))

    def neighbor_counts(self, log_tokens: np.ndarray) -> int | np.ndarray:
        """Neighbours each article keeps in the search the model was trained on:
        :func:`neighbor_counts` of the file's ``candidates``."""
        candidates = {"max_neighbors": self.max_neighbors}
        candidates.update(self.metadata.get("candidates") or {})
        return neighbor_counts(log_tokens, candidates)

    # -- JSON ----------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {
            "format": MODEL_FORMAT,
            "kind": "logistic_regression",
            "features": list(self.features),
            "terms": [[[name, transform] for name, transform in term] for term in self.terms],
            "coefficients": [float(c) for c in self.coefficients],
            "intercept": float(self.intercept),
            "metadata": self.metadata,
        }

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def from_dict(cls, data: dict, source: str = "model") -> PairModel:
        if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise ModelFileError(
                f"not a dedupe-news pair model (format {found!r}, expected {MODEL_FORMAT!r}): "
                "train one with benchmarks/train_model.py or dedupe-news calibrate",
                path=source,
            )
        for key in ("features", "terms", "coefficients", "intercept"):
            if key not in data:
                raise ModelFileError(f"the model has no {key!r} entry", path=source)
        try:
            terms = tuple(tuple((str(n), str(t)) for n, t in term) for term in data["terms"])
        except (TypeError, ValueError):
            raise ModelFileError(
                "each term must be a list of [feature, transform] pairs", path=source
            ) from None
        _check_terms(terms, source)
        declared = sorted(data["features"])
        used = sorted({name for term in terms for name, _ in term})
        if declared != used:
            raise ModelFileError(
                f"the model declares features {declared} but its terms use {used}: "
                "list exactly the features the terms read",
                path=source,
            )
        try:
            return cls(
                terms=terms,
                coefficients=np.asarray(data["coefficients"], dtype=np.float64),
                intercept=float(data["intercept"]),
                metadata=dict(data.get("metadata") or {}),
            )
        except ModelFileError as error:
            raise ModelFileError(str(error), path=source) from None

    @classmethod
    def load(cls, path: str | Path) -> PairModel:
        """Read a model file; a malformed or unknown one is a :class:`ModelFileError`."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise ModelFileError(
                f"cannot read the model: {error.strerror}", path=str(path)
            ) from None
        except json.JSONDecodeError as error:
            raise ModelFileError(
                f"not valid JSON ({error.msg}): give a model written by dedupe-news",
                path=str(path),
                line=error.lineno,
            ) from None
        return cls.from_dict(data, source=str(path))


def _check_terms(terms: Sequence[Term], source: str | None) -> None:
    if not terms:
        raise ModelFileError("the model has no terms", path=source)
    for term in terms:
        if not term:
            raise ModelFileError("the model has an empty term", path=source)
        for name, transform in term:
            if name not in PAIR_FEATURES:
                raise ModelFileError(
                    f"unknown pair feature {name!r}: use one of {', '.join(PAIR_FEATURES)}",
                    path=source,
                )
            if transform not in TRANSFORMS:
                raise ModelFileError(
                    f"unknown transform {transform!r} of {name!r}: "
                    f"use one of {', '.join(TRANSFORMS)}",
                    path=source,
                )


def default_model() -> PairModel:
    """The model shipped with the package (``models/default_model.json``)."""
    source = resources.files("dedupe_news").joinpath("models/default_model.json")
    return PairModel.from_dict(json.loads(source.read_text(encoding="utf-8")), str(source))


def resolve_model(spec) -> PairModel | None:
    """The model ``spec`` names: None (the fixed rule), ``"default"`` (:func:`default_model`),
    a model file's path, or a :class:`PairModel` (returned as is). A bad file raises
    :class:`ModelFileError`.

    >>> resolve_model(None) is None, resolve_model("default").terms == default_model().terms
    (True, True)
    """
    if spec is None or isinstance(spec, PairModel):
        return spec
    if isinstance(spec, str) and spec == "default":
        return default_model()
    if isinstance(spec, (str, Path)):
        return PairModel.load(spec)
    raise ParameterError(
        f'model must be None, "default", a model file\'s path or a PairModel, '
        f"got {type(spec).__name__}"
    )
