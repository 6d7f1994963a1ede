"""From config and weighted waves to the content of every slide (no pptx, no pixels).

For each slide of ``deck.yaml`` this module computes the slide's metrics, builds
its chart specs, renders its jinja2 texts (title, question, body, commentary,
footnote) and writes its speaker notes. The footnote is assembled from the
data and the codebook: bases per wave, routing, wording and code-frame
changes, the significance legend and low-base marks.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipeline import charts
from pipeline.charts import ChartContext, ChartSpec
from pipeline.config import I18n, Project, Question, SlideSpec
from pipeline.content import ChartAreas, ChartContent, SlideContent
from pipeline.design import SurveyDesign
from pipeline.errors import ConfigError
from pipeline.metrics import MetricContext, compute
from pipeline.metrics.coded import frame_changes
from pipeline.numbers import fmt_count
from pipeline.text import TableView, TextRenderer

log = logging.getLogger(__name__)

# The names a text template of deck.yaml can use (what ``SlideBuilder._context`` gives it), with what each holds;
# the config reference (docs/config.md) is generated from this.
TEMPLATE_NAMES: dict[str, str] = {
    "wave": "the report wave (year)",
    "prev": "the previous wave that asked the slide's main question (else the previous loaded wave), or none",
    "waves": "the waves the slide's metrics show, newest first",
    "first_wave": "the first loaded wave",
    "loaded_waves": "every loaded wave up to the report wave, oldest first",
    "n": "respondents per loaded wave (`n[2022]`)",
    "diag": "weighting diagnostics of the report wave: efficiency (%), n_effective, deff, min_weight, max_weight, "
            "iterations, method, variables",
    "survey": "name, client, supplier, contact, panel, fieldwork (of the report wave; blank if not given)",
    "question": "the wording of the slide's main question in the report wave",
    "note": "the codebook note of the slide's main question",
    "q": "the wording of every question asked in the report wave, by id (`q.recommend`)",
    "m": "the slide's metrics by name, each a table with `get`, `row`, `rows`, `top`, `bottom` (`m.main.get(category=\"1\")`)",
    "lang": "the report language (`sv` or `en`)",
}


@dataclass
class Presentation:
    """The whole deck's content plus the tables behind it and the warnings met on the way."""

    wave: int
    lang: str
    slides: list[SlideContent]
    tables: dict[str, pd.DataFrame]
    warnings: list[str] = field(default_factory=list)


def resolve(value: Any, lang: str) -> Any:
    """Replace {sv: …, en: …} dicts (and I18n objects) by the text in ``lang``, recursively."""
    if isinstance(value, I18n):
        return value.get(lang)
    if isinstance(value, dict):
        if set(value) == {"sv", "en"}:
            return value[lang]
        return {k: resolve(v, lang) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, lang) for v in value]
    return value


def chart_key(spec: ChartSpec) -> str:
    """Content hash of a chart spec (names the image file and keys the image cache)."""
    return hashlib.sha256(repr(spec).encode("utf-8")).hexdigest()[:16]


class SlideBuilder:
    """Builds :class:`SlideContent` for every slide of the deck config."""

    def __init__(self, project: Project, designs: dict[int, SurveyDesign], wave: int, lang: str, areas: ChartAreas):
        self.project = project
        self.designs = designs
        self.wave = wave
        self.lang = lang
        self.areas = areas
        self.ctx = MetricContext(project, designs, wave, lang)
        self.renderer = TextRenderer(lang)
        self.strings = {k: v.get(lang) for k, v in project.strings.items()}
        self.loaded = [w for w in sorted(designs) if w <= wave]

    # ---------------------------------------------------------------- helpers

    def _main_question(self, spec: SlideSpec) -> Question | None:
        for request in spec.metrics.values():
            if request.question and request.kind not in ("weighting",):
                return self.project.codebook.question(request.question)
        return None

    def _context(self, spec: SlideSpec, tables: dict[str, pd.DataFrame], question: Question | None) -> dict[str, Any]:
        diag = self.designs[self.wave].diagnostics
        prev = self.ctx.previous_wave(question, self.wave) if question is not None else (self.loaded[-2] if len(self.loaded) > 1 else None)
        shown = sorted({int(w) for t in tables.values() for w in t["wave"].dropna().unique() if int(w) <= self.wave}, reverse=True)
        survey = self.project.survey.survey
        context = {
            "wave": self.wave,
            "prev": prev,
            "waves": shown,
            "first_wave": self.loaded[0],
            "loaded_waves": self.loaded,
            "n": {w: self.designs[w].n for w in self.loaded},
            "diag": {
                "efficiency": diag.efficiency * 100, "n_effective": diag.n_effective, "deff": diag.deff,
                "min_weight": diag.min_weight, "max_weight": diag.max_weight, "iterations": diag.iterations,
                "method": diag.method, "variables": list(diag.variables),
            },
            "survey": {
                "name": survey.name.get(self.lang), "client": survey.client, "supplier": survey.supplier,
                "contact": survey.contact, "panel": survey.panel.get(self.lang),
                "fieldwork": survey.fieldwork[self.wave].get(self.lang) if self.wave in survey.fieldwork else "",
            },
            "question": question.wording(self.wave, self.lang) if question is not None else "",
            "note": question.note.get(self.lang) if question is not None and question.note else "",
            "q": {q.id: q.wording(self.wave, self.lang) for q in self.project.codebook.questions if q.asked(self.wave)},
            "m": {name: TableView(name, table, self.wave) for name, table in tables.items()},
            "lang": self.lang,
        }
        if context.keys() != TEMPLATE_NAMES.keys():  # the documented names are the names templates get
            raise RuntimeError(f"template names {sorted(context)} differ from slides.TEMPLATE_NAMES {sorted(TEMPLATE_NAMES)}")
        return context

    def _render(self, template: I18n | None, context: dict, where: str) -> str:
        if template is None:
            return ""
        return self.renderer.render(template.get(self.lang), context, where)

    def _area(self, spec: SlideSpec) -> tuple[float, float]:
        if spec.layout == "two_charts":
            return self.areas.half
        return self.areas.chart if spec.commentary else self.areas.chart_wide

    # ---------------------------------------------------------------- footnote

    def _footnote(
        self, spec: SlideSpec, question: Question | None, tables: dict[str, pd.DataFrame], context: dict, chart_specs: list[ChartSpec]
    ) -> str:
        parts: list[str] = []
        custom = self._render(spec.footnote, context, f"deck.yaml slide {spec.id} footnote")
        if custom:
            parts.append(custom)
        main = next(iter(tables.values()), None) if tables else None
        if question is not None and main is not None and not main.empty:
            shown = sorted({int(w) for w in main["wave"].unique() if int(w) <= self.wave})
            parts.extend(self._wording_notes(question, shown, context))
            if question.type == "open":
                for wave, old, new in frame_changes(self.ctx, question, shown):
                    parts.append(self.renderer.render(self.strings["frame_changed"], {"wave": wave, "old": old, "new": new}, "strings frame_changed"))
            if question.routing is not None:
                parts.append(question.routing.description.get(self.lang) + ".")
            total = main[main["group_var"] == "total"]
            by_series = chart_specs[0] if chart_specs and chart_specs[0].series_bases else None
            if by_series is not None:
                base_text = " ".join(f"{s.name} ({fmt_count(max(s.bases), self.lang)})" for s in by_series.series if s.bases and max(s.bases))
                parts.append(f"{self.strings['bases_prefix']}: {base_text}")
            elif not total.empty:
                bases = total.groupby("wave")["n"].max().sort_index(ascending=False)
                base_text = " ".join(f"{int(w)} ({fmt_count(n, self.lang)})" for w, n in bases.items() if int(w) <= self.wave)
                parts.append(f"{self.strings['bases_prefix']}: {base_text}")
            now = main[main["wave"] == self.wave]
            # the ▲▼ key wherever the slide's chart shows a mark (it may show older waves' marks, or drop marks
            # against a wave it does not show)
            marked = any(charts.shows_marks(c) for c in chart_specs) if chart_specs else (now["sig"].astype(str) != "").any()
            if marked:
                prev = context["prev"]
                level = fmt_count((1 - self.project.survey.statistics.alpha) * 100, self.lang)
                parts.append(self.renderer.render(self.strings["significance"], {"previous": prev, "level": level}, "strings significance"))
            if chart_specs:
                flags = {f for c in chart_specs for s in c.series for f in s.flags}
            else:
                flags = set(main["base_flag"].astype(str))
            if flags & {"low", "suppressed"}:
                lb = self.project.survey.statistics.low_base
                parts.append(self.renderer.render(self.strings["low_base"], {"flag": lb.flag_below, "suppress": lb.suppress_below}, "strings low_base"))
        return " ".join(p.strip() for p in parts if p.strip())

    def _wording_notes(self, question: Question, shown: list[int], context: dict) -> list[str]:
        out = []
        current = question.wording(self.wave, self.lang)
        older = [w for w in shown if w < self.wave and question.wording(w, self.lang) != current]
        if older:
            changed_in = min(w for w in shown if w > max(older))
            out.append(self.renderer.render(self.strings["wording_changed"], {"wave": changed_in, "old": question.wording(max(older), self.lang)}, "strings wording_changed"))
        item_changes = [w for item in question.items for w in shown if w < self.wave and question.wording(w, self.lang, item.id) != question.wording(self.wave, self.lang, item.id)]
        if item_changes:
            changed_in = min(w for w in shown if w > max(item_changes))
            out.append(self.renderer.render(self.strings["items_changed"], {"wave": changed_in}, "strings items_changed"))
        return out

    # ---------------------------------------------------------------- slides

    def build(self, spec: SlideSpec) -> tuple[SlideContent | None, dict[str, pd.DataFrame], list[str]]:
        """Return (slide content or None if skipped, the slide's metric tables, warnings)."""
        warnings: list[str] = []
        question = self._main_question(spec)
        needed = [self.project.codebook.question(q) for q in spec.requires]
        if question is not None:
            needed.append(question)
        for q in needed:
            if not q.asked(self.wave) or self.wave not in self.designs:
                warnings.append(f"slide {spec.id} skipped: question {q.id!r} is not asked in wave {self.wave}")
                return None, {}, warnings
        tables: dict[str, pd.DataFrame] = {}
        for name, request in spec.metrics.items():
            try:
                tables[name] = compute(self.ctx, request)
            except ConfigError as exc:
                raise ConfigError(f"deck.yaml slide {spec.id}, metric {name!r}: {exc}") from None
        context = self._context(spec, tables, question)
        where = f"deck.yaml slide {spec.id}"
        charts_out = []
        width, height = self._area(spec)
        cctx = ChartContext(self.lang, self.wave, self.strings, width, height, self.areas.theme, self.areas.font, tuple(self.loaded))
        for i, chart in enumerate(spec.charts):
            options = resolve(chart.options, self.lang)
            if "description" not in options:
                options["description"] = self._render(spec.title, context, where + " title")
            try:
                chart_spec = charts.build(chart.kind, tables[chart.metric], options, cctx)
            except ConfigError as exc:
                raise ConfigError(f"{where}, chart {i + 1} ({chart.kind}): {exc}") from None
            charts_out.append(ChartContent(chart_spec, chart_key(chart_spec), charts.alt_text(chart_spec), charts.notes_table(chart_spec)))
            for flag in ("low", "suppressed"):
                if any(flag in s.flags for s in chart_spec.series):
                    warnings.append(f"slide {spec.id}: chart has {flag} bases")
        notes_parts = [c.notes for c in charts_out]
        notes_parts += [self._render(n, context, where + " notes") for n in spec.notes]
        if question is not None:
            notes_parts.append(("Fråga: " if self.lang == "sv" else "Question: ") + question.wording(self.wave, self.lang))
        content = SlideContent(
            id=spec.id,
            layout=spec.layout,
            title=self._render(spec.title, context, where + " title"),
            subtitle=self._render(spec.subtitle, context, where + " subtitle"),
            question=self._render(spec.question, context, where + " question") if spec.question else (context["question"] if spec.layout in ("chart", "two_charts") else ""),
            body=tuple(self._render(b, context, where + " body") for b in spec.body),
            commentary=tuple(self._render(c, context, where + " commentary") for c in spec.commentary),
            footnote=self._footnote(spec, question, tables, context, [c.spec for c in charts_out]) if spec.layout in ("chart", "two_charts") else "",
            notes="\n\n".join(p for p in notes_parts if p),
            charts=tuple(charts_out),
        )
        return content, tables, warnings


def build_presentation(
    project: Project,
    designs: dict[int, SurveyDesign],
    wave: int,
    lang: str,
    areas: ChartAreas | None = None,
    on_slide: Callable[[SlideContent], None] | None = None,
) -> Presentation:
    """Build every slide's content for the report ``wave`` in ``lang``.

    ``on_slide`` is called with each slide as soon as it is built (the report
    stage starts rendering its charts while the next slides are computed).
    """
    builder = SlideBuilder(project, designs, wave, lang, areas or ChartAreas())
    slides, tables, warnings = [], {}, []
    for spec in project.deck.slides:
        content, slide_tables, slide_warnings = builder.build(spec)
        warnings.extend(slide_warnings)
        if content is None:
            continue
        slides.append(content)
        if on_slide is not None:
            on_slide(content)
        for name, table in slide_tables.items():
            t = table.copy()
            t.insert(0, "slide", spec.id)
            t.insert(1, "table", name)
            tables[f"{spec.id}:{name}"] = t
    for w in warnings:
        log.warning(w)
    return Presentation(wave, lang, slides, tables, warnings)
