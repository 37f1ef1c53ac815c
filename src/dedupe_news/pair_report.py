"""One pair's scores as text for people, or as JSON for programs (``compare``).

The JSON object holds every field of :class:`~dedupe_news.decision.PairScores`:
``story_similarity`` is the same-story score in [0, 1] (the model's probability
with ``--model``, else the rule's), ``same_story`` the verdict, ``reason`` why,
``model_features`` what a model read (null under the rule), and ``evidence`` what
the two texts share (:class:`~dedupe_news.pair_evidence.PairEvidence`).
"""

from __future__ import annotations

import dataclasses
import json

from .decision import PairScores

__all__ = ["pair_json", "pair_record", "pair_text"]


def pair_record(scores: PairScores) -> dict:
    """The scores as plain JSON values (the evidence's term pairs become objects)."""
    record = dataclasses.asdict(scores)
    evidence = record.get("evidence")
    if evidence is not None:
        evidence["top_shared_terms"] = [
            {"term": term, "weight": weight} for term, weight in evidence["top_shared_terms"]
        ]
    return record


def pair_json(scores: PairScores) -> str:
    return json.dumps(pair_record(scores), ensure_ascii=False, indent=1)


def pair_text(scores: PairScores) -> str:
    """Scores, verdict and evidence, a line each."""
    date = "unknown" if scores.date_distance_days is None else f"{scores.date_distance_days:g}"
    verdict = "same story" if scores.same_story else "different stories"
    lines = [
        f"a: {scores.id_a}",
        f"b: {scores.id_b}",
        f"cosine_similarity       {scores.cosine_similarity:.3f}",
        f"jaccard_similarity      {scores.jaccard_similarity:.3f}",
        f"containment_similarity  {scores.containment_similarity:.3f}",
        f"date_distance_days      {date}",
    ]
    if scores.model_features:
        lines += [
            f"  {name:<22}{value:.3f}"
            for name, value in scores.model_features.items()
            if name not in ("body_cosine", "jaccard", "containment", "date_distance_days")
        ]
    lines += [
        f"story_similarity        {scores.story_similarity:.3f}",
        # A model's reason opens with its verdict: said once.
        f"verdict: {verdict} ({scores.reason.removeprefix(verdict + ': ')})",
    ]
    evidence = scores.evidence
    if evidence is not None:
        shown = [
            ("shared entities", evidence.shared_entities),
            ("only in a", evidence.only_a_entities),
            ("only in b", evidence.only_b_entities),
            ("shared quotes", [f'"{q}"' for q in evidence.shared_quotes]),
            ("top shared terms", [f"{t} {w:.3f}" for t, w in evidence.top_shared_terms]),
        ]
        lines += [f"{label}: {', '.join(values)}" for label, values in shown if values]
        if evidence.aligned_passage:
            lines.append(f'copied passage: "{evidence.aligned_passage}"')
    return "\n".join(lines)
