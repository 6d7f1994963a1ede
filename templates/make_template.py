"""Build ``templates/1177.pptx``, the brand template of the 1177 deck.

Run ``python templates/make_template.py [--out PATH]`` (or ``make template``).
The template is 16:9 (13.333 × 7.5 in) with exactly five slide layouts whose
placeholders the deck stage finds by name:

=============  ==========================================================
layout         placeholders
=============  ==========================================================
Titel          Title, Subtitle, Meta                (navy background)
Avsnitt        Title, Subtitle                      (navy background)
Diagram        Title, Question, Chart, Commentary, Footnote
Två diagram    Title, Question, Chart 1, Chart 2, Footnote
Text           Title, Body
=============  ==========================================================

Brand: navy #0E3B66, blue #2E77BB, light blue #8DB8E2, pale blue #D6E6F5,
grey #6B7280; theme fonts Arial (charts fall back to the metric-compatible Liberation
Sans shipped in templates/fonts where Arial is not installed). The theme colours
(``THEME_COLOURS``) are the charts' palette: another organisation's template recolours
every chart by its own theme colours in the same slots. Content layouts carry a thin navy band at the top and a "1177"
wordmark bottom right. To change the look, edit the constants and the
``LAYOUTS`` table below and rebuild; the output is byte-for-byte reproducible.
"""

from __future__ import annotations

import argparse
import copy
import zipfile
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
NAVY, BLUE, LIGHT, PALE, GREY, CORAL, GREEN, TEXT = "0E3B66", "2E77BB", "8DB8E2", "D6E6F5", "6B7280", "E4572E", "2E8B57", "1F2937"
FONT = "Arial"
# The theme colours. The charts take their palette from these slots, each with one meaning (see
# pipeline/charts/style.py, Palette): accent1–3 the newest wave and the two before it, accent4 positive
# (▲, promoters, the high end of scales), accent5 subgroups, accent6 alert (▼, detractors) and nothing else;
# dk1 text, dk2 a measure over time, lt2 neutral ("Vet ej", passives). Native charts use accent1… in order,
# so waves come first.
THEME_COLOURS = {
    "dk1": TEXT, "lt1": "FFFFFF", "dk2": NAVY, "lt2": "E3E6EA",
    "accent1": NAVY, "accent2": "3D7DC4", "accent3": "9CC2E8",
    "accent4": "1B8A7A", "accent5": "7A4EAB", "accent6": "D9502B",
    "hlink": "3D7DC4", "folHlink": GREY,
}
ZIP_TIME = (2023, 1, 1, 0, 0, 0)
FIXED_TIME = datetime(2023, 1, 1)

# name, ph type, idx, (left, top, width, height) in inches, size pt, colour, bold, italic, bullets, anchor
Ph = tuple
LAYOUTS: dict[str, dict] = {
    "Titel": {
        "background": NAVY,
        "placeholders": [
            ("Title", "ctrTitle", 0, (0.8, 2.2, 11.7, 1.6), 40, "FFFFFF", True, False, False, "b"),
            ("Subtitle", "subTitle", 1, (0.8, 3.95, 11.7, 0.9), 20, LIGHT, False, False, False, "t"),
            ("Meta", "body", 10, (0.8, 5.7, 11.7, 0.6), 12, "FFFFFF", False, False, False, "t"),
        ],
        "wordmark": ("FFFFFF", (0.8, 0.7, 3.0, 0.8), 36, "l"),
    },
    "Avsnitt": {
        "background": NAVY,
        "placeholders": [
            ("Title", "title", 0, (0.8, 2.6, 11.7, 1.4), 36, "FFFFFF", True, False, False, "b"),
            ("Subtitle", "body", 1, (0.8, 4.15, 11.7, 0.9), 18, LIGHT, False, False, False, "t"),
        ],
        "wordmark": ("FFFFFF", (11.3, 6.75, 1.6, 0.5), 16, "r"),
    },
    "Diagram": {
        "band": True,
        "placeholders": [
            ("Title", "title", 0, (0.45, 0.28, 12.4, 0.72), 26, NAVY, True, False, False, "b"),
            ("Question", "body", 10, (0.45, 1.02, 12.4, 0.66), 12, GREY, False, True, False, "t"),
            ("Chart", "body", 11, (0.45, 1.75, 8.9, 4.95), 12, TEXT, False, False, False, "t"),
            ("Commentary", "body", 12, (9.55, 1.75, 3.35, 4.95), 12.5, TEXT, False, False, True, "t"),
            ("Footnote", "body", 13, (0.45, 6.74, 11.3, 0.56), 8.5, GREY, False, False, False, "b"),
        ],
        "wordmark": (NAVY, (11.9, 6.85, 1.0, 0.45), 16, "r"),
    },
    "Två diagram": {
        "band": True,
        "placeholders": [
            ("Title", "title", 0, (0.45, 0.28, 12.4, 0.72), 26, NAVY, True, False, False, "b"),
            ("Question", "body", 10, (0.45, 1.02, 12.4, 0.66), 12, GREY, False, True, False, "t"),
            ("Chart 1", "body", 11, (0.45, 1.75, 6.1, 4.95), 12, TEXT, False, False, False, "t"),
            ("Chart 2", "body", 12, (6.8, 1.75, 6.1, 4.95), 12, TEXT, False, False, False, "t"),
            ("Footnote", "body", 13, (0.45, 6.74, 11.3, 0.56), 8.5, GREY, False, False, False, "b"),
        ],
        "wordmark": (NAVY, (11.9, 6.85, 1.0, 0.45), 16, "r"),
    },
    "Text": {
        "band": True,
        "placeholders": [
            ("Title", "title", 0, (0.45, 0.28, 12.4, 0.72), 26, NAVY, True, False, False, "b"),
            ("Body", "body", 1, (0.6, 1.45, 12.1, 5.2), 16, TEXT, False, False, True, "t"),
        ],
        "wordmark": (NAVY, (11.9, 6.85, 1.0, 0.45), 16, "r"),
    },
}
# which default layout each new layout starts from (by position in python-pptx's default template)
BASE = {"Titel": 0, "Avsnitt": 2, "Diagram": 5, "Två diagram": 3, "Text": 1}


def _emu(inches: float) -> int:
    return int(round(inches * EMU))


def _q(tag: str) -> str:
    prefix, name = tag.split(":")
    return f"{{{NS[prefix]}}}{name}"


def _fill(colour: str) -> str:
    return f'<a:solidFill><a:srgbClr val="{colour}"/></a:solidFill>'


def _placeholder_xml(shape_id: int, spec: tuple) -> etree._Element:
    name, ph_type, idx, (x, y, w, h), size, colour, bold, italic, bullets, anchor = spec
    idx_attr = "" if ph_type in ("title", "ctrTitle") else f' idx="{idx}"'
    if bullets:
        para = (f'<a:lvl1pPr marL="228600" indent="-228600" algn="l"><a:spcBef><a:spcPts val="600"/></a:spcBef>'
                f'<a:buClr><a:srgbClr val="{BLUE}"/></a:buClr><a:buFont typeface="{FONT}"/><a:buChar char="•"/>')
    else:
        para = '<a:lvl1pPr marL="0" indent="0" algn="l"><a:buNone/>'
    rpr = f'<a:defRPr sz="{int(size * 100)}" b="{int(bold)}" i="{int(italic)}">{_fill(colour)}<a:latin typeface="{FONT}"/></a:defRPr>'
    xml = f"""
<p:sp xmlns:p="{NS['p']}" xmlns:a="{NS['a']}">
  <p:nvSpPr><p:cNvPr id="{shape_id}" name="{name}"/><p:cNvSpPr><a:spLocks noGrp="1"/></p:cNvSpPr>
    <p:nvPr><p:ph type="{ph_type}"{idx_attr}/></p:nvPr></p:nvSpPr>
  <p:spPr><a:xfrm><a:off x="{_emu(x)}" y="{_emu(y)}"/><a:ext cx="{_emu(w)}" cy="{_emu(h)}"/></a:xfrm></p:spPr>
  <p:txBody><a:bodyPr wrap="square" lIns="45720" tIns="27432" rIns="45720" bIns="27432" anchor="{anchor}"><a:normAutofit/></a:bodyPr>
    <a:lstStyle>{para}{rpr}</a:lvl1pPr></a:lstStyle><a:p><a:endParaRPr lang="sv-SE"/></a:p></p:txBody>
</p:sp>"""
    return etree.fromstring(xml)


def _rect_xml(shape_id: int, name: str, box: tuple[float, float, float, float], colour: str) -> etree._Element:
    x, y, w, h = box
    return etree.fromstring(f"""
<p:sp xmlns:p="{NS['p']}" xmlns:a="{NS['a']}">
  <p:nvSpPr><p:cNvPr id="{shape_id}" name="{name}"/><p:cNvSpPr/><p:nvPr userDrawn="1"/></p:nvSpPr>
  <p:spPr><a:xfrm><a:off x="{_emu(x)}" y="{_emu(y)}"/><a:ext cx="{_emu(w)}" cy="{_emu(h)}"/></a:xfrm>
    <a:prstGeom prst="rect"><a:avLst/></a:prstGeom>{_fill(colour)}<a:ln><a:noFill/></a:ln></p:spPr>
</p:sp>""")


def _wordmark_xml(shape_id: int, colour: str, box: tuple[float, float, float, float], size: float, align: str) -> etree._Element:
    x, y, w, h = box
    return etree.fromstring(f"""
<p:sp xmlns:p="{NS['p']}" xmlns:a="{NS['a']}">
  <p:nvSpPr><p:cNvPr id="{shape_id}" name="Wordmark 1177" descr="1177"/><p:cNvSpPr txBox="1"/><p:nvPr userDrawn="1"/></p:nvSpPr>
  <p:spPr><a:xfrm><a:off x="{_emu(x)}" y="{_emu(y)}"/><a:ext cx="{_emu(w)}" cy="{_emu(h)}"/></a:xfrm>
    <a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/></p:spPr>
  <p:txBody><a:bodyPr wrap="none" lIns="0" tIns="0" rIns="0" bIns="0" anchor="ctr"/><a:lstStyle/>
    <a:p><a:pPr algn="{align}"/><a:r><a:rPr lang="sv-SE" sz="{int(size * 100)}" b="1">{_fill(colour)}<a:latin typeface="{FONT}"/></a:rPr><a:t>1177</a:t></a:r></a:p>
  </p:txBody>
</p:sp>""")


def _rebuild_layout(layout, name: str, spec: dict) -> None:  # noqa: ANN001 - pptx SlideLayout
    c_sld = layout._element.find(_q("p:cSld"))
    c_sld.set("name", name)
    old_bg = c_sld.find(_q("p:bg"))
    if old_bg is not None:
        c_sld.remove(old_bg)
    if spec.get("background"):
        bg = etree.fromstring(f'<p:bg xmlns:p="{NS["p"]}" xmlns:a="{NS["a"]}"><p:bgPr>{_fill(spec["background"])}<a:effectLst/></p:bgPr></p:bg>')
        c_sld.insert(0, bg)
    tree = c_sld.find(_q("p:spTree"))
    for child in list(tree):
        if child.tag not in (_q("p:nvGrpSpPr"), _q("p:grpSpPr")):
            tree.remove(child)
    shape_id = 2
    if spec.get("band"):
        tree.append(_rect_xml(shape_id, "Brand band", (0, 0, 13.333, 0.1), NAVY))
        shape_id += 1
    for ph in spec["placeholders"]:
        tree.append(_placeholder_xml(shape_id, ph))
        shape_id += 1
    colour, box, size, align = spec["wordmark"]
    tree.append(_wordmark_xml(shape_id, colour, box, size, align))
    # layouts show master shapes only where they are not full-bleed
    layout._element.set("showMasterSp", "0")


def _theme(prs) -> None:  # noqa: ANN001
    part = prs.slide_master.part.part_related_by(RT.THEME)
    root = etree.fromstring(part.blob)
    theme = root
    theme.set("name", "1177")
    clr = theme.find(".//a:clrScheme", NS)
    clr.set("name", "1177")
    colours = THEME_COLOURS
    for key, value in colours.items():
        node = clr.find(f"a:{key}", NS)
        for child in list(node):
            node.remove(child)
        etree.SubElement(node, _q("a:srgbClr")).set("val", value)
    fonts = theme.find(".//a:fontScheme", NS)
    fonts.set("name", "1177")
    for kind in ("majorFont", "minorFont"):
        fonts.find(f"a:{kind}/a:latin", NS).set("typeface", FONT)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _master(prs) -> None:  # noqa: ANN001
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
    # default text of the master in Arial, dark
    for style in master._element.findall(".//p:txStyles/*", NS):
        for rpr in style.iter(_q("a:defRPr")):
            latin = rpr.find("a:latin", NS)
            if latin is None:
                latin = etree.SubElement(rpr, _q("a:latin"))
            latin.set("typeface", FONT)


def build_template(path: Path) -> None:
    """Build the template and write it, reproducibly, to ``path``."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12192000), Emu(6858000)
    _theme(prs)
    _master(prs)
    master = prs.slide_master
    layouts = list(prs.slide_layouts)
    keep = {BASE[name]: name for name in LAYOUTS}
    id_list = master._element.find(_q("p:sldLayoutIdLst"))
    for position, layout in enumerate(layouts):
        if position in keep:
            continue
        for entry in list(id_list):
            if master.part.related_part(entry.get(_q("r:id"))) is layout.part:
                master.part.drop_rel(entry.get(_q("r:id")))
                id_list.remove(entry)
    # order the kept layouts as in LAYOUTS
    entries = {master.part.related_part(e.get(_q("r:id"))): e for e in id_list}
    for entry in list(id_list):
        id_list.remove(entry)
    for name in LAYOUTS:
        layout = layouts[BASE[name]]
        _rebuild_layout(layout, name, LAYOUTS[name])
        id_list.append(copy.deepcopy(entries[layout.part]))
    props = prs.core_properties
    props.title = "1177 brand template"
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
    parser = argparse.ArgumentParser(description="Build the 1177 brand template (16:9, five layouts).")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("1177.pptx"), help="output .pptx")
    args = parser.parse_args()
    build_template(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
