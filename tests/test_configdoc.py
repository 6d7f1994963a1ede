"""The generated config reference: up to date, complete, and built by introspection."""

from __future__ import annotations

from pathlib import Path

from pipeline import configdoc
from pipeline.charts import CHARTS
from pipeline.metrics import METRICS
from pipeline.slides import TEMPLATE_NAMES, ChartAreas, SlideBuilder
from pipeline.text import TextRenderer

DOC = Path(__file__).resolve().parents[1] / "docs" / "config.md"


def test_docs_config_md_is_up_to_date():
    """docs/config.md is exactly what `make docs` writes now; run `make docs` after changing a model."""
    assert DOC.read_text(encoding="utf-8") == configdoc.generate(), "docs/config.md is out of date: run `make docs`"


def test_every_kind_and_option_is_documented():
    """Each metric and chart kind has a section, and each of its options a row."""
    text = configdoc.generate()
    for kind in METRICS.kinds() + CHARTS.kinds():
        section = text.split(f"### `{kind.name}`\n", 1)[1].split("\n### ", 1)[0]
        for option in kind.options.model_fields:
            assert f"| `{option}` |" in section, (kind.name, option)


def test_allowed_values_and_defaults_are_given():
    """A fixed set of values is listed, and a default shown as YAML."""
    text = configdoc.generate()
    assert "| `sort` | one of `newest`, `fixed`, `mean` | `newest` |" in text
    assert "| `measures` | list of one of `distribution`, `mean`, `top_box`, `agree` | `[distribution, mean, top_box, agree]` |" in text
    assert "| `suppress_below` | int | `30` |" in text


def test_filters_are_found_in_the_renderer(monkeypatch):
    """A filter registered in TextRenderer's environment appears with its docstring, without editing configdoc."""
    made = TextRenderer.__init__

    def with_extra(self: TextRenderer, lang: str) -> None:
        made(self, lang)

        def shout(value: str, times: int = 1) -> str:
            """The text in capitals."""
            return value.upper() * times

        self.env.filters["shout"] = shout

    monkeypatch.setattr(TextRenderer, "__init__", with_extra)
    assert "| `shout(times=1)` | The text in capitals. |" in configdoc.generate()


def test_template_names_are_the_names_templates_get(project, shipped_designs):
    """The documented template names are exactly the keys of the context a slide's templates are rendered with."""
    builder = SlideBuilder(project, shipped_designs, 2022, "sv", ChartAreas())
    slide = next(s for s in project.deck.slides if s.id == "S18")
    _, tables, _ = builder.build(slide)
    context = builder._context(slide, tables, project.codebook.question("heard_of_1177"))
    assert set(context) == set(TEMPLATE_NAMES)


def test_documented_layouts_and_placeholders_are_those_of_the_shipped_template(project):
    """Every layout role of a slide has a documented layout, whose placeholders the shipped template has, by name."""
    from typing import get_args

    from pptx import Presentation

    from pipeline.config import SlideSpec

    assert set(configdoc.TEMPLATE_LAYOUTS) == set(get_args(SlideSpec.model_fields["layout"].annotation))
    layouts = {layout.name: layout for layout in Presentation(str(project.path(project.deck.template))).slide_layouts}
    for role, places in configdoc.TEMPLATE_LAYOUTS.items():
        names = {ph.name for ph in layouts[project.deck.layouts[role]].placeholders}
        assert {name for name, _ in places} == names, role
