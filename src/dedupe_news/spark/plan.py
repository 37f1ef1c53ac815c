"""What the Python workers need to know of the settings, shipped with each task."""

from __future__ import annotations

from dataclasses import dataclass

from ..decision import DecisionRule
from ..neighbors import PROBE_FLOOR_FACTOR
from ..settings import Settings

__all__ = ["Plan"]


@dataclass(frozen=True)
class Plan:
    """The settings of one job, once the vocabulary is known.

    ``n_terms`` is the number of terms in use (the width of the TF-IDF rows);
    ``search_floor`` the similarity the rewrite search keeps, lowered as the local
    search lowers it when common terms are left out of the probe.
    """

    settings: Settings
    rule: DecisionRule
    n_terms: int
    search_floor: float

    @classmethod
    def of(cls, settings: Settings, n_terms: int, has_common_terms: bool) -> Plan:
        """The plan of ``settings`` for a vocabulary of ``n_terms`` terms."""
        floor = settings.rewrite_threshold * (PROBE_FLOOR_FACTOR if has_common_terms else 1.0)
        return cls(settings, DecisionRule.from_settings(settings), n_terms, floor)

    @property
    def window_days(self) -> float:
        return self.settings.window_days
