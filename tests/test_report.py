"""End to end: build the deck from the shipped waves into a temporary folder and reopen it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import CONFIG, REPO, WAVES
from pptx import Presentation

from pipeline.numbers import fmt_number
from pipeline.report import run_report

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("deck")
    result = run_report(CONFIG, WAVES, out_dir=out, jobs=2)
    return result, Presentation(str(result.deck))


def all_text(prs) -> list[str]:
    texts = []
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
        if slide.has_notes_slide:
            texts.append(slide.notes_slide.notes_text_frame.text)
    return texts


def chart_slides(prs):
    return [s for s in prs.slides if any(sh.shape_type == 13 for sh in s.shapes)]


def test_outputs_exist_and_slide_count(built, project):
    """The deck has one slide per configured slide (39: title + S09–S46) and the side outputs exist."""
    result, prs = built
    assert len(prs.slides) == len(project.deck.slides) == 39
    assert result.tables.is_file() and result.manifest.is_file()
    assert len(list(result.charts.glob("*.png"))) == len(chart_slides(prs)) == 28


def test_slides_follow_the_seed_deck_order(built):
    """Titles appear in the order of the 1177 deck's survey part."""
    _, prs = built
    titles = [s.shapes.title.text for s in prs.slides]
    order = ["Spontan kännedom", "Kontaktvägar", "Hört talas om 1177", "Samtliga tjänster", "Mjuka värden",
             "Net Promoter Score", "Digitala tjänster – väntetid", "Slutsats"]
    positions = [titles.index(t) for t in order]
    assert positions == sorted(positions)


def test_every_chart_has_alt_text_footnote_and_notes(built):
    """Each chart picture carries alt text with figures; each chart slide has a bases footnote and a data table in the notes."""
    _, prs = built
    for slide in chart_slides(prs):
        pics = [sh for sh in slide.shapes if sh.shape_type == 13]
        for pic in pics:
            descr = pic._element.nvPicPr.cNvPr.get("descr")
            assert descr and len(descr) > 40 and re.search(r"\d", descr)
        texts = [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]
        assert any("Antal svarande inom parentes" in t for t in texts), slide.shapes.title.text
        notes = slide.notes_slide.notes_text_frame.text
        assert " | " in notes and re.search(r"Bas \(n\)", notes)


def test_no_template_syntax_left(built):
    """No '{{', '}}' or '{%' survives in any slide text or note."""
    _, prs = built
    for text in all_text(prs):
        assert "{{" not in text and "}}" not in text and "{%" not in text


def test_swedish_number_format(built):
    """Swedish decimal comma and spaced per cent sign where the deck prints decimals: '99,2 %' on S18."""
    _, prs = built
    text = "\n".join(all_text(prs))
    assert re.search(r"\b99,2\u00a0%", text)
    assert not re.search(r"\b\d+\.\d\s?%", text)


def test_notes_numbers_equal_tables_export(built):
    """The numbers in the speaker notes of S14 equal the tables export's long sheet (rounded to one decimal)."""
    result, prs = built
    table = pd.read_excel(result.tables, sheet_name="Alla tal")
    table = table.rename(columns={"bild": "slide", "tabell": "table", "grupp": "group", "svarsalternativ": "label",
                                  "mätår": "wave", "värde": "value"})
    table = table[(table["slide"] == "S14") & (table["group"] == "total") & (table["table"] == "main")]
    slide = next(s for s in prs.slides if s.shapes.title.text == "Andra kontaktvägar än fysiska besök")
    lines = slide.notes_slide.notes_text_frame.text.splitlines()
    header = [c.strip() for c in lines[0].split("|")]
    checked = 0
    for line in lines[1:]:
        cells = [c.strip() for c in line.split("|")]
        if len(cells) != len(header) or not cells[0]:
            continue
        for wave, cell in zip(header[1:], cells[1:], strict=False):
            value = cell.rstrip("▲▼")
            match = table[(table["label"] == cells[0]) & (table["wave"] == int(wave))]
            assert len(match) == 1, cells[0]
            assert value == fmt_number(float(match["value"].iloc[0]), 1, "sv")
            checked += 1
    assert checked >= 30


def test_tables_have_bases_ses_and_significance(built, project):
    """The xlsx: a crosstab sheet per slide measuring a question, every figure in one Swedish-headed sheet with
    bases, SEs, flags and significance, and the weighting sheet with a column per wave."""
    result, _ = built
    with pd.ExcelFile(result.tables) as book:
        sheets = pd.read_excel(book, sheet_name=None)
    assert {"S18", "S29", "S33", "Alla tal", "Vägning", "Om tabellerna"} <= set(sheets)
    every = sheets["Alla tal"]
    for col in ("värde", "standardfel", "ki_nedre", "ki_övre", "n", "n_vägd", "n_effektiv", "basflagga", "p_värde", "signifikans"):
        assert col in every.columns
    nps = every[(every["bild"] == "S29") & (every["mått"] == "nps") & (every["mätår"] == 2022)]
    assert len(nps) == 1 and 0 < nps["standardfel"].iloc[0] < 5
    weighting = sheets["Vägning"]
    assert list(weighting.columns)[3:] == ["2014", "2016", "2018", "2020", "2021", "2022"]
    assert weighting.iloc[0, 0] == "Antal svarande"


def test_slide_sheets_have_letters_where_columns_differ_and_print_setup(built):
    """Every crosstab sheet prints landscape, one page wide, headers repeated, panes frozen. S28 (NPS by sex and age),
    by hand from its shares and effective bases: women 52.7 (SE ≈ 2.2) vs men 39.1 (≈ 2.7), z ≈ 3.9: letter B for
    women; 65+ 55.4 (≈ 2.7) vs 18–29 40.8 (≈ 5.1), z ≈ 2.5: D among 65+'s letters; passives differ by ≤ 3 points
    (z < 1): no letters in that row."""
    from openpyxl import load_workbook

    result, _ = built
    wb = load_workbook(result.tables)
    slide_sheets = [ws for ws in wb.worksheets if ws.title.startswith("S")]
    assert len(slide_sheets) >= 10
    for ws in slide_sheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToHeight == 0, ws.title
        assert ws.print_title_rows is not None and ws.freeze_panes is not None, ws.title
    ws = wb["S28"]
    labels = {ws.cell(6, c).value: c for c in range(2, ws.max_column + 1) if ws.cell(6, c).value}
    rows = {ws.cell(r, 1).value: r for r in range(8, 12)}
    nps, passives = rows["NPS"], rows["Passiva"]
    assert "B" in ws.cell(nps, labels["Kvinna"] + 1).value
    assert "D" in ws.cell(nps, labels["65 år eller äldre"] + 1).value
    assert ws.cell(nps, labels["Man"] + 1).value is None
    assert all(ws.cell(passives, c + 1).value is None for c in labels.values())


def test_workbook_prints_landscape_in_libreoffice_calc(built, tmp_path):
    """LibreOffice Calc opens the xlsx and prints it on landscape pages, a few per sheet (the old dump took 223)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    result, _ = built
    profile = (tmp_path / "lo-profile").as_uri()
    done = subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(result.tables)],
        capture_output=True, text=True, timeout=300,
    )
    pdf = tmp_path / (result.tables.stem + ".pdf")
    if "could not be loaded" in done.stdout + done.stderr and not pdf.is_file():
        pytest.skip("LibreOffice Calc is not installed (apt-get install libreoffice-calc)")
    assert done.returncode == 0 and pdf.is_file(), done.stderr
    data = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    boxes = [(float(w), float(h)) for w, h in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", data)]
    with pd.ExcelFile(result.tables) as book:
        sheets = len(book.sheet_names)
    assert sheets <= pages <= 3 * sheets
    assert boxes and all(w > h for w, h in boxes)


def test_report_manifest_is_a_complete_audit_record(tmp_path, monkeypatch, project):
    """The manifest hashes every wave and config file (survey.yaml checked with hashlib), names the commit or code hash,
    the command line and every package (xlsxwriter, pyreadstat, typer, pyyaml among them); with SOURCE_DATE_EPOCH
    1700000000 the time is 2023-11-14T22:13:20Z and a forced rerun writes the same manifest byte for byte."""
    import hashlib
    import json

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = run_report(CONFIG, WAVES, out_dir=tmp_path, force=True, jobs=1)
    manifest_bytes = first.manifest.read_bytes()
    manifest = json.loads(manifest_bytes)
    assert manifest["run_time"] == "2023-11-14T22:13:20Z"
    assert {Path(i["file"]).name for i in manifest["inputs"]} == {p.name for p in WAVES.glob("*.csv")}
    files = {Path(c["file"]).name: c["sha256"] for c in manifest["config"]}
    frames = {p.name for p in (CONFIG / "codeframes").glob("*.yaml")}
    assert frames and set(files) == {"survey.yaml", "codebook.yaml", "targets.yaml", "deck.yaml", "strings.yaml"} | frames
    assert files["survey.yaml"] == hashlib.sha256((CONFIG / "survey.yaml").read_bytes()).hexdigest()
    assert manifest["template"]["sha256"] == hashlib.sha256((CONFIG / project.deck.template).resolve().read_bytes()).hexdigest()
    code = manifest["code"]
    assert len(code["code_sha256"]) == 64 and code["version"]
    if (REPO / ".git").exists() and shutil.which("git"):
        assert re.fullmatch(r"[0-9a-f]{40}", code["commit"]) and isinstance(code["dirty"], bool)
    assert manifest["command"] == sys.argv
    names = {name.lower() for name in manifest["packages"]}
    assert {"xlsxwriter", "pyreadstat", "typer", "pyyaml", "pandas", "python-pptx"} <= names
    assert "timings_seconds" not in manifest  # differs between runs: left out under SOURCE_DATE_EPOCH
    again = run_report(CONFIG, WAVES, out_dir=tmp_path, force=True, jobs=1)
    assert again.manifest.read_bytes() == manifest_bytes
    assert run_report(CONFIG, WAVES, out_dir=tmp_path, jobs=1).up_to_date


def test_package_versions_read_as_the_email_parser_reads_them(tmp_path):
    """The manifest's package list (read from the metadata headers only) equals what importlib.metadata's full
    parse gives for every installed distribution, and a 'Name:' line in a package's description is not its name."""
    from importlib.metadata import PathDistribution, distributions

    from pipeline.report import _name_and_version, package_versions

    info = tmp_path / "demo_pkg-1.2.dist-info"
    info.mkdir()
    info.joinpath("METADATA").write_text(
        "Metadata-Version: 2.1\nName: Demo-Pkg\nVersion: 1.2\nSummary: a summary that is\n  folded over two lines\n"
        "\nName: not-this\nVersion: 9.9\n", encoding="utf-8")
    assert _name_and_version(PathDistribution(info)) == ("Demo-Pkg", "1.2")
    expected: dict[str, str] = {}
    for dist in distributions():
        name = dist.metadata["Name"]
        if name and name not in expected:
            expected[name] = dist.version
    found = package_versions()
    assert found.pop("python") == sys.version.split()[0]
    assert found == expected and list(found) == sorted(expected, key=lambda n: (n.lower(), n))


def test_collecting_less_raises_the_thresholds_only_while_it_runs():
    """run_report's garbage-collector setting holds inside the call and the caller's thresholds come back after it,
    also when the call fails."""
    import gc

    from pipeline.report import collecting_less

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        assert collecting_less(gc.get_threshold)() == (10_000, 50, 10)
        assert gc.get_threshold() == (700, 10, 10)

        def fail():
            raise ValueError("boom")

        with pytest.raises(ValueError, match="boom"):
            collecting_less(fail)()
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


def test_collecting_less_freezes_the_collector_at_exit_once():
    """The first run asks for gc.freeze at interpreter exit (a second run adds nothing); it runs after the program
    is done, so objects alive at exit are frozen then, not before."""
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: sys.stdout.write(f'at exit frozen: {gc.get_freeze_count() > 0}\\n'))\n"
        "from pipeline.report import collecting_less\n"
        "before = atexit._ncallbacks()\n"
        "collecting_less(int)(); collecting_less(int)()\n"
        "print('registered', atexit._ncallbacks() - before, 'frozen now', gc.get_freeze_count() > 0)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["registered 1 frozen now False", "at exit frozen: True"]


def test_bad_source_date_epoch_is_one_line(monkeypatch):
    """SOURCE_DATE_EPOCH=yesterday is a ConfigError naming the variable and the fix."""
    from pipeline.errors import ConfigError
    from pipeline.report import run_time

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ConfigError, match=r"SOURCE_DATE_EPOCH='yesterday': not a time; set it to seconds since 1970"):
        run_time()


def test_same_inputs_give_identical_bytes(built, tmp_path):
    """A second full build of the same inputs gives byte-identical pptx and xlsx."""
    result, _ = built
    again = run_report(CONFIG, WAVES, out_dir=tmp_path, force=True, jobs=1)
    assert again.deck.read_bytes() == result.deck.read_bytes()
    assert again.tables.read_bytes() == result.tables.read_bytes()


def test_second_run_is_up_to_date_and_a_changed_wave_rebuilds(tmp_path):
    """Unchanged inputs: no work and outputs untouched. One wave file changed: the deck changes and only affected charts render."""
    data = tmp_path / "waves"
    shutil.copytree(WAVES, data)
    out = tmp_path / "out"
    first = run_report(CONFIG, data, out_dir=out, jobs=2)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    second = run_report(CONFIG, data, out_dir=out, jobs=2)
    assert second.up_to_date and second.rendered == 0
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    frame = pd.read_csv(data / "2022.csv", dtype=str, keep_default_na=False)
    frame.loc[frame.index[:200], "recommend"] = frame.loc[frame.index[:200], "recommend"].replace({"7": "10", "8": "10"})
    frame.to_csv(data / "2022.csv", index=False)
    third = run_report(CONFIG, data, out_dir=out, jobs=2)
    assert not third.up_to_date
    assert third.deck.read_bytes() != before[first.deck.name]
    assert 0 < third.rendered < first.rendered


def test_unchanged_rerun_imports_no_pandas(built):
    """An unchanged rerun is answered by the up-to-date check before pandas or the statistics are imported."""
    result, _ = built
    code = (
        "import sys; from pathlib import Path; from pipeline.report import run_report; "
        f"r = run_report(Path({str(CONFIG)!r}), Path({str(WAVES)!r}), out_dir=Path({str(result.deck.parent)!r})); "
        "print(r.up_to_date, 'pandas' in sys.modules, 'pipeline.design' in sys.modules)"
    )
    rerun = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.split() == ["True", "False", "False"]


def test_english_deck(tmp_path):
    """--lang en writes 1177-2022-en.pptx with English titles and decimal points."""
    result = run_report(CONFIG, WAVES, lang="en", out_dir=tmp_path, jobs=2)
    assert result.deck.name == "1177-2022-en.pptx"
    prs = Presentation(str(result.deck))
    titles = [s.shapes.title.text for s in prs.slides]
    assert "Heard of 1177" in titles and "Conclusion" in titles
    text = "\n".join(all_text(prs))
    assert re.search(r"\b99\.2%", text)
    assert "Antal svarande" not in text


def test_english_workbook(tmp_path, project):
    """--lang en: the xlsx's sheet names, headers, guide and weighting sheet are English, from strings.yaml."""
    from openpyxl import load_workbook

    result = run_report(CONFIG, WAVES, lang="en", out_dir=tmp_path, jobs=2)
    wb = load_workbook(result.tables)
    assert wb.sheetnames[-4:] == ["All figures", "Weighting", "Claims", "About the tables"]
    assert all(name.startswith("S") for name in wb.sheetnames[:-4])
    s28 = wb["S28"]
    assert s28["A2"].value.startswith("Question: ") and s28["A3"].value == "Base: those who have heard of 1177"
    assert [s28.cell(r, 1).value for r in range(8, 15)] == ["NPS", "Promoters", "Passives", "Detractors",
                                                             "Unweighted base", "Weighted base", "Effective base"]
    assert s28["A16"].value.startswith("Letter = significantly higher")
    header = [c.value for c in wb["All figures"][1]]
    assert header[:4] == ["slide", "table", "metric", "measure"] and "value" in header
    guide = [[c.value for c in row] for row in wb["About the tables"].iter_rows()]
    assert guide[0] == ["column", "meaning"]
    assert ["value", "Estimate (percent, NPS points or mean), weighted"] in guide
    weighting = [[c.value for c in row] for row in wb["Weighting"].iter_rows(max_row=3)]
    assert weighting[0][:3] == ["measure", "variable", "category"] and weighting[1][0] == "Respondents"
    assert weighting[2][0] == "Kish efficiency (%)"
    words = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str))
    # Swedish phrases of strings.yaml (category codes such as "Kvinna" are data, not phrases)
    assert [w for w in ("Fråga", "Bas:", "Ovägd", "Vägning", "Totalt", "Mätår", "betydelse", "Undergrupp") if w in words] == []


def test_deck_renders_in_libreoffice(built, tmp_path):
    """LibreOffice opens the deck and renders every slide; a chart page is not blank."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; .ci/run installs libreoffice-impress when run as root")
    import subprocess

    result, prs = built
    profile = (tmp_path / "lo-profile").as_uri()
    done = subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(result.deck)],
        capture_output=True, text=True, timeout=300,
    )
    pdf = tmp_path / (result.deck.stem + ".pdf")
    assert done.returncode == 0 and pdf.is_file(), done.stderr
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))
    assert pages == len(prs.slides) == 39
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed; page count checked, pixels not")
    titles = [s.shapes.title.text if s.shapes.title is not None else "" for s in prs.slides]
    page = titles.index("Net Promoter Score") + 1
    subprocess.run([pdftoppm, "-png", "-r", "40", "-f", str(page), "-l", str(page), str(pdf), str(tmp_path / "p")],
                   check=True, timeout=120)
    import numpy as np
    from PIL import Image

    (png,) = tmp_path.glob("p*.png")
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    rgb = rgb[rgb.shape[0] // 5 :]  # below the title and the template's navy top band: the chart area
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    # the NPS panel's promoter bars (the palette's positive colour, the theme's accent4) must be drawn, not a blank page
    from pipeline.charts.style import PALETTE

    pr, pg, pb = (int(PALETTE.positive[i : i + 2], 16) for i in (1, 3, 5))
    promoters = int(np.sum((abs(r - pr) < 25) & (abs(g - pg) < 25) & (abs(b - pb) < 25)))
    assert promoters > 500, f"page {page} has only {promoters} pixels of the promoters' colour"


def test_no_verbatims_or_respondent_ids_leave_the_data(built):
    """Open answers appear only as coded categories; respondent ids appear nowhere in deck, notes or tables."""
    result, prs = built
    frame = pd.read_csv(WAVES / "2022.csv", dtype=str, keep_default_na=False)
    verbatims = {v for c in ("worry_contact", "advice_contact", "internet_search", "lifestyle", "describe_1177")
                 for v in frame[c] if len(v) > 20}
    ids = set(frame["respondent_id"])
    assert len(verbatims) > 100 and len(ids) == 2001
    deck_text = "\n".join(all_text(prs))
    with pd.ExcelFile(result.tables) as book:
        cells = {str(v) for sheet in pd.read_excel(book, sheet_name=None, dtype=str).values() for v in sheet.to_numpy().ravel()}
    assert not [v for v in verbatims if v in deck_text]
    assert not verbatims & cells
    assert not [i for i in ids if i in deck_text]
    assert not ids & cells


def test_deck_crosstabs_take_the_slides_words_and_warn_instead_of_failing(shipped_designs, monkeypatch):
    """A slide's crosstab is titled and worded as the slide was rendered; a slide whose crosstab fails only warns."""
    from pipeline import crosstab
    from pipeline.content import SlideContent
    from pipeline.errors import ConfigError
    from pipeline.report import deck_crosstabs, plan_run

    plan = plan_run(CONFIG, WAVES)
    slides = [SlideContent(id="S28", layout="chart", title="Rendered title", question="Rendered question")]
    sheets, warnings = deck_crosstabs(plan, shipped_designs, slides)
    assert warnings == [] and [x.title for x in sheets["S28"]] == ["Rendered title"]
    assert sheets["S28"][0].question == "Rendered question"
    assert [c.label for c in sheets["S28"][0].columns][:3] == ["Totalt 2022", "Man", "Kvinna"]

    def broken(*args, **kwargs):
        raise ConfigError("deck.yaml slide S28: something the crosstab cannot do")

    monkeypatch.setattr(crosstab, "slide_crosstabs", broken)
    sheets, warnings = deck_crosstabs(plan, shipped_designs, slides)
    assert sheets == {}
    assert warnings == ["slide S28: no crosstab sheet in the tables (deck.yaml slide S28: something the crosstab cannot do); "
                        "its figures are in the long sheet"]


# --------------------------------------------------------------------------- which survey a command reads


def _survey(root: Path, name: str) -> None:
    (root / "config" / name).mkdir(parents=True)
    (root / "config" / name / "survey.yaml").write_text("survey: {name: {sv: x, en: x}}\n", encoding="utf-8")


def test_config_folder_picks_the_named_survey_the_only_one_or_refuses_to_guess(tmp_path, monkeypatch):
    """--survey NAME is config/NAME; with one survey in config/ it is that one; with two, a one-line error lists them."""
    from pipeline.errors import ConfigError
    from pipeline.report import config_folder

    monkeypatch.chdir(tmp_path)
    _survey(tmp_path, "alpha")
    assert config_folder(None, None) == Path("config/alpha")
    _survey(tmp_path, "beta")
    assert config_folder(None, "beta") == Path("config/beta")
    assert config_folder(Path("elsewhere"), "beta") == Path("elsewhere")  # --config wins
    with pytest.raises(ConfigError, match=r"config/ holds 2 surveys \(alpha, beta\): choose one with --survey NAME"):
        config_folder(None, None)
    refused = r"--survey alpah: no config/alpah/survey.yaml \(did you mean 'alpha'\?\); the surveys in config/ are: alpha, beta"
    with pytest.raises(ConfigError, match=refused):
        config_folder(None, "alpah")


def test_config_folder_holding_survey_yaml_is_one_survey(tmp_path, monkeypatch):
    """The one-survey layout (config/survey.yaml) still works without --survey."""
    from pipeline.report import config_folder

    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "survey.yaml").write_text("survey: {name: {sv: x, en: x}}\n", encoding="utf-8")
    assert config_folder(None, None) == Path("config")


def test_the_repository_ships_two_surveys_and_the_cli_names_them(tmp_path):
    """Without --survey in the repository, the command says which surveys there are (exit 1, one line)."""
    env = {k: v for k, v in os.environ.items() if k not in ("SURVEY_DECK_SURVEY", "SURVEY_DECK_CONFIG")}
    done = subprocess.run([sys.executable, "-m", "pipeline", "validate"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip() == ("Error: config/ holds 2 surveys (1177, hus): choose one with --survey NAME, e.g. --survey 1177 "
                                   "(or --config DIR, or set SURVEY_DECK_SURVEY)")
