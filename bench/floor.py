"""The floor for the deck benchmark: the same number of equally sized charts, no statistics.

This is the least a charts-to-PowerPoint run can cost on this machine: draw N
matplotlib charts of the deck's sizes at the deck's resolution (300 dpi, the
figure set-up of ``pipeline/charts/style.py``: constrained layout, white PNG
without metadata), in the same number of processes as the report, then put each
PNG on a slide of a new python-pptx presentation and save it. Each chart is a
plain grouped bar chart (two series × six categories, value labels, legend,
title): about what the deck's typical chart draws, with nothing computed.

It imports nothing from ``pipeline``, so ``bench/run.py`` can compare the
report's wall time with this script's (ratio target ≤ 1.5).

    .venv/bin/python bench/floor.py OUT_DIR [--sizes "8.9x4.95,8.9x2.4,…"] [--count 28] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

DPI = 300
CATEGORIES = ["Telefon", "Webbplats", "Inloggning", "Journal", "Bokning", "Recept"]


def draw(args: tuple[int, float, float, str]) -> str:
    """Draw chart ``i`` of ``width`` × ``height`` inches into ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    i, width, height, path = args
    rng = np.random.default_rng(i)
    a, b = rng.uniform(20, 90, 6), rng.uniform(20, 90, 6)
    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 10})
    fig = plt.figure(figsize=(width, height), dpi=DPI, layout="constrained")
    ax = fig.add_subplot(111)
    x = np.arange(len(CATEGORIES))
    for offset, values, name, colour in ((-0.2, a, "2022", "#0E3B66"), (0.2, b, "2021", "#8DB8E2")):
        bars = ax.bar(x + offset, values, 0.4, label=name, color=colour)
        ax.bar_label(bars, labels=[f"{v:.0f}" for v in values], fontsize=8, padding=2)
    ax.set_xticks(x, CATEGORIES)
    ax.set_ylim(0, 100)
    ax.set_title(f"Chart {i + 1}")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, frameon=False)
    fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
    plt.close(fig)
    return path


def run(out_dir: Path, sizes: list[tuple[float, float]], jobs: int) -> dict[str, float]:
    """Draw the charts (in ``jobs`` processes, as the report does) and build the pptx; return stage times."""
    out_dir.mkdir(parents=True, exist_ok=True)
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    todo = [(i, w, h, str(out_dir / f"chart-{i:02d}.png")) for i, (w, h) in enumerate(sizes)]
    workers = max(1, min(jobs, len(todo)))
    if workers > 1 and len(todo) >= 4:  # the report's rule (pipeline/report.py ChartRenderer)
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            paths = list(pool.map(draw, todo, chunksize=1))
    else:
        paths = [draw(item) for item in todo]
    t1 = time.perf_counter()
    times["charts"] = t1 - t0

    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    blank = prs.slide_layouts[6]
    for path, (w, h) in zip(paths, sizes):
        slide = prs.slides.add_slide(blank)
        slide.shapes.add_picture(path, Inches(0.45), Inches(1.6), Inches(w), Inches(h))
    prs.save(str(out_dir / "floor.pptx"))
    times["deck"] = time.perf_counter() - t1
    times["total"] = time.perf_counter() - t0
    return times


def parse_sizes(text: str) -> list[tuple[float, float]]:
    return [tuple(float(v) for v in item.split("x")) for item in text.split(",") if item]  # type: ignore[misc]


def main() -> None:
    parser = argparse.ArgumentParser(description="Floor for the deck benchmark: N charts at 300 dpi into a pptx, no statistics.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--sizes", help="comma-separated WxH in inches, one per chart (default: --count charts of 8.9x4.95)")
    parser.add_argument("--count", type=int, default=28)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes (default: all cores, as the report)")
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes) if args.sizes else [(8.9, 4.95)] * args.count
    times = run(args.out_dir, sizes, args.jobs)
    print(" ".join(f"{k}={v:.4f}" for k, v in times.items()))


if __name__ == "__main__":
    main()
