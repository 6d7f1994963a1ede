"""From config and weighted waves to the content of every slide (no pptx, no pixels).

For each slide of ``deck.yaml`` this module computes the slide's metrics, builds
its chart specs, renders its jinja2 texts (title, question, body, commentary,
footnote) and writes its speaker notes. The footnote is assembled from the
data and the codebook: bases per wave, routing, wording and code-frame
changes, the significance legend and low-base marks.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipeline import charts
from pipeline.charts import ChartContext, ChartSpec
from pipeline.claims import ClaimError, Sentence, alpha_of, preflight
from pipeline.config import I18n, Project, Question, SlideSpec
from pipeline.content import ChartAreas, ChartContent, SlideContent
from pipeline.design import SurveyDesign
from pipeline.errors import ConfigError, PipelineError
from pipeline.locale import Locale
from pipeline.metrics import MetricContext, compute
from pipeline.metrics.coded import frame_changes
from pipeline.text import TableView, TextRenderer

log = logging.getLogger(__name__)
_PREV = re.compile(r"\bprev\b|\bwave=None\b|\b(direction|by_direction|largest_change|shown_change|record)\(|\|\s*direction\b"
                   r"|growth_fit|projection_fit")

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
    "lang": "the report language code, one of `report.languages` (`sv`, `en` …)",
    "scale": "the rating scale of the slide's main question: min, max and range (`0–10`); empty without a scale",
    "nps": "the NPS bands of the slide's main question as ranges: detractors (`0–6`), passives, promoters; empty without",
    "stats": "the statistics settings of survey.yaml: confidence (the intervals' level in %), test_level (the tests' "
             "confidence level in %, 100 × (1 − alpha)), alpha, suppress_below, flag_below",
}


def _in(text: str | I18n, lang: str) -> str:
    """A config field that is a name (the same in every language) or a text per language, in ``lang``."""
    return text if isinstance(text, str) else text.get(lang)


@dataclass
class Presentation:
    """The whole deck's content plus the tables behind it and the warnings met on the way."""

    wave: int
    lang: str
    slides: list[SlideContent]
    tables: dict[str, pd.DataFrame]
    warnings: list[str] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)  # one row per sentence: slide, part, sentence, claims, figures, test, check
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (slide id, reason), each slide once
    preflight: dict[str, Any] = field(default_factory=dict)  # sentences / claims checked, problems found, fallbacks used


def resolve(value: Any, lang: str, langs: tuple[str, ...] = ("sv", "en")) -> Any:
    """Replace text mappings ({sv: …, en: …}: all keys among ``langs``) and I18n objects by the text in ``lang``, recursively."""
    if isinstance(value, I18n):
        return value.get(lang)
    if isinstance(value, dict):
        if value and set(value) <= set(langs):
            return I18n.model_validate(value).get(lang)
        return {k: resolve(v, lang, langs) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, lang, langs) for v in value]
    return value


def replace_content(content: SlideContent, **changes: Any) -> SlideContent:
    """A copy of ``content`` with ``changes``."""
    return dataclasses.replace(content, **changes)


def chart_key(spec: ChartSpec[Any]) -> str:
    """Content hash of a chart spec (names the image file and keys the image cache)."""
    return hashlib.sha256(repr(spec).encode("utf-8")).hexdigest()[:16]


class SlideBuilder:
    """Builds :class:`SlideContent` for every slide of the deck config."""

    def __init__(self, project: Project, designs: dict[int, SurveyDesign], wave: int, lang: str, areas: ChartAreas,
                 strict: bool = False) -> None:
        self.project = project
        self.strict = strict
        self.claim_rows: list[dict[str, Any]] = []  # every sentence of the deck with its claims (the xlsx sheet)
        self.problems: list[str] = []  # every preflight finding
        self.left_out: list[str] = []  # sentences left out for want of a previous wave
        self.designs = designs
        self.wave = wave
        self.lang = lang
        self.areas = areas
        self.ctx = MetricContext(project, designs, wave)
        self.locale = Locale.of(project, lang)
        self.strings = dict(self.locale.strings)
        self.renderer = TextRenderer(lang, self.strings, alpha_of(project.survey.statistics))
        self.sentences: list[Sentence] = []  # what the slide being built says, with its claims
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
                "name": survey.name.get(self.lang), "client": _in(survey.client, self.lang), "supplier": survey.supplier,
                "contact": _in(survey.contact, self.lang), "panel": survey.panel.get(self.lang) if survey.panel is not None else "",
                "fieldwork": survey.fieldwork[self.wave].get(self.lang) if self.wave in survey.fieldwork else "",
            },
            "question": question.wording(self.wave, self.lang) if question is not None else "",
            "note": question.note.get(self.lang) if question is not None and question.note else "",
            "q": {q.id: q.wording(self.wave, self.lang) for q in self.project.codebook.questions if q.asked(self.wave)},
            "m": {name: TableView(name, table, self.wave) for name, table in tables.items()},
            "lang": self.lang,
            "scale": ({"min": question.scale.min, "max": question.scale.max, "range": f"{question.scale.min}–{question.scale.max}"}
                      if question is not None and question.scale is not None else {}),
            "nps": ({band: f"{lo}–{hi}" for band, (lo, hi) in question.nps.model_dump().items()}
                    if question is not None and question.nps is not None else {}),
            "stats": {
                "confidence": self.project.survey.statistics.confidence_level * 100,
                "test_level": (1 - self.project.survey.statistics.alpha) * 100,
                "alpha": self.project.survey.statistics.alpha,
                "suppress_below": self.project.survey.statistics.low_base.suppress_below,
                "flag_below": self.project.survey.statistics.low_base.flag_below,
            },
        }
        if context.keys() != TEMPLATE_NAMES.keys():  # the documented names are the names templates get
            raise RuntimeError(f"template names {sorted(context)} differ from slides.TEMPLATE_NAMES {sorted(TEMPLATE_NAMES)}")
        return context

    def _render(self, template: I18n | None, context: dict[str, Any], where: str) -> str:
        if template is None:
            return ""
        return self.renderer.render(template.get(self.lang), context, where)

    def _say(self, template: I18n | None, context: dict[str, Any], where: str, part: str) -> str:
        """Render a text of the slide and log it, with the claims it made, for the preflight check."""
        self.renderer.claims.start()
        if (template is not None and part not in ("title", "subtitle") and context.get("prev") is None
                and _PREV.search(template.get(self.lang))):
            # first wave of a question: a sentence comparing with the previous wave has nothing to say
            self.left_out.append(f"{where}: left out, no earlier wave to compare with")
            return ""
        text = self._render(template, context, where)
        if text:
            self.sentences.append(Sentence(part, text, list(self.renderer.claims.log)))
        return text

    def _area(self, spec: SlideSpec) -> tuple[float, float]:
        if spec.layout == "two_charts":
            return self.areas.half
        return self.areas.chart if spec.commentary else self.areas.chart_wide

    # ---------------------------------------------------------------- footnote

    def _footnote(
        self, spec: SlideSpec, question: Question | None, tables: dict[str, pd.DataFrame], context: dict[str, Any],
        chart_specs: list[ChartSpec[Any]],
    ) -> str:
        parts: list[str] = []
        custom = self._render(spec.footnote, context, f"deck.yaml slide {spec.id} footnote")
        if custom:
            parts.append(custom)
        for chart in chart_specs:  # a band scheme's key in words, from the chart's own bands (the native chart has no key)
            bands = getattr(chart.detail, "bands", ())
            if bands:
                parts.append(f"{self.strings['bands_key']}: " + "; ".join(label for _, label, _ in bands) + ".")
        main = next(iter(tables.values()), None) if tables else None
        if question is not None and main is not None and not main.empty:
            shown = sorted({int(w) for w in main["wave"].unique() if int(w) <= self.wave})
            parts.extend(self._wording_notes(question, shown, context))
            if question.type == "open":
                for wave, old, new in frame_changes(self.ctx, question, shown):
                    changes = self._frame_words(old, new)
                    if changes:
                        parts.append(self.renderer.render(self.strings["frame_changed"],
                                                          {"wave": wave, "old": old, "new": new, "changes": changes},
                                                          "strings frame_changed"))
            if question.routing is not None:
                parts.append(question.routing.description.get(self.lang) + ".")
            total = main[main["group_var"] == "total"]
            by_series = chart_specs[0] if chart_specs and chart_specs[0].series_bases else None
            if by_series is not None:
                base_text = " ".join(f"{s.name} ({self.locale.count(max(s.bases))})" for s in by_series.series
                                     if s.bases and max(s.bases) != 0)
                parts.append(f"{self.strings['bases_prefix']}: {base_text}")
            elif not total.empty:
                bases = total.groupby("wave")["n"].max().sort_index(ascending=False)
                base_text = " ".join(f"{int(w)} ({self.locale.count(n)})" for w, n in zip(bases.index, bases, strict=True)
                                     if int(w) <= self.wave)
                parts.append(f"{self.strings['bases_prefix']}: {base_text}")
            now = main[main["wave"] == self.wave]
            # the ▲▼ key wherever the slide's chart shows a mark (it may show older waves' marks, or drop marks
            # against a wave it does not show)
            marked = any(charts.shows_marks(c) for c in chart_specs) if chart_specs else (now["sig"].astype(str) != "").any()
            if marked:
                prev = context["prev"]
                level = self.locale.count((1 - self.project.survey.statistics.alpha) * 100)
                parts.append(self.renderer.render(self.strings["significance"], {"previous": prev, "level": level}, "strings significance"))
            if chart_specs:
                flags = {f for c in chart_specs for s in c.series for f in s.flags}
            else:
                flags = set(main["base_flag"].astype(str))
            if flags & {"low", "suppressed"}:
                lb = self.project.survey.statistics.low_base
                parts.append(self.renderer.render(self.strings["low_base"], {"flag": lb.flag_below, "suppress": lb.suppress_below},
                                                  "strings low_base"))
        return " ".join(p.strip() for p in parts if p.strip())

    def _frame_words(self, old_id: str, new_id: str) -> str:
        """How code frame ``new_id`` differs from ``old_id``, in the codebook's words (codes added, dropped, renamed, nets widened)."""
        frames = self.project.codeframes
        if old_id not in frames or new_id not in frames:
            return ""
        old, new = frames[old_id], frames[new_id]
        lang = self.lang
        before = {c.key: c for c in old.categories}
        after = {c.key: c for c in new.categories}
        labels = {**{k: c.label.get(lang) for k, c in before.items()}, **{k: c.label.get(lang) for k, c in after.items()}}
        out = []
        for key, c in after.items():
            if key not in before:
                out.append(self.strings["frame_added"].replace("{name}", c.label.get(lang)))
            elif before[key].label.get(lang) != c.label.get(lang):
                out.append(self.strings["frame_relabelled"].replace("{old}", before[key].label.get(lang))
                           .replace("{new}", c.label.get(lang)))
            elif before[key].patterns != c.patterns:
                out.append(self.strings["frame_patterns"].replace("{name}", c.label.get(lang)))
        out += [self.strings["frame_removed"].replace("{name}", c.label.get(lang)) for key, c in before.items() if key not in after]
        old_nets = {n.key: n for n in old.nets}
        for net in new.nets:
            was = list(old_nets[net.key].members) if net.key in old_nets else []
            added = [labels.get(m, m) for m in net.members if m not in was]
            dropped = [labels.get(m, m) for m in was if m not in net.members]
            name = net.label.get(lang).lower()
            if added:
                members = self.renderer.claims.names([{"l": a} for a in added], key="l")
                out.append(self.strings["frame_net"].replace("{name}", name).replace("{members}", members))
            if dropped:
                members = self.renderer.claims.names([{"l": d} for d in dropped], key="l")
                out.append(self.strings["frame_net_dropped"].replace("{name}", name).replace("{members}", members))
        return "; ".join(out)

    def _wording_notes(self, question: Question, shown: list[int], context: dict[str, Any]) -> list[str]:
        out = []
        current = question.wording(self.wave, self.lang)
        older = [w for w in shown if w < self.wave and question.wording(w, self.lang) != current]
        if older:
            changed_in = min(w for w in shown if w > max(older))
            out.append(self.renderer.render(self.strings["wording_changed"],
                                            {"wave": changed_in, "old": question.wording(max(older), self.lang)},
                                            "strings wording_changed"))
        item_changes = [w for item in question.items for w in shown
                        if w < self.wave and question.wording(w, self.lang, item.id) != question.wording(self.wave, self.lang, item.id)]
        if item_changes:
            changed_in = min(w for w in shown if w > max(item_changes))
            out.append(self.renderer.render(self.strings["items_changed"], {"wave": changed_in}, "strings items_changed"))
        return out

    # ---------------------------------------------------------------- slides

    def build(self, spec: SlideSpec) -> tuple[SlideContent | None, dict[str, pd.DataFrame], list[str]]:
        """Return (slide content or None if skipped, the slide's metric tables, warnings)."""
        warnings: list[str] = []
        self.sentences = []
        question = self._main_question(spec)
        needed = [self.project.codebook.question(q) for q in spec.requires]
        if question is not None:
            needed.append(question)
        # every question a metric of the slide reads (S46 reads three): the slide needs them all in the report wave
        needed += [self.project.codebook.question(r.question) for r in spec.metrics.values()
                   if r.question and r.kind != "weighting" and r.question not in {q.id for q in needed}]
        for q in needed:
            if not q.asked(self.wave) or self.wave not in self.designs:
                warnings.append(f"slide {spec.id} skipped: question {q.id!r} is not asked in wave {self.wave}")
                return None, {}, warnings
        tables: dict[str, pd.DataFrame] = {}
        for name, request in spec.metrics.items():
            try:
                tables[name] = self.locale.label_rows(compute(self.ctx, request), self.project, request)
            except ConfigError as exc:
                raise ConfigError(f"deck.yaml slide {spec.id}, metric {name!r}: {exc}") from None
        context = self._context(spec, tables, question)
        where = f"deck.yaml slide {spec.id}"
        if context["prev"] is None and re.search(r"\bprev\b", spec.title.get(self.lang)):
            warnings.append(f"slide {spec.id} skipped: its title compares with an earlier wave and wave {self.wave} is the first")
            return None, {}, warnings
        charts_out = []
        width, height = self._area(spec)
        cctx = ChartContext(self.lang, self.wave, self.strings, width, height, self.areas.theme, self.areas.font, tuple(self.loaded))
        for i, chart in enumerate(spec.charts):
            options = resolve(chart.options, self.lang, self.project.languages)
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
        title = self._say(spec.title, context, where + " title", "title")
        notes_parts += [self._say(n, context, where + " notes", "notes") for n in spec.notes]
        if question is not None:
            notes_parts.append(f"{self.locale.text('notes_question')}: {question.wording(self.wave, self.lang)}")
        content = SlideContent(
            id=spec.id,
            layout=spec.layout,
            title=title,
            subtitle=self._say(spec.subtitle, context, where + " subtitle", "subtitle"),
            question=(self._render(spec.question, context, where + " question") if spec.question
                      else (context["question"] if spec.layout in ("chart", "two_charts") else "")),
            body=tuple(self._say(b, context, where + " body", "body") for b in spec.body),
            commentary=tuple(self._say(c, context, where + " commentary", "commentary") for c in spec.commentary),
            footnote=(self._footnote(spec, question, tables, context, [c.spec for c in charts_out])
                      if spec.layout in ("chart", "two_charts") else ""),
            notes="",
            charts=tuple(charts_out),
        )
        content = self._checked(content, notes_parts, warnings)
        return content, tables, warnings

    # ---------------------------------------------------------------- preflight

    def _checked(self, content: SlideContent, notes_parts: list[str], warnings: list[str]) -> SlideContent:
        """Run the preflight on the slide's sentences; fall back (or fail, strict) where a claim does not hold.

        A title that fails shows the neutral form its claim function was given; a
        bullet that fails is left out. Each failure is one warning line.
        """
        words = [w for w in self.strings.get("claim_words", "").split("|") if w]
        legend_head = self.strings.get("significance", "").split("(")[0].split("{")[0].strip()
        found = preflight(self.sentences, [c.spec for c in content.charts], [c.notes for c in content.charts], content.footnote,
                          self.lang, words, legend_head, self.strings.get("points", ""))
        bad = {(p.part, p.sentence): p.reason for p in found}
        replace: dict[str, Any] = {}
        for part in ("title", "subtitle"):
            text = getattr(content, part)
            if (part, text) in bad:
                neutral = next((c.neutral for s in self.sentences if s.part == part and s.text == text for c in s.claims if c.neutral),
                               None)
                replace[part] = neutral if neutral is not None else text
        for part in ("body", "commentary"):
            kept = tuple(t for t in getattr(content, part) if t and (part, t) not in bad)  # a claim may leave a sentence empty
            if kept != getattr(content, part):
                replace[part] = kept
        for p in found:
            line = f"slide {content.id} {p.part}: {p.reason}: “{p.sentence}”"
            if self.strict:
                raise ClaimError(f"deck.yaml {line}; fix the text (or run without --strict to fall back to the neutral form)")
            if p.part in ("title", "subtitle"):
                outcome = "neutral form used" if replace.get(p.part, p.sentence) != p.sentence else "kept (it has no neutral form)"
            else:
                outcome = "kept (footnote)" if p.part == "footnote" else "sentence left out"
            warnings.append(f"{line} – {outcome}")
        self.problems.extend(f"{content.id}: {p.reason}" for p in found)
        notes = list(notes_parts)
        claims = [(s, c) for s in self.sentences for c in s.claims]
        if claims:
            lines = [self.strings.get("claims_notes", "")]
            lines += [f"– {c.statement}: {c.figures}" + (f" [{c.test}]" if c.test else "") for _, c in claims]
            notes.append("\n".join(lines))
        for s in self.sentences:
            self.claim_rows.append({
                "slide": content.id, "part": s.part, "sentence": s.text,
                "claims": " | ".join(c.statement for c in s.claims), "figures": " | ".join(c.figures for c in s.claims),
                "test": " | ".join(c.test for c in s.claims if c.test),
                "check": "; ".join(p.reason for p in found if p.sentence == s.text and p.part == s.part) or "ok",
            })
        return replace_content(content, notes="\n\n".join(p for p in notes if p), **replace)


@dataclass
class _Built:
    """One slide as built: its content (None: skipped), tables and warnings, and what the builder noted for it."""

    content: SlideContent | None
    tables: dict[str, pd.DataFrame]
    warnings: list[str]
    claim_rows: list[dict[str, Any]]
    problems: list[str]
    left_out: list[str]


def _build(builder: SlideBuilder, spec: SlideSpec) -> _Built:
    rows, problems, left_out = len(builder.claim_rows), len(builder.problems), len(builder.left_out)
    content, tables, warnings = builder.build(spec)
    return _Built(content, tables, warnings, builder.claim_rows[rows:], builder.problems[problems:], builder.left_out[left_out:])


def _built_in_order(builder: SlideBuilder, specs: list[SlideSpec], helper: Callable[[], None] | None) -> Generator[_Built, None, None]:
    """Every slide built, in deck order: here one after the other, or (``helper`` given) on two cores.

    With a helper, a forked process builds slides from the end of the deck while this one builds from the start,
    each taking the next slide from its end until they meet (so the work balances itself); this process's slides
    are yielded as they are built, the helper's (sent as it builds them) at the end. A slide is built the same way in either process (the
    builder's caches only save work), so the deck is the same. The first failing slide in deck order raises its
    error, as it would one after the other: every slide before it has been built when it is raised.
    """
    if helper is None or len(specs) < 2:
        for spec in specs:
            yield _build(builder, spec)
        return
    import multiprocessing
    import traceback

    context = multiprocessing.get_context("fork")
    ends = context.RawArray("i", [0, len(specs) - 1])  # the next slide from the start (here) and from the end (helper)
    lock = context.Lock()
    receive, send = context.Pipe(duplex=False)

    def take(from_start: bool) -> int | None:
        with lock:
            if ends[0] > ends[1]:
                return None
            index: int = ends[0] if from_start else ends[1]
            ends[0 if from_start else 1] += 1 if from_start else -1
            return index

    def work() -> None:
        assert helper is not None
        helper()
        index = None
        try:
            while (index := take(False)) is not None:
                send.send((index, _build(builder, specs[index])))  # sent as built: the pickling overlaps the building
        except BaseException as exc:  # noqa: BLE001 - the error is the parent's to raise (if no earlier slide fails)
            if not isinstance(exc, PipelineError):
                exc.add_note("(in the process building slides from the end of the deck)\n" + traceback.format_exc())
            send.send((index if index is not None else len(specs), exc))
        send.send(None)  # done

    arrived: dict[int, _Built | BaseException] = {}

    def receive_one() -> bool:
        """Take one message of the helper; False once it is done."""
        try:
            message = receive.recv()
        except EOFError:
            process.join()
            raise RuntimeError(f"the process building slides ended with exit code {process.exitcode} before it was done") from None
        if message is None:
            return False
        arrived[message[0]] = message[1]
        return True

    process = context.Process(target=work, daemon=True)
    process.start()
    send.close()
    helping = True
    try:
        while (index := take(True)) is not None:
            yield _build(builder, specs[index])
            while helping and receive.poll():  # read what the helper sent meanwhile, so its pipe never fills up
                helping = receive_one()
        while helping:
            helping = receive_one()
        for index in sorted(arrived):
            outcome = arrived[index]
            if isinstance(outcome, BaseException):
                raise outcome
            yield outcome
    finally:  # done, failed, or the caller stopped early: the helper has nothing more to do
        if process.is_alive():
            process.kill()
        process.join()
        receive.close()


def build_presentation(
    project: Project,
    designs: dict[int, SurveyDesign],
    wave: int,
    lang: str,
    areas: ChartAreas | None = None,
    on_slide: Callable[[SlideContent], None] | None = None,
    strict: bool = False,
    helper: Callable[[], None] | None = None,
) -> Presentation:
    """Build every slide's content for the report ``wave`` in ``lang``.

    ``on_slide`` is called with each slide as soon as it is built (the report
    stage starts rendering its charts while the next slides are computed).
    A section slide all of whose content slides were skipped is dropped.
    ``strict``: a sentence that fails the preflight check is an error
    (:class:`~pipeline.claims.ClaimError`) instead of falling back.
    ``helper``: build the slides on two cores, with a forked process that first calls ``helper`` (e.g. to end
    itself with its parent); the presentation is the same (see :func:`_built_in_order`).
    """
    builder = SlideBuilder(project, designs, wave, lang, areas or ChartAreas(), strict=strict)
    built: list[tuple[SlideSpec, SlideContent | None]] = []
    tables, warnings, skipped = {}, [], []
    claim_rows: list[dict[str, Any]] = []
    problems: list[str] = []
    left_out: list[str] = []
    warnings.extend(metadata_warnings(project, wave))
    in_order = _built_in_order(builder, project.deck.slides, helper)
    try:
        for spec, done in zip(project.deck.slides, in_order, strict=True):
            content, slide_tables, slide_warnings = done.content, done.tables, done.warnings
            claim_rows += done.claim_rows
            problems += done.problems
            left_out += done.left_out
            warnings.extend(slide_warnings)
            built.append((spec, content))
            if content is None:
                skipped.append((spec.id, next((w.split(": ", 1)[1] for w in slide_warnings if " skipped: " in w), "skipped")))
                continue
            if on_slide is not None and spec.layout != "section":
                on_slide(content)
            for name, table in slide_tables.items():
                t = table.copy()
                t.insert(0, "slide", spec.id)
                t.insert(1, "table", name)
                tables[f"{spec.id}:{name}"] = t
    finally:
        in_order.close()  # a helper process ends here even if this loop stopped early
    slides = []
    for i, (spec, content) in enumerate(built):
        if content is None:
            continue
        if spec.layout == "section":
            following = []
            for later, later_content in built[i + 1:]:
                if later.layout in ("section", "title"):
                    break
                following.append(later_content)
            if following and all(c is None for c in following):
                reason = "section dropped: all its slides were skipped"
                skipped.append((spec.id, reason))
                warnings.append(f"slide {spec.id} {reason}")
                continue
            if on_slide is not None:
                on_slide(content)
        slides.append(content)
    if left_out:  # one line, not one per sentence
        ids = sorted({w.split()[2] for w in left_out})
        warnings.append(f"{len(left_out)} sentence(s) comparing with an earlier wave left out, as their question has "
                        f"no wave before {wave}: slides {', '.join(ids)}")
    for w in warnings:
        log.warning(w)
    checked = {"sentences": len(claim_rows), "claims": sum(1 for r in claim_rows if r["claims"]),
               "problems": problems, "strict": strict}
    return Presentation(wave, lang, slides, tables, warnings, claims=claim_rows, skipped=skipped, preflight=checked)


def metadata_warnings(project: Project, wave: int) -> list[str]:
    """Warnings for survey metadata the report wave lacks (fieldwork period, supplier) when the deck's texts use it
    (both are optional: a deck that does not mention them is not warned about them)."""
    survey = project.survey.survey
    texts = project.deck.model_dump_json()
    out = []
    if "fieldwork" in texts and wave not in survey.fieldwork:
        out.append(f"survey.yaml: no fieldwork period for wave {wave}; "
                   f"add survey.fieldwork.{wave}: {{sv: …, en: …}} (S01 and S11 leave it out)")
    if "supplier" in texts and not str(survey.supplier or "").strip():
        out.append("survey.yaml: survey.supplier is empty; add the fieldwork supplier (S11 leaves it out)")
    return out
