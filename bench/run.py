"""Benchmarks of survey-deck (`make bench`): one table of measurements with targets.

Rows (issue 7):

(a) the default deck end to end: ``run_report`` on ``config/`` + ``data/waves`` into a fresh
    output folder with ``force=True`` (no manifest, no chart cache), in a fresh Python process;
    the time is the process's wall time (interpreter start and imports included).
(e) the floor, measured in the same run and interleaved with (a): ``bench/floor.py`` draws as
    many charts of the same sizes at 300 dpi in the same number of processes and puts them into
    a pptx, with no statistics. (a)/(e) is the overhead ratio (target ≤ 1.5).
(b) the report on a synthetic 1,000,000-respondent 2022 wave (``bench/data1m.py``: the shipped
    2022 rows resampled with a seeded generator, written as Parquet next to copies of the older
    waves): wall time (≤ 15 s) and peak RSS (≤ 2 GiB; ``os.wait4`` rusage of the child, i.e. the
    largest of the report process and its reaped chart workers).
(c) raking 1,000,000 respondents on sex and age group with ``pipeline.weight.weight_wave`` (same
    respondents as (b)); with ``Rscript`` and the ``survey`` package, R ``survey::rake`` on the
    same data (``bench/rake.R``; only the ``rake()`` call is timed) and the largest absolute
    weight difference.
(d) chart rendering per kind: the first spec of each kind from the real deck, rendered in this
    process after one warm-up render (best of --repeat).
(f) a second run with unchanged inputs into the same folder (no force): the CLI process
    ``survey-deck report`` (target ≤ 1 s) and the ``run_report`` call alone.
(g) ``survey-deck --help`` wall time in a fresh process (target ≤ 0.5 s).
(p) the patient-feedback deck (``config/hus``) from its five full sample waves (about 2.5 million ratings, drawn
    first by ``survey-deck synth --survey hus``, not timed), end to end in a fresh process (target ≤ 10 s), and its
    peak memory (target ≤ 2 GiB); the stages' times and the report process's peak memory after each stage.
(n) the deck with native PowerPoint charts (``--charts native``) end to end, as (a) (target ≤ 1.5 s), and
(h) its floor, measured interleaved with (n): ``bench/floor_native.py`` writes as many native charts of the
    same sizes with plain python-pptx, no statistics; (n)/(h) is shown beside (a)/(e).

Times are the best of ``--repeat`` runs (the machine is shared, so the minimum is the
least noisy estimate); every run is listed under the table. The script always exits 0:
it is a report, and the last line says how many targets passed.

    make bench                       # everything (1M rows: about a minute or more)
    .venv/bin/python bench/run.py --quick      # one repeat, no 1M rows, no R
    .venv/bin/python bench/run.py --skip-1m --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
PYTHON = sys.executable
CLI = str(Path(PYTHON).with_name("survey-deck"))
GIB = 1024**3

sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO))

REPORT_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from pipeline.report import run_report
imported = time.perf_counter() - t0
config, data, out, force, jobs, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1", int(sys.argv[5]), int(sys.argv[6])
charts = sys.argv[7] if len(sys.argv) > 7 else None
results = []
for _ in range(runs):
    t = time.perf_counter()
    r = run_report(Path(config), Path(data), out_dir=Path(out), force=force, jobs=jobs, charts=charts)
    results.append({"seconds": time.perf_counter() - t, "timings": r.timings, "up_to_date": r.up_to_date,
                    "slides": r.slides, "rendered": r.rendered, "memory": getattr(r, "memory", {})})
print("BENCH-JSON " + json.dumps({"import_seconds": imported, "runs": results}))
"""


# --------------------------------------------------------------------------- plumbing


@dataclass
class Child:
    wall: float
    maxrss: int  # bytes
    rc: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        for line in self.stdout.splitlines():
            if line.startswith("BENCH-JSON "):
                return json.loads(line[len("BENCH-JSON "):])
        raise RuntimeError(f"child printed no result (exit {self.rc}):\n{self.stderr[-2000:]}")


def run_child(argv: list[str], cwd: Path = REPO) -> Child:
    """Run ``argv``; return its wall time and the peak RSS of it and its reaped descendants."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Child(wall, usage.ru_maxrss * 1024, proc.returncode, out.read().decode(errors="replace"),
                     err.read().decode(errors="replace"))


def report_child(data: Path, out: Path, force: bool, jobs: int, runs: int = 1, charts: str | None = None,
                 config: Path = REPO / "config" / "1177") -> Child:
    argv = [PYTHON, "-c", REPORT_CHILD, str(config), str(data), str(out), "1" if force else "0", str(jobs), str(runs)]
    argv += [charts] if charts else []
    child = run_child(argv)
    if child.rc != 0:
        raise RuntimeError(f"report failed (exit {child.rc}):\n{child.stderr[-3000:]}")
    return child


@dataclass
class Row:
    key: str
    what: str
    value: float | None  # seconds, bytes or a ratio
    unit: str = "s"  # s, GiB, x
    target: float | None = None
    note: str = ""
    runs: list[float] = field(default_factory=list)
    short: str = ""  # name in the summary line

    @property
    def status(self) -> str:
        if self.value is None:
            return "n/a"
        if self.target is None:
            return "info"
        return "PASS" if self.value <= self.target else "FAIL"

    def fmt(self, v: float | None) -> str:
        if v is None:
            return "—"
        if self.unit == "GiB":
            return f"{v / GIB:.2f} GiB"
        if self.unit == "x":
            return f"{v:.2f}×"
        if self.unit == "e":
            return f"{v:.1e}"
        return f"{v:.3f} s" if v < 10 else f"{v:.1f} s"

    def target_text(self) -> str:
        if self.target is None:
            return "—"
        return "≤ " + (f"{self.target / GIB:g} GiB" if self.unit == "GiB" else f"{self.target:g}×" if self.unit == "x"
                       else f"{self.target:g} s")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def best(values: list[float]) -> float:
    return min(values)


# --------------------------------------------------------------------------- measurements


def measure_help(repeat: int) -> Row:
    walls = []
    for _ in range(repeat):
        child = run_child([CLI, "--help"])
        if child.rc != 0:
            return Row("g", "survey-deck --help (fresh process)", None, note=f"exit {child.rc}: {child.stderr.strip()[:200]}")
        walls.append(child.wall)
    return Row("g", "survey-deck --help (fresh process)", best(walls), target=0.5, runs=walls, short="--help")


def deck_specs():
    """The chart specs of the default deck (in this process), in deck order."""
    from pipeline import deck
    from pipeline.config import load_project
    from pipeline.load import discover_waves, load_wave
    from pipeline.slides import build_presentation
    from pipeline.weight import weight_wave

    project = load_project(REPO / "config" / "1177")
    available = discover_waves(project.waves_dir)
    designs = {y: weight_wave(project, load_wave(project, y, p)) for y, p in sorted(available.items())}
    wave = max(designs)
    areas = deck.chart_areas(project.path(project.deck.template), project.deck.layouts)
    pres = build_presentation(project, designs, wave, project.survey.report.lang, areas)
    return project, designs, [c.spec for s in pres.slides for c in s.charts]


def measure_deck_and_floor(work: Path, specs, jobs: int, repeat: int) -> tuple[Row, Row, Row, dict]:
    sizes = ",".join(f"{s.width:g}x{s.height:g}" for s in specs)
    deck_walls, floor_walls, inner, stages = [], [], [], []
    for i in range(repeat):  # interleaved, so drift in the machine's load hits both alike
        out = work / f"deck-{i}"
        child = report_child(REPO / "data" / "1177" / "waves", out, force=True, jobs=jobs)
        result = child.json()
        deck_walls.append(child.wall)
        inner.append(result["runs"][0]["seconds"])
        stages.append(result["runs"][0]["timings"])
        shutil.rmtree(out, ignore_errors=True)
        floor_out = work / f"floor-{i}"
        fl = run_child([PYTHON, str(BENCH / "floor.py"), str(floor_out), "--sizes", sizes, "--jobs", str(jobs)])
        if fl.rc != 0:
            raise RuntimeError(f"floor failed: {fl.stderr[-2000:]}")
        floor_walls.append(fl.wall)
        shutil.rmtree(floor_out, ignore_errors=True)
    a = Row("a", f"default deck end to end ({len(specs)} charts, force, fresh process)", best(deck_walls), target=None,
            runs=deck_walls, note=f"run_report() alone {best(inner):.2f} s")
    e = Row("e", f"floor: {len(specs)} charts @300 dpi + pptx, {jobs} processes", best(floor_walls), runs=floor_walls)
    ratio = Row("a/e", "deck / floor", a.value / e.value, unit="x", target=1.5, short="deck/floor")
    fastest = stages[deck_walls.index(min(deck_walls))]
    return a, e, ratio, fastest


def measure_native_and_floor(work: Path, specs, jobs: int, repeat: int) -> tuple[Row, Row, Row, dict]:
    """(n) the deck with native charts end to end (target ≤ 1.5 s) and (h) its floor: as many native charts of the same
    sizes written by a plain python-pptx script (bench/floor_native.py); interleaved like (a) and (e)."""
    sizes = ",".join(f"{s.width:g}x{s.height:g}" for s in specs)
    deck_walls, floor_walls, inner, stages = [], [], [], []
    for i in range(repeat):
        out = work / f"native-{i}"
        child = report_child(REPO / "data" / "1177" / "waves", out, force=True, jobs=jobs, charts="native")
        result = child.json()
        deck_walls.append(child.wall)
        inner.append(result["runs"][0]["seconds"])
        stages.append(result["runs"][0]["timings"])
        shutil.rmtree(out, ignore_errors=True)
        floor_out = work / f"floor-native-{i}"
        fl = run_child([PYTHON, str(BENCH / "floor_native.py"), str(floor_out), "--sizes", sizes])
        if fl.rc != 0:
            raise RuntimeError(f"native floor failed: {fl.stderr[-2000:]}")
        floor_walls.append(fl.wall)
        shutil.rmtree(floor_out, ignore_errors=True)
    n = Row("n", f"native-chart deck end to end ({len(specs)} charts, --charts native, force, fresh process)", best(deck_walls),
            target=1.5, runs=deck_walls, note=f"run_report() alone {best(inner):.2f} s", short="native deck")
    h = Row("h", f"floor: {len(specs)} native charts by plain python-pptx, no statistics", best(floor_walls), runs=floor_walls)
    ratio = Row("n/h", "native deck / native floor", n.value / h.value, unit="x", short="native/floor")
    fastest = stages[deck_walls.index(min(deck_walls))]
    return n, h, ratio, fastest


def measure_patient(work: Path, jobs: int, repeat: int) -> tuple[list[Row], list[str]]:
    """(p) the patient-feedback deck (config/hus) from its five full sample waves, about 2.5 million ratings, end to end in
    a fresh process (≤ 10 s) and its peak memory with the chart workers' (≤ 2 GiB); the stages' times and the report
    process's peak memory at the end of each stage of the fastest run. The waves are drawn first, not timed."""
    data = work / "hus-waves"
    drawn = run_child([CLI, "synth", "--survey", "hus", "--out", str(data)])
    if drawn.rc != 0:
        raise RuntimeError(f"synth --survey hus failed: {drawn.stderr[-2000:]}")
    import pyarrow.parquet as pq

    ratings = sum(pq.ParquetFile(p).metadata.num_rows for p in data.glob("*.parquet"))
    walls, peaks, runs = [], [], []
    for i in range(repeat):
        out = work / f"hus-{i}"
        child = report_child(data, out, force=True, jobs=jobs, config=REPO / "config" / "hus")
        walls.append(child.wall)
        peaks.append(child.maxrss)
        runs.append(child.json()["runs"][0])
        shutil.rmtree(out, ignore_errors=True)
    fastest = runs[walls.index(min(walls))]
    t = Row("p", f"patient deck end to end ({ratings:,} ratings, 5 waves, config/hus, fresh process)", best(walls), target=10.0,
            runs=walls, note=f"run_report() alone {min(r['seconds'] for r in runs):.2f} s", short="patient deck 2.5M")
    m = Row("p'", "patient deck: peak memory (largest process)", max(peaks), unit="GiB", target=2 * GIB, runs=peaks,
            short="patient deck memory")
    details = ["(p) stages of the fastest run (s): " + ", ".join(f"{k} {v:.2f}" for k, v in fastest["timings"].items())]
    if fastest.get("memory"):
        details.append("(p) report process's peak memory at the end of each stage (MiB): "
                       + ", ".join(f"{k} {v:.0f}" for k, v in fastest["memory"].items()))
    return [t, m], details


def measure_rerun(work: Path, jobs: int, repeat: int) -> tuple[Row, Row]:
    out = work / "rerun"
    notes = []
    inner = None
    for attempt in range(3):  # a concurrent edit of pipeline/*.py changes the code hash: build again
        result = report_child(REPO / "data" / "1177" / "waves", out, force=False, jobs=jobs, runs=2).json()
        second = result["runs"][1]
        if second["up_to_date"]:
            inner = second["seconds"]
            break
        notes.append("second run was not up to date (code changed meanwhile?)")
    walls = []
    for _ in range(repeat):
        # same spelling of the paths as the first run: the manifest's input key includes the wave files' paths
        child = run_child([CLI, "report", "--config", str(REPO / "config" / "1177"), "--data", str(REPO / "data" / "1177" / "waves"),
                           "--out", str(out), "--jobs", str(jobs)])
        if "Up to date" not in child.stdout:
            notes.append("CLI rerun rebuilt (inputs or code changed meanwhile)")
        walls.append(child.wall)
    cli = Row("f", "second run, unchanged inputs: `survey-deck report` process", best(walls), target=1.0, runs=walls,
              note="; ".join(dict.fromkeys(notes)), short="unchanged rerun (CLI)")
    call = Row("f'", "second run, unchanged inputs: run_report() call only", inner, target=1.0, short="unchanged rerun (call)")
    shutil.rmtree(out, ignore_errors=True)
    return cli, call


def measure_chart_kinds(work: Path, specs, repeat: int) -> list[Row]:
    from pipeline import charts

    first: dict[str, object] = {}
    count: dict[str, int] = {}
    for s in specs:
        first.setdefault(s.kind, s)
        count[s.kind] = count.get(s.kind, 0) + 1
    out = work / "kinds"
    out.mkdir(parents=True, exist_ok=True)
    charts.render(specs[0], out / "warmup.png")  # imports matplotlib, builds the font cache
    rows = []
    for kind, spec in first.items():
        times = []
        for i in range(repeat):
            t = time.perf_counter()
            charts.render(spec, out / f"{kind}-{i}.png")
            times.append(time.perf_counter() - t)
        rows.append(Row("d", f"chart {kind} ({spec.width:g}×{spec.height:g} in, {count[kind]} in deck)", best(times), runs=times))
    shutil.rmtree(out, ignore_errors=True)
    return rows


def big_wave(project, designs, n: int):
    """The 1M respondents' sex and age group, the same rows as bench/data1m.py's 2022 wave, as a Wave."""
    import numpy as np
    import pandas as pd
    from data1m import sample_rows

    from pipeline.load import Wave

    small = designs[2022].frame
    rows = sample_rows(len(small), n)
    frame = pd.DataFrame({
        "respondent_id": np.arange(50_000_000, 50_000_000 + n).astype(str),
        "sex": pd.Categorical.from_codes(small["sex"].cat.codes.to_numpy()[rows], categories=small["sex"].cat.categories),
        "age_group": pd.Categorical.from_codes(small["age_group"].cat.codes.to_numpy()[rows],
                                               categories=small["age_group"].cat.categories),
        "design_weight": np.ones(n),
    })
    return Wave(year=2022, path=Path(f"<{n} resampled respondents>"), sha256="", frame=frame)


def measure_rake(work: Path, project, designs, n: int, repeat: int, use_r: bool) -> list[Row]:
    import numpy as np

    from pipeline.weight import weight_wave

    wave = big_wave(project, designs, n)
    times = []
    for _ in range(max(repeat, 1)):
        t = time.perf_counter()
        design = weight_wave(project, wave)
        times.append(time.perf_counter() - t)
    d = design.diagnostics
    rows = [Row("c", f"rake {n:,} respondents on sex + age_group (pipeline.weight)", best(times), runs=times,
                note=f"{d.iterations} sweeps, gap {d.max_margin_gap:.1e}")]
    if not use_r:
        rows.append(Row("c", "R survey::rake, same data", None, note="skipped (--skip-r/--quick)"))
        return rows
    rscript = shutil.which("Rscript")
    if rscript is None or subprocess.run([rscript, "-e", "quit(status = !requireNamespace('survey', quietly = TRUE))"],
                                          capture_output=True).returncode != 0:
        rows.append(Row("c", "R survey::rake, same data", None, note="R not installed (Rscript with the survey package)"))
        return rows
    import pandas as pd

    resp = work / "rake-respondents.csv"
    margins = work / "rake-margins.csv"
    weights_bin = work / "rake-weights.bin"
    wave.frame[["sex", "age_group"]].to_csv(resp, index=False)
    pd.DataFrame([(v, c, s * n) for v, c, s in design.targets], columns=["variable", "category", "total"]).to_csv(
        margins, index=False, float_format="%.17g")
    tolerance = project.survey.weighting.tolerance
    child = run_child([rscript, str(BENCH / "rake.R"), str(resp), str(margins), str(weights_bin), repr(tolerance),
                       str(project.survey.weighting.max_iterations)])
    line = next((l for l in child.stdout.splitlines() if l.startswith("design_seconds=")), None)
    if child.rc != 0 or line is None:
        rows.append(Row("c", "R survey::rake, same data", None, note=f"Rscript failed: {child.stderr.strip()[-300:]}"))
        return rows
    info = dict(item.split("=", 1) for item in line.split())
    w_r = np.fromfile(weights_bin, dtype="<f8")
    diff = float(np.max(np.abs(w_r - design.weights)))
    rows.append(Row("c", f"R survey::rake, same data (survey {info['survey']}, rake() call only)", float(info["rake_seconds"]),
                    note=f"svydesign() {float(info['design_seconds']):.2f} s, Rscript process {child.wall:.1f} s"))
    rows.append(Row("c", "max |weight Python − weight R|", diff, unit="e",
                    note=f"weights {float(design.weights.min()):.4f}–{float(design.weights.max()):.4f}, R epsilon {tolerance:g}"))
    for p in (resp, margins, weights_bin):
        p.unlink(missing_ok=True)
    return rows


def measure_1m(work: Path, data: Path, n: int, jobs: int, repeat: int) -> tuple[Row, Row, dict]:
    walls, rss, stages = [], [], []
    for i in range(repeat):
        out = work / f"big-{i}"
        child = report_child(data, out, force=True, jobs=jobs)
        result = child.json()
        walls.append(child.wall)
        rss.append(child.maxrss)
        stages.append(dict(result["runs"][0]["timings"], run_report=result["runs"][0]["seconds"]))
        shutil.rmtree(out, ignore_errors=True)
    k = walls.index(min(walls))
    t = Row("b", f"report on a {n:,}-respondent wave (Parquet), fresh process", walls[k], target=15.0, runs=walls,
            short=f"{n:,} report time")
    m = Row("b", f"report on a {n:,}-respondent wave: peak RSS", min(rss), unit="GiB", target=2 * GIB,
            note="largest of the report process and its chart workers", short=f"{n:,} peak RSS")
    return t, m, stages[k]


# --------------------------------------------------------------------------- main


def print_table(rows: list[Row], header: str) -> None:
    cols = [("", 4), ("what", 74), ("measured", 11), ("target", 9), ("result", 6)]
    line = "  ".join(f"{name:<{w}}" for name, w in cols)
    print(header)
    print(line)
    print("-" * len(line))
    for r in rows:
        what = r.what if len(r.what) <= 74 else r.what[:73] + "…"
        print(f"{r.key:<4}  {what:<74}  {r.fmt(r.value):>11}  {r.target_text():<9}  {r.status:<6}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description="survey-deck benchmarks: deck vs floor, 1,000,000 respondents (time, memory), raking vs R, "
                    "charts per kind, rerun and --help. Prints one table; always exits 0.",
        epilog="Targets: deck/floor ≤ 1.5×, native deck ≤ 1.5 s, patient deck (2.5M ratings) ≤ 10 s and ≤ 2 GiB, 1M report ≤ 15 s "
               "and ≤ 2 GiB, unchanged rerun ≤ 1 s, --help ≤ 0.5 s.",
    )
    parser.add_argument("--quick", action="store_true", help="one repeat, no 1M-respondent runs, no R")
    parser.add_argument("--skip-1m", action="store_true", help="skip the 1,000,000-respondent report and raking (b, c)")
    parser.add_argument("--skip-r", action="store_true", help="do not run R survey::rake for comparison")
    parser.add_argument("--repeat", type=int, default=3, metavar="N", help="runs per measurement, best is shown (default 3)")
    parser.add_argument("--repeat-1m", type=int, default=1, metavar="N", help="runs of the 1M report (default 1)")
    parser.add_argument("--n", type=int, default=1_000_000, help="respondents in the big wave (default 1,000,000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="processes for chart rendering, report and floor alike (default: all cores)")
    parser.add_argument("--work", type=Path, help="work folder to use and keep (default: a temporary folder, removed)")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON to this file")
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.skip_1m, args.skip_r = 1, True, True
    repeat = max(1, args.repeat)

    work = args.work or Path(tempfile.mkdtemp(prefix="survey-deck-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    details: list[str] = []
    started = time.perf_counter()
    try:
        say("bench: --help …")
        rows.append(measure_help(repeat))
        say("bench: building the default deck's chart specs …")
        project, designs, specs = deck_specs()
        say(f"bench: default deck vs floor ({repeat}× each, interleaved) …")
        a, e, ratio, stages_a = measure_deck_and_floor(work, specs, args.jobs, repeat)
        rows[:0] = [a, e, ratio]
        details.append("(a) stages of the fastest run (s): " + ", ".join(f"{k} {v:.2f}" for k, v in stages_a.items()))
        say(f"bench: native-chart deck vs native floor ({repeat}× each, interleaved) …")
        n, h, native_ratio, stages_n = measure_native_and_floor(work, specs, args.jobs, repeat)
        rows[3:3] = [n, h, native_ratio]
        details.append("(n) stages of the fastest run (s): " + ", ".join(f"{k} {v:.2f}" for k, v in stages_n.items()))
        say(f"bench: the patient-feedback deck from 2.5 million ratings ({repeat}×) …")
        patient, patient_details = measure_patient(work, args.jobs, repeat)
        rows.extend(patient)
        details.extend(patient_details)
        say("bench: second run with unchanged inputs …")
        rows.extend(measure_rerun(work, args.jobs, repeat))
        say("bench: chart kinds …")
        rows.extend(measure_chart_kinds(work, specs, repeat))
        if args.skip_1m:
            rows.append(Row("b", f"report on a {args.n:,}-respondent wave", None, note="skipped (--skip-1m/--quick)"))
            rows.append(Row("c", f"rake {args.n:,} respondents", None, note="skipped (--skip-1m/--quick)"))
        else:
            say(f"bench: raking {args.n:,} respondents …")
            rows.extend(measure_rake(work, project, designs, args.n, repeat, not args.skip_r))
            say(f"bench: writing the {args.n:,}-respondent wave (not timed) …")
            from data1m import make_big_data_dir

            data = make_big_data_dir(work / "data-1m", args.n)
            say(f"bench: report on {args.n:,} respondents ({args.repeat_1m}×) …")
            t, m, stages_b = measure_1m(work, data, args.n, args.jobs, max(1, args.repeat_1m))
            rows.extend([t, m])
            details.append("(b) stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in stages_b.items()))
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)

    order = {"a": 0, "e": 1, "a/e": 2, "n": 2.1, "h": 2.2, "n/h": 2.3, "p": 2.4, "p'": 2.5, "b": 3, "c": 4, "d": 5, "f": 6, "f'": 7, "g": 8}
    rows.sort(key=lambda r: order.get(r.key, 99))
    print()
    print_table(rows, f"survey-deck bench — {platform.python_implementation()} {platform.python_version()}, "
                      f"{os.cpu_count()} cores, {args.jobs} chart processes, best of {repeat}"
                      f"{'' if args.skip_1m else f' (1M report: best of {max(1, args.repeat_1m)})'}")
    print()
    for r in rows:
        extra = []
        if len(r.runs) > 1:
            extra.append("runs " + ", ".join(r.fmt(v) for v in r.runs))
        if r.note:
            extra.append(r.note)
        if extra:
            print(f"  {r.key:<4} {r.what[:60]}: " + "; ".join(extra))
    for d in details:
        print("  " + d)
    judged = [r for r in rows if r.status in ("PASS", "FAIL")]
    failed = [r for r in judged if r.status == "FAIL"]
    print()
    if args.json:
        args.json.write_text(json.dumps([{"key": r.key, "what": r.what, "value": r.value, "unit": r.unit, "target": r.target,
                                          "status": r.status, "runs": r.runs, "note": r.note} for r in rows], indent=2))
    summary = f"SUMMARY: {len(judged) - len(failed)}/{len(judged)} targets met"
    if failed:
        summary += "; FAIL: " + ", ".join(f"({r.key}) {r.short or r.what} {r.fmt(r.value)} > {r.target_text()[2:]}" for r in failed)
    print(summary + f"  [bench took {time.perf_counter() - started:.0f} s]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
