"""Deck stage: refresh a deck a person has edited with this wave's numbers (``survey-deck refresh``).

The edited deck is opened as it is and changed in place, so everything the
person did stays: slides moved, added or deleted, charts moved, resized or
recoloured, texts reworded. Slides, charts and texts are found by the stable
ids of :mod:`pipeline.deck_ids`, never by position. For each slide the
pipeline made and still builds:

* native charts get the new data (``chart.replace_data``: the embedded
  workbook and the chart's caches), new data labels and redrawn grouped shapes,
  keeping the frame's position and size and the series' formatting;
* picture charts get the new image in the picture's edited position and size;
* computed texts get the new text paragraph by paragraph, unless the paragraph
  no longer matches the hash stored when it was written (rewritten by hand):
  then it is kept and listed as not updated; the speaker notes likewise.

Each slide is reported as updated, kept or skipped with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pptx.enum.shapes import MSO_SHAPE_TYPE

from pipeline.content import SlideContent
from pipeline.deck import FIXED_TIME, _write_reproducible, open_template
from pipeline.deck_ids import content_texts, paragraph_texts, parse_name, slide_id, tag_text, text_hash
from pipeline.deck_native import update_chart
from pipeline.errors import DataError
from pipeline.numbers import language_tag


@dataclass
class SlideOutcome:
    """What refresh did to one slide: ``updated``, ``kept`` or ``skipped``, and why."""

    slide: str
    status: str
    reason: str


@dataclass
class RefreshResult:
    """Every slide's outcome and the computed texts kept because they were rewritten by hand."""

    slides: list[SlideOutcome] = field(default_factory=list)
    not_updated: list[str] = field(default_factory=list)


def check_edited(path: Path) -> bool:
    """Check, before any work, that ``path`` is a deck written by ``report`` (a DataError if no slide has an id);
    return whether it has chart pictures (refresh then needs chart images)."""
    prs = open_template(path)
    _require_ids(prs, path)
    for slide in prs.slides:
        for shape in slide.shapes:
            tag = parse_name(shape.name)
            if tag and tag[1] == "chart" and shape.shape_type == MSO_SHAPE_TYPE.PICTURE:
                return True
    return False


def refresh(edited: Path, slides: list[SlideContent], images: dict[str, Path], out: Path, title: str, lang: str) -> RefreshResult:
    """Write ``edited`` with the numbers and texts of ``slides`` (this wave's content) to ``out``; see the module docstring."""
    prs = open_template(edited)
    _require_ids(prs, edited)
    new = {c.id: c for c in slides}
    result = RefreshResult()
    seen = set()
    for number, slide in enumerate(prs.slides, start=1):
        sid = slide_id(slide)
        if sid is None:
            result.slides.append(SlideOutcome(f"slide {number}", "kept", "not made by survey-deck (no id): left as it is"))
            continue
        seen.add(sid)
        content = new.get(sid)
        if content is None:
            result.slides.append(SlideOutcome(sid, "kept", "not built for this wave (see the warnings): left with its old numbers"))
            continue
        result.slides.append(_refresh_slide(slide, content, images, result.not_updated))
    for sid in new:
        if sid not in seen:
            result.slides.append(SlideOutcome(sid, "skipped", "deleted from the edited deck: not added back"))
    props = prs.core_properties
    props.title = title
    props.language = language_tag(lang)  # CLDR's likely territory, as the report writes it
    props.modified = FIXED_TIME
    props.last_modified_by = "survey-deck"
    from io import BytesIO

    saved = BytesIO()
    prs.save(saved)
    _write_reproducible(saved, out)
    return result


def _require_ids(prs: Any, path: Path) -> None:
    if not any(slide_id(slide) for slide in prs.slides):
        raise DataError(
            f"{path}: no slide carries a survey-deck id, so there is nothing to refresh; refresh works on decks written "
            "by `survey-deck report` (with this version or later): make one with report and edit that")


def _refresh_slide(slide: Any, content: SlideContent, images: dict[str, Path], kept: list[str]) -> SlideOutcome:
    texts = content_texts(content)
    charts = {str(i): c for i, c in enumerate(content.charts, start=1)}
    done_charts, done_texts, hand = 0, 0, []
    for shape in list(slide.shapes):
        tag = parse_name(shape.name)
        if tag is None or tag[0] != content.id:
            continue
        _, kind, rest = tag
        if kind == "chart":
            chart = charts.get(rest)
            if chart is None:
                continue
            if shape.shape_type == MSO_SHAPE_TYPE.PICTURE:
                if chart.key not in images:
                    continue
                _replace_picture(slide, shape, images[chart.key], chart.alt)
            else:
                update_chart(shape, chart.spec, chart.alt)
            done_charts += 1
        elif kind in texts and shape.has_text_frame:
            changed, rewritten = _refresh_text(shape, texts[kind], rest.split(".") if rest else [])
            done_texts += changed
            for i in rewritten:
                where = f"{content.id} {kind}" + (f" paragraph {i + 1}" if len(texts[kind]) > 1 else "")
                hand.append(where)
                kept.append(f"{where}: rewritten by hand, kept (not updated)")
            tag_text_keep(shape, content.id, kind, texts[kind], rewritten)
    notes = _refresh_notes(slide, content)
    if notes == "hand":
        kept.append(f"{content.id} notes: edited by hand, kept (not updated)")
        hand.append(f"{content.id} notes")
    if not (done_charts or done_texts or hand or notes == "updated"):
        return SlideOutcome(content.id, "kept", "nothing to update: its computed texts read the same this wave")
    reason = f"{done_charts} chart(s) and {done_texts} text(s) updated" + (", notes updated" if notes == "updated" else "")
    if hand:
        reason += "; kept as rewritten by hand: " + ", ".join(hand)
    return SlideOutcome(content.id, "updated", reason)


def _refresh_text(shape: Any, lines: tuple[str, ...], hashes: list[str]) -> tuple[int, list[int]]:
    """Put ``lines`` into the paragraphs still as written (their hash matches); return (paragraphs changed, rewritten ones)."""
    paragraphs = shape.text_frame.paragraphs
    changed, rewritten = 0, []
    for i, line in enumerate(lines):
        if i >= len(paragraphs) or i >= len(hashes):
            break
        para = paragraphs[i]
        if text_hash(para.text) != hashes[i]:
            rewritten.append(i)
            continue
        if para.text == line:
            continue
        runs = para.runs
        if runs:
            runs[0].text = line
            for run in runs[1:]:
                run._r.getparent().remove(run._r)
        else:
            para.add_run().text = line
        changed += 1
    return changed, rewritten


def tag_text_keep(shape: Any, sid: str, kind: str, lines: tuple[str, ...], rewritten: list[int]) -> None:
    """Re-tag a refreshed text: paragraphs rewritten by hand keep a hash that does not match them (they stay the person's)."""
    tag_text(shape, sid, kind)
    if rewritten:
        hashes = [text_hash(t) for t in paragraph_texts(shape)]
        for i in rewritten:
            if i < len(hashes):
                hashes[i] = text_hash(lines[i]) if i < len(lines) else "0" * 10
        shape.name = shape.name.rsplit(":", 1)[0] + ":" + ".".join(hashes)


def _refresh_notes(slide: Any, content: SlideContent) -> str:
    """New speaker notes unless the person edited them (their hash, kept in the notes slide's name, differs):
    ``hand`` (kept), ``updated`` or ``""`` (the same, or no notes)."""
    if not slide.has_notes_slide:
        return ""
    notes = slide.notes_slide
    frame = notes.notes_text_frame
    if frame is None:
        return ""
    stored = notes._element.cSld.get("name") or ""
    if stored and stored != "survey-deck:" + text_hash(frame.text):
        return "hand"
    if frame.text == content.notes:
        return ""
    frame.text = content.notes
    notes._element.cSld.set("name", "survey-deck:" + text_hash(frame.text))
    return "updated"


def _replace_picture(slide: Any, shape: Any, image: Path, alt: str) -> None:
    """Put ``image`` where the picture ``shape`` is, at its (edited) position and size and in its place in the z-order."""
    left, top, width, height = shape.left, shape.top, shape.width, shape.height
    pic = slide.shapes.add_picture(str(image), left, top, width, height)
    pic.name = shape.name
    pic._element.nvPicPr.cNvPr.set("descr", alt)
    pic._element.nvPicPr.cNvPr.set("title", shape.name)
    old = shape._element
    old.addnext(pic._element)
    rid = old.blipFill.blip.rEmbed
    old.getparent().remove(old)
    slide.part.drop_rel(rid)
