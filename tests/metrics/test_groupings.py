"""Subgroups on any variable: single-choice questions crossed with each other or with demographics, and clear errors."""

from __future__ import annotations

import pytest
from tinyctx import pick, run, value, wave_frame

from pipeline.errors import ConfigError


@pytest.fixture
def crossed_table(tiny_ctx):
    # heard_of_1177 yes (1) per online_used × preferred_service; design weights make the shares weighted
    frame = wave_frame({
        "heard_of_1177": [1, 2, 1, 1, 2, 2, 1, 1],
        "online_used": [1, 1, 1, 1, 2, 2, 2, 2],
        "preferred_service": [1, 1, 2, 2, 1, 1, 2, 2],
    }, design_weight=[0.5, 1.5, 1.0, 1.0, 1.0, 1.0, 1.5, 0.5])
    ctx = tiny_ctx(["heard_of_1177", "online_used", "preferred_service"], {2022: frame})
    return run(ctx, "share", "heard_of_1177", by=["online_used*preferred_service", "preferred_service*sex"])


def test_crossed_single_choice_questions(crossed_table):
    """online_used × preferred_service: every combination, first variable slowest; shares by hand from the weights."""
    t = crossed_table
    groups = t[t["group_var"] == "online_used*preferred_service"]["group"].drop_duplicates().tolist()
    assert groups == ["1 1", "1 2", "1 3", "2 1", "2 2", "2 3"]
    # 1 × 1: respondents 1 (yes, 0.5) and 2 (no, 1.5) → 25 %; 2 × 2: respondents 7, 8 both yes → 100 %
    assert value(t, group="1 1", category="1") == pytest.approx(25.0)
    assert value(t, group="2 2", category="1") == pytest.approx(100.0)
    assert value(t, group="2 1", category="1") == pytest.approx(0.0)
    empty = pick(t, group="1 3", category="1")
    assert empty["n"] == 0


def test_crossed_labels_join_the_parts(crossed_table):
    """A crossed group's label is its parts' labels with a space (online_used 1 = Ja), and a demographic crosses too."""
    t = crossed_table
    label = pick(t, group_var="online_used*preferred_service", group="1 1", category="1")["group_label"]
    assert label.startswith("Ja ")
    # preferred_service 2 × Man: respondents 3, 4, 7, 8 (all men by default), all yes
    assert value(t, group_var="preferred_service*sex", group="2 Man", category="1") == pytest.approx(100.0)
    assert pick(t, group_var="preferred_service*sex", group="2 Kvinna", category="1")["n"] == 0


def test_unknown_grouping_is_one_line(tiny_ctx):
    """A by naming no variable is a ConfigError that names it and the choices."""
    ctx = tiny_ctx(["heard_of_1177"], {2022: wave_frame({"heard_of_1177": [1, 2]})})
    with pytest.raises(ConfigError, match=r"unknown variable 'herd_of_1177'.*did you mean 'heard_of_1177'"):
        run(ctx, "share", "heard_of_1177", by=["herd_of_1177"])
    with pytest.raises(ConfigError, match=r"crossed grouping 'sex\*sex' must name two or more different variables"):
        run(ctx, "share", "heard_of_1177", by=["sex*sex"])


def test_grouping_by_a_demographic_the_wave_lacks(tiny_ctx):
    """A deck grouping by region when the wave file has no region column stops with one line naming the column."""
    frame = wave_frame({"heard_of_1177": [1, 2]}).drop(columns=["region"])
    ctx = tiny_ctx(["heard_of_1177"], {2022: frame})
    with pytest.raises(ConfigError, match=r"wave 2022: the deck groups by 'region', but the wave file has no region column"):
        run(ctx, "share", "heard_of_1177", by=["region"])
