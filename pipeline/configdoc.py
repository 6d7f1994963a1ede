"""The config reference ``docs/config.md``, generated from the models themselves.

``python -m pipeline.configdoc docs/config.md`` (or ``make docs``) writes it:
every config file with every key, its type, default and allowed values (from
the pydantic models in :mod:`pipeline.config`), each metric and chart kind with
its options (from the kinds' options models and their field descriptions), the
names and filters available in text templates (from
:data:`pipeline.slides.TEMPLATE_NAMES` and the filters registered in
:class:`pipeline.text.TextRenderer`) and the layouts and placeholders the slide
template needs. A test fails when the file differs from what this writes.
"""

from __future__ import annotations

import inspect
import sys
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from pipeline import config
from pipeline.kinds import Kind

# What the deck stage needs of the slide template: layout role → (placeholder name, what goes in it).
# The layout of each role is named in deck.yaml (``layouts:``); placeholders are found by their name in the layout.
TEMPLATE_LAYOUTS: dict[str, tuple[tuple[str, str], ...]] = {
    "title": (("Title", "the slide title (the layout's title placeholder)"), ("Subtitle", "the subtitle"),
              ("Meta", "the body lines joined with ' · '")),
    "section": (("Title", "the section title"), ("Subtitle", "the subtitle")),
    "chart": (("Title", "the slide title"), ("Question", "the question wording"),
              ("Chart", "the area of the chart image (it also takes the commentary's width when a slide has none)"),
              ("Commentary", "the commentary bullets"), ("Footnote", "bases, routing, wording changes, significance, low bases")),
    "two_charts": (("Title", "the slide title"), ("Question", "the question wording"), ("Chart 1", "the left chart's area"),
                   ("Chart 2", "the right chart's area"), ("Footnote", "the footnote")),
    "text": (("Title", "the slide title"), ("Body", "the body bullets (a text box when the layout has no Body)")),
}

FILES: tuple[tuple[str, type[BaseModel], str], ...] = (
    ("survey.yaml", config.SurveyConfig, "The survey, where the other files are, weighting, statistics and report defaults."),
    ("codebook.yaml", config.Codebook, "Demographics and every question of the deck."),
    ("targets.yaml", config.Targets, "Population targets per wave year."),
    ("codeframes/*.yaml", config.CodeFrame, "One versioned code frame per file, for the open questions."),
    ("deck.yaml", config.DeckConfig, "The slides, in order."),
)


def _anchor(name: str) -> str:
    return name.lower().replace(" ", "-")


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation refers to (``list[Item] | None`` → [Item])."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def type_text(annotation: Any) -> str:
    """A field's type in words: ``list of int``, ``one of a, b``, ``[int, int]``, a link to a nested model."""
    origin = get_origin(annotation)
    args = get_args(annotation)
    if annotation is type(None):
        return "null"
    if origin is typing.Annotated:
        return type_text(args[0])
    if origin in (Union, types.UnionType):
        parts = [type_text(a) for a in args if a is not type(None)]
        return " or ".join(dict.fromkeys(parts))
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {type_text(args[0])}" if args else "list"
    if origin is tuple:
        return "[" + ", ".join(type_text(a) for a in args) + "]"
    if origin is dict:
        return f"mapping {type_text(args[0])} → {type_text(args[1])}" if args else "mapping"
    if annotation is config.I18n:
        return "text {sv, en}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{_anchor(annotation.__name__)})"
    if annotation is Any:
        return "any"
    return getattr(annotation, "__name__", str(annotation))


def _constraints(info: FieldInfo) -> str:
    words = []
    for item in info.metadata:
        for attr, sign in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤"), ("min_length", "at least"), ("max_length", "at most")):
            value = getattr(item, attr, None)
            if value is not None:
                words.append(f"{sign} {value}" + (" items" if "length" in attr else ""))
    return ", ".join(words)


def default_text(info: FieldInfo) -> str:
    """The default as YAML would write it, or *required*."""
    if info.is_required():
        return "*required*"
    value = info.default_factory() if info.default_factory is not None else info.default  # type: ignore[call-arg]  # pydantic types default_factory as taking the data
    if value is PydanticUndefined:
        return "*required*"
    if isinstance(value, config.I18n):
        return "`{" + ", ".join(f"{code}: {value.get(code)}" for code in value.languages) + "}`"
    if isinstance(value, BaseModel):
        return "(see its keys)"
    if value == "":
        return '`""`'
    if value is None:
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (list, tuple)) and not value:
        return "`[]`"
    if isinstance(value, dict) and not value:
        return "`{}`"
    if isinstance(value, (list, tuple)):
        return "`[" + ", ".join(str(v) for v in value) + "]`"
    return f"`{value}`"


def _markdown(text: str) -> str:
    """Docstring text as Markdown: reStructuredText's double backticks become single ones."""
    return text.replace("``", "`")


def _cell(text: str) -> str:
    return " ".join(_markdown(text).split()).replace("|", "\\|")


def field_table(model: type[BaseModel]) -> list[str]:
    """One row per key of ``model``: key, type (with constraints), default and, where any key has one, description."""
    described = any(info.description for info in model.model_fields.values())
    lines = ["| key | type | default |" + (" description |" if described else ""), "|---|---|---|" + ("---|" if described else "")]
    for name, info in model.model_fields.items():
        kind = type_text(info.annotation)
        limits = _constraints(info)
        if limits:
            kind += f" ({limits})"
        row = f"| `{name}` | {_cell(kind)} | {_cell(default_text(info))} |"
        lines.append(row + (f" {_cell(info.description or '')} |" if described else ""))
    return lines


def _doc(obj: Any) -> str:
    """The docstring as Markdown paragraphs (each paragraph's lines joined)."""
    paragraphs = inspect.cleandoc(obj.__doc__ or "").strip().split("\n\n")
    return "\n\n".join(_markdown(" ".join(p.split())) for p in paragraphs if p.strip())


def _first_paragraph(obj: Any) -> str:
    return _doc(obj).split("\n\n")[0]


def _call(fn: Any, skip: int) -> str:
    """``name(a=1, **filters)`` without the first ``skip`` parameters (and without type annotations)."""
    parts = []
    for p in list(inspect.signature(fn).parameters.values())[skip:]:
        if p.kind is p.VAR_KEYWORD:
            parts.append(f"**{p.name}")
        elif p.kind is p.VAR_POSITIONAL:
            parts.append(f"*{p.name}")
        else:
            parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return f"({', '.join(parts)})" if parts else ""


def file_sections() -> list[str]:
    """Every config file and every model reached from it, each model once."""
    out = ["## Config files", ""]
    done: set[type[BaseModel]] = set()
    for filename, model, about in FILES:
        out += [f"### {filename}", "", about, ""]
        queue = [model]
        while queue:
            m = queue.pop(0)
            if m in done or m is config.I18n:
                continue
            done.add(m)
            heading = "" if m is model else f"#### {m.__name__}"
            if heading:
                out += [heading, ""]
            doc = _first_paragraph(m)
            if doc and not doc.startswith("!!!"):
                out += [doc, ""]
            out += [*field_table(m), ""]
            for info in m.model_fields.values():
                queue += [n for n in _models_in(info.annotation) if n not in done]
    out += [
        "### Strings file (`deck.yaml` → `strings`)", "",
        "A mapping of phrase keys to texts {sv, en} (fixed phrases the charts and footnotes use).", "",
        "#### I18n", "", "A text in each language, keyed by language code: `{sv: …, en: …}`. Every text must have every "
        "language of `report.languages` in survey.yaml (checked when the config is loaded); a language is any code "
        "Babel knows, its numbers formatted by its CLDR patterns.", "",
    ]
    return out


def kind_sections(title: str, kinds: Sequence[Kind[Any]], intro: list[str], functions: str) -> list[str]:
    """Each kind of a family: what it does (from its function's docstring) and its options."""
    out = [f"## {title}", "", *intro, ""]
    for kind in kinds:
        out += [f"### `{kind.name}`", ""]
        fn = getattr(kind, functions)
        about = _doc(fn)
        if about:
            out += [about, ""]
        measures = getattr(kind, "measures", None)
        if measures is not None and all(not info.is_required() for info in kind.options.model_fields.values()):
            out += ["Measures (with the default options): " + ", ".join(f"`{m}`" for m in measures(kind.options())) + ".", ""]
        if kind.options.model_fields:
            out += [f"Options (`{kind.options.__name__}`):", "", *field_table(kind.options), ""]
        else:
            out += ["No options.", ""]
    return out


def template_sections() -> list[str]:
    """Names and filters of the text templates, and what the slide template must contain."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from pipeline.slides import TEMPLATE_NAMES
    from pipeline.text import TableView, TextRenderer

    out = ["## Text templates", "",
           "Titles, bullets, commentary, footnotes and notes in `deck.yaml` are jinja2 templates (sandboxed; an "
           "unknown name is an error). Text options of charts (`description`, labels) take a text or {sv, en}.", "",
           "### Names", "", "| name | what |", "|---|---|"]
    out += [f"| `{name}` | {_cell(about)} |" for name, about in TEMPLATE_NAMES.items()]
    out += ["", "A metric's table (`m.<name>`) answers:", "", "| method | what |", "|---|---|"]
    for name, member in inspect.getmembers(TableView, inspect.isfunction):
        if not name.startswith("_"):
            out.append(f"| `{name}{_call(member, 1) or '()'}` | {_cell(_first_paragraph(member))} |")
    env = TextRenderer("sv").env
    stock = ImmutableSandboxedEnvironment()
    out += ["", "### Filters", "", "| filter | what |", "|---|---|"]
    for name, fn in sorted(env.filters.items()):
        if stock.filters.get(name) is fn:
            continue
        target = getattr(fn, "func", fn)  # a functools.partial: its function's docstring
        out.append(f"| `{name}{_call(target, 1)}` | {_cell(_first_paragraph(target))} |")
    extra_globals = sorted(k for k, v in env.globals.items() if stock.globals.get(k) is not v)
    if extra_globals:
        out += ["", "Functions: " + ", ".join(f"`{g}`" for g in extra_globals) + " (besides jinja2's own)."]
    out += ["", "## Slide template", "",
            "The template (`deck.yaml` → `template`) needs one slide layout per role the slides use, named as in `deck.yaml` → `layouts`. "
            "Placeholders are found by their name in the layout; a missing layout is an error, a missing placeholder "
            "is left out (the body of a text slide becomes a text box).", "",
            "| layout role | placeholders |", "|---|---|"]
    for role, places in TEMPLATE_LAYOUTS.items():
        out.append(f"| `{role}` | " + "; ".join(f"`{n}`: {about}" for n, about in places) + " |")
    return out


def generate() -> str:
    """The whole reference as Markdown."""
    from pipeline.charts import CHARTS
    from pipeline.metrics import METRICS

    out = ["# Config reference", "",
           "Generated from the config models by `make docs` (`python -m pipeline.configdoc docs/config.md`); "
           "do not edit by hand. A test fails when this file is out of date.", "",
           "Every file refuses unknown keys. `text {sv, en}` is a mapping with a Swedish and an English text.", ""]
    out += file_sections()
    out += kind_sections(
        "Metric kinds", METRICS.kinds(),
        ["A slide's `metrics:` maps a name to a request (`kind`, `question`, `items`, `waves`, `by`, `options`). "
         "Every kind returns rows with the columns of `pipeline.metrics.COLUMNS`; the `measure` column says what a row "
         "measures. Options are checked when the config is loaded."], "compute")
    out += kind_sections(
        "Chart kinds", CHARTS.kinds(),
        ["A slide's `charts:` lists charts (`kind`, `metric`: the name of the slide's metric drawn, `options`). "
         "A chart's `measure` must be one its metric produces. Text options take a text or {sv, en}."], "build")
    out += template_sections()
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str]) -> None:
    """Write the reference to the file named in ``argv`` (default ``docs/config.md`` of the project)."""
    path = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "docs" / "config.md"
    path.write_text(generate(), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
