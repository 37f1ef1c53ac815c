"""What the Python workers need to know of the settings, shipped with each task."""

from __future__ import annotations

from dataclasses import dataclass

from ..scoring import DecisionRule
from ..tfidf import _PROBE_FLOOR_FACTOR

__all__ = ["Plan"]


@dataclass(frozen=True)
class Plan:
    """The settings of one job, once the vocabulary is known.

    ``n_terms`` is the number of terms in use (the width of the TF-IDF rows);
    ``search_floor`` the similarity the rewrite search keeps, lowered as the local
    search lowers it when common terms are left out of the probe.
    """

    rule: DecisionRule
    num_perm: int
    max_neighbors: int
    n_terms: int
    search_floor: float

    @classmethod
    def of(cls, settings, n_terms: int, has_common_terms: bool) -> Plan:
        """The plan of a ``StoryClusterer``'s settings."""
        floor = settings.rewrite_threshold * (_PROBE_FLOOR_FACTOR if has_common_terms else 1.0)
        return cls(
            rule=settings.decision_rule,
            num_perm=settings.num_perm,
            max_neighbors=settings.max_neighbors,
            n_terms=n_terms,
            search_floor=floor,
        )

    @property
    def window_days(self) -> float:
        return self.rule.window_days
