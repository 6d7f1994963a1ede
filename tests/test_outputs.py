"""Nothing is lost: a failed or interrupted run leaves the previous outputs byte for byte and no partial files."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest
from helpers import CONFIG, REPO, WAVES

from pipeline.errors import PipelineError
from pipeline.outputs import normalize_zip, safe_name
from pipeline.report import run_report

pytestmark = pytest.mark.slow


def snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    root = tmp_path_factory.mktemp("keep")
    data = root / "waves"
    shutil.copytree(WAVES, data)
    out = root / "out"
    run_report(CONFIG, data, out_dir=out, jobs=2)
    return data, out, snapshot(out)


def test_bad_wave_leaves_previous_outputs_untouched(previous):
    """The CLI refuses a broken wave with exit 1; the output folder is byte-identical afterwards."""
    data, out, before = previous
    good = (data / "2022.csv").read_bytes()
    frame = pd.read_csv(data / "2022.csv", dtype=str, keep_default_na=False)
    frame.loc[frame.index[:3], "sex"] = "X"
    frame.to_csv(data / "2022.csv", index=False)
    try:
        done = subprocess.run([sys.executable, "-m", "pipeline", "report", "--survey", "1177", "--data", str(data), "--out", str(out)],
                              cwd=REPO, capture_output=True, text=True, timeout=300, env={"CI": "true", "PATH": "/usr/bin:/bin"})
    finally:
        (data / "2022.csv").write_bytes(good)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("Error: ") and "sex" in done.stderr and "Traceback" not in done.stderr
    assert snapshot(out) == before


@pytest.mark.parametrize("failure", [OSError, KeyboardInterrupt])
def test_failure_while_writing_the_deck_leaves_no_partial_files(previous, monkeypatch, failure):
    """A crash or Ctrl-C after the tables were written and while the deck is written: nothing replaced, nothing left over."""
    data, out, before = previous
    from pipeline import deck as deck_stage

    real = deck_stage.DeckWriter.save

    def broken(self, path, title, lang):
        real(self, path, title, lang)  # the temporary deck is complete …
        path.write_bytes(path.read_bytes()[:1000])  # … then cut short
        raise failure("disk went away")

    monkeypatch.setattr(deck_stage.DeckWriter, "save", broken)
    # force: do the whole run although the inputs are unchanged
    with pytest.raises((failure, PipelineError)):
        run_report(CONFIG, data, out_dir=out, force=True, jobs=2)
    assert snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".") and p.name != ".cache"]


def test_output_names_cannot_leave_the_folder():
    for bad in ("../deck", "sub/deck", ".hidden", "", "a\\b"):
        with pytest.raises(PipelineError):
            safe_name(bad)
    assert safe_name("1177-2022") == "1177-2022"


def test_normalize_zip_fixes_timestamps_and_core_dates(tmp_path):
    """Two zips with the same entries but different times and save dates become identical bytes."""
    import time
    import zipfile

    core = '<cp:coreProperties><dcterms:created xsi:type="dcterms:W3CDTF">{t}</dcterms:created>' \
           '<dcterms:modified xsi:type="dcterms:W3CDTF">{t}</dcterms:modified></cp:coreProperties>'
    paths = []
    for i, stamp in enumerate(("2024-05-01T10:00:00Z", "2026-11-23T09:36:19Z")):
        p = tmp_path / f"{i}.xlsx"
        with zipfile.ZipFile(p, "w") as z:
            info = zipfile.ZipInfo("docProps/core.xml", date_time=time.localtime(1_600_000_000 + i * 86_400)[:6])
            z.writestr(info, core.format(t=stamp))
            z.writestr("xl/workbook.xml", "<workbook/>")
        normalize_zip(p)
        paths.append(p)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    with zipfile.ZipFile(paths[0]) as z:
        assert "2023-01-01T00:00:00Z" in z.read("docProps/core.xml").decode()


def test_output_file_is_checked_before_any_work(tmp_path):
    """An output file needs a known type and an existing folder that is a folder; the path must not be a folder."""
    from pipeline.outputs import check_output_file

    assert check_output_file(tmp_path / "t.csv", (".csv",)) == tmp_path / "t.csv"
    with pytest.raises(PipelineError, match=r"t\.txt: unsupported file type; use one of \.xlsx, \.csv"):
        check_output_file(tmp_path / "t.txt", (".xlsx", ".csv"))
    with pytest.raises(PipelineError, match=r"missing: folder does not exist; create it first or choose another with --out FILE"):
        check_output_file(tmp_path / "missing" / "t.csv", (".csv",))
    assert not (tmp_path / "missing").exists()
    (tmp_path / "blocker").write_text("a file", encoding="utf-8")
    with pytest.raises(PipelineError, match=r"blocker: output folder is a file, not a folder; choose another with --targets-out FILE"):
        check_output_file(tmp_path / "blocker" / "t.csv", (".csv",), "--targets-out FILE")
    (tmp_path / "w.csv").mkdir()
    with pytest.raises(PipelineError, match=r"w\.csv: cannot be written \(Is a directory\)"):
        check_output_file(tmp_path / "w.csv", (".csv",))


def test_output_set_commits_on_success_and_keeps_the_old_file_on_failure(tmp_path):
    """Used as a context manager, an OutputSet puts its files in place only if the block succeeds."""
    from pipeline.outputs import OutputSet

    with OutputSet(tmp_path) as outputs:
        outputs.write("a.txt", lambda p: p.write_text("new", encoding="utf-8"))
        assert not (tmp_path / "a.txt").exists()  # not before the commit
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "new"
    with pytest.raises(ZeroDivisionError), OutputSet(tmp_path) as outputs:
        outputs.write("a.txt", lambda p: p.write_text("half", encoding="utf-8"))
        raise ZeroDivisionError("the block fails before the commit")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]  # no temporary file left


def test_output_set_turns_an_os_error_into_one_line_naming_the_file(tmp_path):
    """A write that fails with an OS error (here: its temporary path is a folder) is an OutputError naming the file."""
    from pipeline.outputs import OutputSet

    def write(path):
        path.unlink()  # the temporary file exists already (created exclusively): put a folder in its place
        path.mkdir()
        path.write_text("x", encoding="utf-8")

    with pytest.raises(PipelineError, match=r"b\.csv: cannot be written \(Is a directory\)"), OutputSet(tmp_path) as outputs:
        outputs.write("b.csv", write)
    assert not (tmp_path / "b.csv").exists()
