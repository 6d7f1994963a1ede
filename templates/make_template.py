"""Build the brand templates of the decks: ``templates/1177.pptx`` and ``templates/hospital.pptx``.

Run ``python templates/make_template.py [--brand NAME] [--out PATH]`` (``make template`` builds both);
without arguments it builds the 1177 template. Every template is 16:9 (13.333 × 7.5 in) with exactly
five slide layouts, one per role of ``deck.yaml`` → ``layouts``, whose placeholders the deck stage finds
by name (the layout names are the brand's, see ``BRANDS``):

=============  ====================  ===========  ==========================================================
role           1177                  hospital     placeholders
=============  ====================  ===========  ==========================================================
title          Titel                 Title        Title, Subtitle, Meta                (primary background)
section        Avsnitt               Section      Title, Subtitle                      (primary background)
chart          Diagram               Chart        Title, Question, Chart, Commentary, Footnote
two_charts     Två diagram           Two charts   Title, Question, Chart 1, Chart 2, Footnote
text           Text                  Text         Title, Body
=============  ====================  ===========  ==========================================================

A brand (:class:`Brand`, one row of ``BRANDS``) is constants only: its theme colours in the theme's
``a:clrScheme`` slots, its theme font, its layout names, its wordmark text (or none), the colours of
titles, subtitles, muted text and bullets, and the shapes of its look (the band of content slides, the
accent of title and section slides). The theme colours are the charts' palette, each slot with one
meaning (``pipeline/charts/palette.py``, ``Palette``): accent1–3 the newest wave and the two before it,
accent4 positive (▲, promoters, the high end of scales), accent5 subgroups, accent6 alert (▼, detractors)
and nothing else; dk1 text, dk2 a measure over time, lt2 neutral ("don't know", passives). Native charts
use accent1… in order, so waves come first.

- **1177**: navy #0E3B66, blue #2E77BB, light blue #8DB8E2, grey #6B7280; a thin navy band on content
  slides and a "1177" wordmark.
- **hospital**: neutral, no wordmark. Deep teal #0A4F5C (titles, title and section slides, the band and
  the newest wave), a warm amber #CB7B0B (the accent of title and section slides, bullets, subgroups),
  green #17825E for ▲ and promoters, deep red #912A08 for ▼ and detractors, greys. Text colours meet
  WCAG AA on their backgrounds: white on teal 9.2:1, subtitles #B5DDE3 on teal 6.3:1, teal titles on
  white 9.2:1, muted text #596769 5.9:1, ▲ 4.8:1 and ▼ 8.3:1 on white. Positive, alert and subgroup
  colours stay apart for red–green colour-blind readers too (ΔE ≥ 30 in simulated deuteranopia and
  protanopia), which is why ▼ is a deep red rather than an orange next to the amber. "Don't know" (lt2) is
  a mid-light grey #CDD1D3, a step darker than the lightest band of a scale so the two segments do not merge.

Theme fonts are Arial (charts fall back to the metric-compatible Liberation Sans shipped in
templates/fonts where Arial is not installed). To change a look, edit its row of ``BRANDS`` and rebuild;
the output is byte-for-byte reproducible.
"""

from __future__ import annotations

import argparse
import copy
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lxml import etree
from pptx import Presentation
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.util import Emu

NS = {
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "p": "http://schemas.openxmlformats.org/presentationml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
EMU = 914400
ZIP_TIME = (2023, 1, 1, 0, 0, 0)
FIXED_TIME = datetime(2023, 1, 1)
ROLES = ("title", "section", "chart", "two_charts", "text")

Box = tuple[float, float, float, float]  # left, top, width, height in inches


@dataclass(frozen=True)
class Brand:
    """One organisation's template: constants only (colours as RRGGBB)."""

    name: str  # the theme's, colour scheme's and font scheme's name
    file: str  # the template's file name beside this script
    title: str  # the file's title (core properties)
    lang: str  # the language tag of the template's empty paragraphs
    theme: dict[str, str]  # the theme's a:clrScheme slots: the charts' palette (see the module docstring)
    font: str  # the theme's major and minor Latin font
    layouts: dict[str, str]  # role → layout name (deck.yaml → layouts)
    primary: str  # title and section backgrounds, slide titles on content slides
    on_primary: str  # subtitles on the primary colour
    muted: str  # question and footnote text
    text: str  # chart placeholder and body text
    bullet: str  # the bullets of commentary and body text
    wordmark: str | None  # text of the wordmark, or None for none
    band: tuple[tuple[str, Box, str], ...]  # shapes (name, box, colour) at the top of content slides
    accent: dict[str, tuple[tuple[str, Box, str], ...]]  # shapes of the title and section slides, by role


NAVY, BLUE, LIGHT, GREY, TEXT = "0E3B66", "2E77BB", "8DB8E2", "6B7280", "1F2937"
TEAL, AMBER, MIST, SLATE, INK = "0A4F5C", "CB7B0B", "B5DDE3", "596769", "1E2B2E"

BRANDS: dict[str, Brand] = {
    "1177": Brand(
        name="1177", file="1177.pptx", title="1177 brand template", lang="sv-SE",
        theme={
            "dk1": TEXT, "lt1": "FFFFFF", "dk2": NAVY, "lt2": "E3E6EA",
            "accent1": NAVY, "accent2": "3D7DC4", "accent3": "9CC2E8",
            "accent4": "1B8A7A", "accent5": "7A4EAB", "accent6": "D9502B",
            "hlink": "3D7DC4", "folHlink": GREY,
        },
        font="Arial",
        layouts={"title": "Titel", "section": "Avsnitt", "chart": "Diagram", "two_charts": "Två diagram", "text": "Text"},
        primary=NAVY, on_primary=LIGHT, muted=GREY, text=TEXT, bullet=BLUE, wordmark="1177",
        band=(("Brand band", (0, 0, 13.333, 0.1), NAVY),),
        accent={},
    ),
    "hospital": Brand(
        name="Hospital", file="hospital.pptx", title="Hospital brand template", lang="en-GB",
        theme={
            "dk1": INK, "lt1": "FFFFFF", "dk2": TEAL, "lt2": "CDD1D3",
            "accent1": TEAL, "accent2": "4A95A3", "accent3": "A9D3DA",
            "accent4": "17825E", "accent5": AMBER, "accent6": "912A08",
            "hlink": "0E6A78", "folHlink": SLATE,
        },
        font="Arial",
        layouts={"title": "Title", "section": "Section", "chart": "Chart", "two_charts": "Two charts", "text": "Text"},
        primary=TEAL, on_primary=MIST, muted=SLATE, text=INK, bullet=AMBER, wordmark=None,
        band=(("Brand band", (0, 0, 13.333, 0.09), TEAL), ("Brand accent", (0, 0, 0.45, 0.09), AMBER)),
        accent={
            # a short amber rule between the title (anchored at its box's bottom) and the subtitle (at its top)
            "title": (("Brand accent", (0.85, 3.845, 1.3, 0.06), AMBER),),
            "section": (("Brand accent", (0.85, 4.045, 1.3, 0.06), AMBER),),
        },
    ),
}
DEFAULT_BRAND = "1177"

# which default layout each role's layout starts from (by position in python-pptx's default template)
BASE = {"title": 0, "section": 2, "chart": 5, "two_charts": 3, "text": 1}
# where a wordmark sits on each role's layout: box, size pt, alignment; white on the primary colour
WORDMARK_PLACES: dict[str, tuple[Box, float, str]] = {
    "title": ((0.8, 0.7, 3.0, 0.8), 36, "l"),
    "section": ((11.3, 6.75, 1.6, 0.5), 16, "r"),
    "chart": ((11.9, 6.85, 1.0, 0.45), 16, "r"),
    "two_charts": ((11.9, 6.85, 1.0, 0.45), 16, "r"),
    "text": ((11.9, 6.85, 1.0, 0.45), 16, "r"),
}
ON_PRIMARY = ("title", "section")  # the roles whose layouts have the primary colour as background


def layout_specs(brand: Brand) -> dict[str, dict]:
    """Each role's layout of ``brand``: background, band, accent shapes and placeholders.

    A placeholder is (name, ph type, idx, (left, top, width, height) in inches, size pt, colour, bold,
    italic, bullets, anchor).
    """
    p, on, muted, text = brand.primary, brand.on_primary, brand.muted, brand.text
    title = ("Title", "title", 0, (0.45, 0.28, 12.4, 0.72), 26, p, True, False, False, "b")
    question = ("Question", "body", 10, (0.45, 1.02, 12.4, 0.66), 12, muted, False, True, False, "t")
    footnote = ("Footnote", "body", 13, (0.45, 6.74, 11.3, 0.56), 8.5, muted, False, False, False, "b")
    placeholders = {
        "title": [
            ("Title", "ctrTitle", 0, (0.8, 2.2, 11.7, 1.6), 40, "FFFFFF", True, False, False, "b"),
            ("Subtitle", "subTitle", 1, (0.8, 3.95, 11.7, 0.9), 20, on, False, False, False, "t"),
            ("Meta", "body", 10, (0.8, 5.7, 11.7, 0.6), 12, "FFFFFF", False, False, False, "t"),
        ],
        "section": [
            ("Title", "title", 0, (0.8, 2.6, 11.7, 1.4), 36, "FFFFFF", True, False, False, "b"),
            ("Subtitle", "body", 1, (0.8, 4.15, 11.7, 0.9), 18, on, False, False, False, "t"),
        ],
        "chart": [
            title, question,
            ("Chart", "body", 11, (0.45, 1.75, 8.9, 4.95), 12, text, False, False, False, "t"),
            ("Commentary", "body", 12, (9.55, 1.75, 3.35, 4.95), 12.5, text, False, False, True, "t"),
            footnote,
        ],
        "two_charts": [
            title, question,
            ("Chart 1", "body", 11, (0.45, 1.75, 6.1, 4.95), 12, text, False, False, False, "t"),
            ("Chart 2", "body", 12, (6.8, 1.75, 6.1, 4.95), 12, text, False, False, False, "t"),
            footnote,
        ],
        "text": [
            title,
            ("Body", "body", 1, (0.6, 1.45, 12.1, 5.2), 16, text, False, False, True, "t"),
        ],
    }
    specs = {}
    for role in ROLES:
        on_primary = role in ON_PRIMARY
        box, size, align = WORDMARK_PLACES[role]
        specs[brand.layouts[role]] = {
            "role": role,
            "background": p if on_primary else None,
            "shapes": brand.accent.get(role, ()) if on_primary else brand.band,
            "placeholders": placeholders[role],
            "wordmark": ("FFFFFF" if on_primary else p, box, size, align) if brand.wordmark else None,
        }
    return specs


def _emu(inches: float) -> int:
    return int(round(inches * EMU))


def _q(tag: str) -> str:
    prefix, name = tag.split(":")
    return f"{{{NS[prefix]}}}{name}"


def _fill(colour: str) -> str:
    return f'<a:solidFill><a:srgbClr val="{colour}"/></a:solidFill>'


def _placeholder_xml(shape_id: int, spec: tuple, brand: Brand) -> etree._Element:
    name, ph_type, idx, (x, y, w, h), size, colour, bold, italic, bullets, anchor = spec
    idx_attr = "" if ph_type in ("title", "ctrTitle") else f' idx="{idx}"'
    if bullets:
        para = (f'<a:lvl1pPr marL="228600" indent="-228600" algn="l"><a:spcBef><a:spcPts val="600"/></a:spcBef>'
                f'<a:buClr><a:srgbClr val="{brand.bullet}"/></a:buClr><a:buFont typeface="{brand.font}"/><a:buChar char="•"/>')
    else:
        para = '<a:lvl1pPr marL="0" indent="0" algn="l"><a:buNone/>'
    rpr = f'<a:defRPr sz="{int(size * 100)}" b="{int(bold)}" i="{int(italic)}">{_fill(colour)}<a:latin typeface="{brand.font}"/></a:defRPr>'
    xml = f"""
<p:sp xmlns:p="{NS['p']}" xmlns:a="{NS['a']}">
  <p:nvSpPr><p:cNvPr id="{shape_id}" name="{name}"/><p:cNvSpPr><a:spLocks noGrp="1"/></p:cNvSpPr>
    <p:nvPr><p:ph type="{ph_type}"{idx_attr}/></p:nvPr></p:nvSpPr>
  <p:spPr><a:xfrm><a:off x="{_emu(x)}" y="{_emu(y)}"/><a:ext cx="{_emu(w)}" cy="{_emu(h)}"/></a:xfrm></p:spPr>
  <p:txBody><a:bodyPr wrap="square" lIns="45720" tIns="27432" rIns="45720" bIns="27432" anchor="{anchor}"><a:normAutofit/></a:bodyPr>
    <a:lstStyle>{para}{rpr}</a:lvl1pPr></a:lstStyle><a:p><a:endParaRPr lang="{brand.lang}"/></a:p></p:txBody>
</p:sp>"""
    return etree.fromstring(xml)


def _rect_xml(shape_id: int, name: str, box: Box, colour: str) -> etree._Element:
    x, y, w, h = box
    return etree.fromstring(f"""
<p:sp xmlns:p="{NS['p']}" xmlns:a="{NS['a']}">
  <p:nvSpPr><p:cNvPr id="{shape_id}" name="{name}"/><p:cNvSpPr/><p:nvPr userDrawn="1"/></p:nvSpPr>
  <p:spPr><a:xfrm><a:off x="{_emu(x)}" y="{_emu(y)}"/><a:ext cx="{_emu(w)}" cy="{_emu(h)}"/></a:xfrm>
    <a:prstGeom prst="rect"><a:avLst/></a:prstGeom>{_fill(colour)}<a:ln><a:noFill/></a:ln></p:spPr>
</p:sp>""")


def _wordmark_xml(shape_id: int, colour: str, box: Box, size: float, align: str, brand: Brand) -> etree._Element:
    x, y, w, h = box
    text = brand.wordmark
    rpr = f'<a:rPr lang="{brand.lang}" sz="{int(size * 100)}" b="1">{_fill(colour)}<a:latin typeface="{brand.font}"/></a:rPr>'
    return etree.fromstring(f"""
<p:sp xmlns:p="{NS['p']}" xmlns:a="{NS['a']}">
  <p:nvSpPr><p:cNvPr id="{shape_id}" name="Wordmark {text}" descr="{text}"/><p:cNvSpPr txBox="1"/><p:nvPr userDrawn="1"/></p:nvSpPr>
  <p:spPr><a:xfrm><a:off x="{_emu(x)}" y="{_emu(y)}"/><a:ext cx="{_emu(w)}" cy="{_emu(h)}"/></a:xfrm>
    <a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/></p:spPr>
  <p:txBody><a:bodyPr wrap="none" lIns="0" tIns="0" rIns="0" bIns="0" anchor="ctr"/><a:lstStyle/>
    <a:p><a:pPr algn="{align}"/><a:r>{rpr}<a:t>{text}</a:t></a:r></a:p>
  </p:txBody>
</p:sp>""")


def _rebuild_layout(layout, name: str, spec: dict, brand: Brand) -> None:  # noqa: ANN001 - pptx SlideLayout
    c_sld = layout._element.find(_q("p:cSld"))
    c_sld.set("name", name)
    old_bg = c_sld.find(_q("p:bg"))
    if old_bg is not None:
        c_sld.remove(old_bg)
    if spec["background"]:
        fill = _fill(spec["background"])
        bg = etree.fromstring(f'<p:bg xmlns:p="{NS["p"]}" xmlns:a="{NS["a"]}"><p:bgPr>{fill}<a:effectLst/></p:bgPr></p:bg>')
        c_sld.insert(0, bg)
    tree = c_sld.find(_q("p:spTree"))
    for child in list(tree):
        if child.tag not in (_q("p:nvGrpSpPr"), _q("p:grpSpPr")):
            tree.remove(child)
    shape_id = 2
    for shape_name, box, colour in spec["shapes"]:
        tree.append(_rect_xml(shape_id, shape_name, box, colour))
        shape_id += 1
    for ph in spec["placeholders"]:
        tree.append(_placeholder_xml(shape_id, ph, brand))
        shape_id += 1
    if spec["wordmark"]:
        colour, box, size, align = spec["wordmark"]
        tree.append(_wordmark_xml(shape_id, colour, box, size, align, brand))
    # layouts show master shapes only where they are not full-bleed
    layout._element.set("showMasterSp", "0")


def _theme(prs, brand: Brand) -> None:  # noqa: ANN001
    part = prs.slide_master.part.part_related_by(RT.THEME)
    root = etree.fromstring(part.blob)
    theme = root
    theme.set("name", brand.name)
    clr = theme.find(".//a:clrScheme", NS)
    clr.set("name", brand.name)
    for key, value in brand.theme.items():
        node = clr.find(f"a:{key}", NS)
        for child in list(node):
            node.remove(child)
        etree.SubElement(node, _q("a:srgbClr")).set("val", value)
    fonts = theme.find(".//a:fontScheme", NS)
    fonts.set("name", brand.name)
    for kind in ("majorFont", "minorFont"):
        fonts.find(f"a:{kind}/a:latin", NS).set("typeface", brand.font)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _master(prs, brand: Brand) -> None:  # noqa: ANN001
    """Reposition the master's title and body for 16:9 and remove date/footer/slide-number boxes."""
    master = prs.slide_master
    tree = master._element.find(_q("p:cSld")).find(_q("p:spTree"))
    for sp in list(tree.findall(_q("p:sp"))):
        ph = sp.find(".//p:ph", NS)
        kind = ph.get("type") if ph is not None else None
        if kind in ("dt", "ftr", "sldNum"):
            tree.remove(sp)
    for shape in master.placeholders:
        kind = shape.placeholder_format.type
        if str(kind).startswith("TITLE"):
            shape.left, shape.top, shape.width, shape.height = Emu(_emu(0.45)), Emu(_emu(0.28)), Emu(_emu(12.4)), Emu(_emu(0.72))
        else:
            shape.left, shape.top, shape.width, shape.height = Emu(_emu(0.6)), Emu(_emu(1.45)), Emu(_emu(12.1)), Emu(_emu(5.2))
    # default text of the master in the brand's font
    for style in master._element.findall(".//p:txStyles/*", NS):
        for rpr in style.iter(_q("a:defRPr")):
            latin = rpr.find("a:latin", NS)
            if latin is None:
                latin = etree.SubElement(rpr, _q("a:latin"))
            latin.set("typeface", brand.font)


def build_template(path: Path, brand: Brand | str = DEFAULT_BRAND) -> None:
    """Build the template of ``brand`` (a :class:`Brand` or a key of ``BRANDS``) and write it, reproducibly, to ``path``."""
    if isinstance(brand, str):
        brand = BRANDS[brand]
    specs = layout_specs(brand)
    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)
    _theme(prs, brand)
    _master(prs, brand)
    master = prs.slide_master
    layouts = list(prs.slide_layouts)
    keep = {BASE[role] for role in ROLES}
    id_list = master._element.find(_q("p:sldLayoutIdLst"))
    for position, layout in enumerate(layouts):
        if position in keep:
            continue
        for entry in list(id_list):
            if master.part.related_part(entry.get(_q("r:id"))) is layout.part:
                master.part.drop_rel(entry.get(_q("r:id")))
                id_list.remove(entry)
    # order the kept layouts by role
    entries = {master.part.related_part(e.get(_q("r:id"))): e for e in id_list}
    for entry in list(id_list):
        id_list.remove(entry)
    for name, spec in specs.items():
        layout = layouts[BASE[spec["role"]]]
        _rebuild_layout(layout, name, spec, brand)
        id_list.append(copy.deepcopy(entries[layout.part]))
    props = prs.core_properties
    props.title = brand.title
    props.author = "survey-deck"
    props.last_modified_by = "survey-deck"
    props.created = props.modified = props.last_printed = FIXED_TIME
    props.revision = 1
    path.parent.mkdir(parents=True, exist_ok=True)
    prs.save(str(path))
    normalize_zip(path)


def normalize_zip(path: Path) -> None:
    """Rewrite the zip with fixed timestamps and the same entry order (reproducible bytes)."""
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, data)
    tmp.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description="Build a brand template (16:9, five layouts).")
    parser.add_argument("--brand", choices=sorted(BRANDS), default=DEFAULT_BRAND, help="the brand (default %(default)s)")
    parser.add_argument("--out", type=Path, help="output .pptx (default templates/<the brand's file>)")
    args = parser.parse_args()
    brand = BRANDS[args.brand]
    out = args.out or Path(__file__).with_name(brand.file)
    build_template(out, brand)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
