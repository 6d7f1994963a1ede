"""Subgroup bars (S28 stacked with the NPS beside; S38, S42–S44 grouped by wave)."""

from __future__ import annotations

from dataclasses import replace

from chart_kit import NBSP, NNBSP, check_print_png, context, drawn, frame, labels, overlapping, row, texts, tick_labels

from pipeline import charts
from pipeline.charts import ChartSpec, Series
from pipeline.charts.subgroup_bars import SubgroupBarsDetail

GROUPS = [("total", "total", "Totalt"), ("age_group", "18-29", "18–29 år"), ("age_group", "30-44", "30–44 år"),
          ("age_group", "45-64", "45–64 år"), ("age_group", "65+", "65 år eller äldre"), ("sex", "Man", "Man"),
          ("sex", "Kvinna", "Kvinna")]
ONLINE = {  # share naming an online doctor, 2022 and 2021
    2022: [3.4, 5.6, 4.9, 2.2, 0.9, 3.7, 3.1],
    2021: [4.6, 7.9, 5.1, 3.0, 1.4, 4.8, 4.4],
}


def s42_rows(flags: dict | None = None) -> list[dict]:
    out = []
    for wave, values in ONLINE.items():
        for (var, key, label), v in zip(GROUPS, values, strict=True):
            out.append(row(metric="coded", measure="first", wave=wave, group_var=var, group=key, group_label=label,
                           category="online_doctor", label="Nätläkare", value=v, n=2000 if key == "total" else 400,
                           base_flag=(flags or {}).get((key, wave), "ok"),
                           sig="▼" if (key, wave) in (("total", 2022), ("Man", 2022), ("Man", 2021)) else ""))
    return out


def s42(lang: str = "sv", flags: dict | None = None, **opts):
    opts = {"categories": ["online_doctor"], "decimals": 1, "description": "Liggande staplar per målgrupp", "bases": False, **opts}
    return charts.build("subgroup_bars", frame(s42_rows(flags)), opts, context(lang))


NPS_BANDS = {  # detractors, passives, promoters, nps, n
    "total": (15.2, 23.7, 61.1, 45.9, 1990), "Man": (18.1, 24.8, 57.1, 39.0, 874), "Kvinna": (12.4, 22.6, 65.0, 52.6, 1116),
    "18-29": (17.1, 25.0, 57.9, 40.8, 90), "65+": (10.0, 20.0, 70.0, 60.0, 20),
}
NPS_NAMES = {"detractors": "Kritiker", "passives": "Passiva", "promoters": "Ambassadörer"}


def s28_rows() -> list[dict]:
    out = []
    labels_ = {"total": ("total", "Totalt"), "Man": ("sex", "Man"), "Kvinna": ("sex", "Kvinna"),
               "18-29": ("age_group", "18–29 år"), "65+": ("age_group", "65 år eller äldre")}
    for key, (det, pas, pro, nps, n) in NPS_BANDS.items():
        var, label = labels_[key]
        flag = "suppressed" if n < 30 else "low" if n < 100 else "ok"
        for cat, v in zip(NPS_NAMES, (det, pas, pro), strict=True):
            out.append(row(metric="nps", group_var=var, group=key, group_label=label, category=cat, label=NPS_NAMES[cat],
                           value=v, n=n, base_flag=flag, sig="▲" if (key, cat) == ("Kvinna", "promoters") else ""))
        out.append(row(metric="nps", measure="nps", group_var=var, group=key, group_label=label, category="nps", label="NPS",
                       value=nps, unit="points", n=n, base_flag=flag))
    return out


def s28(lang: str = "sv"):
    opts = {"mode": "stacked", "measure": "share", "side": "nps", "side_label": "NPS",
            "groups": ["total", "Man", "Kvinna", "18-29", "65+"], "bases": False}
    return charts.build("subgroup_bars", frame(s28_rows()), opts, context(lang))


def test_png_is_print_resolution_and_reproducible(tmp_path):
    check_print_png(s42(), tmp_path)


def test_grouped_rows_in_table_order_newest_wave_first():
    spec = s42()
    assert spec.categories == tuple(label for _, _, label in GROUPS)
    assert [s.name for s in spec.series] == ["2022", "2021"]
    assert spec.detail.blocks == ("total", "age_group", "age_group", "age_group", "age_group", "sex", "sex")
    fig = drawn(spec)
    assert tick_labels(fig, "y") == list(spec.categories)
    # one decimal; the newest wave's marks only (Totalt ▼, Man ▼), not 2021's
    shown = labels(fig)
    assert shown[:7] == ["3,4▼", "5,6", "4,9", "2,2", "0,9", "3,7▼", "3,1"]
    assert shown[7:] == ["4,6", "7,9", "5,1", "3,0", "1,4", "4,8", "4,4"]
    # thin lines between the blocks total | ages | sexes
    assert len([ln for ln in fig.axes[0].get_lines() if ln.get_ydata()[0] == ln.get_ydata()[1]]) == 2
    assert overlapping(fig) == []


def test_groups_option_sets_the_order():
    spec = s42(groups=["Kvinna", "Man", "total"])
    assert spec.categories == ("Kvinna", "Man", "Totalt")
    assert spec.series[0].values == (3.1, 3.7, 3.4)


def test_english_labels_and_ticks():
    fig = drawn(s42("en"))
    assert labels(fig)[0] == "3.4▼"
    assert any(t.endswith("%") and NBSP not in t for t in tick_labels(fig, "x"))


def test_low_and_suppressed_groups():
    fig = drawn(s42(flags={("18-29", 2022): "low", ("65+", 2022): "suppressed"}))
    shown = labels(fig)
    assert shown[1] == "5,6*" and shown[4] == "–"
    assert "0,9" not in shown
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert widths[4] == 0 and widths[7 + 4] == 1.4


def test_crowded_grouped_labels_do_not_overlap():
    cats = tuple(f"Grupp {i}" for i in range(11))
    series = tuple(Series(str(2022 - k), tuple(50.0 + (i % 2) for i in range(11)), ("▲",) * 11 if k == 0 else (),
                          ("low",) * 11, (80,) * 11) for k in range(3))
    spec = ChartSpec("subgroup_bars", cats, series, detail=SubgroupBarsDetail("grouped", ("a",) * 3 + ("b",) * 8))
    fig = drawn(spec)
    # 33 labels would be under 9 pt: the newest wave's 11 values are labelled, each with its ▲ (own text, own colour)
    assert labels(fig) == ["50*▲", "51*▲"] * 5 + ["50*▲"] and overlapping(fig) == []
    assert min(t.get_fontsize() for t in texts(fig)) >= 9
    short = drawn(ChartSpec("subgroup_bars", cats, series, height=2.4, detail=spec.detail))
    assert all(t.get_fontsize() >= 9 for t in texts(short)) and overlapping(short) == []


def test_rows_carry_their_base_with_low_bases_marked():
    """By default each row's name ends in its group's newest-wave base, a low base marked with *."""
    spec = charts.build("subgroup_bars", frame(s42_rows({("18-29", 2022): "low"})), {"categories": ["online_doctor"]}, context())
    assert spec.categories[0] == f"Totalt (n{NBSP}={NBSP}2{NNBSP}000)"
    assert spec.categories[1] == f"18–29 år (n{NBSP}={NBSP}400*)"
    assert spec.order == "codebook"


def test_stacked_mode_with_nps_beside():
    spec = s28()
    assert spec.categories == ("Totalt", "Man", "Kvinna", "18–29 år", "65 år eller äldre")
    assert [s.name for s in spec.series] == ["Kritiker", "Passiva", "Ambassadörer"]
    fig = drawn(spec)
    shown = labels(fig)
    # bands of 4 % or more; Kvinna's promoters significant; 65+ suppressed: no bars, no NPS
    assert shown[:4] == ["15", "18", "12", "17"]
    assert "65▲" in shown and "70" not in shown and "NPS 60" not in shown
    assert [t for t in shown if t.startswith("NPS")] == ["NPS 46", "NPS 39", "NPS 53", "NPS 41"]
    assert tick_labels(fig, "y") == ["Totalt", "Man", "Kvinna", "18–29 år*", "65 år eller äldre"]
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert widths[4] == 0 and widths[9] == 0 and widths[14] == 0
    assert overlapping(fig) == []


def test_alt_text_and_notes():
    spec = s42(flags={("65+", 2022): "suppressed"})
    alt = charts.alt_text(spec)
    assert alt.startswith(f"Liggande staplar per målgrupp. 2022: Totalt 3,4{NBSP}%; 18–29 år 5,6{NBSP}%; 30–44 år 4,9{NBSP}%; "
                          f"45–64 år 2,2{NBSP}%; Man 3,7{NBSP}%; Kvinna 3,1{NBSP}%.")
    assert (f"2021: Totalt 4,6{NBSP}%; 18–29 år 7,9{NBSP}%; 30–44 år 5,1{NBSP}%; 45–64 år 3,0{NBSP}%; "
            f"65 år eller äldre 1,4{NBSP}%; Man 4,8{NBSP}%; …") in alt
    notes = charts.notes_table(spec).splitlines()
    assert notes[0] == " | 2022 | 2021"
    assert notes[1:8] == ["Totalt | 3,4▼ | 4,6", "18–29 år | 5,6 | 7,9", "30–44 år | 4,9 | 5,1", "45–64 år | 2,2 | 3,0",
                          "65 år eller äldre | – | 1,4", "Man | 3,7▼ | 4,8▼", "Kvinna | 3,1 | 4,4"]
    assert notes[8] == f"Bas (n): 400–2{NNBSP}000"
    assert notes[9].startswith("Ordning: kodbokens")  # total, age groups, sexes: an order with meaning
    assert len(notes) == 10


def test_stacked_alt_text_and_notes_carry_the_side_measure():
    spec = replace(s28(), description="Staplade staplar per grupp")
    alt = charts.alt_text(spec)
    assert alt.startswith(f"Staplade staplar per grupp. Totalt: Kritiker 15{NBSP}%, Passiva 24{NBSP}%, Ambassadörer 61{NBSP}%; NPS 46. "
                          f"Man: Kritiker 18{NBSP}%")
    assert alt.endswith(f"18–29 år: Kritiker 17{NBSP}%, Passiva 25{NBSP}%, Ambassadörer 58{NBSP}%; NPS 41.")  # 65+ suppressed
    notes = charts.notes_table(spec).splitlines()
    assert notes[0] == " | Kritiker | Passiva | Ambassadörer | NPS"
    assert notes[1] == "Totalt | 15,2 | 23,7 | 61,1 | 45,9"
    assert notes[3] == "Kvinna | 12,4 | 22,6 | 65,0▲ | 52,6"
    assert notes[4] == "18–29 år | 17,1* | 25,0* | 57,9* | 40,8"
    assert notes[5] == "65 år eller äldre | – | – | – | –"
