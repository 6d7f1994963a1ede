"""Building the slides on two cores (``build_presentation(helper=…)``): the same presentation, the same first error."""

from __future__ import annotations

import multiprocessing

import pandas as pd
import pytest

from pipeline.errors import TemplateError
from pipeline.slides import build_presentation

pytestmark = pytest.mark.slow


def _nothing() -> None:
    """The helper's start hook in these tests (the report passes one that ends the helper with its parent)."""


def _with_titles(project, titles: dict[str, str]):
    """``project`` with the Swedish titles of some slides replaced."""
    slides = [s.model_copy(update={"title": s.title.model_copy(update={"sv": titles[s.id]})}) if s.id in titles else s
              for s in project.deck.slides]
    return project.model_copy(update={"deck": project.deck.model_copy(update={"slides": slides})})


@pytest.mark.parametrize("wave, lang", [(2022, "sv"), (2021, "en")])
def test_two_cores_build_the_same_presentation(project, shipped_designs, wave, lang):
    """With a helper process the slides, their tables, warnings, claims, skipped slides and preflight equal the ones built
    one after the other (2021 also skips slides and drops a section)."""
    alone = build_presentation(project, shipped_designs, wave, lang)
    shared = build_presentation(project, shipped_designs, wave, lang, helper=_nothing)
    assert [repr(s) for s in shared.slides] == [repr(s) for s in alone.slides]  # repr: NaN in a spec equals NaN
    assert list(shared.tables) == list(alone.tables)
    for key, table in alone.tables.items():
        pd.testing.assert_frame_equal(shared.tables[key], table)
    assert shared.warnings == alone.warnings
    assert shared.claims == alone.claims and shared.skipped == alone.skipped and shared.preflight == alone.preflight
    assert (len(alone.skipped) > 0) == (wave == 2021)
    assert multiprocessing.active_children() == []


def test_the_first_failing_slide_raises_on_two_cores(project, shipped_designs):
    """A bad title on a late slide (built by the helper) raises its error in the caller; with bad titles on an early and a
    late slide, the early one's error is raised, as when the slides are built one after the other; no helper is left."""
    late = _with_titles(project, {"S45": "{{ nope_late }}"})
    with pytest.raises(TemplateError, match=r"^deck\.yaml slide S45 title: undefined name in template: 'nope_late' is undefined"):
        build_presentation(late, shipped_designs, 2022, "sv", helper=_nothing)
    both = _with_titles(project, {"S13": "{{ nope_early }}", "S45": "{{ nope_late }}"})
    for helper in (None, _nothing):
        with pytest.raises(TemplateError, match=r"^deck\.yaml slide S13 title: undefined name in template: 'nope_early'"):
            build_presentation(both, shipped_designs, 2022, "sv", helper=helper)
    assert multiprocessing.active_children() == []


def test_texts_read_the_statistics_settings_instead_of_typing_them(project, shipped_designs):
    """A method text written with `stats` follows survey.yaml: at confidence_level 0.9 and alpha 0.1 with a low-base limit
    of 50 it says 90, 90 and 50 (the shipped 0.95/0.05/30 would say 95, 95 and 30)."""
    stats = project.survey.statistics.model_copy(update={
        "confidence_level": 0.9, "alpha": 0.1, "low_base": project.survey.statistics.low_base.model_copy(update={"suppress_below": 50})})
    survey = project.survey.model_copy(update={"statistics": stats})
    text = "{{ stats.confidence | num }} / {{ stats.test_level | num }} / {{ stats.suppress_below | count }}"
    slides = [s.model_copy(update={"body": [s.title.model_copy(update={"sv": text})]}) if s.id == "S10" else s
              for s in project.deck.slides]
    changed = project.model_copy(update={"survey": survey, "deck": project.deck.model_copy(update={"slides": slides})})
    pres = build_presentation(changed, shipped_designs, 2022, "sv")
    s10 = next(s for s in pres.slides if s.id == "S10")
    assert s10.body == ("90 / 90 / 50",)


def _edited(project, slide_id: str, **update):
    """``project`` with slide ``slide_id`` updated (pydantic model_copy)."""
    slides = [s.model_copy(update=update) if s.id == slide_id else s for s in project.deck.slides]
    return project.model_copy(update={"deck": project.deck.model_copy(update={"slides": slides})})


def test_texts_read_the_scale_and_nps_bands_from_the_codebook(project, shipped_designs):
    """S29's question (recommend) is a 1–10 scale with detractors 1–6 and promoters 9–10 in config/1177/codebook.yaml:
    `scale` and `nps` give those ranges, so no text types them."""
    s29 = next(s for s in project.deck.slides if s.id == "S29")
    text = s29.commentary[0].model_copy(update={"sv": "Skala {{ scale.range }}, kritiker {{ nps.detractors }}, ambassadörer "
                                                      "{{ nps.promoters }}, toppbetyg {{ scale.max }}."})
    pres = build_presentation(_edited(project, "S29", commentary=[text]), shipped_designs, 2022, "sv")
    slide = next(s for s in pres.slides if s.id == "S29")
    assert slide.commentary == ("Skala 1–10, kritiker 1–6, ambassadörer 9–10, toppbetyg 10.",)


def test_a_band_scheme_is_keyed_in_the_footnote_from_the_charts_own_bands(project, shipped_designs):
    """Bands given to S21's chart appear in its footnote in their order, after the Klassning phrase, with no text typing them."""
    s21 = next(s for s in project.deck.slides if s.id == "S21")
    chart = s21.charts[0]
    bands = [{"label": "låg"}, {"above": 40, "label": "över 40: hög"}]
    banded = chart.model_copy(update={"options": {**chart.options, "bands": bands}})
    pres = build_presentation(_edited(project, "S21", charts=[banded]), shipped_designs, 2022, "sv")
    slide = next(s for s in pres.slides if s.id == "S21")
    assert "Klassning: låg; över 40: hög." in slide.footnote
    plain = build_presentation(project, shipped_designs, 2022, "sv")
    assert "Klassning" not in next(s for s in plain.slides if s.id == "S21").footnote
