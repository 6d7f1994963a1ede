"""statistics in survey.yaml: alpha (tests) and confidence_level (intervals) in ranges that cannot be confused."""

from __future__ import annotations

import pytest
from helpers import copy_project, edit
from pydantic import ValidationError

from pipeline.config import Statistics, load_project
from pipeline.errors import ConfigError


def refused(**settings: object) -> str:
    """The validation message for ``Statistics(**settings)``, which must be refused."""
    with pytest.raises(ValidationError) as err:
        Statistics.model_validate(settings)
    return str(err.value)


def test_defaults_are_95_percent_intervals_and_alpha_005():
    """Without settings: 95 % intervals, changes tested at alpha 0.05."""
    stats = Statistics()
    assert (stats.confidence_level, stats.alpha) == (0.95, 0.05)


@pytest.mark.parametrize("alpha", [0.001, 0.05, 0.1, 0.2])
def test_alpha_in_range_is_taken(alpha):
    """0 < alpha ≤ 0.2 is taken as written."""
    assert Statistics(alpha=alpha).alpha == alpha


@pytest.mark.parametrize("alpha", [0, -0.05, 0.21, 0.5, 1.0])
def test_alpha_out_of_range_is_refused(alpha):
    """alpha of 0 or below, or above 0.2, is refused with the allowed range."""
    assert "0 < alpha ≤ 0.2 (usually 0.05)" in refused(alpha=alpha)


def test_alpha_written_as_a_confidence_level_says_what_was_meant():
    """alpha: 0.95 is a confidence level: the message proposes alpha: 0.05."""
    assert "0.95 looks like a confidence level: write alpha: 0.05" in refused(alpha=0.95)


@pytest.mark.parametrize("level", [0.8, 0.9, 0.95, 0.99])
def test_confidence_level_in_range_is_taken(level):
    """0.8 ≤ confidence_level < 1 is taken as written."""
    assert Statistics(confidence_level=level).confidence_level == level


@pytest.mark.parametrize("level", [0.5, 0.79, 1.0, 95])
def test_confidence_level_out_of_range_is_refused(level):
    """A confidence level below 0.8, of 1 or more (or in per cent) is refused with the allowed range."""
    assert "0.8 ≤ confidence_level < 1 (usually 0.95)" in refused(confidence_level=level)


def test_confidence_level_written_as_alpha_says_what_was_meant():
    """confidence_level: 0.05 looks like alpha: the message proposes confidence_level: 0.95."""
    assert "0.05 looks like alpha: write confidence_level: 0.95" in refused(confidence_level=0.05)


@pytest.mark.parametrize("value,hint", [
    (0.05, "0.05 looks like alpha; write alpha: 0.05"),
    (0.95, "0.95 looks like a confidence level; write alpha: 0.05 (= 1 − 0.95)"),
    (0.9, "0.9 looks like a confidence level; write alpha: 0.1 (= 1 − 0.9)"),
    (5, "write alpha: 0.05 for tests at the 95 % level"),
])
def test_old_significance_level_is_refused_with_the_value_meant(value, hint):
    """The ambiguous significance_level is no longer read; the message says which alpha was probably meant."""
    message = refused(significance_level=value)
    assert "significance_level is no longer read (it was ambiguous)" in message and hint in message


def test_significance_level_in_survey_yaml_is_one_line_naming_file_and_key(tmp_path):
    """In survey.yaml, `significance_level: 0.05` (the conventional alpha) stops the run with file, key and fix."""
    work = copy_project(tmp_path)
    edit(work / "config" / "survey.yaml", "  alpha: 0.05 ", "  significance_level: 0.05 ")
    with pytest.raises(ConfigError) as err:
        load_project(work / "config")
    assert str(err.value) == (f"{work / 'config' / 'survey.yaml'}: statistics: significance_level is no longer read "
                              "(it was ambiguous); 0.05 looks like alpha; write alpha: 0.05")
