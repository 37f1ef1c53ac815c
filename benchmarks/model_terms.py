"""Term sets of the pair model (products of transformed pair features), by name.

``python -m benchmarks.train_model --terms NAME`` trains one of these; the
shipped model's terms are :data:`DEFAULT_TERMS`.
"""

from __future__ import annotations

F = "identity"

BASE_TERMS = (
    (("body_cosine", "sqrt"),),
    (("lead_cosine", "sqrt"),),
    (("entity_cosine", "sqrt"),),
    (("entity_overlap", F),),
    (("entity_conflict", F),),
    (("quote_overlap", F),),
    (("jaccard", F),),
    (("containment", F),),
    (("log_tokens_min", F),),
    (("log_tokens_max", F),),
    (("body_cosine", "sqrt"), ("log_tokens_min", F)),
    (("lead_cosine", "sqrt"), ("log_tokens_min", F)),
    (("entity_cosine", "sqrt"), ("log_tokens_min", F)),
    (("body_cosine", "sqrt"), ("entity_cosine", "sqrt")),
    (("neighbour_cosine", F),),
    (("neighbour_cosine", F), ("log_tokens_min", F)),
    (("neighbour_cosine", F), ("entity_conflict", F)),
    (("body_cosine", "sqrt"), ("entity_conflict", F)),
    (("ticker_conflict", F),),
)
"""The session-3 model (19 terms)."""

DATE_TERMS = ((("date_distance_days", "log1p"),),)
"""Days apart, for windows longer than a few days."""

DATE_GAP_TERMS = ((("date_distance_days", F), ("log_length_ratio", F)),)
"""Days apart times how many times longer one text is (in logs): a brief and a long
article days apart (a live blog's later headline) are rarely one report's rewrites."""

LEAN_TERMS = tuple(
    term
    for term in BASE_TERMS
    if len(term) == 1 or term == (("body_cosine", "sqrt"), ("log_tokens_min", F))
)
"""Main effects and one length interaction only."""

TERM_SETS: dict[str, tuple] = {
    "lean": LEAN_TERMS,
    "base": BASE_TERMS,
    "base+date": BASE_TERMS + DATE_TERMS,
    "base+date_gap": BASE_TERMS + DATE_GAP_TERMS,
    "no_neighbour": tuple(t for t in BASE_TERMS if "neighbour_cosine" not in dict(t)),
}

DEFAULT_TERMS = "base+date_gap"
