"""The floor for the native deck benchmark: the same number of native PowerPoint charts, no statistics.

The least a native-charts deck can cost on this machine: a new python-pptx
presentation with one slide per chart, each a clustered bar chart of the
deck's chart size (two series × six categories, value data labels, legend,
embedded workbook as python-pptx writes it), saved. Nothing is computed or
read. It imports nothing from ``pipeline``, so ``bench/run.py`` can compare
``report --charts native`` with it.

    .venv/bin/python bench/floor_native.py OUT_DIR [--sizes "8.9x4.95,8.9x2.4,…"] [--count 28]
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

CATEGORIES = ["Telefon", "Webbplats", "Inloggning", "Journal", "Bokning", "Recept"]


def run(out_dir: Path, sizes: list[tuple[float, float]]) -> dict[str, float]:
    """Write ``len(sizes)`` native charts into a pptx in ``out_dir``; return the time taken."""
    t0 = time.perf_counter()
    from pptx import Presentation
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
    from pptx.util import Inches

    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1177)
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    blank = prs.slide_layouts[6]
    for i, (w, h) in enumerate(sizes):
        data = CategoryChartData()
        data.categories = CATEGORIES
        data.add_series("2022", [rng.uniform(20, 90) for _ in CATEGORIES])
        data.add_series("2021", [rng.uniform(20, 90) for _ in CATEGORIES])
        slide = prs.slides.add_slide(blank)
        chart = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, Inches(0.45), Inches(1.6), Inches(w), Inches(h), data).chart
        chart.has_legend = True
        chart.legend.position = XL_LEGEND_POSITION.TOP
        chart.legend.include_in_layout = False
        plot = chart.plots[0]
        plot.has_data_labels = True
        plot.data_labels.number_format = "0"
        plot.data_labels.number_format_is_linked = False
        chart.value_axis.maximum_scale = 100
        chart.has_title = True
        chart.chart_title.text_frame.text = f"Chart {i + 1}"
    prs.save(str(out_dir / "floor-native.pptx"))
    return {"total": time.perf_counter() - t0}


def main() -> None:
    parser = argparse.ArgumentParser(description="Floor for the native deck benchmark: N native charts into a pptx, no statistics.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--sizes", help="comma-separated WxH in inches, one per chart (default: --count charts of 8.9x4.95)")
    parser.add_argument("--count", type=int, default=28)
    args = parser.parse_args()
    sizes = ([tuple(float(v) for v in item.split("x")) for item in args.sizes.split(",") if item] if args.sizes
             else [(8.9, 4.95)] * args.count)
    times = run(args.out_dir, sizes)  # type: ignore[arg-type]
    print(" ".join(f"{k}={v:.4f}" for k, v in times.items()))


if __name__ == "__main__":
    main()
