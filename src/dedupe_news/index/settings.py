"""The settings of an index: defaults, validation, and their JSON form in the file."""

from __future__ import annotations

import json
import math
from types import MappingProxyType

import numpy as np

from ..errors import ParameterError
from ..minhash import lsh_params
from ..scoring import DecisionRule

# Settings that change what is stored or how it is scored: fixed when the file is made.
FIXED_DEFAULTS = MappingProxyType(
    {
        "window_days": 5.0,
        "rewrite_threshold": 0.15,
        "copy_threshold": 0.5,
        "containment_threshold": 0.8,
        "num_perm": 128,
        "shingle_size": 5,
        "seed": 1,
    }
)
# Candidate search limits: stored as defaults, may be changed when opening.
SEARCH_DEFAULTS = MappingProxyType(
    {
        "top_terms": 20,
        "per_term_limit": 200,
        "max_story_members": 1000,
        "max_neighbors": 30,
        "max_component": 2000,
        "max_recluster": 300,
        "query_candidates": 64,
    }
)
FLOAT_SETTINGS = ("window_days", "rewrite_threshold", "copy_threshold", "containment_threshold")


def check_names(given: dict) -> None:
    """Refuse setting names an index does not have."""
    unknown = set(given) - set(FIXED_DEFAULTS) - set(SEARCH_DEFAULTS)
    if unknown:
        raise ParameterError(f"unknown StoryIndex setting(s): {', '.join(sorted(unknown))}")


def checked_settings(given: dict) -> dict:
    """Every setting: the defaults, updated with ``given`` (None means the default),
    validated, integers as ``int`` and the rest as ``float`` (``window_days`` may be inf)."""
    check_names(given)
    settings = {**FIXED_DEFAULTS, **SEARCH_DEFAULTS}
    settings.update({k: v for k, v in given.items() if v is not None})
    for name in ("num_perm", "shingle_size", "seed", *SEARCH_DEFAULTS):
        value = settings[name]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ParameterError(f"{name} must be an integer, got {value!r}")
        settings[name] = int(value)
        if name != "seed" and settings[name] < 1:
            raise ParameterError(f"{name} must be at least 1, got {value!r}")
    for name in FLOAT_SETTINGS:
        value = settings[name]
        try:
            settings[name] = float(value)
        except (TypeError, ValueError):
            raise ParameterError(f"{name} must be a number, got {value!r}") from None
    decision_rule(settings)  # validates the thresholds and the window
    lsh_params(settings["copy_threshold"], settings["num_perm"])  # validates (0, 1)
    return settings


def decision_rule(settings: dict) -> DecisionRule:
    """The same-story decision these settings make."""
    return DecisionRule(
        window_days=settings["window_days"],
        rewrite_threshold=settings["rewrite_threshold"],
        copy_threshold=settings["copy_threshold"],
        containment_threshold=settings["containment_threshold"],
    )


def json_safe(settings: dict) -> dict:
    """``settings`` with infinite and NaN numbers as the strings "inf", "-inf", "nan"
    (JSON has no such numbers); :func:`settings_from_json` reads them back."""
    return {
        name: (str(value) if isinstance(value, float) and not math.isfinite(value) else value)
        for name, value in settings.items()
    }


def settings_to_json(settings: dict) -> str:
    """The JSON text stored in the file's meta table."""
    return json.dumps(json_safe(settings), sort_keys=True, allow_nan=False)


def settings_from_json(text: str) -> dict:
    """Settings stored by :func:`settings_to_json` (numbers as "inf" become floats again)."""
    stored = json.loads(text)
    for name in FLOAT_SETTINGS:
        if name in stored:
            stored[name] = float(stored[name])
    return stored


def fixed_differences(stored: dict, wanted: dict, given: dict) -> list[str]:
    """The fixed settings given with a value other than the stored one, described."""
    return [
        f"{name}={stored[name]!r} (asked {wanted[name]!r})"
        for name in FIXED_DEFAULTS
        if given.get(name) is not None and not _same(wanted[name], stored[name])
    ]


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b
