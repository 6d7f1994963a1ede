"""A single 100 % stacked bar (S33, S35, S36): one question's distribution in the report wave."""

from __future__ import annotations

import pytest
from chart_kit import NBSP, NNBSP, check_print_png, context, drawn, frame, labels, overlapping, row, tick_labels
from matplotlib.text import Text

from pipeline import charts

# S33-like: acceptable waiting time, nine answers, 2022 (and an older wave that must be ignored)
WAIT = [("1", "Max 5 min", 8.1), ("2", "Max 15 min", 25.1), ("3", "Max 30 min", 21.1), ("4", "Max 60 min", 17.1),
        ("5", "Max 2 h", 11.1), ("6", "Max 4 h", 6.1), ("7", "Max 8 h", 2.1), ("8", "Max 24 h", 4.1),
        ("9", "Kan vänta mer än 24 h", 5.2)]


def s33_rows(flag: str = "ok", n: int = 2001) -> list[dict]:
    out = [row(category=c, label=label, value=v, n=n, base_flag=flag, sig="▲" if c == "2" else "") for c, label, v in WAIT]
    out += [row(wave=2021, category=c, label=label, value=50.0 if c == "1" else 6.25, n=1990) for c, label, _ in WAIT]
    return out


def spec_for(flag: str = "ok", lang: str = "sv", **opts):
    return charts.build("single_stacked", frame(s33_rows(flag)), {"description": "Stapel över acceptabel väntetid", **opts}, context(lang))


def test_png_is_print_resolution_and_reproducible(tmp_path):
    spec = spec_for(height=2.6)
    assert spec.height == 2.6
    check_print_png(spec, tmp_path)


def test_segments_in_question_order_labelled_when_wide_enough():
    spec = spec_for()
    assert spec.categories == ("2022",)
    assert [s.name for s in spec.series] == [label for _, label, _ in WAIT]
    fig = drawn(spec)
    # label_min 2.5: the 2.1 % segment is not labelled; Max 15 min is significant
    assert labels(fig) == ["8", "25▲", "21", "17", "11", "6", "4", "5"]
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert sorted(legend) == sorted(label for _, label, _ in WAIT)
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert widths == pytest.approx([v for _, _, v in WAIT])


def test_reverse_option_draws_the_answers_backwards():
    spec = spec_for(reverse=True)
    assert spec.series[0].name == "Kan vänta mer än 24 h" and spec.series[-1].name == "Max 5 min"


def test_labels_inside_segments_and_no_overlap():
    fig = drawn(spec_for(height=2.6))
    assert overlapping(fig) == []
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    segs = [p.get_window_extent(renderer) for p in ax.patches]
    for t in ax.texts:
        box = Text.get_window_extent(t, renderer)
        cx = (box.x0 + box.x1) / 2
        seg = next(s for s in segs if s.x0 <= cx <= s.x1)
        assert seg.x0 - 0.5 <= box.x0 and box.x1 <= seg.x1 + 0.5, t.get_text()


def test_low_base_marks_the_bar_and_suppressed_draws_nothing():
    assert tick_labels(drawn(spec_for("low")), "y") == ["2022*"]
    assert tick_labels(drawn(spec_for("ok")), "y") == ["2022"]
    fig = drawn(spec_for("suppressed"))
    assert labels(fig) == []
    assert all(p.get_width() == 0 for p in fig.axes[0].patches)


def test_english_labels():
    spec = charts.build("single_stacked", frame(s33_rows()), {"decimals": 1}, context("en"))
    shown = labels(drawn(spec))
    assert shown[:2] == ["8.1", "25.1▲"]


def test_alt_text_and_notes():
    spec = spec_for(decimals=1)
    alt = charts.alt_text(spec)
    assert alt.startswith("Stapel över acceptabel väntetid. 2022: Max 5 min 8,1" + NBSP + "%; Max 15 min 25,1" + NBSP + "%;")
    assert alt.endswith("Kan vänta mer än 24 h 5,2" + NBSP + "%.")
    notes = charts.notes_table(spec).splitlines()
    assert notes[1] == "2022 | 8,1 | 25,1▲ | 21,1 | 17,1 | 11,1 | 6,1 | 2,1 | 4,1 | 5,2"
    assert notes[2] == f"Bas (n): 2{NNBSP}001"
    assert len(notes) == 4 and notes[3].startswith("Ordning: kodbokens")  # the answers in the scale's order
