"""The orchestration of every command: load → weight → metrics → charts → deck, with safe outputs.

One entry point per command, all built from the same stages:

* :func:`plan_run` settles what a run works on before any data is read: the
  config, the wave files, the report wave and the language (:class:`Plan`);
* :func:`load_waves`, :func:`weight_waves` and :func:`present` are the stages
  (wave files → weighted designs → every slide's content and tables);
* :func:`run_report`, :func:`run_tables`, :func:`run_weights`,
  :func:`run_validate` and :func:`run_synth` serve the commands of the same
  name; the CLI only parses arguments and prints what they return.

:func:`run_report` builds ``<name>.pptx`` (``name`` from survey.yaml, e.g.
``1177-2022``; ``-en`` is added for English), ``<name>.xlsx`` (the crosstab
workbook in the deck's language: a crosstab sheet per slide, every figure in one
filterable sheet, the weighting and a guide; :func:`write_deck_tables`),
``<name>-charts/`` (the chart images) and ``<name>.manifest.json`` (the audit
record: a hash per input and config file, the code's version and commit, the
command line, every package's version, the run time; ``SOURCE_DATE_EPOCH`` fixes
the time and leaves out what differs between runs, so reruns are byte-identical)
in the output folder. Everything is written to temporary files first and
moved into place only when the whole run succeeded.

A second run with unchanged inputs (wave files, config, template, code,
language) finds the manifest's input key unchanged and its outputs intact
and does no work. Chart images are cached by the content hash of their spec,
so a changed wave re-renders only the charts whose numbers changed.

This module imports no pandas at import time: ``--help`` and the up-to-date
check of an unchanged rerun stay quick.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import shutil
import stat
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from pipeline.errors import ConfigError, DataError, OutputError
from pipeline.wavefiles import file_sha256

if TYPE_CHECKING:  # pragma: no cover - types only; the modules are imported where they are used
    import pandas as pd

    from pipeline.config import Project
    from pipeline.content import ChartAreas, SlideContent
    from pipeline.design import SurveyDesign, WeightDiagnostics
    from pipeline.load import Wave
    from pipeline.slides import Presentation

log = logging.getLogger(__name__)

MANIFEST_VERSION = 2  # 2: a hash per config file, code version/commit, command line, every package, run time
Progress = Callable[[str, int, int], None]  # (stage description, done, total)


@dataclass
class ReportResult:
    deck: Path
    tables: Path
    charts: Path
    manifest: Path
    slides: int
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    up_to_date: bool = False
    rendered: int = 0
    reused: int = 0
    form: str = "picture"  # the charts' form: picture or native
    memory: dict[str, float] = field(default_factory=dict)  # the process's peak resident memory (MiB) at the end of each stage


def peak_memory_mib() -> float:
    """This process's peak resident memory so far, in MiB (0 where the platform does not say)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def code_hash() -> str:
    """Hash of the pipeline's own source, so a code change invalidates caches."""
    h = hashlib.sha256()
    root = Path(__file__).parent
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _name_and_version(dist: Any) -> tuple[str | None, str | None]:
    """A distribution's ``Name`` and ``Version`` as ``dist.metadata`` gives them, read from the metadata file's
    header lines only (the email parser behind ``dist.metadata`` reads the whole file, ~1 ms per package)."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or dist.read_text("") or ""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the headers end at the first blank line
        key, colon, value = line.partition(":")
        if colon and key in ("Name", "Version") and key not in found:
            found[key] = value.strip()
    return found.get("Name"), found.get("Version")


def package_versions() -> dict[str, str]:
    """Python's version and every installed distribution's, by name (sorted case-insensitively)."""
    from importlib.metadata import distributions

    found: dict[str, str] = {}
    for dist in distributions():
        name, version = _name_and_version(dist)
        if name and name not in found and version is not None:
            found[name] = version
    return {"python": platform.python_version(), **{k: found[k] for k in sorted(found, key=lambda n: (n.lower(), n))}}


def config_files(project: Project) -> list[Path]:
    """The config files a run reads, as load_project reads them: survey.yaml, the codebook, targets, deck,
    strings and each code frame (sorted)."""
    root, files = project.root, project.survey.files
    frames = root / files.codeframes
    targets = [root / files.targets] if (root / files.targets).is_file() else []  # optional (weighting none)
    return [root / "survey.yaml", root / files.codebook, *targets, root / files.deck,
            (root / project.deck.strings).resolve(), *(sorted(frames.glob("*.yaml")) if frames.is_dir() else [])]


def code_version() -> dict[str, Any]:
    """The project's version and the code it ran: the git commit (and whether the checkout had uncommitted
    changes) when run from a git checkout with git available, always the hash of the package's files."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        out: dict[str, Any] = {"version": version("survey-deck")}
    except PackageNotFoundError:
        out = {"version": "not installed"}
    checkout = Path(__file__).resolve().parent.parent
    git = shutil.which("git")
    if (checkout / ".git").exists() and git is not None:
        import subprocess

        def ask(*args: str) -> str | None:
            try:
                done = subprocess.run([git, "-C", str(checkout), *args], capture_output=True, text=True, timeout=20)
            except (OSError, subprocess.SubprocessError):
                return None
            return done.stdout if done.returncode == 0 else None

        commit = ask("rev-parse", "HEAD")
        if commit:
            status = ask("status", "--porcelain", "--untracked-files=no")
            out["commit"] = commit.strip()
            out["dirty"] = bool(status.strip()) if status is not None else None
    out["code_sha256"] = code_hash()
    return out


def run_time() -> str:
    """The run's time, ISO 8601 UTC: from SOURCE_DATE_EPOCH when set (reproducible builds), else now.

    A SOURCE_DATE_EPOCH that is not a whole number of seconds is a ConfigError naming the variable.
    """
    from datetime import UTC, datetime

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None or not epoch.strip():
        moment = datetime.now(UTC).replace(microsecond=0)
    else:
        try:
            moment = datetime.fromtimestamp(int(epoch.strip()), UTC)
        except (ValueError, OverflowError, OSError):
            raise ConfigError(f"environment variable SOURCE_DATE_EPOCH={epoch!r}: not a time; set it to seconds since 1970 "
                              "(e.g. $(git log -1 --format=%ct)) or unset it") from None
    return moment.isoformat().replace("+00:00", "Z")


def slide_decimals(slide: Any) -> dict[str, int]:
    """The decimals a slide's charts show, per crosstab unit: percent and NPS points as the charts' ``decimals``
    (default 0), means as ``mean_decimals`` (default 1)."""
    def option(chart: Any, name: str, default: int) -> int:
        opts = chart.options
        value = opts.get(name) if isinstance(opts, dict) else getattr(opts, name, None)
        return default if value is None else int(value)

    percent = max((option(c, "decimals", 0) for c in slide.charts), default=0)
    mean = max((option(c, "mean_decimals", 1) for c in slide.charts), default=1)
    return {"percent": percent, "points": percent, "scale": mean}


def pick_wave(available: dict[int, Path], wave: int | str | None, waves_dir: Path) -> int:
    """The report wave: ``wave`` if its file is there, the newest for None or 'latest'; else a DataError naming the fix."""
    if wave in (None, "latest"):
        return max(available)
    if int(wave) not in available:
        raise DataError(f"{waves_dir}: no wave file for {wave}; found waves {sorted(available)}; "
                        f"put {wave}.csv (or .parquet/.sav/.xlsx) in {waves_dir} or pass --wave with one of those years")
    return int(wave)


# Output names: the longest file made from a name is the manifest's temporary ".<name>.manifest.json.tmp-<pid>",
# 27 bytes more than the name with a 7-digit process id; file names are limited to 255 bytes.
MAX_NAME_BYTES = 200


def output_name(project: Project, wave: int, lang: str) -> str:
    """The outputs' base name: ``report.name`` of survey.yaml formatted with the wave (``-en`` added for a language
    other than ``report.lang``).

    A name that cannot be formatted, leaves the output folder or is too long for a file name is a
    ConfigError or OutputError naming ``report.name`` and the fix.
    """
    from pipeline.outputs import safe_name

    pattern = project.survey.report.name
    where = f"{project.root / 'survey.yaml'}: report.name {pattern!r}"
    try:
        name = pattern.format(wave=wave)
    except KeyError as exc:
        raise ConfigError(f"{where}: unknown placeholder {{{exc.args[0]}}}; the name may use {{wave}} only, e.g. 'report-{{wave}}'") \
            from None
    except (IndexError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{where}: cannot be formatted ({exc}); "
                          "write {wave} for the wave and double other braces ({{ and }})") from None
    name += "" if lang == project.survey.report.lang else f"-{lang}"  # the default language's outputs carry no suffix
    size = len(name.encode("utf-8"))
    if size > MAX_NAME_BYTES:
        raise ConfigError(f"{where}: the output name is {size} bytes long; "
                          f"file names are limited, so shorten report.name to {MAX_NAME_BYTES} bytes or fewer")
    return safe_name(name)


@dataclass(frozen=True)
class Plan:
    """What one run works on, settled before any data is read: project, wave files, report wave and language."""

    project: Project
    waves_dir: Path
    files: dict[int, Path]  # every wave file found, by year
    wave: int
    lang: str

    @property
    def used(self) -> dict[int, Path]:
        """The wave files the report reads: the report wave and every earlier one, oldest first."""
        return {y: p for y, p in sorted(self.files.items()) if y <= self.wave}


def plan_run(
    config_dir: Path, data_dir: Path | None = None, wave: int | str | None = None, lang: str | None = None, project: Project | None = None
) -> Plan:
    """Read the config (unless ``project`` is given), find the wave files and pick the report wave and language."""
    if project is None:
        from pipeline.config import load_project

        project = load_project(config_dir)
    if lang is not None and lang not in project.languages:
        raise ConfigError(f"--lang {lang!r}: the config's texts are in {', '.join(project.languages)} (report.languages in survey.yaml); "
                          "use one of them, or add the language there and to every text")
    from pipeline.wavefiles import discover_waves

    waves_dir = Path(data_dir) if data_dir else project.waves_dir
    files = discover_waves(waves_dir)
    report_wave = pick_wave(files, wave if wave is not None else project.survey.report.wave, waves_dir)
    return Plan(project, waves_dir, files, report_wave, lang or project.survey.report.lang)


def load_waves(plan: Plan, years: list[int] | None = None, hashes: dict[int, str] | None = None,
               progress: Progress | None = None) -> dict[int, Wave]:
    """Load and check the wave files of ``years`` (default: those the report uses), oldest first."""
    from pipeline.load import load_wave

    files = plan.used if years is None else {y: plan.files[y] for y in sorted(years)}
    waves = {}
    for i, (year, path) in enumerate(files.items()):
        if progress:
            progress("load", i, len(files))
        waves[year] = load_wave(plan.project, year, path, sha256=(hashes or {}).get(year))
    return waves


def weight_waves(plan: Plan, waves: dict[int, Wave], progress: Progress | None = None) -> dict[int, SurveyDesign]:
    """Weight every wave to its year's population targets."""
    from pipeline.weight import weight_wave

    designs = {}
    for i, (year, w) in enumerate(waves.items()):
        if progress:
            progress("weight", i, len(waves))
        designs[year] = weight_wave(plan.project, w)
    return designs


def present(
    plan: Plan, designs: dict[int, SurveyDesign], areas: ChartAreas | None = None, on_slide: Callable[[SlideContent], None] | None = None,
    strict: bool = False, two_cores: bool = False,
) -> tuple[Presentation, pd.DataFrame]:
    """Every slide's content and tables in the plan's language, and the weighting diagnostics table.

    ``strict``: a claim the data do not support is an error instead of falling back to the neutral form.
    ``two_cores``: a forked helper process builds slides too (the same presentation; :func:`pipeline.slides.build_presentation`).
    """
    from pipeline.config import MetricRequest
    from pipeline.metrics import MetricContext, compute
    from pipeline.slides import build_presentation

    pres = build_presentation(plan.project, designs, plan.wave, plan.lang, areas, on_slide=on_slide, strict=strict,
                              helper=_die_with_parent if two_cores else None)
    from pipeline.locale import Locale

    request = MetricRequest(kind="weighting", waves="all")
    rows = compute(MetricContext(plan.project, designs, plan.wave), request)
    diagnostics = Locale.of(plan.project, plan.lang).label_rows(rows, plan.project, request)
    return pres, diagnostics


def deck_crosstabs(plan: Plan, designs: dict[int, SurveyDesign], slides: list[SlideContent]) -> tuple[dict[str, list[Any]], list[str]]:
    """The crosstab sheet of every built slide whose metrics measure one question: (slide id → its crosstabs
    (:func:`pipeline.crosstab.slide_crosstabs`), titled and worded as the slide, at the decimals its charts show;
    warnings). A slide whose crosstab cannot be made keeps its figures in the long sheet and gets a warning."""
    from pipeline.crosstab import slide_crosstabs
    from pipeline.metrics import MetricContext

    ctx = MetricContext(plan.project, designs, plan.wave, plan.lang)
    specs = {s.id: s for s in plan.project.deck.slides}
    out: dict[str, list[Any]] = {}
    warnings: list[str] = []
    for content in slides:
        slide = specs[content.id]
        try:
            found = slide_crosstabs(ctx, slide, slide_decimals(slide), content.title or None, content.question or None)
        except ConfigError as exc:
            warnings.append(f"slide {slide.id}: no crosstab sheet in the tables ({exc}); its figures are in the long sheet")
            continue
        if found:
            out[slide.id] = list(found.values())
    return out, warnings


def write_deck_tables(plan: Plan, path: Path, fmt: str, pres: Presentation, diagnostics: pd.DataFrame,
                      crosstabs: dict[str, list[Any]]) -> None:
    """The deck's tables as ``fmt`` in the plan's language (xlsx: the crosstab workbook; csv: the long table).

    One more sheet (e.g. the claims behind the slides' sentences) goes into ``extra_sheets`` here.
    """
    import pandas as pd

    from pipeline.export import CLAIM_COLUMNS, crosstab_phrases, write_tables

    project = plan.project
    low = project.survey.statistics.low_base
    text = project.text
    # every sentence of the deck with its claims, the figures and test behind them and the preflight result
    claims = pd.DataFrame(pres.claims, columns=CLAIM_COLUMNS).rename(
        columns={c: text(f"xtab_claim_col_{c}", plan.lang) for c in CLAIM_COLUMNS})
    write_tables(path, fmt, pres.tables, diagnostics, crosstabs, crosstab_phrases(text, plan.lang),
                 (low.suppress_below, low.flag_below), extra_sheets=((text("xtab_claims", plan.lang), claims),))


def _render_one(args: tuple[Any, str]) -> str:
    from pipeline import charts

    spec, path = args
    charts.render(spec, Path(path))
    return str(path)


def _die_with_parent() -> None:
    """In a chart worker: ask Linux to end this process when the report process dies (e.g. is killed)."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the request took effect
            os._exit(1)
    except (OSError, AttributeError):  # not Linux: workers end when their pipe closes
        pass


def _warm_up() -> None:
    """Import matplotlib and the chart kinds in a worker while the main process loads and computes."""
    from pipeline import charts
    from pipeline.charts import style  # noqa: F401 - fonts and rc settings

    for kind in charts.KINDS:
        charts.module(kind)
    import matplotlib.pyplot  # noqa: F401 - imported for its cost only: pyplot is the slow import the worker pays ahead


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def intact_png(path: Path) -> bool:
    """True if ``path`` is a regular file that starts like a PNG and ends with its IEND chunk (not truncated)."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        with open(path, "rb") as f:
            head = f.read(8)
            f.seek(0, os.SEEK_END)
            if f.tell() < 20:
                return False
            f.seek(-12, os.SEEK_END)
            tail = f.read(12)
    except OSError:
        return False
    return head == PNG_SIGNATURE and tail[4:8] == b"IEND"


def _cache_folder(out: Path) -> Path:
    """The chart cache inside the output folder; a link there is refused, so nothing outside is read or pruned."""
    cache = out / ".cache" / "charts"
    for part in (out / ".cache", cache):
        if part.is_symlink() or (part.exists() and not part.is_dir()):
            raise OutputError(
                f"{part}: the chart cache must be a folder inside the output folder, not a link or a file; "
                f"remove {part} (it only holds cached chart images) and run again"
            )
    return cache


class ChartRenderer:
    """Renders chart specs into a content-addressed cache, in worker processes where it pays.

    Charts are submitted slide by slide while the metrics of the next slides are
    still being computed, so drawing overlaps the statistics. A cached image is
    named by the spec's content hash and ``salt`` (the code hash): a change in the
    numbers or in the drawing code renders it again; anything else is reused.
    A cached image that is not an intact PNG (a truncated write) is dropped and drawn again.
    """

    def __init__(self, cache_dir: Path, jobs: int, salt: str = "", expected: int = 0) -> None:
        self.cache_dir = cache_dir
        self.salt = salt
        self.jobs = max(1, jobs)
        self.pool: Any = None  # a ProcessPoolExecutor when rendering in workers
        self.pending: list[tuple[Any, str, Path]] = []  # (future or spec, temporary path, image path)
        self.keys: list[str] = []
        self.dropped = 0
        cache_dir.mkdir(parents=True, exist_ok=True)
        from pipeline.outputs import remove_stale

        remove_stale(cache_dir)  # images half-drawn by a killed run (the caller holds the folder's lock)
        if self.jobs > 1 and expected >= 4:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=multiprocessing.get_context("fork"),
                                            initializer=_die_with_parent)
            for _ in range(self.jobs):
                self.pool.submit(_warm_up)

    def image(self, key: str) -> Path:
        return self.cache_dir / (f"{key}-{self.salt[:12]}.png" if self.salt else f"{key}.png")

    def submit(self, key: str, spec: object) -> None:
        from pipeline.outputs import remove_entry, temporary_file

        self.keys.append(key)
        path = self.image(key)
        if any(image == path for _, _, image in self.pending):
            return
        if os.path.lexists(path):
            if intact_png(path):
                return
            remove_entry(path)  # truncated or not a file: draw it again
            self.dropped += 1
        part = str(temporary_file(self.cache_dir, path.name))
        job = self.pool.submit(_render_one, (spec, part)) if self.pool is not None else spec
        self.pending.append((job, part, path))

    def finish(self, progress: Progress | None = None) -> tuple[dict[str, Path], int]:
        """Wait for every render, move the images into the cache; return (key → image, rendered count)."""
        total = len(self.pending)
        try:
            for done, (job, part, _) in enumerate(self.pending, start=1):
                if self.pool is not None:
                    job.result()
                else:
                    _render_one((job, part))
                if progress:
                    progress("charts", done, total)
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)
                self.pool = None
        for _, part, image in self.pending:
            os.replace(part, image)
        self.pending = []
        return {key: self.image(key) for key in self.keys}, total

    def abandon(self) -> None:
        """Stop the workers and remove partial images (a failed run)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        for _, part, _ in self.pending:
            Path(part).unlink(missing_ok=True)
        self.pending = []


_P = ParamSpec("_P")
_R = TypeVar("_R")
_FREEZE_AT_EXIT = False  # gc.freeze is registered to run at interpreter exit (once per process)


def collecting_less(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """``fn`` run with Python's cyclic garbage collector started less often (the thresholds are restored after).

    A run makes some hundred thousand small objects that live to its end (the config's models, templates,
    slide XML); with the default thresholds (700, 10, 10) the collector walks them hundreds of times, three
    times all of them (~0.2 s of a native run). Here the youngest generation is collected every 10,000 new
    objects and the older ones rarely; garbage cycles still go, since most die young. Outputs do not change.

    The first call also asks for :func:`gc.freeze` at interpreter exit: the interpreter's shutdown otherwise walks
    every object still alive (pandas, pyarrow, the config models …) in its last collections, ~0.3 s after a report,
    only for the operating system to free the memory a moment later. Nothing is lost by it: every output is
    written and closed before ``fn`` returns (the exit skips only the finalizers of objects in reference cycles).
    """

    @wraps(fn)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        import gc

        global _FREEZE_AT_EXIT
        if not _FREEZE_AT_EXIT:
            import atexit

            atexit.register(gc.freeze)
            _FREEZE_AT_EXIT = True
        old = gc.get_threshold()
        gc.set_threshold(10_000, 50, old[2])
        try:
            return fn(*args, **kwargs)
        finally:
            gc.set_threshold(*old)

    return run


@collecting_less
def run_report(
    config_dir: Path,
    data_dir: Path | None = None,
    wave: int | None = None,
    lang: str | None = None,
    out_dir: Path | None = None,
    force: bool = False,
    jobs: int | None = None,
    progress: Progress | None = None,
    strict: bool | None = None,
    charts: str | None = None,
) -> ReportResult:
    """Build the deck and its side outputs; see the module docstring.

    ``charts`` is ``picture`` or ``native`` (native PowerPoint charts, no images drawn); default ``charts`` in deck.yaml.
    """
    timings: dict[str, float] = {}
    memory: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 4)
        memory[stage] = peak_memory_mib()
        clock = now

    from pipeline.outputs import ensure_writable

    plan = plan_run(config_dir, data_dir, wave, lang)
    project, report_wave, lang = plan.project, plan.wave, plan.lang
    strict = project.survey.report.strict if strict is None else strict  # a failed claim: error, not a fallback
    form = chart_form(charts, project)
    out = Path(out_dir) if out_dir else project.path(project.survey.report.output_dir)
    name = output_name(project, report_wave, lang)
    template = project.path(project.deck.template)
    used = plan.used
    inputs = {str(p): file_sha256(p) for p in used.values()}
    code = code_hash()
    template_sha256 = file_sha256(template) if template.is_file() else "missing"
    key_material = json.dumps(
        {
            # file names and contents, not how the folder was spelled (data/waves vs /abs/data/waves)
            "inputs": {Path(k).name: v for k, v in inputs.items()},
            "config": project.files_hash,
            "template": template_sha256,
            "code": code,
            "lang": lang,
            "wave": report_wave,
            "strict": strict,
            "charts": form,
        },
        sort_keys=True,
    )
    input_key = hashlib.sha256(key_material.encode()).hexdigest()
    paths = {
        "deck": out / f"{name}.pptx",
        "tables": out / f"{name}.xlsx",
        "charts": out / f"{name}-charts",
        "manifest": out / f"{name}.manifest.json",
    }
    lap("config")
    if not force:
        cached = _up_to_date(paths, input_key)
        if cached is not None:
            from pipeline.outputs import folder_lock, remove_stale

            with folder_lock(out):  # what a killed run left goes even when nothing is rebuilt
                cache = out / ".cache" / "charts"
                if cache.is_dir() and not cache.is_symlink() and not cache.parent.is_symlink():
                    remove_stale(cache)
            timings["total"] = sum(timings.values())
            return ReportResult(paths["deck"], paths["tables"], paths["charts"], paths["manifest"], cached.get("slides", 0),
                                cached.get("warnings", []), timings, up_to_date=True)

    from pipeline import deck as deck_stage
    from pipeline.outputs import OutputSet, folder_lock, os_error_message, remove_entry

    areas = deck_stage.chart_areas(template, project.deck.layouts)  # a bad template fails before any work
    expected = sum(len(s.charts) for s in project.deck.slides) if form == "picture" else 0
    created = not os.path.lexists(out)  # a failed run removes an output folder it made
    ensure_writable(out)
    lock = ExitStack()
    lock.enter_context(folder_lock(out))  # one run per output folder; removes what killed runs left
    finished = False
    renderer: ChartRenderer | None = None
    outputs: OutputSet | None = None
    tables_job: Background | None = None
    try:
        renderer = ChartRenderer(_cache_folder(out), jobs or os.cpu_count() or 1, code, expected=expected)
        outputs = OutputSet(out)
        waves = load_waves(plan, hashes={y: inputs[str(p)] for y, p in used.items()}, progress=progress)  # hashed once, for the key
        lap("load")
        designs = weight_waves(plan, waves, progress)
        lap("weight")
        built = 0

        def on_slide(content: SlideContent) -> None:
            nonlocal built
            built += 1
            if progress:
                progress("metrics", built, len(project.deck.slides))
            for c in content.charts if form == "picture" else ():
                renderer.submit(c.key, c.spec)

        # native charts leave the second core idle while the slides are built: a helper process builds some of them
        two_cores = form == "native" and (jobs or os.cpu_count() or 1) > 1
        pres, diagnostics = present(plan, designs, areas, on_slide, strict=strict, two_cores=two_cores)
        lap("metrics")
        # the crosstabs are computed and the tables written while the charts are still being drawn
        tables_tmp = outputs.file(paths["tables"].name)

        def tables() -> list[str]:
            crosstabs, crosstab_warnings = deck_crosstabs(plan, designs, pres.slides)
            lap("crosstabs")
            write_deck_tables(plan, tables_tmp, "xlsx", pres, diagnostics, crosstabs)
            return crosstab_warnings

        crosstab_warnings: list[str] = []
        if two_cores:
            # no charts to draw: the crosstabs are computed and the tables written on the second core while this one
            # writes the deck (the crosstab warnings come back with the result)
            tables_job = Background(tables)
            lap("crosstabs")
        else:
            crosstab_warnings = tables()
        lap("tables")
        # … and so are the slides' texts and notes; the images are placed once drawn
        writer = deck_stage.DeckWriter(template, project.deck.layouts, form)
        for content in pres.slides:
            writer.add(content)
        lap("slides")
        images, rendered = renderer.finish(progress)
        specs = {c.key: c.spec for s in pres.slides for c in s.charts}
        lap("charts")
        deck_tmp = outputs.file(paths["deck"].name)
        title = f"{project.survey.survey.name.get(lang)} {report_wave}"
        if progress:
            progress("deck", 0, len(pres.slides))
        writer.write(images, deck_tmp, title, lang)
        if tables_job is not None:
            crosstab_warnings = tables_job.wait()
        lap("deck")
        charts_tmp = outputs.directory(paths["charts"].name)
        for s in pres.slides if form == "picture" else ():  # native charts have no images
            for i, c in enumerate(s.charts, start=1):
                suffix = "" if len(s.charts) == 1 else f"-{i}"
                shutil.copyfile(images[c.key], charts_tmp / f"{s.id}{suffix}.png")
        lap("images")
        warnings = [w for wv in waves.values() for w in wv.warnings] + pres.warnings + crosstab_warnings
        reproducible = bool(os.environ.get("SOURCE_DATE_EPOCH", "").strip())
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "input_key": input_key,
            "wave": report_wave,
            "lang": lang,
            "slides": len(pres.slides),
            "inputs": [{"file": str(p), "sha256": inputs[str(p)], "wave": y, "rows": waves[y].n, "excluded": waves[y].excluded}
                       for y, p in used.items()],
            "config": [{"file": str(f), "sha256": file_sha256(f)} for f in config_files(project)],
            "config_sha256": project.files_hash,
            "template": {"file": str(template), "sha256": template_sha256},
            "code": code_version(),
            "command": list(sys.argv),
            "run_time": run_time(),
            "packages": package_versions(),
            "weighting": {str(y): _diag_dict(d.diagnostics) for y, d in designs.items()},
            "warnings": warnings,
            "skipped_slides": [{"slide": s, "reason": r} for s, r in pres.skipped],
            "preflight": pres.preflight,
            "chart_form": form,
        }
        if not reproducible:  # what differs between two runs of the same inputs: left out under SOURCE_DATE_EPOCH
            manifest["charts"] = {"total": len(specs), "rendered": rendered, "reused": len(specs) - rendered}
            manifest["timings_seconds"] = timings
        manifest_tmp = outputs.file(paths["manifest"].name)
        # output hashes are of the files as they will be after the commit
        manifest["outputs"] = {
            paths["deck"].name: file_sha256(deck_tmp),
            paths["tables"].name: file_sha256(tables_tmp),
        }
        manifest_tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        outputs.commit()
        _prune_cache(renderer.cache_dir, set(specs), keep=400)
    except BaseException as exc:
        if tables_job is not None:
            tables_job.stop()
        if renderer is not None:
            renderer.abandon()
        if outputs is not None:
            outputs.discard()
        if isinstance(exc, OSError):  # a fault of the machine (disk full, permissions), not a bug
            raise OutputError(os_error_message(exc, out) + "; the previous outputs were left as they were") from None
        raise
    else:
        finished = True
    finally:
        lock.close()
        if created and not finished:
            remove_entry(out)
    lap("commit")
    timings["total"] = round(sum(v for k, v in timings.items() if k != "total"), 4)
    return ReportResult(paths["deck"], paths["tables"], paths["charts"], paths["manifest"], len(pres.slides), warnings, timings,
                        rendered=rendered, reused=len(specs) - rendered if form == "picture" else 0, form=form, memory=memory)


class Background:
    """``work()`` run in a forked process (the second core); :meth:`wait` returns its result or raises its error."""

    def __init__(self, work: Callable[[], Any]) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._result, sender = context.Pipe(duplex=False)

        def run() -> None:
            _die_with_parent()  # as the chart workers: a killed report takes its background writer with it
            try:
                sender.send((work(), None))
            except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent, which raises it
                sender.send((None, exc))

        self._process = context.Process(target=run, daemon=True)
        self._process.start()
        sender.close()

    def wait(self) -> Any:
        """Wait for the work to end; return its result, or raise its error (an OutputError if the process died
        without a word)."""
        try:
            result, error = self._result.recv()
        except EOFError:
            result, error = None, OutputError(f"a background writer ended with exit code {self._process.exitcode}; run again")
        self._process.join()
        if error is not None:
            raise error
        return result

    def stop(self) -> None:
        """End the work (a failed run)."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()


CHART_FORMS = ("picture", "native")


def chart_form(charts: str | None, project: Project) -> str:
    """``picture`` or ``native``: ``charts`` (the --charts option) if given, else ``charts`` of deck.yaml."""
    form = charts if charts is not None else project.deck.charts
    if form not in CHART_FORMS:
        from pipeline.errors import did_you_mean

        raise ConfigError(f"--charts {form!r} is not a chart form{did_you_mean(form, CHART_FORMS)}; use picture or native")
    return form


@dataclass(frozen=True)
class RefreshResult:
    """What ``refresh`` wrote: the new deck, each slide's outcome (slide, status, reason) and the texts kept."""

    deck: Path
    slides: list[tuple[str, str, str]]
    not_updated: list[str]
    warnings: list[str]


def run_refresh(
    edited: Path, config_dir: Path, data_dir: Path | None = None, wave: int | None = None, lang: str | None = None,
    out: Path | None = None, jobs: int | None = None,
) -> RefreshResult:
    """Refresh a deck a person edited with this wave's numbers and texts, keeping their edits (``pipeline.deck_refresh``).

    The new deck goes to ``out`` (default ``<edited>-<wave>.pptx`` beside it), written only if the whole run succeeds.
    """
    from pipeline import deck_refresh
    from pipeline.outputs import OutputSet, check_output_file

    edited = Path(edited)
    if not edited.is_file():
        raise DataError(f"{edited}: no such deck; give the path of the edited .pptx to refresh")
    plan = plan_run(config_dir, data_dir, "latest" if wave is None else wave, lang)
    target = Path(out) if out is not None else edited.with_name(f"{edited.stem}-{plan.wave}.pptx")
    check_output_file(target, (".pptx",), "--out FILE")
    pictures = deck_refresh.check_edited(edited)  # a deck without ids fails here, before any work
    designs = weight_waves(plan, load_waves(plan))
    from pipeline import deck as deck_stage

    template = plan.project.path(plan.project.deck.template)
    pres, _ = present(plan, designs, deck_stage.chart_areas(template, plan.project.deck.layouts))
    images: dict[str, Path] = {}
    work = ExitStack()
    if pictures:
        import tempfile

        cache = Path(work.enter_context(tempfile.TemporaryDirectory(prefix="survey-deck-refresh-")))
        renderer = ChartRenderer(cache, jobs or os.cpu_count() or 1, code_hash(), expected=sum(len(s.charts) for s in pres.slides))
        try:
            for s in pres.slides:
                for c in s.charts:
                    renderer.submit(c.key, c.spec)
            images, _ = renderer.finish()
        except BaseException:
            renderer.abandon()
            raise
    title = f"{plan.project.survey.survey.name.get(plan.lang)} {plan.wave}"
    found: list[deck_refresh.RefreshResult] = []
    with work, OutputSet(target.parent, "--out FILE") as outputs:
        outputs.write(target.name, lambda tmp: found.append(deck_refresh.refresh(edited, pres.slides, images, tmp, title, plan.lang)))
    done = found[0]
    return RefreshResult(target, [(o.slide, o.status, o.reason) for o in done.slides], done.not_updated, pres.warnings)


def _diag_dict(d: WeightDiagnostics) -> dict[str, Any]:
    return {
        "method": d.method, "variables": list(d.variables), "n": d.n, "efficiency": round(d.efficiency, 6),
        "n_effective": round(d.n_effective, 3), "deff": round(d.deff, 6), "min_weight": round(d.min_weight, 6),
        "max_weight": round(d.max_weight, 6), "weight_ratio": round(d.ratio, 6), "iterations": d.iterations,
        "max_margin_gap": d.max_margin_gap, "capped_low": d.capped_low, "capped_high": d.capped_high,
        "margins": [{"variable": v, "category": c, "unweighted": round(u, 6), "weighted": round(w, 6), "target": round(t, 6)}
                    for v, c, u, w, t in d.margins],
    }


def _up_to_date(paths: dict[str, Path], input_key: str) -> dict[str, Any] | None:
    """The manifest if the outputs were built from exactly these inputs and are intact, else None."""
    try:
        manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    if manifest.get("input_key") != input_key or not paths["charts"].is_dir():
        return None
    for file_name, digest in manifest.get("outputs", {}).items():
        target = paths["manifest"].parent / file_name
        if not target.is_file() or file_sha256(target) != digest:
            return None
    return manifest


def _prune_cache(cache_dir: Path, keep_keys: set[str], keep: int) -> None:
    """Keep the cache from growing without bound: drop the oldest images beyond ``keep``.

    Only regular files are looked at (``lstat``): a link in the cache is never followed.
    """
    entries = []
    for path in cache_dir.glob("*.png"):
        info = os.lstat(path)
        if stat.S_ISREG(info.st_mode):
            entries.append((info.st_mtime, path))
    entries.sort(key=lambda e: (e[0], e[1].name), reverse=True)
    for _, path in entries[keep:]:
        if path.stem.split("-")[0] not in keep_keys:
            path.unlink(missing_ok=True)


def weights_table(plan: Plan, design: SurveyDesign) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One wave's weights (respondent_id, wave, sex, age_group, weight) and the targets used (variable, category, share)."""
    import pandas as pd

    from pipeline.export import escape_formulas

    frame = design.frame
    weights = pd.DataFrame({
        "respondent_id": frame["respondent_id"].astype(str),
        "wave": design.year,
        # the calibration variables (sex and age group unless configured otherwise), as the wave has them
        **{v: frame[v].astype(str) for v in dict.fromkeys(["sex", "age_group", *design.diagnostics.variables]) if v in frame.columns},
        "weight": design.weights,
    })
    targets = pd.DataFrame(design.targets, columns=["variable", "category", "share"])
    return escape_formulas(weights), escape_formulas(targets)


@dataclass(frozen=True)
class TablesResult:
    """What ``tables`` wrote: the file, its rows and the slides they come from (an ad-hoc table: its question,
    banner and columns; slides 0)."""

    path: Path
    rows: int
    slides: int
    question: str | None = None
    by: tuple[str, ...] = ()
    columns: int = 0


def split_banner(by: str | None) -> list[str]:
    """``--by sex,age_group*region`` as banner entries; spaces around names are ignored."""
    if by is None:
        return []
    entries = [b.replace(" ", "") for b in by.split(",")]
    if not all(entries):
        raise ConfigError(f"--by {by!r}: an empty grouping between commas; write e.g. --by sex,age_group,region or --by 'sex*age_group'")
    return entries


def run_tables(out: Path, config_dir: Path, data_dir: Path | None = None, wave: int | None = None, lang: str | None = None,
               question: str | None = None, by: str | None = None) -> TablesResult:
    """Write the deck's tables (without ``question``) or the ad-hoc crosstab of ``question`` by ``by``.

    The deck's tables: .xlsx the crosstab workbook as ``report`` writes it, .csv one long table. The ad-hoc
    crosstab (``by``: comma-separated groupings, ``a*b`` crossed; none: the total only) is weighted as the deck
    is: .xlsx a sheet named after the question plus the weighting sheet, .csv the crosstab as a tidy table.
    """
    from pipeline.outputs import OutputSet, check_output_file

    check_output_file(out, (".xlsx", ".csv"))  # fail before the work, not after it
    fmt = out.suffix.lower().lstrip(".")
    if question is None and by is not None:
        raise ConfigError("--by needs --question: name the codebook question to tabulate, e.g. --question recommend --by sex,age_group")
    banner = split_banner(by)
    plan = plan_run(config_dir, data_dir, "latest" if wave is None else wave, lang)
    if question is not None:
        from pipeline.crosstab import question_crosstab
        from pipeline.errors import did_you_mean

        codebook = plan.project.codebook
        if question not in codebook.by_id:
            raise ConfigError(f"--question: the codebook has no question {question!r}{did_you_mean(question, list(codebook.by_id))}; "
                              f"see {plan.project.path(plan.project.survey.files.codebook)} for the question ids")
        designs = weight_waves(plan, load_waves(plan))
        from pipeline.metrics import MetricContext, compute

        ctx = MetricContext(plan.project, designs, plan.wave, plan.lang)
        xtab = question_crosstab(ctx, question, banner, waves=[plan.wave])
        from pipeline.config import MetricRequest
        from pipeline.export import crosstab_phrases, write_crosstabs_csv, write_crosstabs_xlsx

        with OutputSet(out.parent, "--out FILE") as outputs:
            if fmt == "xlsx":
                from pipeline.locale import Locale

                request = MetricRequest(kind="weighting", waves=[plan.wave])
                diagnostics = Locale.of(plan.project, plan.lang).label_rows(compute(ctx, request), plan.project, request)
                low = plan.project.survey.statistics.low_base
                outputs.write(out.name, lambda tmp: write_crosstabs_xlsx(
                    tmp, {question: [xtab]}, crosstab_phrases(plan.project.text, plan.lang), diagnostics=diagnostics,
                    low_base=(low.suppress_below, low.flag_below)))
            else:
                outputs.write(out.name, lambda tmp: write_crosstabs_csv(tmp, [xtab]))
        return TablesResult(out, len(xtab.rows), 0, question, tuple(banner), len(xtab.columns))
    designs = weight_waves(plan, load_waves(plan))
    pres, diagnostics = present(plan, designs)
    crosstabs = deck_crosstabs(plan, designs, pres.slides)[0] if fmt == "xlsx" else {}
    with OutputSet(out.parent, "--out FILE") as outputs:
        outputs.write(out.name, lambda tmp: write_deck_tables(plan, tmp, fmt, pres, diagnostics, crosstabs))
    return TablesResult(out, sum(len(t) for t in pres.tables.values()), len(pres.slides))


@dataclass(frozen=True)
class WeightsResult:
    """What ``weights`` wrote and the weighting diagnostics of the wave."""

    out: Path
    targets_out: Path | None
    diagnostics: WeightDiagnostics


def run_weights(config_dir: Path, wave: int, out: Path, data_dir: Path | None = None, targets_out: Path | None = None) -> WeightsResult:
    """Weight one wave and write its weights (and, with ``targets_out``, the targets used) as CSV."""
    from pipeline.outputs import OutputSet, check_output_file

    check_output_file(out, (".csv",), "--out FILE")
    if targets_out is not None:
        check_output_file(targets_out, (".csv",), "--targets-out FILE")
    plan = plan_run(config_dir, data_dir, wave)
    design = weight_waves(plan, load_waves(plan, years=[plan.wave]))[plan.wave]
    table, targets = weights_table(plan, design)
    sets = [OutputSet(out.parent, "--out FILE")]  # each file's folder: committed together, after both are written
    try:
        sets[0].write(out.name, lambda p: table.to_csv(p, index=False, float_format="%.17g", lineterminator="\n"))
        if targets_out is not None:
            sets.append(OutputSet(targets_out.parent, "--targets-out FILE"))
            sets[1].write(targets_out.name, lambda p: targets.to_csv(p, index=False, float_format="%.10g", lineterminator="\n"))
        for outputs in sets:
            outputs.commit()
    except BaseException:
        for outputs in sets:
            outputs.discard()
        raise
    return WeightsResult(out, targets_out, design.diagnostics)


def run_validate(config_dir: Path, data_dir: Path | None = None, wave: int | None = None) -> tuple[list[str], str]:
    """``report`` as a dry run, without drawing or writing: (every problem found, what was checked)."""
    from pipeline.validate import validate_all

    return validate_all(config_dir, data_dir, wave)


def run_synth(config_dir: Path, model: Path | None, out: Path | None, waves: list[int] | None = None, *,
              missing_only: bool = False, scale: float = 1.0) -> list[Path]:
    """Generate the sample waves from the population model; return the files written.

    ``model`` and ``out`` default to ``files.synth`` and ``files.waves`` of survey.yaml. With ``missing_only``
    only waves without a file (of any wave-file type) in ``out`` are drawn, and a survey without a model has
    nothing to draw: this is how ``make report`` provides generated sample data and never touches real files.
    ``scale`` draws smaller (or larger) waves of a ratings model, e.g. 0.02 for tests."""
    from pipeline.config import load_project
    from pipeline.synth import model_years, synthesize
    from pipeline.wavefiles import discover_waves

    project = load_project(config_dir)
    if model is None:
        if project.survey.files.synth is None:
            if missing_only:
                return []
            raise ConfigError(f"{config_dir / 'survey.yaml'}: files.synth is not set, so there is no population model to draw "
                              "sample waves from; set files.synth or pass --model FILE")
        model = project.path(project.survey.files.synth)
    out_dir = Path(out) if out is not None else project.waves_dir
    if missing_only:
        present = set(discover_waves(out_dir)) if out_dir.is_dir() else set()
        wanted = [y for y in model_years(model) if (not waves or y in waves) and y not in present]
        if not wanted:
            return []
        waves = wanted
    return synthesize(project, model, out_dir, waves, scale)


def config_folder(config: Path | None, survey: str | None) -> Path:
    """The config folder a command reads: ``config`` when given, else ``config/<survey>``, else ``config/`` itself when
    it holds survey.yaml, else its only survey; a one-line error lists the surveys when the choice is open."""
    if config is not None:
        return config
    root = Path("config")
    surveys = sorted(p.parent.name for p in root.glob("*/survey.yaml")) if root.is_dir() else []
    if survey is not None:
        if (root / survey / "survey.yaml").is_file():
            return root / survey
        from pipeline.errors import did_you_mean

        raise ConfigError(f"--survey {survey}: no {root / survey / 'survey.yaml'}{did_you_mean(survey, surveys)}; "
                          f"the surveys in {root}/ are: {', '.join(surveys) or 'none'} (or point --config at a folder)")
    if (root / "survey.yaml").is_file() or not surveys:
        return root
    if len(surveys) == 1:
        return root / surveys[0]
    raise ConfigError(f"{root}/ holds {len(surveys)} surveys ({', '.join(surveys)}): choose one with --survey NAME, "
                      f"e.g. --survey {surveys[0]} (or --config DIR, or set SURVEY_DECK_SURVEY)")


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use the survey-deck command")
