"""What the Python workers need to know of the settings, shipped with each task."""

from __future__ import annotations

from dataclasses import dataclass

from ..clustering import CLEARLY_DIFFERENT, VETO_DISTANCE
from ..decision import DecisionRule, ModelRule
from ..neighbor_probe import PROBE_FLOOR_FACTOR
from ..settings import Settings

__all__ = ["Plan"]


@dataclass(frozen=True)
class Plan:
    """The settings of one job, once the vocabulary is known.

    ``n_terms`` is the number of terms in use (the width of the TF-IDF rows);
    ``search_floor`` the similarity the rewrite search keeps, lowered as the local
    search lowers it when common terms are left out of the probe.

    With a learned model (``decision``), the search keeps the model's floor and
    neighbour count, and searches the leads too (``n_lead_terms`` wide, at
    ``lead_floor``); ``n_positions`` is the number of input rows (the width of the
    candidate graph's rows).
    """

    settings: Settings
    rule: DecisionRule
    n_terms: int
    search_floor: float
    decision: ModelRule | None = None
    n_lead_terms: int = 0
    lead_floor: float = 0.0
    n_positions: int = 0

    @classmethod
    def of(
        cls,
        settings: Settings,
        n_terms: int,
        has_common_terms: bool,
        decision: ModelRule | None = None,
        *,
        n_lead_terms: int = 0,
        has_common_lead_terms: bool = False,
        n_positions: int = 0,
    ) -> Plan:
        """The plan of ``settings`` for a vocabulary of ``n_terms`` terms."""
        rule = DecisionRule.from_settings(settings)
        if decision is None:
            floor = settings.rewrite_threshold * (PROBE_FLOOR_FACTOR if has_common_terms else 1.0)
            return cls(settings, rule, n_terms, floor)
        least = decision.model.candidate_similarity
        return cls(
            settings,
            rule,
            n_terms,
            least * (PROBE_FLOOR_FACTOR if has_common_terms else 1.0),
            decision,
            n_lead_terms,
            least * (PROBE_FLOOR_FACTOR if has_common_lead_terms else 1.0),
            n_positions,
        )

    @property
    def window_days(self) -> float:
        return self.settings.window_days

    def neighbor_counts(self, table):
        """Neighbours each row of a features ``table`` keeps in the rewrite search:
        the rule's ``max_neighbors``, or the model's count for each article's length
        (:meth:`~dedupe_news.pair_model.PairModel.neighbor_counts` of the table's
        ``log_tokens``)."""
        if self.decision is None:
            return self.settings.max_neighbors
        return self.decision.model.neighbor_counts(table.column("log_tokens").to_numpy())

    @property
    def threshold(self) -> float:
        """The ``story_similarity`` at or above which a pair is the same story."""
        return self.settings.rewrite_threshold if self.decision is None else self.decision.threshold

    @property
    def linkage_method(self) -> str:
        """The linkage inside components: the setting's, or the model's own (its file
        names it, as :meth:`~dedupe_news.scoring.ModelScorer.linkage_method` says)."""
        if self.decision is None:
            return self.settings.linkage
        return self.decision.model.linkage_method

    @property
    def veto_distance(self) -> float:
        """The linkage distance of a clearly different pair."""
        return VETO_DISTANCE if self.decision is None else self.decision.model.veto_distance

    @property
    def clearly_different(self) -> float:
        """The ``story_similarity`` below which a pair vetoes a merge in linkage."""
        return CLEARLY_DIFFERENT if self.decision is None else self.decision.clearly_different
