"""Settings: one place for every parameter, its validation, and how it is stored."""

from __future__ import annotations

import math

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.base import clone

from dedupe_news import ParameterError, Settings, StoryClusterer
from dedupe_news.cli import main


def test_settings_defaults_are_the_estimators_defaults():
    params = StoryClusterer().get_params()
    for name in Settings.names():
        if name in params:
            assert params[name] == getattr(Settings(), name), name
    assert StoryClusterer().settings == Settings()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rewrite_threshold": 0.0}, r"rewrite_threshold must be in \(0.0, 1.0\], got 0.0"),
        ({"window_days": -1}, "window_days must be in .*use math.inf to ignore dates"),
        ({"num_perm": 1.5}, "num_perm must be an integer, got 1.5"),
        ({"num_perm": 100_000}, r"num_perm must be in \[2, 4096\], got 100000"),
        ({"seed": True}, "seed must be an integer, got True"),
        ({"linkage": "ward"}, "linkage must be one of 'weighted', 'average', 'single'"),
        ({"copy_threshold": float("nan")}, "copy_threshold must be a number, got NaN"),
        ({"bogus": 1}, "unknown setting"),
    ],
)
def test_settings_reject_bad_values_with_the_allowed_range(changes, message):
    with pytest.raises(ParameterError, match=message):
        Settings().replace(**changes)


def test_settings_round_trip_through_json_including_infinity():
    settings = Settings(window_days=math.inf, num_perm=np.int64(64), copy_threshold=1)
    stored = settings.to_json()
    assert stored["window_days"] == "inf" and type(stored["num_perm"]) is int
    assert Settings.from_json(stored) == settings
    assert Settings.from_json({"window_days": 3}) == Settings(window_days=3.0)


def test_story_clusterer_supports_get_params_set_params_and_clone():
    clusterer = StoryClusterer(window_days=3.0, linkage="average")
    copy = clone(clusterer)
    assert copy.get_params() == clusterer.get_params()
    copy.set_params(rewrite_threshold=0.3)
    assert copy.settings.rewrite_threshold == 0.3
    assert clusterer.settings.rewrite_threshold == 0.15
    with pytest.raises(ParameterError, match="rewrite_threshold"):
        StoryClusterer(rewrite_threshold=2.0).fit([])


def test_cli_options_come_from_the_settings():
    result = CliRunner().invoke(main, ["cluster", "--help"])
    assert result.exit_code == 0
    for flag, name, _ in Settings.cli_options():
        assert flag in result.output
        assert f"[default: {getattr(Settings(), name)}" in result.output.replace("\n", " ") or (
            name == "linkage"
        )
    result = CliRunner().invoke(main, ["cluster", "--threshold", "0", "-"])
    assert result.exit_code == 2 and "0.0<x<=1.0" in result.output
