"""Stable ids in a deck, so that ``survey-deck refresh`` finds its slides, charts and texts after a person edited it.

Every slide the pipeline writes carries its deck.yaml id as the slide's name
(``<p:cSld name="survey-deck:S20">``, kept by PowerPoint and LibreOffice when
slides are moved). Each chart (picture, chart frame or chart group) is named
``survey-deck:S20:chart:1``; each computed text (title, question, commentary …)
is named ``survey-deck:S20:commentary:<hashes>``, where the hashes are those of
its paragraphs as written. A paragraph whose text no longer matches its hash
was rewritten by hand, and refresh keeps it. The names show in PowerPoint's
selection pane; renaming them there detaches the shape from refresh.
"""

from __future__ import annotations

import hashlib
from typing import Any

PREFIX = "survey-deck"

# placeholder name in the template → the SlideContent field it shows
TEXT_PLACEHOLDERS = {"Subtitle": "subtitle", "Meta": "meta", "Body": "body", "Question": "question",
                     "Commentary": "commentary", "Footnote": "footnote"}


def chart_name(slide_id: str, number: int) -> str:
    """The stable name of chart ``number`` of slide ``slide_id``: ``survey-deck:S20:chart:1``."""
    return f"{PREFIX}:{slide_id}:chart:{number}"


def text_hash(text: str) -> str:
    """Short hash of one paragraph's text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def paragraph_texts(shape: Any) -> list[str]:
    """The text of each paragraph of a shape's text frame."""
    return [p.text for p in shape.text_frame.paragraphs]


def tag_text(shape: Any, slide_id: str, field: str) -> None:
    """Name a computed text shape by its slide, field and the hashes of its paragraphs as they are now."""
    shape.name = f"{PREFIX}:{slide_id}:{field}:" + ".".join(text_hash(t) for t in paragraph_texts(shape))


def tag_slide(slide: Any, slide_id: str, texts: dict[str, Any]) -> None:
    """Store the slide's id and tag each computed text shape (``texts``: field → shape)."""
    slide._element.cSld.set("name", f"{PREFIX}:{slide_id}")
    for field, shape in texts.items():
        tag_text(shape, slide_id, field)


def slide_id(slide: Any) -> str | None:
    """The deck.yaml id stored in a slide, or None for a slide the pipeline did not make."""
    name = slide._element.cSld.get("name") or ""
    return name.split(":", 1)[1] if name.startswith(PREFIX + ":") and name.count(":") == 1 else None


def parse_name(name: str) -> tuple[str, str, str] | None:
    """(slide id, kind, rest) of a tagged shape name — kind ``chart`` (rest: its number) or a text field
    (rest: the paragraph hashes) — or None for a shape of the person's own."""
    parts = name.split(":", 3)
    if len(parts) < 3 or parts[0] != PREFIX:
        return None
    return parts[1], parts[2], parts[3] if len(parts) > 3 else ""


def content_texts(content: Any) -> dict[str, tuple[str, ...]]:
    """The computed texts of a SlideContent by field, one string per paragraph (as the deck writer sets them)."""
    return {
        "title": (content.title,),
        "subtitle": (content.subtitle,),
        "meta": (" · ".join(content.body),),
        "body": tuple(content.body),
        "question": (content.question,),
        "commentary": tuple(content.commentary),
        "footnote": (content.footnote,),
    }
