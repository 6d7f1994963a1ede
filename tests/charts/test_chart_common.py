"""What every chart kind shares: the registry, spec formatting, notes table, default alt text, data helpers, style."""

from __future__ import annotations

import math

import pytest
from chart_kit import MINUS, NBSP, NNBSP, frame, row

from pipeline import charts
from pipeline.charts import ChartSpec, Series, data, style
from pipeline.errors import ConfigError


def test_every_kind_is_registered_with_options_build_and_draw():
    """The eight chart kinds are registered, each with a frozen options model that refuses unknown keys."""
    assert set(charts.KINDS) == {"grouped_bars", "stacked_bars", "single_stacked", "trend_line", "nps_panel",
                                 "driver_quadrant", "change_bars", "subgroup_bars"}
    for name in charts.KINDS:
        kind = charts.kind(name)
        assert kind.name == name and callable(kind.build) and callable(kind.draw), name
        assert kind.options.model_config["frozen"] and kind.options.model_config["extra"] == "forbid", name


def test_unknown_kind_names_the_nearest_and_the_supported_ones():
    """An unknown kind names the nearest kind and all of them."""
    with pytest.raises(ConfigError, match="unknown chart kind 'pie'; kinds: change_bars, .*grouped_bars"):
        charts.kind("pie")
    with pytest.raises(ConfigError, match="unknown chart kind 'groupd_bars' \\(did you mean 'grouped_bars'\\?\\)"):
        charts.kind("groupd_bars")


def test_bad_option_names_kind_key_and_allowed_keys():
    """A misspelt option is refused with the nearest key; a value outside a fixed set names the allowed values."""
    with pytest.raises(ConfigError, match="chart kind 'grouped_bars': unknown option 'topp' \\(did you mean 'top'\\?\\); allowed: "):
        charts.kind("grouped_bars").parse({"topp": 10})
    with pytest.raises(ConfigError, match="option 'sort': 'sideways' is not allowed; allowed values: newest, fixed, mean$"):
        charts.kind("grouped_bars").parse({"sort": "sideways"})


def test_spec_formats_swedish_and_english():
    sv = ChartSpec("grouped_bars", (), (), decimals=1)
    assert sv.fmt(99.24) == f"99,2{NBSP}%"
    assert sv.fmt(-3.0, signed=True) == f"{MINUS}3,0{NBSP}%" and sv.fmt(3.0, signed=True) == f"+3,0{NBSP}%"
    assert sv.label(55.04) == "55,0" and sv.label(1992.0, 0) == f"1{NNBSP}992"
    en = ChartSpec("grouped_bars", (), (), decimals=1, lang="en")
    assert en.fmt(99.26) == "99.3%" and en.fmt(-3.0, signed=True) == "-3.0%" and en.label(1992.0, 0) == "1,992"
    points = ChartSpec("trend_line", (), (), unit="points")
    assert points.fmt(46.2) == "46"


def test_notes_table_lines_marks_and_bases():
    spec = ChartSpec("grouped_bars", ("A", "B", "C", "D"), (
        Series("2022", (55.04, 12.34, math.nan, 20.0), ("▲", "", "", "▼"), ("ok", "low", "missing", "suppressed"), (1992, 85, 0, 20)),
        Series("2021", (50.0, 10.0, 3.33, 19.0), (), ("ok", "ok", "ok", "ok"), (2001, 90, 2001, 40)),
    ), words=(("chart_base", "Bas (n)"),))
    lines = charts.notes_table(spec).splitlines()
    assert lines == [
        " | 2022 | 2021",
        "A | 55,0▲ | 50,0",
        "B | 12,3* | 10,0",
        "C | – | 3,3",
        "D | – | 19,0",  # suppressed: no value, no mark
        f"Bas (n): 2022: 20–1{NNBSP}992; 2021: 40–2{NNBSP}001",  # 0 = missing cell, not a base
    ]
    en = charts.notes_table(ChartSpec("grouped_bars", ("A",), (Series("2022", (55.04,), (), (), (1992,)),), lang="en",
                                        words=(("chart_base", "Base (n)"),)))
    assert en.splitlines() == [" | 2022", "A | 55.0", "Base (n): 1,992"]


def test_notes_table_without_bases_has_no_base_line():
    lines = charts.notes_table(ChartSpec("grouped_bars", ("A",), (Series("s", (1.0,)),))).splitlines()
    assert lines == [" | s", "A | 1,0"]


def test_default_alt_text_lists_at_most_six_figures_and_three_series():
    cats = tuple("ABCDEFG")
    spec = ChartSpec("grouped_bars", cats, tuple(Series(str(2022 - k), tuple(float(10 * i + k) for i in range(7)),
                                                        flags=("ok", "suppressed") + ("ok",) * 5) for k in range(4)),
                     description="Liggande stapeldiagram.")
    alt = charts.alt_text(spec)
    assert alt.startswith(f"Liggande stapeldiagram. 2022: A 0{NBSP}%; C 20{NBSP}%; D 30{NBSP}%; E 40{NBSP}%; F 50{NBSP}%; "
                          f"G 60{NBSP}%. 2021: A 1{NBSP}%;")
    assert "B 10" not in alt  # suppressed
    assert "2019" not in alt
    seven = ChartSpec("grouped_bars", cats, (Series("2022", tuple(float(i) for i in range(7))),))
    assert charts.alt_text(seven).endswith(f"F 5{NBSP}%; ….")


# ----------------------------------------------------------------- data helpers


def tidy() -> list[dict]:
    out = []
    for wave, values in ((2022, [40.0, 30.0, 5.0, 2.0]), (2021, [35.0, 33.0, 6.0])):
        for (cat, label), v in zip([("a", "Alfa"), ("b", "Beta"), ("uncoded", "Okodat"), ("dont_know", "Vet ej")], values, strict=False):
            out.append(row(wave=wave, category=cat, label=label, value=v, n=100 * (wave - 2020), sig="▲" if cat == "b" else ""))
    out.append(row(measure="mean", category="a", label="Alfa", value=3.1))
    out.append(row(group_var="sex", group="Man", group_label="Man", category="a", label="Alfa", value=41.0))
    return out


def test_select_filters_and_hides_uncoded_and_dont_know_when_asked():
    """select keeps the rows the options name; the kind's default exclusion (uncoded, "Vet ej") applies
    unless ``exclude`` is given; a selection of nothing is a config error."""
    rows = frame(tidy())
    opts = data.SelectOptions
    got = data.select(rows, opts(), default_measure="share", default_exclude=data.HIDDEN_BY_DEFAULT)
    assert sorted(set(got["category"])) == ["a", "b"]
    assert len(data.select(rows, opts(exclude=[]), default_measure="share", default_exclude=data.HIDDEN_BY_DEFAULT)) == 7 + 1
    assert len(data.select(rows, opts(), default_measure="share")) == 7 + 1  # 7 total rows + the Man row
    assert list(data.select(rows, opts(categories=["b"]), default_measure="share")["value"]) == [30.0, 33.0]
    assert list(data.select(rows, opts(groups=["Man"]), default_measure="share")["value"]) == [41.0]
    selected = data.select(rows, opts(waves=[2021], group_var="total", exclude=["uncoded"]), default_measure="share")
    assert list(selected["value"]) == [35.0, 33.0]
    with pytest.raises(ConfigError, match="select no rows"):
        data.select(rows, opts(categories=["zzz"]), default_measure="share")


def test_pivot_one_value_per_key_and_series_with_missing_cells():
    rows = frame(tidy())
    part = data.select(rows, data.SelectOptions(exclude=["uncoded"], group_var="total"), default_measure="share")
    keys, labels, series = data.pivot(part, "category", "wave")
    assert keys == ["a", "b", "dont_know"] and labels == ["Alfa", "Beta", "Vet ej"]
    assert [s.name for s in series] == ["2022", "2021"]
    assert series[0].values == (40.0, 30.0, 2.0) and series[0].bases == (200, 200, 200) and series[0].sig == ("", "▲", "")
    assert series[1].values[:2] == (35.0, 33.0) and math.isnan(series[1].values[2])
    assert series[1].flags[2] == "missing" and series[1].bases[2] == 0


def test_sort_keys_newest_fixed_extra():
    s = [Series("2022", (10.0, math.nan, 30.0, 30.0)), Series("2021", (50.0, 60.0, 0.0, 1.0))]
    keys = ["a", "b", "c", "d"]
    assert data.sort_keys(keys, s, "newest") == [2, 3, 0, 1]  # ties keep order, no value last
    assert data.sort_keys(keys, s, "fixed") == [0, 1, 2, 3]
    assert data.sort_keys(keys, s, "extra", {"a": 1.0, "b": 4.0, "c": 2.0}) == [1, 2, 0, 3]
    with pytest.raises(ConfigError, match="unknown sort 'size'"):
        data.sort_keys(keys, s, "size")
    moved = data.reorder([Series("x", (1.0, 2.0), ("▲", ""), ("ok", "low"), (10, 20))], [1, 0])[0]
    assert moved == Series("x", (2.0, 1.0), ("", "▲"), ("low", "ok"), (20, 10))


def test_flags_helpers():
    assert data.suppressed(5.0, "suppressed") and data.suppressed(5.0, "missing") and data.suppressed(math.nan, "ok")
    assert not data.suppressed(5.0, "low") and not data.suppressed(0.0, "ok")
    assert data.low_base_mark("low") == "*" and data.low_base_mark("ok") == "" and data.low_base_mark("suppressed") == ""
    bands = [Series("x", (1.0, 1.0, 1.0), flags=("ok", "low", "low")), Series("y", (1.0, 1.0, 1.0), flags=("ok", "ok", "suppressed"))]
    assert [data.row_flag(bands, i) for i in range(3)] == ["ok", "low", "suppressed"]


# ----------------------------------------------------------------- style


def test_tick_labels_show_the_decimals_a_tick_needs():
    sv = style.tick_formatter("sv")
    assert sv(20.0) == f"20{NBSP}%" and sv(2.5) == f"2,5{NBSP}%" and sv(-2.5) == f"{MINUS}2,5{NBSP}%" and sv(0.0) == f"0{NBSP}%"
    assert style.tick_formatter("en")(2.5) == "2.5%"
    assert style.tick_formatter("sv", percent=False)(0.25) == "0,25"
    assert style.tick_formatter("sv", percent=False)(1000.0) == f"1{NNBSP}000"


def test_label_size_follows_the_bar_pitch():
    # 0.25 units of a 10-unit axis that is 4 in tall: 0.25 × 4 × 72 / 10 = 7.2 pt → 0.95 × 7.2 = 6.84 → 6.5 pt
    assert style.fit_label_size(0.25, 10, 4, 8.5) == 6.5
    assert style.fit_label_size(1.0, 10, 4, 8.5) == 8.5  # plenty of room: the largest size
    assert style.fit_label_size(0.05, 10, 4, 8.5) == 5.5  # never below the smallest


def test_text_colour_on_fills():
    assert style.text_color_on(style.NAVY) == "white"
    assert style.text_color_on(style.PALE) == style.TEXT


def test_figures_use_the_house_dpi_and_font():
    spec = ChartSpec("grouped_bars", ("A",), (Series("2022", (10.0,)),), width=3.0, height=2.0)
    fig = charts.figure(spec)
    assert fig.dpi == style.DPI >= 200
    assert tuple(fig.get_size_inches()) == (3.0, 2.0)
    # the template's theme font (Arial) where installed, else its metric-compatible stand-in shipped in templates/fonts
    assert fig.axes[0].texts[0].get_fontfamily() == [style.font_family("Arial")]
    assert style.font_family("Arial") in ("Arial", "Liberation Sans")


def test_saved_png_has_the_pixels_savefig_draws_without_an_alpha_channel(tmp_path):
    import numpy as np
    from PIL import Image

    spec = ChartSpec("grouped_bars", ("Telefon", "Webb"), (Series("2022", (55.0, 31.0)), Series("2021", (58.0, 27.0))),
                     width=3.0, height=2.0)
    reference = tmp_path / "savefig.png"
    charts.figure(spec).savefig(reference, format="png", dpi=style.DPI, facecolor="white")
    ours = tmp_path / "ours.png"
    charts.render(spec, ours)
    with Image.open(ours) as im:
        assert im.mode == "RGB"
        pixels = np.asarray(im)
    with Image.open(reference) as im:
        assert im.mode == "RGBA"
        expected = np.asarray(im)
    assert (expected[..., 3] == 255).all()
    assert pixels.shape == expected[..., :3].shape
    assert (pixels == expected[..., :3]).all()


def test_see_through_pixels_are_flattened_onto_white(tmp_path):
    import numpy as np
    from PIL import Image

    fig = style.figure(1.0, 1.0)
    fig.patch.set_alpha(0.0)
    fig.set_facecolor((1.0, 1.0, 1.0, 0.0))
    fig.set_facecolor = lambda *_: None  # keep it see-through, as a kind that forgets the house background would
    fig.add_artist(__import__("matplotlib").patches.Rectangle((0, 0), 1, 1, transform=fig.transFigure,
                                                                facecolor="black", alpha=0.5))
    style.save(fig, tmp_path / "t.png")
    with Image.open(tmp_path / "t.png") as im:
        pixels = np.asarray(im)
    # 50 % black over white, not over black: mid grey (127/128), never near 0
    assert pixels.min() >= 126 and pixels.max() <= 129


def test_palette_comes_from_the_theme_colours():
    """Another template's theme recolours the charts: its accent1 is the newest wave, accent2 the one before,
    accent6 the alert colour of ▼ and detractors; a wave keeps its colour by its place among the loaded waves."""
    from pipeline.charts import ChartContext

    theme = (("accent1", "112233"), ("accent2", "445566"), ("accent3", "778899"), ("accent6", "AA0000"))
    ctx = ChartContext("sv", 2022, {}, theme=theme, waves=(2018, 2020, 2021, 2022))
    assert ctx.wave_color(2022) == "#112233" and ctx.wave_color(2021) == "#445566" and ctx.wave_color(2020) == "#778899"
    assert ctx.palette.down == "#AA0000" and ctx.palette.nps()[0] == "#AA0000"
    # 2018 is three waves back, not four years: the first tint of accent3
    assert ctx.wave_color(2018) == style.mix("#778899", "#FFFFFF", 0.4)


def test_wrap_breaks_only_between_words_and_balances_lines():
    """"kl. 07–18" and "30–44" never break; a wrap that would leave one word alone is balanced."""
    assert style.wrap("Helger dagtid (lördag, söndag kl. 07–18)", 30) == "Helger dagtid (lördag,\nsöndag kl. 07–18)"
    assert "30–\n" not in style.wrap("Man 30–44", 6) and style.wrap("Man 30–44", 6) == "Man\n30–44"
    assert style.typeset("kl. 07-18") == "kl. 07–18" and style.typeset("Man 30-44") == "Man 30–44"
