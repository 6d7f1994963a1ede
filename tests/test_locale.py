"""The report language applied at presentation: the Locale, the languages a config's texts provide, a third language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import CONFIG, WAVES, copy_project, edit, run_cli
from pydantic import ValidationError

from pipeline.config import I18n, Project, load_project
from pipeline.errors import ConfigError
from pipeline.locale import Locale
from pipeline.numbers import typeset


def test_locale_gives_phrases_numbers_and_tag_of_its_language(project: Project):
    """A Locale reads the strings file in its language and formats numbers by its CLDR patterns."""
    sv, en = Locale.of(project, "sv"), Locale.of(project, "en")
    assert (sv.text("total"), en.text("total")) == ("Totalt", "Total")  # strings.yaml
    assert (sv.percent(55.04, 1), en.percent(55.04, 1)) == ("55,0\u00a0%", "55.0%")
    assert (sv.count(2001), en.count(2001)) == ("2\u00a0001", "2,001")
    assert (sv.number(-3), en.number(-3)) == ("\u22123", "-3")
    assert (sv.tag, en.tag) == ("sv-SE", "en-US")
    assert (sv.percent_sign, en.percent_sign) == ("\u00a0%", "%")


def test_locale_of_a_language_the_texts_lack_names_the_languages(project: Project):
    """Asking for a language not in report.languages is a ConfigError listing the languages there are."""
    with pytest.raises(ConfigError, match=r"language 'fi' is not one of report.languages in survey.yaml \(sv, en\)"):
        Locale.of(project, "fi")


def test_an_unknown_phrase_is_a_config_error_with_a_hint(project: Project):
    """A phrase key the strings file lacks is a ConfigError naming the key and the nearest one."""
    with pytest.raises(ConfigError, match=r"no string 'totl'.*did you mean 'total'"):
        Locale.of(project, "sv").text("totl")


def test_i18n_takes_any_language_codes_and_says_which_it_lacks():
    """A text may be in any languages; asking for one it lacks is a ConfigError naming what it has."""
    text = I18n.model_validate({"sv": "Hej", "en": "Hello", "fi": "Hei"})
    assert (text.get("fi"), text.languages) == ("Hei", ("sv", "en", "fi"))
    with pytest.raises(ConfigError, match=r"no 'de' version \(it has sv, en, fi\)"):
        text.get("de")


@pytest.mark.parametrize("data, message", [({}, "at least one language"), ({"sv": 3}, "'sv' text must be a string")])
def test_i18n_refuses_no_text_and_non_strings(data: dict[str, Any], message: str):
    """An empty mapping or a text that is not a string is refused when the config is read."""
    with pytest.raises(ValidationError, match=message):
        I18n.model_validate(data)


def test_a_language_some_texts_lack_is_refused_at_config_load(tmp_path: Path):
    """Listing fi in report.languages while the texts are in sv and en names the file, a text and the fix."""
    work = copy_project(tmp_path)
    edit(work / "config" / "survey.yaml", "  lang: sv\n", "  lang: sv\n  languages: [sv, en, fi]\n")
    with pytest.raises(ConfigError) as info:
        load_project(work / "config")
    message = str(info.value)
    assert "survey.yaml: texts without every language of report.languages ['sv', 'en', 'fi']" in message
    assert "survey.name (no fi)" in message and "remove it from report.languages" in message
    assert "\n" not in message


def test_validate_lists_every_file_whose_texts_lack_a_language(tmp_path: Path):
    """`validate` names each file with texts lacking fi, once, with a text of it named by slide id or entry name."""
    work = copy_project(tmp_path)
    edit(work / "config" / "survey.yaml", "  lang: sv\n", "  lang: sv\n  languages: [sv, en, fi]\n")
    result = run_cli("validate", "--config", work / "config", "--data", WAVES)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if "texts without every language" in line]
    assert len(lines) == 4 + len(list((work / "config" / "codeframes").glob("*.yaml")))  # survey, codebook, deck, strings
    assert any("deck.yaml: " in line and "slides[S01].title (no fi)" in line for line in lines)
    assert any("codebook.yaml: " in line and "demographics.sex[Man].label (no fi)" in line for line in lines)
    assert any("strings.yaml: " in line for line in lines)


def test_a_default_language_not_listed_is_refused(tmp_path: Path):
    """report.lang must be one of report.languages."""
    work = copy_project(tmp_path)
    edit(work / "config" / "survey.yaml", "  lang: sv\n", "  lang: en\n  languages: [sv]\n")
    with pytest.raises(ConfigError, match=r"lang 'en' is not one of languages \['sv'\]"):
        load_project(work / "config")


def test_cli_lang_outside_the_languages_lists_them(tmp_path: Path):
    """`report --lang fi` on a config in sv and en fails with exit 1 and names the languages there are."""
    result = run_cli("report", "--config", CONFIG, "--data", WAVES, "--lang", "fi", "--out", tmp_path / "out")
    assert result.returncode == 1
    assert "Error: --lang 'fi': the config's texts are in sv, en (report.languages in survey.yaml)" in result.stderr


def _add_language(value: Any, code: str, source: str) -> Any:
    """``value`` (YAML data) with a ``code`` text beside every {sv, en} text, copied from ``source``."""
    if isinstance(value, dict):
        if value and set(value) == {"sv", "en"}:
            return {**value, code: value[source]}
        return {k: _add_language(v, code, source) for k, v in value.items()}
    if isinstance(value, list):
        return [_add_language(v, code, source) for v in value]
    return value


def test_a_third_language_is_texts_plus_a_code(tmp_path: Path, shipped_designs):
    """Finnish added as texts (copied from Swedish here) and a code, no code change: the deck builds in fi, and as
    CLDR's Finnish number forms equal the Swedish ones, every slide comes out as the Swedish deck."""
    from pipeline.slides import build_presentation

    work = copy_project(tmp_path) / "config"
    for path in [*work.glob("*.yaml"), *(work / "codeframes").glob("*.yaml")]:  # strings.yaml among them
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        path.write_text(yaml.safe_dump(_add_language(data, "fi", "sv"), allow_unicode=True, sort_keys=False), encoding="utf-8")
    edit(work / "survey.yaml", "  lang: sv\n", "  lang: sv\n  languages:\n  - sv\n  - en\n  - fi\n")
    finnish = load_project(work)
    assert finnish.languages == ("sv", "en", "fi")
    fi = build_presentation(finnish, shipped_designs, 2022, "fi")
    sv = build_presentation(load_project(CONFIG), shipped_designs, 2022, "sv")
    assert [s.id for s in fi.slides] == [s.id for s in sv.slides]
    for a, b in zip(fi.slides, sv.slides, strict=True):
        assert (a.title, a.subtitle, a.question, a.body, a.commentary, a.footnote, a.notes) == \
               (b.title, b.subtitle, b.question, b.body, b.commentary, b.footnote, b.notes), a.id
        assert [(c.spec.categories, [s.name for s in c.spec.series], c.alt, c.notes) for c in a.charts] == \
               [(c.spec.categories, [s.name for s in c.spec.series], c.alt, c.notes) for c in b.charts], a.id


# ---------------------------------------------------------------------- labels applied at presentation


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def labelled(shipped_designs) -> dict[str, Any]:
    """Every slide's labelled tables of the shipped deck in sv and en, as one frame per language."""
    import pandas as pd

    from pipeline.slides import build_presentation

    project = load_project(CONFIG)
    return {lang: pd.concat(build_presentation(project, shipped_designs, 2022, lang).tables.values(), ignore_index=True)
            for lang in ("sv", "en")}


def _row(table: Any, **keys: Any) -> Any:
    t = table
    for k, v in keys.items():
        t = t[t[k].astype(str) == str(v)]
    assert len(t) >= 1, keys
    return t.iloc[0]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_labels_of_every_kind_come_from_codebook_frames_and_strings(labelled, lang: str):
    """The words the presentation fills in are those of the codebook, the wave's code frame and the strings file,
    read here straight from the YAML, for a few rows of each metric kind and subgroup kind."""
    table = labelled[lang]
    codebook = _yaml(CONFIG / "codebook.yaml")
    strings = _yaml(CONFIG / "strings.yaml")
    questions = {q["id"]: q for q in codebook["questions"]}
    demographics = codebook["demographics"]

    def category(qid: str, code: int) -> str:
        c = next(c for c in questions[qid]["categories"] if c["code"] == code)
        return (c.get("short") or c["label"])[lang]

    def item(qid: str, item_id: str) -> str:
        return next(i for i in questions[qid]["items"] if i["id"] == item_id)["text"][lang]

    # coded (S13, wave 2020 frame worry@2020.1): a category, the uncoded and don't-know rows
    frame = {c["key"]: c["label"][lang] for c in _yaml(CONFIG / "codeframes" / "worry-2020.1.yaml")["categories"]}
    r = _row(table, metric="coded", question="worry_contact", wave=2020, category="vc_hospital", group="total")
    assert (r["label"], r["item_label"], r["group_label"]) == (frame["vc_hospital"], questions["worry_contact"]["text"][lang],
                                                                strings["total"][lang])
    assert _row(table, metric="coded", category="uncoded")["label"] == {"sv": "Ej kodbart svar", "en": "Uncoded answer"}[lang]
    assert _row(table, metric="coded", category="dont_know")["label"] == codebook["dont_know_label"][lang]
    # share (single, short label), multi (item text), reach (category)
    assert _row(table, metric="share", question="heard_of_1177", category="1")["label"] == category("heard_of_1177", 1)
    assert _row(table, metric="multi", category="ls_journal")["label"] == item("logged_in_services", "ls_journal")
    assert _row(table, metric="reach", category="1")["label"] == category("digital_wait", 1)
    # scale: mean, an anchored end point, an item's text as item_label
    assert _row(table, metric="scale", measure="mean", item="op_phone")["label"] == strings["mean"][lang]
    assert _row(table, metric="scale", measure="mean", item="op_phone")["item_label"] == item("operational", "op_phone")
    anchor = questions["digital_trust"]["scale"]["anchors"][1][lang]
    assert _row(table, metric="scale", question="digital_trust", measure="share", category="1")["label"] == f"1={anchor}"
    # nps bands and groups by age, sex × age and a single-choice answer
    r = _row(table, metric="nps", measure="share", category="detractors", group_var="age_group", group="18-29")
    ages = {a["name"]: typeset(a["label"][lang]) for a in demographics["age_groups"]}  # ranges with an en dash
    sexes = {s["name"]: s["label"][lang] for s in demographics["sex"]}
    assert (r["label"], r["group_label"]) == ({"sv": "Kritiker", "en": "Detractors"}[lang], ages["18-29"])
    r = _row(table, group_var="sex_age")
    sex, age = r["group"].split(" ", 1)
    assert r["group_label"] == f"{sexes[sex]} {ages[age]}"
    r = _row(table, group_var="preferred_service")
    assert r["group_label"] == category("preferred_service", int(r["group"]))
    # drivers: items and the quadrant's name; index: the question text; trend: neutral spans stay
    r = _row(table, metric="drivers", measure="quadrant", category="sv_public_good")
    assert r["label"] == strings[f"quadrant_{int(r['value'])}"][lang]
    assert _row(table, metric="drivers", measure="agree", category="sv_public_good")["label"] == item("soft_values", "sv_public_good")
    assert _row(table, metric="index")["label"] == questions["services_aware"]["text"][lang]
    r = _row(table, metric="trend", measure="growth_last")
    assert (r["label"], r["item_label"]) == ("2021\u20132022", "")


def test_metrics_emit_keys_not_words(project: Project, shipped_designs):
    """A metric's own rows leave every word to the presentation: item, group and category labels are None."""
    from pipeline.config import MetricRequest
    from pipeline.metrics import MetricContext, compute

    rows = compute(MetricContext(project, shipped_designs, 2022), MetricRequest(kind="nps", question="recommend", by=["sex"]))
    assert rows[["item_label", "group_label"]].isna().all().all()
    assert rows[rows["measure"] == "share"]["label"].isna().all()  # the bands' names are words: left to the Locale
    labelled = Locale.of(project, "en").label_rows(rows, project)
    assert set(labelled["group_label"]) == {"Total", "Men", "Women"}
    assert list(labelled[labelled["measure"] == "nps"]["label"].unique()) == ["NPS"]  # language-neutral: from the metric
