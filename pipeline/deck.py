"""Deck stage: slide contents and chart images into a PowerPoint file (the only module that imports pptx).

The template (``templates/1177.pptx`` by default, or another organisation's
through ``deck.yaml``) must have a layout for each role the slides use (title, section,
chart, two_charts, text) with the names given in ``deck.yaml`` (``layouts:``); placeholders are found by the name they have in
the layout (``Title``, ``Question``, ``Chart``, ``Commentary``, ``Footnote``,
``Subtitle``, ``Meta``, ``Body``, ``Chart 1``, ``Chart 2``). A missing layout is
an error that names it; a missing placeholder falls back to a text box or
the picture's default area.

Output is reproducible: core properties are fixed, and the zip python-pptx
saves in memory is written out member by member with fixed timestamps (public
API only), so the same content gives the same bytes.

The deck stage reads the slide builder's transfer objects (``pipeline.content``)
and imports nothing of the statistics: no pandas, numpy, metrics or design.
"""

from __future__ import annotations

import zipfile
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from pptx import Presentation as open_pptx
from pptx.presentation import Presentation as PptxPresentation
from pptx.shapes.base import BaseShape
from pptx.slide import Slide, SlideLayout
from pptx.util import Emu, Pt

from pipeline.content import ChartAreas, SlideContent
from pipeline.errors import TemplateError
from pipeline.outputs import zip_entry

FIXED_TIME = datetime(2023, 1, 1)
EMU_PER_INCH = 914400

Box = tuple[int, int, int, int]
"""left, top, width, height in EMU"""


def _layouts(prs: PptxPresentation, names: dict[str, str], template: Path) -> dict[str, SlideLayout]:
    by_name = {layout.name: layout for layout in prs.slide_layouts}
    found = {}
    for role, name in names.items():
        if name not in by_name:
            raise TemplateError(
                f"{template}: the template has no slide layout named {name!r} (needed for {role} slides); "
                f"its layouts are {sorted(by_name)}. Rename a layout in the template or change layouts in deck.yaml"
            )
        found[role] = by_name[name]
    return found


def _layout_placeholders(layout: SlideLayout) -> list[BaseShape]:
    # the same shapes as ``layout.placeholders``, whose ``__iter__`` python-pptx 1.0 types in a way mypy rejects
    return [shape for shape in layout.shapes if shape.is_placeholder]


def _placeholder_ids(layout: SlideLayout) -> dict[str, int]:
    return {ph.name: ph.placeholder_format.idx for ph in _layout_placeholders(layout)}


def _layout_box(layout: SlideLayout, name: str) -> Box | None:
    for ph in _layout_placeholders(layout):
        if ph.name == name:
            return int(ph.left), int(ph.top), int(ph.width), int(ph.height)
    return None


def open_template(template: Path) -> PptxPresentation:
    """Open the slide template, or say why ``template`` is not a usable .pptx."""
    if not template.is_file():
        raise TemplateError(
            f"{template}: slide template not found; build it with `python templates/make_template.py` or fix deck.yaml template"
        )
    if not zipfile.is_zipfile(template):
        raise TemplateError(
            f"{template}: is not a PowerPoint file (a .pptx is a zip archive); "
            "save the template from PowerPoint as .pptx or fix deck.yaml template"
        )
    try:
        return open_pptx(str(template))
    except Exception as exc:  # noqa: BLE001 - any failure means the file is not a usable pptx
        raise TemplateError(
            f"{template}: cannot be opened as a PowerPoint template ({type(exc).__name__}); "
            "save it again from PowerPoint as .pptx or fix deck.yaml template"
        ) from None


def chart_areas(template: Path, names: dict[str, str]) -> ChartAreas:
    """Chart sizes in inches for each layout, from the template's placeholders."""
    prs = open_template(template)
    layouts = _layouts(prs, names, template)

    def size(box: Box | None, default: tuple[float, float]) -> tuple[float, float]:
        if box is None:
            return default
        return box[2] / EMU_PER_INCH, box[3] / EMU_PER_INCH

    chart = _layout_box(layouts["chart"], "Chart") if "chart" in layouts else None  # only the layouts a deck uses are mapped
    comment = _layout_box(layouts["chart"], "Commentary") if "chart" in layouts else None
    wide = None
    if chart and comment:
        wide = (chart[0], chart[1], comment[0] + comment[2] - chart[0], chart[3])
    return ChartAreas(
        chart=size(chart, (8.9, 4.9)),
        chart_wide=size(wide, size(chart, (12.4, 4.9))),
        half=size(_layout_box(layouts["two_charts"], "Chart 1") if "two_charts" in layouts else None, (6.1, 4.9)),
    )


def _set_text(placeholder: Any, text: str, size: float | None = None) -> None:
    frame = placeholder.text_frame
    frame.word_wrap = True
    frame.text = text
    if size is not None:
        for paragraph in frame.paragraphs:
            for run in paragraph.runs:
                run.font.size = Pt(size)


def _set_bullets(placeholder: Any, lines: tuple[str, ...], size: float | None = None) -> None:
    frame = placeholder.text_frame
    frame.word_wrap = True
    frame.text = lines[0] if lines else ""
    for line in lines[1:]:
        frame.add_paragraph().text = line
    if size is not None:
        for paragraph in frame.paragraphs:
            for run in paragraph.runs:
                run.font.size = Pt(size)


def _fit(text: str, limits: list[tuple[int, float]], default: float | None) -> float | None:
    """Pick a smaller font size for long texts: ``limits`` is [(max chars, size), …]."""
    for max_chars, size in limits:
        if len(text) > max_chars:
            return size
    return default


class DeckWriter:
    """Writes one deck from a :class:`Presentation` and its rendered chart images.

    Slides are added with their texts and notes first (``add``), while the charts may
    still be drawing; ``write`` then places the chart images and saves the file.
    """

    def __init__(self, template: Path, layout_names: dict[str, str]) -> None:
        self.template = template
        self.prs = open_template(template)
        self.layouts = _layouts(self.prs, layout_names, template)
        self.ids = {role: _placeholder_ids(layout) for role, layout in self.layouts.items()}
        # (slide, shape name, chart key, alt text, area) of each chart, placed by ``write``
        self._pictures: list[tuple[Slide, str, str, str, Box | None]] = []

    def _ph(self, slide: Slide, role: str, name: str) -> Any:
        idx = self.ids[role].get(name)
        if idx is None:
            return None
        try:
            return slide.placeholders[idx]
        except KeyError:
            return None

    def _textbox(self, slide: Slide, role: str, name: str, fallback: tuple[float, float, float, float]) -> Any:
        ph = self._ph(slide, role, name)
        if ph is not None:
            return ph
        left, top, width, height = (Emu(int(v * EMU_PER_INCH)) for v in fallback)
        return slide.shapes.add_textbox(left, top, width, height)

    def _picture(self, slide: Slide, name: str, image: Path, alt: str, box: Box) -> None:
        pic = slide.shapes.add_picture(str(image), Emu(box[0]), Emu(box[1]), Emu(box[2]), Emu(box[3]))
        pic.name = name
        _set_alt_text(pic, alt, name)

    def add(self, content: SlideContent) -> None:
        """Add one slide with its texts and notes; its charts are placed by :meth:`write`."""
        role = content.layout
        layout = self.layouts[role]
        slide = self.prs.slides.add_slide(layout)
        if slide.shapes.title is not None:
            slide.shapes.title.text = content.title
        if role == "title":
            self._fill(slide, role, "Subtitle", content.subtitle)
            self._fill(slide, role, "Meta", " · ".join(content.body))
        elif role == "section":
            self._fill(slide, role, "Subtitle", content.subtitle)
        elif role == "text":
            body = self._textbox(slide, role, "Body", (0.6, 1.6, 12.1, 5.2))
            _set_bullets(body, content.body, _fit(" ".join(content.body), [(1100, 14.0), (800, 15.0)], None))
        else:
            self._fill(slide, role, "Question", content.question, _fit(content.question, [(330, 10.0), (220, 11.0)], None))
            if role == "chart":
                box = _layout_box(layout, "Chart")
                comment_box = _layout_box(layout, "Commentary")
                if content.commentary:
                    ph = self._ph(slide, role, "Commentary")
                    if ph is not None:
                        _set_bullets(ph, content.commentary, _fit(" ".join(content.commentary), [(520, 11.0), (400, 12.0)], None))
                elif comment_box is not None and box is not None:
                    box = (box[0], box[1], comment_box[0] + comment_box[2] - box[0], box[3])
                    self._drop(slide, role, "Commentary")
                chart = content.charts[0]
                self._pictures.append((slide, "Chart", chart.key, chart.alt, box))
                self._drop(slide, role, "Chart")
            else:
                for i, chart in enumerate(content.charts, start=1):
                    self._pictures.append((slide, f"Chart {i}", chart.key, chart.alt, _layout_box(layout, f"Chart {i}")))
                    self._drop(slide, role, f"Chart {i}")
            self._fill(slide, role, "Footnote", content.footnote, _fit(content.footnote, [(420, 7.5), (300, 8.0)], None))
        if content.notes:
            slide.notes_slide.notes_text_frame.text = content.notes
        self._drop_empty(slide)

    def _fit_box(self, box: Box | None, image: Path) -> Box:
        """Place the image inside ``box`` keeping its aspect ratio (top-left aligned, centred vertically)."""
        from PIL import Image

        if box is None:
            box = (int(0.45 * EMU_PER_INCH), int(1.75 * EMU_PER_INCH), int(12.4 * EMU_PER_INCH), int(4.9 * EMU_PER_INCH))
        with Image.open(image) as im:
            w_px, h_px = im.size
        left, top, width, height = box
        scale = min(width / w_px, height / h_px)
        w, h = int(w_px * scale), int(h_px * scale)
        return left, top + (height - h) // 2, w, h

    def _fill(self, slide: Slide, role: str, name: str, text: str, size: float | None = None) -> None:
        ph = self._ph(slide, role, name)
        if ph is not None and text:
            _set_text(ph, text, size)

    def _drop(self, slide: Slide, role: str, name: str) -> None:
        ph = self._ph(slide, role, name)
        if ph is not None:
            _remove_shape(ph)

    def _drop_empty(self, slide: Slide) -> None:
        for ph in list(slide.placeholders):
            if ph.has_text_frame and not ph.text_frame.text.strip():
                _remove_shape(ph)

    def write(self, images: dict[str, Path], path: Path, title: str, lang: str) -> None:
        """Place each chart's image (``images``: chart key → PNG) in its area and save the deck to ``path``."""
        for slide, name, key, alt, box in self._pictures:
            image = images[key]
            self._picture(slide, name, image, alt, self._fit_box(box, image))
        self._pictures.clear()
        self.save(path, title, lang)

    def save(self, path: Path, title: str, lang: str) -> None:
        """Save the deck to ``path`` reproducibly: fixed core properties, zip members in fixed form."""
        props = self.prs.core_properties
        props.title = title
        props.author = "survey-deck"
        props.last_modified_by = "survey-deck"
        props.language = "sv-SE" if lang == "sv" else "en-GB"
        props.created = FIXED_TIME
        props.modified = FIXED_TIME
        props.last_printed = FIXED_TIME
        props.revision = 1
        saved = BytesIO()
        self.prs.save(saved)
        _write_reproducible(saved, path)


def _write_reproducible(saved: BytesIO, path: Path) -> None:
    """Write the zip ``saved`` to ``path`` with each member in its reproducible form (:func:`zip_entry`).

    python-pptx deflates every member and stamps the save time; the members are
    rewritten in python-pptx's own (deterministic) order with fixed timestamps,
    images stored, everything else deflated. Done in memory through public API
    (``Presentation.save`` to a buffer, then :mod:`zipfile`), so no python-pptx
    internals are patched and the file is written once.
    """
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            dst.writestr(*zip_entry(info.filename, src.read(info)))


# python-pptx has no public API for these two; both are the workarounds its maintainer
# gives (scanny/python-pptx#512 for alt text, #265 for removing an unused placeholder),
# kept here in one place. They edit the shape's XML; they replace no python-pptx code.


def _set_alt_text(shape: Any, alt: str, title: str) -> None:
    """Give a picture its alt text (``descr``) and title, read by screen readers."""
    shape._element.nvPicPr.cNvPr.set("descr", alt)
    shape._element.nvPicPr.cNvPr.set("title", title)


def _remove_shape(shape: Any) -> None:
    """Remove a shape (an unused placeholder) from its slide."""
    element = shape._element
    element.getparent().remove(element)
