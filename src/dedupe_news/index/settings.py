"""The settings of an index, derived from :class:`~dedupe_news.settings.Settings`: which
are fixed in the file, and their JSON form there."""

from __future__ import annotations

import json
import math

from ..decision import DecisionRule
from ..errors import ParameterError
from ..lsh import lsh_params
from ..settings import Settings

# Settings that change what is stored or how it is scored: fixed when the file is made.
FIXED_SETTINGS = Settings.names("decision", "signature")
# Candidate search and clustering limits: stored as defaults, may be changed when opening.
SEARCH_SETTINGS = Settings.names("search")


def check_names(given: dict) -> None:
    """Refuse setting names an index does not have."""
    unknown = set(given) - set(Settings.names())
    if unknown:
        raise ParameterError(f"unknown StoryIndex setting(s): {', '.join(sorted(unknown))}")


def checked_settings(given: dict) -> dict:
    """Every setting as a dict: the defaults of :class:`~dedupe_news.settings.Settings`
    updated with ``given`` (None means the default), validated there."""
    check_names(given)
    settings = Settings().replace(**{k: v for k, v in given.items() if v is not None})
    lsh_params(settings.copy_threshold, settings.num_perm)  # validates the LSH split
    return settings.to_dict()


def decision_rule(settings: dict) -> DecisionRule:
    """The same-story decision these settings make."""
    return DecisionRule.from_settings(Settings(**settings))


def json_safe(settings: dict) -> dict:
    """``settings`` with infinite and NaN numbers as the strings "inf", "-inf", "nan"
    (JSON has no such numbers); :func:`settings_from_json` reads them back."""
    return {
        name: (str(value) if isinstance(value, float) and not math.isfinite(value) else value)
        for name, value in settings.items()
    }


def settings_to_json(settings: dict) -> str:
    """The JSON text stored in the file's meta table."""
    return Settings(**settings).dumps()


def settings_from_json(text: str) -> dict:
    """Settings stored by :func:`settings_to_json` (numbers as "inf" become floats again)."""
    return Settings.from_json(json.loads(text)).to_dict()


def fixed_differences(stored: dict, wanted: dict, given: dict) -> list[str]:
    """The fixed settings given with a value other than the stored one, described."""
    return [
        f"{name}={stored[name]!r} (asked {wanted[name]!r})"
        for name in FIXED_SETTINGS
        if given.get(name) is not None and wanted[name] != stored[name]
    ]
