"""Text templates: strict undefined names, the sandbox, number filters and no-break spaces, TableView lookups."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pipeline.errors import TemplateError
from pipeline.text import TableView, TextRenderer

WHERE = "deck.yaml slide S14 footnote"


@pytest.fixture
def sv():
    return TextRenderer("sv")


@pytest.fixture
def en():
    return TextRenderer("en")


def table() -> pd.DataFrame:
    rows = [
        # wave, group, category, measure, value
        (2022, "total", "1177", "first", 55.0),
        (2022, "total", "vc_hospital", "first", 20.0),
        (2022, "total", "uncoded", "first", 30.0),
        (2022, "total", "dont_know", "first", 40.0),
        (2022, "total", "kry", "first", 5.0),
        (2021, "total", "1177", "first", 58.0),
        (2022, "Man", "1177", "first", 50.0),
        (2022, "total", "1177", "any", 61.0),
    ]
    return pd.DataFrame(rows, columns=["wave", "group", "category", "measure", "value"])


# ------------------------------------------------------------------ strict undefined


def test_undefined_variable_names_template_and_variable(sv):
    with pytest.raises(TemplateError) as err:
        sv.render("Andelen är {{ share_1177 | pct }}.", {"n": 1}, WHERE)
    message = str(err.value)
    assert WHERE in message
    assert "share_1177" in message


def test_undefined_attribute_names_template_and_attribute(sv):
    with pytest.raises(TemplateError) as err:
        sv.render("{{ m.nps }}", {"m": {"reach": 1}}, WHERE)
    assert WHERE in str(err.value) and "nps" in str(err.value)


def test_undefined_is_an_error_even_in_a_test_or_loop(sv):
    with pytest.raises(TemplateError, match="missing"):
        sv.render("{% for x in missing %}{{ x }}{% endfor %}", {}, WHERE)


def test_syntax_error_names_template(sv):
    with pytest.raises(TemplateError, match=WHERE):
        sv.render("{% if %}x{% endif %}", {}, WHERE)


def test_unknown_filter_names_template(sv):
    with pytest.raises(TemplateError, match=f"{WHERE}.*nofilter"):
        sv.render("{{ 1 | nofilter }}", {}, WHERE)


# ------------------------------------------------------------------ sandbox


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ ''|attr('__class__') }}",
        "{{ '{0.__class__}'.format('') }}",
        "{{ (1).__class__.__base__ }}",
        "{{ range.__globals__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ round.__self__ }}",
        "{{ view._table }}",
        "{{ view._table.to_csv('/tmp/leak.csv') }}",
    ],
)
def test_sandbox_blocks_attribute_escapes(sv, template):
    with pytest.raises(TemplateError) as err:
        sv.render(template, {"view": TableView("main", table(), 2022)}, WHERE)
    assert WHERE in str(err.value)
    assert "unsafe" in str(err.value)


@pytest.mark.parametrize("template", ["{{ d.update({'a': 2}) }}", "{{ xs.append(1) }}", "{{ xs.pop() }}", "{{ d.clear() }}"])
def test_templates_cannot_change_the_context(sv, template):
    """A template cannot modify what later templates of the deck see."""
    d, xs = {"a": 1}, [1, 2]
    with pytest.raises(TemplateError, match=WHERE):
        sv.render(template, {"d": d, "xs": xs}, WHERE)
    assert d == {"a": 1} and xs == [1, 2]


# ------------------------------------------------------------------ filters and spaces


def test_swedish_filters(sv):
    out = sv.render("{{ a | pct(1) }} {{ b | pct }} {{ n | count }} {{ c | signed }} {{ d | pct_signed }} {{ e | num(2) }}",
                    {"a": 99.24, "b": 12.5, "n": 2001, "c": -3, "d": 4, "e": 0.125}, WHERE)
    assert out == "99,2\u00a0% 13\u00a0% 2\u00a0001 \u22123 +4\u00a0% 0,13"


def test_english_filters(en):
    out = en.render("{{ a | pct(1) }} {{ n | count }} {{ c | signed }} {{ e | num(2) }}", {"a": 99.24, "n": 2001, "c": -3, "e": 0.125},
                    WHERE)
    assert out == "99.2% 2,001 -3 0.13"


def test_missing_value_renders_as_dash(sv):
    assert sv.render("{{ x | pct }} / {{ y | num }}", {"x": math.nan, "y": None}, WHERE) == "– / –"


def test_no_break_spaces_survive_whitespace_collapsing(sv):
    """Ordinary runs of spaces, tabs and newlines collapse to one space; NBSP and narrow NBSP stay as they are."""
    out = sv.render("  Andelen\n\n  är   {{ x | pct(1) }}\tav\u00a0{{ n | count }}\u202fsvar,  \u00a0 totalt.  ",
                    {"x": 55.04, "n": 1234}, WHERE)
    assert out == "Andelen är 55,0\u00a0% av\u00a01\u00a0234\u202fsvar, \u00a0 totalt."
    assert "\u00a0%" in out


def test_leading_no_break_space_is_kept(sv):
    assert sv.render("\u00a0x", {}, WHERE) == "\u00a0x"


# ------------------------------------------------------------------ TableView in templates


def test_tableview_get_defaults_to_total_report_wave_and_first_measure(sv):
    view = TableView("main", table(), 2022)
    assert view.get(category="1177") == 55.0
    assert view.get(category="1177", wave=2021) == 58.0
    assert view.get(category="1177", group="Man") == 50.0
    assert view.get(category="1177", measure="any") == 61.0
    assert sv.render("{{ m.main.get(category='1177') | pct }}", {"m": {"main": view}}, WHERE) == "55\u00a0%"


def test_tableview_top_and_bottom_skip_uncoded_and_dont_know():
    view = TableView("main", table(), 2022)
    assert [r["category"] for r in view.top(2)] == ["1177", "vc_hospital"]  # not uncoded 30 or dont_know 40
    assert [r["category"] for r in view.bottom(1)] == ["kry"]


def test_tableview_error_names_the_template(sv):
    """No row for a filter: the message says which template asked and what matched."""
    view = TableView("main", table(), 2022)
    with pytest.raises(TemplateError) as err:
        sv.render("{{ m.main.get(category='nope') }}", {"m": {"main": view}}, WHERE)
    assert str(err.value).startswith(f"{WHERE}: ")
    assert "0 rows match" in str(err.value) and "nope" in str(err.value)


def test_tableview_unknown_column(sv):
    view = TableView("main", table(), 2022)
    with pytest.raises(TemplateError, match=f"{WHERE}.*no column 'colour'"):
        sv.render("{{ m.main.get(colour='red') }}", {"m": {"main": view}}, WHERE)


def test_tableview_ranking_keeps_table_order_for_ties_and_puts_missing_values_last():
    rows = [
        (2022, "total", "a", "first", 10.0),
        (2022, "total", "b", "first", math.nan),
        (2022, "total", "c", "first", 20.0),
        (2022, "total", "d", "first", 10.0),
        (2022, "total", "e", "first", 20.0),
        (2022, "total", "f", "other", 99.0),  # another measure: left out when measures mix
    ]
    view = TableView("main", pd.DataFrame(rows, columns=["wave", "group", "category", "measure", "value"]), 2022)
    assert [r["category"] for r in view.top(5)] == ["c", "e", "a", "d", "b"]
    assert [r["category"] for r in view.bottom(5)] == ["a", "d", "c", "e", "b"]
    assert [r["category"] for r in view.top(1, measure="other")] == ["f"]


def test_tableview_rows_are_copies(sv):
    view = TableView("main", table(), 2022)
    view.row(category="1177")["value"] = 0.0
    assert view.get(category="1177") == 55.0


def test_plain_text_is_not_run_through_jinja(sv):
    """Text without {{ {% {# is used as it is (whitespace collapsed); a stray }} stays literal text."""
    assert sv.render("  Bas:\n alla   svarande }} ", {}, WHERE) == "Bas: alla svarande }}"


def test_every_filter_is_a_named_function_with_a_docstring():
    """Filters are documented functions (docs/config.md lists them from their docstrings), none a bare lambda."""
    from pipeline.text import TextRenderer

    env = TextRenderer("sv").env
    ours = ["pct", "pct_signed", "num", "signed", "count", "abs", "direction", "by_direction", "leaders", "names", "record",
            "largest_change", "shown_sum", "shown_change"]
    for name in ours:
        fn = env.filters[name]
        assert fn.__name__ != "<lambda>" and (fn.__doc__ or "").strip(), name
