"""Deck stage: slide contents and chart images into a PowerPoint file (with ``deck_native`` and ``deck_refresh``,
the only modules that import pptx).

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
With ``charts="native"`` each chart is a native PowerPoint chart written from
its spec (``pipeline.deck_native``) instead of a picture; every slide, chart
and computed text carries a stable id (``pipeline.deck_ids``) for ``refresh``.
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
from pipeline.deck_ids import TEXT_PLACEHOLDERS, chart_name, tag_slide, text_hash
from pipeline.deck_native import add_chart, fit_box, quick_partnames
from pipeline.errors import TemplateError
from pipeline.numbers import language_tag
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
    theme, font = theme_style(prs)
    return ChartAreas(
        chart=size(chart, (8.9, 4.9)),
        chart_wide=size(wide, size(chart, (12.4, 4.9))),
        half=size(_layout_box(layouts["two_charts"], "Chart 1") if "two_charts" in layouts else None, (6.1, 4.9)),
        theme=theme,
        font=font,
    )


THEME_SLOTS = ("dk1", "lt1", "dk2", "lt2", "accent1", "accent2", "accent3", "accent4", "accent5", "accent6", "hlink", "folHlink")


def theme_style(prs: PptxPresentation) -> tuple[tuple[tuple[str, str], ...], str]:
    """The theme colours (slot, hex) and the theme's body (minor) Latin font of the template's slide master.

    A slot given as a system colour (``a:sysClr``, e.g. window text) is read from its ``lastClr``; a slot the
    theme lacks is left out (the charts then use the 1177 template's colour for it).
    """
    from xml.etree import ElementTree

    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    ns = {"a": "http://schemas.openxmlformats.org/drawingml/2006/main"}
    try:
        theme_part = prs.slide_master.part.part_related_by(RT.THEME)
    except KeyError:
        return (), ""
    root = ElementTree.fromstring(theme_part.blob)
    colours = []
    scheme = root.find(".//a:clrScheme", ns)
    for slot in THEME_SLOTS:
        node = scheme.find(f"a:{slot}", ns) if scheme is not None else None
        if node is None:
            continue
        rgb = node.find("a:srgbClr", ns)
        value = rgb.get("val") if rgb is not None else None
        if value is None:
            sys_clr = node.find("a:sysClr", ns)
            value = sys_clr.get("lastClr") if sys_clr is not None else None
        if value:
            colours.append((slot, value.upper()))
    latin = root.find(".//a:fontScheme/a:minorFont/a:latin", ns)
    font = latin.get("typeface", "") if latin is not None else ""
    return tuple(colours), font if not font.startswith("+") else ""


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


TITLE_PT = {"title": 40.0, "section": 36.0}  # the template's title sizes; other layouts 26 pt


def no_widow(title: str, width: float = 12.4, size: float = 26.0) -> str:
    """The title, with its last two words bound by a no-break space where it would wrap (in a box ``width``
    inches wide at ``size`` pt, about half an em a character) and leave one word alone on its last line (e.g.
    "… spontana val av" over "1177"); a title on one line is left as it is."""
    per_line = max(8, int(width * 72 / (size * 0.55)))
    lines: list[list[str]] = [[]]
    for word in title.split():
        if lines[-1] and len(" ".join(lines[-1] + [word])) > per_line:
            lines.append([])
        lines[-1].append(word)
    if len(lines) < 2 or len(lines[-1]) > 1:
        return title
    head, _, last = title.rpartition(" ")
    return f"{head}\u00a0{last}"


TEXT_SIZES = (28.0, 26.0, 24.0, 22.0, 20.0, 18.0, 16.0, 14.0)


def fill_size(paragraphs: tuple[str, ...], width: float, height: float) -> float:
    """The largest font size (pt) at which the bullets ``paragraphs`` fill a text box ``width`` × ``height`` inches
    without running over: a text slide's body is set to fill its area, not to leave half of it empty."""
    for size in TEXT_SIZES:
        per_line = max(1, int((width - 0.5) * 72 / (size * 0.5)))  # Arial averages about half an em per character
        lines = sum(-(-max(len(p), 1) // per_line) for p in paragraphs)
        needed = lines * size * 1.2 / 72 + len(paragraphs) * size * 0.6 / 72
        if needed <= height * 0.92:
            return size
    return TEXT_SIZES[-1]


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

    def __init__(self, template: Path, layout_names: dict[str, str], charts: str = "picture") -> None:
        self.template = template
        self.charts = charts  # "picture" (300 dpi images) or "native" (PowerPoint charts, pipeline.deck_native)
        self._specs: dict[str, Any] = {}  # chart key → spec, for native charts
        self.prs = open_template(template)
        self.layouts = _layouts(self.prs, layout_names, template)
        self.ids = {role: _placeholder_ids(layout) for role, layout in self.layouts.items()}
        self._boxes: dict[tuple[str, str], Box | None] = {}  # (role, placeholder name) → its box in the layout (looked up once)
        # (slide, shape name, chart key, alt text, area) of each chart, placed by ``write``
        self._pictures: list[tuple[Slide, str, str, str, Box | None]] = []
        self._slide_phs: tuple[Slide, dict[int, Any]] | None = None  # the slide being filled and its placeholders by idx

    def _box(self, role: str, name: str) -> Box | None:
        """The box of placeholder ``name`` in the layout of ``role`` (:func:`_layout_box`, worked out once per deck)."""
        if (role, name) not in self._boxes:
            self._boxes[role, name] = _layout_box(self.layouts[role], name)
        return self._boxes[role, name]

    def _placeholders(self, slide: Slide) -> dict[int, Any]:
        """idx → placeholder of ``slide`` (the first of each idx, as ``slide.placeholders[idx]`` finds it), found once
        per slide: python-pptx walks the XML of every shape for each lookup. Found again after a placeholder is removed."""
        if self._slide_phs is None or self._slide_phs[0] is not slide:
            found: dict[int, Any] = {}
            for ph in slide.placeholders:
                found.setdefault(ph.placeholder_format.idx, ph)
            self._slide_phs = (slide, found)
        return self._slide_phs[1]

    def _ph(self, slide: Slide, role: str, name: str) -> Any:
        idx = self.ids[role].get(name)
        if idx is None:
            return None
        return self._placeholders(slide).get(idx)

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
            title_box = self._box(role, "Title")
            width = title_box[2] / EMU_PER_INCH if title_box else 12.4
            slide.shapes.title.text = no_widow(content.title, width, TITLE_PT.get(role, 26.0))
        if role == "title":
            self._fill(slide, role, "Subtitle", content.subtitle)
            self._fill(slide, role, "Meta", " · ".join(content.body))
        elif role == "section":
            self._fill(slide, role, "Subtitle", content.subtitle)
        elif role == "text":
            body = self._textbox(slide, role, "Body", (0.6, 1.6, 12.1, 5.2))
            body_box = self._box(role, "Body") or (int(0.6 * EMU_PER_INCH), 0, int(12.1 * EMU_PER_INCH), int(5.2 * EMU_PER_INCH))
            size = fill_size(content.body, body_box[2] / EMU_PER_INCH, body_box[3] / EMU_PER_INCH)
            _set_bullets(body, content.body, size)
            for paragraph in body.text_frame.paragraphs:
                paragraph.space_after = Pt(round(size * 0.6))
        else:
            self._fill(slide, role, "Question", content.question, _fit(content.question, [(330, 10.0), (220, 11.0)], None))
            if role == "chart":
                box = self._box(role, "Chart")
                comment_box = self._box(role, "Commentary")
                if content.commentary:
                    ph = self._ph(slide, role, "Commentary")
                    if ph is not None:
                        _set_bullets(ph, content.commentary, _fit(" ".join(content.commentary), [(520, 11.0), (400, 12.0)], None))
                elif comment_box is not None and box is not None:
                    box = (box[0], box[1], comment_box[0] + comment_box[2] - box[0], box[3])
                    self._drop(slide, role, "Commentary")
                chart = content.charts[0]
                self._specs[chart.key] = chart.spec
                self._pictures.append((slide, chart_name(content.id, 1), chart.key, chart.alt, box))
                self._drop(slide, role, "Chart")
            else:
                for i, chart in enumerate(content.charts, start=1):
                    self._specs[chart.key] = chart.spec
                    self._pictures.append((slide, chart_name(content.id, i), chart.key, chart.alt, self._box(role, f"Chart {i}")))
                    self._drop(slide, role, f"Chart {i}")
            self._fill(slide, role, "Footnote", content.footnote, _fit(content.footnote, [(420, 7.5), (300, 8.0)], None))
        if content.notes:
            slide.notes_slide.notes_text_frame.text = content.notes
        self._drop_empty(slide)
        self._tag(slide, content)

    def _tag(self, slide: Slide, content: SlideContent) -> None:
        """Store the slide's stable id and the id and text hashes of each computed text (``survey-deck refresh``)."""
        role = content.layout
        shapes = {field: self._ph(slide, role, name) for name, field in TEXT_PLACEHOLDERS.items()}
        shapes["title"] = slide.shapes.title
        tag_slide(slide, content.id, {f: s for f, s in shapes.items() if s is not None and s.has_text_frame and s.text_frame.text})
        if content.notes:
            notes = slide.notes_slide
            frame = notes.notes_text_frame
            notes._element.cSld.set("name", "survey-deck:" + text_hash(frame.text if frame is not None else ""))
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

    def _native(self, slide: Slide, name: str, key: str, alt: str, box: Box | None) -> None:
        """Add the chart of ``key`` as a native PowerPoint chart, fitted into ``box`` as its picture would be."""
        spec = self._specs[key]
        if box is None:
            box = (int(0.45 * EMU_PER_INCH), int(1.75 * EMU_PER_INCH), int(12.4 * EMU_PER_INCH), int(4.9 * EMU_PER_INCH))
        add_chart(slide.shapes, spec, name, alt, fit_box(box, spec.width, spec.height))

    def _fill(self, slide: Slide, role: str, name: str, text: str, size: float | None = None) -> None:
        ph = self._ph(slide, role, name)
        if ph is not None and text:
            _set_text(ph, text, size)

    def _drop(self, slide: Slide, role: str, name: str) -> None:
        ph = self._ph(slide, role, name)
        if ph is not None:
            _remove_shape(ph)
            self._slide_phs = None

    def _drop_empty(self, slide: Slide) -> None:
        for ph in list(slide.placeholders):
            if ph.has_text_frame and not ph.text_frame.text.strip():
                _remove_shape(ph)
                self._slide_phs = None

    def write(self, images: dict[str, Path], path: Path, title: str, lang: str) -> None:
        """Place each chart (``images``: chart key → PNG; native charts need none) in its area and save the deck to ``path``."""
        if self.charts == "native":
            with quick_partnames(self.prs.part.package):
                for slide, name, key, alt, box in self._pictures:
                    self._native(slide, name, key, alt, box)
        else:
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
        props.language = language_tag(lang)  # CLDR's likely territory: sv-SE, en-US, fi-FI
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
