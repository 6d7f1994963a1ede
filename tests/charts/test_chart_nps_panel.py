"""NPS panel (S29): the report wave's 1–10 distribution; detractors / passives / promoters per wave with the NPS."""

from __future__ import annotations

from dataclasses import replace

from chart_kit import MINUS, NBSP, NNBSP, check_print_png, context, drawn, frame, labels, overlapping, row, tick_labels

from pipeline import charts

BANDS = {  # wave: (detractors, passives, promoters, nps, n)
    2022: (15.2, 23.7, 61.1, 45.9, 1990),
    2021: (15.0, 26.0, 59.0, 44.0, 2001),
    2020: (14.4, 25.0, 60.6, 46.2, 1999),
}
DIST = [0.8, 0.8, 1.3, 2.2, 4.2, 5.9, 8.9, 14.8, 15.1, 46.0]  # scores 1..10 in 2022; 1–6 = 15.2, 7–8 = 23.7, 9–10 = 61.1
NAMES = {"detractors": "Kritiker", "passives": "Passiva", "promoters": "Ambassadörer"}


def s29_rows(flags: dict | None = None, dist: list[float] = DIST) -> list[dict]:
    out = []
    for wave, (det, pas, pro, nps, n) in BANDS.items():
        flag = (flags or {}).get(wave, "ok")
        for cat, v in zip(NAMES, (det, pas, pro), strict=True):
            out.append(row(metric="nps", wave=wave, category=cat, label=NAMES[cat], value=v, n=n, base_flag=flag,
                           sig="▲" if (wave, cat) == (2020, "promoters") else ""))
        out.append(row(metric="nps", measure="nps", wave=wave, category="nps", label="NPS", value=nps, unit="points", n=n,
                       base_flag=flag, sig="▲" if wave == 2020 else ""))
    for score, v in enumerate(dist, start=1):
        out.append(row(metric="nps", measure="distribution", category=str(score), label=str(score), value=v, n=1990))
    return out


def s29(lang: str = "sv", flags: dict | None = None, **kw):
    return charts.build("nps_panel", frame(s29_rows(flags, **kw)), {"description": "NPS-panel"}, context(lang))


def test_png_is_print_resolution_and_reproducible(tmp_path):
    check_print_png(s29(), tmp_path)


def test_spec_waves_newest_first():
    spec = s29()
    assert spec.categories == ("2022", "2021", "2020")
    assert [s.name for s in spec.series] == ["Kritiker", "Passiva", "Ambassadörer"]
    assert spec.detail.nps == (45.9, 44.0, 46.2)
    assert [score for score, _ in spec.detail.distribution] == [str(s) for s in range(10, 0, -1)]


def test_labels_distribution_bands_and_nps():
    fig = drawn(s29())
    top, bottom = fig.axes
    # distribution, 10 → 1: values (10 pt) and score names (9 pt) above segments wide enough for them: 2,2 % is,
    # 1,3 % is not (never smaller text)
    values = [t.get_text() for t in top.texts if t.get_va() == "center"]
    assert values == ["46", "15", "15", "9", "6", "4", "2"]
    scores = [t.get_text() for t in top.texts if t.get_va() == "bottom"]
    assert scores == ["10", "9", "8", "7", "6", "5", "4"]
    # per wave, top to bottom 2022, 2021, 2020
    bottom_texts = [t.get_text() for t in bottom.texts]
    # the ▲ is a text of its own, in the marks' colour, beside its value
    assert bottom_texts == ["15", "15", "14", "24", "26", "25", "61", "59", "61", "▲", "NPS 46", "NPS 44", "NPS 46", "▲"]
    assert min(t.get_fontsize() for ax in fig.axes for t in ax.texts) >= 9
    assert tick_labels(fig, "y") == ["2022", "2022", "2021", "2020"]
    assert overlapping(fig) == []


def test_crowded_distribution_labels_do_not_overlap():
    fig = drawn(s29(dist=[2.0, 1.9, 1.9, 2.0, 2.6, 2.6, 10.0, 20.0, 20.0, 37.0]))
    scores = [t.get_text() for t in fig.axes[0].texts if t.get_va() == "bottom"]
    assert scores == [str(s) for s in range(10, 0, -1)]
    assert overlapping(fig) == []


def test_low_and_suppressed_waves():
    fig = drawn(s29(flags={2021: "low", 2020: "suppressed"}))
    assert tick_labels(fig, "y")[1:] == ["2022", "2021*", "2020"]
    bottom = [t.get_text() for t in fig.axes[1].texts]
    assert bottom == ["15", "15", "24", "26", "61", "59", "NPS 46", "NPS 44"]
    widths = [p.get_width() for p in fig.axes[1].patches]
    assert widths[2] == 0 and widths[5] == 0 and widths[8] == 0  # 2020 is the third bar of each band
    assert "2020" not in charts.alt_text(s29(flags={2020: "suppressed"}))


def test_negative_nps_uses_the_right_minus():
    sv = replace(s29(), detail=replace(s29().detail, nps=(-5.2, 44.0, 46.2)))
    assert "NPS " + MINUS + "5" in labels(drawn(sv))
    en = replace(sv, lang="en")
    assert "NPS -5" in labels(drawn(en))


def test_alt_text_and_notes():
    spec = s29()
    alt = charts.alt_text(spec)
    assert alt.startswith(f"NPS-panel. 2022: NPS 46 (Kritiker 15{NBSP}%, Passiva 24{NBSP}%, Ambassadörer 61{NBSP}%); 2021: NPS 44")
    en = charts.alt_text(s29("en"))
    assert "2022: NPS 46 (Kritiker 15%, Passiva 24%, Ambassadörer 61%)" in en
    notes = charts.notes_table(spec).splitlines()
    assert notes == [
        " | Kritiker | Passiva | Ambassadörer | NPS",
        "2022 | 15,2 | 23,7 | 61,1 | 45,9",
        "2021 | 15,0 | 26,0 | 59,0 | 44,0",
        "2020 | 14,4 | 25,0 | 60,6▲ | 46,2▲",
        f"Bas (n): 1{NNBSP}990–2{NNBSP}001",
        "Ordning: kodbokens (ordningen har en betydelse: skala, ålder eller tid).",
    ]
