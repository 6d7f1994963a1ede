"""The patient survey's strings file (config/hus/strings.yaml): the keys of the 1177 one, every language, the same
placeholders, no Swedish in the Finnish texts nor Finnish in the Swedish ones, and claim words that catch typed-in claims
but not ordinary Finnish."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from helpers import REPO

from pipeline.claims import Sentence, preflight
from pipeline.config import load_project
from pipeline.yamlio import read_yaml

HUS = REPO / "config" / "hus"
REFERENCE = REPO / "config" / "1177" / "strings.yaml"
LANGS = ("fi", "sv", "en")
# Beyond the 1177 keys (documented in the file): the banner headings of this survey's grouping variables.
EXTRA_KEYS = {"xtab_var_unit", "xtab_var_channel"}
SWEDISH_WORDS = ("och", "är", "för", "inte", "som", "med", "av", "på", "till", "svarande", "att", "eller", "det", "inom",
                 "enligt", "antal", "betyg", "vägd", "ovägd", "år", "fråga", "bas")
FINNISH_WORDS = ("ja", "on", "ei", "että", "vastaajat", "tai", "kuin", "jos", "vuonna", "arviot", "arvioita", "ovat",
                 "mukaan", "kanssa", "myös", "kysymys", "pohja")


def _strings(path: Path) -> dict[str, dict[str, str]]:
    data = read_yaml(path)
    assert isinstance(data, dict)
    return data


def _placeholders(text: str) -> set[str]:
    """The jinja ``{{ name }}`` and ``{name}`` fields of a text, each marked with its kind."""
    jinja = {"{{" + m + "}}" for m in re.findall(r"\{\{\s*(\w+)\s*\}\}", text)}
    fields = {"{" + m + "}" for m in re.findall(r"(?<!\{)\{(\w+)\}(?!\})", text)}
    return jinja | fields


def _whole_words(words: tuple[str, ...], text: str) -> list[str]:
    return [w for w in words if re.search(rf"\b{re.escape(w)}\b", text, re.IGNORECASE)]


HUS_STRINGS = _strings(HUS / "strings.yaml")
REF_STRINGS = _strings(REFERENCE)


def test_keys_are_the_1177_keys_plus_the_documented_extras() -> None:
    """Every key the deck code looks up in the 1177 file exists here, and nothing else but the documented extras."""
    assert set(HUS_STRINGS) - set(REF_STRINGS) == EXTRA_KEYS
    assert set(REF_STRINGS) - set(HUS_STRINGS) == set()


def test_every_text_has_exactly_fi_sv_en() -> None:
    """Each value is a mapping with a string in each of fi, sv and en (report.languages of config/hus/survey.yaml)."""
    for key, value in HUS_STRINGS.items():
        assert isinstance(value, dict) and set(value) == set(LANGS), key
        assert all(isinstance(value[lang], str) for lang in LANGS), key


def test_only_the_empty_correction_is_empty() -> None:
    """No phrase was left blank by mistake: only xtab_correction_none is empty, as in the 1177 file."""
    empty = {key for key, value in HUS_STRINGS.items() if any(not value[lang].strip() for lang in LANGS)}
    assert empty == {"xtab_correction_none"}


def test_placeholders_match_across_languages_and_the_1177_file() -> None:
    """Each text fills exactly the fields the code gives for its key: those of the 1177 text of the key."""
    for key, value in HUS_STRINGS.items():
        expected = _placeholders(REF_STRINGS[key]["sv"]) if key in REF_STRINGS else set()
        if key in REF_STRINGS:
            assert _placeholders(REF_STRINGS[key]["en"]) == expected, key
        for lang in LANGS:
            assert _placeholders(value[lang]) == expected, (key, lang)


def test_placeholder_reader_sees_both_kinds() -> None:
    """The placeholder reader of these tests tells jinja fields from {name} fields (else the test above proves nothing)."""
    assert _placeholders("{{ level }} % och {name}, {{correction}}") == {"{{level}}", "{name}", "{{correction}}"}


def test_no_swedish_word_in_the_finnish_texts() -> None:
    """No common Swedish word stands as a whole word in any fi text."""
    found = {key: hit for key, value in HUS_STRINGS.items() if (hit := _whole_words(SWEDISH_WORDS, value["fi"]))}
    assert found == {}


def test_no_finnish_word_in_the_swedish_texts() -> None:
    """No common Finnish word stands as a whole word in any sv text."""
    found = {key: hit for key, value in HUS_STRINGS.items() if (hit := _whole_words(FINNISH_WORDS, value["sv"]))}
    assert found == {}


def test_word_lists_catch_their_own_language() -> None:
    """The two word lists do hit a plain sentence of their language (so the two tests above can fail)."""
    assert _whole_words(SWEDISH_WORDS, "Antal svarande inom parentes och betyg för år 2025") != []
    assert _whole_words(FINNISH_WORDS, "Vastaajat ovat antaneet arviot, ja se on hyvä") != []


def test_nps_group_labels() -> None:
    """The NPS groups are named as the survey names them, in each language."""
    labels = [tuple(HUS_STRINGS[f"nps_{k}"][lang] for k in ("detractors", "passives", "promoters")) for lang in LANGS]
    assert labels == [("Arvostelijat", "Passiiviset", "Suosittelijat"), ("Kritiker", "Passiva", "Ambassadörer"),
                      ("Detractors", "Passives", "Promoters")]


def test_finnish_quotes_are_finnish() -> None:
    """Finnish and Swedish texts quote with ” on both sides, never with English “ or straight quotes."""
    for key, value in HUS_STRINGS.items():
        for lang in ("fi", "sv"):
            assert "“" not in value[lang] and '"' not in value[lang], (key, lang)


@pytest.mark.parametrize("prefix", ["xtab_col_", "xtab_claim_col_", "xtab_w_"])
def test_workbook_headers_are_distinct(prefix: str) -> None:
    """The column headers of one workbook sheet differ from each other in every language (they name the columns)."""
    for lang in LANGS:
        headers = [value[lang] for key, value in HUS_STRINGS.items() if key.startswith(prefix)]
        assert len(headers) == len(set(headers)), lang


def _flagged(sentence: str, lang: str = "fi") -> bool:
    """True if the preflight reports the sentence (typed in, no claim) as holding a claim word."""
    words = [w for w in HUS_STRINGS["claim_words"][lang].split("|") if w]
    problems = preflight([Sentence("body", sentence)], [], [], "", lang, words, "")
    return any("claim word" in p.reason for p in problems)


@pytest.mark.parametrize("sentence", [
    "NPS nousi 83:een.",
    "Syöpäkeskuksen tulos on korkein.",
    "Suurin osa arvioista annettiin tekstiviestillä.",
    "Tulos oli Ennätyksellinen.",
    "Paras tulos tähän mennessä.",
    "Yleisimmät aiheet olivat henkilökunnan kohtelu ja odotus.",
    "Arviot heikkenivät vain yhdessä yksikössä.",
])
def test_finnish_claim_words_catch_typed_in_claims(sentence: str) -> None:
    """A Finnish sentence that types a direction, rank, record or superlative in (inflected forms too) is reported."""
    assert _flagged(sentence)


@pytest.mark.parametrize("sentence", [
    "Potilaat arvioivat hoidon asteikolla 0–10 käynnin jälkeen tekstiviestillä, verkossa tai paperilomakkeella.",
    "NPS lasketaan vähentämällä arvostelijoiden osuus suosittelijoiden osuudesta.",
    "Jokainen arvio lasketaan kerran; tuloksia ei ole painotettu.",
    "Kommentit luokitellaan aiheisiin, ja laskutus ei kuulu palautteeseen.",
    "Vastaajat kertoivat kokemuksistaan yksiköittäin ja kanavittain vuosina 2021–2025.",
    "Suosittelijat antavat arvion 9 tai 10, passiiviset 7 tai 8 ja arvostelijat 0–6.",
])
def test_finnish_claim_words_spare_ordinary_finnish(sentence: str) -> None:
    """Ordinary Finnish of a method or comment slide (lasketaan, laskutus, arvioivat …) is not taken for a claim."""
    assert not _flagged(sentence)


def test_swedish_and_english_claim_words_catch_past_tense() -> None:
    """The sv and en lists also catch the past tense a yearly report is written in (steg, improved)."""
    assert _flagged("NPS steg till 83.", "sv") and _flagged("NPS improved to 83.", "en")
    assert not _flagged("Varje betyg räknas en gång.", "sv") and not _flagged("Every rating counts once.", "en")


def test_load_project_accepts_the_strings(tmp_path: Path) -> None:
    """config/hus with a one-slide deck loads, and its texts come from this strings file in Finnish."""
    config = tmp_path / "hus"
    shutil.copytree(HUS, config, ignore=shutil.ignore_patterns("deck.yaml"))
    (config / "deck.yaml").write_text(
        f"template: {REPO / 'templates' / '1177.pptx'}\n"
        "strings: strings.yaml\n"
        "layouts: {title: Titel, section: Avsnitt, chart: Diagram, two_charts: \"Två diagram\", text: Text}\n"
        "slides:\n"
        "  - id: S01\n"
        "    layout: text\n"
        "    title: {fi: \"Potilaspalaute\", sv: \"Patientrespons\", en: \"Patient feedback\"}\n",
        encoding="utf-8")
    project = load_project(config)
    assert project.text("nps_promoters", "fi") == "Suosittelijat"
    assert project.text("xtab_base_all", "sv") == "Alla betyg"
    assert set(project.strings) == set(HUS_STRINGS)
