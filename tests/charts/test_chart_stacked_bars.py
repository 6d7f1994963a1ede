"""100 % stacked bars with "Antal svar" and "Medel" columns (S20, S31, S32, S34–S36)."""

from __future__ import annotations

from dataclasses import replace

from chart_kit import NBSP, NNBSP, check_print_png, context, drawn, frame, labels, overlapping, row, tick_labels
from matplotlib.text import Text

from pipeline import charts
from pipeline.charts import ChartSpec, Series
from pipeline.charts.stacked_bars import StackedBarsDetail

BANDS = [("1", "Aldrig"), ("2", "Någon gång"), ("3", "Ofta"), ("99", "Vet ej")]


def s20_rows() -> list[dict]:
    """Two items followed over two waves, shares only (S20 draws no mean)."""
    shares = {
        ("phone", 2022): [19.0, 57.0, 22.0, 2.0],
        ("phone", 2021): [21.4, 55.1, 21.5, 2.0],
        ("web", 2022): [10.2, 40.3, 47.6, 2.0],
        ("web", 2021): [12.0, 41.0, 45.0, 2.0],
    }
    n = {2022: 1992, 2021: 2001}
    names = {"phone": "Telefon", "web": "Webbplatsen"}
    out = []
    for (item, wave), values in shares.items():
        for (cat, label), v in zip(BANDS, values, strict=True):
            out.append(row(item=item, item_label=names[item], wave=wave, category=cat, label=label, value=v, n=n[wave],
                           sig="▲" if (item, wave, cat) == ("web", 2022, "3") else ""))
    return out


SCALE = [("1", "1 Inte alls viktigt"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5 Mycket viktigt"), ("99", "Vet ej")]


def s31_rows(flags: dict | None = None) -> list[dict]:
    """Four items of one wave on a 1–5 scale with means; item D's base is tiny."""
    shares = {
        "A": [10.0, 15.0, 30.0, 25.0, 15.0, 5.0],
        "B": [3.0, 4.0, 16.0, 30.0, 41.0, 6.0],
        "C": [5.0, 8.0, 20.0, 33.0, 30.0, 4.0],
        "D": [20.0, 20.0, 20.0, 20.0, 17.0, 3.0],
    }
    means = {"A": (3.2, 950), "B": (4.1, 1010), "C": (3.8, 85), "D": (2.9, 25)}
    out = []
    for item, values in shares.items():
        flag = (flags or {}).get(item, "ok")
        n = means[item][1]
        for (cat, label), v in zip(SCALE, values, strict=True):
            out.append(row(measure="share", item=item, item_label=f"Ärende {item}", category=cat, label=label, value=v,
                           n=n + 40, base_flag=flag, sig="▲" if (item, cat) == ("B", "5") else ""))
        out.append(row(measure="mean", item=item, item_label=f"Ärende {item}", category="mean", label="Medel",
                       value=means[item][0], unit="scale", n=n, base_flag=flag, sig="▼" if item == "A" else ""))
    return out


def test_png_is_print_resolution_and_reproducible(tmp_path):
    check_print_png(charts.build("stacked_bars", frame(s20_rows()), {"mean": False, "n_from": "share"}, context()), tmp_path)


def test_one_bar_per_item_and_wave_newest_first_with_counts():
    spec = charts.build("stacked_bars", frame(s20_rows()), {"mean": False, "n_from": "share"}, context())
    assert spec.categories == ("Telefon – 2022", "Telefon – 2021", "Webbplatsen – 2022", "Webbplatsen – 2021")
    assert [s.name for s in spec.series] == ["Aldrig", "Någon gång", "Ofta", "Vet ej"]
    assert spec.detail.n == (1992, 2001, 1992, 2001) and spec.detail.mean is None
    fig = drawn(spec)
    shown = labels(fig)
    # segments of 3 % or more are labelled (Vet ej = 2 % is not); Ofta 2022 on the web is significant
    assert shown[:4] == ["19", "21", "10", "12"]  # the first band, bar by bar
    assert "48▲" in shown and "2" not in shown
    assert f"1{NNBSP}992" in shown and f"2{NNBSP}001" in shown
    titles = [ax.get_title() for ax in fig.axes]
    assert "Antal svar" in titles and "Medel" not in titles
    # rows top to bottom in the spec's order
    assert tick_labels(fig, "y")[:4] == list(spec.categories)


def test_mean_column_sort_by_mean_and_bases():
    spec = charts.build("stacked_bars", frame(s31_rows({"C": "low", "D": "suppressed"})), {"sort": "mean"}, context())
    # means 4.1 (B) > 3.8 (C) > 3.2 (A) > 2.9 (D)
    assert spec.categories == ("Ärende B", "Ärende C", "Ärende A", "Ärende D")
    assert spec.detail.n == (1010, 85, 950, 25)  # the means' bases
    fig = drawn(spec)
    shown = labels(fig)
    for text in ("4,1", "3,8", "3,2▼", f"1{NNBSP}010", "85*", "950"):
        assert text in shown, text
    assert "2,9" not in shown  # D is suppressed: no mean …
    assert shown.count("–") == 1  # … but a dash in its place
    # … and no segments: D's bars have zero width and none of its shares is printed
    ax = fig.axes[0]
    bars = list(ax.patches)
    d_bars = [p for p in bars if abs(p.get_y() + p.get_height() / 2 - 0) < 1e-9]  # D is the bottom row (y = 0)
    assert len(d_bars) == 6 and all(p.get_width() == 0 for p in d_bars)
    assert "17" not in shown  # D's 17 % would be the only 17
    # significance in a wide segment: B's "5 Mycket viktigt" = 41 ▲
    assert "41▲" in shown
    titles = [a.get_title() for a in fig.axes]
    assert "Antal svar" in titles and "Medel" in titles


def test_segment_labels_stay_inside_their_segments_and_do_not_overlap():
    """Ten bars with narrow 3–4 % segments and marked segments, in a narrow chart area."""
    values = [3.0, 3.5, 4.0, 3.0, 6.5, 80.0]
    series = tuple(
        Series(name, tuple(values[b] for _ in range(10)), tuple("▲" if b == 4 else "" for _ in range(10)), (), (1000,) * 10)
        for b, name in enumerate(["1", "2", "3", "4", "5", "Vet ej"])
    )
    spec = ChartSpec("stacked_bars", tuple(f"Ärende nummer {i}" for i in range(10)), series, width=6.0, height=4.4,
                     detail=StackedBarsDetail(n=(1000,) * 10, mean=(4.4,) * 10, answers_label="Antal svar",
                                              mean_label="Medel", label_min=3.0))
    fig = drawn(spec)
    assert overlapping(fig) == []
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    segs = [p.get_window_extent(renderer) for p in ax.patches]
    inside = 0
    for t in ax.texts:
        box = Text.get_window_extent(t, renderer)
        cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
        seg = next(s for s in segs if s.x0 <= cx <= s.x1 and s.y0 <= cy <= s.y1)
        assert seg.x0 - 0.5 <= box.x0 and box.x1 <= seg.x1 + 0.5, t.get_text()
        inside += 1
    # at 10 pt in a 6-inch chart a segment needs about 9 pt of width for one digit: 4 % (9.2 pt) and 80 % are
    # labelled, 3 % and 3,5 % are not (never smaller text), nor 6,5 % with its ▲
    assert inside == 10 * 2
    assert min(t.get_fontsize() for t in ax.texts) >= 9
    assert "6▲" not in labels(fig)


def test_alt_text_and_notes():
    spec = charts.build("stacked_bars", frame(s31_rows()), {"description": "Staplade staplar över viktiga ärenden"}, context())
    alt = charts.alt_text(spec)
    assert alt.startswith("Staplade staplar över viktiga ärenden.")
    assert (f"Ärende A: 1 Inte alls viktigt 10{NBSP}%, 2 15{NBSP}%, 3 30{NBSP}%, 4 25{NBSP}%, "
            f"5 Mycket viktigt 15{NBSP}%, Vet ej 5{NBSP}%; medel 3,2.") in alt
    notes = charts.notes_table(spec).splitlines()
    assert notes[0] == " | 1 Inte alls viktigt | 2 | 3 | 4 | 5 Mycket viktigt | Vet ej | Antal svar | Medel"
    assert notes[1] == "Ärende A | 10,0 | 15,0 | 30,0 | 25,0 | 15,0 | 5,0 | 950 | 3,20▼"
    assert notes[2] == f"Ärende B | 3,0 | 4,0 | 16,0 | 30,0 | 41,0▲ | 6,0 | 1{NNBSP}010 | 4,10"
    assert len(notes) == 1 + 4 + 2
    # every band of a bar has the same base, so the bases are listed once; the items keep the codebook's order
    assert notes[-2] == f"Bas (n): 65–1{NNBSP}050"
    assert notes[-1].startswith("Ordning: kodbokens")


def test_english_counts_and_means():
    spec = charts.build("stacked_bars", frame(s31_rows()), {}, context("en"))
    shown = labels(drawn(spec))
    assert "1,010" in shown and "4.1" in shown and "3.2▼" in shown


def test_low_base_without_count_column_marks_the_bar_name():
    built = charts.build("stacked_bars", frame(s31_rows({"C": "low"})), {}, context())
    spec = replace(built, detail=replace(built.detail, n=None))
    fig = drawn(spec)
    names = tick_labels(fig, "y")
    assert "Ärende C*" in names and "Ärende A" in names
    assert "85*" not in labels(fig) and "85" not in labels(fig)
