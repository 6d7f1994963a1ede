"""The whole run: load → weight → metrics → charts → deck, with safe outputs, a manifest and caching.

:func:`run_report` builds ``<name>.pptx`` (``name`` from survey.yaml, e.g.
``1177-2022``; ``-en`` is added for English), ``<name>.xlsx`` (every chart's
table), ``<name>-charts/`` (the chart images) and ``<name>.manifest.json``
in the output folder. Everything is written to temporary files first and
moved into place only when the whole run succeeded.

A second run with unchanged inputs (wave files, config, template, code,
language) finds the manifest's input key unchanged and its outputs intact
and does no work. Chart images are cached by the content hash of their spec,
so a changed wave re-renders only the charts whose numbers changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import DataError, OutputError
from pipeline.wavefiles import file_sha256

log = logging.getLogger(__name__)

MANIFEST_VERSION = 1
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


def code_hash() -> str:
    """Hash of the pipeline's own source, so a code change invalidates caches."""
    h = hashlib.sha256()
    root = Path(__file__).parent
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("survey-deck", "numpy", "pandas", "matplotlib", "python-pptx", "openpyxl", "jinja2", "pyarrow", "pydantic"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _pick_wave(available: dict[int, Path], wave: int | str | None, waves_dir: Path) -> int:
    if wave in (None, "latest"):
        return max(available)
    if int(wave) not in available:
        raise DataError(f"{waves_dir}: no wave file for {wave}; found waves {sorted(available)}; put {wave}.csv (or .parquet/.sav/.xlsx) in {waves_dir} or pass --wave with one of those years")
    return int(wave)


def _render_one(args: tuple) -> str:
    from pipeline import charts

    spec, path = args
    charts.render(spec, Path(path))
    return str(path)


def _warm_up() -> None:
    """Import matplotlib and the chart kinds in a worker while the main process loads and computes."""
    from pipeline import charts
    from pipeline.charts import style  # noqa: F401 - fonts and rc settings

    for kind in charts.KINDS:
        charts.module(kind)
    import matplotlib.pyplot  # noqa: F401


class ChartRenderer:
    """Renders chart specs into a content-addressed cache, in worker processes where it pays.

    Charts are submitted slide by slide while the metrics of the next slides are
    still being computed, so drawing overlaps the statistics. A cached image is
    named by the spec's content hash and ``salt`` (the code hash): a change in the
    numbers or in the drawing code renders it again; anything else is reused.
    """

    def __init__(self, cache_dir: Path, jobs: int, salt: str = "", expected: int = 0):
        self.cache_dir = cache_dir
        self.salt = salt
        self.jobs = max(1, jobs)
        self.pool = None
        self.pending: list[tuple[object, str]] = []  # (future or spec, part path)
        self.keys: list[str] = []
        cache_dir.mkdir(parents=True, exist_ok=True)
        if self.jobs > 1 and expected >= 4:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=multiprocessing.get_context("fork"))
            for _ in range(self.jobs):
                self.pool.submit(_warm_up)

    def image(self, key: str) -> Path:
        return self.cache_dir / (f"{key}-{self.salt[:12]}.png" if self.salt else f"{key}.png")

    def submit(self, key: str, spec: object) -> None:
        self.keys.append(key)
        path = self.image(key)
        if path.exists() or any(part == str(path) + ".part" for _, part in self.pending):
            return
        part = str(path) + ".part"
        job = self.pool.submit(_render_one, (spec, part)) if self.pool is not None else spec
        self.pending.append((job, part))

    def finish(self, progress: Progress | None = None) -> tuple[dict[str, Path], int]:
        """Wait for every render, move the images into the cache; return (key → image, rendered count)."""
        total = len(self.pending)
        try:
            for done, (job, part) in enumerate(self.pending, start=1):
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
        for _, part in self.pending:
            Path(part).replace(part[: -len(".part")])
        return {key: self.image(key) for key in self.keys}, total

    def abandon(self) -> None:
        """Stop the workers and remove partial images (a failed run)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        for _, part in self.pending:
            Path(part).unlink(missing_ok=True)


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
) -> ReportResult:
    """Build the deck and its side outputs; see the module docstring."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 4)
        clock = now

    from pipeline.config import load_project
    from pipeline.wavefiles import discover_waves
    from pipeline.outputs import ensure_writable, safe_name

    project = load_project(config_dir)
    waves_dir = Path(data_dir) if data_dir else project.waves_dir
    available = discover_waves(waves_dir)
    report_wave = _pick_wave(available, wave if wave is not None else project.survey.report.wave, waves_dir)
    lang = lang or project.survey.report.lang
    strict = project.survey.report.strict if strict is None else strict  # a failed claim: error, not a fallback
    out = Path(out_dir) if out_dir else project.path(project.survey.report.output_dir)
    ensure_writable(out)
    name = safe_name(project.survey.report.name.format(wave=report_wave) + ("" if lang == "sv" else f"-{lang}"))
    template = project.path(project.deck.template)
    used = {y: p for y, p in sorted(available.items()) if y <= report_wave}
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
            timings["total"] = sum(timings.values())
            return ReportResult(paths["deck"], paths["tables"], paths["charts"], paths["manifest"], cached.get("slides", 0),
                                cached.get("warnings", []), timings, up_to_date=True)

    from pipeline import deck as deck_stage
    from pipeline.export import write_tables
    from pipeline.load import load_wave
    from pipeline.metrics import MetricContext, compute
    from pipeline.config import MetricRequest
    from pipeline.outputs import OutputSet
    from pipeline.slides import build_presentation
    from pipeline.weight import weight_wave

    areas = deck_stage.chart_areas(template, project.deck.layouts)  # a bad template fails before any work
    expected = sum(len(s.charts) for s in project.deck.slides)
    renderer = ChartRenderer(out / ".cache" / "charts", jobs or os.cpu_count() or 1, code, expected=expected)
    outputs = OutputSet(out)
    try:
        waves = {}
        for i, (year, path) in enumerate(used.items()):
            if progress:
                progress("load", i, len(used))
            waves[year] = load_wave(project, year, path, sha256=inputs[str(path)])  # hashed once, for the key
        lap("load")
        designs = {}
        for i, (year, w) in enumerate(waves.items()):
            if progress:
                progress("weight", i, len(waves))
            designs[year] = weight_wave(project, w)
        lap("weight")
        built = 0

        def on_slide(content) -> None:  # noqa: ANN001 - SlideContent
            nonlocal built
            built += 1
            if progress:
                progress("metrics", built, len(project.deck.slides))
            for c in content.charts:
                renderer.submit(c.key, c.spec)

        pres = build_presentation(project, designs, report_wave, lang, areas, on_slide=on_slide, strict=strict)
        diagnostics = compute(MetricContext(project, designs, report_wave, lang), MetricRequest(kind="weighting", waves="all"))
        lap("metrics")
        # the tables are written while the charts are still being drawn
        tables_tmp = outputs.file(paths["tables"].name)
        write_tables(pres.tables, diagnostics, tables_tmp, "xlsx", claims=pres.claims)
        lap("tables")
        # … and so are the slides' texts and notes; the images are placed once drawn
        writer = deck_stage.DeckWriter(template, project.deck.layouts)
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
        lap("deck")
        charts_tmp = outputs.directory(paths["charts"].name)
        for s in pres.slides:
            for i, c in enumerate(s.charts, start=1):
                suffix = "" if len(s.charts) == 1 else f"-{i}"
                shutil.copyfile(images[c.key], charts_tmp / f"{s.id}{suffix}.png")
        lap("images")
        warnings = [w for wv in waves.values() for w in wv.warnings] + pres.warnings
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "input_key": input_key,
            "wave": report_wave,
            "lang": lang,
            "slides": len(pres.slides),
            "inputs": [{"file": str(p), "sha256": inputs[str(p)], "wave": y, "rows": waves[y].n, "excluded": waves[y].excluded} for y, p in used.items()],
            "config_sha256": project.files_hash,
            "template": {"file": str(template), "sha256": template_sha256},
            "packages": package_versions(),
            "weighting": {str(y): _diag_dict(d.diagnostics) for y, d in designs.items()},
            "warnings": warnings,
            "skipped_slides": [{"slide": s, "reason": r} for s, r in pres.skipped],
            "preflight": pres.preflight,
            "charts": {"total": len(specs), "rendered": rendered, "reused": len(specs) - rendered},
            "timings_seconds": timings,
        }
        manifest_tmp = outputs.file(paths["manifest"].name)
        # output hashes are of the files as they will be after the commit
        manifest["outputs"] = {
            paths["deck"].name: file_sha256(deck_tmp),
            paths["tables"].name: file_sha256(tables_tmp),
        }
        manifest_tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        outputs.commit()
    except BaseException:
        renderer.abandon()
        outputs.discard()
        raise
    lap("commit")
    timings["total"] = round(sum(v for k, v in timings.items() if k != "total"), 4)
    _prune_cache(renderer.cache_dir, set(specs), keep=400)
    return ReportResult(paths["deck"], paths["tables"], paths["charts"], paths["manifest"], len(pres.slides), warnings, timings,
                        rendered=rendered, reused=len(specs) - rendered)


def _diag_dict(d) -> dict:  # noqa: ANN001 - WeightDiagnostics
    return {
        "method": d.method, "variables": list(d.variables), "n": d.n, "efficiency": round(d.efficiency, 6),
        "n_effective": round(d.n_effective, 3), "deff": round(d.deff, 6), "min_weight": round(d.min_weight, 6),
        "max_weight": round(d.max_weight, 6), "weight_ratio": round(d.ratio, 6), "iterations": d.iterations,
        "max_margin_gap": d.max_margin_gap, "capped_low": d.capped_low, "capped_high": d.capped_high,
        "margins": [{"variable": v, "category": c, "unweighted": round(u, 6), "weighted": round(w, 6), "target": round(t, 6)}
                    for v, c, u, w, t in d.margins],
    }


def _up_to_date(paths: dict[str, Path], input_key: str) -> dict | None:
    """The manifest if the outputs were built from exactly these inputs and are intact, else None."""
    try:
        manifest = json.loads(paths["manifest"].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("input_key") != input_key or not paths["charts"].is_dir():
        return None
    for file_name, digest in manifest.get("outputs", {}).items():
        target = paths["manifest"].parent / file_name
        if not target.is_file() or file_sha256(target) != digest:
            return None
    return manifest


def _prune_cache(cache_dir: Path, keep_keys: set[str], keep: int) -> None:
    """Keep the cache from growing without bound: drop the oldest images beyond ``keep``."""
    files = sorted(cache_dir.glob("*.png"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in files[keep:]:
        if path.stem.split("-")[0] not in keep_keys:
            path.unlink(missing_ok=True)


def weights_table(config_dir: Path, wave: int, data_dir: Path | None = None):  # noqa: ANN201 - (DataFrame, DataFrame, design)
    """Weights of one wave (respondent_id, wave, sex, age_group, weight) and the targets used."""
    import pandas as pd

    from pipeline.config import load_project
    from pipeline.load import discover_waves, load_wave
    from pipeline.weight import weight_wave

    project = load_project(config_dir)
    waves_dir = Path(data_dir) if data_dir else project.waves_dir
    available = discover_waves(waves_dir)
    if wave not in available:
        raise DataError(f"{waves_dir}: no wave file for {wave}; found waves {sorted(available)}; put {wave}.csv (or .parquet/.sav/.xlsx) in {waves_dir} or pass --wave with one of those years")
    design = weight_wave(project, load_wave(project, wave, available[wave]))
    frame = design.frame
    weights = pd.DataFrame({
        "respondent_id": frame["respondent_id"].astype(str),
        "wave": wave,
        "sex": frame["sex"].astype(str),
        "age_group": frame["age_group"].astype(str),
        "weight": design.weights,
    })
    targets = pd.DataFrame(design.targets, columns=["variable", "category", "share"])
    return weights, targets, design


def check_output_path(path: Path, suffixes: tuple[str, ...]) -> Path:
    if path.suffix.lower() not in suffixes:
        raise OutputError(f"{path}: unsupported file type; use one of {', '.join(suffixes)}")
    for parent in [path.parent, *path.parent.parents]:
        if parent.exists() and not parent.is_dir():
            raise OutputError(f"{parent}: output folder is a file, not a folder, so {path} cannot be written; choose another with --out or move the file away")
    if path.parent and not path.parent.exists():
        raise OutputError(f"{path.parent}: folder does not exist; create it first")
    return path


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use the survey-deck command")
