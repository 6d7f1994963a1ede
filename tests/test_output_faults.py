"""Faults of the machine and the world while writing: all outputs replaced together or not at all,
nothing written or deleted through a link, one run per folder, clean-up after kills, one line per fault."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import CONFIG, REPO, WAVES

from pipeline.errors import OutputError
from pipeline.outputs import TMP_SUFFIX, OutputSet, folder_lock, remove_stale, temporary_file
from pipeline.report import intact_png, run_report

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "pipeline"]
ENV = {"CI": "true", "PATH": "/usr/bin:/bin", "HOME": "/tmp"}


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every visible output file (not the cache) and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


def litter(folder: Path) -> list[str]:
    """Temporary or backup names left anywhere below ``folder`` (the cache included)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.name.endswith(TMP_SUFFIX) or ".tmp" in p.name or ".old" in p.name or p.name.endswith(".part"))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A finished report in an output folder of its own (copied per test)."""
    root = tmp_path_factory.mktemp("built")
    out = root / "out"
    run_report(CONFIG, WAVES, out_dir=out, jobs=2)
    return out


@pytest.fixture
def out(built, tmp_path):
    target = tmp_path / "out"
    shutil.copytree(built, target, symlinks=True)
    return target


def run_cli(*args: str, out: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "report", "--survey", "1177", "--data", str(WAVES), "--out", str(out), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, env=ENV)


def one_error_line(done: subprocess.CompletedProcess) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in done.stderr, done.stderr
    return lines[0]


def test_a_failed_replacement_restores_every_output_already_replaced(out, monkeypatch):
    """The deck cannot be replaced (locked on a share): the xlsx and charts already swapped are put back; no litter."""
    before = snapshot(out)
    real_rename = os.rename

    def locked(src, dst, *a, **k):  # the locked deck cannot be moved aside
        if str(src).endswith(".pptx"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_rename(src, dst, *a, **k)

    monkeypatch.setattr(os, "rename", locked)
    with pytest.raises(OutputError) as info:
        run_report(CONFIG, WAVES, out_dir=out, force=True, jobs=1)
    message = str(info.value)
    assert ".pptx" in message and "Permission denied" in message and "close the file" in message and "None" not in message
    assert snapshot(out) == before
    assert litter(out) == []


@pytest.mark.parametrize("failing", ["1177-2022.xlsx", "1177-2022-charts", "1177-2022.manifest.json"])
def test_each_output_is_restored_when_a_later_or_earlier_one_fails(tmp_path, failing, monkeypatch):
    """OutputSet.commit: whichever output fails to move, every one is as before and nothing is left over."""
    folder = tmp_path / "o"
    folder.mkdir()
    names = ["1177-2022.pptx", "1177-2022.xlsx", "1177-2022-charts", "1177-2022.manifest.json"]
    for name in names:
        if name.endswith("charts"):
            (folder / name).mkdir()
            (folder / name / "S13.png").write_bytes(b"old chart")
        else:
            (folder / name).write_bytes(b"old " + name.encode())
    before = {p.name: (p.read_bytes() if p.is_file() else (p / "S13.png").read_bytes()) for p in folder.iterdir()}
    outputs = OutputSet(folder)
    for name in names:
        if name.endswith("charts"):
            (outputs.directory(name) / "S13.png").write_bytes(b"new chart")
        else:
            outputs.file(name).write_bytes(b"new")
    real_rename = os.rename

    def refuse(src, dst, *a, **k):  # the new output cannot be moved in (the old one can be put back)
        if Path(dst).name == failing and ".old." not in Path(src).name:
            raise OSError(errno.EBUSY, "Device or resource busy")
        return real_rename(src, dst, *a, **k)

    monkeypatch.setattr(os, "rename", refuse)
    with pytest.raises(OutputError):
        outputs.commit()
    monkeypatch.setattr(os, "rename", real_rename)
    outputs.discard()
    after = {p.name: (p.read_bytes() if p.is_file() else (p / "S13.png").read_bytes()) for p in folder.iterdir()}
    assert after == before


def test_full_disk_is_one_line_and_leaves_the_outputs(out, monkeypatch):
    """ENOSPC while the tables are written: one OutputError saying to free disk space; outputs and folder unchanged."""
    before = snapshot(out)
    import pipeline.export as export

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export, "write_tables", full)
    with pytest.raises(OutputError, match="free disk space"):
        run_report(CONFIG, WAVES, out_dir=out, force=True, jobs=1)
    assert snapshot(out) == before
    assert litter(out) == []


def test_full_disk_on_a_real_small_filesystem(tmp_path):
    """On a 2 MB tmpfs (root only) the CLI says to free disk space, exit 1, and leaves no litter."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")
    try:
        result = run_cli(out=mount_point / "out")
        assert result.returncode == 1, result.stderr
        assert "free disk space" in one_error_line(result)
        assert litter(mount_point / "out") == []
        assert not list((mount_point / "out").glob("*.pptx"))
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def test_an_immutable_deck_fails_cleanly(out):
    """A deck that cannot be replaced (chattr +i, root only): exit 1, one line, every output as before, no litter."""
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        pytest.skip("chattr +i needs root and e2fsprogs (CI runs as root)")
    deck = out / "1177-2022.pptx"
    done = subprocess.run(["chattr", "+i", str(deck)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"this filesystem does not support immutable files ({done.stderr.strip()})")
    try:
        before = snapshot(out)
        result = run_cli("--force", out=out)
        assert result.returncode == 1
        assert "1177-2022.pptx" in one_error_line(result)
        assert snapshot(out) == before
        assert litter(out) == []
    finally:
        subprocess.run(["chattr", "-i", str(deck)], check=False)


def test_links_in_the_output_folder_are_replaced_not_written_through(out, tmp_path):
    """Outputs that are links to files elsewhere: the links are replaced, the files they pointed to stay as they were."""
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("precious")
    (outside / "dir").mkdir()
    (outside / "dir" / "keep.png").write_bytes(b"keep")
    for name in ("1177-2022.pptx", "1177-2022.xlsx", "1177-2022.manifest.json"):
        (out / name).unlink()
        (out / name).symlink_to(victim)
    shutil.rmtree(out / "1177-2022-charts")
    (out / "1177-2022-charts").symlink_to(outside / "dir")
    run_report(CONFIG, WAVES, out_dir=out, force=True, jobs=1)
    assert victim.read_text() == "precious"
    assert (outside / "dir" / "keep.png").read_bytes() == b"keep" and len(list((outside / "dir").iterdir())) == 1
    assert not (out / "1177-2022.pptx").is_symlink() and (out / "1177-2022.pptx").stat().st_size > 100_000
    assert litter(out) == []


def test_a_linked_cache_is_refused_and_its_target_untouched(out, tmp_path):
    """A .cache that is a link: one line saying to remove it; the PNGs it points to are not pruned."""
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "charts").mkdir(parents=True)
    for i in range(3):
        (elsewhere / "charts" / f"old{i}.png").write_bytes(b"png")
    shutil.rmtree(out / ".cache")
    (out / ".cache").symlink_to(elsewhere)
    before = snapshot(out)
    with pytest.raises(OutputError, match=r"\.cache.*not a link"):
        run_report(CONFIG, WAVES, out_dir=out, force=True, jobs=1)
    assert sorted(p.name for p in (elsewhere / "charts").iterdir()) == ["old0.png", "old1.png", "old2.png"]
    assert snapshot(out) == before


def test_temporary_files_have_unpredictable_names_and_are_never_links(tmp_path):
    """Two temporary files for the same output differ in name, are regular files and carry the stale-file suffix."""
    a, b = temporary_file(tmp_path, "x.pptx"), temporary_file(tmp_path, "x.pptx")
    assert a != b and a.name.endswith(TMP_SUFFIX) and not a.is_symlink() and a.is_file()
    assert oct(a.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_truncated_cached_chart_is_drawn_again(out):
    """A cut-off PNG in the chart cache is detected, dropped and rebuilt; the run succeeds."""
    cached = sorted((out / ".cache" / "charts").glob("*.png"))
    assert cached and all(intact_png(p) for p in cached)
    cached[0].write_bytes(cached[0].read_bytes()[:500])
    assert not intact_png(cached[0])
    result = run_report(CONFIG, WAVES, out_dir=out, force=True, jobs=1)
    assert result.rendered == 1
    assert intact_png(cached[0])


def test_a_second_run_on_the_same_folder_is_refused(out):
    """While one run holds the folder, a second CLI run says so in one line, exit 1, and changes nothing."""
    before = snapshot(out)
    with folder_lock(out):
        result = run_cli("--force", out=out)
    assert result.returncode == 1
    assert "another survey-deck run" in one_error_line(result)
    assert snapshot(out) == before


def test_stale_temporary_files_of_dead_runs_are_removed(out):
    """Files and folders with the temporary suffix left by a killed run are removed by the next run; links are not followed."""
    (out / f".1177-2022.pptx.abc{TMP_SUFFIX}").write_bytes(b"x" * 1000)
    (out / f".1177-2022-charts.def{TMP_SUFFIX}").mkdir()
    (out / ".cache" / "charts" / f".k.png.ghi{TMP_SUFFIX}").write_bytes(b"half")
    target = out.parent / "target"
    target.mkdir()
    (target / "f").write_text("keep")
    (out / f".link{TMP_SUFFIX}").symlink_to(target)
    run_report(CONFIG, WAVES, out_dir=out, jobs=1)  # up to date: nothing to build, but the folder is cleaned
    run_report(CONFIG, WAVES, out_dir=out, force=True, jobs=1)
    assert litter(out) == []
    assert (target / "f").read_text() == "keep"
    assert remove_stale(out) == []


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if text.encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _wait_for_work(out: Path) -> None:
    """Wait until a run is drawing charts: a temporary chart file has appeared in the cache (at most 2 minutes)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.rglob(f"*{TMP_SUFFIX}")):
        time.sleep(0.05)
    assert list(out.rglob(f"*{TMP_SUFFIX}")), "the run did not start drawing charts within 2 minutes"


def test_after_a_kill_the_workers_die_and_the_next_run_cleans_up(out):
    """SIGKILL during chart drawing: the chart workers end with their parent; the next run leaves no litter and the outputs whole."""
    shutil.rmtree(out / ".cache")
    before = snapshot(out)
    proc = subprocess.Popen([*CLI, "report", "--survey", "1177", "--data", str(WAVES), "--out", str(out), "--force", "--jobs", "2"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    _wait_for_work(out)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _processes_mentioning(str(out)):
        time.sleep(0.2)
    assert _processes_mentioning(str(out)) == []
    assert snapshot(out) == before
    run_report(CONFIG, WAVES, out_dir=out, jobs=1)
    assert litter(out) == []


def test_ctrl_c_prints_one_line_and_exits_130(out):
    """SIGINT during a run: 'Interrupted; the previous outputs are unchanged', exit 130, outputs as before, no litter."""
    shutil.rmtree(out / ".cache")
    before = snapshot(out)
    proc = subprocess.Popen([*CLI, "report", "--survey", "1177", "--data", str(WAVES), "--out", str(out), "--force", "--jobs", "1"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    _wait_for_work(out)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert err.strip() == "Interrupted; the previous outputs are unchanged."
    assert snapshot(out) == before
    assert litter(out) == []


def test_a_failed_run_removes_the_output_folder_it_made(tmp_path):
    """A bad wave and an output folder that did not exist: exit 1, one line, and no folder (nor .cache) left behind."""
    data = tmp_path / "waves"
    shutil.copytree(WAVES, data)
    (data / "2022.csv").write_text((data / "2022.csv").read_text(encoding="utf-8").replace(",1,", ",7,", 5), encoding="utf-8")
    out = tmp_path / "new" / "out"
    result = subprocess.run([*CLI, "report", "--data", str(data), "--out", str(out)], cwd=REPO, capture_output=True, text=True,
                            timeout=300, env=ENV)
    assert result.returncode == 1
    one_error_line(result)
    assert not out.exists()
