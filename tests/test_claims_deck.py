"""The whole deck's words against its data: shipped waves, seeded waves with randomized directions, 2 and 3 wave sets.

The randomized waves are the shipped 2018–2022 files with each year's answers drawn (seeded bootstrap) from
another year's file on the columns both have, so rises become falls, records and leaders move and ties come
and go. Every expectation here is worked out from the metric tables with this file's own rounding and test
rule (p < 0.05), not with the claims code.
"""

from __future__ import annotations

import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import WAVES

from pipeline.claims import ClaimError
from pipeline.load import load_waves
from pipeline.slides import Presentation, build_presentation
from pipeline.weight import weight_wave

ALPHA = 0.05  # survey.yaml: significance_level 0.95


def rounded(value: float, decimals: int = 0) -> float:
    """Half away from zero, as people round."""
    return float(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def perturbed_waves(out: Path, seed: int, years: tuple[int, ...] = (2018, 2020, 2021, 2022)) -> dict[int, int]:
    """Write waves whose answers come from another year's file (seeded bootstrap); returns year → donor year."""
    rng = np.random.default_rng(seed)
    frames = {y: pd.read_csv(WAVES / f"{y}.csv", dtype=str, keep_default_na=False) for y in years}
    donors = [int(d) for d in rng.permutation(list(years))]
    for year, donor in zip(years, donors, strict=True):
        base, source = frames[year], frames[donor]
        take = rng.choice(len(source), size=len(base), replace=True)
        common = [c for c in base.columns if c in source.columns and c != "respondent_id"]
        new = base.copy()
        new[common] = source.iloc[take][common].to_numpy()
        new.to_csv(out / f"{year}.csv", index=False)
    return dict(zip(years, donors, strict=True))


def deck(project, folder: Path, strict: bool = True, lang: str = "sv") -> Presentation:
    designs = {y: weight_wave(project, w) for y, w in load_waves(project, folder).items()}
    return build_presentation(project, designs, max(designs), lang, strict=strict)


def slide(pres: Presentation, sid: str):
    return next(s for s in pres.slides if s.id == sid)


def row(pres: Presentation, key: str, **match) -> pd.Series:
    t = pres.tables[key]
    mask = pd.Series(True, index=t.index)
    for k, v in {"group": "total", "wave": pres.wave, **match}.items():
        mask &= t[k].astype(str) == str(v)
    assert mask.sum() == 1, (key, match)
    return t[mask].iloc[0]


def sense(r: pd.Series) -> str:
    """up / down / flat by this test's own rule."""
    if not (r["p_value"] < ALPHA):
        return "flat"
    return "up" if r["change"] > 0 else "down"


def texts(s) -> str:
    return " ".join([s.title, s.subtitle, *s.body, *s.commentary])


def check_deck(pres: Presentation) -> None:
    """Every directional, record and largest-change sentence of the deck agrees with the tables."""
    choice = row(pres, "S37:choice", category="1177")
    s37 = slide(pres, "S37")
    expected_title = {"down": "Analys kring minskade spontana val av 1177", "up": "Analys kring ökade spontana val av 1177",
                      "flat": "Analys kring spontana val av 1177"}[sense(choice)]
    assert s37.title == expected_title
    word = {"down": "minskar", "up": "ökar", "flat": "är oförändrad"}[sense(choice)]
    assert f"andelen {word}" in slide(pres, "S38").commentary[0]
    assert f"1177 {word}" in slide(pres, "S46").body[0]
    for other in {"minskar", "ökar", "är oförändrad"} - {word}:
        assert f"andelen {other}" not in slide(pres, "S38").commentary[0]

    online = row(pres, "S42:main", category="online_doctor")
    s42 = slide(pres, "S42")
    assert ("genombrott" in s42.title) == (sense(online) == "up")
    assert ("Färre" in s42.title) == (sense(online) == "down")
    assert ("genombrott" in slide(pres, "S46").body[1]) == (sense(online) == "up")

    # S40: a record over the waves shown, compared as shown (whole per cent)
    t40 = pres.tables["S40:main"]
    total = t40[t40["group"] == "total"].set_index("wave")["value"].map(rounded)
    now, before = total[pres.wave], total[total.index < pres.wave]
    s40 = slide(pres, "S40")
    assert ("rekordmånga" in s40.title) == (now > before.max())
    assert ("lägsta hittills" in s40.title) == (now < before.min())
    assert ("högst hittills" in texts(s40)) == (now > before.max())

    heard = pres.tables["S46:heard"]
    heard = heard[(heard["group"] == "total") & (heard["category"].astype(str) == "1")]
    heard = heard.set_index("wave")["value"].map(lambda v: rounded(v, 1))
    assert ("fler än någonsin" in slide(pres, "S46").body[0]) == (heard[pres.wave] > heard[heard.index < pres.wave].max())

    # S43: the largest significant change among the groups the chart shows, ties named together
    t43 = pres.tables["S43:main"]
    t43 = t43[(t43["wave"] == pres.wave) & t43["group_var"].isin(["age_group", "sex"]) & (t43["p_value"] < ALPHA)]
    shown_change = t43["value"].map(rounded) - (t43["value"] - t43["change"]).map(rounded)
    line = slide(pres, "S43").commentary[-1]
    if t43.empty:
        assert line == "Ingen av förändringarna är signifikant."
    else:
        best = shown_change.abs().max()
        winners = t43.loc[shown_change.abs() == best, "group_label"].tolist()
        assert line.startswith("Störst ökning" if shown_change[shown_change.abs() == best].iloc[0] > 0 else "Störst minskning")
        assert all(w in line for w in winners)
        losers = t43.loc[shown_change.abs() < best, "group_label"].tolist()
        assert not any(f" {w} (" in line or f"{w} och" in line or f", {w}" in line for w in losers)

    # S26: the three strongest words as shown (whole per cent), every word tied with the third named too
    t26 = pres.tables["S26:main"]
    t26 = t26[(t26["wave"] == pres.wave) & (t26["measure"] == "agree") & (t26["group"] == "total")]
    shown26 = t26.set_index("item_label")["value"].map(rounded).sort_values(ascending=False)
    named = [label for label, v in shown26.items() if v >= shown26.iloc[2]]
    line = slide(pres, "S26").commentary[0]
    assert all(f"{label[:1].lower() + label[1:]} (" in line for label in named)
    assert not any(f"{label[:1].lower() + label[1:]} (" in line for label in shown26.index if label not in named)

    # nowhere a typed claim survives: the preflight (run strict) found nothing
    assert pres.preflight["problems"] == []


def test_shipped_waves_every_sentence_true_and_strict_passes(project, shipped_designs):
    """Shipped waves, strict: builds; 58 → 55 (p ≈ 0.06) is not called a fall; S36 says the chart's 59 %; S43 names three tied groups."""
    pres = build_presentation(project, shipped_designs, 2022, "sv", strict=True)
    check_deck(pres)
    assert slide(pres, "S37").subtitle == "Andel som spontant väljer 1177, per målgrupp"
    assert slide(pres, "S36").commentary[0].startswith("59\u00a0%")
    assert not any("Man 18" in c or "män 18" in c for c in slide(pres, "S38").commentary)
    assert slide(pres, "S43").commentary[-1] == "Störst ökning: 18\u201329 år, 30\u201344 år och Kvinna (+13 procentenheter)."
    assert slide(pres, "S34").commentary[0].startswith("Högst medel: råd om vilken typ av vård som behövs (8,4) och diagnos (8,4);")
    assert "contact@" not in " ".join(s.footnote for s in pres.slides)
    assert "ny kod Livi" in slide(pres, "S14").footnote


def test_shipped_waves_in_english_pass_strict(project, shipped_designs):
    """The English deck's claims go through the same checks (no typed claim word, figures from the chart)."""
    pres = build_presentation(project, shipped_designs, 2022, "en", strict=True)
    assert pres.preflight["problems"] == []
    assert "is unchanged" in slide(pres, "S38").commentary[0]


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_randomized_waves_never_contradict_their_data(project, tmp_path, seed):
    """Seeded waves whose directions, records and leaders move: every claim agrees with the tables, strict passes."""
    donors = perturbed_waves(tmp_path, seed)
    assert sorted(donors.values()) == [2018, 2020, 2021, 2022]
    check_deck(deck(project, tmp_path))


def test_randomized_waves_reverse_the_shipped_directions(project, tmp_path):
    """Seed 4 puts 2018's answers in 2022: the online-doctor share falls, and the deck says so, not 'genombrott'."""
    perturbed_waves(tmp_path, 4)
    pres = deck(project, tmp_path)
    assert slide(pres, "S42").title == "Färre väljer nätläkare i första hand"
    assert "genombrott" not in " ".join(texts(s) for s in pres.slides)


def test_2020_to_2022_builds_the_complete_deck(project, shipped_designs, tmp_path):
    """Three waves, no 2018: every slide of the shipped deck is built, strict; the trend starts at 2020."""
    for year in (2020, 2021, 2022):
        shutil.copy(WAVES / f"{year}.csv", tmp_path)
    pres = deck(project, tmp_path)
    full = build_presentation(project, shipped_designs, 2022, "sv")
    assert [s.id for s in pres.slides] == [s.id for s in full.slides]
    assert "2020–2022" in slide(pres, "S46").body[2]
    check_deck(pres)


def test_two_waves_build_with_their_claims(project, tmp_path):
    """2021 and 2022 only: the deck builds strict, records are over those two waves, the trend is first-to-last."""
    for year in (2021, 2022):
        shutil.copy(WAVES / f"{year}.csv", tmp_path)
    pres = deck(project, tmp_path)
    check_deck(pres)
    assert "2021–2022" in slide(pres, "S46").body[2]


def test_a_single_wave_builds_without_comparisons(project, tmp_path):
    """The first wave: no sentence compares with a previous one; titles show their neutral form; one warning line."""
    shutil.copy(WAVES / "2022.csv", tmp_path)
    pres = deck(project, tmp_path)
    assert slide(pres, "S42").title == "Andel som spontant anger en nätläkare, per målgrupp"
    assert "S39" not in [s.id for s in pres.slides]
    assert sum("left out" in w for w in pres.warnings) == 1
    words = " ".join(texts(s) for s in pres.slides)
    assert not any(w in words for w in ("minskar", "ökar", "hittills", "någonsin", "genombrott", "Störst ökning", "Störst minskning"))


def test_strict_turns_a_typed_claim_into_an_error(project, shipped_designs):
    """A bullet typing 'högst' by hand fails strict; without strict it is left out with one warning."""
    slides = list(project.deck.slides)
    i = next(k for k, s in enumerate(slides) if s.id == "S35")
    typed = slides[i].commentary[0].model_copy(update={"sv": "Högst betyg av alla tjänster."})
    slides[i] = slides[i].model_copy(update={"commentary": [typed]})
    changed = project.model_copy(update={"deck": project.deck.model_copy(update={"slides": slides})})
    with pytest.raises(ClaimError, match="S35 commentary: claim word 'Högst' is typed in"):
        build_presentation(changed, shipped_designs, 2022, "sv", strict=True)
    pres = build_presentation(changed, shipped_designs, 2022, "sv")
    assert slide(pres, "S35").commentary == ()
    assert sum("S35" in w for w in pres.warnings) == 1


def test_section_whose_slides_are_all_skipped_is_dropped(project, shipped_designs):
    """The 2021 deck: S31–S36's questions were first asked in 2022, so they are skipped and their section S30 goes too, each listed once."""
    pres = build_presentation(project, shipped_designs, 2021, "sv", strict=True)
    ids = [s.id for s in pres.slides]
    assert not {"S30", "S31", "S36"} & set(ids)
    skipped = [s for s, _ in pres.skipped]
    assert sorted(skipped) == ["S25", "S30", "S31", "S32", "S33", "S34", "S35", "S36", "S45"]  # S25, S45: first asked 2022 too
    assert dict(pres.skipped)["S30"] == "section dropped: all its slides were skipped"
    assert sum(w.startswith("slide S30 ") for w in pres.warnings) == 1


def test_missing_fieldwork_and_supplier_warn_and_leave_no_blank(project, shipped_designs):
    """No 2022 fieldwork and no supplier: two warning lines; S01 and S11 print no 'fältarbete ·' or 'av .' with a blank."""
    info = project.survey.survey.model_copy(update={"fieldwork": {}, "supplier": ""})
    changed = project.model_copy(update={"survey": project.survey.model_copy(update={"survey": info})})
    pres = build_presentation(changed, shipped_designs, 2022, "sv")
    assert sum(w.startswith("survey.yaml: ") for w in pres.warnings) == 2
    assert any("survey.fieldwork.2022" in w for w in pres.warnings)
    s01, s11 = slide(pres, "S01").body[0], slide(pres, "S11").body[-1]
    assert s01 == "Inera AB · 2\u00a0001 svarande"
    assert s11 == "Kontaktperson: Andreas Leifsson, Inera."


@pytest.mark.slow
def test_report_strict_on_the_shipped_waves_writes_claims_and_skips_to_the_manifest(tmp_path, project):
    """`report --strict` passes on the shipped waves; the manifest has the preflight (no problems) and no skipped slides."""
    import json

    from helpers import CONFIG
    from openpyxl import load_workbook

    from pipeline.report import run_report

    result = run_report(CONFIG, WAVES, out_dir=tmp_path, jobs=1, strict=True)

    def project_text(key: str) -> str:
        return project.text(key, "sv")

    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    assert manifest["preflight"]["problems"] == [] and manifest["preflight"]["strict"] is True
    assert manifest["skipped_slides"] == []
    sheet = list(load_workbook(result.tables)[project_text("xtab_claims")].values)
    claim_columns = ("slide", "part", "sentence", "claims", "figures", "test", "check")
    assert sheet[0] == tuple(project_text(f"xtab_claim_col_{c}") for c in claim_columns)
    assert all(r[6] == "ok" for r in sheet[1:])
    s38 = [r for r in sheet[1:] if r[0] == "S38" and r[1] == "commentary"]
    assert "p = 0,062" in s38[0][4]  # 58 → 55: the test behind "oförändrad"


def test_waves_before_a_question_existed_skip_the_slides_that_read_it(project, shipped_designs):
    """2014 and 2016 only: S46 reads advice_contact, first asked later, so it is skipped with that reason; the deck builds."""
    designs = {y: d for y, d in shipped_designs.items() if y in (2014, 2016)}
    pres = build_presentation(project, designs, 2016, "sv", strict=True)
    reasons = dict(pres.skipped)
    assert reasons["S46"] == "question 'advice_contact' is not asked in wave 2016"
    assert "S18" in [s.id for s in pres.slides]


def test_code_frame_change_is_told_in_words(project, shipped_designs):
    """contact@2020.1 → 2022.1 added Livi and put it in the online-doctor net: the footnote says that, not the frame ids."""
    pres = build_presentation(project, shipped_designs, 2022, "en")
    assert ("The code frame for open answers changed in 2022: new code Livi; the group “online doctors” now also includes Livi."
            in slide(pres, "S14").footnote)
    assert "@" not in " ".join(s.footnote for s in pres.slides)
