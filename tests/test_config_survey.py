"""survey.yaml and deck.yaml: optional survey fields, weighting written as configuration, only the layouts used."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipeline.config import DeckConfig, SurveyConfig, SurveyInfo, Weighting


def test_survey_needs_only_a_name():
    """panel, supplier, fieldwork and client may be left out (a patient survey has no panel)."""
    info = SurveyInfo.model_validate({"name": {"sv": "Patientenkät", "en": "Patient survey"}})
    assert info.panel is None and info.supplier == "" and info.fieldwork == {}


def test_client_and_contact_are_a_name_or_a_text_per_language():
    """A name stays the same in every deck; a text per language is told apart (a team's name in Finnish and Swedish)."""
    info = SurveyInfo.model_validate({"name": {"sv": "x", "en": "x"}, "client": "Inera AB",
                                      "contact": {"sv": "patientteamet", "en": "the patient team"}})
    assert info.client == "Inera AB"
    assert not isinstance(info.contact, str) and info.contact.get("en") == "the patient team"


def test_weighting_none_short_and_long_form():
    """`weighting: none` is `weighting: {method: none}`; it needs no variables."""
    short = SurveyConfig.model_validate({"survey": {"name": {"sv": "x", "en": "x"}}, "weighting": "none"}).weighting
    assert short.method == "none"
    assert Weighting.model_validate({"method": "none", "variables": []}).method == "none"


def test_weighting_on_any_variables_but_not_none_of_them():
    """Raking may use any variable names (checked against the codebook on load) but needs at least one, without repeats."""
    assert Weighting(variables=["unit", "channel"]).variables == ["unit", "channel"]
    with pytest.raises(ValidationError, match="method rake needs variables"):
        Weighting(variables=[])
    with pytest.raises(ValidationError, match="repeat"):
        Weighting(variables=["unit", "unit"])


def slide(sid: str, layout: str) -> dict:
    return {"id": sid, "layout": layout, "title": {"sv": "t", "en": "t"}}


def test_only_the_layouts_the_slides_use_are_required():
    """A deck of title and text slides maps only those two layouts; a used but unmapped layout is named with its slide."""
    deck = DeckConfig.model_validate({"template": "t.pptx", "layouts": {"title": "Titel", "text": "Text"},
                                      "slides": [slide("A", "title"), slide("B", "text")]})
    assert set(deck.layouts) == {"title", "text"}
    with pytest.raises(ValidationError, match=r"layouts lacks 'section' \(slide C\)"):
        DeckConfig.model_validate({"template": "t.pptx", "layouts": {"title": "Titel"},
                                   "slides": [slide("A", "title"), slide("C", "section")]})


def test_unknown_weighting_variable_is_refused_on_load(tmp_path):
    """A weighting variable that is neither a demographic nor a single-choice question stops load_project in one line."""
    from helpers import copy_config, edit

    from pipeline.config import load_project
    from pipeline.errors import ConfigError

    copy_config(tmp_path)
    edit(tmp_path / "config" / "survey.yaml", "variables: [sex, age_group]", "variables: [sex, agegroup]")
    with pytest.raises(ConfigError, match=r"survey\.yaml: weighting\.variables: unknown variable 'agegroup'.*did you mean 'age_group'"):
        load_project(tmp_path / "config")


def test_a_deck_grouping_on_an_unknown_variable_is_refused_on_load(tmp_path):
    """A slide's by naming no variable stops load_project in one line naming the slide, the metric and a suggestion."""
    from helpers import copy_config, edit

    from pipeline.config import load_project
    from pipeline.errors import ConfigError

    copy_config(tmp_path)
    edit(tmp_path / "config" / "deck.yaml", "waves: 1, by: [sex, age_group]}", "waves: 1, by: [sex, agegroup]}")
    with pytest.raises(ConfigError, match=r"deck\.yaml: slide \w+: metric main: by: unknown variable 'agegroup'.*did you mean 'age_group'"):
        load_project(tmp_path / "config")
