"""Deck stage: slide contents and chart images into a PowerPoint file (the only module that imports pptx).

The template (``templates/1177.pptx`` by default, or another organisation's
through ``deck.yaml``) must have five layouts with the names given in
``deck.yaml`` (``layouts:``); placeholders are found by the name they have in
the layout (``Title``, ``Question``, ``Chart``, ``Commentary``, ``Footnote``,
``Subtitle``, ``Meta``, ``Body``, ``Chart 1``, ``Chart 2``). A missing layout is
an error that names it; a missing placeholder falls back to a text box or
the picture's default area.

Output is reproducible: core properties are fixed and the zip is rewritten
with fixed timestamps, so the same content gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from pptx import Presentation as open_pptx
from pptx.util import Emu, Pt

from pipeline.content import ChartAreas, SlideContent
from pipeline.errors import TemplateError
from pipeline.outputs import normalize_zip, zip_entry

FIXED_TIME = datetime(2023, 1, 1)
EMU_PER_INCH = 914400


def _layouts(prs, names: dict[str, str], template: Path) -> dict[str, object]:  # noqa: ANN001
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


def _placeholder_ids(layout) -> dict[str, int]:  # noqa: ANN001 - pptx SlideLayout
    return {ph.name: ph.placeholder_format.idx for ph in layout.placeholders}


def _layout_box(layout, name: str) -> tuple[int, int, int, int] | None:  # noqa: ANN001
    for ph in layout.placeholders:
        if ph.name == name:
            return int(ph.left), int(ph.top), int(ph.width), int(ph.height)
    return None


def open_template(template: Path):  # noqa: ANN201 - pptx Presentation
    if not template.is_file():
        raise TemplateError(f"{template}: slide template not found; build it with `python templates/make_template.py` or fix deck.yaml template")
    import zipfile

    if not zipfile.is_zipfile(template):
        raise TemplateError(f"{template}: is not a PowerPoint file (a .pptx is a zip archive); save the template from PowerPoint as .pptx or fix deck.yaml template")
    try:
        return open_pptx(str(template))
    except Exception as exc:  # noqa: BLE001 - any failure means the file is not a usable pptx
        raise TemplateError(f"{template}: cannot be opened as a PowerPoint template ({type(exc).__name__}); save it again from PowerPoint as .pptx or fix deck.yaml template") from None


def chart_areas(template: Path, names: dict[str, str]) -> ChartAreas:
    """Chart sizes in inches for each layout, from the template's placeholders."""
    prs = open_template(template)
    layouts = _layouts(prs, names, template)

    def size(box: tuple[int, int, int, int] | None, default: tuple[float, float]) -> tuple[float, float]:
        if box is None:
            return default
        return box[2] / EMU_PER_INCH, box[3] / EMU_PER_INCH

    chart = _layout_box(layouts["chart"], "Chart")
    comment = _layout_box(layouts["chart"], "Commentary")
    wide = None
    if chart and comment:
        wide = (chart[0], chart[1], comment[0] + comment[2] - chart[0], chart[3])
    return ChartAreas(
        chart=size(chart, (8.9, 4.9)),
        chart_wide=size(wide, size(chart, (12.4, 4.9))),
        half=size(_layout_box(layouts["two_charts"], "Chart 1"), (6.1, 4.9)),
    )


def _set_text(placeholder, text: str, size: float | None = None) -> None:  # noqa: ANN001
    frame = placeholder.text_frame
    frame.word_wrap = True
    frame.text = text
    if size is not None:
        for paragraph in frame.paragraphs:
            for run in paragraph.runs:
                run.font.size = Pt(size)


def _set_bullets(placeholder, lines: tuple[str, ...], size: float | None = None) -> None:  # noqa: ANN001
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

    def __init__(self, template: Path, layout_names: dict[str, str]):
        self.template = template
        self.prs = open_template(template)
        self.layouts = _layouts(self.prs, layout_names, template)
        self.ids = {role: _placeholder_ids(layout) for role, layout in self.layouts.items()}
        # (slide, shape name, chart key, alt text, area) of each chart, placed by ``write``
        self._pictures: list[tuple[object, str, str, str, tuple[int, int, int, int] | None]] = []

    def _ph(self, slide, role: str, name: str):  # noqa: ANN001, ANN202
        idx = self.ids[role].get(name)
        if idx is None:
            return None
        try:
            return slide.placeholders[idx]
        except KeyError:
            return None

    def _textbox(self, slide, role: str, name: str, fallback: tuple[float, float, float, float]):  # noqa: ANN001, ANN202
        ph = self._ph(slide, role, name)
        if ph is not None:
            return ph
        left, top, width, height = (Emu(int(v * EMU_PER_INCH)) for v in fallback)
        return slide.shapes.add_textbox(left, top, width, height)

    def _picture(self, slide, name: str, image: Path, alt: str, box: tuple[int, int, int, int]) -> None:  # noqa: ANN001
        pic = slide.shapes.add_picture(str(image), Emu(box[0]), Emu(box[1]), Emu(box[2]), Emu(box[3]))
        pic.name = name
        pic._element.nvPicPr.cNvPr.set("descr", alt)
        pic._element.nvPicPr.cNvPr.set("title", name)

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

    def _fit_box(self, box: tuple[int, int, int, int] | None, image: Path) -> tuple[int, int, int, int]:
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

    def _fill(self, slide, role: str, name: str, text: str, size: float | None = None) -> None:  # noqa: ANN001
        ph = self._ph(slide, role, name)
        if ph is not None and text:
            _set_text(ph, text, size)

    def _drop(self, slide, role: str, name: str) -> None:  # noqa: ANN001
        ph = self._ph(slide, role, name)
        if ph is not None:
            ph._element.getparent().remove(ph._element)

    def _drop_empty(self, slide) -> None:  # noqa: ANN001
        for ph in list(slide.placeholders):
            if ph.has_text_frame and not ph.text_frame.text.strip():
                ph._element.getparent().remove(ph._element)

    def write(self, images: dict[str, Path], path: Path, title: str, lang: str) -> None:
        """Place each chart's image (``images``: chart key → PNG) in its area and save the deck to ``path``."""
        for slide, name, key, alt, box in self._pictures:
            image = images[key]
            self._picture(slide, name, image, alt, self._fit_box(box, image))
        self._pictures.clear()
        self.save(path, title, lang)

    def save(self, path: Path, title: str, lang: str) -> None:
        props = self.prs.core_properties
        props.title = title
        props.author = "survey-deck"
        props.last_modified_by = "survey-deck"
        props.language = "sv-SE" if lang == "sv" else "en-GB"
        props.created = FIXED_TIME
        props.modified = FIXED_TIME
        props.last_printed = FIXED_TIME
        props.revision = 1
        with _reproducible_members() as direct:
            self.prs.save(str(path))
        if not direct:
            normalize_zip(path)


@contextmanager
def _reproducible_members() -> Iterator[bool]:
    """While saving, have python-pptx write each zip member in its reproducible form (``zip_entry``).

    That is what ``normalize_zip`` makes of the saved file, in one pass instead of
    writing, reading and rewriting it, and without deflating the chart PNGs twice.
    Yields False (the caller normalizes afterwards) if python-pptx's zip writer is
    not the one this was written against.
    """
    try:
        from pptx.opc.serialized import _ZipPkgWriter

        original = _ZipPkgWriter.write
        assert hasattr(_ZipPkgWriter, "_zipf")
    except (ImportError, AttributeError, AssertionError):
        yield False
        return

    def write(self, pack_uri, blob: bytes) -> None:  # noqa: ANN001 - pptx PackURI
        self._zipf.writestr(*zip_entry(pack_uri.membername, blob))

    _ZipPkgWriter.write = write
    try:
        yield True
    finally:
        _ZipPkgWriter.write = original
