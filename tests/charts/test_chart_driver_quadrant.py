"""Driver quadrant (S27): agreement (x) against importance (y), previous wave faint, labels placed without overlap."""

from __future__ import annotations

import math

from chart_kit import NBSP, NNBSP, boxes, check_print_png, context, drawn, frame, labels, overlapping, row, texts, tick_labels
from matplotlib.text import Text

from pipeline import charts
from pipeline.charts import driver_quadrant

# S27-like: 13 soft values; seven of them crowd the upper right within 4 points × 3.6 points
ITEMS = [
    ("safe", "Tryggt", 77.0, 11.6), ("smooth", "Smidigt", 77.0, 11.2), ("reliable", "Pålitligt", 78.0, 10.5),
    ("simplifies", "Förenklar för mig", 78.0, 12.3), ("public_good", "Samhällsnyttigt", 75.0, 9.5),
    ("professional", "Professionellt", 79.0, 6.8), ("personal", "Personligt", 76.0, 8.7),
    ("supportive", "Stödjande", 76.5, 10.0), ("engaging", "Engagerande", 51.0, 4.2), ("innovative", "Innovativt", 46.0, 5.5),
    ("strengthening", "Stärkande", 47.0, 5.8), ("inspiring", "Inspirerande", 38.0, 5.8), ("motivating", "Motiverande", 44.0, 7.1),
]


def s27_rows(importance: str = "relative_weight") -> list[dict]:
    out = []
    for k, (key, label, x, y) in enumerate(ITEMS):
        for wave, dx, dy in ((2022, 0.0, 0.0), (2021, -2.0 - k % 3, -1.5 + (k % 4) * 0.8)):
            out.append(row(metric="drivers", measure="agree", wave=wave, category=key, label=label, value=x + dx,
                           n=1990 if wave == 2022 else 2092))
            out.append(row(metric="drivers", measure="relative_weight", wave=wave, category=key, label=label, value=y + dy, n=1990))
            out.append(row(metric="drivers", measure="correlation", wave=wave, category=key, label=label, value=0.2 + y / 40,
                           unit="coefficient", n=1990))
    return out


def s27(lang: str = "sv", **opts):
    return charts.build("driver_quadrant", frame(s27_rows()), {"description": "Spridningsdiagram över mjuka värden", **opts}, context(lang))


def test_png_is_print_resolution_and_reproducible(tmp_path):
    check_print_png(s27(), tmp_path)


def test_spec_from_rows():
    spec = s27()
    assert spec.categories == tuple(label for _, label, _, _ in ITEMS)
    assert spec.series[0].values == tuple(x for _, _, x, _ in ITEMS)
    assert spec.series[1].values == tuple(y for _, _, _, y in ITEMS)
    assert spec.detail.prev_x[0] == 75.0 and spec.detail.prev_y[0] == -1.5 + 11.6
    assert spec.detail.prev_wave == "2021" and spec.detail.x_label == "Andel instämmande"


def test_every_point_labelled_once_with_quadrant_names():
    fig = drawn(s27())
    shown = labels(fig)
    assert sorted(shown) == sorted([label for _, label, _, _ in ITEMS] + ["Styrka att vårda", "Förbättringsområde",
                                                                         "Sekundär styrka", "Lägre prioritet"])
    assert f"70{NBSP}%" in tick_labels(fig, "x") and f"10{NBSP}%" in tick_labels(fig, "y")


def test_labels_do_not_overlap_each_other_points_or_the_frame():
    spec = s27()
    fig = drawn(spec)
    assert overlapping(fig) == []
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    frame_box = ax.get_window_extent(renderer)
    radius = math.sqrt(driver_quadrant.POINT_SIZE) / 2 * fig.dpi / 72
    points = [ax.transData.transform((x, y)) for _, _, x, y in ITEMS]
    by_label = dict(boxes(fig))
    for (_, label, _, _), (px, py) in zip(ITEMS, points, strict=True):
        box = by_label[label]
        assert frame_box.x0 <= box.x0 and box.x1 <= frame_box.x1 and frame_box.y0 <= box.y0 and box.y1 <= frame_box.y1, label
        # no label covers a point of this wave (its own or another's)
        for qx, qy in points:
            assert not (box.x0 - radius < qx < box.x1 + radius and box.y0 - radius < qy < box.y1 + radius), label
        # and each stays near its own point: within half an inch of it
        gap = math.hypot(max(box.x0 - px, 0, px - box.x1), max(box.y0 - py, 0, py - box.y1))
        assert gap < 0.5 * fig.dpi, label


def test_crowded_cluster_in_a_small_chart():
    """Thirteen points within 5 × 3 points in a half-width chart area: still no overlap, all inside."""
    spec = s27()
    xs = tuple(72.0 + (k * 7) % 5 + 0.1 * k for k in range(13))
    ys = tuple(9.0 + ((k * 5) % 13) * 0.25 for k in range(13))
    crowded = type(spec)(spec.kind, spec.categories, (type(spec.series[0])("x", xs), type(spec.series[1])("y", ys)),
                         width=5.6, height=4.2, detail=spec.detail)
    fig = drawn(crowded)
    assert overlapping(fig) == []
    frame_box = fig.axes[0].get_window_extent(fig.canvas.get_renderer())
    for t in texts(fig):
        box = Text.get_window_extent(t, fig.canvas.get_renderer())
        # (the quadrant names sit flush in the corners: half a pixel to spare)
        assert frame_box.x0 - 0.5 <= box.x0 and box.x1 <= frame_box.x1 + 0.5, t.get_text()
        assert frame_box.y0 - 0.5 <= box.y0 and box.y1 <= frame_box.y1 + 0.5, t.get_text()


def test_correlation_importance_has_decimal_ticks():
    fig = drawn(s27(importance="correlation"))
    ticks = tick_labels(fig, "y")
    assert len(ticks) >= 3 and any("," in t for t in ticks) and not any("%" in t for t in ticks)


def test_alt_text_and_notes():
    spec = s27()
    alt = charts.alt_text(spec)
    # most important first: Förenklar för mig 12.3, Tryggt 11.6, Smidigt 11.2
    assert alt.startswith(f"Spridningsdiagram över mjuka värden. Förenklar för mig: instämmer 78{NBSP}%, vikt 12,3; "
                          f"Tryggt: instämmer 77{NBSP}%, vikt 11,6; Smidigt: instämmer 77{NBSP}%, vikt 11,2;")
    assert charts.alt_text(s27("en")).startswith("Spridningsdiagram över mjuka värden. Förenklar för mig: agree 78%, importance 12.3;")
    notes = charts.notes_table(spec).splitlines()
    assert notes[0] == " | Andel instämmande | Relativ vikt"
    assert notes[1] == "Tryggt | 77,0 | 11,6"
    assert len(notes) == 1 + 13 + 1
    assert notes[-1] == f"Bas (n): 1{NNBSP}990"
