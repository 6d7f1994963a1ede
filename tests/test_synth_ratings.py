"""The rating-style generator (generator: ratings) and the patient-feedback model data/hus/synth/model.yaml."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from helpers import REPO

from pipeline.coding import DONT_KNOW, UNCODED, code_answers, code_text
from pipeline.config import load_project
from pipeline.errors import ConfigError
from pipeline.load import load_wave
from pipeline.synth import load_model, synthesize
from pipeline.synth_ratings import RatingsModel, build_ratings_wave, nps_split, round_table

MODEL = REPO / "data" / "hus" / "synth" / "model.yaml"
SCALE = 0.02
# overall NPS per wave: 2021 and 2025 published (seed 000), 2022–2024 the model's assumed path
OVERALL = {2021: 68, 2022: 70, 2023: 74, 2024: 80, 2025: 83}
COLUMNS = ["rating_id", "unit", "channel", "recommend", "comment", "sex", "age_group"]


def nps(scores: pd.Series) -> float:
    return 100.0 * (float((scores >= 9).mean()) - float((scores <= 6).mean()))


@pytest.fixture(scope="module")
def hus_config(tmp_path_factory):
    """A copy of config/hus, with a one-slide deck.yaml and strings.yaml where the folder has none yet."""
    config = tmp_path_factory.mktemp("hus") / "hus"
    shutil.copytree(REPO / "config" / "hus", config)
    if not (config / "deck.yaml").exists():
        (config / "deck.yaml").write_text(
            "template: none.pptx\nlayouts: {text: Text}\nstrings: strings.yaml\n"
            "slides:\n  - {id: T1, layout: text, title: {fi: Tietoa, sv: Om, en: About}, body: [{fi: T, sv: T, en: T}]}\n",
            encoding="utf-8")
        (config / "strings.yaml").write_text("total: {fi: Yhteensä, sv: Totalt, en: Total}\n", encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def project(hus_config):
    return load_project(hus_config)


@pytest.fixture(scope="module")
def spec(project):
    return RatingsModel(project, load_model(MODEL), MODEL)


@pytest.fixture(scope="module")
def small(project, tmp_path_factory):
    """The five waves at 2 % of their size, written by synthesize (Parquet, as the model says)."""
    out = tmp_path_factory.mktemp("small")
    written = synthesize(project, MODEL, out, None, SCALE)
    assert [p.name for p in written] == [f"{y}.parquet" for y in OVERALL]
    return out


@pytest.fixture(scope="module")
def loaded(project, small):
    return {y: load_wave(project, y, small / f"{y}.parquet") for y in OVERALL}


# --------------------------------------------------------------------------- exact allocation


def test_nps_split_by_hand():
    """NPS 68 with 0.55 detractors per passive: passives 32/2.1 = 15.238 %, detractors 8.381 %, promoters 76.381 %."""
    d, p, s = nps_split(68.0, 0.55)
    assert (d, p, s) == pytest.approx((0.083810, 0.152381, 0.763810), abs=1e-6)


def test_round_table_keeps_both_margins_and_rounds_each_cell_up_or_down():
    """Random tables: whole-number row and column sums as asked, every cell within one of the fitted table."""
    rng = np.random.default_rng(1)
    for _ in range(200):
        r, k = rng.integers(1, 6), rng.integers(1, 6)
        expected = rng.random((r, k)) * 50
        total = int(rng.integers(20, 300))
        rows = np.bincount(rng.integers(0, r, total), minlength=r)
        cols = np.bincount(rng.integers(0, k, total), minlength=k)
        table = round_table(expected, rows, cols)
        assert (table.sum(axis=1) == rows).all() and (table.sum(axis=0) == cols).all()
        assert (table >= 0).all()


def test_round_table_by_hand():
    """[[1.5, 0.5], [0.5, 1.5]] to margins 2/2 and 2/2: one of the two .5 cells in each row goes up, margins hold."""
    table = round_table(np.array([[1.5, 0.5], [0.5, 1.5]]), np.array([2, 2]), np.array([2, 2]))
    assert table.tolist() in ([[1, 1], [1, 1]], [[2, 0], [0, 2]])


# --------------------------------------------------------------------------- the waves


def test_the_cli_draws_the_same_bytes_again(hus_config, small, tmp_path):
    """Seeded: `survey-deck synth --scale 0.02` in a fresh process writes the same five Parquet files byte for byte."""
    done = subprocess.run([sys.executable, "-m", "pipeline", "synth", "--config", str(hus_config), "--model", str(MODEL),
                           "--out", str(tmp_path), "--scale", str(SCALE)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for year in OVERALL:
        assert (tmp_path / f"{year}.parquet").read_bytes() == (small / f"{year}.parquet").read_bytes(), year


def test_columns_and_codes_follow_the_codebook(small):
    """Columns exactly as the codebook; units 1–12, channels 1–3, scores 0–10, sex 1/2, age groups 1–4; ids unique."""
    for year in OVERALL:
        frame = pq.read_table(small / f"{year}.parquet").to_pandas()
        assert list(frame.columns) == COLUMNS
        assert len(frame) == round({2021: 478213, 2022: 486542, 2023: 491187, 2024: 494806, 2025: 497351}[year] * SCALE)
        assert frame["rating_id"].is_unique
        assert set(frame["unit"]) == set(range(1, 13))
        assert set(frame["channel"]) == {1, 2, 3}
        assert set(frame["recommend"]) == set(range(11))
        assert set(frame["sex"].dropna()) == {1, 2}
        assert set(frame["age_group"].dropna()) == {1, 2, 3, 4}


def test_the_loader_reads_the_waves(loaded):
    """load_wave reads every wave without a warning: sex and age group as categories, blank where unknown."""
    for year, wave in loaded.items():
        assert wave.warnings == ()
        frame = wave.frame
        assert set(frame["sex"].dropna()) == {"Mies", "Nainen"}
        assert frame["sex"].isna().equals(frame["age_group"].isna())  # known together, from the patient record
        assert 0.37 < frame["sex"].isna().mean() < 0.43, year  # the model: 60 % known


def test_demographics_follow_the_model(loaded):
    """Children's unit: only 0–17-year-olds; older patients rate higher (65+ above 18–39 by more than 5 points)."""
    frame = pd.concat([w.frame for w in loaded.values()], ignore_index=True)
    assert set(frame.loc[frame["unit"] == 12, "age_group"].dropna()) == {"0-17"}
    by_age = {a: nps(g["recommend"]) for a, g in frame.groupby("age_group", observed=True)}
    assert by_age["65+"] > by_age["18-39"] + 5


def test_overall_nps_is_the_published_value_in_every_wave(loaded):
    """Allocated, not drawn: each wave's NPS within 0.05 of 68, 70, 74, 80, 83 even at 2 % of the size."""
    for year, wave in loaded.items():
        assert nps(wave.frame["recommend"]) == pytest.approx(OVERALL[year], abs=0.05), year


def test_channels_text_message_grows_paper_fades(loaded):
    """Text message the large majority and growing, web growing, paper shrinking; paper NPS highest, web lowest."""
    share = {y: w.frame["channel"].value_counts(normalize=True) for y, w in loaded.items()}
    assert share[2021][1] > 0.75 and share[2025][1] > share[2021][1]
    assert share[2025][2] > share[2021][2] and share[2025][3] < share[2021][3] / 2
    frame = loaded[2021].frame
    by_channel = {c: nps(frame.loc[frame["channel"] == c, "recommend"]) for c in (1, 2, 3)}
    assert by_channel[3] > by_channel[1] > by_channel[2]


def test_scores_within_the_nps_groups_look_real(loaded):
    """10 commoner than 9; among detractors 0 and 5 each commoner than any of 1–4."""
    counts = pd.concat([w.frame["recommend"] for w in loaded.values()]).value_counts()
    assert counts[10] > 2 * counts[9]
    assert min(counts[0], counts[5]) > max(counts[1], counts[2], counts[3], counts[4])


def test_full_size_wave_2025_meets_the_published_values(spec):
    """At full size: 497,351 ratings, NPS 83 (±0.05), the cancer centre 91 (±0.3), every unit within 0.3 of the model."""
    frame = build_ratings_wave(spec, 2025).frame()
    assert len(frame) == 497351
    assert nps(frame["recommend"]) == pytest.approx(83, abs=0.05)
    units = {u: nps(g["recommend"]) for u, g in frame.groupby("unit")}
    assert units[1] == pytest.approx(91, abs=0.3)
    model_2025 = {1: 91.0, 2: 88.6, 3: 87.8, 4: 70.9, 5: 58.1, 6: 86.4, 7: 88.1, 8: 89.6, 9: 72.0, 10: 79.2, 11: 89.6, 12: 88.6}
    for unit, value in model_2025.items():
        assert units[unit] == pytest.approx(value, abs=0.3), unit
    assert min(units, key=units.get) == 5  # psychiatry lowest


# --------------------------------------------------------------------------- comments


def test_a_quarter_comment_in_a_few_hundred_distinct_texts(loaded, spec):
    """20–30 % of ratings have a comment; the model's catalogue holds a few hundred texts, Finnish and Swedish."""
    for year, wave in loaded.items():
        assert 0.20 < (wave.frame["comment"] != "").mean() < 0.30, year
    texts = [t.text for t in spec.catalogue.texts]
    assert 150 < len(texts) < 1000
    assert "Kiitos!" in texts and "Tack!" in texts and "eos" in texts and "vet ej" in texts


def test_every_template_sentence_is_coded_to_its_theme(project, spec):
    """The project's coding puts each sentence of the model in exactly its intended theme (none: uncoded; eos: don't know)."""
    frame = project.codeframes["themes@2021.1"]
    keys = [c.key for c in frame.categories]
    wrong = []
    for name, block in spec.comments["templates"].items():
        for tone in ("positive", "negative", "neutral"):
            for sentences in (block.get(tone) or {}).values():
                for sentence in sentences:
                    first, mentioned = code_text(frame, sentence)
                    if block.get("dont_know"):
                        ok = first == DONT_KNOW
                    else:
                        ok = {keys[i] for i in mentioned} == set(block["codes"]) and (block["codes"] or first == UNCODED)
                    if not ok:
                        wrong.append((name, sentence, first, [keys[i] for i in mentioned]))
    assert not wrong


def test_every_combined_comment_is_coded_to_the_union_of_its_themes(project, spec):
    """Each distinct comment of the catalogue (one to three sentences) is coded to exactly the themes of its sentences."""
    frame = project.codeframes["themes@2021.1"]
    keys = [c.key for c in frame.categories]
    wrong = []
    for text in spec.catalogue.texts:
        first, mentioned = code_text(frame, text.text)
        ok = first == DONT_KNOW if text.dont_know else {keys[i] for i in mentioned} == set(text.codes)
        if not ok:
            wrong.append((text.text, sorted(text.codes), [keys[i] for i in mentioned]))
    assert not wrong
    assert any(len(t.codes) == 2 for t in spec.catalogue.texts) and any(not t.codes and not t.dont_know for t in spec.catalogue.texts)


def test_detractors_write_about_waiting_promoters_about_staff(project, loaded):
    """Coded as the deck codes them, each theme's share of comments is the model mix's: e.g. waiting 41 % of detractors'
    comments (-waiting 24 + -waiting -information 12 + -waiting -staff 4 + the triple 1) and 8 % of promoters' (5 + 3)."""
    frame = pd.concat([w.frame for w in loaded.values()], ignore_index=True)
    coded = code_answers(project.codeframes["themes@2021.1"], frame["comment"].where(frame["comment"] != ""))
    has = (frame["comment"] != "").to_numpy()
    detractor = (frame["recommend"] <= 6).to_numpy() & has
    promoter = (frame["recommend"] >= 9).to_numpy() & has
    by_hand = {"waiting": (41, 8), "information": (28, 9), "staff": (21, 37), "care": (12, 36)}  # % of (detractors, promoters)
    for key, (among_detractors, among_promoters) in by_hand.items():
        mentioned = coded.mentioned(coded.keys.index(key))
        assert 100 * mentioned[detractor].mean() == pytest.approx(among_detractors, abs=4), key
        assert 100 * mentioned[promoter].mean() == pytest.approx(among_promoters, abs=2), key
    assert (coded.first[has] == DONT_KNOW).any() and (coded.first[has] == UNCODED).any()


# --------------------------------------------------------------------------- errors


def test_group_values_far_from_the_overall_value_name_the_fix(project, tmp_path):
    """Units whose weighted NPS misses the overall value by more than 1 point: one ConfigError naming groups.nps, the year
    and the gap (the 2025 values weighted by the shares: 82.97, so 3.03 below an overall 86)."""
    model = load_model(MODEL)
    model["score"]["nps"] = {**model["score"]["nps"], 2025: 86}
    spec = RatingsModel(project, model, MODEL)
    with pytest.raises(ConfigError, match=r"groups\.nps: in 2025 .* average 82\.97, -3\.03 from score\.nps 86; move .* \+3\.03"):
        build_ratings_wave(spec, 2025)


def test_a_model_naming_an_unknown_question_says_so(project):
    """groups.column naming no codebook question: one ConfigError naming the key and a near miss."""
    model = load_model(MODEL)
    model["groups"] = {**model["groups"], "column": "units"}
    with pytest.raises(ConfigError, match=r"groups\.column: no question 'units' in the codebook \(did you mean 'unit'\?\)"):
        RatingsModel(project, model, MODEL)


def test_scale_is_refused_for_the_panel_model(tmp_path):
    """`synth --scale` with the 1177 panel model: one Error line saying --scale is for ratings models, exit 1."""
    done = subprocess.run([sys.executable, "-m", "pipeline", "synth", "--survey", "1177", "--out", str(tmp_path), "--scale", "0.5"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("Error: ") and "applies to models with 'generator: ratings'" in done.stderr
    assert not list(tmp_path.iterdir())


def test_a_code_that_is_no_number_is_a_config_error(project):
    """groups.share keyed by a word instead of a unit code: a ConfigError naming the model, not an internal error."""
    model = load_model(MODEL)
    model["groups"] = {**model["groups"], "share": {"cancer": 8}}
    with pytest.raises(ConfigError, match=r"model\.yaml: a value of the wrong type .*'cancer'"):
        RatingsModel(project, model, MODEL)
